//! Webhook deliveries for deal and task events. The delivery's `event_id` is
//! the domain event's, so a receiver that dedupes by it sees each change once;
//! `deal.won` / `deal.lost`, sent beside `deal.moved`, get an id derived from it.

use artel_core::crm::pipeline::StageKind;
use artel_core::domain_event::{Change, DomainEvent};
use serde_json::json;
use uuid::Uuid;

use crate::automation::jobs::JobError;
use crate::automation::webhooks::try_emit;
use crate::events::became_done;
use crate::state::AppState;

pub async fn on(state: &AppState, event: &DomainEvent) -> Result<(), JobError> {
    let ws = event.workspace_id;
    let at = event.occurred_at;
    match &event.change {
        Change::DealCreated { deal, .. } => {
            try_emit(state, ws, "deal.created", event.id, at, json!({ "deal": deal })).await?;
        }
        Change::DealUpdated { after, moved: Some(moved), .. } => {
            let (from, to) = &**moved;
            let data = json!({
                "deal": after,
                "from_stage": {"id": from.id, "name": from.name, "kind": from.kind},
                "to_stage": {"id": to.id, "name": to.name, "kind": to.kind},
            });
            try_emit(state, ws, "deal.moved", event.id, at, data.clone()).await?;
            let closed = match to.kind {
                StageKind::Won => Some("deal.won"),
                StageKind::Lost => Some("deal.lost"),
                StageKind::Open => None,
            };
            if let Some(name) = closed {
                try_emit(state, ws, name, Uuid::new_v5(&event.id, name.as_bytes()), at, data).await?;
            }
        }
        Change::DealUpdated { .. } => {}
        Change::TaskCreated { task } => {
            try_emit(state, ws, "task.created", event.id, at, json!({ "task": task })).await?;
        }
        Change::TaskUpdated { before, after, .. } => {
            if became_done(before, after) {
                try_emit(state, ws, "task.done", event.id, at, json!({ "task": after })).await?;
            }
        }
    }
    Ok(())
}
