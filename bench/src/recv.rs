//! The receiving half shared by the `load` and `sends` modes: the run's clock
//! and counters, one reader per socket (acks, deliveries, errors), and the drain
//! that waits for what is still owed. Latency comes from the time embedded in
//! each message id, so readers need no shared table of send times.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::stream::SplitStream;
use futures_util::StreamExt;
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::frames::{classify, Frame};
use crate::stats::{ErrorCounts, Latency};
use crate::ws::Ws;

/// The run's clock and the counters every socket task adds to.
pub struct Shared {
    pub origin: Instant,
    /// Messages scheduled (or sent) in [from_us, to_us) are measured.
    pub from_us: u64,
    pub to_us: u64,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub refused: AtomicU64,
    /// Σ room size over acked measured messages: the deliveries owed.
    pub expected: AtomicU64,
    /// Distinct (message, receiver) deliveries of measured messages.
    pub delivered: AtomicU64,
}

impl Shared {
    pub fn new(origin: Instant, from: Duration, to: Duration) -> Self {
        Self {
            origin,
            from_us: from.as_micros() as u64,
            to_us: to.as_micros() as u64,
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            expected: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
        }
    }

    pub fn now_us(&self) -> u64 {
        Instant::now().saturating_duration_since(self.origin).as_micros() as u64
    }

    pub fn measured(&self, at_us: u64) -> bool {
        (self.from_us..self.to_us).contains(&at_us)
    }

    pub fn window_secs(&self) -> f64 {
        (self.to_us - self.from_us) as f64 / 1e6
    }
}

/// What one socket's reader saw.
#[derive(Default)]
pub struct ReaderReport {
    pub ack: Latency,
    pub delivery: Latency,
    /// Acks and deliveries *received* inside the measured window (throughput).
    pub acks_in_window: u64,
    pub deliveries_in_window: u64,
    pub duplicates: u64,
    pub errors: ErrorCounts,
    /// Why the socket ended before the run did, if it did.
    pub closed: Option<String>,
}

/// Reads acks and deliveries until told to stop, recording latency from the
/// time embedded in each message id.
pub async fn read(
    shared: Arc<Shared>,
    mut stream: SplitStream<Ws>,
    room_size: u64,
    window: Option<Arc<Semaphore>>,
    mut stop: watch::Receiver<bool>,
) -> ReaderReport {
    // Closed-loop senders wait on `window`; every answer to a send frees a slot.
    let answered = || {
        if let Some(w) = &window {
            w.add_permits(1);
        }
    };
    let mut r = ReaderReport::default();
    // (sender, k) of every bench message this socket received: duplicates show here.
    let mut seen: HashSet<u64> = HashSet::new();
    loop {
        let msg = tokio::select! {
            biased;
            _ = stop.changed() => break,
            msg = stream.next() => msg,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(f))) => {
                r.closed = Some(format!("closed by server: {f:?}"));
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                r.closed = Some(format!("socket error: {e}"));
                break;
            }
            None => {
                r.closed = Some("socket ended".into());
                break;
            }
        };
        let now = shared.now_us();
        let in_window = shared.measured(now);
        match classify(&text) {
            Frame::Ack(id) => {
                answered();
                r.acks_in_window += u64::from(in_window);
                if shared.measured(id.at_us) {
                    r.ack.record(now.saturating_sub(id.at_us));
                    shared.acked.fetch_add(1, Relaxed);
                    shared.expected.fetch_add(room_size, Relaxed);
                }
            }
            Frame::Delivery(id) => {
                r.deliveries_in_window += u64::from(in_window);
                let first = seen.insert(id.key());
                if shared.measured(id.at_us) {
                    if first {
                        r.delivery.record(now.saturating_sub(id.at_us));
                        shared.delivered.fetch_add(1, Relaxed);
                    } else {
                        r.duplicates += 1;
                    }
                }
            }
            Frame::Error { code, msg_id } => {
                r.errors.add(code);
                if msg_id.is_some() {
                    answered();
                }
                if msg_id.is_some_and(|id| shared.measured(id.at_us)) {
                    shared.refused.fetch_add(1, Relaxed);
                }
            }
            Frame::Other => {}
        }
    }
    r
}

/// Merges the readers' reports; also returns why sockets ended early.
pub async fn gather(
    readers: Vec<tokio::task::JoinHandle<ReaderReport>>,
) -> Result<(ReaderReport, Vec<String>)> {
    let mut total = ReaderReport::default();
    let mut closed = Vec::new();
    for r in readers {
        let r = r.await?;
        total.ack.merge(&r.ack);
        total.delivery.merge(&r.delivery);
        total.acks_in_window += r.acks_in_window;
        total.deliveries_in_window += r.deliveries_in_window;
        total.duplicates += r.duplicates;
        total.errors.merge(&r.errors);
        closed.extend(r.closed);
    }
    Ok((total, closed))
}

/// Waits until every measured send is answered and every owed delivery has
/// arrived, or the drain time is up (then the rest counts as lost).
pub async fn drain(shared: &Shared, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let answered = shared.acked.load(Relaxed) + shared.refused.load(Relaxed);
        if answered >= shared.sent.load(Relaxed)
            && shared.delivered.load(Relaxed) >= shared.expected.load(Relaxed)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
