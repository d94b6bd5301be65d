//! A durable job: a row that some node claims with a lease, runs and marks done.
//! A node that dies mid-run loses its lease and another node runs the job again,
//! so handlers make their effects idempotent (they key them by the job id).

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::workspace::WorkspaceId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Done,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(JobStatus::Pending),
            "done" => Ok(JobStatus::Done),
            "failed" => Ok(JobStatus::Failed),
            other => Err(format!("unknown job status {other}")),
        }
    }
}

/// How a workspace's job queue stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobStats {
    /// Waiting to run (due now or later).
    pub pending: i64,
    /// Pending and due now: what the workers have yet to take.
    pub due: i64,
    /// When the longest-waiting due job became due (the queue's lag is now minus this).
    pub oldest_due_at: Option<DateTime<Utc>>,
    /// Given up: the dead letters.
    pub failed: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    /// Which handler runs it (e.g. `webhook_delivery`, `rule_run`).
    pub kind: String,
    pub payload: Value,
    /// Enqueuing a second job with the same key does nothing.
    pub dedupe_key: Option<String>,
    pub run_at: DateTime<Utc>,
    /// Runs started so far (the current one included once claimed).
    pub attempts: i64,
    pub max_attempts: i64,
    pub status: JobStatus,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Job {
    /// A pending job to run at `run_at`.
    pub fn new(
        workspace_id: WorkspaceId,
        kind: &str,
        payload: Value,
        dedupe_key: Option<String>,
        run_at: DateTime<Utc>,
        max_attempts: i64,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            workspace_id,
            kind: kind.to_string(),
            payload,
            dedupe_key,
            run_at,
            attempts: 0,
            max_attempts: max_attempts.max(1),
            status: JobStatus::Pending,
            last_error: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Exponential backoff after the `attempt`-th failed run: base · 2^(attempt−1),
/// capped at six hours.
pub fn backoff(base: Duration, attempt: i64) -> Duration {
    let exp = u32::try_from((attempt - 1).clamp(0, 20)).unwrap_or(20);
    let secs = base.num_seconds().max(1).saturating_mul(1_i64 << exp);
    Duration::seconds(secs.min(6 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let base = Duration::seconds(30);
        assert_eq!(backoff(base, 1), Duration::seconds(30));
        assert_eq!(backoff(base, 2), Duration::seconds(60));
        assert_eq!(backoff(base, 4), Duration::seconds(240));
        assert_eq!(backoff(base, 40), Duration::hours(6));
    }
}
