-- Search: an outbox of "this object changed" notes, written by triggers in the
-- same transaction as every change to a searchable row, so the index can never
-- miss one (a crash or a search-backend outage only delays it). The indexer
-- reads the object's current state when it drains a note and deletes the notes
-- it applied (never a cursor: bigserial ids may commit out of order), so
-- draining twice is harmless. One lease row lets one node drain at a time.

create table search_outbox (
    id bigserial primary key,
    workspace_id uuid not null,
    kind text not null check (kind in ('message', 'deal', 'contact', 'company', 'task')),
    entity_id uuid not null,
    created_at timestamptz not null default now()
);

create table search_lease (
    name text primary key,
    owner uuid not null,
    lease_until timestamptz not null,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

-- tg_argv[0]: the search kind of the table's rows.
create function search_outbox_note() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        insert into search_outbox (workspace_id, kind, entity_id) values (old.workspace_id, tg_argv[0], old.id);
        return old;
    end if;
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, tg_argv[0], new.id);
    return new;
end
$$;

-- has:file: linking an upload to its message changes what the message is.
create function search_outbox_attachment() returns trigger language plpgsql as $$
begin
    if new.message_id is not null then
        insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'message', new.message_id);
    end if;
    return new;
end
$$;

create trigger search_message_insert after insert or delete on messages
    for each row execute function search_outbox_note('message');
create trigger search_message_update after update of body, deleted_at, thread_root_id, reply_count on messages
    for each row execute function search_outbox_note('message');
create trigger search_attachment_link after update of message_id on attachments
    for each row execute function search_outbox_attachment();
create trigger search_deal after insert or update or delete on deals
    for each row execute function search_outbox_note('deal');
create trigger search_contact after insert or update or delete on contacts
    for each row execute function search_outbox_note('contact');
create trigger search_company after insert or update or delete on companies
    for each row execute function search_outbox_note('company');
create trigger search_task after insert or update or delete on tasks
    for each row execute function search_outbox_note('task');

-- What exists already goes into the index too (upgrades of a running server).
insert into search_outbox (workspace_id, kind, entity_id)
    select workspace_id, 'message', id from messages where deleted_at is null and kind <> 'system';
insert into search_outbox (workspace_id, kind, entity_id)
    select workspace_id, 'deal', id from deals where archived_at is null;
insert into search_outbox (workspace_id, kind, entity_id)
    select workspace_id, 'contact', id from contacts where archived_at is null;
insert into search_outbox (workspace_id, kind, entity_id)
    select workspace_id, 'company', id from companies where archived_at is null;
insert into search_outbox (workspace_id, kind, entity_id)
    select workspace_id, 'task', id from tasks;
