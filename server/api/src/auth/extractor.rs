//! `AuthUser`: the signed-in user of a request. Besides the JWT, the session and the
//! account are checked on every request, so "sign out everywhere" and deactivation
//! take effect at once rather than when the access token expires.

use std::sync::Arc;

use artel_core::bot::ApiToken;
use artel_core::session::SessionId;
use artel_core::user::User;
use artel_core::Error;
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    /// The session; for a bot, the id of its API token.
    pub session_id: SessionId,
    /// Set when a bot signed in with an API token: its scopes limit what it may do.
    pub token: Option<Arc<ApiToken>>,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            Error::unauthorized("unauthenticated", "sign in first: missing Authorization header")
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| {
                Error::unauthorized("invalid_token", "expected 'Authorization: Bearer <token>'")
            })?;
        if super::bot_tokens::is_bot_token(token) {
            let route = parts.extensions.get::<MatchedPath>().map(MatchedPath::as_str);
            return super::bot_tokens::authenticate(state, token, &parts.method, route)
                .await
                .map_err(Into::into);
        }
        authenticate(state, token).await.map_err(Into::into)
    }
}

/// Checks an access token and the session and account behind it.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, Error> {
    if super::bot_tokens::is_bot_token(token) {
        // Sockets carry people's sessions; bots use the REST API.
        return Err(Error::unauthorized("bot_token_not_supported", "API tokens work with the REST API only"));
    }
    let now = state.clock.now();
    let claims = state.keys.verify(token, now)?;
    let session = state.store.get_session(claims.sid).await.map_err(|e| match e {
        artel_core::StoreError::NotFound(_) => {
            Error::unauthorized("invalid_token", "the access token is invalid")
        }
        other => other.into(),
    })?;
    if session.user_id != claims.sub || session.workspace_id != claims.ws {
        return Err(Error::unauthorized("invalid_token", "the access token is invalid"));
    }
    if !session.is_live(now) {
        return Err(Error::unauthorized("session_revoked", "this session has been signed out"));
    }
    let user = state.store.get_user(claims.ws, claims.sub).await.map_err(|e| match e {
        artel_core::StoreError::NotFound(_) => {
            Error::unauthorized("invalid_token", "the access token is invalid")
        }
        other => other.into(),
    })?;
    if !user.is_active() {
        return Err(Error::unauthorized("account_deactivated", "this account has been deactivated"));
    }
    Ok(AuthUser { user, session_id: session.id, token: None })
}
