//! Group commit. Sends from every connection and request go through one queue;
//! a single task commits whatever has gathered as one transaction, then answers
//! each sender. An ack therefore always means "committed", while the number of
//! commits (and fsyncs) per second stays far below the number of messages.
//!
//! On Postgres up to `PIPELINE` batches of disjoint chats commit at once, which
//! hides the round trips of one transaction behind the others, but only when
//! enough sends wait (`OVERLAP_MIN`): otherwise they gather behind the running
//! transaction. Small overlapping batches cost Postgres a transaction each, and
//! between two nodes writing the same chats they queue on each other's row locks
//! (BENCHMARKS.md, two nodes).
//!
//! Committed events go to a second task that publishes them on the bus in commit
//! order, so a slow bus never delays commits or acks, and none is dropped.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use artel_core::chat::ChatId;
use artel_core::event::{BoardEvent, ChatEvent, Envelope};
use artel_core::message::{Appended, NewMessage};
use artel_core::{Bus, Error, Store, StoreError};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::passes::Passes;

/// Most messages committed in one transaction. A batch's cost is mostly fixed
/// (a hand-off per statement to the database, each waiting for this task to be
/// polled again among busy sockets), so under load bigger batches carry more.
const MAX_BATCH: usize = 1024;
/// Sends waiting for a commit; senders wait (back-pressure) when it is full.
const QUEUE: usize = 8192;
/// Sends that must be waiting before a batch starts while another still runs.
const OVERLAP_MIN: usize = 16;
/// Most events the publisher sends to the bus in one call.
const MAX_PUBLISH: usize = 1024;
/// Most transactions in flight at once (Postgres), each on its own connection.
const PIPELINE: usize = 4;
/// First and longest wait before publishing again after the bus refused.
const PUBLISH_RETRY_MIN: std::time::Duration = std::time::Duration::from_millis(50);
const PUBLISH_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(1);

struct Job {
    message: NewMessage,
    reply: oneshot::Sender<Result<Appended, Error>>,
}

/// The outcome of a queued send, delivered after its commit.
pub type Pending = oneshot::Receiver<Result<Appended, Error>>;

#[derive(Clone)]
pub struct Committer {
    jobs: mpsc::Sender<Job>,
    /// Committed events on their way to the publisher; an empty batch is a
    /// flush marker (`flushed`), so nothing else sends one.
    events: mpsc::UnboundedSender<Vec<Envelope>>,
    /// Flush markers handed out, and those the publisher has passed.
    markers: Arc<AtomicU64>,
    published: Passes,
}

impl Committer {
    /// `push` hears of every committed message (it only queues work for the push
    /// planner, so it never slows commits or publishing).
    pub fn start(store: Arc<dyn Store>, bus: Arc<dyn Bus>, push: crate::push::MessageTap) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let (events, events_rx) = mpsc::unbounded_channel();
        let published = Passes::default();
        tokio::spawn(publish_loop(bus, events_rx, push, published.clone()));
        // Postgres spends most of a batch waiting on round trips, so batches of
        // different chats overlap there; SQLite has one writer connection, where a
        // second batch would only queue for it.
        let pipeline = if store.engine() == "postgres" { PIPELINE } else { 1 };
        tokio::spawn(commit_loop(store, rx, events.clone(), pipeline));
        Self { jobs, events, markers: Arc::default(), published }
    }

    /// Resolves once every event committed before this call has been handed to
    /// the push planner and published on the bus.
    pub async fn flushed(&self) {
        // The k-th marker to pass was sent after the k-th ticket was taken, so
        // once k markers passed, so did everything sent before ticket k.
        let ticket = self.markers.fetch_add(1, Ordering::SeqCst) + 1;
        if self.events.send(Vec::new()).is_ok() {
            self.published.wait_for(ticket).await;
        }
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

/// Receives sends and starts batches: up to `pipeline` transactions at once, no
/// two of them touching the same chat. A send whose chat is in a running batch
/// waits (with every later send to that chat behind it), so each chat's messages
/// still commit, and take their seqs, in the order they were queued.
async fn commit_loop(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Job>,
    events: mpsc::UnboundedSender<Vec<Envelope>>,
    pipeline: usize,
) {
    let mut running: JoinSet<()> = JoinSet::new();
    let mut chats_of: HashMap<tokio::task::Id, Vec<ChatId>> = HashMap::new();
    let mut busy: HashSet<ChatId> = HashSet::new();
    let mut waiting: VecDeque<Job> = VecDeque::new();
    let mut open = true;
    loop {
        while running.len() < pipeline {
            // A second transaction is worth its cost only with enough to carry:
            // a few sends wait for the running one instead and go in one bigger
            // batch (fewer transactions, and fewer row-lock waits between nodes).
            if !running.is_empty() && waiting.len() < OVERLAP_MIN {
                break;
            }
            let batch = next_batch(&mut waiting, &busy);
            if batch.is_empty() {
                break;
            }
            let mut chats: Vec<ChatId> = batch.iter().map(|j| j.message.chat_id).collect();
            chats.sort_unstable();
            chats.dedup();
            busy.extend(chats.iter().copied());
            let task = running.spawn(commit_batch(store.clone(), batch, events.clone()));
            chats_of.insert(task.id(), chats);
        }
        if !open && running.is_empty() && waiting.is_empty() {
            return;
        }
        tokio::select! {
            Some(done) = running.join_next_with_id(), if !running.is_empty() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => {
                        tracing::error!(error = %e, "a group commit task failed");
                        e.id()
                    }
                };
                for chat in chats_of.remove(&id).unwrap_or_default() {
                    busy.remove(&chat);
                }
            }
            job = rx.recv(), if open && waiting.len() < QUEUE => match job {
                Some(job) => {
                    waiting.push_back(job);
                    while waiting.len() < QUEUE {
                        match rx.try_recv() {
                            Ok(job) => waiting.push_back(job),
                            Err(_) => break,
                        }
                    }
                }
                None => open = false,
            },
        }
    }
}

/// Takes up to `MAX_BATCH` waiting sends, in queue order, whose chats are not in
/// a running batch; a send left waiting holds back later sends to its chat.
fn next_batch(waiting: &mut VecDeque<Job>, busy: &HashSet<ChatId>) -> Vec<Job> {
    let mut batch = Vec::new();
    let mut held = VecDeque::new();
    while let Some(job) = waiting.pop_front() {
        if batch.len() < MAX_BATCH && !busy.contains(&job.message.chat_id) {
            batch.push(job);
        } else {
            held.push_back(job);
        }
    }
    *waiting = held;
    batch
}

/// Commits one batch as one transaction and answers its senders; the events go
/// to the publisher before the batch's chats are released for the next batch.
///
/// No message fails another: when the transaction fails for any reason but a
/// lost database, the batch is halved and each half committed again, in queue
/// order, until the messages at fault stand alone and get their own error. One
/// bad message in a batch of n costs about 2·log2(n) transactions, not n.
async fn commit_batch(store: Arc<dyn Store>, batch: Vec<Job>, events: mpsc::UnboundedSender<Vec<Envelope>>) {
    let size = batch.len();
    let started = std::time::Instant::now();
    let mut parts: VecDeque<Vec<Job>> = VecDeque::from([batch]);
    let mut lost = false;
    while let Some(mut part) = parts.pop_front() {
        let messages: Vec<NewMessage> = part.iter().map(|j| j.message.clone()).collect();
        match append_retrying(&store, &messages, &mut lost).await {
            Ok(results) => {
                let committed: Vec<Envelope> =
                    results.iter().filter_map(|a| event_to_publish(a, lost)).map(Envelope::chat).collect();
                // An empty send is a flush marker (see `flushed`): only real events go.
                if !committed.is_empty() {
                    let _ = events.send(committed);
                }
                for (job, result) in part.drain(..).zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
            }
            Err(StoreError::Unavailable(e)) => {
                // Lost twice in a row: the database is away, not one connection.
                // Every send still waiting here gets a retryable answer.
                tracing::error!(error = %e, size, "group commit: database unavailable");
                for job in part.drain(..).chain(parts.drain(..).flatten()) {
                    let _ = job.reply.send(Err(Error::Unavailable("could not store the message".into())));
                }
            }
            Err(e) if part.len() == 1 => {
                let result = settle_alone(&store, &part[0].message, e).await;
                if let Some(event) = result.as_ref().ok().and_then(|a| event_to_publish(a, lost)) {
                    let _ = events.send(vec![Envelope::chat(event)]);
                }
                if let Some(job) = part.pop() {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                // Another node (or a concurrent batch) took one of these keys,
                // one message broke a rule only the commit can check (its
                // attachment sent meanwhile, its author removed from the chat),
                // or the database refused one message: the transaction rolled back.
                tracing::debug!(error = %e, size = part.len(), "group commit failed: batch halved");
                let second = part.split_off(part.len() / 2);
                parts.push_front(second);
                parts.push_front(part);
            }
        }
    }
    tracing::debug!(size, ms = started.elapsed().as_secs_f64() * 1e3, "group commit");
}

/// One attempt, and a second when the first lost its connection. The second is
/// safe even if the first did commit: each message's id is fixed before it is
/// queued and a send carries its `client_msg_id`, so the store answers those
/// with the messages already written (or `Conflict`), never a copy.
async fn append_retrying(
    store: &Arc<dyn Store>,
    messages: &[NewMessage],
    lost: &mut bool,
) -> Result<Vec<Appended>, StoreError> {
    match store.append_messages(messages).await {
        Err(StoreError::Unavailable(e)) => {
            tracing::warn!(error = %e, size = messages.len(), "group commit lost its connection: trying again");
            *lost = true;
            store.append_messages(messages).await
        }
        other => other,
    }
}

/// The event a result goes out with. After a lost connection, a message the
/// lost attempt committed comes back as already written, without its event,
/// which nobody published: it goes out now (receivers drop what they saw).
fn event_to_publish(appended: &Appended, lost: bool) -> Option<ChatEvent> {
    match &appended.event {
        Some(e) => Some(e.clone()),
        None if lost => Some(ChatEvent {
            workspace_id: appended.message.workspace_id,
            chat_id: appended.message.chat_id,
            seq: appended.message.seq,
            created_at: appended.message.created_at,
            change: artel_core::event::ChatChange::MessageCreated { message: appended.message.clone() },
        }),
        None => None,
    }
}

/// The answer for a message that failed on its own: the message already
/// written under its key or id (a retry, another node), else its own error.
async fn settle_alone(
    store: &Arc<dyn Store>,
    message: &NewMessage,
    error: StoreError,
) -> Result<Appended, Error> {
    match error {
        StoreError::Conflict(_) => {
            let existing = match (message.author_id, message.client_msg_id.as_deref()) {
                (Some(author), Some(key)) => {
                    store.find_by_client_msg_id(message.workspace_id, author, key).await?
                }
                _ => match store.get_message(message.workspace_id, message.id).await {
                    Ok(found) if found.chat_id == message.chat_id => Some(found),
                    Ok(_) | Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                },
            };
            existing
                .map(|message| Appended { message, event: None })
                .ok_or_else(|| Error::Internal("append conflict but no existing message".into()))
        }
        StoreError::Backend(cause) => {
            tracing::error!(%cause, chat = %message.chat_id, "a message could not be stored");
            Err(Error::Internal("could not store the message".into()))
        }
        other => Err(other.into()),
    }
}

async fn publish_loop(
    bus: Arc<dyn Bus>,
    mut rx: mpsc::UnboundedReceiver<Vec<Envelope>>,
    push: crate::push::MessageTap,
    published: Passes,
) {
    let mut markers = 0;
    while let Some(mut events) = rx.recv().await {
        let mut seen = u64::from(events.is_empty());
        // Whatever else committed meanwhile goes out with it: one bus round trip
        // for all of it, in commit order.
        while events.len() < MAX_PUBLISH {
            match rx.try_recv() {
                Ok(more) => {
                    seen += u64::from(more.is_empty());
                    events.extend(more);
                }
                Err(_) => break,
            }
        }
        let committed: Vec<ChatEvent> = events
            .iter()
            .filter_map(|e| match &e.payload {
                artel_core::event::Payload::Chat { event } => Some(event.clone()),
                _ => None,
            })
            .collect();
        push.committed(&committed);
        // A batch of only flush markers has nothing to publish.
        let mut wait = PUBLISH_RETRY_MIN;
        while !events.is_empty() {
            let Err(e) = bus.publish_all(&events).await else { break };
            // The bus refused the events outright (an outage of its backend is
            // not that: it queues). Dropping them would leave every socket
            // without them until the chat's next event, so try again, in order.
            tracing::warn!(error = %e, count = events.len(), "publishing committed events failed; retrying");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(PUBLISH_RETRY_MAX);
        }
        markers += seen;
        published.finished_up_to(markers);
    }
}
