//! Reads the checks of concurrent sends together.
//!
//! Before a send is queued for the group commit it is checked against its chat,
//! the author's membership and an earlier message with its idempotency key
//! (`MessageStore::send_context`). Read one by one, that is a hand-off to a SQLite
//! reader thread (a Postgres round trip) per message. Here one task gathers the
//! checks: while `IN_FLIGHT` reads run (`IN_FLIGHT_POSTGRES` on Postgres), new
//! checks wait and go together in the next read (`send_contexts`), so under load
//! a read carries many sends, while a lone send is read at once.
//!
//! Most sends need no read at all: a person who posted in a chat a moment ago
//! is a "known sender" there for `KNOWN_FOR`, and their next sends take the chat
//! and membership read then (`known_sender`). What may have changed since (the
//! person removed, the chat archived) is checked again by the commit itself
//! (`NewMessage::author_must_be_member`), and an earlier message with the same
//! idempotency key is found by the commit too (its unique index), so a send
//! answered from here is never accepted on stale grounds. Under load that takes
//! the send-check reads, a large share of Postgres's statements, out of the way
//! (BENCHMARKS.md, fan-out).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use artel_core::chat::ChatId;
use artel_core::message::{SendContext, SendContextRequest};
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use artel_core::{Error, Store};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Reads running at once on SQLite, whose reads run on reader threads beside
/// each other. With more, fewer checks wait and go together.
const IN_FLIGHT: usize = 2;
/// Reads running at once on Postgres. There a read's cost is mostly fixed (a
/// round trip, a wake-up and an executor start-up, then sqlx's ping), so checks
/// that wait for the one running read and go together in the next one cost
/// Postgres less: fewer transactions for the same sends, and a lower p99 on two
/// nodes (BENCHMARKS.md, fan-out).
const IN_FLIGHT_POSTGRES: usize = 1;
/// Most checks in one read.
const MAX_CHECKS: usize = 128;
/// Checks waiting for a read; senders wait (back-pressure) when it is full.
const QUEUE: usize = 4096;
/// How long a sender's last read stands in for a new one. Short, so that a
/// refusal at commit (removed, archived) is rare and memory stays small.
const KNOWN_FOR: Duration = Duration::from_secs(10);
/// Most known senders remembered; when full, expired ones go, and all of them
/// when that frees less than a quarter.
const MAX_KNOWN: usize = 100_000;

type SenderKey = (WorkspaceId, ChatId, UserId);

/// Senders whose chat and membership were read a moment ago, with what was read.
#[derive(Default)]
struct KnownSenders {
    by_key: HashMap<SenderKey, (Instant, SendContext)>,
}

impl KnownSenders {
    fn get(&self, key: &SenderKey, now: Instant) -> Option<SendContext> {
        let (read_at, context) = self.by_key.get(key)?;
        (now.duration_since(*read_at) < KNOWN_FOR).then(|| context.clone())
    }

    /// Remembers a context that lets the sender post (a member of a live chat).
    fn note(&mut self, key: SenderKey, context: &SendContext, now: Instant) {
        let may_post = context.member.is_some() && context.chat.as_ref().is_some_and(|c| !c.is_archived());
        if !may_post {
            self.by_key.remove(&key);
            return;
        }
        if self.by_key.len() >= MAX_KNOWN && !self.by_key.contains_key(&key) {
            self.by_key.retain(|_, (read_at, _)| now.duration_since(*read_at) < KNOWN_FOR);
            // Mostly live: start afresh rather than scan the map again with
            // every new sender (under the lock every send takes).
            if self.by_key.len() >= MAX_KNOWN * 3 / 4 {
                self.by_key.clear();
            }
        }
        let context = SendContext { existing: None, ..context.clone() };
        self.by_key.insert(key, (now, context));
    }
}

struct Check {
    request: SendContextRequest,
    reply: oneshot::Sender<Result<SendContext, Error>>,
}

#[derive(Clone)]
pub struct SendChecks {
    checks: mpsc::Sender<Check>,
    known: Arc<Mutex<KnownSenders>>,
}

impl SendChecks {
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (checks, rx) = mpsc::channel(QUEUE);
        let in_flight = if store.engine() == "postgres" { IN_FLIGHT_POSTGRES } else { IN_FLIGHT };
        tokio::spawn(gather(store, rx, in_flight));
        Self { checks, known: Arc::default() }
    }

    /// The send's context as read a moment ago for the same sender and chat, if
    /// it let them post. It says nothing of an earlier message with the send's
    /// key (`existing` is `None`): the commit finds that one.
    pub fn known_sender(&self, request: &SendContextRequest) -> Option<SendContext> {
        let key = (request.workspace, request.chat, request.author);
        self.known.lock().ok()?.get(&key, Instant::now())
    }

    /// Forgets a sender, whose send the commit refused.
    pub fn forget(&self, workspace: WorkspaceId, chat: ChatId, author: UserId) {
        if let Ok(mut known) = self.known.lock() {
            known.by_key.remove(&(workspace, chat, author));
        }
    }

    /// The send's context, read along with whatever other sends are checked now.
    pub async fn context(&self, request: SendContextRequest) -> Result<SendContext, Error> {
        let key = (request.workspace, request.chat, request.author);
        let context = self.read_now(request).await?;
        if let Ok(mut known) = self.known.lock() {
            known.note(key, &context, Instant::now());
        }
        Ok(context)
    }

    async fn read_now(&self, request: SendContextRequest) -> Result<SendContext, Error> {
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

#[cfg(test)]
mod tests {
    use artel_core::chat::{Chat, ChatKind, ChatMember, MemberRole};
    use artel_core::message::SendContext;
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn context(member: bool, archived: bool) -> (SenderKey, SendContext) {
        let (ws, chat_id, user) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let now = Utc::now();
        let chat = Chat {
            id: chat_id,
            workspace_id: ws,
            kind: ChatKind::Group,
            name: Some("g".into()),
            description: String::new(),
            is_private: true,
            direct_key: None,
            entity: None,
            created_by: user,
            created_at: now,
            updated_at: now,
            archived_at: archived.then_some(now),
            last_seq: 0,
            last_activity_at: now,
        };
        let member = member.then_some(ChatMember {
            chat_id,
            user_id: user,
            role: MemberRole::Member,
            joined_at: now,
            last_read_seq: 0,
        });
        ((ws, chat_id, user), SendContext { existing: None, chat: Some(chat), member })
    }

    #[test]
    fn only_senders_who_may_post_are_known_and_only_for_a_while() {
        let mut known = KnownSenders::default();
        let now = Instant::now();
        let (member, ok) = context(true, false);
        known.note(member, &ok, now);
        assert_eq!(known.get(&member, now + Duration::from_secs(1)), Some(ok.clone()));
        assert_eq!(known.get(&member, now + KNOWN_FOR), None, "expired");

        // A read that says no (not a member, archived, no chat) is not kept, and
        // it drops what was known of that sender.
        for (key, refused) in [context(false, false), context(true, true)] {
            known.note(key, &refused, now);
            assert_eq!(known.get(&key, now), None);
        }
        let (_, refused) = context(false, false);
        known.note(member, &refused, now);
        assert_eq!(known.get(&member, now), None, "a refusal replaces what was known");
        let (key, mut gone) = context(true, false);
        gone.chat = None;
        known.note(key, &gone, now);
        assert_eq!(known.get(&key, now), None);
    }

    #[test]
    fn the_earlier_message_is_never_remembered() {
        let mut known = KnownSenders::default();
        let now = Instant::now();
        let (key, mut ctx) = context(true, false);
        let chat = ctx.chat.clone().expect("a chat");
        ctx.existing = Some(artel_core::message::Message {
            id: Uuid::now_v7(),
            workspace_id: chat.workspace_id,
            chat_id: chat.id,
            seq: 1,
            author_id: Some(key.2),
            kind: artel_core::message::MessageKind::User,
            body: "first".into(),
            thread_root_id: None,
            client_msg_id: Some("k".into()),
            mentions: Vec::new(),
            mentions_all: false,
            created_at: Utc::now(),
            edited_at: None,
            deleted_at: None,
            pinned_at: None,
            reply_count: 0,
            last_reply_at: None,
            attachments: Vec::new(),
            notice: None,
        });
        known.note(key, &ctx, now);
        assert_eq!(known.get(&key, now).and_then(|c| c.existing), None);
    }

    #[test]
    fn memory_is_bounded() {
        let mut known = KnownSenders::default();
        let start = Instant::now();
        for _ in 0..MAX_KNOWN {
            let (key, ok) = context(true, false);
            known.note(key, &ok, start);
        }
        assert_eq!(known.by_key.len(), MAX_KNOWN);
        // Full of live entries: the next one starts afresh.
        let (key, ok) = context(true, false);
        known.note(key, &ok, start + Duration::from_secs(1));
        assert_eq!(known.by_key.len(), 1);
        // Full of mostly expired ones: they go, the live one stays.
        known.by_key.clear();
        for _ in 0..MAX_KNOWN - 1 {
            let (key, ok) = context(true, false);
            known.note(key, &ok, start);
        }
        let (live, ok) = context(true, false);
        known.note(live, &ok, start + KNOWN_FOR);
        let later = start + KNOWN_FOR + Duration::from_secs(2);
        let (last, ok) = context(true, false);
        known.note(last, &ok, later);
        assert_eq!(known.by_key.len(), 2);
        assert!(known.get(&live, later).is_some() && known.get(&last, later).is_some());
    }
}
