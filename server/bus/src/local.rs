//! In-process fan-out over a tokio broadcast channel: the single-node bus.

use artel_core::event::Envelope;
use artel_core::ports::bus::{Delivery, EnvelopeSource, Subscription};
use artel_core::{Bus, BusError};
use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::SUBSCRIBER_BUFFER;

#[derive(Clone)]
pub struct LocalBus {
    tx: broadcast::Sender<Delivery>,
}

impl LocalBus {
    pub fn new() -> Self {
        Self { tx: broadcast::channel(SUBSCRIBER_BUFFER).0 }
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn publish(&self, envelope: &Envelope) -> Result<(), BusError> {
        // No subscriber is not an error: nobody is listening on this node yet.
        let _ = self.tx.send(Delivery::Envelope(envelope.clone()));
        Ok(())
    }

    async fn subscribe(&self) -> Result<Subscription, BusError> {
        Ok(Subscription::new(BroadcastSource(self.tx.subscribe())))
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}

pub(crate) struct BroadcastSource(pub(crate) broadcast::Receiver<Delivery>);

#[async_trait]
impl EnvelopeSource for BroadcastSource {
    async fn next(&mut self) -> Option<Delivery> {
        match self.0.recv().await {
            Ok(item) => Some(item),
            Err(broadcast::error::RecvError::Lagged(n)) => {
                // The channel skipped the oldest `n`: the reader must repair them.
                tracing::warn!(skipped = n, "bus subscriber fell behind; gaps will be repaired");
                Some(Delivery::Gap)
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}
