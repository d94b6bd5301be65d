//! `BoardStore`: each pipeline's board has a gap-free event log, numbered like a
//! chat's (`pipelines.last_seq`, bumped with `update … returning` in the same
//! transaction as the insert, so numbers are never skipped or reused). Deal and
//! task writes append their board changes in their own transaction through
//! `append_board_tx`: no committed change lacks its event, no event outlives a
//! rolled-back change.

use artel_core::crm::pipeline::PipelineId;
use artel_core::event::{BoardAppend, BoardChange, BoardEvent};
use artel_core::ports::crm::BoardStore;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::errors::backend;
use crate::messages::{placeholders, IN_CHUNK};
use crate::{PostgresStore, SqliteStore};

macro_rules! impl_board_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Locks the pipeline rows a deal or task write will append to, in id
            /// order, first thing in its transaction. The write's own rows then take
            /// their locks (a deal's foreign key share-locks its stage) after the
            /// pipelines, the order `delete_stage` uses too (pipeline, then stage),
            /// so the two cannot deadlock on Postgres.
            pub(crate) async fn lock_boards_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                appends: &[BoardAppend],
            ) -> StoreResult<()> {
                let pipelines: Vec<PipelineId> = appends.iter().map(|a| a.pipeline_id).collect();
                Self::lock_pipelines_tx(tx, workspace, &pipelines).await
            }

            /// Locks these pipelines' rows in id order (see `lock_boards_tx`).
            pub(crate) async fn lock_pipelines_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                pipelines: &[PipelineId],
            ) -> StoreResult<()> {
                let mut pipelines = pipelines.to_vec();
                pipelines.sort();
                pipelines.dedup();
                for pipeline in pipelines {
                    sqlx::query(
                        "update pipelines set last_seq = last_seq where id = $1 and workspace_id = $2",
                    )
                    .bind(pipeline)
                    .bind(workspace)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                }
                Ok(())
            }

            /// Appends board changes inside the caller's transaction, so the board log
            /// commits or rolls back with the change it describes. Pipelines are bumped
            /// in id order: two writes touching the same two boards (a deal moved A→B
            /// while another goes B→A) then lock their rows in the same order and
            /// cannot deadlock on Postgres.
            pub(crate) async fn append_board_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                appends: &[BoardAppend],
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<BoardEvent>> {
                let mut order: Vec<&BoardAppend> = appends.iter().collect();
                // Stable: changes to one board keep the order the caller gave them.
                order.sort_by_key(|a| a.pipeline_id);
                let mut events = Vec::with_capacity(appends.len());
                for BoardAppend { pipeline_id: pipeline, change } in order {
                    let seq: Option<i64> = sqlx::query_scalar(
                        "update pipelines set last_seq = last_seq + 1 where id = $1 and workspace_id = $2 \
                         returning last_seq",
                    )
                    .bind(pipeline)
                    .bind(workspace)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(backend)?;
                    let seq = seq.ok_or(StoreError::NotFound("pipeline"))?;
                    sqlx::query(
                        "insert into board_events (pipeline_id, seq, workspace_id, payload, created_at) \
                         values ($1, $2, $3, $4, $5)",
                    )
                    .bind(pipeline)
                    .bind(seq)
                    .bind(workspace)
                    .bind(Json(change))
                    .bind(now)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                    events.push(BoardEvent {
                        workspace_id: workspace,
                        pipeline_id: *pipeline,
                        seq,
                        created_at: now,
                        change: change.clone(),
                    });
                }
                // Callers publish in seq order per board.
                events.sort_by_key(|e| (e.pipeline_id, e.seq));
                Ok(events)
            }
        }

        #[async_trait]
        impl BoardStore for $store {
            async fn append_board_event(
                &self,
                workspace: WorkspaceId,
                pipeline: PipelineId,
                change: &BoardChange,
                now: DateTime<Utc>,
            ) -> StoreResult<BoardEvent> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let append = BoardAppend { pipeline_id: pipeline, change: change.clone() };
                let mut events = Self::append_board_tx(&mut tx, workspace, &[append], now).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                events.pop().ok_or_else(|| StoreError::Backend("board append returned no event".into()))
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
                .fetch_all(&mut *self.read.acquire().await?)
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
                        .fetch_optional(&mut *self.read.acquire().await?)
                        .await
                        .map_err(backend)?;
                seq.ok_or(StoreError::NotFound("pipeline"))
            }

            async fn board_last_seqs(
                &self,
                workspace: WorkspaceId,
                pipelines: &[PipelineId],
            ) -> StoreResult<Vec<(PipelineId, i64)>> {
                let mut out = Vec::with_capacity(pipelines.len());
                for chunk in pipelines.chunks(IN_CHUNK) {
                    let sql = format!(
                        "select id, last_seq from pipelines where workspace_id = $1 and id in ({})",
                        placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query_as::<_, (PipelineId, i64)>(&sql).bind(workspace);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    out.extend(query.fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?);
                }
                Ok(out)
            }
        }
    };
}

impl_board_store!(SqliteStore, sqlx::Sqlite);
impl_board_store!(PostgresStore, sqlx::Postgres);
