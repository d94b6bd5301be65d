//! `BoardStore`: each pipeline's board has a gap-free event log, numbered like a
//! chat's (`pipelines.last_seq`, bumped with `update … returning` in the same
//! transaction as the insert, so numbers are never skipped or reused).

use artel_core::crm::pipeline::PipelineId;
use artel_core::event::{BoardChange, BoardEvent};
use artel_core::ports::crm::BoardStore;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::errors::backend;
use crate::{PostgresStore, SqliteStore};

macro_rules! impl_board_store {
    ($store:ty) => {
        #[async_trait]
        impl BoardStore for $store {
            async fn append_board_event(
                &self,
                workspace: WorkspaceId,
                pipeline: PipelineId,
                change: &BoardChange,
                now: DateTime<Utc>,
            ) -> StoreResult<BoardEvent> {
                let mut tx = self.write.begin().await.map_err(backend)?;
                let seq: Option<i64> = sqlx::query_scalar(
                    "update pipelines set last_seq = last_seq + 1 where id = $1 and workspace_id = $2 \
                     returning last_seq",
                )
                .bind(pipeline)
                .bind(workspace)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                let seq = seq.ok_or(StoreError::NotFound("pipeline"))?;
                let event = BoardEvent {
                    workspace_id: workspace,
                    pipeline_id: pipeline,
                    seq,
                    created_at: now,
                    change: change.clone(),
                };
                sqlx::query(
                    "insert into board_events (pipeline_id, seq, workspace_id, payload, created_at) \
                     values ($1, $2, $3, $4, $5)",
                )
                .bind(pipeline)
                .bind(seq)
                .bind(workspace)
                .bind(Json(change))
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                Ok(event)
            }

            async fn board_events_since(
                &self,
                workspace: WorkspaceId,
                pipeline: PipelineId,
                after: i64,
                limit: i64,
            ) -> StoreResult<Vec<BoardEvent>> {
                let rows: Vec<(i64, Json<BoardChange>, DateTime<Utc>)> = sqlx::query_as(
                    "select seq, payload, created_at from board_events \
                     where pipeline_id = $1 and workspace_id = $2 and seq > $3 order by seq limit $4",
                )
                .bind(pipeline)
                .bind(workspace)
                .bind(after)
                .bind(limit.max(0))
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
                Ok(rows
                    .into_iter()
                    .map(|(seq, Json(change), created_at)| BoardEvent {
                        workspace_id: workspace,
                        pipeline_id: pipeline,
                        seq,
                        created_at,
                        change,
                    })
                    .collect())
            }

            async fn board_last_seq(&self, workspace: WorkspaceId, pipeline: PipelineId) -> StoreResult<i64> {
                let seq: Option<i64> =
                    sqlx::query_scalar("select last_seq from pipelines where id = $1 and workspace_id = $2")
                        .bind(pipeline)
                        .bind(workspace)
                        .fetch_optional(&self.read)
                        .await
                        .map_err(backend)?;
                seq.ok_or(StoreError::NotFound("pipeline"))
            }
        }
    };
}

impl_board_store!(SqliteStore);
impl_board_store!(PostgresStore);
