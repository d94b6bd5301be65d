//! Group commit. Sends from every connection and request go through one queue;
//! a single task commits whatever has gathered as one transaction, then answers
//! each sender. An ack therefore always means "committed", while the number of
//! commits (and fsyncs) per second stays far below the number of messages.
//!
//! Committed events go to a second task that publishes them on the bus in commit
//! order, so a slow bus never delays commits or acks.

use std::sync::Arc;

use artel_core::event::{BoardEvent, ChatEvent, Envelope};
use artel_core::message::{Appended, NewMessage};
use artel_core::{Bus, Error, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Most messages committed in one transaction.
const MAX_BATCH: usize = 256;
/// Sends waiting for a commit; senders wait (back-pressure) when it is full.
const QUEUE: usize = 8192;

struct Job {
    message: NewMessage,
    reply: oneshot::Sender<Result<Appended, Error>>,
}

/// The outcome of a queued send, delivered after its commit.
pub type Pending = oneshot::Receiver<Result<Appended, Error>>;

#[derive(Clone)]
pub struct Committer {
    jobs: mpsc::Sender<Job>,
    events: mpsc::UnboundedSender<Vec<Envelope>>,
}

impl Committer {
    /// `push` hears of every committed message (it only queues work for the push
    /// planner, so it never slows commits or publishing).
    pub fn start(store: Arc<dyn Store>, bus: Arc<dyn Bus>, push: crate::push::MessageTap) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let (events, events_rx) = mpsc::unbounded_channel();
        tokio::spawn(publish_loop(bus, events_rx, push));
        tokio::spawn(commit_loop(store, rx, events.clone()));
        Self { jobs, events }
    }

    /// Appends one message; resolves once it is committed.
    pub async fn append(&self, message: NewMessage) -> Result<Appended, Error> {
        Self::outcome(self.enqueue(message).await?).await
    }

    /// Queues a message and returns at once with the receiver of its outcome.
    /// Messages are committed in the order they were queued, so a connection that
    /// queues its sends one after another keeps its order without waiting for
    /// each commit.
    pub async fn enqueue(&self, message: NewMessage) -> Result<Pending, Error> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { message, reply })
            .await
            .map_err(|_| Error::Internal("committer stopped".into()))?;
        Ok(answer)
    }

    /// Waits for a queued message's commit.
    pub async fn outcome(pending: Pending) -> Result<Appended, Error> {
        pending.await.map_err(|_| Error::Internal("committer dropped a send".into()))?
    }

    /// Publishes events committed elsewhere (edits, reactions, membership), in
    /// the same ordered stream as messages.
    pub fn publish(&self, events: Vec<ChatEvent>) {
        if !events.is_empty() {
            let _ = self.events.send(events.into_iter().map(Envelope::chat).collect());
        }
    }

    /// Publishes a board event in the same ordered stream.
    pub fn publish_board(&self, event: BoardEvent) {
        let _ = self.events.send(vec![Envelope::board(event)]);
    }
}

async fn commit_loop(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Job>,
    events: mpsc::UnboundedSender<Vec<Envelope>>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let messages: Vec<NewMessage> = batch.iter().map(|j| j.message.clone()).collect();
        match store.append_messages(&messages).await {
            Ok(results) => {
                let committed: Vec<ChatEvent> = results.iter().filter_map(|a| a.event.clone()).collect();
                let _ = events.send(committed.into_iter().map(Envelope::chat).collect());
                for (job, result) in batch.drain(..).zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
            }
            Err(StoreError::Conflict(_) | StoreError::Invalid { .. } | StoreError::NotFound(_)) => {
                // Another node inserted one of these client_msg_ids meanwhile, or one
                // message broke a rule only the commit can check (e.g. its attachment
                // was sent by a concurrent request): the whole transaction rolled
                // back. Commit one by one instead, so only that message fails.
                for job in batch.drain(..) {
                    let result = append_one(&store, &job.message).await;
                    if let Ok(Appended { event: Some(e), .. }) = &result {
                        let _ = events.send(vec![Envelope::chat(e.clone())]);
                    }
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = batch.len(), "group commit failed");
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(Error::Internal("could not store the message".into())));
                }
            }
        }
    }
}

async fn append_one(store: &Arc<dyn Store>, message: &NewMessage) -> Result<Appended, Error> {
    match store.append_messages(std::slice::from_ref(message)).await {
        Ok(mut results) => results.pop().ok_or_else(|| Error::Internal("empty append result".into())),
        Err(StoreError::Conflict(_)) => {
            let (Some(author), Some(key)) = (message.author_id, message.client_msg_id.as_deref()) else {
                return Err(Error::Internal("append conflict without idempotency key".into()));
            };
            let existing = store.find_by_client_msg_id(message.workspace_id, author, key).await?;
            existing
                .map(|message| Appended { message, event: None })
                .ok_or_else(|| Error::Internal("append conflict but no existing message".into()))
        }
        Err(e) => Err(e.into()),
    }
}

async fn publish_loop(
    bus: Arc<dyn Bus>,
    mut rx: mpsc::UnboundedReceiver<Vec<Envelope>>,
    push: crate::push::MessageTap,
) {
    while let Some(events) = rx.recv().await {
        let committed: Vec<ChatEvent> = events
            .iter()
            .filter_map(|e| match &e.payload {
                artel_core::event::Payload::Chat { event } => Some(event.clone()),
                _ => None,
            })
            .collect();
        push.committed(&committed);
        for event in events {
            if let Err(e) = bus.publish(&event).await {
                // Receivers notice the gap with the next event and read it from the store.
                tracing::warn!(error = %e, "publishing a chat event failed");
            }
        }
    }
}
