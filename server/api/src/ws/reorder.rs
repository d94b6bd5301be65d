//! Puts each chat's events back in seq order before the hub routes them.
//!
//! Between nodes, the bus can carry a chat's events out of order: node B's commit
//! of seq 6 may reach Redis before node A's publish of seq 5. Every socket of the
//! chat on this node then saw a gap and read the missing event from the store,
//! one read per socket, though seq 5 arrived moments later: under load on two
//! nodes, a steady stream of store reads, which this removes (BENCHMARKS.md,
//! fan-out). So an event that arrives ahead of its chat's next seq waits
//! here, for at most `HOLD`, for the ones before it; whatever is still missing
//! then (a publish Redis lost) is left to the sockets, which fill the gap from the
//! store as before. Nothing is dropped or delayed beyond `HOLD`; in-order events
//! (every event on one node) pass straight through.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use artel_core::chat::ChatId;
use artel_core::event::{Envelope, Payload};
use tokio::time::Instant;

/// Longest an early event waits for the events before it.
pub const HOLD: Duration = Duration::from_millis(20);
/// Most events held for one chat; one more releases them all at once.
const MAX_HELD_PER_CHAT: usize = 256;
/// Chats whose next seq is remembered; past this, chats with nothing held are
/// forgotten (their next event just passes through).
const MAX_CHATS: usize = 100_000;

#[derive(Default)]
struct ChatOrder {
    /// The seq this chat's next in-order event has.
    next: i64,
    /// Events ahead of `next`, by seq, each with when it must go out at the latest.
    held: BTreeMap<i64, (Envelope, Instant)>,
}

#[derive(Default)]
pub struct Reorder {
    chats: HashMap<ChatId, ChatOrder>,
    /// Chats holding events, each with when its first held event must go out
    /// (the earliest: later ones arrived later).
    waiting: HashMap<ChatId, Instant>,
}

impl Reorder {
    /// What may go out now that `envelope` arrived, in order.
    pub fn admit(&mut self, envelope: Envelope, now: Instant) -> Vec<Envelope> {
        let Payload::Chat { event } = &envelope.payload else { return vec![envelope] };
        let (chat_id, seq) = (event.chat_id, event.seq);
        if self.chats.len() >= MAX_CHATS && !self.chats.contains_key(&chat_id) {
            self.chats.retain(|id, _| self.waiting.contains_key(id));
        }
        let chat = self.chats.entry(chat_id).or_insert(ChatOrder { next: seq, held: BTreeMap::new() });
        if seq < chat.next {
            // Already passed (a late repeat, or released after its hold): the
            // sockets drop what they have seen.
            return vec![envelope];
        }
        if seq > chat.next {
            chat.held.insert(seq, (envelope, now + HOLD));
            self.waiting.entry(chat_id).or_insert(now + HOLD);
            if chat.held.len() > MAX_HELD_PER_CHAT {
                self.waiting.remove(&chat_id);
                return release_all(chat);
            }
            return Vec::new();
        }
        let mut out = vec![envelope];
        chat.next = seq + 1;
        while let Some(entry) = chat.held.first_entry() {
            if *entry.key() != chat.next {
                break;
            }
            out.push(entry.remove().0);
            chat.next += 1;
        }
        if chat.held.is_empty() {
            self.waiting.remove(&chat_id);
        }
        out
    }

    /// The earliest time a held event must go out, if any is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.waiting.values().min().copied()
    }

    /// Everything held in chats where an event has waited `HOLD`, in each
    /// chat's seq order: the sockets fill what is still missing from the store.
    pub fn expire(&mut self, now: Instant) -> Vec<Envelope> {
        let due: Vec<ChatId> = self.waiting.iter().filter(|(_, at)| **at <= now).map(|(id, _)| *id).collect();
        let mut out = Vec::new();
        for id in due {
            self.waiting.remove(&id);
            if let Some(chat) = self.chats.get_mut(&id) {
                out.extend(release_all(chat));
            }
        }
        out
    }

    /// Everything held, each chat's in seq order, and forgets every chat's next
    /// seq: after a gap on the bus those are stale (the missing events will not
    /// come), and the sockets fill any hole from the store.
    pub fn reset(&mut self) -> Vec<Envelope> {
        let old = std::mem::take(self);
        old.chats
            .into_values()
            .flat_map(|chat| chat.held.into_values().map(|(envelope, _)| envelope))
            .collect()
    }
}

/// Lets every held event of the chat go, in seq order, and moves `next` past them.
fn release_all(chat: &mut ChatOrder) -> Vec<Envelope> {
    let held = std::mem::take(&mut chat.held);
    if let Some(last) = held.keys().next_back() {
        chat.next = last + 1;
    }
    held.into_values().map(|(envelope, _)| envelope).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use artel_core::event::{Audience, ChatChange, ChatEvent};
    use uuid::Uuid;

    fn event(chat: ChatId, seq: i64) -> Envelope {
        let event = ChatEvent {
            workspace_id: Uuid::nil(),
            chat_id: chat,
            seq,
            created_at: chrono::DateTime::UNIX_EPOCH,
            change: ChatChange::MessageUnpinned { message_id: Uuid::nil(), by: Uuid::nil() },
        };
        Envelope::chat(event)
    }

    fn seqs(out: &[Envelope]) -> Vec<i64> {
        out.iter()
            .map(|e| match &e.payload {
                Payload::Chat { event } => event.seq,
                _ => -1,
            })
            .collect()
    }

    #[test]
    fn in_order_events_pass_at_once() {
        let (mut r, now, chat) = (Reorder::default(), Instant::now(), Uuid::now_v7());
        for seq in 7..10 {
            assert_eq!(seqs(&r.admit(event(chat, seq), now)), vec![seq]);
        }
        assert_eq!(r.deadline(), None);
        let other = Envelope {
            id: Uuid::now_v7(),
            workspace_id: Uuid::nil(),
            audience: Audience::Workspace,
            payload: Payload::Ephemeral {
                event: artel_core::event::Ephemeral::SignedOut { user_id: Uuid::nil(), session_id: None },
            },
        };
        assert_eq!(r.admit(other, now).len(), 1, "anything but a chat event passes");
    }

    #[test]
    fn an_early_event_waits_for_the_ones_before_it() {
        let (mut r, now, chat) = (Reorder::default(), Instant::now(), Uuid::now_v7());
        let other = Uuid::now_v7();
        assert_eq!(seqs(&r.admit(event(chat, 1), now)), vec![1]);
        assert!(r.admit(event(chat, 4), now).is_empty());
        assert!(r.admit(event(chat, 3), now).is_empty());
        assert_eq!(r.deadline(), Some(now + HOLD));
        assert_eq!(seqs(&r.admit(event(other, 9), now)), vec![9], "other chats do not wait");
        assert_eq!(seqs(&r.admit(event(chat, 2), now)), vec![2, 3, 4]);
        assert_eq!(r.deadline(), None);
        assert_eq!(seqs(&r.admit(event(chat, 3), now)), vec![3], "a repeat passes; sockets drop it");
        assert_eq!(seqs(&r.admit(event(chat, 5), now)), vec![5]);
    }

    #[test]
    fn a_missing_event_holds_the_rest_for_hold_at_most() {
        let (mut r, now, chat) = (Reorder::default(), Instant::now(), Uuid::now_v7());
        r.admit(event(chat, 1), now);
        assert!(r.admit(event(chat, 3), now).is_empty());
        assert!(r.admit(event(chat, 5), now + HOLD / 2).is_empty());
        assert!(r.expire(now + HOLD / 2).is_empty());
        assert_eq!(seqs(&r.expire(now + HOLD)), vec![3, 5], "released in order, gaps left to the sockets");
        assert_eq!(seqs(&r.admit(event(chat, 2), now + HOLD)), vec![2], "late: passes");
        assert_eq!(seqs(&r.admit(event(chat, 6), now + HOLD)), vec![6]);
    }

    #[test]
    fn a_reset_releases_what_is_held_and_holds_nothing_after() {
        let (mut r, now, chat) = (Reorder::default(), Instant::now(), Uuid::now_v7());
        r.admit(event(chat, 1), now);
        assert!(r.admit(event(chat, 4), now).is_empty());
        assert!(r.admit(event(chat, 3), now).is_empty());
        assert_eq!(seqs(&r.reset()), vec![3, 4]);
        assert_eq!(r.deadline(), None);
        assert_eq!(seqs(&r.admit(event(chat, 9), now)), vec![9], "no stale next seq to wait for");
    }

    #[test]
    fn held_events_are_bounded_per_chat() {
        let (mut r, now, chat) = (Reorder::default(), Instant::now(), Uuid::now_v7());
        r.admit(event(chat, 1), now);
        for seq in 3..3 + MAX_HELD_PER_CHAT as i64 {
            assert!(r.admit(event(chat, seq), now).is_empty());
        }
        let out = r.admit(event(chat, 3 + MAX_HELD_PER_CHAT as i64), now);
        assert_eq!(out.len(), MAX_HELD_PER_CHAT + 1);
        assert_eq!(r.deadline(), None);
    }
}
