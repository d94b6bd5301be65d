//! `AttachmentStore` for both engines, and what `MessageStore` uses to link
//! attachments to a new message (in its transaction) and to read them back with
//! messages.

use std::collections::HashMap;

use artel_core::attachment::{
    Attachment, AttachmentId, AttachmentInfo, ChatFile, ChatFileCursor, MAX_ATTACHMENTS_PER_MESSAGE,
};
use artel_core::chat::ChatId;
use artel_core::message::{Message, MessageId, NewMessage};
use artel_core::ports::store::AttachmentStore;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use uuid::Uuid;

use crate::errors::{backend, not_found, on_unique};
use crate::messages::{placeholders, IN_CHUNK};
use crate::rows::{AttachmentRow, ChatFileRow, ATTACHMENT_COLUMNS, CHAT_FILE_COLUMNS};
use crate::{PostgresStore, SqliteStore};

fn cannot_link(reason: &'static str) -> StoreError {
    StoreError::Invalid { field: "attachment_ids", reason }
}

macro_rules! impl_attachment_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Attachments linked to these messages, by message, then in their order.
            pub(crate) async fn attachments_of(
                conn: &mut <$db as sqlx::Database>::Connection,
                workspace: WorkspaceId,
                messages: &[MessageId],
            ) -> StoreResult<Vec<Attachment>> {
                let mut ids: Vec<Uuid> = messages.to_vec();
                ids.sort_unstable();
                ids.dedup();
                let mut out = Vec::new();
                for chunk in ids.chunks(IN_CHUNK) {
                    let sql = format!(
                        "select {ATTACHMENT_COLUMNS} from attachments \
                         where workspace_id = $1 and message_id in ({}) order by message_id, position",
                        placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, AttachmentRow>(&sql).bind(workspace);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    let rows = query.fetch_all(&mut *conn).await.map_err(backend)?;
                    out.extend(rows.into_iter().map(Attachment::from));
                }
                Ok(out)
            }

            /// Sets each message's `attachments` to what is linked to it.
            pub(crate) async fn fill_attachments(
                conn: &mut <$db as sqlx::Database>::Connection,
                workspace: WorkspaceId,
                messages: &mut [Message],
            ) -> StoreResult<()> {
                if messages.is_empty() {
                    return Ok(());
                }
                let ids: Vec<MessageId> = messages.iter().map(|m| m.id).collect();
                let mut linked: HashMap<MessageId, Vec<AttachmentInfo>> = HashMap::new();
                for attachment in Self::attachments_of(conn, workspace, &ids).await? {
                    if let Some(message) = attachment.message_id {
                        linked.entry(message).or_default().push(attachment.info());
                    }
                }
                for message in messages.iter_mut() {
                    message.attachments = linked.remove(&message.id).unwrap_or_default();
                }
                Ok(())
            }

            /// Links a new message's attachments to it, in the given order, inside
            /// its transaction (after its row is written). Every one must be an
            /// unlinked upload of the message's author in the message's chat; a
            /// repeated id fails too, as its second link finds it linked.
            pub(crate) async fn link_attachments(
                tx: &mut sqlx::Transaction<'_, $db>,
                message: &NewMessage,
            ) -> StoreResult<Vec<AttachmentInfo>> {
                if message.attachment_ids.is_empty() {
                    return Ok(Vec::new());
                }
                if message.attachment_ids.len() > MAX_ATTACHMENTS_PER_MESSAGE {
                    return Err(cannot_link("lists too many attachments"));
                }
                let Some(author) = message.author_id else {
                    return Err(cannot_link("can only be sent by the uploader"));
                };
                let mut out = Vec::with_capacity(message.attachment_ids.len());
                for (position, id) in message.attachment_ids.iter().enumerate() {
                    let linked: Option<(Uuid, String, String, i64)> = sqlx::query_as(
                        "update attachments set message_id = $1, position = $2 \
                         where id = $3 and workspace_id = $4 and chat_id = $5 and uploader_id = $6 \
                         and message_id is null \
                         returning id, filename, content_type, size_bytes",
                    )
                    .bind(message.id)
                    .bind(i32::try_from(position).unwrap_or(i32::MAX))
                    .bind(*id)
                    .bind(message.workspace_id)
                    .bind(message.chat_id)
                    .bind(author)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(backend)?;
                    let Some((id, filename, content_type, size_bytes)) = linked else {
                        return Err(cannot_link(
                            "must name your own uploads to this chat that were not sent yet, each once",
                        ));
                    };
                    out.push(AttachmentInfo { id, filename, content_type, size_bytes });
                }
                Ok(out)
            }
        }

        #[async_trait]
        impl AttachmentStore for $store {
            async fn create_attachment(&self, a: &Attachment) -> StoreResult<()> {
                // Chat and uploader must be of the attachment's workspace.
                let done = sqlx::query(
                    "insert into attachments (id, workspace_id, chat_id, uploader_id, filename, \
                     content_type, size_bytes, sha256, created_at) \
                     select $1, $2, $3, $4, $5, $6, $7, $8, $9 \
                     where exists (select 1 from chats where id = $3 and workspace_id = $2) \
                     and exists (select 1 from users where id = $4 and workspace_id = $2)",
                )
                .bind(a.id)
                .bind(a.workspace_id)
                .bind(a.chat_id)
                .bind(a.uploader_id)
                .bind(&a.filename)
                .bind(&a.content_type)
                .bind(a.size_bytes)
                .bind(&a.sha256)
                .bind(a.created_at)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(on_unique("attachment"))?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("chat"));
                }
                Ok(())
            }

            async fn get_attachment(
                &self,
                workspace: WorkspaceId,
                id: AttachmentId,
            ) -> StoreResult<Attachment> {
                let sql = format!(
                    "select {ATTACHMENT_COLUMNS} from attachments where workspace_id = $1 and id = $2"
                );
                let row: AttachmentRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("attachment"))?;
                Ok(row.into())
            }

            async fn list_attachments(
                &self,
                workspace: WorkspaceId,
                messages: &[MessageId],
            ) -> StoreResult<Vec<Attachment>> {
                if messages.is_empty() {
                    return Ok(Vec::new());
                }
                let mut conn = self.read.acquire().await?;
                Self::attachments_of(&mut conn, workspace, messages).await
            }

            async fn list_chat_files(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                after: Option<ChatFileCursor>,
                limit: i64,
            ) -> StoreResult<Vec<ChatFile>> {
                // Without a cursor the page starts past the newest possible file.
                let (seq, position) = after.map_or((i64::MAX, -1), |c| (c.seq, c.position));
                let sql = format!(
                    "select {CHAT_FILE_COLUMNS} from attachments a \
                     join messages m on m.id = a.message_id \
                     where a.workspace_id = $1 and a.chat_id = $2 and a.message_id is not null \
                     and m.workspace_id = $1 and m.chat_id = $2 and m.deleted_at is null \
                     and (m.seq < $3 or (m.seq = $3 and a.position > $4)) \
                     order by m.seq desc, a.position asc limit $5"
                );
                let rows: Vec<ChatFileRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(chat)
                    .bind(seq)
                    .bind(position)
                    .bind(limit.max(0))
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(rows.into_iter().map(ChatFile::from).collect())
            }
        }
    };
}

impl_attachment_store!(SqliteStore, sqlx::Sqlite);
impl_attachment_store!(PostgresStore, sqlx::Postgres);
