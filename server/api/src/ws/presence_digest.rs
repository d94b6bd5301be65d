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

    /// Takes everything gathered since the last call: one event per workspace,
    /// its users in id order.
    pub fn drain(&self) -> Vec<(WorkspaceId, Ephemeral)> {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        pending
            .into_iter()
            .map(|(workspace, users)| {
                let entries =
                    users.into_iter().map(|(user_id, status)| PresenceEntry { user_id, status }).collect();
                (workspace, Ephemeral::PresenceChanges { entries })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

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
