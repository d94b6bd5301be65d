-- Search: an outbox of "this object changed" notes, written by triggers in the
-- same transaction as every change to a searchable row, so the index can never
-- miss one (a crash or a search-backend outage only delays it). The indexer
-- reads the object's current state when it drains a note, so draining twice is
-- harmless. One lease row lets one node drain at a time in a cluster.

create table search_outbox (
    id integer primary key autoincrement,
    workspace_id blob not null,
    kind text not null check (kind in ('message', 'deal', 'contact', 'company', 'task')),
    entity_id blob not null,
    created_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

create table search_lease (
    name text primary key,
    owner blob not null,
    lease_until text not null,
    created_at text not null,
    updated_at text not null
);

create trigger search_message_insert after insert on messages begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'message', new.id);
end;
create trigger search_message_update after update of body, deleted_at, thread_root_id, reply_count on messages begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'message', new.id);
end;
create trigger search_message_delete after delete on messages begin
    insert into search_outbox (workspace_id, kind, entity_id) values (old.workspace_id, 'message', old.id);
end;
-- has:file: linking an upload to its message changes what the message is.
create trigger search_attachment_link after update of message_id on attachments
when new.message_id is not null begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'message', new.message_id);
end;

create trigger search_deal_insert after insert on deals begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'deal', new.id);
end;
create trigger search_deal_update after update on deals begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'deal', new.id);
end;
create trigger search_deal_delete after delete on deals begin
    insert into search_outbox (workspace_id, kind, entity_id) values (old.workspace_id, 'deal', old.id);
end;

create trigger search_contact_insert after insert on contacts begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'contact', new.id);
end;
create trigger search_contact_update after update on contacts begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'contact', new.id);
end;
create trigger search_contact_delete after delete on contacts begin
    insert into search_outbox (workspace_id, kind, entity_id) values (old.workspace_id, 'contact', old.id);
end;

create trigger search_company_insert after insert on companies begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'company', new.id);
end;
create trigger search_company_update after update on companies begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'company', new.id);
end;
create trigger search_company_delete after delete on companies begin
    insert into search_outbox (workspace_id, kind, entity_id) values (old.workspace_id, 'company', old.id);
end;

create trigger search_task_insert after insert on tasks begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'task', new.id);
end;
create trigger search_task_update after update on tasks begin
    insert into search_outbox (workspace_id, kind, entity_id) values (new.workspace_id, 'task', new.id);
end;
create trigger search_task_delete after delete on tasks begin
    insert into search_outbox (workspace_id, kind, entity_id) values (old.workspace_id, 'task', old.id);
end;

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
