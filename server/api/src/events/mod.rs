//! Domain events and their subscribers. A deal or task write builds its
//! `Outbox` (the event and one job per subscriber that wants it) with
//! `outbox_for`, hands it to the store with the change (one transaction), then
//! runs those jobs itself with `run_now`, so the effects are in place when the
//! request answers, as before. If the process dies in between, the jobs are
//! still in the table and the job worker runs them once their short grace has
//! passed. Every subscriber keys its effect by the event's id, so a job that
//! runs twice has its effect once.
//!
//! Subscribers never call back into the feature that raised the event: the
//! dependency points from them to `crm` (automation → crm → messaging), not back.

pub mod notices;
pub mod push;
pub mod rules;
pub mod webhooks;

use artel_core::automation::job::Job;
use artel_core::domain_event::{Change, DomainEvent, Outbox};
use artel_core::user::User;
use artel_core::StoreError;
use serde_json::json;
use uuid::Uuid;

use crate::automation::jobs::{self, JobError};
use crate::state::AppState;

/// Who hears of domain events, in the order a write runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscriber {
    /// Outgoing webhook deliveries.
    Webhooks,
    /// Stage automation rules.
    Rules,
    /// Notices in record chats and keeping those chats in step.
    Notices,
    /// Push notifications ("assigned to you").
    Push,
}

pub const SUBSCRIBERS: [Subscriber; 4] =
    [Subscriber::Webhooks, Subscriber::Rules, Subscriber::Notices, Subscriber::Push];

impl Subscriber {
    pub fn name(self) -> &'static str {
        match self {
            Subscriber::Webhooks => "webhooks",
            Subscriber::Rules => "rules",
            Subscriber::Notices => "notices",
            Subscriber::Push => "push",
        }
    }

    /// The job kind its jobs have.
    pub fn job_kind(self) -> &'static str {
        match self {
            Subscriber::Webhooks => "event_webhooks",
            Subscriber::Rules => "event_rules",
            Subscriber::Notices => "event_notices",
            Subscriber::Push => "event_push",
        }
    }

    pub fn of_job_kind(kind: &str) -> Option<Self> {
        SUBSCRIBERS.into_iter().find(|s| s.job_kind() == kind)
    }

    /// Whether this change matters to the subscriber at all (no job otherwise).
    pub fn wants(self, change: &Change) -> bool {
        match (self, change) {
            (
                Subscriber::Webhooks | Subscriber::Rules | Subscriber::Notices | Subscriber::Push,
                Change::DealCreated { .. },
            ) => true,
            (Subscriber::Webhooks | Subscriber::Rules, Change::DealUpdated { moved, .. }) => moved.is_some(),
            (Subscriber::Notices, Change::DealUpdated { after, before, .. }) => {
                after.chat_id.is_some() || before.people() != after.people()
            }
            (Subscriber::Push, Change::DealUpdated { before, after, .. }) => {
                before.owner_id != after.owner_id
            }
            (Subscriber::Rules, Change::TaskCreated { .. } | Change::TaskUpdated { .. }) => false,
            (Subscriber::Webhooks | Subscriber::Notices | Subscriber::Push, Change::TaskCreated { .. }) => {
                true
            }
            (Subscriber::Webhooks, Change::TaskUpdated { before, after, .. }) => became_done(before, after),
            (Subscriber::Notices, Change::TaskUpdated { .. }) => true,
            (Subscriber::Push, Change::TaskUpdated { before, after, .. }) => {
                after.assignees.iter().any(|a| !before.assignees.contains(a))
            }
        }
    }
}

/// Whether a task update completed it.
pub fn became_done(before: &artel_core::crm::task::Task, after: &artel_core::crm::task::Task) -> bool {
    use artel_core::crm::task::TaskStatus;
    after.status == TaskStatus::Done && before.status != TaskStatus::Done
}

/// How long a subscriber job waits before the worker may take it: the write
/// runs it right after its commit; the worker only picks up what a crash (or a
/// failure, after its backoff) left behind.
const GRACE_SECS: i64 = 5;
/// How long a write's own run holds its jobs. Short, so that after a crash in
/// the middle of it the worker takes them over soon.
const INLINE_LEASE_SECS: i64 = 15;
/// Attempts per subscriber job: the first and seven retries (30 s … 32 min).
const MAX_ATTEMPTS: i64 = 8;

/// The outbox of one change made by `actor`: its event and one job per
/// subscriber that wants it.
pub fn outbox_for(state: &AppState, actor: &User, change: Change) -> Outbox {
    let now = state.clock.now();
    let event = DomainEvent {
        id: Uuid::now_v7(),
        workspace_id: actor.workspace_id,
        actor_id: actor.id,
        occurred_at: now,
        change,
    };
    let jobs = SUBSCRIBERS
        .into_iter()
        .filter(|s| s.wants(&event.change))
        .map(|s| {
            Job::new(
                event.workspace_id,
                s.job_kind(),
                json!({ "event_id": event.id }),
                Some(format!("ev:{}:{}", s.name(), event.id)),
                now + chrono::Duration::seconds(GRACE_SECS),
                MAX_ATTEMPTS,
                now,
            )
        })
        .collect();
    Outbox { events: vec![event], jobs }
}

/// Runs the jobs of a committed outbox on this node, in subscriber order. What
/// cannot be claimed (another node's worker got there first) or fails is left to
/// the worker; the change itself has happened either way.
pub async fn run_now(state: &AppState, outbox: &Outbox) {
    if outbox.jobs.is_empty() {
        return;
    }
    let ids: Vec<Uuid> = outbox.jobs.iter().map(|j| j.id).collect();
    let now = state.clock.now();
    let node = state.automation.node_id;
    let lease = now + chrono::Duration::seconds(INLINE_LEASE_SECS);
    match state.store.claim_jobs_by_id(&ids, node, now, lease).await {
        Ok(claimed) => {
            for job in claimed {
                let outcome = handle(state, &job).await;
                if let Err(e) = jobs::settle(state, &job, outcome).await {
                    tracing::warn!(error = %e, job = %job.id, "could not record a subscriber job's outcome");
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not claim a write's subscriber jobs; the worker will run them")
        }
    }
}

/// Runs one subscriber job (the worker's handler for the `event_*` kinds).
pub async fn handle(state: &AppState, job: &Job) -> Result<(), JobError> {
    let subscriber = Subscriber::of_job_kind(&job.kind)
        .ok_or_else(|| JobError::Fatal(format!("unknown subscriber job {}", job.kind)))?;
    let id = job
        .payload
        .get("event_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse::<Uuid>().ok())
        .ok_or_else(|| JobError::Fatal("subscriber job without an event id".into()))?;
    let event = match state.store.domain_event(id).await {
        Ok(e) => e,
        // The workspace was deleted with its events: nothing left to tell.
        Err(StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    match subscriber {
        Subscriber::Webhooks => webhooks::on(state, &event).await,
        Subscriber::Rules => rules::on(state, &event).await,
        Subscriber::Notices => notices::on(state, &event).await,
        Subscriber::Push => push::on(state, &event).await,
    }
}

/// The user who made the change (notices are theirs; pushes name them).
async fn actor(state: &AppState, event: &DomainEvent) -> Result<User, JobError> {
    match state.store.get_user(event.workspace_id, event.actor_id).await {
        Ok(u) => Ok(u),
        Err(StoreError::NotFound(_)) => Err(JobError::Fatal("the event's actor is gone".into())),
        Err(e) => Err(e.into()),
    }
}
