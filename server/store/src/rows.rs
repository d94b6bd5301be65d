//! Row shapes as both engines return them, and their conversion to domain types.
//! Enums are stored as text; a value the domain does not know is a backend error.

use artel_core::invite::Invite;
use artel_core::session::Session;
use artel_core::user::User;
use artel_core::workspace::Workspace;
use artel_core::StoreError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub(crate) const WORKSPACE_COLUMNS: &str = "id, name, slug, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct WorkspaceRow {
    id: Uuid,
    name: String,
    slug: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<WorkspaceRow> for Workspace {
    fn from(r: WorkspaceRow) -> Self {
        Workspace { id: r.id, name: r.name, slug: r.slug, created_at: r.created_at, updated_at: r.updated_at }
    }
}

pub(crate) const USER_COLUMNS: &str = "id, workspace_id, email, name, role, time_zone, language, \
     password_hash, created_at, updated_at, deactivated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    workspace_id: Uuid,
    email: String,
    name: String,
    role: String,
    time_zone: String,
    language: String,
    password_hash: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deactivated_at: Option<DateTime<Utc>>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: r.id,
            workspace_id: r.workspace_id,
            email: r.email,
            name: r.name,
            role: r.role.parse().map_err(StoreError::Backend)?,
            time_zone: r.time_zone,
            language: r.language.parse().map_err(StoreError::Backend)?,
            password_hash: r.password_hash,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deactivated_at: r.deactivated_at,
        })
    }
}

pub(crate) fn users(rows: Vec<UserRow>) -> Result<Vec<User>, StoreError> {
    rows.into_iter().map(User::try_from).collect()
}

pub(crate) const SESSION_COLUMNS: &str =
    "id, workspace_id, user_id, user_agent, ip, created_at, last_used_at, expires_at, revoked_at";

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: Uuid,
    workspace_id: Uuid,
    user_id: Uuid,
    user_agent: Option<String>,
    ip: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            id: r.id,
            workspace_id: r.workspace_id,
            user_id: r.user_id,
            user_agent: r.user_agent,
            ip: r.ip,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

pub(crate) const INVITE_COLUMNS: &str = "id, workspace_id, role, email, token_hash, created_by, \
     created_at, expires_at, used_at, used_by, revoked_at";

#[derive(sqlx::FromRow)]
pub(crate) struct InviteRow {
    id: Uuid,
    workspace_id: Uuid,
    role: String,
    email: Option<String>,
    token_hash: String,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    used_by: Option<Uuid>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<InviteRow> for Invite {
    type Error = StoreError;
    fn try_from(r: InviteRow) -> Result<Self, StoreError> {
        Ok(Invite {
            id: r.id,
            workspace_id: r.workspace_id,
            role: r.role.parse().map_err(StoreError::Backend)?,
            email: r.email,
            token_hash: r.token_hash,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
            used_by: r.used_by,
            revoked_at: r.revoked_at,
        })
    }
}
