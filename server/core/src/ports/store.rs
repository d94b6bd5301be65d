//! The `Store` port: durable state. `SqliteStore` (single node) and `PostgresStore`
//! (cluster) in artel-store implement it with identical behaviour.
//!
//! Every method that reads or changes a workspace's object takes that workspace's id
//! and only ever touches rows of that workspace: isolation is enforced here, not
//! left to each caller.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::invite::{Invite, InviteId};
use crate::session::{RefreshToken, RotateOutcome, Session, SessionId};
use crate::user::{ProfileUpdate, Role, User, UserId};
use crate::workspace::{Workspace, WorkspaceId};

/// What a storage adapter can report. Adapters map their driver errors into this.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in this workspace.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule was hit; names the thing that already exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// Anything else the backend said; logged, never shown to clients.
    #[error("storage backend: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Workspaces (tenants).
#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    /// Creates a workspace together with its first owner, atomically. With
    /// `first_run_only`, fails with `Conflict("workspace")` if any workspace exists
    /// (the public setup endpoint); concurrent callers cannot both succeed.
    async fn create_workspace(
        &self,
        workspace: &Workspace,
        owner: &User,
        first_run_only: bool,
    ) -> StoreResult<()>;
    /// Reads one workspace.
    async fn get_workspace(&self, id: WorkspaceId) -> StoreResult<Workspace>;
    /// Reads one workspace by its slug.
    async fn get_workspace_by_slug(&self, slug: &str) -> StoreResult<Workspace>;
    /// Number of workspaces on this server (first-run detection).
    async fn count_workspaces(&self) -> StoreResult<i64>;
}

/// User accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user; `Conflict("user")` if the e-mail is taken in that workspace.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// Reads a user of the workspace.
    async fn get_user(&self, workspace: WorkspaceId, id: UserId) -> StoreResult<User>;
    /// All accounts with this (canonical) e-mail, across workspaces, for sign-in.
    async fn find_users_by_email(&self, email: &str) -> StoreResult<Vec<User>>;
    /// Users of the workspace, active first, then by name.
    async fn list_users(&self, workspace: WorkspaceId) -> StoreResult<Vec<User>>;
    /// Applies a profile change and returns the updated user.
    async fn update_profile(
        &self,
        workspace: WorkspaceId,
        id: UserId,
        change: &ProfileUpdate,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
    /// Replaces the password hash (rehash on login, password change).
    async fn set_password_hash(
        &self,
        workspace: WorkspaceId,
        id: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Changes a user's role.
    async fn set_role(
        &self,
        workspace: WorkspaceId,
        id: UserId,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
    /// Deactivates (`Some(time)`) or reactivates (`None`) a user. Deactivation also
    /// revokes every session of the user in the same transaction.
    async fn set_deactivated(
        &self,
        workspace: WorkspaceId,
        id: UserId,
        at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
}

/// Sign-in sessions and their refresh tokens.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts a session with its first refresh token.
    async fn create_session(&self, session: &Session, token: &RefreshToken) -> StoreResult<()>;
    /// Reads a session (live or not).
    async fn get_session(&self, id: SessionId) -> StoreResult<Session>;
    /// Spends the token with this hash and stores the one hashed `next_hash` in its
    /// family, atomically; a token spent before revokes the family (`Reused`).
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        next_hash: &str,
        next_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<RotateOutcome>;
    /// Live sessions of a user, newest first.
    async fn list_sessions(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Session>>;
    /// Revokes one session of the user; `NotFound` if it is not theirs.
    async fn revoke_session(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        id: SessionId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Revokes every session of the user ("sign out everywhere"); returns how many.
    async fn revoke_user_sessions(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// Invites into a workspace.
#[async_trait]
pub trait InviteStore: Send + Sync {
    /// Stores a new invite.
    async fn create_invite(&self, invite: &Invite) -> StoreResult<()>;
    /// Reads an invite of the workspace.
    async fn get_invite(&self, workspace: WorkspaceId, id: InviteId) -> StoreResult<Invite>;
    /// Finds an invite by the hash of its secret token (any workspace).
    async fn find_invite_by_token_hash(&self, token_hash: &str) -> StoreResult<Invite>;
    /// Invites of the workspace that can still be accepted, newest first.
    async fn list_pending_invites(
        &self,
        workspace: WorkspaceId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Invite>>;
    /// Marks the invite used by `user` and creates the user, atomically; fails with
    /// `Conflict("invite use")` if it was used, revoked or expired meanwhile.
    async fn accept_invite(&self, invite: InviteId, user: &User, now: DateTime<Utc>) -> StoreResult<()>;
    /// Revokes a pending invite.
    async fn revoke_invite(
        &self,
        workspace: WorkspaceId,
        id: InviteId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// Failed sign-in attempts, for rate limiting. Stored, so every node of a cluster
/// sees the same counts.
#[async_trait]
pub trait LoginAttemptStore: Send + Sync {
    /// Records one failed attempt for the e-mail from the address.
    async fn record_login_failure(&self, email: &str, ip: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// Failures for the e-mail since `since`, and the oldest of them.
    async fn login_failures_for_email(
        &self,
        email: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(i64, Option<DateTime<Utc>>)>;
    /// Failures from the address since `since`, and the oldest of them.
    async fn login_failures_for_ip(
        &self,
        ip: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(i64, Option<DateTime<Utc>>)>;
    /// Forgets the e-mail's failures after a successful sign-in.
    async fn clear_login_failures(&self, email: &str) -> StoreResult<()>;
    /// Deletes attempts older than `before` (housekeeping).
    async fn prune_login_failures(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// The whole storage port.
#[async_trait]
pub trait Store:
    WorkspaceStore + UserStore + SessionStore + InviteStore + LoginAttemptStore + Send + Sync
{
    /// "sqlite" or "postgres", for logs and health output.
    fn engine(&self) -> &'static str;
    /// Checks the database answers (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// Closes the connection pool.
    async fn close(&self);
}
