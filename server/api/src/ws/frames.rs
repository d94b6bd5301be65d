//! WebSocket frames: JSON objects tagged by `type`.

use std::collections::HashMap;

use artel_core::event::Ephemeral;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::messaging::wire::{ChatEventDto, MessageDto};

/// Frames a client sends.
#[derive(Debug, Deserialize)]
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
    /// "online" or "away" (e.g. the tab is hidden); offline is leaving.
    Presence { status: ClientPresence },
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClientPresence {
    Online,
    Away,
}

/// Frames the server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// Authentication succeeded; `chats` gives every chat's latest seq.
    Ready {
        user_id: Uuid,
        session_id: Uuid,
        chats: Vec<ChatCursor>,
        heartbeat_secs: u64,
        /// Who is online or away right now.
        presence: Vec<artel_core::event::PresenceEntry>,
    },
    /// A durable chat event, in seq order per chat.
    Event(&'a ChatEventDto),
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
    Error {
        code: &'a str,
        message: &'a str,
        r#ref: Option<&'a str>,
    },
    Pong,
}

#[derive(Debug, Serialize)]
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
