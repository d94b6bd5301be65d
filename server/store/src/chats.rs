//! `ChatStore` for both engines: chats, members, read marks. Changes that clients
//! must see go to the chat's event log (see `events.rs`) in the same transaction.

use std::collections::HashMap;

use artel_core::chat::{Chat, ChatId, ChatMember, ChatPatch, ChatSummary, MemberRole};
use artel_core::event::{ChatChange, ChatEvent};
use artel_core::message::Message;
use artel_core::ports::store::ChatStore;
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::errors::{backend, not_found, on_unique};
use crate::messages::{placeholders, IN_CHUNK};
use crate::rows::{
    chats, members, messages, prefixed, ChatRow, MemberRow, MessageRow, MyChatRow, CHAT_COLUMNS,
    MEMBER_COLUMNS, MESSAGE_COLUMNS,
};
use crate::{PostgresStore, SqliteStore};

macro_rules! impl_chat_store {
    ($store:ty, $db:ty) => {
        impl $store {
            pub(crate) async fn chat_in_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                id: ChatId,
            ) -> StoreResult<Chat> {
                let sql = format!("select {CHAT_COLUMNS} from chats where workspace_id = $1 and id = $2");
                let row: ChatRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(not_found("chat"))?;
                row.try_into()
            }

            async fn member_in_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                chat: ChatId,
                user: UserId,
            ) -> StoreResult<Option<ChatMember>> {
                let sql = format!(
                    "select {MEMBER_COLUMNS} from chat_members \
                     where workspace_id = $1 and chat_id = $2 and user_id = $3"
                );
                let row: Option<MemberRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(chat)
                    .bind(user)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(backend)?;
                row.map(ChatMember::try_from).transpose()
            }

            /// `NotFound("user")` unless the user belongs to the workspace.
            async fn require_user(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                user: UserId,
            ) -> StoreResult<()> {
                let n: i64 = sqlx::query_scalar("select count(*) from users where id = $1 and workspace_id = $2")
                    .bind(user)
                    .bind(workspace)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(backend)?;
                if n == 0 {
                    return Err(StoreError::NotFound("user"));
                }
                Ok(())
            }

            async fn insert_member(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                member: &ChatMember,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "insert into chat_members (chat_id, user_id, workspace_id, role, joined_at, last_read_seq) \
                     values ($1, $2, $3, $4, $5, $6) on conflict (chat_id, user_id) do nothing",
                )
                .bind(member.chat_id)
                .bind(member.user_id)
                .bind(workspace)
                .bind(member.role.as_str())
                .bind(member.joined_at)
                .bind(member.last_read_seq)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() > 0)
            }
        }

        #[async_trait]
        impl ChatStore for $store {
            async fn create_chat(&self, chat: &Chat, members: &[ChatMember]) -> StoreResult<ChatEvent> {
                let created = Chat { last_seq: 1, ..chat.clone() };
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                sqlx::query(
                    "insert into chats (id, workspace_id, kind, name, description, is_private, direct_key, \
                     created_by, created_at, updated_at, archived_at, last_seq, last_activity_at, \
                     entity_kind, entity_id) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(created.id)
                .bind(created.workspace_id)
                .bind(created.kind.as_str())
                .bind(created.name.as_deref())
                .bind(&created.description)
                .bind(created.is_private)
                .bind(created.direct_key.as_deref())
                .bind(created.created_by)
                .bind(created.created_at)
                .bind(created.updated_at)
                .bind(created.archived_at)
                .bind(created.last_seq)
                .bind(created.last_activity_at)
                .bind(created.entity.map(|e| e.kind.as_str()))
                .bind(created.entity.map(|e| e.id))
                .execute(&mut *tx)
                .await
                .map_err(on_unique(if created.direct_key.is_some() {
                    "direct chat"
                } else if created.entity.is_some() {
                    "entity chat"
                } else {
                    "chat"
                }))?;
                for m in members {
                    Self::require_user(&mut tx, created.workspace_id, m.user_id).await?;
                    let member = ChatMember { chat_id: created.id, ..m.clone() };
                    if !Self::insert_member(&mut tx, created.workspace_id, &member).await? {
                        return Err(StoreError::Conflict("chat member"));
                    }
                }
                let event = Self::record_event(
                    &mut tx,
                    created.workspace_id,
                    created.id,
                    1,
                    created.created_at,
                    ChatChange::ChatUpdated { chat: created.clone() },
                    None,
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(event)
            }

            async fn get_chat(&self, workspace: WorkspaceId, id: ChatId) -> StoreResult<Chat> {
                let sql = format!("select {CHAT_COLUMNS} from chats where workspace_id = $1 and id = $2");
                let row: ChatRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("chat"))?;
                row.try_into()
            }

            async fn find_direct_chat(
                &self,
                workspace: WorkspaceId,
                direct_key: &str,
            ) -> StoreResult<Option<Chat>> {
                let sql =
                    format!("select {CHAT_COLUMNS} from chats where workspace_id = $1 and direct_key = $2");
                let row: Option<ChatRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(direct_key)
                    .fetch_optional(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                row.map(Chat::try_from).transpose()
            }

            async fn update_chat(
                &self,
                workspace: WorkspaceId,
                id: ChatId,
                patch: &ChatPatch,
                now: DateTime<Utc>,
            ) -> StoreResult<(Chat, ChatEvent)> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let seq: i64 = sqlx::query_scalar(
                    "update chats set name = coalesce($3, name), description = coalesce($4, description), \
                     archived_at = case when $5 then $6 else archived_at end, updated_at = $7, \
                     last_seq = last_seq + 1 \
                     where workspace_id = $1 and id = $2 returning last_seq",
                )
                .bind(workspace)
                .bind(id)
                .bind(patch.name.as_deref())
                .bind(patch.description.as_deref())
                .bind(patch.archived_at.is_some())
                .bind(patch.archived_at.flatten())
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
                .ok_or(StoreError::NotFound("chat"))?;
                let chat = Self::chat_in_tx(&mut tx, workspace, id).await?;
                let event = Self::record_event(
                    &mut tx,
                    workspace,
                    id,
                    seq,
                    now,
                    ChatChange::ChatUpdated { chat: chat.clone() },
                    None,
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok((chat, event))
            }

            async fn list_public_channels(&self, workspace: WorkspaceId) -> StoreResult<Vec<Chat>> {
                let sql = format!(
                    "select {CHAT_COLUMNS} from chats where workspace_id = $1 and kind = 'channel' \
                     and is_private = false and archived_at is null"
                );
                let rows: Vec<ChatRow> =
                    sqlx::query_as(&sql).bind(workspace).fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?;
                // By name ignoring case, sorted here for the reason `sort_people` gives.
                let mut channels = chats(rows)?;
                channels.sort_by_cached_key(|c| (c.name.as_deref().map(str::to_lowercase), c.id));
                Ok(channels)
            }

            async fn list_my_chats(
                &self,
                workspace: WorkspaceId,
                user: UserId,
            ) -> StoreResult<Vec<ChatSummary>> {
                let sql = format!(
                    "select {}, m.role as member_role, m.joined_at as member_joined_at, \
                     m.last_read_seq as member_last_read_seq \
                     from chat_members m join chats c on c.id = m.chat_id \
                     where m.workspace_id = $1 and c.workspace_id = $1 and m.user_id = $2 \
                     order by c.last_activity_at desc, c.id",
                    prefixed(CHAT_COLUMNS, "c")
                );
                let rows: Vec<MyChatRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(user)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                // Unread and mention counts of all my chats in one grouped query.
                let counts: Vec<(Uuid, i64, i64)> = sqlx::query_as(
                    "select msg.chat_id, count(*), \
                     coalesce(sum(case when msg.mentions_all or exists (select 1 from message_mentions mm \
                       where mm.message_id = msg.id and mm.user_id = $2) then 1 else 0 end), 0) \
                     from chat_members m join messages msg on msg.chat_id = m.chat_id \
                     where m.workspace_id = $1 and m.user_id = $2 and msg.workspace_id = $1 \
                     and msg.thread_root_id is null and msg.deleted_at is null \
                     and msg.seq > m.last_read_seq \
                     and (msg.author_id is null or msg.author_id <> $2) \
                     group by msg.chat_id",
                )
                .bind(workspace)
                .bind(user)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                let counts: HashMap<Uuid, (i64, i64)> =
                    counts.into_iter().map(|(chat, unread, mentions)| (chat, (unread, mentions))).collect();
                // The newest top-level, not deleted message of each of my chats.
                let sql = format!(
                    "select {} from chat_members m join messages msg on msg.chat_id = m.chat_id \
                     where m.workspace_id = $1 and m.user_id = $2 and msg.workspace_id = $1 \
                     and msg.seq = (select max(x.seq) from messages x where x.chat_id = m.chat_id \
                       and x.thread_root_id is null and x.deleted_at is null)",
                    prefixed(MESSAGE_COLUMNS, "msg")
                );
                let last: Vec<MessageRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(user)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                let mut last = messages(last)?;
                if !last.is_empty() {
                    let mut conn = self.read.acquire().await?;
                    Self::fill_attachments(&mut conn, workspace, &mut last).await?;
                }
                let mut last: HashMap<Uuid, Message> = last.into_iter().map(|m| (m.chat_id, m)).collect();
                rows.into_iter()
                    .map(|row| {
                        let (chat, member) = row.into_parts(user)?;
                        let (unread_count, mention_count) = counts.get(&chat.id).copied().unwrap_or((0, 0));
                        let last_message = last.remove(&chat.id);
                        Ok(ChatSummary { chat, member, unread_count, mention_count, last_message })
                    })
                    .collect()
            }

            async fn member_chat_ids(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Vec<ChatId>> {
                sqlx::query_scalar(
                    "select chat_id from chat_members where workspace_id = $1 and user_id = $2 order by chat_id",
                )
                .bind(workspace)
                .bind(user)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn chat_last_seqs(&self, workspace: WorkspaceId, chats: &[ChatId]) -> StoreResult<Vec<(ChatId, i64)>> {
                let mut out = Vec::with_capacity(chats.len());
                for chunk in chats.chunks(IN_CHUNK) {
                    let sql = format!(
                        "select id, last_seq from chats where workspace_id = $1 and id in ({})",
                        placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, (ChatId, i64)>(&sql).bind(workspace);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    out.extend(query.fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?);
                }
                Ok(out)
            }

            async fn member_chat_names(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Vec<(ChatId, String)>> {
                sqlx::query_as(
                    "select c.id, c.name from chat_members m join chats c on c.id = m.chat_id \
                     where m.workspace_id = $1 and m.user_id = $2 and c.workspace_id = $1 and c.name is not null",
                )
                .bind(workspace)
                .bind(user)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn get_member(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                user: UserId,
            ) -> StoreResult<Option<ChatMember>> {
                let sql = format!(
                    "select {MEMBER_COLUMNS} from chat_members \
                     where workspace_id = $1 and chat_id = $2 and user_id = $3"
                );
                let row: Option<MemberRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(chat)
                    .bind(user)
                    .fetch_optional(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                row.map(ChatMember::try_from).transpose()
            }

            async fn list_members(&self, workspace: WorkspaceId, chat: ChatId) -> StoreResult<Vec<ChatMember>> {
                let sql = format!(
                    "select {MEMBER_COLUMNS} from chat_members where workspace_id = $1 and chat_id = $2 \
                     order by joined_at, user_id"
                );
                let rows: Vec<MemberRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(chat)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                members(rows)
            }

            async fn add_member(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                user: UserId,
                role: MemberRole,
                by: Option<UserId>,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<ChatEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let seq = Self::bump_seq(&mut tx, workspace, chat).await?;
                Self::require_user(&mut tx, workspace, user).await?;
                let member = ChatMember { chat_id: chat, user_id: user, role, joined_at: now, last_read_seq: seq };
                if !Self::insert_member(&mut tx, workspace, &member).await? {
                    // Already a member: give the seq back.
                    tx.rollback().await.map_err(backend)?;
                    return Ok(None);
                }
                let event = Self::record_event(
                    &mut tx,
                    workspace,
                    chat,
                    seq,
                    now,
                    ChatChange::MemberAdded { user_id: user, role, by },
                    None,
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(Some(event))
            }

            async fn remove_member(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                user: UserId,
                by: Option<UserId>,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<ChatEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let seq = Self::bump_seq(&mut tx, workspace, chat).await?;
                let done = sqlx::query(
                    "delete from chat_members where workspace_id = $1 and chat_id = $2 and user_id = $3",
                )
                .bind(workspace)
                .bind(chat)
                .bind(user)
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
                    chat,
                    seq,
                    now,
                    ChatChange::MemberRemoved { user_id: user, by },
                    None,
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(Some(event))
            }

            async fn set_member_role(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                user: UserId,
                role: MemberRole,
            ) -> StoreResult<ChatMember> {
                let sql = format!(
                    "update chat_members set role = $4 where workspace_id = $1 and chat_id = $2 and user_id = $3 \
                     returning {MEMBER_COLUMNS}"
                );
                let row: MemberRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(chat)
                    .bind(user)
                    .bind(role.as_str())
                    .fetch_one(&mut *self.write.acquire().await?)
                    .await
                    .map_err(not_found("member"))?;
                row.try_into()
            }

            async fn mark_read(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                user: UserId,
                seq: i64,
            ) -> StoreResult<ChatMember> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let last_seq: i64 =
                    sqlx::query_scalar("select last_seq from chats where workspace_id = $1 and id = $2")
                        .bind(workspace)
                        .bind(chat)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(not_found("chat"))?;
                let target = seq.max(0).min(last_seq);
                // The condition makes the mark monotonic even against concurrent calls.
                sqlx::query(
                    "update chat_members set last_read_seq = $4 \
                     where workspace_id = $1 and chat_id = $2 and user_id = $3 and last_read_seq < $4",
                )
                .bind(workspace)
                .bind(chat)
                .bind(user)
                .bind(target)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                let member =
                    Self::member_in_tx(&mut tx, workspace, chat, user).await?.ok_or(StoreError::NotFound("member"))?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(member)
            }

            async fn read_by(&self, workspace: WorkspaceId, chat: ChatId, seq: i64) -> StoreResult<Vec<UserId>> {
                sqlx::query_scalar(
                    "select user_id from chat_members \
                     where workspace_id = $1 and chat_id = $2 and last_read_seq >= $3 \
                     order by joined_at, user_id",
                )
                .bind(workspace)
                .bind(chat)
                .bind(seq)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn add_default_chat(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut conn = self.write.acquire().await?;
                // Selected from chats, so a chat of another workspace is never marked.
                let done = sqlx::query(
                    "insert into default_chats (workspace_id, chat_id, created_at) \
                     select workspace_id, id, $3 from chats where workspace_id = $1 and id = $2 \
                     on conflict do nothing",
                )
                .bind(workspace)
                .bind(chat)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    let marked: i64 = sqlx::query_scalar(
                        "select count(*) from default_chats where workspace_id = $1 and chat_id = $2",
                    )
                    .bind(workspace)
                    .bind(chat)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(backend)?;
                    if marked == 0 {
                        return Err(StoreError::NotFound("chat"));
                    }
                }
                Ok(())
            }

            async fn default_chats(&self, workspace: WorkspaceId) -> StoreResult<Vec<ChatId>> {
                sqlx::query_scalar(
                    "select chat_id from default_chats where workspace_id = $1 order by created_at, chat_id",
                )
                .bind(workspace)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }
        }
    };
}

impl_chat_store!(SqliteStore, sqlx::Sqlite);
impl_chat_store!(PostgresStore, sqlx::Postgres);
