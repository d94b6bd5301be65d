-- Live deal boards: each pipeline has a gap-free event sequence, like a chat.

alter table pipelines add column last_seq bigint not null default 0;

create table board_events (
    pipeline_id uuid not null references pipelines(id) on delete cascade,
    seq bigint not null,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    payload jsonb not null,
    created_at timestamptz not null,
    primary key (pipeline_id, seq)
);
