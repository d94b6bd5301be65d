//! Presence (online / away / offline), across nodes without extra infrastructure.
//! Each node knows its own sockets; it tells the others what changed, and every
//! 30 s its full list, over the bus. A node's list expires if it stops sending
//! (it died), so a crashed node's users go offline within ~75 s. A user's status
//! is the best over all their sockets on all nodes. Nothing is stored: presence
//! is ephemeral by design.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use artel_core::event::{Audience, Envelope, Ephemeral, Presence, PresenceEntry};
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use uuid::Uuid;

/// How often each node sends its full list.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(30);
/// A node not heard from for this long is considered gone.
const NODE_TTL: Duration = Duration::from_secs(75);

type Key = (WorkspaceId, UserId);

#[derive(Default)]
struct LocalUser {
    online: usize,
    away: usize,
}

impl LocalUser {
    fn status(&self) -> Presence {
        if self.online > 0 {
            Presence::Online
        } else if self.away > 0 {
            Presence::Away
        } else {
            Presence::Offline
        }
    }
}

struct RemoteNode {
    users: HashMap<Key, Presence>,
    seen: Instant,
}

pub struct PresenceTracker {
    pub node_id: Uuid,
    local: Mutex<HashMap<Key, LocalUser>>,
    remote: Mutex<HashMap<Uuid, RemoteNode>>,
}

/// A status change to announce: to this node's sockets (`Presence`) and to the
/// other nodes (`NodePresence`).
pub struct Change {
    pub workspace: WorkspaceId,
    pub user: UserId,
    pub effective: Option<Presence>,
    pub on_this_node: Presence,
}

impl Default for PresenceTracker {
    fn default() -> Self {
        Self { node_id: Uuid::now_v7(), local: Mutex::default(), remote: Mutex::default() }
    }
}

impl PresenceTracker {
    /// A socket of the user changed from `from` to `to` (Offline = absent).
    /// Returns what to announce if this node's view of the user changed.
    pub fn socket_changed(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        from: Presence,
        to: Presence,
    ) -> Option<Change> {
        let before_effective = self.effective(workspace, user);
        let (before, after) = {
            let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
            let entry = local.entry((workspace, user)).or_default();
            let before = entry.status();
            adjust(entry, from, -1);
            adjust(entry, to, 1);
            let after = entry.status();
            if after == Presence::Offline {
                local.remove(&(workspace, user));
            }
            (before, after)
        };
        if before == after {
            return None;
        }
        let after_effective = self.effective(workspace, user);
        Some(Change {
            workspace,
            user,
            effective: (after_effective != before_effective).then_some(after_effective),
            on_this_node: after,
        })
    }

    /// Applies another node's report; returns the users whose overall status changed.
    pub fn remote_report(
        &self,
        workspace: WorkspaceId,
        node: Uuid,
        entries: &[PresenceEntry],
        full: bool,
    ) -> Vec<(UserId, Presence)> {
        if node == self.node_id {
            return Vec::new();
        }
        let users: Vec<UserId> = {
            let remote = self.remote.lock().unwrap_or_else(|p| p.into_inner());
            let mut affected: Vec<UserId> = entries.iter().map(|e| e.user_id).collect();
            if full {
                if let Some(n) = remote.get(&node) {
                    affected.extend(n.users.keys().filter(|(w, _)| *w == workspace).map(|(_, u)| *u));
                }
            }
            affected.sort();
            affected.dedup();
            affected
        };
        let before: Vec<Presence> = users.iter().map(|u| self.effective(workspace, *u)).collect();
        {
            let mut remote = self.remote.lock().unwrap_or_else(|p| p.into_inner());
            let n = remote
                .entry(node)
                .or_insert_with(|| RemoteNode { users: HashMap::new(), seen: Instant::now() });
            n.seen = Instant::now();
            if full {
                n.users.retain(|(w, _), _| *w != workspace);
            }
            for e in entries {
                if e.status == Presence::Offline {
                    n.users.remove(&(workspace, e.user_id));
                } else {
                    n.users.insert((workspace, e.user_id), e.status);
                }
            }
        }
        users
            .into_iter()
            .zip(before)
            .filter_map(|(u, b)| {
                let a = self.effective(workspace, u);
                (a != b).then_some((u, a))
            })
            .collect()
    }

    /// Forgets nodes not heard from within the TTL; returns users whose status changed.
    pub fn expire(&self) -> Vec<(WorkspaceId, UserId, Presence)> {
        let gone: Vec<RemoteNode> = {
            let mut remote = self.remote.lock().unwrap_or_else(|p| p.into_inner());
            let dead: Vec<Uuid> =
                remote.iter().filter(|(_, n)| n.seen.elapsed() > NODE_TTL).map(|(id, _)| *id).collect();
            dead.into_iter().filter_map(|id| remote.remove(&id)).collect()
        };
        let mut changed = Vec::new();
        for node in gone {
            for (workspace, user) in node.users.keys() {
                let now = self.effective(*workspace, *user);
                changed.push((*workspace, *user, now));
            }
        }
        changed
    }

    /// The user's best status across all nodes.
    pub fn effective(&self, workspace: WorkspaceId, user: UserId) -> Presence {
        let local = self
            .local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(workspace, user))
            .map(LocalUser::status)
            .unwrap_or(Presence::Offline);
        let remote = self.remote.lock().unwrap_or_else(|p| p.into_inner());
        remote
            .values()
            .filter_map(|n| n.users.get(&(workspace, user)).copied())
            .chain(std::iter::once(local))
            .max_by_key(|p| p.rank())
            .unwrap_or(Presence::Offline)
    }

    /// Everyone not offline in the workspace, with their status.
    pub fn snapshot(&self, workspace: WorkspaceId) -> Vec<PresenceEntry> {
        let mut users: Vec<UserId> = self
            .local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .filter(|(w, _)| *w == workspace)
            .map(|(_, u)| *u)
            .collect();
        for n in self.remote.lock().unwrap_or_else(|p| p.into_inner()).values() {
            users.extend(n.users.keys().filter(|(w, _)| *w == workspace).map(|(_, u)| *u));
        }
        users.sort();
        users.dedup();
        users
            .into_iter()
            .map(|u| PresenceEntry { user_id: u, status: self.effective(workspace, u) })
            .filter(|e| e.status != Presence::Offline)
            .collect()
    }

    /// This node's full list, one envelope per workspace.
    pub fn full_reports(&self) -> Vec<Envelope> {
        let mut by_ws: HashMap<WorkspaceId, Vec<PresenceEntry>> = HashMap::new();
        for ((w, u), entry) in self.local.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            by_ws.entry(*w).or_default().push(PresenceEntry { user_id: *u, status: entry.status() });
        }
        by_ws
            .into_iter()
            .map(|(w, entries)| {
                Envelope::ephemeral(
                    w,
                    Audience::Workspace,
                    Ephemeral::NodePresence { node_id: self.node_id, entries, full: true },
                )
            })
            .collect()
    }

    /// The envelope telling other nodes about one local change.
    pub fn delta(&self, change: &Change) -> Envelope {
        Envelope::ephemeral(
            change.workspace,
            Audience::Workspace,
            Ephemeral::NodePresence {
                node_id: self.node_id,
                entries: vec![PresenceEntry { user_id: change.user, status: change.on_this_node }],
                full: false,
            },
        )
    }
}

fn adjust(entry: &mut LocalUser, status: Presence, by: isize) {
    let slot = match status {
        Presence::Online => &mut entry.online,
        Presence::Away => &mut entry.away,
        Presence::Offline => return,
    };
    *slot = slot.saturating_add_signed(by);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_status_over_sockets_and_nodes() {
        let t = PresenceTracker::default();
        let (w, u) = (Uuid::now_v7(), Uuid::now_v7());
        let c = t.socket_changed(w, u, Presence::Offline, Presence::Online).expect("change");
        assert_eq!(c.effective, Some(Presence::Online));
        // A second socket changes nothing; going away on one keeps online.
        assert!(t.socket_changed(w, u, Presence::Offline, Presence::Online).is_none());
        assert!(t.socket_changed(w, u, Presence::Online, Presence::Away).is_none());
        let c = t.socket_changed(w, u, Presence::Online, Presence::Offline).expect("change");
        assert_eq!(c.effective, Some(Presence::Away));
        // Another node has the user online: this node's last socket leaving keeps them online.
        let other = Uuid::now_v7();
        let changed =
            t.remote_report(w, other, &[PresenceEntry { user_id: u, status: Presence::Online }], false);
        assert_eq!(changed, vec![(u, Presence::Online)]);
        let c = t.socket_changed(w, u, Presence::Away, Presence::Offline).expect("local change");
        assert_eq!(c.effective, None, "still online elsewhere");
        assert_eq!(t.effective(w, u), Presence::Online);
        // A full report without the user means they left that node.
        let changed = t.remote_report(w, other, &[], true);
        assert_eq!(changed, vec![(u, Presence::Offline)]);
    }
}
