//! Stage rules for deals entering a stage. Each rule run is queued under a key
//! of rule, deal, the moment it entered and the chain depth, so hearing the same
//! event twice queues one run.

use artel_core::domain_event::{Change, DomainEvent};

use crate::automation::jobs::JobError;
use crate::automation::rules::queue_entered;
use crate::state::AppState;

pub async fn on(state: &AppState, event: &DomainEvent) -> Result<(), JobError> {
    match &event.change {
        Change::DealCreated { deal, .. } => queue_entered(state, deal, 0).await?,
        Change::DealUpdated { after, moved: Some(_), depth, .. } => {
            queue_entered(state, after, *depth).await?
        }
        _ => {}
    }
    Ok(())
}
