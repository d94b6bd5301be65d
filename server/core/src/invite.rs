//! Invites: a link with a secret token, a role and an expiry, used once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    user::{Role, UserId},
    workspace::WorkspaceId,
};

pub type InviteId = Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: InviteId,
    pub workspace_id: WorkspaceId,
    pub role: Role,
    /// If set, only this address may accept.
    pub email: Option<String>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub used_by: Option<UserId>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// SHA-256 of the secret token; the token itself is shown once, at creation.
    pub token_hash: String,
}

/// Why an invite cannot be accepted (or `Usable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteState {
    Usable,
    Used,
    Revoked,
    Expired,
}

impl Invite {
    pub fn state(&self, now: DateTime<Utc>) -> InviteState {
        if self.used_at.is_some() {
            InviteState::Used
        } else if self.revoked_at.is_some() {
            InviteState::Revoked
        } else if self.expires_at <= now {
            InviteState::Expired
        } else {
            InviteState::Usable
        }
    }
}
