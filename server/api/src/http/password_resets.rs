//! Password resets by an admin: there is no e-mail relay to send a "forgot
//! password" link, so an owner or admin makes a one-time link for the person and
//! hands it over (chat, phone); the person opens it and sets a new password.

use artel_core::password_reset::{PasswordReset, ResetState};
use artel_core::user::User;
use artel_core::{permissions, validate, Error, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::tokens::{hash_token, plausible, random_token};
use crate::auth::{rate_limit, AuthUser};
use crate::error::ApiResult;
use crate::extract::{ClientInfo, Json, Path};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedPasswordReset {
    /// Whose password the link resets.
    pub user_id: Uuid,
    /// The secret; shown only now.
    pub token: String,
    /// Link to hand to the person (relative when no public URL is configured).
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetLookup {
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordResetPreview {
    pub name: String,
    pub email: String,
    pub workspace_name: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsePasswordReset {
    pub token: String,
    pub new_password: String,
}

/// Makes a one-time link that lets a person set a new password (admins; an admin
/// only for members and guests, an owner for anyone but themselves). A link made
/// earlier for the same person stops working.
#[utoipa::path(post, path = "/users/{id}/password-reset", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 201, body = CreatedPasswordReset), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<CreatedPasswordReset>)> {
    if !auth.user.role.is_admin() {
        return Err(Error::forbidden("only an owner or admin can reset a password").into());
    }
    let target = state.store.get_user(auth.user.workspace_id, id).await?;
    can_reset(&auth.user, &target)?;
    if !target.is_active() {
        return Err(Error::conflict(
            "user_deactivated",
            "this account is deactivated; reactivate it before resetting the password",
        )
        .into());
    }
    if target.bot {
        return Err(
            Error::conflict("user_is_bot", "a bot has no password; it signs in with its tokens").into()
        );
    }
    let token = random_token("art_pwr");
    let reset = PasswordReset::new(
        target.workspace_id,
        target.id,
        auth.user.id,
        hash_token(&token),
        state.clock.now(),
    );
    state.store.create_password_reset(&reset).await?;
    tracing::info!(actor = %auth.user.id, target = %target.id, "password reset link made");
    let base = state.settings.public_url.clone().unwrap_or_default();
    let url = format!("{base}/reset/{token}");
    Ok((
        StatusCode::CREATED,
        Json(CreatedPasswordReset { user_id: target.id, token, url, expires_at: reset.expires_at }),
    ))
}

/// Whose reset link this is (no sign-in needed; the token is the credential).
#[utoipa::path(post, path = "/password-resets/lookup", tag = "auth", request_body = PasswordResetLookup,
    responses((status = 200, body = PasswordResetPreview), (status = 404, body = crate::error::ErrorBody),
              (status = 410, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn lookup(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<PasswordResetLookup>,
) -> ApiResult<Json<PasswordResetPreview>> {
    let (reset, user) = usable_reset(&state, &client, &req.token).await?;
    let workspace = state.store.get_workspace(user.workspace_id).await?;
    Ok(Json(PasswordResetPreview {
        name: user.name,
        email: user.email,
        workspace_name: workspace.name,
        expires_at: reset.expires_at,
    }))
}

/// Sets a new password with a reset link; the link is spent and the person is
/// signed out everywhere (whoever had their password is out too). They then sign
/// in with the new password.
#[utoipa::path(post, path = "/password-resets/use", tag = "auth", request_body = UsePasswordReset,
    responses((status = 204), (status = 404, body = crate::error::ErrorBody),
              (status = 410, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn use_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<UsePasswordReset>,
) -> ApiResult<StatusCode> {
    let (reset, user) = usable_reset(&state, &client, &req.token).await?;
    validate::new_password("new_password", &req.new_password)?;
    let hash = state.passwords.hash(req.new_password).await?;
    state.store.use_password_reset(reset.workspace_id, reset.id, &hash, state.clock.now()).await.map_err(
        |e| match e {
            StoreError::Conflict(_) => gone("reset_used", "this link has already been used"),
            StoreError::NotFound(_) => revoked(),
            other => other.into(),
        },
    )?;
    crate::auth::sessions::announce_signed_out(&state, user.workspace_id, user.id, None).await;
    tracing::info!(user = %user.id, "password set with a reset link; signed out everywhere");
    Ok(StatusCode::NO_CONTENT)
}

/// Resetting is managing the person: an admin may for members and guests, an
/// owner for anyone else. Nobody for themselves: they change it in their profile.
fn can_reset(actor: &User, target: &User) -> artel_core::Result<()> {
    permissions::can_manage_user(actor, target).map_err(|e| match e {
        Error::Forbidden(_) if actor.id == target.id => {
            Error::forbidden("change your own password in your profile")
        }
        Error::Forbidden(_) => Error::forbidden("only an owner can reset the password of an admin or owner"),
        other => other,
    })
}

/// The reset a token names and its user, if it can still be used. Every try is
/// counted per address; one naming a real link is given back.
async fn usable_reset(
    state: &AppState,
    client: &ClientInfo,
    token: &str,
) -> artel_core::Result<(PasswordReset, User)> {
    let not_found = || Error::NotFound("password reset");
    if !plausible(token) {
        return Err(not_found());
    }
    rate_limit::take_reset(state, &client.ip).await?;
    let reset =
        state.store.find_password_reset_by_token_hash(&hash_token(token)).await.map_err(|e| match e {
            StoreError::NotFound(_) => not_found(),
            other => other.into(),
        })?;
    rate_limit::reset_found(state, &client.ip).await?;
    match reset.state(state.clock.now()) {
        ResetState::Usable => {}
        ResetState::Used => return Err(gone("reset_used", "this link has already been used")),
        ResetState::Expired => {
            return Err(gone("reset_expired", "this link has expired; ask your administrator for a new one"))
        }
    }
    let user = match state.store.get_user(reset.workspace_id, reset.user_id).await {
        Ok(u) if u.is_active() => u,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(revoked()),
        Err(e) => return Err(e.into()),
    };
    // The link carries its maker's authority, so it dies with it (as invites do).
    let still_grants = match state.store.get_user(reset.workspace_id, reset.created_by).await {
        Ok(maker) => maker.is_active() && can_reset(&maker, &user).is_ok(),
        Err(StoreError::NotFound(_)) => false,
        Err(e) => return Err(e.into()),
    };
    if !still_grants {
        return Err(revoked());
    }
    Ok((reset, user))
}

fn revoked() -> Error {
    gone("reset_revoked", "this link no longer works; ask your administrator for a new one")
}

/// Used, expired and revoked links are 410 Gone: the link existed but is dead.
fn gone(code: &'static str, message: &str) -> Error {
    Error::Gone { code, message: message.to_string() }
}
