//! `RuleStore` for both engines: stage automation rules, and the two queries the
//! time-based triggers sweep with (deals idle in a stage, overdue deal tasks).

use artel_core::automation::rule::{Action, StageRule, Trigger};
use artel_core::ports::automation::RuleStore;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use crate::errors::{backend, not_found};
use crate::{PostgresStore, SqliteStore};

const RULE_COLUMNS: &str =
    "id, workspace_id, pipeline_id, stage_id, trig, action, active, created_by, created_at, updated_at, secret";

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: Uuid,
    workspace_id: Uuid,
    pipeline_id: Uuid,
    stage_id: Uuid,
    trig: Json<Trigger>,
    action: Json<Action>,
    active: bool,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    secret: String,
}

impl From<RuleRow> for StageRule {
    fn from(r: RuleRow) -> Self {
        StageRule {
            id: r.id,
            workspace_id: r.workspace_id,
            pipeline_id: r.pipeline_id,
            stage_id: r.stage_id,
            trigger: r.trig.0,
            action: r.action.0,
            active: r.active,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            secret: r.secret,
        }
    }
}

macro_rules! impl_rule_store {
    ($store:ty) => {
        #[async_trait]
        impl RuleStore for $store {
            async fn create_rule(&self, r: &StageRule) -> StoreResult<()> {
                sqlx::query(&format!(
                    "insert into stage_rules ({RULE_COLUMNS}, trigger_kind) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                ))
                .bind(r.id)
                .bind(r.workspace_id)
                .bind(r.pipeline_id)
                .bind(r.stage_id)
                .bind(Json(&r.trigger))
                .bind(Json(&r.action))
                .bind(r.active)
                .bind(r.created_by)
                .bind(r.created_at)
                .bind(r.updated_at)
                .bind(&r.secret)
                .bind(r.trigger.kind())
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn get_rule(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<StageRule> {
                let row: RuleRow = sqlx::query_as(&format!(
                    "select {RULE_COLUMNS} from stage_rules where workspace_id = $1 and id = $2"
                ))
                .bind(workspace)
                .bind(id)
                .fetch_one(&mut *self.read.acquire().await?)
                .await
                .map_err(not_found("rule"))?;
                Ok(row.into())
            }

            async fn list_rules(&self, workspace: WorkspaceId, stage: Uuid) -> StoreResult<Vec<StageRule>> {
                let rows: Vec<RuleRow> = sqlx::query_as(&format!(
                    "select {RULE_COLUMNS} from stage_rules where workspace_id = $1 and stage_id = $2 \
                     order by created_at, id"
                ))
                .bind(workspace)
                .bind(stage)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(rows.into_iter().map(StageRule::from).collect())
            }

            async fn update_rule(&self, r: &StageRule) -> StoreResult<()> {
                let done = sqlx::query(
                    "update stage_rules set trig = $3, action = $4, active = $5, updated_at = $6, \
                     trigger_kind = $7, created_by = $8 where workspace_id = $1 and id = $2",
                )
                .bind(r.workspace_id)
                .bind(r.id)
                .bind(Json(&r.trigger))
                .bind(Json(&r.action))
                .bind(r.active)
                .bind(r.updated_at)
                .bind(r.trigger.kind())
                .bind(r.created_by)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("rule"));
                }
                Ok(())
            }

            async fn delete_rule(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<()> {
                let done = sqlx::query("delete from stage_rules where workspace_id = $1 and id = $2")
                    .bind(workspace)
                    .bind(id)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("rule"));
                }
                Ok(())
            }

            async fn active_rules_by_trigger(&self, trigger_kind: &str, limit: i64) -> StoreResult<Vec<StageRule>> {
                let rows: Vec<RuleRow> = sqlx::query_as(&format!(
                    "select {RULE_COLUMNS} from stage_rules where active and trigger_kind = $1 \
                     order by created_at, id limit $2"
                ))
                .bind(trigger_kind)
                .bind(limit.max(1))
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(rows.into_iter().map(StageRule::from).collect())
            }

            async fn deals_idle_in_stage(
                &self,
                workspace: WorkspaceId,
                stage: Uuid,
                entered_before: DateTime<Utc>,
                limit: i64,
            ) -> StoreResult<Vec<(Uuid, DateTime<Utc>)>> {
                sqlx::query_as(
                    "select id, stage_entered_at from deals where workspace_id = $1 and stage_id = $2 \
                     and archived_at is null and stage_entered_at <= $3 order by stage_entered_at, id limit $4",
                )
                .bind(workspace)
                .bind(stage)
                .bind(entered_before)
                .bind(limit.max(1))
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn overdue_deal_tasks(
                &self,
                workspace: WorkspaceId,
                stage: Uuid,
                now: DateTime<Utc>,
                limit: i64,
            ) -> StoreResult<Vec<(Uuid, Uuid, DateTime<Utc>)>> {
                sqlx::query_as(
                    "select t.id, d.id, t.due_at from tasks t join deals d \
                     on t.entity_kind = 'deal' and t.entity_id = d.id and d.workspace_id = t.workspace_id \
                     where t.workspace_id = $1 and d.stage_id = $2 and d.archived_at is null \
                     and t.status in ('open', 'in_progress') and t.due_at is not null and t.due_at < $3 \
                     order by t.due_at, t.id limit $4",
                )
                .bind(workspace)
                .bind(stage)
                .bind(now)
                .bind(limit.max(1))
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }
        }
    };
}

impl_rule_store!(SqliteStore);
impl_rule_store!(PostgresStore);
