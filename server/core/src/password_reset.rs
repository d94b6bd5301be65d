//! Password resets an owner or admin makes for a person who forgot their password
//! (there is no e-mail relay to send a link by itself): a secret link, used once,
//! that lets the person set a new password.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::user::UserId;
use crate::workspace::WorkspaceId;

pub type PasswordResetId = Uuid;

/// How long a reset link works: long enough to reach someone by another channel
/// the same day, short enough that a forgotten link soon goes dead.
pub const RESET_LIFETIME_HOURS: i64 = 24;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub id: PasswordResetId,
    pub workspace_id: WorkspaceId,
    /// Whose password the link resets.
    pub user_id: UserId,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// SHA-256 of the secret token; the token itself is shown once, at creation.
    pub token_hash: String,
}

/// Why a reset link cannot be used (or `Usable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetState {
    Usable,
    Used,
    Expired,
}

impl PasswordReset {
    pub fn new(
        workspace_id: WorkspaceId,
        user_id: UserId,
        created_by: UserId,
        token_hash: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            workspace_id,
            user_id,
            created_by,
            created_at: now,
            expires_at: now + Duration::hours(RESET_LIFETIME_HOURS),
            used_at: None,
            token_hash,
        }
    }

    pub fn state(&self, now: DateTime<Utc>) -> ResetState {
        if self.used_at.is_some() {
            ResetState::Used
        } else if now >= self.expires_at {
            ResetState::Expired
        } else {
            ResetState::Usable
        }
    }
}
