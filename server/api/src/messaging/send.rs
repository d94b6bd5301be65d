//! Sending a message: the checks shared by REST and WebSocket sends.

use std::collections::HashSet;

use artel_core::attachment::{AttachmentId, MAX_ATTACHMENTS_PER_MESSAGE};
use artel_core::chat::ChatId;
use artel_core::message::{
    parse_mentions, Appended, Message, MessageId, MessageKind, NewMessage, SendContextRequest,
    MAX_BODY_CHARS, MAX_CLIENT_MSG_ID_CHARS,
};
use artel_core::user::User;
use artel_core::{permissions, Error, Result, StoreError};
use uuid::Uuid;

use crate::state::AppState;

/// At most this many distinct people can be mentioned in one message.
const MAX_MENTIONS: usize = 50;

pub struct SendInput {
    pub chat_id: ChatId,
    pub body: String,
    pub client_msg_id: Option<String>,
    pub thread_root_id: Option<MessageId>,
    /// Uploads of the author to this chat, sent with the message.
    pub attachment_ids: Vec<AttachmentId>,
}

/// A checked send: either a retry of a message that exists, or a new one to commit.
pub enum Prepared {
    Existing(Message),
    New(NewMessage),
}

/// Validates and commits a user's message. A retry with the same `client_msg_id`
/// returns the first message (`event: None`) and writes nothing.
pub async fn send_message(state: &AppState, author: &User, input: SendInput) -> Result<Appended> {
    match prepare(state, author, input).await? {
        Prepared::Existing(message) => Ok(Appended { message, event: None }),
        Prepared::New(message) => state.committer.append(message).await,
    }
}

/// All checks of a send, without committing it.
pub async fn prepare(state: &AppState, author: &User, input: SendInput) -> Result<Prepared> {
    let ws = author.workspace_id;
    if let Some(key) = input.client_msg_id.as_deref() {
        validate_client_msg_id(key)?;
    }
    let context = state
        .send_checks
        .context(SendContextRequest {
            workspace: ws,
            chat: input.chat_id,
            author: author.id,
            client_msg_id: input.client_msg_id.clone(),
        })
        .await?;
    if let Some(existing) = context.existing {
        // A retry must name the same chat; the same key in another chat is a
        // client bug that must not be acked as if the message had gone there.
        if existing.chat_id != input.chat_id {
            return Err(Error::conflict(
                "client_msg_id_reused",
                "this client_msg_id was used in another chat",
            ));
        }
        return Ok(Prepared::Existing(existing));
    }
    validate_body(&input.body, !input.attachment_ids.is_empty())?;
    let chat = context.chat.ok_or(Error::NotFound("chat"))?;
    permissions::can_post(&chat, context.member.as_ref())?;
    if let Some(root_id) = input.thread_root_id {
        let root = state.store.get_message(ws, root_id).await.map_err(|e| match e {
            StoreError::NotFound(_) => Error::invalid("thread_root_id", "no such message in this chat"),
            other => other.into(),
        })?;
        if root.chat_id != chat.id {
            return Err(Error::invalid("thread_root_id", "no such message in this chat"));
        }
        if root.thread_root_id.is_some() {
            return Err(Error::invalid("thread_root_id", "replies go to the thread's first message"));
        }
        if root.deleted_at.is_some() {
            return Err(Error::invalid("thread_root_id", "the message was deleted"));
        }
    }
    check_attachments(state, author, chat.id, &input.attachment_ids).await?;
    let (mut mentions, mentions_all) = parse_mentions(&input.body);
    mentions.truncate(MAX_MENTIONS);
    // Only people of this workspace can be mentioned; other ids are plain text.
    let mut known = Vec::with_capacity(mentions.len());
    for id in mentions {
        if state.store.get_user(ws, id).await.is_ok() {
            known.push(id);
        }
    }
    Ok(Prepared::New(NewMessage {
        id: Uuid::now_v7(),
        workspace_id: ws,
        chat_id: chat.id,
        author_id: Some(author.id),
        kind: MessageKind::User,
        body: input.body,
        thread_root_id: input.thread_root_id,
        client_msg_id: input.client_msg_id,
        mentions: known,
        mentions_all,
        created_at: state.clock.now(),
        attachment_ids: input.attachment_ids,
    }))
}

/// A message's text: at most `MAX_BODY_CHARS`, and empty only when it carries files.
pub fn validate_body(body: &str, has_attachments: bool) -> Result<()> {
    if body.trim().is_empty() && !has_attachments {
        return Err(Error::invalid("body", "must not be empty"));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(Error::invalid("body", format!("must be at most {MAX_BODY_CHARS} characters")));
    }
    Ok(())
}

/// Attachments to send must be the author's own uploads to this chat, not sent
/// yet, each listed once. The store checks the same again when linking (a
/// concurrent send may have taken one meanwhile); this gives the early, clear answer.
async fn check_attachments(
    state: &AppState,
    author: &User,
    chat: ChatId,
    ids: &[AttachmentId],
) -> Result<()> {
    if ids.len() > MAX_ATTACHMENTS_PER_MESSAGE {
        return Err(Error::invalid(
            "attachment_ids",
            format!("must list at most {MAX_ATTACHMENTS_PER_MESSAGE} attachments"),
        ));
    }
    let mut seen = HashSet::with_capacity(ids.len());
    for id in ids {
        if !seen.insert(*id) {
            return Err(Error::invalid("attachment_ids", format!("lists {id} twice")));
        }
        // Someone else's upload, or another chat's, is answered like a missing one.
        let not_yours = || Error::invalid("attachment_ids", format!("{id} is not your upload to this chat"));
        let attachment = match state.store.get_attachment(author.workspace_id, *id).await {
            Ok(a) => a,
            Err(StoreError::NotFound(_)) => return Err(not_yours()),
            Err(e) => return Err(e.into()),
        };
        if attachment.uploader_id != author.id || attachment.chat_id != chat {
            return Err(not_yours());
        }
        if attachment.message_id.is_some() {
            return Err(Error::invalid("attachment_ids", format!("{id} was already sent")));
        }
    }
    Ok(())
}

pub fn validate_client_msg_id(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.chars().count() <= MAX_CLIENT_MSG_ID_CHARS
        && key.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "client_msg_id",
            format!("must be 1-{MAX_CLIENT_MSG_ID_CHARS} printable ASCII characters"),
        ))
    }
}

/// A chat of another workspace, or none at all, is simply not found.
pub fn chat_not_found(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound("chat"),
        other => other.into(),
    }
}
