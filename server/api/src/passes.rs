//! Pass counters of the background workers (push deliveries, jobs, reminders):
//! each loop numbers the passes it starts and publishes up to which number all
//! have finished, so a caller can wait for one whole pass that began after its
//! own action, i.e. "everything due at the clock's now has been handled",
//! instead of sleeping and hoping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

/// Started and finished passes of one worker; cheap to clone.
#[derive(Clone)]
pub struct Passes(Arc<Counters>);

struct Counters {
    started: AtomicU64,
    finished: watch::Sender<u64>,
}

impl Default for Passes {
    fn default() -> Self {
        Self(Arc::new(Counters { started: AtomicU64::new(0), finished: watch::channel(0).0 }))
    }
}

impl Passes {
    /// A pass begins (before it reads anything); its number.
    pub fn start(&self) -> u64 {
        self.0.started.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Every pass up to `n` has finished (a count never goes back).
    pub fn finished_up_to(&self, n: u64) {
        self.0.finished.send_if_modified(|done| {
            let moved = n > *done;
            if moved {
                *done = n;
            }
            moved
        });
    }

    /// Waits until every pass up to `n` has finished.
    pub async fn wait_for(&self, n: u64) {
        let mut rx = self.0.finished.subscribe();
        // The sender lives as long as `self`, so this only ends by reaching `n`.
        let _ = rx.wait_for(|done| *done >= n).await;
    }

    /// Waits until a pass that started after this call has finished.
    pub async fn full_pass(&self) {
        self.wait_for(self.0.started.load(Ordering::SeqCst) + 1).await;
    }
}
