//! The CRM events webhooks subscribe to, raised by the use cases right after
//! their change is committed. (Chat messages come from the bus instead; see
//! `webhooks::follow_bus`.) The bus carries no deal, task or contact events with
//! their meaning — a board event says "the card is now like this", not "it was
//! won" — so these are raised where the meaning is known.

use artel_core::crm::deal::Deal;
use artel_core::crm::pipeline::{Stage, StageKind};
use artel_core::crm::task::Task;
use artel_core::workspace::WorkspaceId;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::automation::webhooks::emit;
use crate::state::AppState;

pub async fn deal_created(state: &AppState, deal: &Deal) {
    emit(state, deal.workspace_id, "deal.created", Uuid::now_v7(), json!({"deal": deal})).await;
}

/// `deal.moved`, and `deal.won` / `deal.lost` when it lands in such a stage.
pub async fn deal_moved(state: &AppState, deal: &Deal, from: &Stage, to: &Stage) {
    let data = json!({
        "deal": deal,
        "from_stage": {"id": from.id, "name": from.name, "kind": from.kind},
        "to_stage": {"id": to.id, "name": to.name, "kind": to.kind},
    });
    emit(state, deal.workspace_id, "deal.moved", Uuid::now_v7(), data.clone()).await;
    let closed = match to.kind {
        StageKind::Won => Some("deal.won"),
        StageKind::Lost => Some("deal.lost"),
        StageKind::Open => None,
    };
    if let Some(event) = closed {
        emit(state, deal.workspace_id, event, Uuid::now_v7(), data).await;
    }
}

/// `task.created` or `task.done`.
pub async fn task(state: &AppState, event: &str, task: &Task) {
    emit(state, task.workspace_id, event, Uuid::now_v7(), json!({"task": task})).await;
}

pub async fn contact_created(state: &AppState, workspace: WorkspaceId, contact: &impl Serialize) {
    emit(state, workspace, "contact.created", Uuid::now_v7(), json!({"contact": contact})).await;
}
