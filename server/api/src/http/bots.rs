//! Bots (admins): bot users and their scoped, revocable API tokens. A bot is added
//! to chats like a person and acts with its own permissions; deactivating it
//! (`POST /users/{id}/deactivate`) stops every token at once.

use artel_core::bot::{self, ApiToken, Scope, MAX_TOKENS_PER_BOT};
use artel_core::user::Role;
use artel_core::{validate, Error};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::bot_tokens::{self, PREFIX};
use crate::auth::tokens::{hash_token, random_token};
use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::http::dto::UserDto;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBot {
    pub name: String,
    /// member (default) or guest; bots are never admins.
    pub role: Option<Role>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameBot {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    /// What the token is for ("CRM sync", "Zapier"); shown in the list.
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// A token as listed: never the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenDto {
    pub id: Uuid,
    pub bot_id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub token: ApiTokenDto,
    /// The secret, shown only now: `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// The workspace's bots.
#[utoipa::path(get, path = "/bots", tag = "bots", operation_id = "list_bots", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserDto>), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<UserDto>>> {
    bot::can_manage_bots(&auth.user)?;
    let bots = state.store.list_bots(auth.user.workspace_id).await?;
    Ok(Json(bots.iter().map(UserDto::from).collect()))
}

/// Creates a bot user (no password; it signs in with API tokens).
#[utoipa::path(post, path = "/bots", tag = "bots", operation_id = "create_bot", security(("bearer" = [])),
    request_body = CreateBot,
    responses((status = 201, body = UserDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateBot>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    bot::can_manage_bots(&auth.user)?;
    let role = bot::role(req.role)?;
    let user = bot::new_bot_user(
        auth.user.workspace_id,
        &req.name,
        role,
        &auth.user.time_zone,
        auth.user.language,
        state.clock.now(),
    )?;
    state.store.create_bot(&user).await?;
    tracing::info!(actor = %auth.user.id, bot = %user.id, "bot created");
    Ok((StatusCode::CREATED, Json(UserDto::from(&user))))
}

/// Renames a bot.
#[utoipa::path(patch, path = "/bots/{id}", tag = "bots", operation_id = "rename_bot", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Bot (user) id")), request_body = RenameBot,
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn rename(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<RenameBot>,
) -> ApiResult<Json<UserDto>> {
    bot::can_manage_bots(&auth.user)?;
    let name = validate::display_name("name", &req.name)?;
    let user = state.store.rename_bot(auth.user.workspace_id, id, &name, state.clock.now()).await?;
    Ok(Json(UserDto::from(&user)))
}

/// A bot's tokens, newest first, revoked ones included.
#[utoipa::path(get, path = "/bots/{id}/tokens", tag = "bots", operation_id = "list_bot_tokens",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "Bot (user) id")),
    responses((status = 200, body = Vec<ApiTokenDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<ApiTokenDto>>> {
    bot::can_manage_bots(&auth.user)?;
    let bot_user = state.store.get_user(auth.user.workspace_id, id).await?;
    if !bot_user.bot {
        return Err(Error::NotFound("bot").into());
    }
    let tokens = state.store.list_api_tokens(auth.user.workspace_id, id).await?;
    Ok(Json(tokens.iter().map(bot_tokens::describe).collect()))
}

/// Issues a token for a bot. The secret is in this answer only.
#[utoipa::path(post, path = "/bots/{id}/tokens", tag = "bots", operation_id = "create_bot_token",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "Bot (user) id")),
    request_body = CreateApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<CreateApiToken>,
) -> ApiResult<(StatusCode, Json<CreatedApiToken>)> {
    bot::can_manage_bots(&auth.user)?;
    let name = validate::display_name("name", &req.name)?;
    let scopes = bot::scopes(&req.scopes)?;
    let bot_user = state.store.get_user(auth.user.workspace_id, id).await?;
    if !bot_user.bot {
        return Err(Error::NotFound("bot").into());
    }
    if !bot_user.is_active() {
        return Err(Error::conflict("bot_deactivated", "reactivate the bot before issuing tokens").into());
    }
    let secret = random_token(PREFIX);
    let token = ApiToken {
        id: Uuid::now_v7(),
        workspace_id: auth.user.workspace_id,
        user_id: id,
        name,
        token_hash: hash_token(&secret),
        scopes,
        created_by: Some(auth.user.id),
        created_at: state.clock.now(),
        last_used_at: None,
        revoked_at: None,
    };
    state.store.create_api_token(&token, MAX_TOKENS_PER_BOT).await?;
    tracing::info!(actor = %auth.user.id, bot = %id, token = %token.id, "API token issued");
    Ok((StatusCode::CREATED, Json(CreatedApiToken { token: bot_tokens::describe(&token), secret })))
}

/// Revokes a token at once (idempotent).
#[utoipa::path(delete, path = "/bots/{id}/tokens/{token_id}", tag = "bots", operation_id = "revoke_bot_token",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Bot (user) id"), ("token_id" = Uuid, Path, description = "Token id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, token_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    bot::can_manage_bots(&auth.user)?;
    state.store.revoke_api_token(auth.user.workspace_id, id, token_id, state.clock.now()).await?;
    tracing::info!(actor = %auth.user.id, bot = %id, token = %token_id, "API token revoked");
    Ok(StatusCode::NO_CONTENT)
}
