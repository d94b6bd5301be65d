//! A chat's files (the "Files" panel): the attachments sent in it, newest first,
//! for whoever may read its messages. Unsent uploads and deleted messages' files
//! are never listed.

use artel_core::attachment::{ChatFile, ChatFileCursor};
use artel_core::permissions;
use axum::extract::State;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query, MAX_PAGE};
use crate::http::chats::load_chat;
use crate::messaging::wire::AttachmentDto;
use crate::state::AppState;

const DEFAULT_PAGE: i64 = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FilesQuery {
    /// `next_cursor` of the previous page; absent for the newest files.
    pub cursor: Option<String>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

/// A file sent in a chat.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatFileDto {
    /// The attachment's id.
    pub id: Uuid,
    /// Sanitised name of the uploaded file.
    pub filename: String,
    /// Sniffed from the file's bytes at upload.
    pub content_type: String,
    pub size_bytes: i64,
    /// Where members of the chat download it (with their bearer token).
    pub url: String,
    /// Who uploaded and sent it.
    pub uploader_id: Uuid,
    /// The message it was sent with (possibly a thread reply).
    pub message_id: Uuid,
    /// That message's seq in the chat.
    pub seq: i64,
    /// When that message was sent.
    pub sent_at: DateTime<Utc>,
}

/// A page of a chat's files.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatFilesPage {
    /// Newest message first; a message's files in their order.
    pub files: Vec<ChatFileDto>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl From<&ChatFile> for ChatFileDto {
    fn from(f: &ChatFile) -> Self {
        let a = &f.attachment;
        Self {
            id: a.id,
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            url: AttachmentDto::url_of(a.id),
            uploader_id: a.uploader_id,
            message_id: a.message_id.unwrap_or_default(),
            seq: f.seq,
            sent_at: f.sent_at,
        }
    }
}

fn invalid(field: &str, message: &str) -> ApiError {
    let mut e = ApiError::bad_request("invalid_query", message);
    e.field = Some(field.to_string());
    e
}

fn encode_cursor(c: ChatFileCursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("f:{}:{}", c.seq, c.position))
}

fn decode_cursor(raw: &str) -> Option<ChatFileCursor> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (seq, position) = text.strip_prefix("f:")?.split_once(':')?;
    let cursor = ChatFileCursor { seq: seq.parse().ok()?, position: position.parse().ok()? };
    (cursor.seq >= 0 && cursor.position >= 0).then_some(cursor)
}

impl FilesQuery {
    fn page(&self) -> ApiResult<(Option<ChatFileCursor>, i64)> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(invalid("limit", "limit must be between 1 and 200"));
        }
        let cursor = match self.cursor.as_deref() {
            None => None,
            Some(c) => Some(
                decode_cursor(c)
                    .ok_or_else(|| invalid("cursor", "cursor must be the next_cursor of a previous page"))?,
            ),
        };
        Ok((cursor, limit))
    }
}

/// The files sent in a chat, newest first (thread replies' too), for members.
/// Unsent uploads and the files of deleted messages are not listed.
#[utoipa::path(get, path = "/chats/{id}/files", operation_id = "chat_files", tag = "attachments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id"), FilesQuery),
    responses((status = 200, body = ChatFilesPage),
              (status = 400, description = "A malformed `cursor` or a `limit` out of 1..=200 (`invalid_query`)", body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(chat_id): Path<Uuid>,
    Query(q): Query<FilesQuery>,
) -> ApiResult<Json<ChatFilesPage>> {
    let (cursor, limit) = q.page()?;
    // The same rule as the chat's history: members read, others get 403 or 404.
    let (_, member) = load_chat(&state, &auth.user, chat_id).await?;
    permissions::can_read_chat(member.as_ref())?;
    let mut files = state.store.list_chat_files(auth.user.workspace_id, chat_id, cursor, limit + 1).await?;
    let more = files.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    files.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = if more { files.last().map(|f| encode_cursor(f.cursor())) } else { None };
    Ok(Json(ChatFilesPage { files: files.iter().map(ChatFileDto::from).collect(), next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let c = ChatFileCursor { seq: 42, position: 3 };
        assert_eq!(decode_cursor(&encode_cursor(c)), Some(c));
        for junk in ["", "x", "Zjo=", "ZjotMTow", "ZjoxOg", "bzox"] {
            assert_eq!(decode_cursor(junk), None, "{junk}");
        }
    }
}
