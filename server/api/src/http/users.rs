//! The workspace's people: directory, roles, deactivation (admins).

use artel_core::permissions;
use artel_core::user::Role;
use artel_core::Error;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::http::dto::UserDto;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub role: Role,
}

/// People of my workspace (not for guests).
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserDto>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_users(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<UserDto>>> {
    permissions::can_list_users(&auth.user)?;
    let users = state.store.list_users(auth.user.workspace_id).await?;
    Ok(Json(users.iter().map(UserDto::from).collect()))
}

/// One person of my workspace. Guests may only look themselves up.
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = UserDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<UserDto>> {
    if auth.user.role == Role::Guest && id != auth.user.id {
        return Err(Error::NotFound("user").into());
    }
    let user = state.store.get_user(auth.user.workspace_id, id).await?;
    Ok(Json(UserDto::from(&user)))
}

/// Changes a person's role (admins; only owners grant admin or owner).
#[utoipa::path(patch, path = "/users/{id}", tag = "users", security(("bearer" = [])), request_body = UserPatch,
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = UserDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(patch): Json<UserPatch>,
) -> ApiResult<Json<UserDto>> {
    let target = state.store.get_user(auth.user.workspace_id, id).await?;
    permissions::can_change_role(&auth.user, &target, patch.role)?;
    let user = state.store.set_role(target.workspace_id, target.id, patch.role, state.clock.now()).await?;
    if user.role != target.role {
        crate::access::role_changed(&state, &auth.user, &user).await?;
    }
    tracing::info!(actor = %auth.user.id, target = %user.id, role = %user.role, "role changed");
    Ok(Json(UserDto::from(&user)))
}

/// Deactivates a person: they are signed out everywhere at once and cannot sign in.
#[utoipa::path(post, path = "/users/{id}/deactivate", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = UserDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn deactivate_user(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<UserDto>> {
    let target = state.store.get_user(auth.user.workspace_id, id).await?;
    permissions::can_manage_user(&auth.user, &target)?;
    let now = state.clock.now();
    let at = target.deactivated_at.unwrap_or(now);
    let user = state.store.set_deactivated(target.workspace_id, target.id, Some(at), now).await?;
    crate::auth::sessions::announce_signed_out(&state, user.workspace_id, user.id, None).await;
    tracing::info!(actor = %auth.user.id, target = %user.id, "user deactivated");
    Ok(Json(UserDto::from(&user)))
}

/// Reactivates a deactivated person; they sign in again with their password.
#[utoipa::path(post, path = "/users/{id}/reactivate", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = UserDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn reactivate_user(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<UserDto>> {
    let target = state.store.get_user(auth.user.workspace_id, id).await?;
    permissions::can_manage_user(&auth.user, &target)?;
    let user = state.store.set_deactivated(target.workspace_id, target.id, None, state.clock.now()).await?;
    Ok(Json(UserDto::from(&user)))
}
