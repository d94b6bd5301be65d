//! Pass counters of the background workers (push deliveries, jobs, reminders):
//! each loop counts the passes it has finished, so a caller can wait for one
//! whole pass that began after its own action, i.e. "everything due at the
//! clock's now has been handled", instead of sleeping and hoping.

use std::sync::Arc;

use tokio::sync::watch;

/// How many passes of one worker have finished; cheap to clone.
#[derive(Clone)]
pub struct Passes(Arc<watch::Sender<u64>>);

impl Default for Passes {
    fn default() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }
}

impl Passes {
    /// One more pass has finished.
    pub fn finished(&self) {
        self.0.send_modify(|n| *n += 1);
    }

    /// Every pass up to `n` has finished (a count never goes back).
    pub fn finished_up_to(&self, n: u64) {
        self.0.send_if_modified(|done| {
            let moved = n > *done;
            if moved {
                *done = n;
            }
            moved
        });
    }

    /// Passes finished so far.
    pub fn count(&self) -> u64 {
        *self.0.borrow()
    }

    /// Waits until `n` passes have finished.
    pub async fn wait_for(&self, n: u64) {
        let mut rx = self.0.subscribe();
        // The sender lives as long as `self`, so this only ends by reaching `n`.
        let _ = rx.wait_for(|done| *done >= n).await;
    }

    /// Waits until a pass that started after this call has finished: the pass
    /// running now (if any) may have begun before, the one after it has not.
    pub async fn full_pass(&self) {
        self.wait_for(self.count() + 2).await;
    }
}
