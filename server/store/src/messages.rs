//! `MessageStore` for both engines: messages with threads, mentions, edits,
//! reactions and pins, and reading the chat event log. Every change appends its
//! event in the same transaction (see `events.rs` for seq and lock order).

use artel_core::chat::ChatId;
use artel_core::event::{ChatChange, ChatEvent};
use artel_core::message::{
    Appended, HistoryPage, Message, MessageId, NewMessage, Reaction, SendContext, SendContextRequest,
};
use artel_core::ports::store::MessageStore;
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use crate::errors::{backend, not_found};
use crate::rows::{
    messages, prefixed, EventRow, MessageRow, ReactionRow, SendContextRow, CHAT_COLUMNS, MESSAGE_COLUMNS,
};
use crate::send_contexts::context_of;
use crate::{PostgresStore, SqliteStore};

/// Placeholder lists longer than this are split (SQLite caps bound parameters).
pub(crate) const IN_CHUNK: usize = 500;

/// `$first, $first+1, …` for `count` parameters.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// One directed range of a history page: `seq <op> pivot`, read `descending` or not.
struct Range {
    condition: &'static str,
    pivot: i64,
    descending: bool,
}

impl Range {
    fn new(condition: &'static str, pivot: i64, descending: bool) -> Self {
        Self { condition, pivot, descending }
    }
}

macro_rules! impl_message_store {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn message_in_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                id: MessageId,
            ) -> StoreResult<Message> {
                let sql = format!("select {MESSAGE_COLUMNS} from messages where workspace_id = $1 and id = $2");
                let row: MessageRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(not_found("message"))?;
                row.try_into()
            }

            /// Takes the next seq of the message's chat (locking it) and reads the
            /// message under that lock; `NotFound("message")` if missing or deleted.
            async fn lock_live_message(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                id: MessageId,
            ) -> StoreResult<(Message, i64)> {
                let (_chat, seq) = Self::bump_seq_for_message(tx, workspace, id).await?;
                let message = Self::message_in_tx(tx, workspace, id).await?;
                if message.deleted_at.is_some() {
                    return Err(StoreError::NotFound("message"));
                }
                Ok((message, seq))
            }

            async fn insert_mentions(
                tx: &mut sqlx::Transaction<'_, $db>,
                message: MessageId,
                chat: ChatId,
                users: &[UserId],
            ) -> StoreResult<()> {
                for user in users {
                    sqlx::query(
                        "insert into message_mentions (message_id, user_id, chat_id) values ($1, $2, $3) \
                         on conflict (message_id, user_id) do nothing",
                    )
                    .bind(message)
                    .bind(user)
                    .bind(chat)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                }
                Ok(())
            }

            async fn history_part(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                thread: Option<MessageId>,
                range: Range,
                limit: i64,
            ) -> StoreResult<Vec<Message>> {
                if limit <= 0 {
                    return Ok(Vec::new());
                }
                let thread_filter = if thread.is_some() { "thread_root_id = $5" } else { "thread_root_id is null" };
                let Range { condition, pivot, descending } = range;
                let order = if descending { "desc" } else { "asc" };
                let sql = format!(
                    "select {MESSAGE_COLUMNS} from messages \
                     where workspace_id = $1 and chat_id = $2 and {thread_filter} and {condition} \
                     order by seq {order} limit $4"
                );
                let mut query = sqlx::query_as::<_, MessageRow>(&sql).bind(workspace).bind(chat).bind(pivot).bind(limit);
                if let Some(root) = thread {
                    query = query.bind(root);
                }
                let rows = query.fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?;
                let mut page = messages(rows)?;
                if descending {
                    page.reverse();
                }
                self.with_attachments(workspace, &mut page).await?;
                Ok(page)
            }
        }

        impl $store {
            /// Fills the messages' attachments from the read pool.
            async fn with_attachments(&self, workspace: WorkspaceId, messages: &mut [Message]) -> StoreResult<()> {
                if messages.is_empty() {
                    return Ok(());
                }
                let mut conn = self.read.acquire().await?;
                Self::fill_attachments(&mut conn, workspace, messages).await
            }
        }

        #[async_trait]
        impl MessageStore for $store {
            async fn append_messages(&self, batch: &[NewMessage]) -> StoreResult<Vec<Appended>> {
                self.append_batch(batch).await
            }

            async fn send_context(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                author: UserId,
                client_msg_id: Option<&str>,
            ) -> StoreResult<SendContext> {
                // One read instead of three: on SQLite each statement is a hand-off to
                // a reader thread, and sends are the hottest path there is.
                let sql = format!(
                    "select {}, m.role as member_role, m.joined_at as member_joined_at, \
                     m.last_read_seq as member_last_read_seq, x.id as existing_id \
                     from chats c \
                     left join chat_members m on m.chat_id = c.id and m.user_id = $3 and m.workspace_id = $1 \
                     left join messages x on x.author_id = $3 and x.client_msg_id = $4 and x.workspace_id = $1 \
                     where c.workspace_id = $1 and c.id = $2",
                    prefixed(CHAT_COLUMNS, "c")
                );
                let row: Option<SendContextRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(chat)
                    .bind(author)
                    .bind(client_msg_id)
                    .fetch_optional(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                let Some(row) = row else {
                    // No such chat here; a retry may still name a message sent to another chat.
                    let existing = match client_msg_id {
                        Some(key) => self.find_by_client_msg_id(workspace, author, key).await?,
                        None => None,
                    };
                    return Ok(SendContext { existing, chat: None, member: None });
                };
                let (mut context, existing) = context_of(author, row)?;
                if let Some(id) = existing {
                    context.existing = Some(self.get_message(workspace, id).await?);
                }
                Ok(context)
            }

            async fn send_contexts(&self, requests: &[SendContextRequest]) -> StoreResult<Vec<SendContext>> {
                self.read_send_contexts(requests).await
            }

            async fn get_message(&self, workspace: WorkspaceId, id: MessageId) -> StoreResult<Message> {
                let sql = format!("select {MESSAGE_COLUMNS} from messages where workspace_id = $1 and id = $2");
                let row: MessageRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("message"))?;
                let mut message: Message = row.try_into()?;
                self.with_attachments(workspace, std::slice::from_mut(&mut message)).await?;
                Ok(message)
            }

            async fn find_by_client_msg_id(
                &self,
                workspace: WorkspaceId,
                author: UserId,
                client_msg_id: &str,
            ) -> StoreResult<Option<Message>> {
                let sql = format!(
                    "select {MESSAGE_COLUMNS} from messages \
                     where workspace_id = $1 and author_id = $2 and client_msg_id = $3"
                );
                let row: Option<MessageRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(author)
                    .bind(client_msg_id)
                    .fetch_optional(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                let Some(row) = row else { return Ok(None) };
                let mut message: Message = row.try_into()?;
                self.with_attachments(workspace, std::slice::from_mut(&mut message)).await?;
                Ok(Some(message))
            }

            async fn edit_message(
                &self,
                workspace: WorkspaceId,
                id: MessageId,
                body: &str,
                mentions: &[UserId],
                mentions_all: bool,
                now: DateTime<Utc>,
            ) -> StoreResult<(Message, ChatEvent)> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let (old, seq) = Self::lock_live_message(&mut tx, workspace, id).await?;
                sqlx::query("insert into message_edits (message_id, body, edited_at) values ($1, $2, $3)")
                    .bind(id)
                    .bind(&old.body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                sqlx::query(
                    "update messages set body = $3, mentions = $4, mentions_all = $5, edited_at = $6 \
                     where workspace_id = $1 and id = $2",
                )
                .bind(workspace)
                .bind(id)
                .bind(body)
                .bind(Json(mentions))
                .bind(mentions_all)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                sqlx::query("delete from message_mentions where message_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                Self::insert_mentions(&mut tx, id, old.chat_id, mentions).await?;
                let mut message = Message {
                    body: body.to_string(),
                    mentions: mentions.to_vec(),
                    mentions_all,
                    edited_at: Some(now),
                    ..old
                };
                Self::fill_attachments(&mut tx, workspace, std::slice::from_mut(&mut message)).await?;
                let event = Self::record_event(
                    &mut tx,
                    workspace,
                    message.chat_id,
                    seq,
                    now,
                    ChatChange::MessageEdited { message: message.clone() },
                    Some(id),
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok((message, event))
            }

            async fn message_edits(
                &self,
                workspace: WorkspaceId,
                id: MessageId,
            ) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
                let exists: i64 =
                    sqlx::query_scalar("select count(*) from messages where workspace_id = $1 and id = $2")
                        .bind(workspace)
                        .bind(id)
                        .fetch_one(&mut *self.read.acquire().await?)
                        .await
                        .map_err(backend)?;
                if exists == 0 {
                    return Err(StoreError::NotFound("message"));
                }
                sqlx::query_as(
                    "select e.body, e.edited_at from message_edits e join messages m on m.id = e.message_id \
                     where m.workspace_id = $1 and e.message_id = $2 order by e.id",
                )
                .bind(workspace)
                .bind(id)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn delete_message(
                &self,
                workspace: WorkspaceId,
                id: MessageId,
                now: DateTime<Utc>,
            ) -> StoreResult<(Message, ChatEvent)> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let (old, seq) = Self::lock_live_message(&mut tx, workspace, id).await?;
                // A tombstone keeps its place (seq, thread) and nothing of its content:
                // body, mentions, pin, reactions, attachments and earlier versions all go
                // (the caller removes the attachments' files).
                sqlx::query(
                    "update messages set body = '', mentions = '[]', mentions_all = false, deleted_at = $3, \
                     pinned_at = null, pinned_by = null, notice = null where workspace_id = $1 and id = $2",
                )
                .bind(workspace)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                for table in ["message_mentions", "message_reactions", "message_edits", "attachments"] {
                    sqlx::query(&format!("delete from {table} where message_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                // Earlier events carried the body too (created, edited): scrub them.
                let stored: Vec<(i64, Json<ChatChange>)> = sqlx::query_as(
                    "select seq, payload from chat_events where chat_id = $1 and message_id = $2",
                )
                .bind(old.chat_id)
                .bind(id)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
                for (event_seq, Json(mut change)) in stored {
                    let (ChatChange::MessageCreated { message } | ChatChange::MessageEdited { message }) =
                        &mut change
                    else {
                        continue;
                    };
                    message.body.clear();
                    message.mentions.clear();
                    message.mentions_all = false;
                    message.attachments.clear();
                    message.notice = None;
                    message.deleted_at = Some(now);
                    sqlx::query("update chat_events set payload = $3 where chat_id = $1 and seq = $2")
                        .bind(old.chat_id)
                        .bind(event_seq)
                        .bind(Json(&change))
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                let message = Message {
                    body: String::new(),
                    mentions: Vec::new(),
                    mentions_all: false,
                    deleted_at: Some(now),
                    pinned_at: None,
                    attachments: Vec::new(),
                    notice: None,
                    ..old
                };
                let event = Self::record_event(
                    &mut tx,
                    workspace,
                    message.chat_id,
                    seq,
                    now,
                    ChatChange::MessageDeleted { message_id: id, thread_root_id: message.thread_root_id },
                    Some(id),
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok((message, event))
            }

            async fn history(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                thread: Option<MessageId>,
                page: HistoryPage,
                limit: i64,
            ) -> StoreResult<Vec<Message>> {
                let limit = limit.max(0);
                match page {
                    HistoryPage::Latest => {
                        self.history_part(workspace, chat, thread, Range::new("seq > $3", 0, true), limit).await
                    }
                    HistoryPage::Before(seq) => {
                        self.history_part(workspace, chat, thread, Range::new("seq < $3", seq, true), limit).await
                    }
                    HistoryPage::After(seq) => {
                        self.history_part(workspace, chat, thread, Range::new("seq > $3", seq, false), limit).await
                    }
                    HistoryPage::Around(seq) => {
                        let mut page =
                            self.history_part(workspace, chat, thread, Range::new("seq < $3", seq, true), limit / 2).await?;
                        let rest = limit - page.len() as i64;
                        page.extend(
                            self.history_part(workspace, chat, thread, Range::new("seq >= $3", seq, false), rest).await?,
                        );
                        Ok(page)
                    }
                }
            }

            async fn events_since(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                after: i64,
                limit: i64,
            ) -> StoreResult<Vec<ChatEvent>> {
                if limit <= 0 {
                    return Ok(Vec::new());
                }
                let rows: Vec<EventRow> = sqlx::query_as(
                    "select chat_id, seq, workspace_id, payload, created_at from chat_events \
                     where workspace_id = $1 and chat_id = $2 and seq > $3 order by seq limit $4",
                )
                .bind(workspace)
                .bind(chat)
                .bind(after)
                .bind(limit)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(rows.into_iter().map(ChatEvent::from).collect())
            }

            async fn add_reaction(
                &self,
                workspace: WorkspaceId,
                message: MessageId,
                user: UserId,
                emoji: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<ChatEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let (target, seq) = Self::lock_live_message(&mut tx, workspace, message).await?;
                let done = sqlx::query(
                    "insert into message_reactions (message_id, user_id, emoji, created_at) \
                     values ($1, $2, $3, $4) on conflict (message_id, user_id, emoji) do nothing",
                )
                .bind(message)
                .bind(user)
                .bind(emoji)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    tx.rollback().await.map_err(backend)?;
                    return Ok(None);
                }
                let event = Self::record_event(
                    &mut tx,
                    workspace,
                    target.chat_id,
                    seq,
                    now,
                    ChatChange::ReactionAdded { message_id: message, user_id: user, emoji: emoji.to_string() },
                    Some(message),
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(Some(event))
            }

            async fn remove_reaction(
                &self,
                workspace: WorkspaceId,
                message: MessageId,
                user: UserId,
                emoji: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<ChatEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let (target, seq) = Self::lock_live_message(&mut tx, workspace, message).await?;
                let done = sqlx::query(
                    "delete from message_reactions where message_id = $1 and user_id = $2 and emoji = $3",
                )
                .bind(message)
                .bind(user)
                .bind(emoji)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    tx.rollback().await.map_err(backend)?;
                    return Ok(None);
                }
                let event = Self::record_event(
                    &mut tx,
                    workspace,
                    target.chat_id,
                    seq,
                    now,
                    ChatChange::ReactionRemoved { message_id: message, user_id: user, emoji: emoji.to_string() },
                    Some(message),
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(Some(event))
            }

            async fn list_reactions(
                &self,
                workspace: WorkspaceId,
                messages: &[MessageId],
            ) -> StoreResult<Vec<Reaction>> {
                let mut ids: Vec<Uuid> = messages.to_vec();
                ids.sort_unstable();
                ids.dedup();
                let mut out = Vec::new();
                for chunk in ids.chunks(IN_CHUNK) {
                    let sql = format!(
                        "select r.message_id, r.user_id, r.emoji, r.created_at \
                         from message_reactions r join messages m on m.id = r.message_id \
                         where m.workspace_id = $1 and r.message_id in ({})",
                        placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, ReactionRow>(&sql).bind(workspace);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    let rows = query.fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?;
                    out.extend(rows.into_iter().map(Reaction::from));
                }
                out.sort_by(|a, b| {
                    (a.created_at, a.message_id, &a.emoji, a.user_id).cmp(&(
                        b.created_at,
                        b.message_id,
                        &b.emoji,
                        b.user_id,
                    ))
                });
                Ok(out)
            }

            async fn set_pinned(
                &self,
                workspace: WorkspaceId,
                message: MessageId,
                by: UserId,
                pinned: bool,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<ChatEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let (target, seq) = Self::lock_live_message(&mut tx, workspace, message).await?;
                let done = if pinned {
                    sqlx::query(
                        "update messages set pinned_at = $3, pinned_by = $4 \
                         where workspace_id = $1 and id = $2 and pinned_at is null",
                    )
                    .bind(workspace)
                    .bind(message)
                    .bind(now)
                    .bind(by)
                    .execute(&mut *tx)
                    .await
                } else {
                    sqlx::query(
                        "update messages set pinned_at = null, pinned_by = null \
                         where workspace_id = $1 and id = $2 and pinned_at is not null",
                    )
                    .bind(workspace)
                    .bind(message)
                    .execute(&mut *tx)
                    .await
                }
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    tx.rollback().await.map_err(backend)?;
                    return Ok(None);
                }
                let change = if pinned {
                    ChatChange::MessagePinned { message_id: message, by }
                } else {
                    ChatChange::MessageUnpinned { message_id: message, by }
                };
                let event =
                    Self::record_event(&mut tx, workspace, target.chat_id, seq, now, change, Some(message)).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(Some(event))
            }

            async fn list_pinned(&self, workspace: WorkspaceId, chat: ChatId) -> StoreResult<Vec<Message>> {
                let sql = format!(
                    "select {MESSAGE_COLUMNS} from messages where workspace_id = $1 and chat_id = $2 \
                     and pinned_at is not null and deleted_at is null order by pinned_at desc, seq desc"
                );
                let rows: Vec<MessageRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(chat)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                let mut pinned = messages(rows)?;
                self.with_attachments(workspace, &mut pinned).await?;
                Ok(pinned)
            }
        }
    };
}

impl_message_store!(SqliteStore, sqlx::Sqlite);
impl_message_store!(PostgresStore, sqlx::Postgres);
