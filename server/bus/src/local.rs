//! In-process fan-out over a tokio broadcast channel: the single-node bus.

use artel_core::event::Envelope;
use artel_core::ports::bus::{EnvelopeSource, Subscription};
use artel_core::{Bus, BusError};
use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::SUBSCRIBER_BUFFER;

#[derive(Clone)]
pub struct LocalBus {
    tx: broadcast::Sender<Envelope>,
}

impl LocalBus {
    pub fn new() -> Self {
        Self { tx: broadcast::channel(SUBSCRIBER_BUFFER).0 }
    }

    /// A sender into this bus; the Redis bus feeds what it receives through it.
    pub(crate) fn sender(&self) -> broadcast::Sender<Envelope> {
        self.tx.clone()
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
        let _ = self.tx.send(envelope.clone());
        Ok(())
    }

    async fn subscribe(&self) -> Result<Subscription, BusError> {
        Ok(Subscription::new(BroadcastSource(self.tx.subscribe())))
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}

pub(crate) struct BroadcastSource(pub(crate) broadcast::Receiver<Envelope>);

#[async_trait]
impl EnvelopeSource for BroadcastSource {
    async fn next(&mut self) -> Option<Envelope> {
        loop {
            match self.0.recv().await {
                Ok(envelope) => return Some(envelope),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "bus subscriber fell behind; gaps will be repaired");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
