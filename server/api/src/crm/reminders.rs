//! The reminder worker: every second it takes the reminders whose time has come
//! (in every workspace), marks each fired — only the node that wins that
//! conditional update goes on — and tells the user over their sockets. Reminders
//! are rows, so they survive restarts; "now" comes from the state's clock, so
//! tests move time instead of waiting.

use std::time::Duration;

use artel_core::crm::task::TaskReminder;
use artel_core::event::{Audience, Envelope, Ephemeral};
use artel_core::StoreError;

use crate::state::AppState;

/// Reminders handled per tick at most; the rest wait for the next tick.
const BATCH: i64 = 200;

/// Starts the worker on the current runtime.
pub fn start(state: AppState) {
    tokio::spawn(run(state));
}

async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let pass = state.reminder_passes.start();
        match fire_due(&state).await {
            Ok(_) => state.reminder_passes.finished_up_to(pass),
            Err(e) => tracing::debug!(error = %e, "reminder tick failed"),
        }
    }
}

/// Fires every due reminder once; returns how many this node fired.
pub async fn fire_due(state: &AppState) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let due = state.store.due_reminders(now, BATCH).await?;
    let mut fired = 0;
    for reminder in due {
        if !state.store.mark_reminder_fired(reminder.id, now).await? {
            continue; // another node (or tick) got it
        }
        if notify(state, &reminder).await? {
            fired += 1;
        }
    }
    Ok(fired)
}

/// Tells the user, unless the task is gone or no longer to be done.
async fn notify(state: &AppState, reminder: &TaskReminder) -> Result<bool, StoreError> {
    let task = match state.store.get_task(reminder.workspace_id, reminder.task_id).await {
        Ok(t) => t,
        Err(StoreError::NotFound(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    if !task.status.is_active() {
        return Ok(false);
    }
    let envelope = Envelope::ephemeral(
        reminder.workspace_id,
        Audience::Users { user_ids: vec![reminder.user_id] },
        Ephemeral::TaskReminder { task_id: task.id, title: task.title.clone(), due_at: task.due_at },
    );
    if let Err(e) = state.bus.publish(&envelope).await {
        tracing::warn!(error = %e, reminder = %reminder.id, "could not publish a task reminder");
    }
    let body = artel_core::push::plain_excerpt(&task.description, &|_| None);
    if let Some(n) = crate::push::planner::record_notification(
        reminder.workspace_id,
        reminder.user_id,
        None,
        artel_core::push::PushKind::TaskReminder,
        &task.title,
        &body,
        task.id,
    ) {
        state.push.notify(n);
    }
    Ok(true)
}
