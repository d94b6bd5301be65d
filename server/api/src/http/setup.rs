//! First-run setup: while the server has no workspace, anyone who can reach it may
//! create the first workspace and its owner (as with Mattermost or Rocket.Chat's
//! setup wizard). Afterwards the endpoint answers 409 for good.

use artel_core::user::{Language, Role, User};
use artel_core::workspace::Workspace;
use artel_core::{validate, Error, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::sessions;
use crate::error::ApiResult;
use crate::extract::{ClientInfo, Json};
use crate::http::auth::token_response;
use crate::http::dto::TokenResponse;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SetupStatus {
    /// True while no workspace exists and setup is open.
    pub setup_required: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub workspace_name: String,
    /// Optional; derived from the name when omitted.
    pub workspace_slug: Option<String>,
    pub name: String,
    pub email: String,
    pub password: String,
    /// IANA time zone; default Europe/Moscow.
    pub time_zone: Option<String>,
    /// Default ru.
    pub language: Option<Language>,
}

/// Whether first-run setup is still open.
#[utoipa::path(get, path = "/setup", tag = "setup", responses((status = 200, body = SetupStatus)))]
pub async fn status(State(state): State<AppState>) -> ApiResult<Json<SetupStatus>> {
    Ok(Json(SetupStatus { setup_required: state.store.count_workspaces().await? == 0 }))
}

/// Creates the first workspace and its owner, and signs the owner in.
#[utoipa::path(post, path = "/setup", tag = "setup", request_body = SetupRequest,
    responses((status = 201, body = TokenResponse), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn setup(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<SetupRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let now = state.clock.now();
    let workspace = Workspace::new(&req.workspace_name, req.workspace_slug.as_deref(), now)?;
    let owner = new_user(
        &state,
        NewUser {
            workspace_id: workspace.id,
            role: Role::Owner,
            name: &req.name,
            email: &req.email,
            password: &req.password,
            time_zone: req.time_zone.as_deref(),
            language: req.language,
        },
    )
    .await?;
    state.store.create_workspace(&workspace, &owner, true).await.map_err(|e| match e {
        StoreError::Conflict("workspace") => {
            Error::conflict("already_set_up", "this server is already set up; ask an admin for an invite")
        }
        StoreError::Conflict("workspace slug") => {
            Error::conflict("slug_taken", "this workspace address is taken")
        }
        other => other.into(),
    })?;
    tracing::info!(workspace = %workspace.id, "first-run setup created a workspace");
    crate::http::pipelines::create_first(&state, &owner).await?;
    crate::http::chats::create_default_channel(&state, &owner).await?;
    let issued = sessions::start(&state, &owner, &client).await?;
    Ok((StatusCode::CREATED, Json(token_response(issued, &owner, &workspace))))
}

/// The fields of a new account, as typed by a person (setup, invite, CLI).
pub struct NewUser<'a> {
    pub workspace_id: Uuid,
    pub role: Role,
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub time_zone: Option<&'a str>,
    pub language: Option<Language>,
}

/// Validates the fields and hashes the password; the caller stores the user.
pub async fn new_user(state: &AppState, n: NewUser<'_>) -> artel_core::Result<User> {
    let name = validate::display_name("name", n.name)?;
    let email = validate::email(n.email)?;
    validate::new_password("password", n.password)?;
    let time_zone = validate::time_zone(n.time_zone.unwrap_or("Europe/Moscow"))?;
    let password_hash = state.passwords.hash(n.password.to_string()).await?;
    let now = state.clock.now();
    Ok(User {
        id: Uuid::now_v7(),
        workspace_id: n.workspace_id,
        email,
        name,
        role: n.role,
        time_zone,
        language: n.language.unwrap_or(Language::Ru),
        password_hash,
        created_at: now,
        updated_at: now,
        deactivated_at: None,
        bot: false,
    })
}
