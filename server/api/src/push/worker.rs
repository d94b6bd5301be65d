//! The delivery worker: every tick (or at once when the planner queued
//! something) it claims due deliveries (a lease per row, so
//! one node sends each), sends them concurrently, each bounded by the push
//! timeout, and records the outcome: sent; gone (404/410: the subscription is
//! deleted with its queue); retry later with exponential backoff (429, 5xx,
//! timeouts; `Retry-After` respected); or failed. Rows survive restarts; "now"
//! is the state's clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use artel_core::automation::job::backoff;
use artel_core::ports::push::{PushTarget, SendOutcome};
use artel_core::push::{PushPayload, QueuedPush};
use artel_core::{Clock, Store, StoreError};

use crate::push::Push;

/// Deliveries claimed per tick at most.
const BATCH: i64 = 64;
/// How often old queue rows are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// Deliveries being sent at once by this node at most.
const MAX_IN_FLIGHT: usize = 256;
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// First retry after this long; each further one waits twice as long (≤ 1 h).
const RETRY_BASE_SECS: i64 = 5;
/// Push services keep an undelivered message this long (seconds).
const TTL_SECS: u32 = 24 * 3600;

pub async fn run(store: Arc<dyn Store>, clock: Arc<dyn Clock>, push: Arc<Push>) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Deliveries in flight across ticks: a hanging push service holds only its
    // own slots (each bounded by the timeout), never the whole worker.
    let mut in_flight = tokio::task::JoinSet::new();
    // The pass each delivery in flight was claimed in: a pass has finished once
    // its deliveries and every earlier pass's have (`Push::passes`).
    let mut pass_of: HashMap<tokio::task::Id, u64> = HashMap::new();
    // The first pass since the last one that claimed all it could, if any.
    let mut incomplete: Option<u64> = None;
    let mut prune_at = tokio::time::Instant::now() + PRUNE_EVERY;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = push.woken() => {}
        }
        while let Some(done) = in_flight.try_join_next_with_id() {
            pass_of.remove(&done.map_or_else(|e| e.id(), |(id, ())| id));
        }
        let pass = push.passes.start();
        let free = MAX_IN_FLIGHT.saturating_sub(in_flight.len());
        let claimed = if free > 0 {
            claim_into(&store, &clock, &push, free, &mut in_flight).await.map(Some)
        } else {
            Ok(None)
        };
        match claimed {
            Ok(Some(started)) => {
                incomplete = None;
                pass_of.extend(started.into_iter().map(|id| (id, pass)));
            }
            // Full, or the claim failed: a later pass covers what this one missed.
            Ok(None) => {
                incomplete.get_or_insert(pass);
            }
            Err(e) => {
                tracing::debug!(error = %e, "push tick failed");
                incomplete.get_or_insert(pass);
            }
        }
        let oldest_open = pass_of.values().chain(incomplete.iter()).min();
        push.passes.finished_up_to(oldest_open.map_or(pass, |p| p - 1));
        if tokio::time::Instant::now() >= prune_at {
            // Forget old deliveries and dead focus rows.
            prune_at += PRUNE_EVERY;
            let _ = store.prune_pushes(clock.now() - chrono::Duration::days(1)).await;
        }
    }
}

/// Claims up to `limit` due deliveries and starts sending them; their tasks.
async fn claim_into(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    push: &Arc<Push>,
    limit: usize,
    in_flight: &mut tokio::task::JoinSet<()>,
) -> Result<Vec<tokio::task::Id>, StoreError> {
    let now = clock.now();
    let lease = chrono::Duration::from_std(push.settings.timeout).unwrap_or(chrono::Duration::seconds(60))
        + chrono::Duration::seconds(30);
    let limit = i64::try_from(limit).unwrap_or(BATCH).min(BATCH);
    let claimed =
        store.claim_pushes(push.node_id, now, now + lease, now - push.settings.collapse, limit).await?;
    let mut started = Vec::with_capacity(claimed.len());
    for row in claimed {
        let (store, clock, push) = (store.clone(), clock.clone(), push.clone());
        let task = in_flight.spawn(async move {
            if let Err(e) = deliver(&store, &clock, &push, &row).await {
                tracing::warn!(error = %e, push = %row.id, "push delivery bookkeeping failed");
            }
        });
        started.push(task.id());
    }
    Ok(started)
}

async fn deliver(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    push: &Push,
    row: &QueuedPush,
) -> Result<(), StoreError> {
    let node = push.node_id;
    let subscription = store
        .list_subscriptions(row.workspace_id, row.user_id)
        .await?
        .into_iter()
        .find(|s| s.id == row.subscription_id);
    let Some(sub) = subscription else {
        // Unsubscribed meanwhile (its rows go with it; this one raced).
        store.fail_push(row.id, node, None, "subscription gone", clock.now()).await?;
        return Ok(());
    };
    let badge = store.unread_chat_count(row.workspace_id, row.user_id).await.unwrap_or(0);
    let payload = PushPayload {
        title: row.title.clone(),
        body: row.body.clone(),
        url: row.url.clone(),
        tag: row.tag.clone(),
        count: row.count,
        kind: row.kind,
        badge,
    };
    let bytes = serde_json::to_vec(&payload).map_err(|e| StoreError::Backend(e.to_string()))?;
    // Topic: the push service keeps only the newest undelivered message per topic.
    let topic = row
        .tag
        .split(':')
        .nth(1)
        .and_then(|id| id.parse::<uuid::Uuid>().ok())
        .map(|u| u.simple().to_string());
    let target = PushTarget { endpoint: &sub.endpoint, p256dh: &sub.p256dh, auth: &sub.auth };
    // The sender has its own timeout; this one also bounds DNS and encryption.
    let outcome = match tokio::time::timeout(
        push.settings.timeout + Duration::from_secs(1),
        push.sender.send(target, &bytes, TTL_SECS, topic.as_deref()),
    )
    .await
    {
        Ok(o) => o,
        Err(_) => SendOutcome::Retry { status: None, error: "timed out".into(), retry_after: None },
    };
    let now = clock.now();
    match outcome {
        SendOutcome::Delivered { status } => {
            // From the first notification queued to the push service's answer.
            let delay_ms = (now - row.created_at).num_milliseconds();
            tracing::debug!(push = %row.id, status, delay_ms, count = row.count, "push delivered");
            store.finish_push(row.id, node, status, now).await?;
        }
        SendOutcome::Gone { status } => {
            tracing::info!(subscription = %sub.id, status, "push subscription gone; pruned");
            store.prune_subscription(sub.id).await?;
        }
        SendOutcome::Retry { status, error, retry_after } if row.attempts < MAX_ATTEMPTS => {
            let wait = backoff(chrono::Duration::seconds(RETRY_BASE_SECS), row.attempts)
                .min(chrono::Duration::hours(1));
            let asked = retry_after
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| d.min(chrono::Duration::hours(1)))
                .unwrap_or(wait);
            store.retry_push(row.id, node, now + wait.max(asked), status, &error, now).await?;
        }
        SendOutcome::Retry { status, error, .. } | SendOutcome::Rejected { status, error } => {
            tracing::info!(push = %row.id, ?status, error = %error, "push given up");
            store.fail_push(row.id, node, status, &error, now).await?;
        }
    }
    Ok(())
}
