//! Redis pub/sub between nodes. Publishing goes through a `ConnectionManager`
//! (reconnects by itself); one background task per node keeps a subscriber
//! connection alive — reconnecting with backoff after Redis restarts — and feeds
//! what arrives into a local broadcast for this node's subscribers.
//!
//! Pub/sub is at-most-once: whatever is published while a node is disconnected is
//! lost to it, and the hub's gap detection restores it from the database.

use std::time::Duration;

use artel_core::event::Envelope;
use artel_core::ports::bus::Subscription;
use artel_core::{Bus, BusError};
use async_trait::async_trait;
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use redis::AsyncCommands;
use tokio::sync::broadcast;

use crate::local::BroadcastSource;
use crate::LocalBus;

/// Most envelopes carried by one Redis message (`publish_all`): a group commit
/// of a busy node fits in a few, and no message grows past a few hundred KB.
const MAX_PER_MESSAGE: usize = 256;

pub struct RedisBus {
    channel: String,
    publisher: ConnectionManager,
    local: LocalBus,
    listener: tokio::task::JoinHandle<()>,
}

fn backend(e: redis::RedisError) -> BusError {
    BusError::Backend(e.to_string())
}

impl RedisBus {
    /// Connects, subscribes to `channel` and returns once the subscription is live,
    /// so nothing published after this returns is missed by this node.
    pub async fn connect(url: &str, channel: &str) -> Result<Self, BusError> {
        let client = redis::Client::open(url).map_err(backend)?;
        let publisher = ConnectionManager::new(client.clone()).await.map_err(backend)?;
        let local = LocalBus::new();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let listener = tokio::spawn(listen(client, channel.to_string(), local.sender(), Some(ready_tx)));
        match tokio::time::timeout(Duration::from_secs(10), ready_rx).await {
            Ok(Ok(())) => {}
            _ => {
                listener.abort();
                return Err(BusError::Backend("could not subscribe to Redis within 10 s".into()));
            }
        }
        Ok(Self { channel: channel.to_string(), publisher, local, listener })
    }

    /// Publishes several envelopes as one Redis message (a JSON array).
    async fn publish_chunk(&self, chunk: &[Envelope]) -> Result<(), BusError> {
        let payload = serde_json::to_string(chunk).map_err(|e| BusError::Backend(e.to_string()))?;
        let mut conn = self.publisher.clone();
        let _receivers: i64 = conn.publish(&self.channel, payload).await.map_err(backend)?;
        Ok(())
    }
}

impl Drop for RedisBus {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

#[async_trait]
impl Bus for RedisBus {
    async fn publish(&self, envelope: &Envelope) -> Result<(), BusError> {
        let payload = serde_json::to_string(envelope).map_err(|e| BusError::Backend(e.to_string()))?;
        let mut conn = self.publisher.clone();
        let _receivers: i64 = conn.publish(&self.channel, payload).await.map_err(backend)?;
        Ok(())
    }

    async fn publish_all(&self, envelopes: &[Envelope]) -> Result<(), BusError> {
        // Every chunk is tried even after one fails: a chunk that does go out
        // reaches its receivers now, and only the failed ones wait for gap
        // detection. The first failure is what the caller hears about.
        let mut first_error = None;
        for chunk in envelopes.chunks(MAX_PER_MESSAGE) {
            let sent = match chunk {
                [one] => self.publish(one).await,
                _ => self.publish_chunk(chunk).await,
            };
            if let Err(e) = sent {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn subscribe(&self) -> Result<Subscription, BusError> {
        Ok(Subscription::new(BroadcastSource(self.local.sender().subscribe())))
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

/// Keeps one pub/sub connection alive for the node's lifetime.
async fn listen(
    client: redis::Client,
    channel: String,
    out: broadcast::Sender<Envelope>,
    mut ready: Option<tokio::sync::oneshot::Sender<()>>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(());
                    } else {
                        tracing::info!("redis bus resubscribed");
                    }
                    backoff = Duration::from_millis(100);
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else { continue };
                        match decode(&payload) {
                            Ok(envelopes) => {
                                for envelope in envelopes {
                                    let _ = out.send(envelope);
                                }
                            }
                            Err(e) => tracing::warn!(error = %e, "ignoring malformed bus message"),
                        }
                    }
                    tracing::warn!("redis bus subscription ended; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "redis subscribe failed"),
            },
            Err(e) => tracing::warn!(error = %e, "redis bus connection failed"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// A message holds one envelope (`publish`) or an array of them in order
/// (`publish_all`).
fn decode(payload: &str) -> Result<Vec<Envelope>, serde_json::Error> {
    if payload.trim_start().starts_with('[') {
        serde_json::from_str(payload)
    } else {
        serde_json::from_str(payload).map(|one| vec![one])
    }
}
