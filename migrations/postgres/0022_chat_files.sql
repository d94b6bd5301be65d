-- A chat's files list (GET /chats/{id}/files): the sent attachments of one chat.
create index attachments_chat on attachments (chat_id, message_id) where message_id is not null;
