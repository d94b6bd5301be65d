//! A fixed set of argon2 memory buffers: every hash or check borrows one, so at
//! most `permits` run at once and argon2 never holds more than permits × memory
//! cost, however many sign-ins arrive. Buffers are allocated once and reused: a
//! buffer freed after each hash would be kept by the allocator's per-thread
//! arenas, and the process would keep the memory of its busiest moment.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::Block;
use artel_core::Error;
use tokio::sync::Semaphore;

/// How long a caller waits for a buffer before being told to retry.
const WAIT: Duration = Duration::from_secs(5);
/// Callers waiting at most: past that one is refused at once, so a flood cannot
/// queue without bound.
const MAX_WAITING: usize = 256;
/// What a refused caller is told to wait, in seconds.
const RETRY_AFTER_SECS: u64 = 1;

pub(crate) struct HashPool {
    permits: Arc<Semaphore>,
    size: u32,
    /// Blocks (KiB) per pooled buffer: the configured memory cost.
    blocks: usize,
    free: Mutex<Vec<Vec<Block>>>,
    waiting: AtomicUsize,
}

/// Counts a waiting caller for as long as it waits, even if it is cancelled.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashPool {
    pub(crate) fn new(size: u32, blocks: usize) -> Self {
        let size = size.max(1);
        Self {
            permits: Arc::new(Semaphore::new(size as usize)),
            size,
            blocks,
            free: Mutex::new(Vec::new()),
            waiting: AtomicUsize::new(0),
        }
    }

    pub(crate) fn size(&self) -> u32 {
        self.size
    }

    /// Runs `f` on the blocking pool with a zeroed buffer of at least `blocks`
    /// blocks. A hash made with a larger memory cost than the pool's (before the
    /// operator lowered it) takes every permit and a buffer of its own, so the
    /// bound still holds while it runs.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, blocks: usize, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut [Block]) -> T + Send + 'static,
    {
        let own = blocks > self.blocks;
        let permit = {
            if self.waiting.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
                self.waiting.fetch_sub(1, Ordering::AcqRel);
                return Err(busy());
            }
            let _waiting = Waiting(&self.waiting);
            let need = if own { self.size } else { 1 };
            match tokio::time::timeout(WAIT, self.permits.clone().acquire_many_owned(need)).await {
                Ok(Ok(permit)) => permit,
                Ok(Err(_)) => return Err(Error::Internal("password hashing pool closed".into())),
                Err(_) => return Err(busy()),
            }
        };
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            // Held by the hashing thread, not the request: a client that goes
            // away does not free the slot while its hash still runs.
            let _permit = permit;
            let mut buffer = if own { vec![Block::default(); blocks] } else { pool.take() };
            let out = f(&mut buffer);
            if !own {
                buffer.fill(Block::default());
                pool.put(buffer);
            }
            out
        })
        .await
        .map_err(|e| Error::Internal(format!("hash task: {e}")))
    }

    fn take(&self) -> Vec<Block> {
        let kept = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        kept.unwrap_or_else(|| vec![Block::default(); self.blocks])
    }

    fn put(&self, buffer: Vec<Block>) {
        self.free.lock().unwrap_or_else(|p| p.into_inner()).push(buffer);
    }
}

fn busy() -> Error {
    Error::RateLimited { retry_after_secs: RETRY_AFTER_SECS }
}
