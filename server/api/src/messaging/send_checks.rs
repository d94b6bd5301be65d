//! Reads the checks of concurrent sends together.
//!
//! Before a send is queued for the group commit it is checked against its chat,
//! the author's membership and an earlier message with its idempotency key
//! (`MessageStore::send_context`). Read one by one, that is a hand-off to a SQLite
//! reader thread (a Postgres round trip) per message. Here one task gathers the
//! checks: while `IN_FLIGHT` reads run (`IN_FLIGHT_POSTGRES` on Postgres), new
//! checks wait and go together in the next read (`send_contexts`), so under load
//! a read carries many sends, while a lone send is read at once.

use std::sync::Arc;

use artel_core::message::{SendContext, SendContextRequest};
use artel_core::{Error, Store};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Reads running at once on SQLite, whose reads run on reader threads beside
/// each other. With more, fewer checks wait and go together.
const IN_FLIGHT: usize = 2;
/// Reads running at once on Postgres. There a read's cost is mostly fixed (a
/// round trip, a wake-up and an executor start-up, then sqlx's ping), so checks
/// that wait for the one running read and go together in the next one cost
/// Postgres less: on two nodes at 3,500 messages/s, 2,300 – 2,400 transactions/s
/// instead of 3,000 – 3,100, and a lower p99 (BENCHMARKS.md, section 2).
const IN_FLIGHT_POSTGRES: usize = 1;
/// Most checks in one read.
const MAX_CHECKS: usize = 128;
/// Checks waiting for a read; senders wait (back-pressure) when it is full.
const QUEUE: usize = 4096;

struct Check {
    request: SendContextRequest,
    reply: oneshot::Sender<Result<SendContext, Error>>,
}

#[derive(Clone)]
pub struct SendChecks {
    checks: mpsc::Sender<Check>,
}

impl SendChecks {
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (checks, rx) = mpsc::channel(QUEUE);
        let in_flight = if store.engine() == "postgres" { IN_FLIGHT_POSTGRES } else { IN_FLIGHT };
        tokio::spawn(gather(store, rx, in_flight));
        Self { checks }
    }

    /// The send's context, read along with whatever other sends are checked now.
    pub async fn context(&self, request: SendContextRequest) -> Result<SendContext, Error> {
        let (reply, answer) = oneshot::channel();
        self.checks
            .send(Check { request, reply })
            .await
            .map_err(|_| Error::Internal("send checks stopped".into()))?;
        answer.await.map_err(|_| Error::Internal("a send check was dropped".into()))?
    }
}

async fn gather(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Check>, in_flight: usize) {
    let slots = Arc::new(Semaphore::new(in_flight));
    while let Some(first) = rx.recv().await {
        // Waiting for a free slot is when later checks gather behind this one.
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let mut checks = vec![first];
        while checks.len() < MAX_CHECKS {
            match rx.try_recv() {
                Ok(check) => checks.push(check),
                Err(_) => break,
            }
        }
        let store = store.clone();
        tokio::spawn(async move {
            let _slot = slot;
            read(&store, checks).await;
        });
    }
}

async fn read(store: &Arc<dyn Store>, checks: Vec<Check>) {
    let requests: Vec<SendContextRequest> = checks.iter().map(|c| c.request.clone()).collect();
    match store.send_contexts(&requests).await {
        Ok(contexts) if contexts.len() == checks.len() => {
            for (check, context) in checks.into_iter().zip(contexts) {
                let _ = check.reply.send(Ok(context));
            }
        }
        other => {
            if let Err(e) = other {
                tracing::warn!(error = %e, count = checks.len(), "reading send checks together failed");
            }
            // Each send gets its own answer (and its own error).
            for check in checks {
                let r = &check.request;
                let context = store
                    .send_context(r.workspace, r.chat, r.author, r.client_msg_id.as_deref())
                    .await
                    .map_err(Error::from);
                let _ = check.reply.send(context);
            }
        }
    }
}
