//! Redis pub/sub between nodes. A publish reaches this node's own subscribers at
//! once, through a local broadcast, and goes to Redis from a queue (`outbox.rs`)
//! that one task drains in order, retrying while Redis is away. A second task
//! keeps a subscriber connection alive (`listener.rs`) and a third watches for
//! nodes leaving the channel (`peers.rs`).
//!
//! Pub/sub is at-most-once: a node that was not subscribed when a message went
//! out never gets it. Wherever that can have happened (this node resubscribed,
//! a peer dropped or took queued envelopes with it) subscribers get a
//! `Delivery::Gap`, and the hub catches its sockets up from the database.

use std::sync::Arc;
use std::time::Duration;

use artel_core::event::Envelope;
use artel_core::ports::bus::{Delivery, Subscription};
use artel_core::{Bus, BusError};
use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::local::BroadcastSource;
use crate::outbox::Outbox;
use crate::SUBSCRIBER_BUFFER;

/// Envelopes waiting for Redis. Past this (a long outage under load) further
/// envelopes reach only this node's subscribers, and the other nodes are told
/// to catch up from the store instead: memory stays bounded.
const OUTBOX_CAPACITY: usize = 16_384;
/// First and longest wait between two attempts to reach Redis. Short: a refused
/// connection costs nothing, and every attempt missed after Redis is back adds
/// to how late other nodes hear of new events.
pub(crate) const RETRY_MIN: Duration = Duration::from_millis(50);
pub(crate) const RETRY_MAX: Duration = Duration::from_millis(400);
/// Longest a connection attempt or a command may take before Redis counts as away.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct RedisBus {
    local: broadcast::Sender<Delivery>,
    outbox: Arc<Outbox>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The nodes the peer watcher counted last (`None` before the first count
    /// or while Redis is away).
    nodes: tokio::sync::watch::Receiver<Option<i64>>,
}

pub(crate) fn backend(e: redis::RedisError) -> BusError {
    BusError::Backend(e.to_string())
}

/// A command connection with bounded waits (a half-open connection fails
/// instead of hanging the task that uses it).
pub(crate) async fn command_connection(client: &redis::Client) -> redis::RedisResult<MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_response_timeout(RESPONSE_TIMEOUT);
    client.get_multiplexed_async_connection_with_config(&config).await
}

/// The next wait after `current` failed.
pub(crate) fn next_retry(current: Duration) -> Duration {
    (current * 2).min(RETRY_MAX)
}

impl RedisBus {
    /// Connects, subscribes to `channel` and returns once the subscription is live,
    /// so nothing published after this returns is missed by this node.
    pub async fn connect(url: &str, channel: &str) -> Result<Self, BusError> {
        let client = redis::Client::open(url).map_err(backend)?;
        let publisher = command_connection(&client).await.map_err(backend)?;
        // Tells this node's messages from the others' on the channel.
        let node = Uuid::now_v7();
        let (local, _) = broadcast::channel(SUBSCRIBER_BUFFER);
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let listener = tokio::spawn(crate::listener::listen(
            client.clone(),
            channel.to_string(),
            node,
            local.clone(),
            ready_tx,
        ));
        match tokio::time::timeout(Duration::from_secs(10), ready_rx).await {
            Ok(Ok(())) => {}
            _ => {
                listener.abort();
                return Err(BusError::Backend("could not subscribe to Redis within 10 s".into()));
            }
        }
        let outbox = Arc::new(Outbox::new(OUTBOX_CAPACITY));
        let drain = tokio::spawn(crate::outbox::drain(
            client.clone(),
            channel.to_string(),
            node,
            outbox.clone(),
            publisher,
        ));
        let (nodes_tx, nodes) = tokio::sync::watch::channel(None);
        let peers = tokio::spawn(crate::peers::watch(client, channel.to_string(), local.clone(), nodes_tx));
        Ok(Self { local, outbox, tasks: vec![listener, drain, peers], nodes })
    }

    /// Waits until the peer watcher has counted `n` nodes on the channel: from
    /// then on, one of them leaving is noticed.
    pub async fn nodes_counted(&self, n: i64) {
        let mut nodes = self.nodes.clone();
        // The sender lives in the watcher task, which runs as long as `self`.
        let _ = nodes.wait_for(|count| *count == Some(n)).await;
    }
}

impl Drop for RedisBus {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[async_trait]
impl Bus for RedisBus {
    async fn publish(&self, envelope: &Envelope) -> Result<(), BusError> {
        self.outbox.push(&self.local, std::slice::from_ref(envelope));
        Ok(())
    }

    async fn publish_all(&self, envelopes: &[Envelope]) -> Result<(), BusError> {
        self.outbox.push(&self.local, envelopes);
        Ok(())
    }

    async fn subscribe(&self) -> Result<Subscription, BusError> {
        Ok(Subscription::new(BroadcastSource(self.local.subscribe())))
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}
