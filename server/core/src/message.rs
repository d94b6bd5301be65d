//! Messages: markdown text in a chat, ordered by the chat's `seq`, optionally a
//! reply in a thread, with mentions, reactions, pins, edit history and soft delete.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::attachment::{AttachmentId, AttachmentInfo};
use crate::chat::{Chat, ChatId, ChatMember};
use crate::notice::Notice;
use crate::user::UserId;
use crate::workspace::WorkspaceId;

pub type MessageId = Uuid;

/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
/// Longest client-chosen idempotency key.
pub const MAX_CLIENT_MSG_ID_CHARS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Written by a person.
    User,
    /// Posted by Artel itself ("Anna added Boris").
    System,
    /// The visible result of a slash-command.
    CommandResult,
    /// Posted by an integration.
    Bot,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::User => "user",
            MessageKind::System => "system",
            MessageKind::CommandResult => "command_result",
            MessageKind::Bot => "bot",
        }
    }
}

impl std::str::FromStr for MessageKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(MessageKind::User),
            "system" => Ok(MessageKind::System),
            "command_result" => Ok(MessageKind::CommandResult),
            "bot" => Ok(MessageKind::Bot),
            other => Err(format!("unknown message kind {other:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub workspace_id: WorkspaceId,
    pub chat_id: ChatId,
    /// Position in the chat's event order, assigned at commit.
    pub seq: i64,
    /// None for system messages.
    pub author_id: Option<UserId>,
    pub kind: MessageKind,
    /// Markdown source; empty once deleted.
    pub body: String,
    /// The root message when this is a thread reply.
    pub thread_root_id: Option<MessageId>,
    /// Idempotency key chosen by the sending client, unique per author.
    pub client_msg_id: Option<String>,
    /// Users mentioned with `<@uuid>`.
    pub mentions: Vec<UserId>,
    /// `@all` / `@here` was used.
    pub mentions_all: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub pinned_at: Option<DateTime<Utc>>,
    /// Thread summary, on root messages.
    pub reply_count: i64,
    pub last_reply_at: Option<DateTime<Utc>>,
    /// Files sent with the message, in the order given; empty once deleted.
    /// (Defaulted: events stored before attachments existed have no such field.)
    #[serde(default)]
    pub attachments: Vec<AttachmentInfo>,
    /// What a message Artel or a hook posted means, for each reader's client
    /// to word (system and bot messages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
}

/// A message to append; the store assigns `seq` and returns the full `Message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub id: MessageId,
    pub workspace_id: WorkspaceId,
    pub chat_id: ChatId,
    pub author_id: Option<UserId>,
    pub kind: MessageKind,
    pub body: String,
    pub thread_root_id: Option<MessageId>,
    pub client_msg_id: Option<String>,
    pub mentions: Vec<UserId>,
    pub mentions_all: bool,
    pub created_at: DateTime<Utc>,
    /// Uploads to link to the message, in order: each must be in the same chat,
    /// uploaded by the author and not linked yet, or nothing is written.
    pub attachment_ids: Vec<AttachmentId>,
    /// Commit only if the author is then a member of the chat and the chat is
    /// not archived; else the batch fails with `StoreError::NotAllowed` and
    /// writes nothing. Set for people's sends: the server answers most of them
    /// from senders it checked a moment ago without reading again, and this is
    /// where a membership or archive change since then is caught.
    pub author_must_be_member: bool,
    /// What a system or hook message means (see `Notice`).
    pub notice: Option<Notice>,
}

/// What appending produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub message: Message,
    /// The `MessageCreated` event to publish; `None` when `client_msg_id` matched an
    /// earlier message of the same author: that message is returned and nothing
    /// new was written.
    pub event: Option<crate::event::ChatEvent>,
}

/// What checking a send needs, read in one query (`MessageStore::send_context`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendContext {
    /// The author's earlier message with the send's `client_msg_id`, if any.
    pub existing: Option<Message>,
    /// The chat, if it is in the workspace.
    pub chat: Option<Chat>,
    /// The author's membership of that chat.
    pub member: Option<ChatMember>,
}

/// One send to check, for `MessageStore::send_contexts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendContextRequest {
    pub workspace: WorkspaceId,
    pub chat: ChatId,
    pub author: UserId,
    pub client_msg_id: Option<String>,
}

/// A reaction: one emoji by one user on one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub message_id: MessageId,
    pub user_id: UserId,
    pub emoji: String,
    pub created_at: DateTime<Utc>,
}

/// Which page of history to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryPage {
    /// The newest messages.
    Latest,
    /// Messages with seq < the given one, newest of them.
    Before(i64),
    /// Messages with seq > the given one, oldest of them.
    After(i64),
    /// Messages around the given seq (half before, half after, including it).
    Around(i64),
}

/// Parses mentions from a markdown body: `<@uuid>` names a user, `@all` and
/// `@here` the whole chat. Unknown or foreign user ids are filtered by the caller.
pub fn parse_mentions(body: &str) -> (Vec<UserId>, bool) {
    let mut users = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<@") {
        let after = &rest[start + 2..];
        match after.find('>') {
            Some(end) if end <= 36 => {
                if let Ok(id) = after[..end].parse::<Uuid>() {
                    if !users.contains(&id) {
                        users.push(id);
                    }
                }
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    let all = body
        .split(|c: char| !(c.is_alphanumeric() || c == '@' || c == '_'))
        .any(|w| w == "@all" || w == "@here");
    (users, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_parsed() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let (users, all) = parse_mentions(&format!("hi <@{a}> and <@{b}>, again <@{a}> <@nope> <@"));
        assert_eq!(users, vec![a, b]);
        assert!(!all);
        assert!(parse_mentions("ping @all please").1);
        assert!(parse_mentions("@here").1);
        assert!(!parse_mentions("mail me at x@allcorp.ru").1);
    }
}
