//! `JobStore` for both engines. A claim is a conditional update (still pending,
//! lease free or expired): of several nodes racing for a job exactly one update
//! matches, so a job runs once at a time; an expired lease lets another node take
//! over from a node that died.

use artel_core::automation::job::{Job, JobStats, JobStatus};
use artel_core::ports::automation::JobStore;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::errors::{backend, not_found};
use crate::{PostgresStore, SqliteStore};

const JOB_COLUMNS: &str = "id, workspace_id, kind, payload, dedupe_key, run_at, attempts, max_attempts, \
     status, last_error, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    workspace_id: Uuid,
    kind: String,
    payload: Json<Value>,
    dedupe_key: Option<String>,
    run_at: DateTime<Utc>,
    attempts: i64,
    max_attempts: i64,
    status: String,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;
    fn try_from(r: JobRow) -> Result<Self, StoreError> {
        Ok(Job {
            id: r.id,
            workspace_id: r.workspace_id,
            kind: r.kind,
            payload: r.payload.0,
            dedupe_key: r.dedupe_key,
            run_at: r.run_at,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            status: r.status.parse().map_err(StoreError::Backend)?,
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Error texts are kept short: they are diagnostics, not logs.
fn short(error: &str) -> String {
    error.chars().take(500).collect()
}

macro_rules! impl_job_store {
    ($store:ty) => {
        #[async_trait]
        impl JobStore for $store {
            async fn enqueue_job(&self, job: &Job) -> StoreResult<bool> {
                let done = sqlx::query(&format!(
                    "insert into jobs ({JOB_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     on conflict (dedupe_key) do nothing"
                ))
                .bind(job.id)
                .bind(job.workspace_id)
                .bind(&job.kind)
                .bind(Json(&job.payload))
                .bind(&job.dedupe_key)
                .bind(job.run_at)
                .bind(job.attempts)
                .bind(job.max_attempts)
                .bind(job.status.as_str())
                .bind(&job.last_error)
                .bind(job.created_at)
                .bind(job.updated_at)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn get_job(&self, id: Uuid) -> StoreResult<Job> {
                let row: JobRow = sqlx::query_as(&format!("select {JOB_COLUMNS} from jobs where id = $1"))
                    .bind(id)
                    .fetch_one(&mut *self.write.acquire().await?)
                    .await
                    .map_err(not_found("job"))?;
                row.try_into()
            }

            async fn claim_jobs(
                &self,
                owner: Uuid,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                limit: i64,
            ) -> StoreResult<Vec<Job>> {
                // Nothing asked for, nothing leased: a claim counts an attempt.
                if limit <= 0 {
                    return Ok(Vec::new());
                }
                let ids: Vec<Uuid> = sqlx::query_scalar(
                    "select id from jobs where status = 'pending' and run_at <= $1 \
                     and (lease_until is null or lease_until < $1) order by run_at, id limit $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                // Each id is then claimed by a conditional update: of several nodes
                // that selected the same id, one update matches.
                self.claim_jobs_by_id(&ids, owner, now, lease_until).await
            }

            async fn claim_jobs_by_id(
                &self,
                ids: &[Uuid],
                owner: Uuid,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
            ) -> StoreResult<Vec<Job>> {
                let mut claimed = Vec::with_capacity(ids.len());
                for id in ids {
                    let row: Option<JobRow> = sqlx::query_as(&format!(
                        "update jobs set lease_owner = $2, lease_until = $3, attempts = attempts + 1, \
                         updated_at = $4 where id = $1 and status = 'pending' \
                         and (lease_until is null or lease_until < $4) returning {JOB_COLUMNS}"
                    ))
                    .bind(id)
                    .bind(owner)
                    .bind(lease_until)
                    .bind(now)
                    .fetch_optional(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                    if let Some(row) = row {
                        claimed.push(row.try_into()?);
                    }
                }
                Ok(claimed)
            }

            async fn domain_event(&self, id: Uuid) -> StoreResult<artel_core::domain_event::DomainEvent> {
                self.read_domain_event(id).await
            }

            async fn finish_job(&self, id: Uuid, owner: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
                let done = sqlx::query(
                    "update jobs set status = 'done', lease_owner = null, lease_until = null, updated_at = $3 \
                     where id = $1 and lease_owner = $2 and status = 'pending'",
                )
                .bind(id)
                .bind(owner)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn retry_job(
                &self,
                id: Uuid,
                owner: Uuid,
                run_at: DateTime<Utc>,
                error: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "update jobs set run_at = $3, last_error = $4, lease_owner = null, lease_until = null, \
                     updated_at = $5 where id = $1 and lease_owner = $2 and status = 'pending'",
                )
                .bind(id)
                .bind(owner)
                .bind(run_at)
                .bind(short(error))
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn fail_job(&self, id: Uuid, owner: Uuid, error: &str, now: DateTime<Utc>) -> StoreResult<bool> {
                let done = sqlx::query(
                    "update jobs set status = 'failed', last_error = $3, lease_owner = null, lease_until = null, \
                     updated_at = $4 where id = $1 and lease_owner = $2 and status = 'pending'",
                )
                .bind(id)
                .bind(owner)
                .bind(short(error))
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn list_jobs(&self, workspace: WorkspaceId, status: JobStatus, limit: i64) -> StoreResult<Vec<Job>> {
                let rows: Vec<JobRow> = sqlx::query_as(&format!(
                    "select {JOB_COLUMNS} from jobs where workspace_id = $1 and status = $2 \
                     order by updated_at desc, id desc limit $3"
                ))
                .bind(workspace)
                .bind(status.as_str())
                .bind(limit.clamp(1, 500))
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                rows.into_iter().map(Job::try_from).collect()
            }

            async fn job_stats(&self, workspace: WorkspaceId, now: DateTime<Utc>) -> StoreResult<JobStats> {
                let (pending, due, failed): (i64, i64, i64) = sqlx::query_as(
                    "select cast(coalesce(sum(case when status = 'pending' then 1 else 0 end), 0) as bigint), \
                     cast(coalesce(sum(case when status = 'pending' and run_at <= $2 then 1 else 0 end), 0) as bigint), \
                     cast(coalesce(sum(case when status = 'failed' then 1 else 0 end), 0) as bigint) \
                     from jobs where workspace_id = $1 and status <> 'done'",
                )
                .bind(workspace)
                .bind(now)
                .fetch_one(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                let oldest_due_at: Option<DateTime<Utc>> = sqlx::query_scalar(
                    "select run_at from jobs where workspace_id = $1 and status = 'pending' and run_at <= $2 \
                     order by run_at limit 1",
                )
                .bind(workspace)
                .bind(now)
                .fetch_optional(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(JobStats { pending, due, oldest_due_at, failed })
            }

            async fn requeue_failed_job(&self, workspace: WorkspaceId, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
                let done = sqlx::query(
                    "update jobs set status = 'pending', run_at = $3, max_attempts = attempts + 1, \
                     lease_owner = null, lease_until = null, updated_at = $3 \
                     where id = $1 and workspace_id = $2 and status = 'failed'",
                )
                .bind(id)
                .bind(workspace)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn prune_jobs(&self, kinds: &[&str], before: DateTime<Utc>) -> StoreResult<u64> {
                let mut gone = 0;
                for kind in kinds {
                    gone += sqlx::query("delete from jobs where status = 'done' and kind = $1 and updated_at < $2")
                        .bind(*kind)
                        .bind(before)
                        .execute(&mut *self.write.acquire().await?)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                }
                gone += sqlx::query("delete from domain_events where created_at < $1")
                    .bind(before)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                Ok(gone)
            }

            async fn jobs_by_key_prefix(&self, workspace: WorkspaceId, prefix: &str) -> StoreResult<Vec<Job>> {
                // substr instead of LIKE: the prefix may hold LIKE's wildcards.
                let rows: Vec<JobRow> = sqlx::query_as(&format!(
                    "select {JOB_COLUMNS} from jobs where workspace_id = $1 \
                     and substr(dedupe_key, 1, length($2)) = $2 order by created_at, id"
                ))
                .bind(workspace)
                .bind(prefix)
                .fetch_all(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                rows.into_iter().map(Job::try_from).collect()
            }
        }
    };
}

impl_job_store!(SqliteStore);
impl_job_store!(PostgresStore);
