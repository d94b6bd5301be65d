//! Users, their roles in the workspace and their profile settings.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::workspace::WorkspaceId;

pub type UserId = Uuid;

/// A user's role in their workspace, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Guest,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Guest];

    /// Higher is more powerful; used for "may act on" comparisons.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Admin => 2,
            Role::Member => 1,
            Role::Guest => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Guest => "guest",
        }
    }

    /// Owners and admins run the workspace: invites, roles, deactivation.
    pub fn is_admin(self) -> bool {
        self.rank() >= Role::Admin.rank()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| format!("unknown role {s:?}"))
    }
}

/// Interface language. Russian and English are first-class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Ru,
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Ru => "ru",
            Language::En => "en",
        }
    }
}

impl FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ru" => Ok(Language::Ru),
            "en" => Ok(Language::En),
            other => Err(format!("unknown language {other:?}")),
        }
    }
}

/// A user account. An account belongs to exactly one workspace; the same e-mail may
/// have separate accounts in several workspaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub workspace_id: WorkspaceId,
    /// Lower-cased, trimmed.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// IANA time zone name, e.g. "Europe/Moscow".
    pub time_zone: String,
    pub language: Language,
    /// PHC string (argon2id). Never serialised to clients.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
    /// A bot account: no password, signs in only with API tokens (see `bot`).
    pub bot: bool,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

/// Profile fields a user may change about themselves. `None` leaves a field as is.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub language: Option<Language>,
}
