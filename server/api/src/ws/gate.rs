//! Polling a socket's quiet sources only when they have something. The serving
//! loop wakes once per batch of queued events, and every pass of its `select!`
//! re-polled the socket's read half and its heartbeat timer: locks, waker swaps
//! and a timer check, per delivery, for sources that fire a few times a minute
//! (docs/benchmarks/fanout-profile.md).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// Remembers whether its source woke since the source last returned `Pending`.
/// The source is polled with the gate's own waker, which it keeps across the
/// serving loop's passes; the task's waker is only swapped into the gate.
pub struct Gate {
    signal: Arc<Signal>,
    waker: Waker,
}

struct Signal {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl Gate {
    /// A gate for a source that must be polled once before it can wake anyone.
    pub fn open() -> Self {
        let signal = Arc::new(Signal { woken: AtomicBool::new(true), task: AtomicWaker::new() });
        let waker = Waker::from(signal.clone());
        Self { signal, waker }
    }

    /// Polls the source with `poll` if it woke since its last `Pending`, and
    /// again after it was ready (it may have more at once); `Pending` otherwise.
    pub fn poll<T>(&self, cx: &mut Context<'_>, poll: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
        // Registered before the check: a wake in between finds this task's waker.
        self.signal.task.register(cx.waker());
        if !self.signal.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let out = poll(&mut Context::from_waker(&self.waker));
        if out.is_ready() {
            self.signal.woken.store(true, Ordering::Release);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Gate;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Waker};

    #[test]
    fn a_source_is_polled_first_then_only_after_it_woke_or_was_ready() {
        let gate = Gate::open();
        let mut cx = Context::from_waker(Waker::noop());
        let polls = AtomicUsize::new(0);
        let pending = |_: &mut Context<'_>| {
            polls.fetch_add(1, Ordering::Relaxed);
            Poll::<()>::Pending
        };
        assert!(gate.poll(&mut cx, pending).is_pending());
        assert!(gate.poll(&mut cx, pending).is_pending());
        assert_eq!(polls.load(Ordering::Relaxed), 1, "not polled again until woken");
        gate.waker.wake_by_ref();
        assert!(gate.poll(&mut cx, |_| Poll::Ready(7)) == Poll::Ready(7));
        assert!(gate.poll(&mut cx, pending).is_pending(), "polled again after a ready");
        assert_eq!(polls.load(Ordering::Relaxed), 2);
    }
}
