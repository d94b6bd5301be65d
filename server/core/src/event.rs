//! Events: what happened, and who may hear of it. Durable chat events carry the
//! chat's gap-free `seq` and are stored, so a client that missed some can replay
//! them; ephemeral events (typing, presence) are not stored and carry no `seq`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chat::{Chat, ChatId, MemberRole};
use crate::message::{Message, MessageId};
use crate::user::UserId;
use crate::workspace::WorkspaceId;

/// A change inside a chat. Stored with its `seq` in the chat's event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatChange {
    MessageCreated { message: Message },
    MessageEdited { message: Message },
    MessageDeleted { message_id: MessageId, thread_root_id: Option<MessageId> },
    ReactionAdded { message_id: MessageId, user_id: UserId, emoji: String },
    ReactionRemoved { message_id: MessageId, user_id: UserId, emoji: String },
    MessagePinned { message_id: MessageId, by: UserId },
    MessageUnpinned { message_id: MessageId, by: UserId },
    ChatUpdated { chat: Chat },
    MemberAdded { user_id: UserId, role: MemberRole, by: Option<UserId> },
    MemberRemoved { user_id: UserId, by: Option<UserId> },
}

/// A committed chat change with its place in the chat's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatEvent {
    pub workspace_id: WorkspaceId,
    pub chat_id: ChatId,
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub change: ChatChange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Online,
    Away,
    Offline,
}

/// Something not stored: shown while it is true, gone after. Its schema (the
/// `ephemeral` WebSocket frame's `event`) is generated from this enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Ephemeral {
    Typing {
        #[schema(value_type = Uuid)]
        chat_id: ChatId,
        #[schema(value_type = Uuid)]
        user_id: UserId,
    },
    /// Users whose status changed since the last such frame, each once with the
    /// latest status (sent at most once a second, and only about users the
    /// socket follows); also the answer to `presence_sub`.
    PresenceChanges { entries: Vec<PresenceEntry> },
    ReadUpTo {
        #[schema(value_type = Uuid)]
        chat_id: ChatId,
        #[schema(value_type = Uuid)]
        user_id: UserId,
        seq: i64,
    },
    /// The user became a member of a new chat (creation adds members without
    /// `MemberAdded` events); their sockets start following it.
    JoinedChat {
        #[schema(value_type = Uuid)]
        chat_id: ChatId,
        #[schema(value_type = Uuid)]
        user_id: UserId,
    },
    /// The user's sessions (one, or all with `None`) were revoked: close their sockets.
    SignedOut {
        #[schema(value_type = Uuid)]
        user_id: UserId,
        session_id: Option<Uuid>,
    },
    /// Node-to-node only, never sent to a client: the presence of users on one
    /// node's sockets. `full` lists everyone the node has (sent periodically, so
    /// a node that vanished times out); otherwise only the users whose status on
    /// that node changed.
    NodePresence { node_id: Uuid, entries: Vec<PresenceEntry>, full: bool },
    /// A task reminder is due (sent to the reminded user).
    TaskReminder { task_id: Uuid, title: String, due_at: Option<DateTime<Utc>> },
    /// A task was created for, or handed to, the audience (its new assignees):
    /// their task lists reload at once.
    TaskAssigned {
        task_id: Uuid,
        title: String,
        due_at: Option<DateTime<Utc>>,
        /// Who assigned it.
        #[schema(value_type = Uuid)]
        by: UserId,
    },
    /// The audience was taken off the task: only its id, since they may no
    /// longer see it; their task lists drop it.
    TaskUnassigned { task_id: Uuid },
    /// What the audience may see changed (a role, the workspace's deal
    /// visibility): their sockets re-read it before delivering anything more.
    /// Between the server's parts only, never sent to a client.
    AccessChanged,
    /// A contact or company (`from_id`, now gone) was merged into another:
    /// open cards of either read it again.
    ClientMerged { kind: crate::crm::entity::EntityKind, from_id: Uuid, into_id: Uuid },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PresenceEntry {
    #[schema(value_type = Uuid)]
    pub user_id: UserId,
    pub status: Presence,
}

impl Presence {
    /// Online beats away beats offline when a user has several sockets.
    pub fn rank(self) -> u8 {
        match self {
            Presence::Online => 2,
            Presence::Away => 1,
            Presence::Offline => 0,
        }
    }
}

/// Who an event is for. Every publish names its audience; delivery re-checks it
/// against the reader's rights at that moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Current members of the chat (and, for `MemberRemoved`, the removed user).
    Chat { chat_id: ChatId },
    /// Exactly these users.
    Users { user_ids: Vec<UserId> },
    /// Everyone in the workspace (presence).
    Workspace,
    /// Sockets watching a pipeline's board; each filters by deal visibility.
    Board { pipeline_id: Uuid },
}

/// What travels over the bus between nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Unique per publish, for logs and de-duplication.
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub audience: Audience,
    pub payload: Payload,
}

// Chat events are the common case and are moved, not copied, through the bus;
// boxing them would add an allocation per event for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Payload {
    Chat { event: ChatEvent },
    Board { event: BoardEvent },
    Ephemeral { event: Ephemeral },
}

/// A change on a pipeline's board, with its place in the board's own gap-free
/// order. Every watcher gets every seq; a deal the watcher may not see arrives
/// as "hidden" (id only), so the watcher's stream stays gap-free without leaking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardEvent {
    pub workspace_id: WorkspaceId,
    pub pipeline_id: Uuid,
    pub seq: i64,
    pub created_at: DateTime<Utc>,
    pub change: BoardChange,
}

/// A board change to log in the same transaction as the write that causes it,
/// so a committed change always has its board event (and a failed one has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardAppend {
    pub pipeline_id: Uuid,
    pub change: BoardChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BoardChange {
    /// The deal is on this board, as it is now (created, edited, moved here or within).
    DealUpserted {
        deal: Box<crate::crm::deal::Deal>,
        /// Its open tasks, for the card (absent in events stored before cards had them).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tasks: Option<crate::crm::task::DealTaskSummary>,
        /// Its client's names, for the card (absent in events stored before
        /// cards had them; never shown to guests).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clients: Option<crate::crm::deal::DealClients>,
    },
    /// The deal left this board (moved to another pipeline, archived, deleted).
    DealRemoved { deal_id: Uuid },
    /// Stages were added, renamed, reordered or deleted: reload the board.
    StagesChanged,
}

impl Envelope {
    pub fn board(event: BoardEvent) -> Self {
        Self {
            id: Uuid::now_v7(),
            workspace_id: event.workspace_id,
            audience: Audience::Board { pipeline_id: event.pipeline_id },
            payload: Payload::Board { event },
        }
    }

    pub fn ephemeral(workspace_id: WorkspaceId, audience: Audience, event: Ephemeral) -> Self {
        Self { id: Uuid::now_v7(), workspace_id, audience, payload: Payload::Ephemeral { event } }
    }

    pub fn chat(event: ChatEvent) -> Self {
        Self {
            id: Uuid::now_v7(),
            workspace_id: event.workspace_id,
            audience: Audience::Chat { chat_id: event.chat_id },
            payload: Payload::Chat { event },
        }
    }
}
