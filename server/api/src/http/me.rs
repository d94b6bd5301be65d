//! The signed-in user: profile, password, sessions.

use artel_core::user::{Language, ProfileUpdate};
use artel_core::{validate, Error};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{rate_limit, AuthUser};
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::http::dto::{SessionDto, UserDto, WorkspaceDto};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserDto,
    pub workspace: WorkspaceDto,
    /// The session this request was made with.
    pub session_id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub name: Option<String>,
    /// IANA time zone, e.g. "Europe/Moscow".
    pub time_zone: Option<String>,
    pub language: Option<Language>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Who am I: my account and my workspace.
#[utoipa::path(get, path = "/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn get_me(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<MeResponse>> {
    let workspace = state.store.get_workspace(auth.user.workspace_id).await?;
    Ok(Json(MeResponse {
        user: UserDto::from(&auth.user),
        workspace: WorkspaceDto::from(&workspace),
        session_id: auth.session_id,
    }))
}

/// Updates my name, time zone or language.
#[utoipa::path(patch, path = "/me", tag = "me", security(("bearer" = [])), request_body = ProfilePatch,
    responses((status = 200, body = UserDto), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(patch): Json<ProfilePatch>,
) -> ApiResult<Json<UserDto>> {
    let change = ProfileUpdate {
        name: patch.name.as_deref().map(|n| validate::display_name("name", n)).transpose()?,
        time_zone: patch.time_zone.as_deref().map(validate::time_zone).transpose()?,
        language: patch.language,
    };
    let user =
        state.store.update_profile(auth.user.workspace_id, auth.user.id, &change, state.clock.now()).await?;
    Ok(Json(UserDto::from(&user)))
}

/// Changes my password; every other session is signed out.
#[utoipa::path(post, path = "/me/password", tag = "me", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    if req.current_password.chars().count() > validate::MAX_PASSWORD_CHARS {
        return Err(Error::forbidden("the current password is wrong").into());
    }
    // A stolen access token must not buy unlimited guesses at the password:
    // counted before the check, with the sign-in limit per account.
    rate_limit::take_password_change(&state, auth.user.id).await?;
    let verified = match state.passwords.verify(req.current_password, auth.user.password_hash.clone()).await {
        Ok(verified) => verified,
        Err(e) => {
            if matches!(e, Error::RateLimited { .. }) {
                rate_limit::password_change_not_checked(&state, auth.user.id).await?;
            }
            return Err(e.into());
        }
    };
    if !verified.ok {
        return Err(Error::forbidden("the current password is wrong").into());
    }
    rate_limit::password_change_succeeded(&state, auth.user.id).await?;
    validate::new_password("new_password", &req.new_password)?;
    let hash = state.passwords.hash(req.new_password).await?;
    let now = state.clock.now();
    let (ws, me) = (auth.user.workspace_id, auth.user.id);
    state.store.set_password_hash(ws, me, &hash, now).await?;
    for session in state.store.list_sessions(ws, me, now).await? {
        if session.id != auth.session_id {
            state.store.revoke_session(ws, me, session.id, now).await?;
            crate::auth::sessions::announce_signed_out(&state, ws, me, Some(session.id)).await;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// My live sessions (devices), newest first.
#[utoipa::path(get, path = "/me/sessions", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionDto>)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Vec<SessionDto>>> {
    let sessions = state.store.list_sessions(auth.user.workspace_id, auth.user.id, state.clock.now()).await?;
    Ok(Json(sessions.iter().map(|s| SessionDto::new(s, auth.session_id)).collect()))
}

/// Signs out one of my sessions.
#[utoipa::path(delete, path = "/me/sessions/{id}", tag = "me", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.store.revoke_session(auth.user.workspace_id, auth.user.id, id, state.clock.now()).await?;
    crate::auth::sessions::announce_signed_out(&state, auth.user.workspace_id, auth.user.id, Some(id)).await;
    Ok(StatusCode::NO_CONTENT)
}
