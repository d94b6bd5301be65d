//! Messages Artel itself posts into a chat ("Anna moved the deal to Negotiation").
//! They go through the same group commit and fan-out as anyone's message.

use artel_core::chat::ChatId;
use artel_core::message::{Message, MessageKind, NewMessage};
use artel_core::user::User;
use artel_core::Result;
use uuid::Uuid;

use crate::state::AppState;

/// Posts a system message on behalf of `actor` (shown as "<actor> …").
pub async fn post(state: &AppState, actor: &User, chat: ChatId, body: String) -> Result<Message> {
    let message = NewMessage {
        id: Uuid::now_v7(),
        workspace_id: actor.workspace_id,
        chat_id: chat,
        author_id: Some(actor.id),
        kind: MessageKind::System,
        body,
        thread_root_id: None,
        client_msg_id: None,
        mentions: Vec::new(),
        mentions_all: false,
        created_at: state.clock.now(),
        attachment_ids: Vec::new(),
        author_must_be_member: false,
    };
    Ok(state.committer.append(message).await?.message)
}
