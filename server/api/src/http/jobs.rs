//! The workspace's background jobs (admins): how the queue stands (depth and
//! lag), the dead letters — jobs given up after their last attempt — and a way
//! to run one again once its cause is fixed (a receiver back up, a rule's
//! target corrected).

use artel_core::automation::job::{Job, JobStatus};
use artel_core::user::User;
use artel_core::Error;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{page_limit, Json, Path, Query};
use crate::state::AppState;

fn admin(user: &User) -> Result<(), Error> {
    if user.role.is_admin() {
        Ok(())
    } else {
        Err(Error::forbidden("only admins see background jobs"))
    }
}

/// How the workspace's job queue stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobStatsDto {
    /// Jobs waiting to run, due now or later.
    pub pending: i64,
    /// Pending jobs already due: what the workers have yet to take.
    pub due: i64,
    /// How long the longest-waiting due job has waited, in seconds (0 when none waits).
    pub lag_secs: i64,
    /// Jobs given up after their last attempt (the dead letters).
    pub failed: i64,
}

/// One background job, without its payload (which may carry a record's data).
#[derive(Debug, Serialize, ToSchema)]
pub struct JobDto {
    pub id: Uuid,
    /// What it does: `webhook_delivery`, `rule_run`, `rule_call`, `event_webhooks`,
    /// `event_rules`, `event_notices`, `event_push`.
    pub kind: String,
    /// `pending`, `done` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Job> for JobDto {
    fn from(j: &Job) -> Self {
        Self {
            id: j.id,
            kind: j.kind.clone(),
            status: j.status.as_str().to_string(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error.clone(),
            run_at: j.run_at,
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

/// Queue figures of the workspace (admins).
#[utoipa::path(get, path = "/jobs/stats", operation_id = "job_stats", tag = "integrations", security(("bearer" = [])),
    responses((status = 200, body = JobStatsDto), (status = 403, body = ErrorBody)))]
pub async fn stats(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<JobStatsDto>> {
    admin(&auth.user)?;
    let now = state.clock.now();
    let s = state.store.job_stats(auth.user.workspace_id, now).await?;
    let lag_secs = s.oldest_due_at.map_or(0, |at| (now - at).num_seconds().max(0));
    Ok(Json(JobStatsDto { pending: s.pending, due: s.due, lag_secs, failed: s.failed }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `failed` (the default: the dead letters) or `pending`.
    pub status: Option<String>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

/// The workspace's failed (or pending) jobs, most recently changed first (admins).
#[utoipa::path(get, path = "/jobs", operation_id = "list_jobs", tag = "integrations", security(("bearer" = [])),
    params(JobQuery),
    responses((status = 200, body = Vec<JobDto>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<JobQuery>,
) -> ApiResult<Json<Vec<JobDto>>> {
    admin(&auth.user)?;
    let status = match q.status.as_deref() {
        None | Some("failed") => JobStatus::Failed,
        Some("pending") => JobStatus::Pending,
        Some(_) => return Err(Error::invalid("status", "must be failed or pending").into()),
    };
    let limit = page_limit(q.limit, 50)?;
    let jobs = state.store.list_jobs(auth.user.workspace_id, status, limit).await?;
    Ok(Json(jobs.iter().map(JobDto::from).collect()))
}

/// Runs a failed job again, now, with one more attempt (admins). 409 when the
/// job is not failed (it ran again already, or never failed).
#[utoipa::path(post, path = "/jobs/{id}/retry", operation_id = "retry_job", tag = "integrations", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = JobDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<JobDto>> {
    admin(&auth.user)?;
    let ws = auth.user.workspace_id;
    let job = match state.store.get_job(id).await {
        Ok(j) if j.workspace_id == ws => j,
        Ok(_) | Err(artel_core::StoreError::NotFound(_)) => return Err(Error::NotFound("job").into()),
        Err(e) => return Err(e.into()),
    };
    if !state.store.requeue_failed_job(ws, job.id, state.clock.now()).await? {
        return Err(Error::conflict("job_not_failed", "only a failed job can be run again").into());
    }
    let job = state.store.get_job(id).await?;
    Ok(Json(JobDto::from(&job)))
}
