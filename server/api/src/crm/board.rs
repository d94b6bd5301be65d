//! Board notifications: after a deal or a pipeline's stages change, the change is
//! appended to the pipeline's board log and published, so every watcher's board
//! updates live, in order, on every node.
//!
//! The log is written right after the change, not in its transaction: if the
//! process dies in between, watchers miss that one update until they reload the
//! board, but the deal itself is never wrong. (Writing both in one transaction is
//! the next step once the deal store takes a board change.)

use artel_core::crm::deal::Deal;
use artel_core::event::BoardChange;
use uuid::Uuid;

use crate::state::AppState;

/// Records and publishes one change on a board.
pub async fn record(state: &AppState, workspace: Uuid, pipeline: Uuid, change: BoardChange) {
    match state.store.append_board_event(workspace, pipeline, &change, state.clock.now()).await {
        Ok(event) => state.committer.publish_board(event),
        Err(e) => tracing::warn!(error = %e, %pipeline, "could not record a board change"),
    }
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
        BoardChange::DealUpserted { deal: Box::new(after.clone()) }
    };
    record(state, ws, after.pipeline_id, change).await;
}
