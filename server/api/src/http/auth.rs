//! Sign-in, token refresh and sign-out.

use artel_core::user::User;
use artel_core::workspace::Workspace;
use artel_core::{validate, Error};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::sessions::{self, Issued};
use crate::auth::{rate_limit, AuthUser};
use crate::error::ApiResult;
use crate::extract::{ClientInfo, Json};
use crate::http::dto::{TokenResponse, UserDto, WorkspaceDto};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Workspace slug; needed only when the e-mail has accounts in several workspaces.
    pub workspace: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

pub fn token_response(issued: Issued, user: &User, workspace: &Workspace) -> TokenResponse {
    TokenResponse {
        access_token: issued.access_token,
        token_type: "Bearer".into(),
        expires_in: issued.expires_in,
        refresh_token: issued.refresh_token,
        user: UserDto::from(user),
        workspace: WorkspaceDto::from(workspace),
    }
}

/// Signs in with e-mail and password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let bad = || Error::unauthorized("invalid_credentials", "wrong e-mail or password");
    // A malformed e-mail or an absurd password cannot match any account; answer as
    // for a wrong password so the endpoint reveals nothing, but bound the work.
    let email = validate::email(&req.email).map_err(|_| bad())?;
    if req.password.is_empty() || req.password.chars().count() > validate::MAX_PASSWORD_CHARS {
        return Err(bad().into());
    }
    // Counted before any hashing, so concurrent attempts cannot pass a full limit.
    rate_limit::take_login(&state, &email, &client.ip).await?;
    let matched = match check_password(&state, &email, &req).await {
        Ok(matched) => matched,
        Err(e) => {
            if matches!(e, Error::RateLimited { .. }) {
                rate_limit::login_not_checked(&state, &email, &client.ip).await?;
            }
            return Err(e.into());
        }
    };
    if matched.len() > 1 {
        rate_limit::login_succeeded(&state, &email, &client.ip).await?;
        return Err(Error::conflict(
            "workspace_required",
            "this e-mail has accounts in several workspaces; give the workspace address too",
        )
        .into());
    }
    let Some((user, needs_rehash)) = matched.into_iter().next() else {
        rate_limit::login_failed(&state).await?;
        return Err(bad().into());
    };
    rate_limit::login_succeeded(&state, &email, &client.ip).await?;
    if needs_rehash {
        // Best effort: when hashing is busy the old hash still works, and the next
        // sign-in tries again.
        match state.passwords.hash(req.password).await {
            Ok(hash) => {
                state.store.set_password_hash(user.workspace_id, user.id, &hash, state.clock.now()).await?;
                tracing::info!(user = %user.id, "password rehashed with current parameters");
            }
            Err(Error::RateLimited { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let workspace = state.store.get_workspace(user.workspace_id).await?;
    let issued = sessions::start(&state, &user, &client).await?;
    Ok(Json(token_response(issued, &user, &workspace)))
}

/// The active accounts of the e-mail (in the named workspace, if given) whose
/// password this is, each with whether its hash needs the current parameters.
/// Every candidate is checked, deactivated ones too, and an unknown e-mail is
/// checked against a dummy hash: the answer and the time it takes tell nothing
/// about which accounts exist or are deactivated.
async fn check_password(
    state: &AppState,
    email: &str,
    req: &LoginRequest,
) -> artel_core::Result<Vec<(User, bool)>> {
    let mut candidates = state.store.find_users_by_email(email).await?;
    if let Some(slug) = req.workspace.as_deref() {
        let slug = slug.trim().to_lowercase();
        let mut kept = Vec::new();
        for user in candidates {
            if state.store.get_workspace(user.workspace_id).await?.slug == slug {
                kept.push(user);
            }
        }
        candidates = kept;
    }
    if candidates.is_empty() {
        state.passwords.verify_dummy(req.password.clone()).await?;
    }
    let mut matched = Vec::new();
    for user in candidates {
        let verified = state.passwords.verify(req.password.clone(), user.password_hash.clone()).await?;
        if verified.ok && user.is_active() {
            matched.push((user, verified.needs_rehash));
        }
    }
    Ok(matched)
}

/// Exchanges a refresh token for a new access token and a new refresh token.
/// Presenting a refresh token twice signs that session out.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let (issued, session) = sessions::refresh(&state, &req.refresh_token).await?;
    let user = state.store.get_user(session.workspace_id, session.user_id).await?;
    let workspace = state.store.get_workspace(session.workspace_id).await?;
    Ok(Json(token_response(issued, &user, &workspace)))
}

/// Signs out this session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, auth: AuthUser) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    state.store.revoke_session(auth.user.workspace_id, auth.user.id, auth.session_id, now).await?;
    sessions::announce_signed_out(&state, auth.user.workspace_id, auth.user.id, Some(auth.session_id)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs out every session of this user, on every device.
#[utoipa::path(post, path = "/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout_all(State(state): State<AppState>, auth: AuthUser) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    let n = state.store.revoke_user_sessions(auth.user.workspace_id, auth.user.id, now).await?;
    sessions::announce_signed_out(&state, auth.user.workspace_id, auth.user.id, None).await;
    tracing::info!(user = %auth.user.id, sessions = n, "signed out everywhere");
    Ok(StatusCode::NO_CONTENT)
}
