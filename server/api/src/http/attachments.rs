//! Attachments over REST: upload a file into a chat, download it. A file is sent
//! with a message by listing its id in the message's `attachment_ids`.
//!
//! Serving user files from the API's own origin is only safe when the browser
//! cannot be talked into running them: the type is sniffed at upload (the
//! client's claim is ignored), responses say `nosniff` and carry a sandboxing
//! CSP, and everything but a few raster image types is a download, never inline.

use artel_core::attachment::{is_inline_image, sanitize_filename, Attachment};
use artel_core::{permissions, Error, StoreError};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio_util::io::ReaderStream;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::files::SaveError;
use crate::http::chats::load_chat;
use crate::messaging::wire::AttachmentDto;
use crate::state::AppState;

/// Chunk size when streaming a file out.
const READ_CHUNK: usize = 64 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name. Path components, control characters and `<>:"|?*` are
    /// removed, it is cut to 255 bytes; "file" when absent or nothing remains.
    pub filename: Option<String>,
}

/// Raw file bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(#[allow(dead_code)] Vec<u8>);

/// The upload route. Its body is streamed to disk and bounded by
/// `--max-upload-bytes`, so the JSON body limit of the other routes is lifted here.
pub fn upload_route() -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method) = routes!(upload);
    (schemas, paths, method.layer(DefaultBodyLimit::disable()))
}

/// Uploads a file into a chat (members who may post). The body is the raw file;
/// its Content-Type is ignored and the type is sniffed from the bytes. The file
/// belongs to no message until I send one listing its id; until then only I can
/// download it.
#[utoipa::path(post, path = "/chats/{id}/attachments", tag = "attachments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Chat id"), UploadQuery),
    request_body(content = FileBytes, content_type = "application/octet-stream",
        description = "The file's bytes, at most --max-upload-bytes (25 MiB by default)"),
    responses((status = 201, body = AttachmentDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, description = "The chat is archived (`chat_archived`)", body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(chat_id): Path<Uuid>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<AttachmentDto>)> {
    let (chat, member) = load_chat(&state, &auth.user, chat_id).await?;
    permissions::can_post(&chat, member.as_ref())?;
    let max = state.settings.max_upload_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    let filename = sanitize_filename(q.filename.as_deref().unwrap_or(""));
    let ws = auth.user.workspace_id;
    let id = Uuid::now_v7();
    let saved = state.files.save(ws, id, body, max).await.map_err(|e| match e {
        SaveError::TooLarge(max) => too_large(max),
        SaveError::Empty => Error::invalid("body", "the file is empty").into(),
        SaveError::Body(_) => ApiError::bad_request("bad_request", "could not read the uploaded file"),
        SaveError::Io(e) => {
            tracing::error!(error = %e, "storing an upload failed");
            ApiError::internal()
        }
    })?;
    let attachment = Attachment {
        id,
        workspace_id: ws,
        chat_id,
        uploader_id: auth.user.id,
        message_id: None,
        filename,
        content_type: saved.content_type,
        size_bytes: i64::try_from(saved.size_bytes).unwrap_or(i64::MAX),
        sha256: saved.sha256,
        created_at: state.clock.now(),
    };
    if let Err(e) = state.store.create_attachment(&attachment).await {
        state.files.remove(ws, id).await;
        return Err(match e {
            StoreError::NotFound(_) => Error::NotFound("chat").into(),
            other => other.into(),
        });
    }
    Ok((StatusCode::CREATED, Json(AttachmentDto::from(&attachment))))
}

fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the file is larger than the limit of {max} bytes"),
    )
}

/// Downloads an attachment: for current members of its chat once it was sent
/// (before that, for its uploader only); anyone else gets 404. Raster images
/// (PNG, JPEG, GIF, WebP) are served inline, everything else as a download.
/// `ETag` is the content's SHA-256; `If-None-Match` answers 304 (after the
/// access check, so revoking access works at once).
#[utoipa::path(get, path = "/attachments/{id}", tag = "attachments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Attachment id")),
    responses((status = 200, description = "The file's bytes with the type sniffed from them at upload (`image/png`, `application/pdf`, … or `application/octet-stream`); images inline, the rest as a download",
               content_type = "*/*", body = FileBytes),
              (status = 304, description = "Not modified (If-None-Match)"),
              (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let me = &auth.user;
    let attachment = state.store.get_attachment(me.workspace_id, id).await.map_err(|e| match e {
        StoreError::NotFound(_) => Error::NotFound("attachment"),
        other => other.into(),
    })?;
    let member = state.store.get_member(me.workspace_id, attachment.chat_id, me.id).await?;
    let visible = member.is_some() && (attachment.message_id.is_some() || attachment.uploader_id == me.id);
    if !visible {
        return Err(Error::NotFound("attachment").into());
    }
    let etag = format!("\"{}\"", attachment.sha256);
    let mut response = if if_none_match(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let file = state.files.open(me.workspace_id, id).await.map_err(|e| {
            // Lost from disk, or (cluster) uploaded through a node with another data dir.
            tracing::error!(error = %e, attachment = %id, "an attachment's file cannot be opened");
            ApiError::new(
                StatusCode::NOT_FOUND,
                "file_missing",
                "the attachment's file is not on this server",
            )
        })?;
        let mut response = Response::new(Body::from_stream(ReaderStream::with_capacity(file, READ_CHUNK)));
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&attachment.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(attachment.size_bytes.max(0)));
        response
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    let disposition = if is_inline_image(&attachment.content_type) { "inline" } else { "attachment" };
    h.insert(header::CONTENT_DISPOSITION, content_disposition(disposition, &attachment.filename));
    // Sent as stored: the ETag names these exact bytes, and a text file would pass the gzip filter.
    response.extensions_mut().insert(crate::compression::StoredFile);
    Ok(response)
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// `inline` / `attachment` with the name twice: an ASCII stand-in for old clients
/// and the exact UTF-8 name (RFC 6266 / RFC 8187).
fn content_disposition(kind: &str, filename: &str) -> HeaderValue {
    let ascii: String = filename
        .chars()
        .map(|c| if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        // RFC 8187 attr-char: these go as they are, every other byte %-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_carry_both_names() {
        let v = content_disposition("attachment", "отчёт \"Q1\".pdf");
        assert_eq!(
            v.to_str().ok(),
            Some(
                "attachment; filename=\"_____ _Q1_.pdf\"; \
                 filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%22Q1%22.pdf"
            )
        );
        assert_eq!(
            content_disposition("inline", "a b.png").to_str().ok(),
            Some("inline; filename=\"a b.png\"; filename*=UTF-8''a%20b.png")
        );
    }

    #[test]
    fn etags_match_lists_and_weak_forms() {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\", W/\"abc\""));
        assert!(if_none_match(&h, "\"abc\""));
        assert!(!if_none_match(&h, "\"ab\""));
        assert!(!if_none_match(&HeaderMap::new(), "\"abc\""));
    }
}
