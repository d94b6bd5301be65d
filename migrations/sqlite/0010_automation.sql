-- Automation and integrations: a durable job queue (claimed with a lease so a
-- job runs on one node at a time and survives restarts), outgoing webhooks with
-- their delivery log, secret incoming URLs (chat messages, website leads) and
-- per-stage automation rules.

create table jobs (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    kind text not null,
    payload text not null,
    -- Enqueuing the same key twice is a no-op: what makes triggers fire once.
    dedupe_key text unique,
    run_at text not null,
    attempts integer not null,
    max_attempts integer not null,
    status text not null check (status in ('pending', 'done', 'failed')),
    lease_owner blob,
    lease_until text,
    last_error text,
    created_at text not null,
    updated_at text not null
);
create index jobs_due on jobs (run_at) where status = 'pending';

create table integration_settings (
    workspace_id blob primary key references workspaces(id) on delete cascade,
    -- Lets webhooks call loopback/private addresses (self-hosted receivers, tests).
    allow_private_targets boolean not null,
    updated_at text not null
);

create table webhooks (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    name text not null,
    url text not null,
    events text not null,
    -- Needed in clear to sign each delivery; shown to the admin once.
    secret text not null,
    active boolean not null,
    created_by blob references users(id) on delete set null,
    created_at text not null,
    updated_at text not null
);
create index webhooks_workspace on webhooks (workspace_id);

create table webhook_deliveries (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    webhook_id blob not null references webhooks(id) on delete cascade,
    event_id blob not null,
    event text not null,
    attempt integer not null,
    outcome text not null check (outcome in ('delivered', 'failed', 'refused')),
    response_code integer,
    duration_ms integer not null,
    error text,
    created_at text not null
);
create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, created_at);

create table chat_hooks (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    kind text not null check (kind in ('incoming', 'lead')),
    name text not null,
    chat_id blob references chats(id) on delete cascade,
    pipeline_id blob references pipelines(id) on delete cascade,
    owner_id blob references users(id) on delete set null,
    -- SHA-256 of the secret in the URL; the secret itself is shown once.
    token_hash text not null unique,
    created_by blob references users(id) on delete set null,
    created_at text not null,
    revoked_at text
);
create index chat_hooks_workspace on chat_hooks (workspace_id, kind);

create table stage_rules (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    pipeline_id blob not null references pipelines(id) on delete cascade,
    stage_id blob not null references stages(id) on delete cascade,
    trigger_kind text not null check (trigger_kind in ('deal_entered_stage', 'deal_idle_in_stage', 'deal_task_overdue')),
    trig text not null,
    action text not null,
    active boolean not null,
    created_by blob not null references users(id),
    created_at text not null,
    updated_at text not null
);
create index stage_rules_stage on stage_rules (stage_id);
create index stage_rules_trigger on stage_rules (trigger_kind) where active;
