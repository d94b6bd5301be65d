//! What this node publishes, on its way to Redis. `push` hands envelopes to this
//! node's subscribers at once and queues them; `drain` sends the queue to Redis
//! in order, one message per `MAX_PER_MESSAGE`, retrying each until Redis takes
//! it. An envelope leaves the queue only once published, so an outage delays
//! the other nodes' copy and loses nothing, up to the queue's capacity.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use artel_core::event::Envelope;
use artel_core::ports::bus::Delivery;
use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use tokio::sync::{broadcast, Notify};
use uuid::Uuid;

use crate::redis_bus::{command_connection, next_retry, RETRY_MIN};
use crate::wire;

/// Most envelopes carried by one Redis message: a group commit of a busy node
/// fits in a few, and no message grows past a few hundred KB.
const MAX_PER_MESSAGE: usize = 256;

pub(crate) struct Outbox {
    state: Mutex<State>,
    wake: Notify,
    capacity: usize,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Envelope>,
    /// Envelopes that found the queue full since the other nodes were last told.
    dropped: u64,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { state: Mutex::default(), wake: Notify::new(), capacity }
    }

    /// Delivers to this node's subscribers and queues for Redis, under one lock
    /// so both see concurrent publishers in the same order.
    pub(crate) fn push(&self, local: &broadcast::Sender<Delivery>, envelopes: &[Envelope]) {
        if envelopes.is_empty() {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let was_dropping = state.dropped > 0;
        for envelope in envelopes {
            // No subscriber on this node is not an error.
            let _ = local.send(Delivery::Envelope(envelope.clone()));
            if state.queue.len() < self.capacity {
                state.queue.push_back(envelope.clone());
            } else {
                state.dropped += 1;
            }
        }
        let started_dropping = !was_dropping && state.dropped > 0;
        drop(state);
        if started_dropping {
            tracing::warn!(
                capacity = self.capacity,
                "redis bus queue full: other nodes will catch up from the database"
            );
        }
        self.wake.notify_one();
    }

    /// The next message's envelopes (left queued until `sent`) and how many
    /// dropped ones it must announce; `None` when there is nothing to send.
    fn peek(&self) -> Option<(Vec<Envelope>, u64)> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.queue.is_empty() && state.dropped == 0 {
            return None;
        }
        Some((state.queue.iter().take(MAX_PER_MESSAGE).cloned().collect(), state.dropped))
    }

    /// Removes what a message carried once Redis took it.
    fn sent(&self, count: usize, announced: u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let count = count.min(state.queue.len());
        state.queue.drain(..count);
        state.dropped -= announced.min(state.dropped);
    }

    /// Gives up on envelopes that cannot be sent at all; counted as dropped.
    fn discard(&self, count: usize) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let count = count.min(state.queue.len());
        state.queue.drain(..count);
        state.dropped += count as u64;
    }
}

/// Sends the outbox to Redis for the node's lifetime, reconnecting by itself.
pub(crate) async fn drain(
    client: redis::Client,
    channel: String,
    node: Uuid,
    outbox: Arc<Outbox>,
    connection: MultiplexedConnection,
) {
    let mut connection = Some(connection);
    loop {
        let Some((envelopes, dropped)) = outbox.peek() else {
            outbox.wake.notified().await;
            continue;
        };
        let payload = match wire::encode(node, &envelopes, dropped > 0) {
            Ok(payload) => payload,
            Err(e) => {
                tracing::error!(error = %e, "bus envelopes not encodable; dropped");
                outbox.discard(envelopes.len());
                continue;
            }
        };
        let mut wait = RETRY_MIN;
        let mut failures = 0u32;
        while let Err(e) = publish(&client, &mut connection, &channel, &payload).await {
            connection = None;
            failures += 1;
            if failures == 1 {
                // Most often a connection Redis closed while idle (a restart):
                // a fresh one works at once, so the first retry does not wait.
                tracing::warn!(error = %e, queued = envelopes.len(), "redis publish failed; retrying");
                continue;
            }
            tokio::time::sleep(wait).await;
            wait = next_retry(wait);
        }
        if failures > 0 {
            tracing::info!(failures, "redis publish resumed");
        }
        outbox.sent(envelopes.len(), dropped);
    }
}

async fn publish(
    client: &redis::Client,
    connection: &mut Option<MultiplexedConnection>,
    channel: &str,
    payload: &str,
) -> redis::RedisResult<()> {
    let conn = match connection {
        Some(conn) => conn,
        None => connection.insert(command_connection(client).await?),
    };
    let _receivers: i64 = conn.publish(channel, payload).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use artel_core::event::{Audience, Ephemeral, Payload};

    fn envelope() -> Envelope {
        Envelope {
            id: Uuid::now_v7(),
            workspace_id: Uuid::nil(),
            audience: Audience::Workspace,
            payload: Payload::Ephemeral {
                event: Ephemeral::SignedOut { user_id: Uuid::nil(), session_id: None },
            },
        }
    }

    #[test]
    fn a_full_outbox_still_delivers_locally_and_counts_what_it_dropped() {
        let (local, mut rx) = broadcast::channel(16);
        let outbox = Outbox::new(2);
        let sent: Vec<Envelope> = (0..3).map(|_| envelope()).collect();
        outbox.push(&local, &sent);
        for e in &sent {
            assert_eq!(rx.try_recv().expect("delivered"), Delivery::Envelope(e.clone()));
        }
        let (queued, dropped) = outbox.peek().expect("something to send");
        assert_eq!((queued, dropped), (sent[..2].to_vec(), 1));
        outbox.push(&local, &[envelope()]);
        outbox.sent(2, 1);
        let (queued, dropped) = outbox.peek().expect("something to send");
        assert_eq!((queued.len(), dropped), (0, 1), "dropped while the first message was out");
        outbox.sent(0, 1);
        assert!(outbox.peek().is_none());
    }
}
