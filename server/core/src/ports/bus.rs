//! The `Bus` port: fan-out of events between the nodes of a cluster (and to this
//! node's own sockets). `LocalBus` (one process) and `RedisBus` (pub/sub) in
//! artel-bus implement it.
//!
//! What holds:
//! - A node's own subscribers get what it publishes at once, in publish order,
//!   whatever the state of the backend.
//! - Other nodes get it as soon as the backend carries it: a publisher keeps what
//!   the backend could not take yet (bounded) and sends it, in order, once it can.
//! - Where envelopes may have been lost to a subscriber (it reconnected to the
//!   backend, fell behind, or a peer node dropped what it had queued or went away
//!   with it), the subscriber gets `Delivery::Gap` instead of silence: whoever
//!   builds state from the bus re-reads it from the store. The hub does so for
//!   every chat and board its sockets follow.
//! - Between publishers there is no order: each chat's `seq` puts events back in
//!   order, and a receiver that sees a hole in it reads the missing events from
//!   the store.

use async_trait::async_trait;

use crate::event::Envelope;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus backend: {0}")]
    Backend(String),
}

#[async_trait]
pub trait Bus: Send + Sync {
    /// Publishes to every node, this one included. `Ok` once this node's
    /// subscribers have it and the other nodes will get it (or a `Gap`); an
    /// outage of the backend is not an error.
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

/// What a subscription yields.
// Not boxed: the broadcast buffer holds envelopes by value as before, and a
// box would cost an allocation per envelope for the rare `Gap`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Envelope(Envelope),
    /// Envelopes published since the last item may never arrive here: state
    /// kept from the bus must be re-read from the store.
    Gap,
}

/// The receiving end of a subscription, independent of the backend's channel type.
pub struct Subscription {
    source: Box<dyn EnvelopeSource>,
}

/// What a backend implements to feed a `Subscription`.
#[async_trait]
pub trait EnvelopeSource: Send {
    /// The next item; `None` once the bus is closed for good.
    async fn next(&mut self) -> Option<Delivery>;
}

impl Subscription {
    pub fn new(source: impl EnvelopeSource + 'static) -> Self {
        Self { source: Box::new(source) }
    }

    /// The next envelope or gap; for readers that repair what they missed.
    pub async fn next_item(&mut self) -> Option<Delivery> {
        self.source.next().await
    }

    /// The next envelope, passing over gaps; for readers that can do nothing
    /// about what they missed.
    pub async fn recv(&mut self) -> Option<Envelope> {
        loop {
            match self.source.next().await? {
                Delivery::Envelope(envelope) => return Some(envelope),
                Delivery::Gap => continue,
            }
        }
    }
}
