//! The `Bus` port: fan-out of events between the nodes of a cluster (and to this
//! node's own sockets). `LocalBus` (one process) and `RedisBus` (pub/sub) in
//! artel-bus implement it.
//!
//! Delivery is at-most-once and may reorder between publishers: a lost or late
//! envelope is healed by the receiver, which notices the gap in a chat's `seq`
//! and reads the missing events from the store.

use async_trait::async_trait;

use crate::event::Envelope;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus backend: {0}")]
    Backend(String),
}

#[async_trait]
pub trait Bus: Send + Sync {
    /// Publishes to every node, this one included.
    async fn publish(&self, envelope: &Envelope) -> Result<(), BusError>;
    /// Publishes several envelopes, in order, as one unit where the backend can:
    /// Redis carries them in one message, so a node publishes a whole group
    /// commit in one round trip instead of one per event.
    async fn publish_all(&self, envelopes: &[Envelope]) -> Result<(), BusError> {
        for envelope in envelopes {
            self.publish(envelope).await?;
        }
        Ok(())
    }
    /// A new subscription to everything published from now on.
    async fn subscribe(&self) -> Result<Subscription, BusError>;
    /// "local" or "redis", for logs and health output.
    fn kind(&self) -> &'static str;
}

/// The receiving end of a subscription, independent of the backend's channel type.
pub struct Subscription {
    source: Box<dyn EnvelopeSource>,
}

/// What a backend implements to feed a `Subscription`.
#[async_trait]
pub trait EnvelopeSource: Send {
    /// The next envelope; `None` once the bus is closed for good. A backend that
    /// drops envelopes because this subscriber fell behind just skips them: the
    /// receiver repairs the gap from the store.
    async fn next(&mut self) -> Option<Envelope>;
}

impl Subscription {
    pub fn new(source: impl EnvelopeSource + 'static) -> Self {
        Self { source: Box::new(source) }
    }

    pub async fn recv(&mut self) -> Option<Envelope> {
        self.source.next().await
    }
}
