-- Bot users and their API tokens (issue 5). A bot is a user row flagged `bot`: it
-- is a member of chats, owns what it creates and shows in history like anyone, but
-- has no password and signs in only with a scoped, revocable API token.
alter table users add column bot boolean not null default 0;

create table api_tokens (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    name text not null,
    -- SHA-256 of the token, hex; the token itself is shown once and never stored.
    token_hash text not null unique,
    -- JSON array of scope names.
    scopes text not null,
    created_by blob references users(id) on delete set null,
    created_at text not null,
    last_used_at text,
    revoked_at text
);
create index api_tokens_user on api_tokens (workspace_id, user_id);
