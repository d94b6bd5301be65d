//! The node's registry of live sockets and the dispatcher that routes bus
//! envelopes to them. Routing is an index (chat → sockets, user → sockets,
//! workspace → sockets); the final say on what a socket may receive stays with
//! the socket itself, which tracks its memberships and per-chat cursors.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use artel_core::chat::ChatId;
use artel_core::event::{
    Audience, BoardChange, BoardEvent, ChatChange, ChatEvent, Envelope, Ephemeral, Payload, PresenceEntry,
};
use artel_core::ports::bus::Delivery;
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use artel_core::{Store, Subscription};
use axum::extract::ws::Utf8Bytes;
use tokio::sync::{mpsc, Notify};
use uuid::Uuid;

use crate::http::crm_dto::DealDto;
use crate::messaging::wire::ChatEventDto;
use crate::ws::frames::{BoardChangeDto, BoardEventDto, ServerFrame};
use crate::ws::presence::PresenceTracker;
use crate::ws::presence_digest::{frames as presence_frames, PresenceDigest, DIGEST_EVERY};
use crate::ws::reorder::Reorder;

pub type ConnId = u64;

/// What the dispatcher hands a socket. Every variant is one pointer, so the enum
/// is 16 bytes: a socket's queue allocates its first 32 slots up front, idle or
/// not (BENCHMARKS.md, memory per idle socket).
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A chat event with its frame already encoded (once per node, not per socket).
    Chat(Arc<LiveEvent>),
    /// Any other ready-to-send frame.
    Frame(Arc<Utf8Bytes>),
    /// An ephemeral frame about a chat (typing, read marks): written only while
    /// the socket still follows that chat.
    ChatFrame(Arc<(ChatId, Utf8Bytes)>),
    /// For this socket's user: the ephemeral event that needs local handling.
    Control(Arc<Ephemeral>),
    /// A board event, encoded once in both its full and its hidden form.
    Board(Arc<LiveBoardEvent>),
    /// A chat's or board's latest seq in the store, after the bus may have lost
    /// events: a socket whose cursor is behind replays up to it.
    Tip(Arc<(Uuid, i64)>),
}

impl Outbound {
    pub fn frame(text: Utf8Bytes) -> Self {
        Outbound::Frame(Arc::new(text))
    }
}

#[derive(Debug)]
pub struct LiveBoardEvent {
    pub event: BoardEvent,
    /// What a watcher who may see the deal gets.
    pub full: Utf8Bytes,
    /// What everyone else gets (deal id only); equal to `full` for changes
    /// that say nothing about a deal.
    pub hidden: Utf8Bytes,
    /// What a guest who may see the deal gets: the card without its client's
    /// names (guests see no clients); equal to `full` when it has none.
    pub no_clients: Utf8Bytes,
}

impl LiveBoardEvent {
    pub fn new(event: BoardEvent) -> Self {
        let frame = |change: BoardChangeDto| {
            let dto = BoardEventDto {
                pipeline_id: event.pipeline_id,
                seq: event.seq,
                created_at: event.created_at,
                change,
            };
            Utf8Bytes::from(ServerFrame::BoardEvent(&dto).to_text())
        };
        let (full, hidden, no_clients) = match &event.change {
            BoardChange::DealUpserted { deal, tasks, clients } => {
                let card = || DealDto::from(deal.as_ref()).with_tasks(tasks.clone());
                let bare = frame(BoardChangeDto::DealUpserted { deal: Box::new(card()) });
                let full = match clients {
                    Some(c) if c.contact_name.is_some() || c.company_name.is_some() => {
                        frame(BoardChangeDto::DealUpserted {
                            deal: Box::new(card().with_clients(Some(c.clone()))),
                        })
                    }
                    _ => bare.clone(),
                };
                (full, frame(BoardChangeDto::DealHidden { deal_id: deal.id }), bare)
            }
            BoardChange::DealRemoved { deal_id } => {
                let f = frame(BoardChangeDto::DealRemoved { deal_id: *deal_id });
                (f.clone(), f.clone(), f)
            }
            BoardChange::StagesChanged => {
                let f = frame(BoardChangeDto::StagesChanged);
                (f.clone(), f.clone(), f)
            }
        };
        Self { event, full, hidden, no_clients }
    }
}

#[derive(Debug)]
pub struct LiveEvent {
    pub event: ChatEvent,
    pub text: Utf8Bytes,
}

impl LiveEvent {
    pub fn new(event: ChatEvent) -> Self {
        let text = ServerFrame::Event(&ChatEventDto::from(&event)).to_text().into();
        Self { event, text }
    }
}

struct Conn {
    user: UserId,
    workspace: WorkspaceId,
    tx: mpsc::Sender<Outbound>,
    overflow: Arc<Notify>,
    /// The users whose presence this socket follows (`presence_sub`).
    watching: Vec<UserId>,
}

#[derive(Default)]
struct Registry {
    conns: HashMap<ConnId, Conn>,
    by_chat: HashMap<ChatId, HashSet<ConnId>>,
    by_user: HashMap<UserId, HashSet<ConnId>>,
    by_workspace: HashMap<WorkspaceId, HashSet<ConnId>>,
    /// Who follows whose presence.
    watchers: HashMap<(WorkspaceId, UserId), HashSet<ConnId>>,
}

#[derive(Default)]
pub struct Hub {
    registry: RwLock<Registry>,
    next_id: AtomicU64,
    pub presence: PresenceTracker,
    presence_digest: PresenceDigest,
    /// Wakes the catch-up after a gap on the bus (see `catch_up.rs`).
    catch_up: Notify,
}

/// A socket's registration; unregisters on drop.
pub struct Registration {
    pub id: ConnId,
    pub overflow: Arc<Notify>,
    hub: Arc<Hub>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}

impl Hub {
    /// Registers a socket of `user`; it receives user- and workspace-wide frames at
    /// once and chat events for each chat it `join`s.
    pub fn register(
        self: &Arc<Self>,
        user: UserId,
        workspace: WorkspaceId,
        tx: mpsc::Sender<Outbound>,
    ) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let overflow = Arc::new(Notify::new());
        let mut r = self.registry.write().unwrap_or_else(|p| p.into_inner());
        r.conns.insert(id, Conn { user, workspace, tx, overflow: overflow.clone(), watching: Vec::new() });
        r.by_user.entry(user).or_default().insert(id);
        r.by_workspace.entry(workspace).or_default().insert(id);
        Registration { id, overflow, hub: self.clone() }
    }

    pub fn join(&self, conn: ConnId, chat: ChatId) {
        let mut r = self.registry.write().unwrap_or_else(|p| p.into_inner());
        if r.conns.contains_key(&conn) {
            r.by_chat.entry(chat).or_default().insert(conn);
        }
    }

    pub fn leave(&self, conn: ConnId, chat: ChatId) {
        let mut r = self.registry.write().unwrap_or_else(|p| p.into_inner());
        if let Some(set) = r.by_chat.get_mut(&chat) {
            set.remove(&conn);
            if set.is_empty() {
                r.by_chat.remove(&chat);
            }
        }
    }

    /// The socket now follows the presence of `users` (and no one else's).
    pub fn watch_presence(&self, conn: ConnId, users: &[UserId]) {
        let mut r = self.registry.write().unwrap_or_else(|p| p.into_inner());
        let Registry { conns, watchers, .. } = &mut *r;
        let Some(c) = conns.get_mut(&conn) else { return };
        for user in std::mem::take(&mut c.watching) {
            remove_from(watchers, (c.workspace, user), conn);
        }
        for user in users {
            watchers.entry((c.workspace, *user)).or_default().insert(conn);
        }
        c.watching = users.to_vec();
    }

    fn unregister(&self, conn: ConnId) {
        let mut r = self.registry.write().unwrap_or_else(|p| p.into_inner());
        let Some(c) = r.conns.remove(&conn) else { return };
        remove_from(&mut r.by_user, c.user, conn);
        remove_from(&mut r.by_workspace, c.workspace, conn);
        for user in c.watching {
            remove_from(&mut r.watchers, (c.workspace, user), conn);
        }
        r.by_chat.retain(|_, set| {
            set.remove(&conn);
            !set.is_empty()
        });
    }

    /// Number of live sockets on this node.
    pub fn connections(&self) -> usize {
        self.registry.read().unwrap_or_else(|p| p.into_inner()).conns.len()
    }

    /// Routes envelopes from the bus until it closes, each chat's events in seq
    /// order where they arrive out of it (see `reorder.rs`). After a gap, the
    /// sockets catch up from `store` (see `catch_up.rs`).
    pub async fn run(self: Arc<Self>, mut subscription: Subscription, store: Arc<dyn Store>) {
        let catch_up = tokio::spawn(crate::ws::catch_up::run(self.clone(), store));
        let mut reorder = Reorder::default();
        loop {
            let deadline = reorder.deadline();
            tokio::select! {
                item = subscription.next_item() => match item {
                    Some(Delivery::Envelope(envelope)) => {
                        for envelope in reorder.admit(envelope, tokio::time::Instant::now()) {
                            self.dispatch(envelope);
                        }
                    }
                    Some(Delivery::Gap) => {
                        for envelope in reorder.reset() {
                            self.dispatch(envelope);
                        }
                        self.catch_up.notify_one();
                    }
                    None => break,
                },
                () = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)),
                    if deadline.is_some() =>
                {
                    for envelope in reorder.expire(tokio::time::Instant::now()) {
                        self.dispatch(envelope);
                    }
                }
            }
        }
        for envelope in reorder.expire(tokio::time::Instant::now() + crate::ws::reorder::HOLD) {
            self.dispatch(envelope);
        }
        catch_up.abort();
        tracing::warn!("bus closed; the hub stops dispatching");
    }

    /// Waits for a gap on the bus; several while one catch-up runs make one more.
    pub(crate) async fn gap(&self) {
        self.catch_up.notified().await;
    }

    /// What this node's sockets follow (chats and boards alike), by workspace.
    pub(crate) fn followed(&self) -> HashMap<WorkspaceId, Vec<Uuid>> {
        let r = self.registry.read().unwrap_or_else(|p| p.into_inner());
        let mut out: HashMap<WorkspaceId, Vec<Uuid>> = HashMap::new();
        for (id, conns) in &r.by_chat {
            let mut workspaces: Vec<WorkspaceId> =
                conns.iter().filter_map(|c| r.conns.get(c).map(|c| c.workspace)).collect();
            workspaces.sort_unstable();
            workspaces.dedup();
            for ws in workspaces {
                out.entry(ws).or_default().push(*id);
            }
        }
        out
    }

    /// Tells the sockets of `workspace` that follow `id` where it stands in the store.
    pub(crate) fn tip(&self, workspace: WorkspaceId, id: Uuid, last_seq: i64) {
        let r = self.registry.read().unwrap_or_else(|p| p.into_inner());
        let Some(conns) = r.by_chat.get(&id) else { return };
        let tip = Outbound::Tip(Arc::new((id, last_seq)));
        for conn in conns {
            if r.conns.get(conn).is_some_and(|c| c.workspace == workspace) {
                send(&r, *conn, tip.clone());
            }
        }
    }

    /// Sends this node's full presence list now and then, and notices nodes
    /// that went silent.
    pub async fn run_presence(self: Arc<Self>, bus: Arc<dyn artel_core::Bus>) {
        let mut tick = tokio::time::interval(crate::ws::presence::SNAPSHOT_EVERY);
        loop {
            tick.tick().await;
            for envelope in self.presence.full_reports() {
                if let Err(e) = bus.publish(&envelope).await {
                    tracing::debug!(error = %e, "presence report not published");
                }
            }
            for (workspace, user, status) in self.presence.expire() {
                self.notify_presence(workspace, user, status);
            }
        }
    }

    /// Tells this node's sockets in the workspace that a user's status changed,
    /// with the next digest (see `presence_digest.rs`).
    pub fn notify_presence(&self, workspace: WorkspaceId, user: UserId, status: artel_core::event::Presence) {
        self.presence_digest.record(workspace, user, status);
    }

    /// Sends the gathered presence changes to the sockets that follow those
    /// users, every `DIGEST_EVERY`.
    pub async fn run_presence_digests(self: Arc<Self>) {
        let mut tick = tokio::time::interval(DIGEST_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for (workspace, changes) in self.presence_digest.drain() {
                self.deliver_presence(workspace, &changes);
            }
        }
    }

    /// Gives each socket the changes among the users it follows, in the order of
    /// `changes`, in frames of at most `presence_digest::MAX_ENTRIES`.
    fn deliver_presence(&self, workspace: WorkspaceId, changes: &[PresenceEntry]) {
        let r = self.registry.read().unwrap_or_else(|p| p.into_inner());
        let mut per_conn: HashMap<ConnId, Vec<PresenceEntry>> = HashMap::new();
        for change in changes {
            for id in r.watchers.get(&(workspace, change.user_id)).into_iter().flatten() {
                per_conn.entry(*id).or_default().push(*change);
            }
        }
        // Sockets that follow the same people get the same frames: encode once.
        let mut encoded: HashMap<Vec<PresenceEntry>, Vec<Outbound>> = HashMap::new();
        for (id, entries) in per_conn {
            let frames = encoded.entry(entries).or_insert_with_key(|entries| {
                presence_frames(entries)
                    .map(|event| Outbound::frame(ServerFrame::Ephemeral { event: &event }.to_text().into()))
                    .collect()
            });
            for frame in frames.iter() {
                send(&r, id, frame.clone());
            }
        }
    }

    fn dispatch(&self, envelope: Envelope) {
        if let Payload::Ephemeral { event: Ephemeral::NodePresence { node_id, entries, full } } =
            &envelope.payload
        {
            for (user, status) in self.presence.remote_report(envelope.workspace_id, *node_id, entries, *full)
            {
                self.notify_presence(envelope.workspace_id, user, status);
            }
            return;
        }
        let r = self.registry.read().unwrap_or_else(|p| p.into_inner());
        match envelope.payload {
            Payload::Chat { event } => {
                let mut targets: HashSet<ConnId> = r.by_chat.get(&event.chat_id).cloned().unwrap_or_default();
                // A new member's sockets start following the chat now, at dispatch,
                // so the chat's next events are routed to them too.
                let mut joined = Vec::new();
                if let ChatChange::MemberAdded { user_id, .. } = &event.change {
                    joined = self.user_conns(&r, *user_id, envelope.workspace_id);
                    targets.extend(joined.iter().copied());
                }
                if targets.is_empty() {
                    return;
                }
                let chat_id = event.chat_id;
                let live = Outbound::Chat(Arc::new(LiveEvent::new(event)));
                for id in targets {
                    send(&r, id, live.clone());
                }
                drop(r);
                for id in joined {
                    self.join(id, chat_id);
                }
            }
            Payload::Board { event } => {
                let Some(targets) = r.by_chat.get(&event.pipeline_id).cloned() else { return };
                let live = Outbound::Board(Arc::new(LiveBoardEvent::new(event)));
                for id in targets {
                    send(&r, id, live.clone());
                }
            }
            Payload::Ephemeral { event } => {
                let targets: Vec<ConnId> = match &envelope.audience {
                    Audience::Chat { chat_id } | Audience::Board { pipeline_id: chat_id } => {
                        r.by_chat.get(chat_id).map(|s| s.iter().copied().collect()).unwrap_or_default()
                    }
                    Audience::Users { user_ids } => {
                        user_ids.iter().flat_map(|u| self.user_conns(&r, *u, envelope.workspace_id)).collect()
                    }
                    Audience::Workspace => r
                        .by_workspace
                        .get(&envelope.workspace_id)
                        .map(|s| s.iter().copied().collect())
                        .unwrap_or_default(),
                };
                if targets.is_empty() {
                    return;
                }
                let out = match (&event, &envelope.audience) {
                    (
                        Ephemeral::JoinedChat { .. } | Ephemeral::SignedOut { .. } | Ephemeral::AccessChanged,
                        _,
                    ) => Outbound::Control(Arc::new(event)),
                    (_, Audience::Chat { chat_id }) => Outbound::ChatFrame(Arc::new((
                        *chat_id,
                        ServerFrame::Ephemeral { event: &event }.to_text().into(),
                    ))),
                    _ => Outbound::frame(ServerFrame::Ephemeral { event: &event }.to_text().into()),
                };
                for id in targets {
                    send(&r, id, out.clone());
                }
            }
        }
    }

    fn user_conns(&self, r: &Registry, user: UserId, workspace: WorkspaceId) -> Vec<ConnId> {
        r.by_user
            .get(&user)
            .map(|s| {
                s.iter()
                    .copied()
                    .filter(|id| r.conns.get(id).is_some_and(|c| c.workspace == workspace))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Never waits: a socket whose queue is full is told to close (it resumes from
/// its cursor when it reconnects), so one slow reader cannot hold up the rest or
/// grow the server's memory.
fn send(r: &Registry, id: ConnId, out: Outbound) {
    if let Some(conn) = r.conns.get(&id) {
        if let Err(mpsc::error::TrySendError::Full(_)) = conn.tx.try_send(out) {
            conn.overflow.notify_one();
        }
    }
}

fn remove_from<K: std::hash::Hash + Eq>(map: &mut HashMap<K, HashSet<ConnId>>, key: K, conn: ConnId) {
    if let Some(set) = map.get_mut(&key) {
        set.remove(&conn);
        if set.is_empty() {
            map.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Outbound;

    #[test]
    fn a_queued_frame_is_two_words() {
        // Every socket's queue allocates 32 slots up front: keep a slot small.
        assert!(
            std::mem::size_of::<Outbound>() <= 16,
            "Outbound is {} bytes",
            std::mem::size_of::<Outbound>()
        );
    }
}
