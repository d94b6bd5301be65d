//! "Assigned to you" pushes for deals and tasks. The planner collapses what a
//! second hearing of the same event would add within its window.

use artel_core::domain_event::{Change, DomainEvent};

use crate::automation::jobs::JobError;
use crate::state::AppState;

pub async fn on(state: &AppState, event: &DomainEvent) -> Result<(), JobError> {
    let actor = super::actor(state, event).await?;
    match &event.change {
        Change::DealCreated { deal, .. } => crate::crm::deals::push_assigned(state, &actor, deal),
        Change::DealUpdated { before, after, .. } => {
            if before.owner_id != after.owner_id {
                crate::crm::deals::push_assigned(state, &actor, after);
            }
        }
        Change::TaskCreated { task } => crate::crm::tasks::push_assigned(state, &actor, task, &[]),
        Change::TaskUpdated { before, after, .. } => {
            crate::crm::tasks::push_assigned(state, &actor, after, &before.assignees)
        }
    }
    Ok(())
}
