-- The outbox: what each deal and task change meant, written in the change's own
-- transaction together with one job per subscriber (in `jobs`). Subscribers read
-- the event by id; the job's dedupe key (`ev:<subscriber>:<event id>`) makes a
-- second enqueue a no-op.
create table domain_events (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    kind text not null,
    payload text not null,
    created_at text not null
);
create index domain_events_by_workspace on domain_events (workspace_id, created_at);
