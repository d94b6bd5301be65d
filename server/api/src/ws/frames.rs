//! WebSocket frames: JSON objects tagged by `type`. Their schemas are derived
//! here and listed in the OpenAPI document's components (`http::openapi`), so the
//! clients' frame types are generated from these enums, never typed twice.

use std::collections::HashMap;

use artel_core::event::Ephemeral;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::crm_dto::DealDto;
use crate::messaging::wire::{ChatEventDto, MessageDto};

/// Frames a client sends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Must be the first frame: an access token, and optionally the last `seq`
    /// the client holds per chat, to replay what it missed.
    Auth {
        token: String,
        #[serde(default)]
        cursors: HashMap<Uuid, i64>,
    },
    /// Sends a message; answered by `ack` (or `error` with the same `ref`).
    /// `body` may be empty (or absent) only with `attachment_ids` (my uploads to
    /// this chat, not sent yet).
    Send {
        chat_id: Uuid,
        #[serde(default)]
        body: String,
        client_msg_id: String,
        thread_root_id: Option<Uuid>,
        #[serde(default)]
        attachment_ids: Vec<Uuid>,
    },
    /// "I am typing in this chat" (ephemeral, throttled).
    Typing { chat_id: Uuid },
    /// Moves my read mark.
    Read { chat_id: Uuid, seq: i64 },
    /// Application-level keep-alive; answered by `pong`.
    Ping,
    /// Follow a pipeline's board live; with `cursor`, replay what was missed.
    WatchBoard { pipeline_id: Uuid, cursor: Option<i64> },
    /// Stop following a board.
    UnwatchBoard { pipeline_id: Uuid },
    /// "online" or "away" (e.g. the tab is hidden); offline is leaving.
    Presence { status: ClientPresence },
    /// Follow the presence of these users (at most `MAX_PRESENCE_SUB`), and no
    /// one else's: answered at once with their statuses, then their changes.
    PresenceSub { user_ids: Vec<Uuid> },
    /// This visible client shows the chat: no pushes about it for this user.
    Focus { chat_id: Uuid },
    /// No chat in view any more (tab hidden, screen left).
    Blur,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientPresence {
    Online,
    Away,
}

/// Frames the server sends.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// Authentication succeeded; `chats` gives every chat's latest seq.
    Ready {
        user_id: Uuid,
        session_id: Uuid,
        chats: Vec<ChatCursor>,
        heartbeat_secs: u64,
    },
    /// A durable chat event, in seq order per chat.
    Event(&'a ChatEventDto),
    /// A board change, in seq order per pipeline.
    BoardEvent(&'a BoardEventDto),
    /// Now following the board, whose latest seq is `last_seq`.
    Watching {
        pipeline_id: Uuid,
        last_seq: i64,
    },
    /// Something not stored (typing, read marks, …).
    Ephemeral {
        event: &'a Ephemeral,
    },
    /// The message was committed (or had been, for a retry).
    Ack {
        client_msg_id: &'a str,
        message: &'a MessageDto,
    },
    /// Too much was missed in this chat: refetch its history and continue from `last_seq`.
    Resync {
        chat_id: Uuid,
        last_seq: i64,
    },
    /// A slash-command sent as `send` ran: its result, for this socket only.
    CommandResult {
        client_msg_id: &'a str,
        /// The stored answer of the run: a `CommandResultDto`, as `POST /chats/{id}/messages` gives it.
        #[schema(value_type = crate::commands::CommandResultDto)]
        result: &'a serde_json::Value,
    },
    /// A refused frame; `ref` is the `client_msg_id` of the send it refuses.
    Error {
        code: &'a str,
        message: &'a str,
        r#ref: Option<&'a str>,
        /// For a refused slash-command: how to write it.
        #[serde(skip_serializing_if = "Option::is_none")]
        usage: Option<&'a str>,
    },
    Pong,
}

/// A board change as one watcher may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardEventDto {
    pub pipeline_id: Uuid,
    pub seq: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub change: BoardChangeDto,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BoardChangeDto {
    DealUpserted {
        deal: Box<DealDto>,
    },
    /// A deal this watcher may not see changed: only its id, so the stream stays
    /// gap-free without telling anything about the deal.
    DealHidden {
        deal_id: Uuid,
    },
    DealRemoved {
        deal_id: Uuid,
    },
    StagesChanged,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatCursor {
    pub chat_id: Uuid,
    pub last_seq: i64,
}

impl ServerFrame<'_> {
    pub fn to_text(&self) -> String {
        // Serialising our own types cannot fail; fall back to an error frame anyway.
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"type":"error","code":"internal","message":"encoding failed"}"#.to_string()
        })
    }
}
