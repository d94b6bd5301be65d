//! Outgoing webhooks: turning events into signed deliveries. An event becomes
//! one durable delivery job per subscribed webhook (keyed by event and webhook,
//! so a second enqueue — another node hearing the same bus event — is a no-op);
//! the job POSTs, logs the attempt and is retried with backoff until it succeeds
//! or runs out of attempts.

use std::sync::Arc;

use artel_core::automation::job::Job;
use artel_core::automation::webhook::{DeliveryOutcome, Webhook, WebhookDelivery};
use artel_core::event::{ChatChange, Payload};
use artel_core::message::MessageKind;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, Subscription};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::automation::jobs::{self, JobError};
use crate::automation::outbound::{self, TargetError};
use crate::state::AppState;

pub const DELIVERY_JOB: &str = "webhook_delivery";
/// Attempts per delivery: the first and five retries (30 s … 8 min apart).
const MAX_ATTEMPTS: i64 = 6;

/// What a delivery job carries: the event as it will be sent.
#[derive(Debug, Serialize, Deserialize)]
struct Delivery {
    webhook_id: Uuid,
    event_id: Uuid,
    event: String,
    occurred_at: chrono::DateTime<chrono::Utc>,
    data: Value,
}

/// Queues `event` for every webhook of the workspace subscribed to it. Failures
/// are logged, never passed on: the action that caused the event has happened.
pub async fn emit(state: &AppState, workspace: WorkspaceId, event: &str, event_id: Uuid, data: Value) {
    if let Err(e) = try_emit(state, workspace, event, event_id, state.clock.now(), data).await {
        tracing::warn!(error = %e, event, "could not queue webhook deliveries");
    }
}

/// Queues `event` for every subscribed webhook of the workspace; the delivery
/// jobs are keyed by webhook and `event_id`, so queuing the same event again
/// changes nothing.
pub(crate) async fn try_emit(
    state: &AppState,
    workspace: WorkspaceId,
    event: &str,
    event_id: Uuid,
    occurred_at: chrono::DateTime<chrono::Utc>,
    data: Value,
) -> Result<(), StoreError> {
    let hooks = subscribers(state, workspace).await?;
    for hook in hooks.iter().filter(|h| h.wants(event)) {
        let payload = Delivery {
            webhook_id: hook.id,
            event_id,
            event: event.to_string(),
            occurred_at,
            data: data.clone(),
        };
        let payload = serde_json::to_value(&payload).map_err(|e| StoreError::Backend(e.to_string()))?;
        jobs::enqueue(
            state,
            workspace,
            DELIVERY_JOB,
            payload,
            Some(format!("wh:{}:{event_id}", hook.id)),
            chrono::Duration::zero(),
            MAX_ATTEMPTS,
        )
        .await?;
    }
    Ok(())
}

/// The workspace's webhooks, cached briefly per node (events are frequent,
/// webhook changes rare; changes made through this node invalidate at once).
async fn subscribers(state: &AppState, workspace: WorkspaceId) -> Result<Arc<Vec<Webhook>>, StoreError> {
    if let Some(hit) = state.automation.cached_webhooks(workspace) {
        return Ok(hit);
    }
    let list = Arc::new(state.store.list_webhooks(workspace).await?);
    state.automation.cache_webhooks(workspace, list.clone());
    Ok(list)
}

/// Follows the bus (the same events the WebSocket hub delivers) and queues
/// `message.created` for people's messages. Every node hears every event; the
/// delivery key makes the first enqueue win.
pub fn follow_bus(state: AppState, mut subscription: Subscription) {
    tokio::spawn(async move {
        while let Some(envelope) = subscription.recv().await {
            let Payload::Chat { event } = envelope.payload else { continue };
            let ChatChange::MessageCreated { message } = event.change else { continue };
            // Bots' and Artel's own messages are not echoed out: that is how
            // webhook → incoming hook → webhook loops would start.
            if message.kind != MessageKind::User {
                continue;
            }
            let data = json!({"message": message});
            emit(&state, event.workspace_id, "message.created", message.id, data).await;
        }
    });
}

/// Runs one delivery attempt.
pub async fn deliver(state: &AppState, job: &Job) -> Result<(), JobError> {
    let d: Delivery = serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Fatal(format!("bad delivery payload: {e}")))?;
    let hook = match state.store.get_webhook(job.workspace_id, d.webhook_id).await {
        Ok(h) if h.active => h,
        // Deleted or paused since: nothing to deliver.
        Ok(_) | Err(StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let body = json!({
        "id": d.event_id,
        "event": d.event,
        "created_at": d.occurred_at,
        "workspace_id": job.workspace_id,
        "data": d.data,
    });
    let body = serde_json::to_vec(&body).map_err(|e| JobError::Fatal(e.to_string()))?;
    let settings = state.store.integration_settings(job.workspace_id).await?;
    let mut log = WebhookDelivery {
        id: Uuid::now_v7(),
        workspace_id: job.workspace_id,
        webhook_id: hook.id,
        event_id: d.event_id,
        event: d.event.clone(),
        attempt: job.attempts,
        outcome: DeliveryOutcome::Failed,
        response_code: None,
        duration_ms: 0,
        error: None,
        created_at: state.clock.now(),
    };
    let url = match outbound::parse_url("url", &hook.url) {
        Ok(u) => u,
        Err(e) => {
            log.outcome = DeliveryOutcome::Refused;
            log.error = Some(e.to_string());
            state.store.record_delivery(&log).await?;
            return Err(JobError::Fatal(e.to_string()));
        }
    };
    let addr = match outbound::resolve(&url, settings.allow_private_targets).await {
        Ok(a) => a,
        Err(e) => {
            let fatal = matches!(e, TargetError::Refused(_));
            log.outcome = if fatal { DeliveryOutcome::Refused } else { DeliveryOutcome::Failed };
            log.error = Some(e.message().to_string());
            state.store.record_delivery(&log).await?;
            let msg = e.message().to_string();
            return Err(if fatal { JobError::Fatal(msg) } else { JobError::Retry(msg) });
        }
    };
    let unix = state.clock.now().timestamp();
    let headers = [
        ("x-artel-signature", outbound::signature(&hook.secret, unix, &body)),
        ("x-artel-event", d.event.clone()),
        ("x-artel-event-id", d.event_id.to_string()),
        ("x-artel-delivery", job.id.to_string()),
        ("x-artel-attempt", job.attempts.to_string()),
    ];
    let result = outbound::post(&url, addr, &headers, body).await;
    log.response_code = result.status.map(i64::from);
    log.duration_ms = result.duration_ms;
    log.error = result.error.clone();
    log.outcome = if result.ok() { DeliveryOutcome::Delivered } else { DeliveryOutcome::Failed };
    log.created_at = state.clock.now();
    state.store.record_delivery(&log).await?;
    if result.ok() {
        Ok(())
    } else {
        Err(JobError::Retry(result.error.unwrap_or_else(|| "delivery failed".into())))
    }
}
