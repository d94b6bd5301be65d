//! The WebSocket endpoint `/api/v1/ws`: origin check and upgrade, then one task
//! per socket (`conn`), fed by the node's dispatcher (`hub`).

pub mod catch_up;
pub mod conn;
pub mod frames;
pub mod gate;
pub mod hub;
pub mod presence;
pub mod presence_digest;
pub mod reorder;

use axum::extract::{State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Largest frame a client may send; bigger ones close the socket with 1009.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Initial read buffer per socket (see BENCHMARKS.md, memory per idle socket).
/// Client frames are small (a send is a few hundred bytes); a bigger one is
/// read in several steps.
const READ_BUFFER_BYTES: usize = 1024;

/// Upgrades to a WebSocket. Authentication happens in the first frame, so no
/// long-lived token ever appears in a URL or an access log.
#[utoipa::path(get, path = "/ws", tag = "realtime",
    responses((status = 101, description = "Switching protocols; then JSON frames, see the README"),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn upgrade(State(state): State<AppState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if !origin_allowed(&state, &headers) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this origin may not open sockets here",
        )
        .into_response();
    }
    // A small read buffer: tungstenite's default (128 KiB, zero-filled on the first
    // read) would be most of an idle socket's memory; frames larger than it still
    // arrive, the buffer grows for them.
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| conn::serve(socket, state))
}

/// Browsers always send `Origin`; it must be this server itself (same host) or
/// listed in `--allowed-origins`. Native clients send none and are let through:
/// they authenticate with a token like any API client.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let origin = origin.trim_end_matches('/');
    if state.settings.allowed_origins.iter().any(|o| o == origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// Who in my workspace is online or away right now (everyone else is offline).
#[utoipa::path(get, path = "/presence", tag = "realtime", security(("bearer" = [])),
    responses((status = 200, body = Vec<PresenceDto>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn presence(
    State(state): State<AppState>,
    auth: crate::auth::AuthUser,
) -> crate::error::ApiResult<crate::extract::Json<Vec<PresenceDto>>> {
    let known = crate::directory::known_people(&state, &auth.user).await?;
    let entries = state.hub.presence.snapshot(auth.user.workspace_id);
    Ok(crate::extract::Json(
        entries
            .into_iter()
            .filter(|e| crate::directory::knows(&known, e.user_id))
            .map(|e| PresenceDto { user_id: e.user_id, status: e.status })
            .collect(),
    ))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PresenceDto {
    pub user_id: uuid::Uuid,
    /// "online" or "away".
    #[schema(value_type = String)]
    pub status: artel_core::event::Presence,
}
