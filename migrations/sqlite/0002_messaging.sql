-- Messaging: chats, members and read state, messages with threads, mentions,
-- edits, reactions and pins, and the per-chat event log with its gap-free seq.
-- Ids are UUIDv7 blobs, times RFC 3339 UTC text, JSON as text.

create table chats (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    kind text not null check (kind in ('channel', 'direct', 'group')),
    name text,
    description text not null default '',
    is_private boolean not null,
    direct_key text,
    created_by blob not null references users(id),
    created_at text not null,
    updated_at text not null,
    archived_at text,
    -- Seq of the chat's latest event; bumped in every event-producing transaction.
    last_seq bigint not null default 0,
    last_activity_at text not null,
    unique (workspace_id, direct_key)
);
create index chats_workspace on chats (workspace_id, kind);

create table chat_members (
    chat_id blob not null references chats(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    workspace_id blob not null references workspaces(id) on delete cascade,
    role text not null check (role in ('owner', 'admin', 'member')),
    joined_at text not null,
    last_read_seq bigint not null default 0,
    primary key (chat_id, user_id)
);
create index chat_members_user on chat_members (user_id);

create table messages (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    chat_id blob not null references chats(id) on delete cascade,
    seq bigint not null,
    author_id blob references users(id) on delete set null,
    kind text not null check (kind in ('user', 'system', 'command_result', 'bot')),
    body text not null,
    thread_root_id blob references messages(id) on delete cascade,
    client_msg_id text,
    -- JSON array of mentioned user ids.
    mentions text not null default '[]',
    mentions_all boolean not null default false,
    created_at text not null,
    edited_at text,
    deleted_at text,
    pinned_at text,
    pinned_by blob references users(id) on delete set null,
    reply_count bigint not null default 0,
    last_reply_at text,
    unique (chat_id, seq),
    -- NULLs never collide: system messages and clients without a key are not constrained.
    unique (author_id, client_msg_id)
);
create index messages_thread on messages (chat_id, thread_root_id, seq);
create index messages_pinned on messages (chat_id, pinned_at);

create table message_mentions (
    message_id blob not null references messages(id) on delete cascade,
    user_id blob not null,
    chat_id blob not null references chats(id) on delete cascade,
    primary key (message_id, user_id)
);
create index message_mentions_user on message_mentions (user_id, chat_id);

create table message_edits (
    id integer primary key autoincrement,
    message_id blob not null references messages(id) on delete cascade,
    body text not null,
    edited_at text not null
);
create index message_edits_message on message_edits (message_id, id);

create table message_reactions (
    message_id blob not null references messages(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    emoji text not null,
    created_at text not null,
    primary key (message_id, user_id, emoji)
);

create table chat_events (
    chat_id blob not null references chats(id) on delete cascade,
    seq bigint not null,
    workspace_id blob not null references workspaces(id) on delete cascade,
    -- The message the event is about, if any (to scrub bodies on delete).
    message_id blob,
    -- JSON of the `ChatChange`.
    payload text not null,
    created_at text not null,
    primary key (chat_id, seq)
);
create index chat_events_message on chat_events (message_id);
