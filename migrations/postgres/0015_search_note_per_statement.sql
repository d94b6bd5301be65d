-- New messages note themselves for the search index once per insert statement
-- instead of once per row. A group commit inserts up to 128 messages in one
-- statement; the row trigger ran a PL/pgSQL insert for each of them. Deletes
-- keep the row trigger
-- (a transition table cannot serve two events in one trigger).
create function search_outbox_note_inserted() returns trigger language plpgsql as $$
begin
    insert into search_outbox (workspace_id, kind, entity_id)
        select workspace_id, tg_argv[0], id from inserted_rows order by id;
    return null;
end
$$;

drop trigger search_message_insert on messages;
create trigger search_message_insert after insert on messages
    referencing new table as inserted_rows
    for each statement execute function search_outbox_note_inserted('message');
create trigger search_message_delete after delete on messages
    for each row execute function search_outbox_note('message');
