//! `CommandStore` for both engines: slash-command runs with their idempotency
//! key, stored outcome and undo record.

use artel_core::chat::ChatId;
use artel_core::ports::commands::{CommandRun, CommandStore};
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use crate::errors::backend;
use crate::{PostgresStore, SqliteStore};

const COLUMNS: &str = "id, workspace_id, user_id, chat_id, client_msg_id, command, line, outcome, undo, \
                       created_at, finished_at, undone_at";

type Row = (
    Uuid,
    WorkspaceId,
    UserId,
    ChatId,
    Option<String>,
    String,
    String,
    Option<Json<serde_json::Value>>,
    Option<Json<serde_json::Value>>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn from_row(r: Row) -> CommandRun {
    CommandRun {
        id: r.0,
        workspace_id: r.1,
        user_id: r.2,
        chat_id: r.3,
        client_msg_id: r.4,
        command: r.5,
        line: r.6,
        outcome: r.7.map(|j| j.0),
        undo: r.8.map(|j| j.0),
        created_at: r.9,
        finished_at: r.10,
        undone_at: r.11,
    }
}

macro_rules! impl_command_store {
    ($store:ty) => {
        #[async_trait]
        impl CommandStore for $store {
            async fn claim_command(&self, run: &CommandRun) -> StoreResult<Option<CommandRun>> {
                let inserted = sqlx::query(
                    "insert into command_runs (id, workspace_id, user_id, chat_id, client_msg_id, command, line, \
                     created_at) values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing",
                )
                .bind(run.id)
                .bind(run.workspace_id)
                .bind(run.user_id)
                .bind(run.chat_id)
                .bind(run.client_msg_id.as_deref())
                .bind(&run.command)
                .bind(&run.line)
                .bind(run.created_at)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?
                .rows_affected();
                if inserted == 1 {
                    return Ok(None);
                }
                let Some(key) = run.client_msg_id.as_deref() else {
                    return Err(StoreError::Conflict("command run"));
                };
                let sql = format!(
                    "select {COLUMNS} from command_runs \
                     where workspace_id = $1 and user_id = $2 and client_msg_id = $3"
                );
                let row: Option<Row> = sqlx::query_as(&sql)
                    .bind(run.workspace_id)
                    .bind(run.user_id)
                    .bind(key)
                    .fetch_optional(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                // Gone meanwhile (the first run failed and was dropped): let the caller retry.
                row.map(from_row).map(Some).ok_or(StoreError::Conflict("command run"))
            }

            async fn get_command(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<CommandRun> {
                let sql = format!("select {COLUMNS} from command_runs where workspace_id = $1 and id = $2");
                let row: Option<Row> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_optional(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                row.map(from_row).ok_or(StoreError::NotFound("command"))
            }

            async fn finish_command(
                &self,
                workspace: WorkspaceId,
                id: Uuid,
                outcome: &serde_json::Value,
                undo: Option<&serde_json::Value>,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "update command_runs set outcome = $1, undo = $2, finished_at = $3 \
                     where workspace_id = $4 and id = $5",
                )
                .bind(Json(outcome))
                .bind(undo.map(Json))
                .bind(now)
                .bind(workspace)
                .bind(id)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn drop_command(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<()> {
                sqlx::query("delete from command_runs where workspace_id = $1 and id = $2")
                    .bind(workspace)
                    .bind(id)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn last_undoable_command(
                &self,
                workspace: WorkspaceId,
                user: UserId,
                since: DateTime<Utc>,
            ) -> StoreResult<Option<CommandRun>> {
                let sql = format!(
                    "select {COLUMNS} from command_runs where workspace_id = $1 and user_id = $2 \
                     and created_at >= $3 and finished_at is not null and undo is not null \
                     and undone_at is null order by created_at desc, id desc limit 1"
                );
                let row: Option<Row> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(user)
                    .bind(since)
                    .fetch_optional(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(row.map(from_row))
            }

            async fn mark_command_undone(
                &self,
                workspace: WorkspaceId,
                id: Uuid,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let n = sqlx::query(
                    "update command_runs set undone_at = $1 \
                     where workspace_id = $2 and id = $3 and undone_at is null",
                )
                .bind(now)
                .bind(workspace)
                .bind(id)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?
                .rows_affected();
                Ok(n == 1)
            }

            async fn unmark_command_undone(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<()> {
                sqlx::query("update command_runs set undone_at = null where workspace_id = $1 and id = $2")
                    .bind(workspace)
                    .bind(id)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }
    };
}

impl_command_store!(SqliteStore);
impl_command_store!(PostgresStore);
