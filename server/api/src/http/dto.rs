//! Wire shapes shared by several resources. Domain types stay free of HTTP concerns;
//! these are what clients see, and what the OpenAPI document describes.

use artel_core::invite::Invite;
use artel_core::session::Session;
use artel_core::user::{Language, Role, User};
use artel_core::workspace::Workspace;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub time_zone: String,
    pub language: Language,
    pub created_at: DateTime<Utc>,
    /// Set when the account was deactivated; deactivated users cannot sign in.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// A bot account (acts through API tokens).
    pub bot: bool,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            time_zone: u.time_zone.clone(),
            language: u.language,
            created_at: u.created_at,
            deactivated_at: u.deactivated_at,
            bot: u.bot,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceDto {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub created_at: DateTime<Utc>,
}

impl From<&Workspace> for WorkspaceDto {
    fn from(w: &Workspace) -> Self {
        Self { id: w.id, name: w.name.clone(), slug: w.slug.clone(), created_at: w.created_at }
    }
}

/// Credentials returned by sign-in, setup, invite acceptance and refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always "Bearer".
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; exchange at /auth/refresh. Each one works once.
    pub refresh_token: String,
    pub user: UserDto,
    pub workspace: WorkspaceDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InviteDto {
    pub id: Uuid,
    pub role: Role,
    pub email: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<&Invite> for InviteDto {
    fn from(i: &Invite) -> Self {
        Self {
            id: i.id,
            role: i.role,
            email: i.email.clone(),
            created_by: i.created_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub id: Uuid,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The session this request was made with.
    pub current: bool,
}

impl SessionDto {
    pub fn new(s: &Session, current: Uuid) -> Self {
        Self {
            id: s.id,
            user_agent: s.user_agent.clone(),
            ip: s.ip.clone(),
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            current: s.id == current,
        }
    }
}
