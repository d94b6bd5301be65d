-- Automation and integrations: a durable job queue (claimed with a lease so a
-- job runs on one node at a time and survives restarts), outgoing webhooks with
-- their delivery log, secret incoming URLs (chat messages, website leads) and
-- per-stage automation rules.

create table jobs (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    kind text not null,
    payload jsonb not null,
    -- Enqueuing the same key twice is a no-op: what makes triggers fire once.
    dedupe_key text unique,
    run_at timestamptz not null,
    attempts bigint not null,
    max_attempts bigint not null,
    status text not null check (status in ('pending', 'done', 'failed')),
    lease_owner uuid,
    lease_until timestamptz,
    last_error text,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index jobs_due on jobs (run_at) where status = 'pending';

create table integration_settings (
    workspace_id uuid primary key references workspaces(id) on delete cascade,
    -- Lets webhooks call loopback/private addresses (self-hosted receivers, tests).
    allow_private_targets boolean not null,
    updated_at timestamptz not null
);

create table webhooks (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    name text not null,
    url text not null,
    events jsonb not null,
    -- Needed in clear to sign each delivery; shown to the admin once.
    secret text not null,
    active boolean not null,
    created_by uuid references users(id) on delete set null,
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index webhooks_workspace on webhooks (workspace_id);

create table webhook_deliveries (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    webhook_id uuid not null references webhooks(id) on delete cascade,
    event_id uuid not null,
    event text not null,
    attempt bigint not null,
    outcome text not null check (outcome in ('delivered', 'failed', 'refused')),
    response_code bigint,
    duration_ms bigint not null,
    error text,
    created_at timestamptz not null
);
create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, created_at);

create table chat_hooks (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    kind text not null check (kind in ('incoming', 'lead')),
    name text not null,
    chat_id uuid references chats(id) on delete cascade,
    pipeline_id uuid references pipelines(id) on delete cascade,
    owner_id uuid references users(id) on delete set null,
    -- SHA-256 of the secret in the URL; the secret itself is shown once.
    token_hash text not null unique,
    created_by uuid references users(id) on delete set null,
    created_at timestamptz not null,
    revoked_at timestamptz
);
create index chat_hooks_workspace on chat_hooks (workspace_id, kind);

create table stage_rules (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    pipeline_id uuid not null references pipelines(id) on delete cascade,
    stage_id uuid not null references stages(id) on delete cascade,
    trigger_kind text not null check (trigger_kind in ('deal_entered_stage', 'deal_idle_in_stage', 'deal_task_overdue')),
    trig jsonb not null,
    action jsonb not null,
    active boolean not null,
    created_by uuid not null references users(id),
    created_at timestamptz not null,
    updated_at timestamptz not null
);
create index stage_rules_stage on stage_rules (stage_id);
create index stage_rules_trigger on stage_rules (trigger_kind) where active;
