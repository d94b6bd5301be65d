-- Web Push: browser subscriptions per user device, notification settings, chat
-- mutes, which chat each open client is looking at (short-lived, shared by the
-- nodes of a cluster), and the durable delivery queue (one row per subscription
-- and notification tag; claimed with a lease so one node sends it; a burst for
-- the same tag collapses into the pending row's count).

create table push_subscriptions (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    -- One browser push endpoint belongs to one account at a time.
    endpoint text not null unique,
    p256dh text not null,
    auth text not null,
    device text,
    created_at text not null,
    updated_at text not null
);
create index push_subscriptions_user on push_subscriptions (user_id);

create table notification_settings (
    user_id blob primary key references users(id) on delete cascade,
    workspace_id blob not null references workspaces(id) on delete cascade,
    hide_text boolean not null,
    -- "HH:MM" in the user's time zone; both null = no do-not-disturb hours.
    dnd_from text,
    dnd_to text,
    kinds text not null,
    created_at text not null,
    updated_at text not null
);

create table chat_mutes (
    chat_id blob not null references chats(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    workspace_id blob not null references workspaces(id) on delete cascade,
    created_at text not null,
    primary key (chat_id, user_id)
);

create table push_focus (
    -- One row per open socket that has a chat in view; refreshed while it lives.
    conn_id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    chat_id blob not null references chats(id) on delete cascade,
    expires_at text not null
);
create index push_focus_user on push_focus (user_id, chat_id);

create table push_queue (
    id blob primary key,
    workspace_id blob not null references workspaces(id) on delete cascade,
    user_id blob not null references users(id) on delete cascade,
    subscription_id blob not null references push_subscriptions(id) on delete cascade,
    tag text not null,
    kind text not null,
    payload text not null,
    count integer not null,
    status text not null check (status in ('pending', 'sending', 'sent', 'failed')),
    run_at text not null,
    attempts integer not null,
    lease_owner blob,
    lease_until text,
    -- When it was last handed to the push service (collapse window).
    sent_at text,
    last_status integer,
    last_error text,
    created_at text not null,
    updated_at text not null
);
create unique index push_queue_one_pending on push_queue (subscription_id, tag) where status = 'pending';
create index push_queue_due on push_queue (run_at) where status in ('pending', 'sending');
create index push_queue_recent on push_queue (subscription_id, tag, sent_at);
