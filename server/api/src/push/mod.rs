//! Web Push: deciding who gets a push (planner.rs) and delivering from the
//! durable queue (worker.rs). Nothing here runs on the send path: the committer
//! hands committed messages over a channel, and the CRM use cases call
//! `notify` after their commit; both only queue work for the planner task.
//!
//! Focus ("this chat is on screen in one of my clients") is kept in the store
//! with a short expiry, refreshed by the socket's heartbeat: every node of a
//! cluster sees every node's focus, and a node that dies stops suppressing
//! pushes within `FOCUS_TTL`.

pub mod planner;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use artel_core::event::ChatEvent;
use artel_core::ports::push::PushSender;
use artel_core::push::Notification;
use artel_core::{Clock, Store};
use tokio::sync::mpsc;
use uuid::Uuid;

/// A socket's focus row lives this long unless the heartbeat refreshes it.
pub const FOCUS_TTL: chrono::Duration = chrono::Duration::seconds(60);

/// What the planner is asked to do.
pub enum Plan {
    /// Messages just committed (any chat).
    Messages(Vec<ChatEvent>),
    /// A CRM notification for one user (task assigned, reminder, deal assigned).
    Notify(Box<Notification>),
    /// Answered once every plan sent before it has been queued.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Push settings, from the configuration.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// One push per chat and device per this window; later ones wait and carry a count.
    pub collapse: chrono::Duration,
    /// How long one delivery may take.
    pub timeout: Duration,
}

/// Per-node push state, shared by handlers.
pub struct Push {
    pub sender: Arc<dyn PushSender>,
    pub settings: PushSettings,
    pub node_id: Uuid,
    /// Finished passes of the delivery worker, each counted once every
    /// delivery it claimed has its outcome recorded.
    pub passes: crate::passes::Passes,
    plans: mpsc::UnboundedSender<Plan>,
    /// The planner wakes the worker when it queued something due now.
    wake: Arc<tokio::sync::Notify>,
}

impl Push {
    /// Starts the planner and the delivery worker.
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        sender: Arc<dyn PushSender>,
        settings: PushSettings,
    ) -> Arc<Self> {
        let (plans, rx) = mpsc::unbounded_channel();
        let wake = Arc::new(tokio::sync::Notify::new());
        let push = Arc::new(Self {
            sender,
            settings,
            node_id: Uuid::now_v7(),
            passes: crate::passes::Passes::default(),
            plans,
            wake: wake.clone(),
        });
        tokio::spawn(planner::run(store.clone(), clock.clone(), push.settings.clone(), rx, wake));
        tokio::spawn(worker::run(store, clock, push.clone()));
        push
    }

    /// The channel the committer feeds committed messages into.
    pub fn message_tap(&self) -> MessageTap {
        MessageTap(self.plans.clone())
    }

    pub(crate) fn woken(&self) -> tokio::sync::futures::Notified<'_> {
        self.wake.notified()
    }

    /// Resolves once everything handed over before this call has been planned
    /// and a whole delivery pass that began after that has finished: what was
    /// due at the clock's now went out (or has its retry recorded).
    pub async fn drained(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.plans.send(Plan::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
        self.passes.full_pass().await;
    }

    /// Queues a CRM notification; never waits.
    pub fn notify(&self, notification: Notification) {
        let _ = self.plans.send(Plan::Notify(Box::new(notification)));
    }
}

/// Where the committer drops committed messages (cheap to clone, never blocks).
#[derive(Clone)]
pub struct MessageTap(mpsc::UnboundedSender<Plan>);

impl MessageTap {
    pub fn committed(&self, events: &[ChatEvent]) {
        let messages: Vec<ChatEvent> = events
            .iter()
            .filter(|e| matches!(e.change, artel_core::event::ChatChange::MessageCreated { .. }))
            .cloned()
            .collect();
        if !messages.is_empty() {
            let _ = self.0.send(Plan::Messages(messages));
        }
    }

    /// A tap that goes nowhere.
    pub fn none() -> Self {
        let (tx, _) = mpsc::unbounded_channel();
        Self(tx)
    }
}
