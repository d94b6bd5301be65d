//! Presence reaches sockets as a digest: at most one `presence_changes` frame per
//! workspace every `DIGEST_EVERY`, naming each user whose status changed once,
//! with the latest status. Announcing each change at once to every socket of the
//! workspace cost one frame per socket per change, so a crowd coming online cost
//! O(users²) frames and overflowed the sockets' queues (BENCHMARKS.md, D). The
//! full list stays out of hot frames: clients read it from `GET /presence`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use artel_core::event::{Ephemeral, Presence, PresenceEntry};
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;

/// How often gathered presence changes are sent.
pub const DIGEST_EVERY: Duration = Duration::from_secs(1);
/// Most users named in one frame (about 2 KB). A socket's write buffer keeps the
/// capacity of the largest frame it ever sent: one digest of 500 users (35 KB)
/// sized the buffer of every idle socket of the workspace.
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

    /// Takes everything gathered since the last call: per workspace, its users in
    /// id order, in events of at most `MAX_ENTRIES`.
    pub fn drain(&self) -> Vec<(WorkspaceId, Ephemeral)> {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        let mut out = Vec::new();
        for (workspace, users) in pending {
            let entries: Vec<PresenceEntry> =
                users.into_iter().map(|(user_id, status)| PresenceEntry { user_id, status }).collect();
            for chunk in entries.chunks(MAX_ENTRIES) {
                out.push((workspace, Ephemeral::PresenceChanges { entries: chunk.to_vec() }));
            }
        }
        out
    }
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
        let sizes: Vec<usize> = out
            .iter()
            .map(|(_, e)| match e {
                Ephemeral::PresenceChanges { entries } => entries.len(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(sizes, vec![MAX_ENTRIES, MAX_ENTRIES, 5]);
        let named: Vec<Uuid> = out
            .into_iter()
            .flat_map(|(_, e)| match e {
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
            (w1, Ephemeral::PresenceChanges { entries: entries(Presence::Online, Presence::Away) }),
            (
                w2,
                Ephemeral::PresenceChanges {
                    entries: vec![PresenceEntry { user_id: a, status: Presence::Offline }],
                },
            ),
        ];
        expected.sort_by_key(|(w, _)| *w);
        assert_eq!(out, expected);
        assert!(digest.drain().is_empty(), "drained");
    }
}
