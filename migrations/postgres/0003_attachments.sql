-- Attachments: files uploaded into a chat, linked to one message when it is sent.
-- The bytes live in the data dir (uploads/<workspace>/<xx>/<id>), not here.

create table attachments (
    id uuid primary key,
    workspace_id uuid not null references workspaces(id) on delete cascade,
    chat_id uuid not null references chats(id) on delete cascade,
    uploader_id uuid not null references users(id) on delete cascade,
    -- Null until the uploader sends a message with it.
    message_id uuid references messages(id) on delete cascade,
    -- Order among the message's attachments.
    position integer not null default 0,
    filename text not null,
    -- Sniffed from the bytes at upload.
    content_type text not null,
    size_bytes bigint not null,
    sha256 text not null,
    created_at timestamptz not null
);
create index attachments_message on attachments (message_id, position);
-- Uploads never sent, oldest first (for clean-up).
create index attachments_unlinked on attachments (created_at) where message_id is null;
