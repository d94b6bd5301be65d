//! Domain events: what a change meant ("the deal moved from Qualified to Won"),
//! written to the outbox in the same transaction as the change itself, with one
//! durable job per subscriber that must hear of it (webhooks, stage rules,
//! deal-chat notices, push planning). A crash after the commit therefore loses
//! nothing: the jobs are there and run after the restart. Each subscriber makes
//! its effect idempotent by the event's id, so running a job twice (a lease that
//! ran out, a node that died after the effect but before marking the job done)
//! produces the effect once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::automation::job::Job;
use crate::crm::deal::Deal;
use crate::crm::pipeline::Stage;
use crate::crm::task::Task;
use crate::user::UserId;
use crate::workspace::WorkspaceId;

/// One thing that happened, as its subscribers need to know it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    /// Who did it (the author of the notices it causes).
    pub actor_id: UserId,
    pub occurred_at: DateTime<Utc>,
    pub change: Change,
}

/// The change, with the records as they were and are (subscribers never read
/// the current state for what the change was: it may have changed again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    DealCreated {
        deal: Box<Deal>,
        stage: Box<Stage>,
    },
    /// Any edit of a deal: a move (`moved` holds both stages), an archive, a
    /// new owner or new people. `depth` is how deep in a chain of stage rules
    /// the change was made (0 for a person's).
    DealUpdated {
        before: Box<Deal>,
        after: Box<Deal>,
        moved: Option<Box<(Stage, Stage)>>,
        depth: u8,
    },
    TaskCreated {
        task: Box<Task>,
    },
    /// Any edit of a task (completion included: `after.status` says so).
    /// `next_due_at` is when a recurring task's next occurrence is due.
    TaskUpdated {
        before: Box<Task>,
        after: Box<Task>,
        next_due_at: Option<DateTime<Utc>>,
    },
}

impl Change {
    /// A short stable name, stored beside the payload for queries.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::DealCreated { .. } => "deal_created",
            Change::DealUpdated { .. } => "deal_updated",
            Change::TaskCreated { .. } => "task_created",
            Change::TaskUpdated { .. } => "task_updated",
        }
    }
}

/// What a write hands its store call besides the change: the events and the
/// subscriber jobs to insert in the same transaction.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    pub events: Vec<DomainEvent>,
    pub jobs: Vec<Job>,
}

impl Outbox {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.jobs.is_empty()
    }
}
