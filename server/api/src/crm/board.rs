//! Board notifications: after a deal or a pipeline's stages change, the change is
//! appended to the pipeline's board log and published, so every watcher's board
//! updates live, in order, on every node.
//!
//! The log is written right after the change, not in its transaction: if the
//! process dies in between, watchers miss that one update until they reload the
//! board, but the deal itself is never wrong. (Writing both in one transaction is
//! the next step once the deal store takes a board change.)

use artel_core::crm::deal::Deal;
use std::collections::HashMap;

use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::task::{summarise, DealTaskSummary, Task, TaskStatus};
use artel_core::event::BoardChange;
use artel_core::ports::tasks::TaskFilter;
use uuid::Uuid;

use crate::state::AppState;

/// Records and publishes one change on a board.
pub async fn record(state: &AppState, workspace: Uuid, pipeline: Uuid, change: BoardChange) {
    match state.store.append_board_event(workspace, pipeline, &change, state.clock.now()).await {
        Ok(event) => state.committer.publish_board(event),
        Err(e) => tracing::warn!(error = %e, %pipeline, "could not record a board change"),
    }
}

/// What the deal's card shows of its tasks (empty when they cannot be read:
/// the card is still worth sending).
pub async fn tasks_of(state: &AppState, deal: &Deal) -> DealTaskSummary {
    let filter = TaskFilter {
        deals: vec![deal.id],
        statuses: vec![TaskStatus::Open, TaskStatus::InProgress],
        limit: 0, // all of them: the count must be exact
        ..TaskFilter::default()
    };
    match state.store.list_tasks(deal.workspace_id, &filter).await {
        Ok(tasks) => summarise(&tasks),
        Err(e) => {
            tracing::warn!(error = %e, deal = %deal.id, "could not read a deal's tasks for its card");
            DealTaskSummary::default()
        }
    }
}

/// A task of a deal was created or changed: the deal's card (open tasks, next
/// task) changes on every board. Both deals when the task moved between them.
pub async fn task_changed(state: &AppState, before: Option<&Task>, after: &Task) {
    let mut deals: Vec<Uuid> = Vec::new();
    for t in before.into_iter().chain(std::iter::once(after)) {
        if let Some(EntityRef { kind: EntityKind::Deal, id }) = t.entity {
            if !deals.contains(&id) {
                deals.push(id);
            }
        }
    }
    for id in deals {
        match state.store.get_deal(after.workspace_id, id).await {
            Ok(deal) => deal_changed(state, Some(&deal), &deal).await,
            Err(e) => tracing::debug!(error = %e, deal = %id, "no card to update for a task"),
        }
    }
}

/// Task summaries of many deals at once (the board).
pub async fn tasks_of_many(
    state: &AppState,
    workspace: Uuid,
    deals: &[Uuid],
) -> artel_core::Result<HashMap<Uuid, DealTaskSummary>> {
    let mut by_deal: HashMap<Uuid, Vec<Task>> = HashMap::new();
    for chunk in deals.chunks(500) {
        let filter = TaskFilter {
            deals: chunk.to_vec(),
            statuses: vec![TaskStatus::Open, TaskStatus::InProgress],
            limit: 0,
            ..TaskFilter::default()
        };
        for t in state.store.list_tasks(workspace, &filter).await? {
            if let Some(e) = t.entity {
                by_deal.entry(e.id).or_default().push(t);
            }
        }
    }
    Ok(by_deal.into_iter().map(|(id, tasks)| (id, summarise(&tasks))).collect())
}

/// The board changes one deal write causes.
pub async fn deal_changed(state: &AppState, before: Option<&Deal>, after: &Deal) {
    let ws = after.workspace_id;
    if let Some(b) = before {
        if b.pipeline_id != after.pipeline_id && b.archived_at.is_none() {
            record(state, ws, b.pipeline_id, BoardChange::DealRemoved { deal_id: b.id }).await;
        }
    }
    let change = if after.archived_at.is_some() {
        if before.is_some_and(|b| b.archived_at.is_some()) {
            return;
        }
        BoardChange::DealRemoved { deal_id: after.id }
    } else {
        BoardChange::DealUpserted { deal: Box::new(after.clone()), tasks: Some(tasks_of(state, after).await) }
    };
    record(state, ws, after.pipeline_id, change).await;
}
