-- Bot users and their API tokens (issue 5). A bot is a user row flagged `bot`: it
-- is a member of chats, owns what it creates and shows in history like anyone, but
-- has no password and signs in only with a scoped, revocable API token.
alter table users add column bot boolean not null default false;

create table api_tokens (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    name text not null,
    -- SHA-256 of the token, hex; the token itself is shown once and never stored.
    token_hash text not null unique,
    -- JSON array of scope names.
    scopes jsonb not null,
    created_by uuid references users(id) on delete set null,
    created_at timestamptz not null,
    last_used_at timestamptz,
    revoked_at timestamptz
);
create index api_tokens_user on api_tokens (workspace_id, user_id);
