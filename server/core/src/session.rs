//! Sign-in sessions. A session is one refresh-token family: every refresh rotates
//! the token, and presenting an already-rotated token revokes the whole family
//! (it means the token leaked).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{user::UserId, workspace::WorkspaceId};

pub type SessionId = Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    /// The family dies at this time even if refreshed regularly.
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Session {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// One refresh token of a family, stored only as a SHA-256 hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub id: Uuid,
    pub session_id: SessionId,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What happened when a refresh token was presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The token was current: it is now spent and the new one replaces it.
    Rotated(Session),
    /// The token had already been spent: the family is now revoked.
    Reused(SessionId),
    /// Unknown token, expired token or dead session.
    Invalid,
}
