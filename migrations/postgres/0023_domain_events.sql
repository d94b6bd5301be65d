-- The outbox: what each deal and task change meant, written in the change's own
-- transaction together with one job per subscriber (in `jobs`). Subscribers read
-- the event by id; the job's dedupe key (`ev:<subscriber>:<event id>`) makes a
-- second enqueue a no-op.
create table domain_events (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    kind text not null,
    payload jsonb not null,
    created_at timestamptz not null
);
-- Pruned by age.
create index domain_events_by_age on domain_events (created_at);
-- The admin's view of a workspace's queue (dead letters, what waits).
create index jobs_by_workspace on jobs (workspace_id, status, updated_at);
-- Pruning finished jobs by kind and age.
create index jobs_done on jobs (kind, updated_at) where status = 'done';
