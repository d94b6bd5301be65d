//! CRM events that still go straight to webhooks after their commit: a new
//! contact or company. Deal and task events go through the outbox instead
//! (`crate::events`), and chat messages come from the bus (`webhooks::follow_bus`).

use artel_core::workspace::WorkspaceId;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::automation::webhooks::emit;
use crate::state::AppState;

pub async fn contact_created(state: &AppState, workspace: WorkspaceId, contact: &impl Serialize) {
    emit(state, workspace, "contact.created", Uuid::now_v7(), json!({"contact": contact})).await;
}
