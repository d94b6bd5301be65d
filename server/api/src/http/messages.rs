//! Messages over REST: send, history, threads, the event log for gap filling,
//! edit (with history), delete, reactions, pins, "read by".

use artel_core::commands::{self, Line};
use artel_core::message::{HistoryPage, Message, MessageId};
use artel_core::{permissions, Error, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::{page_limit, Json, Path, Query};
use crate::http::chats::load_chat;
use crate::messaging::send::{send_message, validate_body, SendInput};
use crate::messaging::wire::{ChatEventDto, MessageDto};
use crate::state::AppState;

const DEFAULT_PAGE: i64 = 50;
use crate::extract::MAX_PAGE;
const MAX_EMOJI_CHARS: usize = 32;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// Markdown; may be empty (or left out) only when `attachment_ids` is not.
    #[serde(default)]
    pub body: String,
    /// Idempotency key: a retry with the same key returns the same message.
    pub client_msg_id: Option<String>,
    /// Reply in the thread of this (top-level) message.
    pub thread_root_id: Option<Uuid>,
    /// Files to send with the message: my uploads to this chat
    /// (`POST /chats/{id}/attachments`) not sent yet, at most 10.
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessage {
    pub body: String,
}

/// At most one of `before`, `after`, `around` (by `seq`); none means the latest.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub around: Option<i64>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Events with a greater seq.
    pub after: i64,
    /// 1..=200, default 200.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EditDto {
    pub body: String,
    /// When this text was replaced.
    pub replaced_at: chrono::DateTime<chrono::Utc>,
}

impl HistoryQuery {
    fn page(&self) -> artel_core::Result<(HistoryPage, i64)> {
        let limit = page_limit(self.limit, DEFAULT_PAGE)?;
        let page = match (self.before, self.after, self.around) {
            (None, None, None) => HistoryPage::Latest,
            (Some(s), None, None) => HistoryPage::Before(s),
            (None, Some(s), None) => HistoryPage::After(s),
            (None, None, Some(s)) => HistoryPage::Around(s),
            _ => return Err(Error::invalid("before", "give at most one of before, after, around")),
        };
        Ok((page, limit))
    }
}

/// A message the caller may read (member of its chat), else 404/403.
async fn readable_message(state: &AppState, auth: &AuthUser, id: MessageId) -> artel_core::Result<Message> {
    let message = state.store.get_message(auth.user.workspace_id, id).await.map_err(|e| match e {
        StoreError::NotFound(_) => Error::NotFound("message"),
        other => other.into(),
    })?;
    let member = state.store.get_member(auth.user.workspace_id, message.chat_id, auth.user.id).await?;
    if member.is_none() {
        // Not a member: the message does not exist for you.
        return Err(Error::NotFound("message"));
    }
    Ok(message)
}

async fn with_reactions(
    state: &AppState,
    auth: &AuthUser,
    messages: &[Message],
) -> ApiResult<Vec<MessageDto>> {
    let ids: Vec<Uuid> = messages.iter().map(|m| m.id).collect();
    let reactions = state.store.list_reactions(auth.user.workspace_id, &ids).await?;
    Ok(MessageDto::with_reactions(messages, &reactions))
}

/// Sends a message. 201 for a new message, 200 when `client_msg_id` named one
/// that was already sent. A body starting with `/` is a slash-command: it is run
/// instead of posted and answered 200 with its result (a retry with the same
/// `client_msg_id` gets the same result without running again), or 4xx with
/// the error and a `usage` line; `//text` posts the literal text `/text`.
#[utoipa::path(post, path = "/chats/{id}/messages", tag = "messages", security(("bearer" = [])),
    request_body = SendMessage, params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 201, body = MessageDto), (status = 200, body = crate::http::commands::SendOutcome),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "The `client_msg_id` was used in another chat, or the chat is archived", body = crate::error::ErrorBody),
              (status = 422, body = crate::commands::reply::CommandErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(chat_id): Path<Uuid>,
    Json(req): Json<SendMessage>,
) -> ApiResult<Response> {
    let mut input = SendInput {
        chat_id,
        body: req.body,
        client_msg_id: req.client_msg_id,
        thread_root_id: req.thread_root_id,
        attachment_ids: req.attachment_ids,
    };
    match commands::classify(&input.body) {
        Line::Command(line) => {
            crate::auth::bot_tokens::require(&auth, artel_core::bot::Scope::CommandsRun)?;
            let line = line.to_string();
            // The command checks the chat itself (`/undo` may run where its
            // command took the issuer out).
            return Ok(crate::http::commands::run_from_send(&state, &auth, &input, &line).await);
        }
        Line::Literal(text) => input.body = text.to_string(),
        Line::Text => {}
    }
    load_chat(&state, &auth.user, chat_id).await?;
    let appended = send_message(&state, &auth.user, input).await?;
    let status = if appended.event.is_some() { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(MessageDto::new(&appended.message))).into_response())
}

/// A page of a chat's top-level messages, ascending by seq.
#[utoipa::path(get, path = "/chats/{id}/messages", operation_id = "chat_history", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id"), HistoryQuery),
    responses((status = 200, body = Vec<MessageDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(chat_id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<MessageDto>>> {
    let (_, member) = load_chat(&state, &auth.user, chat_id).await?;
    permissions::can_read_chat(member.as_ref())?;
    let (page, limit) = q.page()?;
    let messages = state.store.history(auth.user.workspace_id, chat_id, None, page, limit).await?;
    Ok(Json(with_reactions(&state, &auth, &messages).await?))
}

/// A page of a thread's replies, ascending by seq.
#[utoipa::path(get, path = "/messages/{id}/thread", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Root message id"), HistoryQuery),
    responses((status = 200, body = Vec<MessageDto>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn thread(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<MessageDto>>> {
    let root = readable_message(&state, &auth, id).await?;
    let (page, limit) = q.page()?;
    let replies =
        state.store.history(auth.user.workspace_id, root.chat_id, Some(root.id), page, limit).await?;
    Ok(Json(with_reactions(&state, &auth, &replies).await?))
}

/// The chat's event log after a seq: how a client fills a gap it noticed.
#[utoipa::path(get, path = "/chats/{id}/events", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id"), EventsQuery),
    responses((status = 200, body = Vec<ChatEventDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(chat_id): Path<Uuid>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<Vec<ChatEventDto>>> {
    let (_, member) = load_chat(&state, &auth.user, chat_id).await?;
    permissions::can_read_chat(member.as_ref())?;
    let limit = page_limit(q.limit, MAX_PAGE)?;
    let events = state.store.events_since(auth.user.workspace_id, chat_id, q.after.max(0), limit).await?;
    Ok(Json(events.iter().map(ChatEventDto::from).collect()))
}

/// Edits my message; the previous text is kept in its edit history.
#[utoipa::path(patch, path = "/messages/{id}", tag = "messages", security(("bearer" = [])), request_body = EditMessage,
    params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 200, body = MessageDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody),
              (status = 409, description = "The chat is archived (`chat_archived`)", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn edit(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<EditMessage>,
) -> ApiResult<Json<MessageDto>> {
    let message = readable_message(&state, &auth, id).await?;
    if message.author_id != Some(auth.user.id) {
        return Err(Error::forbidden("only the author can edit a message").into());
    }
    if message.deleted_at.is_some() {
        return Err(Error::NotFound("message").into());
    }
    let chat = state.store.get_chat(auth.user.workspace_id, message.chat_id).await?;
    if chat.is_archived() {
        return Err(artel_core::permissions::archived().into());
    }
    validate_body(&req.body, !message.attachments.is_empty())?;
    let (mentions, all) = artel_core::message::parse_mentions(&req.body);
    let mut known = Vec::new();
    for user in mentions.into_iter().take(50) {
        if state.store.get_user(auth.user.workspace_id, user).await.is_ok() {
            known.push(user);
        }
    }
    let (edited, event) = state
        .store
        .edit_message(auth.user.workspace_id, id, &req.body, &known, all, state.clock.now())
        .await?;
    state.committer.publish(vec![event]);
    Ok(Json(MessageDto::new(&edited)))
}

/// Earlier versions of a message, oldest first.
#[utoipa::path(get, path = "/messages/{id}/edits", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 200, body = Vec<EditDto>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn edits(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<EditDto>>> {
    readable_message(&state, &auth, id).await?;
    let edits = state.store.message_edits(auth.user.workspace_id, id).await?;
    Ok(Json(edits.into_iter().map(|(body, replaced_at)| EditDto { body, replaced_at }).collect()))
}

/// Deletes a message (its author, the chat's admins, or workspace admins); a
/// tombstone stays in its place.
#[utoipa::path(delete, path = "/messages/{id}", operation_id = "delete_message", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let message = readable_message(&state, &auth, id).await?;
    if message.author_id != Some(auth.user.id) {
        let (chat, member) = load_chat(&state, &auth.user, message.chat_id).await?;
        let chat_admin = member.as_ref().is_some_and(|m| m.role.is_admin());
        if !(chat_admin || auth.user.role.is_admin()) || chat.kind == artel_core::chat::ChatKind::Direct {
            return Err(Error::forbidden("only the author or an admin can delete a message").into());
        }
    }
    let (_, event) =
        state.store.delete_message(auth.user.workspace_id, id, state.clock.now()).await.map_err(
            |e| match e {
                StoreError::NotFound(_) => Error::NotFound("message"),
                other => other.into(),
            },
        )?;
    state.committer.publish(vec![event]);
    // The store dropped the attachments with the message; their files go too.
    for attachment in &message.attachments {
        state.files.remove(auth.user.workspace_id, attachment.id).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

fn valid_emoji(emoji: &str) -> artel_core::Result<()> {
    let n = emoji.chars().count();
    if n == 0 || n > MAX_EMOJI_CHARS || emoji.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid("emoji", "must be an emoji or a :short_name: of at most 32 characters"));
    }
    Ok(())
}

/// Adds my reaction.
#[utoipa::path(put, path = "/messages/{id}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Message id"), ("emoji" = String, Path, description = "Emoji")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn react(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, emoji)): Path<(Uuid, String)>,
) -> ApiResult<StatusCode> {
    valid_emoji(&emoji)?;
    let message = readable_message(&state, &auth, id).await?;
    if message.deleted_at.is_some() {
        return Err(Error::NotFound("message").into());
    }
    let me = &auth.user;
    if let Some(event) =
        state.store.add_reaction(me.workspace_id, id, me.id, &emoji, state.clock.now()).await?
    {
        state.committer.publish(vec![event]);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Removes my reaction.
#[utoipa::path(delete, path = "/messages/{id}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Message id"), ("emoji" = String, Path, description = "Emoji")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn unreact(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, emoji)): Path<(Uuid, String)>,
) -> ApiResult<StatusCode> {
    valid_emoji(&emoji)?;
    readable_message(&state, &auth, id).await?;
    let me = &auth.user;
    if let Some(event) =
        state.store.remove_reaction(me.workspace_id, id, me.id, &emoji, state.clock.now()).await?
    {
        state.committer.publish(vec![event]);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Pins a message to its chat (chat admins; anyone in a direct chat).
#[utoipa::path(put, path = "/messages/{id}/pin", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn pin(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    set_pin(state, auth, id, true).await
}

/// Unpins a message.
#[utoipa::path(delete, path = "/messages/{id}/pin", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn unpin(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    set_pin(state, auth, id, false).await
}

async fn set_pin(state: AppState, auth: AuthUser, id: Uuid, pinned: bool) -> ApiResult<StatusCode> {
    let message = readable_message(&state, &auth, id).await?;
    let (chat, member) = load_chat(&state, &auth.user, message.chat_id).await?;
    if chat.kind != artel_core::chat::ChatKind::Direct {
        permissions::can_manage_chat(&auth.user, &chat, member.as_ref())?;
    }
    if pinned && message.deleted_at.is_some() {
        return Err(Error::NotFound("message").into());
    }
    let me = &auth.user;
    if let Some(event) = state.store.set_pinned(me.workspace_id, id, me.id, pinned, state.clock.now()).await?
    {
        state.committer.publish(vec![event]);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Pinned messages of a chat.
#[utoipa::path(get, path = "/chats/{id}/pins", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 200, body = Vec<MessageDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn pins(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(chat_id): Path<Uuid>,
) -> ApiResult<Json<Vec<MessageDto>>> {
    let (_, member) = load_chat(&state, &auth.user, chat_id).await?;
    permissions::can_read_chat(member.as_ref())?;
    let pinned = state.store.list_pinned(auth.user.workspace_id, chat_id).await?;
    Ok(Json(with_reactions(&state, &auth, &pinned).await?))
}

/// Who has read a message (members whose read mark is at or past it).
#[utoipa::path(get, path = "/messages/{id}/read-by", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Message id")),
    responses((status = 200, body = Vec<Uuid>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn read_by(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Uuid>>> {
    let message = readable_message(&state, &auth, id).await?;
    let users = state.store.read_by(auth.user.workspace_id, message.chat_id, message.seq).await?;
    Ok(Json(users))
}
