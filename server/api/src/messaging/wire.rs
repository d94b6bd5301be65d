//! Wire shapes of chats, messages and chat events, shared by the REST API and the
//! WebSocket hub. Messages carry both their markdown source and sanitised HTML.

use artel_core::attachment::{Attachment, AttachmentInfo};
use artel_core::chat::{Chat, ChatKind, ChatSummary, MemberRole};
use artel_core::event::{ChatChange, ChatEvent};
use artel_core::message::{Message, MessageKind, Reaction};
use artel_core::notice::Notice;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::messaging::render::markdown_to_html;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatDto {
    pub id: Uuid,
    pub kind: ChatKind,
    pub name: Option<String>,
    pub description: String,
    pub is_private: bool,
    /// For direct chats: the two participants.
    pub direct_user_ids: Option<Vec<Uuid>>,
    /// The deal, contact, company or task this chat is about.
    pub entity: Option<artel_core::crm::entity::EntityRef>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Seq of the chat's latest event; a client holding less has something to fetch.
    pub last_seq: i64,
    pub last_activity_at: DateTime<Utc>,
}

impl From<&Chat> for ChatDto {
    fn from(c: &Chat) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            name: c.name.clone(),
            description: c.description.clone(),
            is_private: c.is_private,
            direct_user_ids: c
                .direct_key
                .as_deref()
                .map(|k| k.split(':').filter_map(|id| id.parse().ok()).collect()),
            entity: c.entity,
            created_by: c.created_by,
            created_at: c.created_at,
            archived_at: c.archived_at,
            last_seq: c.last_seq,
            last_activity_at: c.last_activity_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReactionGroup {
    pub emoji: String,
    pub count: usize,
    pub user_ids: Vec<Uuid>,
}

/// A file: uploaded, or sent with a message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: Uuid,
    /// Sanitised name of the uploaded file.
    pub filename: String,
    /// Sniffed from the file's bytes at upload.
    pub content_type: String,
    pub size_bytes: i64,
    /// Where members of the chat download it (with their bearer token).
    pub url: String,
}

impl AttachmentDto {
    /// The download path of an attachment, relative to the server.
    pub fn url_of(id: Uuid) -> String {
        format!("/api/v1/attachments/{id}")
    }
}

impl From<&AttachmentInfo> for AttachmentDto {
    fn from(a: &AttachmentInfo) -> Self {
        Self {
            id: a.id,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            url: Self::url_of(a.id),
        }
    }
}

impl From<&Attachment> for AttachmentDto {
    fn from(a: &Attachment) -> Self {
        Self::from(&a.info())
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: Uuid,
    pub chat_id: Uuid,
    pub seq: i64,
    pub author_id: Option<Uuid>,
    pub kind: MessageKind,
    /// Markdown source (empty once deleted).
    pub body: String,
    /// Sanitised HTML rendering of `body`.
    pub html: String,
    pub thread_root_id: Option<Uuid>,
    pub client_msg_id: Option<String>,
    pub mentions: Vec<Uuid>,
    pub mentions_all: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub pinned_at: Option<DateTime<Utc>>,
    pub reply_count: i64,
    pub last_reply_at: Option<DateTime<Utc>>,
    pub reactions: Vec<ReactionGroup>,
    /// Files sent with the message (none once deleted).
    pub attachments: Vec<AttachmentDto>,
    /// What a system message means, for the client to word in its reader's
    /// language, zone and date format (`body` is the same in the actor's
    /// language); on a hook's message, the hook's name (`type: hook`).
    // Boxed: most messages have none, and it is the biggest field.
    pub notice: Option<Box<Notice>>,
}

impl MessageDto {
    pub fn new(m: &Message) -> Self {
        Self {
            id: m.id,
            chat_id: m.chat_id,
            seq: m.seq,
            author_id: m.author_id,
            kind: m.kind,
            body: m.body.clone(),
            html: if m.deleted_at.is_some() { String::new() } else { markdown_to_html(&m.body) },
            thread_root_id: m.thread_root_id,
            client_msg_id: m.client_msg_id.clone(),
            mentions: m.mentions.clone(),
            mentions_all: m.mentions_all,
            created_at: m.created_at,
            edited_at: m.edited_at,
            deleted_at: m.deleted_at,
            pinned_at: m.pinned_at,
            reply_count: m.reply_count,
            last_reply_at: m.last_reply_at,
            reactions: Vec::new(),
            attachments: m.attachments.iter().map(AttachmentDto::from).collect(),
            notice: m.notice.clone().map(Box::new),
        }
    }

    /// Messages with their reactions grouped by emoji (in first-reacted order).
    pub fn with_reactions(messages: &[Message], reactions: &[Reaction]) -> Vec<Self> {
        messages
            .iter()
            .map(|m| {
                let mut dto = Self::new(m);
                for r in reactions.iter().filter(|r| r.message_id == m.id) {
                    match dto.reactions.iter_mut().find(|g| g.emoji == r.emoji) {
                        Some(g) => {
                            g.count += 1;
                            g.user_ids.push(r.user_id);
                        }
                        None => dto.reactions.push(ReactionGroup {
                            emoji: r.emoji.clone(),
                            count: 1,
                            user_ids: vec![r.user_id],
                        }),
                    }
                }
                dto
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatSummaryDto {
    pub chat: ChatDto,
    pub role: MemberRole,
    pub last_read_seq: i64,
    pub unread_count: i64,
    pub mention_count: i64,
    pub last_message: Option<MessageDto>,
    /// I muted it (`PUT /chats/{id}/mute`): no pushes or notifications about it.
    pub muted: bool,
}

impl From<&ChatSummary> for ChatSummaryDto {
    fn from(s: &ChatSummary) -> Self {
        Self {
            chat: ChatDto::from(&s.chat),
            role: s.member.role,
            last_read_seq: s.member.last_read_seq,
            unread_count: s.unread_count,
            mention_count: s.mention_count,
            last_message: s.last_message.as_ref().map(MessageDto::new),
            muted: false,
        }
    }
}

/// A chat change as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeDto {
    MessageCreated { message: MessageDto },
    MessageEdited { message: MessageDto },
    MessageDeleted { message_id: Uuid, thread_root_id: Option<Uuid> },
    ReactionAdded { message_id: Uuid, user_id: Uuid, emoji: String },
    ReactionRemoved { message_id: Uuid, user_id: Uuid, emoji: String },
    MessagePinned { message_id: Uuid, by: Uuid },
    MessageUnpinned { message_id: Uuid, by: Uuid },
    ChatUpdated { chat: ChatDto },
    MemberAdded { user_id: Uuid, role: MemberRole, by: Option<Uuid> },
    MemberRemoved { user_id: Uuid, by: Option<Uuid> },
}

impl From<&ChatChange> for ChangeDto {
    fn from(c: &ChatChange) -> Self {
        match c {
            ChatChange::MessageCreated { message } => {
                ChangeDto::MessageCreated { message: MessageDto::new(message) }
            }
            ChatChange::MessageEdited { message } => {
                ChangeDto::MessageEdited { message: MessageDto::new(message) }
            }
            ChatChange::MessageDeleted { message_id, thread_root_id } => {
                ChangeDto::MessageDeleted { message_id: *message_id, thread_root_id: *thread_root_id }
            }
            ChatChange::ReactionAdded { message_id, user_id, emoji } => {
                ChangeDto::ReactionAdded { message_id: *message_id, user_id: *user_id, emoji: emoji.clone() }
            }
            ChatChange::ReactionRemoved { message_id, user_id, emoji } => ChangeDto::ReactionRemoved {
                message_id: *message_id,
                user_id: *user_id,
                emoji: emoji.clone(),
            },
            ChatChange::MessagePinned { message_id, by } => {
                ChangeDto::MessagePinned { message_id: *message_id, by: *by }
            }
            ChatChange::MessageUnpinned { message_id, by } => {
                ChangeDto::MessageUnpinned { message_id: *message_id, by: *by }
            }
            ChatChange::ChatUpdated { chat } => ChangeDto::ChatUpdated { chat: ChatDto::from(chat) },
            ChatChange::MemberAdded { user_id, role, by } => {
                ChangeDto::MemberAdded { user_id: *user_id, role: *role, by: *by }
            }
            ChatChange::MemberRemoved { user_id, by } => {
                ChangeDto::MemberRemoved { user_id: *user_id, by: *by }
            }
        }
    }
}

/// One event of a chat's log, as REST (`/chats/{id}/events`) and WS frames carry it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChatEventDto {
    pub chat_id: Uuid,
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub change: ChangeDto,
}

impl From<&ChatEvent> for ChatEventDto {
    fn from(e: &ChatEvent) -> Self {
        Self { chat_id: e.chat_id, seq: e.seq, created_at: e.created_at, change: ChangeDto::from(&e.change) }
    }
}
