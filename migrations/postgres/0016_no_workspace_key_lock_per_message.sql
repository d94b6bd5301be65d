-- Messages and chat events reach their workspace through their chat
-- (chats.workspace_id references workspaces on delete cascade, and both tables
-- reference their chat on delete cascade), so their own workspace foreign keys
-- only repeated that. Each inserted row paid for them: a trigger that looks the
-- workspace up and takes a KEY SHARE lock on its row, one row shared by every
-- send of the workspace (a multixact whenever two transactions hold it, e.g. two
-- nodes' group commits). See BENCHMARKS.md, two nodes.
alter table messages drop constraint messages_workspace_id_fkey;
alter table chat_events drop constraint chat_events_workspace_id_fkey;
