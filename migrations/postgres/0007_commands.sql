-- Slash-command runs: a retry with the same client_msg_id replays the stored
-- outcome instead of running again (the partial unique index makes the claim
-- atomic), and /undo reverts the issuer's last run from its undo record.

create table command_runs (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    chat_id uuid not null references chats(id) on delete cascade,
    client_msg_id text,
    command text not null,
    line text not null,
    outcome jsonb,
    undo jsonb,
    created_at timestamptz not null,
    finished_at timestamptz,
    undone_at timestamptz
);
create unique index command_runs_key on command_runs (workspace_id, user_id, client_msg_id)
    where client_msg_id is not null;
create index command_runs_user on command_runs (workspace_id, user_id, created_at);
