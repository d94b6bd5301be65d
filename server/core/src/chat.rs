//! Chats: channels (public or private), direct chats (exactly two people, one per
//! pair) and group chats, with their members and read state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::user::UserId;
use crate::workspace::WorkspaceId;

pub type ChatId = Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    Channel,
    Direct,
    Group,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Channel => "channel",
            ChatKind::Direct => "direct",
            ChatKind::Group => "group",
        }
    }
}

impl std::str::FromStr for ChatKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "channel" => Ok(ChatKind::Channel),
            "direct" => Ok(ChatKind::Direct),
            "group" => Ok(ChatKind::Group),
            other => Err(format!("unknown chat kind {other:?}")),
        }
    }
}

/// A member's role inside one chat (separate from the workspace role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Owner,
    Admin,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Admin => "admin",
            MemberRole::Member => "member",
        }
    }

    /// Owners and admins of a chat rename it, manage members and pins.
    pub fn is_admin(self) -> bool {
        matches!(self, MemberRole::Owner | MemberRole::Admin)
    }
}

impl std::str::FromStr for MemberRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(MemberRole::Owner),
            "admin" => Ok(MemberRole::Admin),
            "member" => Ok(MemberRole::Member),
            other => Err(format!("unknown member role {other:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    pub id: ChatId,
    pub workspace_id: WorkspaceId,
    pub kind: ChatKind,
    /// Channels and groups have a name; direct chats do not.
    pub name: Option<String>,
    pub description: String,
    /// Private channels are visible to members only; direct and group chats are always private.
    pub is_private: bool,
    /// For direct chats: the two user ids, sorted and joined, unique per workspace.
    pub direct_key: Option<String>,
    /// The deal, client or task this chat discusses, if any (at most one chat per record).
    pub entity: Option<crate::crm::entity::EntityRef>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Sequence number of the chat's latest event (0 = none yet).
    pub last_seq: i64,
    /// Time of the latest message, for "ordered by activity".
    pub last_activity_at: DateTime<Utc>,
}

impl Chat {
    /// Key that makes a direct chat unique for a pair of users, whatever the order.
    pub fn direct_key_for(a: UserId, b: UserId) -> String {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        format!("{lo}:{hi}")
    }

    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMember {
    pub chat_id: ChatId,
    pub user_id: UserId,
    pub role: MemberRole,
    pub joined_at: DateTime<Utc>,
    /// Highest `seq` this member has read.
    pub last_read_seq: i64,
}

/// Fields of a chat that can be changed; `None` leaves a field as is.
#[derive(Debug, Clone, Default)]
pub struct ChatPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(Some(t))` archives, `Some(None)` unarchives.
    pub archived_at: Option<Option<DateTime<Utc>>>,
}

/// One row of "my chats".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSummary {
    pub chat: Chat,
    pub member: ChatMember,
    /// Messages by others after my read mark (deleted ones excluded).
    pub unread_count: i64,
    /// Of those, the ones that mention me, @all or @here.
    pub mention_count: i64,
    pub last_message: Option<crate::message::Message>,
}
