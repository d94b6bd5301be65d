//! Row shapes as both engines return them, and their conversion to domain types.
//! Enums are stored as text; a value the domain does not know is a backend error.

use artel_core::attachment::{Attachment, ChatFile};
use artel_core::chat::{Chat, ChatMember};
use artel_core::event::{ChatChange, ChatEvent};
use artel_core::invite::Invite;
use artel_core::message::{Message, Reaction};
use artel_core::notice::Notice;
use artel_core::session::Session;
use artel_core::user::User;
use artel_core::workspace::Workspace;
use artel_core::StoreError;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

pub(crate) const WORKSPACE_COLUMNS: &str =
    "id, name, slug, deal_visibility, phone_region, default_currency, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct WorkspaceRow {
    id: Uuid,
    name: String,
    slug: String,
    deal_visibility: String,
    phone_region: String,
    default_currency: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<WorkspaceRow> for Workspace {
    type Error = StoreError;
    fn try_from(r: WorkspaceRow) -> Result<Self, StoreError> {
        Ok(Workspace {
            id: r.id,
            name: r.name,
            slug: r.slug,
            settings: artel_core::workspace::WorkspaceSettings {
                deal_visibility: r.deal_visibility.parse().map_err(StoreError::Backend)?,
                phone_region: r.phone_region,
                default_currency: r.default_currency,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub(crate) const USER_COLUMNS: &str = "id, workspace_id, email, name, role, time_zone, language, \
     password_hash, created_at, updated_at, deactivated_at, bot";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    workspace_id: Uuid,
    email: String,
    name: String,
    role: String,
    time_zone: String,
    language: String,
    password_hash: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deactivated_at: Option<DateTime<Utc>>,
    bot: bool,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: r.id,
            workspace_id: r.workspace_id,
            email: r.email,
            name: r.name,
            role: r.role.parse().map_err(StoreError::Backend)?,
            time_zone: r.time_zone,
            language: r.language.parse().map_err(StoreError::Backend)?,
            password_hash: r.password_hash,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deactivated_at: r.deactivated_at,
            bot: r.bot,
        })
    }
}

pub(crate) fn users(rows: Vec<UserRow>) -> Result<Vec<User>, StoreError> {
    rows.into_iter().map(User::try_from).collect()
}

/// People (and bots) in the order their lists promise: active first, then by
/// name ignoring case, then id. Sorted here, not in SQL: SQLite's `lower()` folds
/// ASCII only and Postgres's every script, so `order by lower(name)` put
/// Cyrillic names in different orders on the two engines.
pub(crate) fn sort_people(users: &mut [User]) {
    users.sort_by_cached_key(|u| (u.deactivated_at.is_some(), u.name.to_lowercase(), u.id));
}

pub(crate) const SESSION_COLUMNS: &str =
    "id, workspace_id, user_id, user_agent, ip, created_at, last_used_at, expires_at, revoked_at";

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: Uuid,
    workspace_id: Uuid,
    user_id: Uuid,
    user_agent: Option<String>,
    ip: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            id: r.id,
            workspace_id: r.workspace_id,
            user_id: r.user_id,
            user_agent: r.user_agent,
            ip: r.ip,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

pub(crate) const INVITE_COLUMNS: &str = "id, workspace_id, role, email, token_hash, created_by, \
     created_at, expires_at, used_at, used_by, revoked_at";

#[derive(sqlx::FromRow)]
pub(crate) struct InviteRow {
    id: Uuid,
    workspace_id: Uuid,
    role: String,
    email: Option<String>,
    token_hash: String,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    used_by: Option<Uuid>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<InviteRow> for Invite {
    type Error = StoreError;
    fn try_from(r: InviteRow) -> Result<Self, StoreError> {
        Ok(Invite {
            id: r.id,
            workspace_id: r.workspace_id,
            role: r.role.parse().map_err(StoreError::Backend)?,
            email: r.email,
            token_hash: r.token_hash,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
            used_by: r.used_by,
            revoked_at: r.revoked_at,
        })
    }
}

pub(crate) const CHAT_COLUMNS: &str = "id, workspace_id, kind, name, description, is_private, direct_key, \
     entity_kind, entity_id, created_by, created_at, updated_at, archived_at, last_seq, last_activity_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ChatRow {
    id: Uuid,
    workspace_id: Uuid,
    kind: String,
    name: Option<String>,
    description: String,
    is_private: bool,
    direct_key: Option<String>,
    entity_kind: Option<String>,
    entity_id: Option<Uuid>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
    last_seq: i64,
    last_activity_at: DateTime<Utc>,
}

impl TryFrom<ChatRow> for Chat {
    type Error = StoreError;
    fn try_from(r: ChatRow) -> Result<Self, StoreError> {
        Ok(Chat {
            id: r.id,
            workspace_id: r.workspace_id,
            kind: r.kind.parse().map_err(StoreError::Backend)?,
            name: r.name,
            description: r.description,
            is_private: r.is_private,
            direct_key: r.direct_key,
            entity: match (r.entity_kind, r.entity_id) {
                (Some(kind), Some(id)) => Some(artel_core::crm::entity::EntityRef {
                    kind: kind.parse().map_err(StoreError::Backend)?,
                    id,
                }),
                _ => None,
            },
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            archived_at: r.archived_at,
            last_seq: r.last_seq,
            last_activity_at: r.last_activity_at,
        })
    }
}

pub(crate) fn chats(rows: Vec<ChatRow>) -> Result<Vec<Chat>, StoreError> {
    rows.into_iter().map(Chat::try_from).collect()
}

pub(crate) const MEMBER_COLUMNS: &str = "chat_id, user_id, role, joined_at, last_read_seq";

#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    chat_id: Uuid,
    user_id: Uuid,
    role: String,
    joined_at: DateTime<Utc>,
    last_read_seq: i64,
}

impl TryFrom<MemberRow> for ChatMember {
    type Error = StoreError;
    fn try_from(r: MemberRow) -> Result<Self, StoreError> {
        Ok(ChatMember {
            chat_id: r.chat_id,
            user_id: r.user_id,
            role: r.role.parse().map_err(StoreError::Backend)?,
            joined_at: r.joined_at,
            last_read_seq: r.last_read_seq,
        })
    }
}

pub(crate) fn members(rows: Vec<MemberRow>) -> Result<Vec<ChatMember>, StoreError> {
    rows.into_iter().map(ChatMember::try_from).collect()
}

/// A chat joined with the reader's membership ("my chats").
#[derive(sqlx::FromRow)]
pub(crate) struct MyChatRow {
    #[sqlx(flatten)]
    pub(crate) chat: ChatRow,
    pub(crate) member_role: String,
    pub(crate) member_joined_at: DateTime<Utc>,
    pub(crate) member_last_read_seq: i64,
}

/// A chat with what a send by one author needs next to it: the author's
/// membership (all `None` if not a member) and the id of the author's message
/// with the send's `client_msg_id`, if any.
#[derive(sqlx::FromRow)]
pub(crate) struct SendContextRow {
    #[sqlx(flatten)]
    pub(crate) chat: ChatRow,
    pub(crate) member_role: Option<String>,
    pub(crate) member_joined_at: Option<DateTime<Utc>>,
    pub(crate) member_last_read_seq: Option<i64>,
    pub(crate) existing_id: Option<Uuid>,
}

pub(crate) const MESSAGE_COLUMNS: &str = "id, workspace_id, chat_id, seq, author_id, kind, body, \
     thread_root_id, client_msg_id, mentions, mentions_all, created_at, edited_at, deleted_at, pinned_at, \
     reply_count, last_reply_at, notice";

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: Uuid,
    workspace_id: Uuid,
    chat_id: Uuid,
    seq: i64,
    author_id: Option<Uuid>,
    kind: String,
    body: String,
    thread_root_id: Option<Uuid>,
    client_msg_id: Option<String>,
    mentions: Json<Vec<Uuid>>,
    mentions_all: bool,
    created_at: DateTime<Utc>,
    edited_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    pinned_at: Option<DateTime<Utc>>,
    reply_count: i64,
    last_reply_at: Option<DateTime<Utc>>,
    notice: Option<Json<serde_json::Value>>,
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;
    fn try_from(r: MessageRow) -> Result<Self, StoreError> {
        Ok(Message {
            id: r.id,
            workspace_id: r.workspace_id,
            chat_id: r.chat_id,
            seq: r.seq,
            author_id: r.author_id,
            kind: r.kind.parse().map_err(StoreError::Backend)?,
            body: r.body,
            thread_root_id: r.thread_root_id,
            client_msg_id: r.client_msg_id,
            mentions: r.mentions.0,
            mentions_all: r.mentions_all,
            created_at: r.created_at,
            edited_at: r.edited_at,
            deleted_at: r.deleted_at,
            pinned_at: r.pinned_at,
            reply_count: r.reply_count,
            last_reply_at: r.last_reply_at,
            // Read separately (see `attachments.rs`).
            attachments: Vec::new(),
            notice: r.notice.and_then(|Json(v)| Notice::from_json(v)),
        })
    }
}

pub(crate) fn messages(rows: Vec<MessageRow>) -> Result<Vec<Message>, StoreError> {
    rows.into_iter().map(Message::try_from).collect()
}

pub(crate) const ATTACHMENT_COLUMNS: &str = "id, workspace_id, chat_id, uploader_id, message_id, filename, \
     content_type, size_bytes, sha256, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct AttachmentRow {
    id: Uuid,
    workspace_id: Uuid,
    chat_id: Uuid,
    uploader_id: Uuid,
    message_id: Option<Uuid>,
    filename: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    created_at: DateTime<Utc>,
}

/// A chat file: the attachment's columns (as `a`) with its message's (`m`) seq and time.
pub(crate) const CHAT_FILE_COLUMNS: &str = "a.id, a.workspace_id, a.chat_id, a.uploader_id, a.message_id, \
     a.filename, a.content_type, a.size_bytes, a.sha256, a.created_at, a.position, m.seq, \
     m.created_at as sent_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ChatFileRow {
    #[sqlx(flatten)]
    attachment: AttachmentRow,
    position: i32,
    seq: i64,
    sent_at: DateTime<Utc>,
}

impl From<ChatFileRow> for ChatFile {
    fn from(r: ChatFileRow) -> Self {
        ChatFile { attachment: r.attachment.into(), seq: r.seq, position: r.position, sent_at: r.sent_at }
    }
}

impl From<AttachmentRow> for Attachment {
    fn from(r: AttachmentRow) -> Self {
        Attachment {
            id: r.id,
            workspace_id: r.workspace_id,
            chat_id: r.chat_id,
            uploader_id: r.uploader_id,
            message_id: r.message_id,
            filename: r.filename,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReactionRow {
    message_id: Uuid,
    user_id: Uuid,
    emoji: String,
    created_at: DateTime<Utc>,
}

impl From<ReactionRow> for Reaction {
    fn from(r: ReactionRow) -> Self {
        Reaction { message_id: r.message_id, user_id: r.user_id, emoji: r.emoji, created_at: r.created_at }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    chat_id: Uuid,
    seq: i64,
    workspace_id: Uuid,
    payload: Json<ChatChange>,
    created_at: DateTime<Utc>,
}

impl From<EventRow> for ChatEvent {
    fn from(r: EventRow) -> Self {
        ChatEvent {
            workspace_id: r.workspace_id,
            chat_id: r.chat_id,
            seq: r.seq,
            created_at: r.created_at,
            change: r.payload.0,
        }
    }
}

impl MyChatRow {
    /// The chat and the reader's membership in it.
    pub(crate) fn into_parts(self, user: Uuid) -> Result<(Chat, ChatMember), StoreError> {
        let chat = Chat::try_from(self.chat)?;
        let member = ChatMember {
            chat_id: chat.id,
            user_id: user,
            role: self.member_role.parse().map_err(StoreError::Backend)?,
            joined_at: self.member_joined_at,
            last_read_seq: self.member_last_read_seq,
        };
        Ok((chat, member))
    }
}

/// `"a, b"` → `"x.a, x.b"`, for column lists used in joins.
pub(crate) fn prefixed(columns: &str, alias: &str) -> String {
    columns.split(',').map(|c| format!("{alias}.{}", c.trim())).collect::<Vec<_>>().join(", ")
}
