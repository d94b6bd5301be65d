-- Foundation: workspaces, users, sessions, invites, sign-in rate limiting.
-- Ids are UUIDv7 stored as 16-byte blobs; times are RFC 3339 UTC text.

create table server_meta (
    key text primary key,
    value text not null,
    created_at text not null
);

create table workspaces (
    id blob primary key,
    name text not null,
    slug text not null unique,
    created_at text not null,
    updated_at text not null
);

create table users (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    email text not null,
    name text not null,
    role text not null check (role in ('owner', 'admin', 'member', 'guest')),
    time_zone text not null,
    language text not null check (language in ('ru', 'en')),
    password_hash text not null,
    created_at text not null,
    updated_at text not null,
    deactivated_at text,
    unique (workspace_id, email)
);
create index users_email on users (email);

create table sessions (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    user_agent text,
    ip text,
    created_at text not null,
    last_used_at text not null,
    expires_at text not null,
    revoked_at text
);
create index sessions_user on sessions (user_id);

create table refresh_tokens (
    id blob primary key,
    session_id blob not null references sessions(id) on delete cascade,
    token_hash text not null unique,
    created_at text not null,
    expires_at text not null,
    used_at text
);
create index refresh_tokens_session on refresh_tokens (session_id);

create table invites (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    role text not null check (role in ('owner', 'admin', 'member', 'guest')),
    email text,
    token_hash text not null unique,
    created_by blob not null references users(id) on delete cascade,
    created_at text not null,
    updated_at text not null,
    expires_at text not null,
    used_at text,
    used_by blob references users(id) on delete set null,
    revoked_at text
);
create index invites_workspace on invites (workspace_id, created_at);

create table login_failures (
    id integer primary key autoincrement,
    email text not null,
    ip text not null,
    created_at text not null
);
create index login_failures_email on login_failures (email, created_at);
create index login_failures_ip on login_failures (ip, created_at);
