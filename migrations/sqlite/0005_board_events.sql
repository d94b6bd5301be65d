-- Live deal boards: each pipeline has a gap-free event sequence, like a chat.

alter table pipelines add column last_seq integer not null default 0;

create table board_events (
    pipeline_id blob not null references pipelines(id) on delete cascade,
    seq integer not null,
    workspace_id blob not null references workspaces(id) on delete cascade,
    payload text not null,
    created_at text not null,
    primary key (pipeline_id, seq)
);
