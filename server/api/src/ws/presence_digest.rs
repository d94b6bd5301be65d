//! Presence reaches sockets as a digest: every `DIGEST_EVERY`, each socket gets
//! the changes of the users it follows (`presence_sub`), each user once with the
//! latest status. Announcing each change at once to every socket of the
//! workspace cost one frame per socket per change, so a crowd coming online cost
//! O(users²) frames and overflowed the sockets' queues (docs/benchmarks/log-2026.md,
//! bottleneck D); a workspace-wide digest still cost O(users²) entries when a crowd
//! came online. A socket follows the people its screen
//! shows, so the cost is what is actually shown. The full list stays out of hot
//! frames: clients read it from `GET /presence`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use artel_core::event::{Ephemeral, Presence, PresenceEntry};
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;

/// How often gathered presence changes are sent.
pub const DIGEST_EVERY: Duration = Duration::from_secs(1);
/// Most users named in one frame, so every frame stays small. A socket's write
/// buffer keeps the capacity of the largest frame it ever sent: one digest naming
/// a whole crowd sized the buffer of every idle socket of the workspace.
pub const MAX_ENTRIES: usize = 32;

/// Presence changes waiting for the next digest, per workspace.
#[derive(Default)]
pub struct PresenceDigest {
    pending: Mutex<HashMap<WorkspaceId, BTreeMap<UserId, Presence>>>,
}

impl PresenceDigest {
    /// Notes a user's new status; a later change before the digest replaces it.
    pub fn record(&self, workspace: WorkspaceId, user: UserId, status: Presence) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.entry(workspace).or_default().insert(user, status);
    }

    /// Takes everything gathered since the last call: per workspace, its users
    /// in id order, each with their latest status.
    pub fn drain(&self) -> Vec<(WorkspaceId, Vec<PresenceEntry>)> {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        pending
            .into_iter()
            .map(|(workspace, users)| {
                let entries =
                    users.into_iter().map(|(user_id, status)| PresenceEntry { user_id, status }).collect();
                (workspace, entries)
            })
            .collect()
    }
}

/// `entries` as `presence_changes` events of at most `MAX_ENTRIES` each.
pub fn frames(entries: &[PresenceEntry]) -> impl Iterator<Item = Ephemeral> + '_ {
    entries.chunks(MAX_ENTRIES).map(|chunk| Ephemeral::PresenceChanges { entries: chunk.to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_big_digest_is_split_into_small_frames() {
        let digest = PresenceDigest::default();
        let w = Uuid::now_v7();
        let users: Vec<Uuid> = (0..MAX_ENTRIES * 2 + 5).map(|_| Uuid::now_v7()).collect();
        for u in &users {
            digest.record(w, *u, Presence::Online);
        }
        let out = digest.drain();
        assert_eq!(out.len(), 1, "one workspace");
        let events: Vec<Ephemeral> = frames(&out[0].1).collect();
        let sizes: Vec<usize> = events
            .iter()
            .map(|e| match e {
                Ephemeral::PresenceChanges { entries } => entries.len(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(sizes, vec![MAX_ENTRIES, MAX_ENTRIES, 5]);
        let named: Vec<Uuid> = events
            .into_iter()
            .flat_map(|e| match e {
                Ephemeral::PresenceChanges { entries } => entries.into_iter().map(|p| p.user_id).collect(),
                _ => Vec::new(),
            })
            .collect();
        let mut sorted = users.clone();
        sorted.sort();
        assert_eq!(named, sorted, "every user once, in id order");
    }

    #[test]
    fn a_digest_names_each_user_once_with_the_latest_status() {
        let digest = PresenceDigest::default();
        let (w1, w2, a, b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        digest.record(w1, b, Presence::Online);
        digest.record(w1, a, Presence::Online);
        digest.record(w1, b, Presence::Away);
        digest.record(w2, a, Presence::Offline);
        let mut out = digest.drain();
        out.sort_by_key(|(w, _)| *w);
        let entries = |status_a, status_b| {
            let mut e = vec![
                PresenceEntry { user_id: a, status: status_a },
                PresenceEntry { user_id: b, status: status_b },
            ];
            e.sort_by_key(|e| e.user_id);
            e
        };
        let mut expected = vec![
            (w1, entries(Presence::Online, Presence::Away)),
            (w2, vec![PresenceEntry { user_id: a, status: Presence::Offline }]),
        ];
        expected.sort_by_key(|(w, _)| *w);
        assert_eq!(out, expected);
        assert!(digest.drain().is_empty(), "drained");
    }
}
