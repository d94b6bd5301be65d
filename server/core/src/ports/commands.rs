//! Command runs: each slash-command someone ran, so a retry with the same
//! `client_msg_id` answers the first run's outcome instead of running again, and
//! `/undo` finds the issuer's last command and how to revert it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::chat::ChatId;
use crate::ports::store::StoreResult;
use crate::user::UserId;
use crate::workspace::WorkspaceId;

#[derive(Debug, Clone, PartialEq)]
pub struct CommandRun {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub chat_id: ChatId,
    /// The issuer's idempotency key, unique per issuer.
    pub client_msg_id: Option<String>,
    /// The command's English name ("task", "move", …).
    pub command: String,
    /// The line as typed (without the leading `/`).
    pub line: String,
    /// The answer given, replayed to a retry; `None` while the run is under way.
    pub outcome: Option<serde_json::Value>,
    /// How to revert the change; `None` when there is nothing to revert.
    pub undo: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub undone_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait CommandStore: Send + Sync {
    /// Inserts a run about to start. When the issuer already has a run with the
    /// same `client_msg_id`, inserts nothing and returns that run.
    async fn claim_command(&self, run: &CommandRun) -> StoreResult<Option<CommandRun>>;
    /// Reads a run of the workspace.
    async fn get_command(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<CommandRun>;
    /// Records the outcome (and undo record) of a claimed run.
    async fn finish_command(
        &self,
        workspace: WorkspaceId,
        id: Uuid,
        outcome: &serde_json::Value,
        undo: Option<&serde_json::Value>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Forgets a claimed run that failed and changed nothing, so a retry runs again.
    async fn drop_command(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<()>;
    /// The user's latest finished run that can be undone and is not, created at
    /// or after `since`.
    async fn last_undoable_command(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<CommandRun>>;
    /// Marks a run undone; `false` when it already was (a concurrent undo won).
    async fn mark_command_undone(
        &self,
        workspace: WorkspaceId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Clears the undone mark again (the revert failed after the mark was taken).
    async fn unmark_command_undone(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<()>;
}
