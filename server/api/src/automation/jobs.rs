//! The job worker: every tick it sweeps the time-based rule triggers, then claims
//! the due jobs (a lease per job, so one node runs each), runs each handler and
//! marks it done, schedules a retry with exponential backoff, or gives it up.
//! Jobs are rows, so they survive restarts; "now" is the state's clock.

use std::time::Duration;

use artel_core::automation::job::{backoff, Job};
use artel_core::workspace::WorkspaceId;
use artel_core::StoreError;
use serde_json::Value;

use crate::automation::{rules, webhooks};
use crate::state::AppState;

/// Jobs claimed per tick at most.
const BATCH: i64 = 50;
/// How long a claimed job stays this node's; a node that dies frees it after this.
const LEASE_SECS: i64 = 120;
/// First retry after this long; each further one waits twice as long.
const RETRY_BASE_SECS: i64 = 30;

/// How a handler failed.
#[derive(Debug)]
pub enum JobError {
    /// Worth another try (network, receiver down); retried while attempts remain.
    Retry(String),
    /// Will not get better by retrying.
    Fatal(String),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Retry(e.to_string())
    }
}

impl From<artel_core::Error> for JobError {
    fn from(e: artel_core::Error) -> Self {
        match e {
            artel_core::Error::Internal(m) | artel_core::Error::Unavailable(m) => JobError::Retry(m),
            other => JobError::Fatal(other.to_string()),
        }
    }
}

/// Starts the worker on the current runtime.
pub fn start(state: AppState) {
    tokio::spawn(run(state));
}

async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pruned_at: Option<std::time::Instant> = None;
    loop {
        tick.tick().await;
        if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(std::time::Instant::now());
            prune(&state).await;
        }
        let pass = state.automation.passes.start();
        let swept = rules::sweep(&state).await;
        if let Err(e) = &swept {
            tracing::debug!(error = %e, "automation sweep failed");
        }
        let ran = run_due(&state).await;
        if let Err(e) = &ran {
            tracing::debug!(error = %e, "job tick failed");
        }
        // A failed pass is not counted: the next one that works covers it.
        if swept.is_ok() && ran.is_ok() {
            state.automation.passes.finished_up_to(pass);
        }
    }
}

/// How often a node prunes finished jobs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How long finished subscriber jobs, webhook deliveries and domain events are
/// kept: long past any retry of the event that made them.
const KEEP_DONE_DAYS: i64 = 7;

/// Deletes what is finished and old. Kinds whose dedupe keys stop an
/// occurrence from running twice (rule runs) are kept.
async fn prune(state: &AppState) {
    let mut kinds: Vec<&str> = crate::events::SUBSCRIBERS.iter().map(|s| s.job_kind()).collect();
    kinds.push(webhooks::DELIVERY_JOB);
    let before = state.clock.now() - chrono::Duration::days(KEEP_DONE_DAYS);
    match state.store.prune_jobs(&kinds, before).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "pruned finished jobs and old domain events"),
        Err(e) => tracing::debug!(error = %e, "could not prune finished jobs"),
    }
}

/// Enqueues a job; false when one with the same dedupe key exists already.
pub async fn enqueue(
    state: &AppState,
    workspace: WorkspaceId,
    kind: &str,
    payload: Value,
    dedupe_key: Option<String>,
    delay: chrono::Duration,
    max_attempts: i64,
) -> Result<bool, StoreError> {
    let now = state.clock.now();
    let job = Job::new(workspace, kind, payload, dedupe_key, now + delay, max_attempts, now);
    state.store.enqueue_job(&job).await
}

/// Runs every due job this node can claim; returns how many ran.
pub async fn run_due(state: &AppState) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let node = state.automation.node_id;
    let jobs = state.store.claim_jobs(node, now, now + chrono::Duration::seconds(LEASE_SECS), BATCH).await?;
    let ran = jobs.len();
    for job in jobs {
        let outcome = handle(state, &job).await;
        settle(state, &job, outcome).await?;
    }
    Ok(ran)
}

/// Records how a job this node claimed went: done, to retry after its backoff,
/// or given up.
pub async fn settle(state: &AppState, job: &Job, outcome: Result<(), JobError>) -> Result<(), StoreError> {
    let now = state.clock.now();
    let node = state.automation.node_id;
    match outcome {
        Ok(()) => {
            state.store.finish_job(job.id, node, now).await?;
        }
        Err(JobError::Retry(msg)) if job.attempts < job.max_attempts => {
            let at = now + backoff(chrono::Duration::seconds(RETRY_BASE_SECS), job.attempts);
            state.store.retry_job(job.id, node, at, &msg, now).await?;
        }
        Err(JobError::Retry(msg) | JobError::Fatal(msg)) => {
            tracing::info!(job = %job.id, kind = %job.kind, error = %msg, "job given up");
            state.store.fail_job(job.id, node, &msg, now).await?;
        }
    }
    Ok(())
}

async fn handle(state: &AppState, job: &Job) -> Result<(), JobError> {
    match job.kind.as_str() {
        webhooks::DELIVERY_JOB => webhooks::deliver(state, job).await,
        rules::RULE_JOB => rules::run(state, job).await,
        rules::CALL_JOB => rules::call(state, job).await,
        kind if crate::events::Subscriber::of_job_kind(kind).is_some() => {
            crate::events::handle(state, job).await
        }
        other => Err(JobError::Fatal(format!("unknown job kind {other}"))),
    }
}
