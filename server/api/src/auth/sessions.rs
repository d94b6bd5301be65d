//! Starting and refreshing sign-in sessions: an access JWT plus an opaque refresh
//! token that rotates on every use.

use artel_core::session::{RefreshToken, RotateOutcome, Session};
use artel_core::user::User;
use artel_core::{Error, Result};
use uuid::Uuid;

use crate::auth::jwt::{Claims, AUDIENCE, ISSUER};
use crate::auth::tokens::{hash_token, plausible, random_token};
use crate::extract::ClientInfo;
use crate::state::AppState;

/// Freshly issued credentials.
pub struct Issued {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
}

/// Opens a new session for the user and issues its first tokens.
pub async fn start(state: &AppState, user: &User, client: &ClientInfo) -> Result<Issued> {
    let now = state.clock.now();
    let session = Session {
        id: Uuid::now_v7(),
        workspace_id: user.workspace_id,
        user_id: user.id,
        user_agent: client.user_agent.clone(),
        ip: Some(client.ip.clone()),
        created_at: now,
        last_used_at: now,
        expires_at: now + state.settings.session_ttl,
        revoked_at: None,
    };
    let refresh_token = random_token("art_rt");
    let token = RefreshToken {
        id: Uuid::now_v7(),
        session_id: session.id,
        token_hash: hash_token(&refresh_token),
        created_at: now,
        expires_at: session.expires_at,
    };
    state.store.create_session(&session, &token).await?;
    let (access_token, expires_in) = access_token(state, user.id, user.workspace_id, session.id)?;
    Ok(Issued { access_token, expires_in, refresh_token })
}

/// Spends a refresh token and issues the next pair. A token that was already spent
/// revokes its whole session: somebody else has a copy.
pub async fn refresh(state: &AppState, presented: &str) -> Result<(Issued, Session)> {
    let invalid = || Error::unauthorized("invalid_refresh_token", "the refresh token is invalid or expired");
    if !plausible(presented) {
        return Err(invalid());
    }
    let now = state.clock.now();
    let next = random_token("art_rt");
    let outcome = state
        .store
        .rotate_refresh_token(
            &hash_token(presented),
            &hash_token(&next),
            now + state.settings.session_ttl,
            now,
        )
        .await?;
    match outcome {
        RotateOutcome::Rotated(session) => {
            // The user may have been deactivated since; the session was revoked then,
            // but check the account too so a reactivation race cannot slip through.
            let user = state.store.get_user(session.workspace_id, session.user_id).await?;
            if !user.is_active() {
                return Err(Error::unauthorized("account_deactivated", "this account has been deactivated"));
            }
            let (access_token, expires_in) = access_token(state, user.id, user.workspace_id, session.id)?;
            Ok((Issued { access_token, expires_in, refresh_token: next }, session))
        }
        RotateOutcome::Reused(session_id) => {
            tracing::warn!(%session_id, "refresh token reused; session revoked");
            Err(Error::unauthorized(
                "refresh_token_reused",
                "this refresh token was already used; the session has been signed out for safety",
            ))
        }
        RotateOutcome::Invalid => Err(invalid()),
    }
}

fn access_token(state: &AppState, user: Uuid, workspace: Uuid, session: Uuid) -> Result<(String, i64)> {
    let now = state.clock.now();
    let ttl = state.settings.access_token_ttl;
    let claims = Claims {
        sub: user,
        ws: workspace,
        sid: session,
        iat: now.timestamp(),
        exp: (now + ttl).timestamp(),
        iss: ISSUER.to_string(),
        aud: AUDIENCE.to_string(),
    };
    Ok((state.keys.sign(&claims)?, ttl.num_seconds()))
}

/// Tells every node to close the sockets of a revoked session (or of all the
/// user's sessions with `None`), so a signed-out device stops receiving at once.
pub async fn announce_signed_out(
    state: &AppState,
    workspace: Uuid,
    user: Uuid,
    session: Option<artel_core::session::SessionId>,
) {
    use artel_core::event::{Audience, Envelope, Ephemeral};
    let envelope = Envelope::ephemeral(
        workspace,
        Audience::Users { user_ids: vec![user] },
        Ephemeral::SignedOut { user_id: user, session_id: session },
    );
    if let Err(e) = state.bus.publish(&envelope).await {
        // Sockets re-check the session on their next frame anyway.
        tracing::warn!(error = %e, "could not announce a sign-out");
    }
}
