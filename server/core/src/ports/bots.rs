//! Storage for bots: bot users are created through `UserStore`-compatible rows
//! (flagged `bot`); their API tokens live here, found by the hash of the secret.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::bot::ApiToken;
use crate::ports::store::StoreResult;
use crate::user::{User, UserId};
use crate::workspace::WorkspaceId;

#[async_trait]
pub trait BotStore: Send + Sync {
    /// Inserts a bot user (`user.bot` must be set); `Conflict("user")` on a clash.
    async fn create_bot(&self, user: &User) -> StoreResult<()>;
    /// The workspace's bots, active first, by name.
    async fn list_bots(&self, workspace: WorkspaceId) -> StoreResult<Vec<User>>;
    /// Renames a bot; `NotFound("bot")` when the user is not a bot of the workspace.
    async fn rename_bot(
        &self,
        workspace: WorkspaceId,
        bot: UserId,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
    /// Inserts a token; `NotFound("bot")` unless its user is a bot of its
    /// workspace, `Invalid { field: "tokens", .. }` when the bot already holds
    /// `max_live` live tokens (checked in the same transaction), and
    /// `Conflict("api_token")` when the id or secret hash exists.
    async fn create_api_token(&self, token: &ApiToken, max_live: usize) -> StoreResult<()>;
    /// A bot's tokens, newest first (revoked ones included, for the audit trail).
    async fn list_api_tokens(&self, workspace: WorkspaceId, bot: UserId) -> StoreResult<Vec<ApiToken>>;
    /// The token with this secret hash, live or not; `NotFound("api_token")` otherwise.
    async fn find_api_token(&self, token_hash: &str) -> StoreResult<ApiToken>;
    /// Revokes a token of the bot (idempotent); `NotFound` when it is not the bot's.
    async fn revoke_api_token(
        &self,
        workspace: WorkspaceId,
        bot: UserId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<ApiToken>;
    /// Records use, at most once per `granularity` so reads do not turn into writes.
    async fn touch_api_token(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        not_since: DateTime<Utc>,
    ) -> StoreResult<()>;
}
