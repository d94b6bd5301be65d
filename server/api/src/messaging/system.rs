//! Messages Artel itself posts into a chat ("Anna moved the deal to Negotiation").
//! They go through the same group commit and fan-out as anyone's message. Each
//! carries its `Notice` (for every reader's client to word in their language
//! and zone) and a body in the actor's language (for search, push and clients
//! that do not word notices).

use artel_core::chat::ChatId;
use artel_core::message::{Message, MessageKind, NewMessage, MAX_BODY_CHARS};
use artel_core::notice::Notice;
use artel_core::user::User;
use artel_core::Result;
use uuid::Uuid;

use crate::crm::texts;
use crate::state::AppState;

/// Posts a notice on behalf of `actor` (its author).
pub async fn post(state: &AppState, actor: &User, chat: ChatId, notice: Notice) -> Result<Message> {
    post_keyed(state, actor, chat, notice, None).await
}

/// `post` under a key: a second post with the same key (the actor's
/// `client_msg_id`) gives back the first notice instead of posting again.
pub async fn post_keyed(
    state: &AppState,
    actor: &User,
    chat: ChatId,
    notice: Notice,
    key: Option<String>,
) -> Result<Message> {
    let message = NewMessage {
        id: Uuid::now_v7(),
        workspace_id: actor.workspace_id,
        chat_id: chat,
        author_id: Some(actor.id),
        kind: MessageKind::System,
        body: texts::body(actor, &notice).chars().take(MAX_BODY_CHARS).collect(),
        thread_root_id: None,
        client_msg_id: key,
        mentions: Vec::new(),
        mentions_all: false,
        created_at: state.clock.now(),
        attachment_ids: Vec::new(),
        author_must_be_member: false,
        notice: Some(notice),
    };
    Ok(state.committer.append(message).await?.message)
}
