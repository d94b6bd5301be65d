//! Invites: admins create a link (secret token, role, expiry); the invitee looks it
//! up, then accepts with a name and a password and is signed in.

use artel_core::invite::{Invite, InviteState};
use artel_core::user::{Language, Role};
use artel_core::{permissions, validate, Error, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::tokens::{hash_token, plausible, random_token};
use crate::auth::{sessions, AuthUser};
use crate::error::ApiResult;
use crate::extract::{ClientInfo, Json, Path};
use crate::http::auth::token_response;
use crate::http::dto::{InviteDto, TokenResponse};
use crate::http::setup::{new_user, NewUser};
use crate::state::AppState;

const DEFAULT_EXPIRY_HOURS: u32 = 7 * 24;
const MAX_EXPIRY_HOURS: u32 = 30 * 24;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    pub role: Role,
    /// If given, only this address can accept.
    pub email: Option<String>,
    /// 1..=720; default 168 (a week).
    pub expires_in_hours: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInvite {
    pub invite: InviteDto,
    /// The secret; shown only now.
    pub token: String,
    /// Link to send to the invitee (relative when no public URL is configured).
    pub url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteTokenRequest {
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitePreview {
    pub workspace_name: String,
    pub role: Role,
    pub email: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    pub token: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub time_zone: Option<String>,
    pub language: Option<Language>,
}

/// Creates an invite link (admins).
#[utoipa::path(post, path = "/invites", tag = "invites", security(("bearer" = [])), request_body = CreateInvite,
    responses((status = 201, body = CreatedInvite), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_invite(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateInvite>,
) -> ApiResult<(StatusCode, Json<CreatedInvite>)> {
    permissions::can_invite(&auth.user, req.role)?;
    let hours = req.expires_in_hours.unwrap_or(DEFAULT_EXPIRY_HOURS);
    if !(1..=MAX_EXPIRY_HOURS).contains(&hours) {
        return Err(
            Error::invalid("expires_in_hours", format!("must be between 1 and {MAX_EXPIRY_HOURS}")).into()
        );
    }
    let email = req.email.as_deref().map(validate::email).transpose()?;
    let now = state.clock.now();
    let token = random_token("art_inv");
    let invite = Invite {
        id: Uuid::now_v7(),
        workspace_id: auth.user.workspace_id,
        role: req.role,
        email,
        created_by: auth.user.id,
        created_at: now,
        expires_at: now + Duration::hours(i64::from(hours)),
        used_at: None,
        used_by: None,
        revoked_at: None,
        token_hash: hash_token(&token),
    };
    state.store.create_invite(&invite).await?;
    let base = state.settings.public_url.clone().unwrap_or_default();
    let url = format!("{base}/invite/{token}");
    Ok((StatusCode::CREATED, Json(CreatedInvite { invite: InviteDto::from(&invite), token, url })))
}

/// Invites that can still be accepted (admins).
#[utoipa::path(get, path = "/invites", tag = "invites", security(("bearer" = [])),
    responses((status = 200, body = Vec<InviteDto>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_invites(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<InviteDto>>> {
    permissions::can_manage_invites(&auth.user)?;
    let invites = state.store.list_pending_invites(auth.user.workspace_id, state.clock.now()).await?;
    let mut live = Vec::with_capacity(invites.len());
    for invite in invites {
        match inviter_still_grants(&state, &invite).await {
            Ok(()) => live.push(InviteDto::from(&invite)),
            // Dead with its sender's rights: no longer pending.
            Err(Error::Gone { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(live))
}

/// Revokes a pending invite (admins).
#[utoipa::path(delete, path = "/invites/{id}", tag = "invites", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Invite id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_invite(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    permissions::can_manage_invites(&auth.user)?;
    let invite = state.store.get_invite(auth.user.workspace_id, id).await?;
    permissions::can_invite(&auth.user, invite.role)?;
    state.store.revoke_invite(auth.user.workspace_id, id, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invite link leads to (no sign-in needed; the token is the credential).
#[utoipa::path(post, path = "/invites/lookup", tag = "invites", request_body = InviteTokenRequest,
    responses((status = 200, body = InvitePreview), (status = 404, body = crate::error::ErrorBody),
              (status = 410, body = crate::error::ErrorBody)))]
pub async fn lookup_invite(
    State(state): State<AppState>,
    Json(req): Json<InviteTokenRequest>,
) -> ApiResult<Json<InvitePreview>> {
    let invite = usable_invite(&state, &req.token).await?;
    let workspace = state.store.get_workspace(invite.workspace_id).await?;
    Ok(Json(InvitePreview {
        workspace_name: workspace.name,
        role: invite.role,
        email: invite.email,
        expires_at: invite.expires_at,
    }))
}

/// Accepts an invite: creates the account and signs it in.
#[utoipa::path(post, path = "/invites/accept", tag = "invites", request_body = AcceptInvite,
    responses((status = 201, body = TokenResponse), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 410, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn accept_invite(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<AcceptInvite>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let invite = usable_invite(&state, &req.token).await?;
    let user = new_user(
        &state,
        NewUser {
            workspace_id: invite.workspace_id,
            role: invite.role,
            name: &req.name,
            email: &req.email,
            password: &req.password,
            time_zone: req.time_zone.as_deref(),
            language: req.language,
        },
    )
    .await?;
    if invite.email.as_deref().is_some_and(|e| e != user.email) {
        return Err(Error::invalid("email", "must be the address the invite was sent to").into());
    }
    state.store.accept_invite(invite.id, &user, state.clock.now()).await.map_err(|e| match e {
        StoreError::Conflict("user") => {
            Error::conflict("email_taken", "an account with this e-mail already exists in the workspace")
        }
        StoreError::Conflict(_) => gone("invite_used", "this invite has already been used"),
        other => other.into(),
    })?;
    let workspace = state.store.get_workspace(user.workspace_id).await?;
    tracing::info!(user = %user.id, workspace = %workspace.id, "invite accepted");
    crate::http::chats::join_default_chats(&state, &user).await;
    let issued = sessions::start(&state, &user, &client).await?;
    Ok((StatusCode::CREATED, Json(token_response(issued, &user, &workspace))))
}

/// The invite a token names, if it can still be accepted.
async fn usable_invite(state: &AppState, token: &str) -> artel_core::Result<Invite> {
    let not_found = || Error::NotFound("invite");
    if !plausible(token) {
        return Err(not_found());
    }
    let invite = state.store.find_invite_by_token_hash(&hash_token(token)).await.map_err(|e| match e {
        StoreError::NotFound(_) => not_found(),
        other => other.into(),
    })?;
    match invite.state(state.clock.now()) {
        InviteState::Usable => {
            inviter_still_grants(state, &invite).await?;
            Ok(invite)
        }
        InviteState::Used => Err(gone("invite_used", "this invite has already been used")),
        InviteState::Revoked => Err(gone("invite_revoked", "this invite has been revoked")),
        InviteState::Expired => Err(gone("invite_expired", "this invite has expired; ask for a new one")),
    }
}

/// An invite carries its creator's authority, so it dies with it: a deactivated or
/// demoted inviter's pending invites stop working without anyone revoking them.
async fn inviter_still_grants(state: &AppState, invite: &Invite) -> artel_core::Result<()> {
    let inviter = match state.store.get_user(invite.workspace_id, invite.created_by).await {
        Ok(u) => u,
        Err(StoreError::NotFound(_)) => return Err(inviter_gone()),
        Err(e) => return Err(e.into()),
    };
    permissions::can_invite(&inviter, invite.role).map_err(|_| inviter_gone())
}

fn inviter_gone() -> Error {
    gone("invite_revoked", "this invite is no longer valid: its sender can no longer grant it")
}

/// Used, revoked and expired invites are 410 Gone: the link existed but is dead.
fn gone(code: &'static str, message: &str) -> Error {
    Error::Gone { code, message: message.to_string() }
}
