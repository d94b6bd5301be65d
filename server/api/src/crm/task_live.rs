//! Live task lists: when a task is created for someone or handed to them (over
//! REST, a `/task` or `/assign` command, a stage rule), their open clients hear
//! of it at once and reload their "My tasks"; someone taken off a task hears
//! only its id, since they may no longer see it. Ephemeral, per user: a client
//! that was offline reloads its lists when it reconnects anyway.

use artel_core::crm::task::Task;
use artel_core::event::{Audience, Envelope, Ephemeral};
use artel_core::user::{User, UserId};

use crate::state::AppState;

/// Tells the task's new assignees (`before`: who it was assigned to until now)
/// and the ones taken off it.
pub async fn tell_assignees(state: &AppState, actor: &User, task: &Task, before: &[UserId]) {
    let added: Vec<UserId> = task.assignees.iter().copied().filter(|u| !before.contains(u)).collect();
    let removed: Vec<UserId> = before.iter().copied().filter(|u| !task.assignees.contains(u)).collect();
    let mut envelopes = Vec::new();
    if !added.is_empty() {
        envelopes.push(Envelope::ephemeral(
            task.workspace_id,
            Audience::Users { user_ids: added },
            Ephemeral::TaskAssigned {
                task_id: task.id,
                title: task.title.clone(),
                due_at: task.due_at,
                by: actor.id,
            },
        ));
    }
    if !removed.is_empty() {
        envelopes.push(Envelope::ephemeral(
            task.workspace_id,
            Audience::Users { user_ids: removed },
            Ephemeral::TaskUnassigned { task_id: task.id },
        ));
    }
    if envelopes.is_empty() {
        return;
    }
    if let Err(e) = state.bus.publish_all(&envelopes).await {
        tracing::warn!(error = %e, task = %task.id, "could not tell a task's assignees");
    }
}
