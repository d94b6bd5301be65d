//! `PipelineStore` for both engines: funnels and their stages. Stage positions of a
//! pipeline are kept dense (0..n-1) by every change that adds, removes or moves one.

use std::collections::HashSet;

use artel_core::crm::pipeline::{Pipeline, PipelineId, Stage, StageId, StageKind};
use artel_core::ports::crm::PipelineStore;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::crm_rows::{stages, PipelineRow, StageRow, PIPELINE_COLUMNS, STAGE_COLUMNS};
use crate::errors::{backend, not_found, on_unique};
use crate::{PostgresStore, SqliteStore};

const INSERT_STAGE: &str = "insert into stages (id, workspace_id, pipeline_id, name, color, kind, position, \
     created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

macro_rules! impl_pipeline_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Locks the pipeline's row for the rest of the transaction (Postgres; SQLite
            /// has one writer anyway), so concurrent stage changes of one pipeline queue
            /// up instead of interleaving their position updates. `NotFound("pipeline")`
            /// unless it is the workspace's.
            async fn lock_pipeline(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                pipeline: PipelineId,
            ) -> StoreResult<()> {
                let done = sqlx::query(
                    "update pipelines set updated_at = updated_at where workspace_id = $1 and id = $2",
                )
                .bind(workspace)
                .bind(pipeline)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("pipeline"));
                }
                Ok(())
            }

            async fn stages_in_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                pipeline: PipelineId,
            ) -> StoreResult<Vec<Stage>> {
                let sql = format!(
                    "select {STAGE_COLUMNS} from stages where workspace_id = $1 and pipeline_id = $2 \
                     order by position, id"
                );
                let rows: Vec<StageRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(pipeline)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(backend)?;
                stages(rows)
            }
        }

        #[async_trait]
        impl PipelineStore for $store {
            async fn create_pipeline(&self, pipeline: &Pipeline, stages: &[Stage]) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                sqlx::query(
                    "insert into pipelines (id, workspace_id, name, position, created_at, updated_at, \
                     archived_at) values ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(pipeline.id)
                .bind(pipeline.workspace_id)
                .bind(&pipeline.name)
                .bind(pipeline.position)
                .bind(pipeline.created_at)
                .bind(pipeline.updated_at)
                .bind(pipeline.archived_at)
                .execute(&mut *tx)
                .await
                .map_err(on_unique("pipeline"))?;
                for s in stages {
                    // The stages are the pipeline's, whatever they say.
                    sqlx::query(INSERT_STAGE)
                        .bind(s.id)
                        .bind(pipeline.workspace_id)
                        .bind(pipeline.id)
                        .bind(&s.name)
                        .bind(&s.color)
                        .bind(s.kind.as_str())
                        .bind(s.position)
                        .bind(s.created_at)
                        .bind(s.updated_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(on_unique("stage"))?;
                }
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn get_pipeline(&self, workspace: WorkspaceId, id: PipelineId) -> StoreResult<Pipeline> {
                let sql =
                    format!("select {PIPELINE_COLUMNS} from pipelines where workspace_id = $1 and id = $2");
                let row: PipelineRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("pipeline"))?;
                Ok(row.into())
            }

            async fn list_pipelines(
                &self,
                workspace: WorkspaceId,
                include_archived: bool,
            ) -> StoreResult<Vec<Pipeline>> {
                let archived = if include_archived { "" } else { " and archived_at is null" };
                let sql = format!(
                    "select {PIPELINE_COLUMNS} from pipelines where workspace_id = $1{archived} \
                     order by position, id"
                );
                let rows: Vec<PipelineRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(rows.into_iter().map(Pipeline::from).collect())
            }

            async fn update_pipeline(
                &self,
                workspace: WorkspaceId,
                id: PipelineId,
                name: Option<&str>,
                archived_at: Option<Option<DateTime<Utc>>>,
                now: DateTime<Utc>,
            ) -> StoreResult<Pipeline> {
                let sql = format!(
                    "update pipelines set name = coalesce($3, name), \
                     archived_at = case when $4 then $5 else archived_at end, updated_at = $6 \
                     where workspace_id = $1 and id = $2 returning {PIPELINE_COLUMNS}"
                );
                let row: PipelineRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .bind(name)
                    .bind(archived_at.is_some())
                    .bind(archived_at.flatten())
                    .bind(now)
                    .fetch_optional(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?
                    .ok_or(StoreError::NotFound("pipeline"))?;
                Ok(row.into())
            }

            async fn list_stages(
                &self,
                workspace: WorkspaceId,
                pipeline: PipelineId,
            ) -> StoreResult<Vec<Stage>> {
                let sql = format!(
                    "select {STAGE_COLUMNS} from stages where workspace_id = $1 and pipeline_id = $2 \
                     order by position, id"
                );
                let rows: Vec<StageRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(pipeline)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                if rows.is_empty() {
                    // Only a pipeline that is not there has no stages.
                    self.get_pipeline(workspace, pipeline).await?;
                }
                stages(rows)
            }

            async fn get_stage(&self, workspace: WorkspaceId, id: StageId) -> StoreResult<Stage> {
                let sql = format!("select {STAGE_COLUMNS} from stages where workspace_id = $1 and id = $2");
                let row: StageRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("stage"))?;
                row.try_into()
            }

            async fn create_stage(&self, stage: &Stage) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::lock_pipeline(&mut tx, stage.workspace_id, stage.pipeline_id).await?;
                let count: i64 = sqlx::query_scalar(
                    "select count(*) from stages where workspace_id = $1 and pipeline_id = $2",
                )
                .bind(stage.workspace_id)
                .bind(stage.pipeline_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                // Positions stay dense: past the end means at the end.
                let position = stage.position.clamp(0, count);
                sqlx::query(
                    "update stages set position = position + 1 \
                     where workspace_id = $1 and pipeline_id = $2 and position >= $3",
                )
                .bind(stage.workspace_id)
                .bind(stage.pipeline_id)
                .bind(position)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                sqlx::query(INSERT_STAGE)
                    .bind(stage.id)
                    .bind(stage.workspace_id)
                    .bind(stage.pipeline_id)
                    .bind(&stage.name)
                    .bind(&stage.color)
                    .bind(stage.kind.as_str())
                    .bind(position)
                    .bind(stage.created_at)
                    .bind(stage.updated_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(on_unique("stage"))?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn update_stage(
                &self,
                workspace: WorkspaceId,
                id: StageId,
                name: Option<&str>,
                color: Option<&str>,
                kind: Option<StageKind>,
                now: DateTime<Utc>,
            ) -> StoreResult<Stage> {
                let sql = format!(
                    "update stages set name = coalesce($3, name), color = coalesce($4, color), \
                     kind = coalesce($5, kind), updated_at = $6 \
                     where workspace_id = $1 and id = $2 returning {STAGE_COLUMNS}"
                );
                let row: StageRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .bind(name)
                    .bind(color)
                    .bind(kind.map(StageKind::as_str))
                    .bind(now)
                    .fetch_optional(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?
                    .ok_or(StoreError::NotFound("stage"))?;
                row.try_into()
            }

            async fn reorder_stages(
                &self,
                workspace: WorkspaceId,
                pipeline: PipelineId,
                order: &[StageId],
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<Stage>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::lock_pipeline(&mut tx, workspace, pipeline).await?;
                let current = Self::stages_in_tx(&mut tx, workspace, pipeline).await?;
                let have: HashSet<StageId> = current.iter().map(|s| s.id).collect();
                let given: HashSet<StageId> = order.iter().copied().collect();
                if order.len() != current.len() || given.len() != order.len() || given != have {
                    return Err(StoreError::Conflict("stage order"));
                }
                for (position, id) in order.iter().enumerate() {
                    let position = i64::try_from(position).map_err(|e| StoreError::Backend(e.to_string()))?;
                    sqlx::query(
                        "update stages set position = $3, updated_at = $4 \
                         where workspace_id = $1 and id = $2 and position <> $3",
                    )
                    .bind(workspace)
                    .bind(id)
                    .bind(position)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                let out = Self::stages_in_tx(&mut tx, workspace, pipeline).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(out)
            }

            async fn delete_stage(&self, workspace: WorkspaceId, id: StageId) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let found: Option<(uuid::Uuid, i64)> = sqlx::query_as(
                    "select pipeline_id, position from stages where workspace_id = $1 and id = $2",
                )
                .bind(workspace)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                let (pipeline, position) = found.ok_or(StoreError::NotFound("stage"))?;
                Self::lock_pipeline(&mut tx, workspace, pipeline).await?;
                let deals: i64 = sqlx::query_scalar("select count(*) from deals where stage_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
                if deals > 0 {
                    return Err(StoreError::Conflict("stage has deals"));
                }
                let count: i64 = sqlx::query_scalar(
                    "select count(*) from stages where workspace_id = $1 and pipeline_id = $2",
                )
                .bind(workspace)
                .bind(pipeline)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                if count <= 1 {
                    return Err(StoreError::Conflict("last stage"));
                }
                sqlx::query("delete from stages where workspace_id = $1 and id = $2")
                    .bind(workspace)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                sqlx::query(
                    "update stages set position = position - 1 \
                     where workspace_id = $1 and pipeline_id = $2 and position > $3",
                )
                .bind(workspace)
                .bind(pipeline)
                .bind(position)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }
        }
    };
}

impl_pipeline_store!(SqliteStore, sqlx::Sqlite);
impl_pipeline_store!(PostgresStore, sqlx::Postgres);
