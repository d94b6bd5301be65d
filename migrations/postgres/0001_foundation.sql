-- Foundation: workspaces, users, sessions, invites, sign-in rate limiting.

create table server_meta (
    key text primary key,
    value text not null,
    created_at timestamptz not null
);

create table workspaces (
    id uuid primary key,
    name text not null,
    slug text not null unique,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

create table users (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    email text not null,
    name text not null,
    role text not null check (role in ('owner', 'admin', 'member', 'guest')),
    time_zone text not null,
    language text not null check (language in ('ru', 'en')),
    password_hash text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    deactivated_at timestamptz,
    unique (workspace_id, email)
);
create index users_email on users (email);

create table sessions (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    user_agent text,
    ip text,
    created_at timestamptz not null,
    last_used_at timestamptz not null,
    expires_at timestamptz not null,
    revoked_at timestamptz
);
create index sessions_user on sessions (user_id);

create table refresh_tokens (
    id uuid primary key,
    session_id uuid not null references sessions(id) on delete cascade,
    token_hash text not null unique,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    used_at timestamptz
);
create index refresh_tokens_session on refresh_tokens (session_id);

create table invites (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    role text not null check (role in ('owner', 'admin', 'member', 'guest')),
    email text,
    token_hash text not null unique,
    created_by uuid not null references users(id) on delete cascade,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    expires_at timestamptz not null,
    used_at timestamptz,
    used_by uuid references users(id) on delete set null,
    revoked_at timestamptz
);
create index invites_workspace on invites (workspace_id, created_at);

create table login_failures (
    id bigint generated always as identity primary key,
    email text not null,
    ip text not null,
    created_at timestamptz not null
);
create index login_failures_email on login_failures (email, created_at);
create index login_failures_ip on login_failures (ip, created_at);
