-- Postgres drops the workspace foreign keys of messages and chat events (its
-- 0016): they only repeated the chat's, and locked the workspace's row on every
-- send. SQLite has one writer and no row locks, and dropping a constraint would
-- rebuild both tables, so nothing changes here; this keeps the two lists paired.
select 1;
