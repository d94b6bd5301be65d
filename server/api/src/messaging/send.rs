//! Sending a message: the checks shared by REST and WebSocket sends.

use std::collections::HashSet;

use artel_core::attachment::{AttachmentId, MAX_ATTACHMENTS_PER_MESSAGE};
use artel_core::chat::ChatId;
use artel_core::message::{
    parse_mentions, Appended, Message, MessageId, MessageKind, NewMessage, SendContextRequest,
    MAX_BODY_CHARS, MAX_CLIENT_MSG_ID_CHARS,
};
use artel_core::user::{User, UserId};
use artel_core::workspace::WorkspaceId;
use artel_core::{permissions, Error, Result, StoreError};
use uuid::Uuid;

use crate::messaging::send_checks::SendChecks;
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

/// Who sent what where: what `settle` needs once the commit has answered.
pub struct Sender {
    pub workspace: WorkspaceId,
    pub author: UserId,
    pub chat: ChatId,
    pub client_msg_id: Option<String>,
}

impl Sender {
    pub fn of(author: &User, input: &SendInput) -> Self {
        Self {
            workspace: author.workspace_id,
            author: author.id,
            chat: input.chat_id,
            client_msg_id: input.client_msg_id.clone(),
        }
    }
}

/// A checked send: either a retry of a message that exists, or a new one to commit.
pub enum Prepared {
    Existing(Message),
    New(NewMessage),
}

/// Validates and commits a user's message. A retry with the same `client_msg_id`
/// returns the first message (`event: None`) and writes nothing.
pub async fn send_message(state: &AppState, author: &User, input: SendInput) -> Result<Appended> {
    let sender = Sender::of(author, &input);
    match prepare(state, author, input).await? {
        Prepared::Existing(message) => Ok(Appended { message, event: None }),
        Prepared::New(message) => {
            settle(&state.send_checks, sender, state.committer.append(message).await).await
        }
    }
}

/// All checks of a send, without committing it. A plain send (no reply, no
/// files) of a sender who posted in the chat a moment ago is not read again
/// (`SendChecks::known_sender`): the commit
/// checks their membership and the idempotency key, and `settle` turns what it
/// says into the same answers as the checks here.
pub async fn prepare(state: &AppState, author: &User, input: SendInput) -> Result<Prepared> {
    let ws = author.workspace_id;
    if let Some(key) = input.client_msg_id.as_deref() {
        validate_client_msg_id(key)?;
    }
    let request = SendContextRequest {
        workspace: ws,
        chat: input.chat_id,
        author: author.id,
        client_msg_id: input.client_msg_id.clone(),
    };
    // Only plain sends skip the read: a retry of a reply or of a message with
    // files must find its first message before their checks, which a second
    // attempt would fail (the files are linked, the root may be gone).
    let plain = input.thread_root_id.is_none() && input.attachment_ids.is_empty();
    let context = match state.send_checks.known_sender(&request).filter(|_| plain) {
        Some(known) => known,
        None => state.send_checks.context(request).await?,
    };
    if let Some(existing) = context.existing {
        // A retry must name the same chat; the same key in another chat is a
        // client bug that must not be acked as if the message had gone there.
        if existing.chat_id != input.chat_id {
            return Err(key_reused());
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
        author_must_be_member: true,
        notice: None,
    }))
}

/// A send's answer from what its commit said.
/// - The key named an earlier message (`event: None`): that message, if it went
///   to the same chat; the same key in another chat is a client bug that must
///   not be acked as if the message had gone there.
/// - The commit refused the author (removed from the chat or the chat archived
///   since they were last read): the sender is forgotten and read again, so the
///   answer is what the checks before the commit would have said: the first
///   message of a retry (whose ack was lost before the removal), else why not.
pub async fn settle(checks: &SendChecks, sender: Sender, committed: Result<Appended>) -> Result<Appended> {
    let Sender { workspace: ws, author, chat, client_msg_id } = sender;
    match committed {
        Ok(appended) if appended.event.is_none() && appended.message.chat_id != chat => Err(key_reused()),
        Err(Error::Forbidden(_)) => {
            checks.forget(ws, chat, author);
            let request = SendContextRequest { workspace: ws, chat, author, client_msg_id };
            let context = checks.context(request).await?;
            if let Some(existing) = context.existing {
                if existing.chat_id != chat {
                    return Err(key_reused());
                }
                return Ok(Appended { message: existing, event: None });
            }
            let chat = context.chat.ok_or(Error::NotFound("chat"))?;
            permissions::can_post(&chat, context.member.as_ref())?;
            // Allowed again by now (re-added meanwhile): the commit's refusal stands.
            Err(Error::forbidden("you may not post in this chat"))
        }
        other => other,
    }
}

fn key_reused() -> Error {
    Error::conflict("client_msg_id_reused", "this client_msg_id was used in another chat")
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
