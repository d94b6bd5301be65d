-- Postgres notes new messages for the search index once per insert statement
-- (its 0015). SQLite has only row triggers, and its row trigger is a plain insert
-- in the same process, so nothing changes here; this keeps the two lists paired.
select 1;
