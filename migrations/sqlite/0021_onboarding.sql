-- Onboarding: the channel every new member joins, and admin-made password resets.

-- Channels a new member is added to on accepting an invite (the default "general"
-- channel a new workspace gets). Workspaces made before this have none.
create table default_chats (
    workspace_id blob not null references workspaces(id) on delete cascade,
    chat_id blob not null references chats(id) on delete cascade,
    created_at text not null,
    primary key (workspace_id, chat_id)
);

-- One-time links an owner or admin makes so a person can set a new password
-- (no e-mail relay needed). Only the SHA-256 of the secret is kept, as for invites.
create table password_resets (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    created_by blob not null references users(id) on delete cascade,
    token_hash text not null unique,
    created_at text not null,
    expires_at text not null,
    used_at text
);
create index password_resets_user on password_resets (workspace_id, user_id);
