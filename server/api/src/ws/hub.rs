//! The node's registry of live sockets and the dispatcher that routes bus
//! envelopes to them. Routing is an index (chat → sockets, user → sockets,
//! workspace → sockets); the final say on what a socket may receive stays with
//! the socket itself, which tracks its memberships and per-chat cursors.
//!
//! The indexes hold each socket's `Route` itself, not its id: fanning an event
//! out to a room walks the room's set and queues to each socket directly, with
//! no lookup, lock or allocation per recipient (issue 25).

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// What the dispatcher needs to reach one socket: one allocation per socket,
/// shared by every index entry of it.
struct Route {
    id: ConnId,
    user: UserId,
    workspace: WorkspaceId,
    tx: mpsc::Sender<Outbound>,
    /// The socket's `Registration::overflow`.
    overflow: Arc<AtomicBool>,
}

/// A socket in an index, hashed and compared by its id, so a set of them is
/// searched and pruned by `ConnId` while each entry leads straight to the
/// socket's queue. One pointer, like the bare id it replaces.
#[derive(Clone)]
struct Member(Arc<Route>);

impl Hash for Member {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must hash as the `ConnId` it borrows as (the `Borrow` contract).
        self.0.id.hash(state);
    }
}

impl PartialEq for Member {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for Member {}

impl Borrow<ConnId> for Member {
    fn borrow(&self) -> &ConnId {
        &self.0.id
    }
}

impl Member {
    /// Never waits: a socket whose queue is full is told to close (it resumes
    /// from its cursor when it reconnects), so one slow reader cannot hold up
    /// the rest or grow the server's memory. A flag, not a wake-up: a full
    /// queue has already woken the socket, which reads the flag on its next pass.
    fn send(&self, out: Outbound) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.0.tx.try_send(out) {
            self.0.overflow.store(true, Ordering::Release);
        }
    }
}

struct Conn {
    route: Member,
    /// The users whose presence this socket follows (`presence_sub`).
    watching: Vec<UserId>,
}

#[derive(Default)]
struct Registry {
    conns: HashMap<ConnId, Conn>,
    by_chat: HashMap<ChatId, HashSet<Member>>,
    by_user: HashMap<UserId, HashSet<Member>>,
    by_workspace: HashMap<WorkspaceId, HashSet<Member>>,
    /// Who follows whose presence.
    watchers: HashMap<(WorkspaceId, UserId), HashSet<Member>>,
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
    /// Set when the socket's queue was full: it is too slow and must go.
    pub overflow: Arc<AtomicBool>,
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
        let overflow = Arc::new(AtomicBool::new(false));
        let route = Member(Arc::new(Route { id, user, workspace, tx, overflow: overflow.clone() }));
        let mut r = self.registry.write().unwrap_or_else(|p| p.into_inner());
        r.by_user.entry(user).or_default().insert(route.clone());
        r.by_workspace.entry(workspace).or_default().insert(route.clone());
        r.conns.insert(id, Conn { route, watching: Vec::new() });
        Registration { id, overflow, hub: self.clone() }
    }

    pub fn join(&self, conn: ConnId, chat: ChatId) {
        let mut r = self.registry.write().unwrap_or_else(|p| p.into_inner());
        if let Some(route) = r.conns.get(&conn).map(|c| c.route.clone()) {
            r.by_chat.entry(chat).or_default().insert(route);
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
        let workspace = c.route.0.workspace;
        for user in std::mem::take(&mut c.watching) {
            remove_from(watchers, (workspace, user), conn);
        }
        for user in users {
            watchers.entry((workspace, *user)).or_default().insert(c.route.clone());
        }
        c.watching = users.to_vec();
    }

    fn unregister(&self, conn: ConnId) {
        let mut r = self.registry.write().unwrap_or_else(|p| p.into_inner());
        let Some(c) = r.conns.remove(&conn) else { return };
        let (user, workspace) = (c.route.0.user, c.route.0.workspace);
        remove_from(&mut r.by_user, user, conn);
        remove_from(&mut r.by_workspace, workspace, conn);
        for user in c.watching {
            remove_from(&mut r.watchers, (workspace, user), conn);
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
        for (id, members) in &r.by_chat {
            let mut workspaces: Vec<WorkspaceId> = members.iter().map(|m| m.0.workspace).collect();
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
        let Some(members) = r.by_chat.get(&id) else { return };
        let tip = Outbound::Tip(Arc::new((id, last_seq)));
        for m in members.iter().filter(|m| m.0.workspace == workspace) {
            m.send(tip.clone());
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
        let mut per_conn: HashMap<ConnId, (&Member, Vec<PresenceEntry>)> = HashMap::new();
        for change in changes {
            for m in r.watchers.get(&(workspace, change.user_id)).into_iter().flatten() {
                per_conn.entry(m.0.id).or_insert_with(|| (m, Vec::new())).1.push(*change);
            }
        }
        // Sockets that follow the same people get the same frames: encode once.
        let mut encoded: HashMap<Vec<PresenceEntry>, Vec<Outbound>> = HashMap::new();
        for (m, entries) in per_conn.into_values() {
            let frames = encoded.entry(entries).or_insert_with_key(|entries| {
                presence_frames(entries)
                    .map(|event| Outbound::frame(ServerFrame::Ephemeral { event: &event }.to_text().into()))
                    .collect()
            });
            for frame in frames.iter() {
                m.send(frame.clone());
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
                let members = r.by_chat.get(&event.chat_id);
                // A new member's sockets start following the chat now, at dispatch,
                // so the chat's next events are routed to them too.
                let mut joined: Vec<&Member> = Vec::new();
                if let ChatChange::MemberAdded { user_id, .. } = &event.change {
                    joined = user_members(&r, *user_id, envelope.workspace_id)
                        .filter(|m| members.is_none_or(|set| !set.contains(*m)))
                        .collect();
                }
                if members.is_none_or(HashSet::is_empty) && joined.is_empty() {
                    return;
                }
                let chat_id = event.chat_id;
                let live = Outbound::Chat(Arc::new(LiveEvent::new(event)));
                for m in members.into_iter().flatten().chain(joined.iter().copied()) {
                    m.send(live.clone());
                }
                let joined: Vec<ConnId> = joined.iter().map(|m| m.0.id).collect();
                drop(r);
                for id in joined {
                    self.join(id, chat_id);
                }
            }
            Payload::Board { event } => {
                let Some(members) = r.by_chat.get(&event.pipeline_id) else { return };
                let live = Outbound::Board(Arc::new(LiveBoardEvent::new(event)));
                for m in members {
                    m.send(live.clone());
                }
            }
            Payload::Ephemeral { event } => {
                let targets: Vec<&Member> = match &envelope.audience {
                    Audience::Chat { chat_id } | Audience::Board { pipeline_id: chat_id } => {
                        r.by_chat.get(chat_id).into_iter().flatten().collect()
                    }
                    Audience::Users { user_ids } => {
                        user_ids.iter().flat_map(|u| user_members(&r, *u, envelope.workspace_id)).collect()
                    }
                    Audience::Workspace => {
                        r.by_workspace.get(&envelope.workspace_id).into_iter().flatten().collect()
                    }
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
                for m in targets {
                    m.send(out.clone());
                }
            }
        }
    }
}

/// The sockets of `user` in `workspace` (user ids are unique across workspaces;
/// the filter guards against a misaddressed envelope, as before).
fn user_members(r: &Registry, user: UserId, workspace: WorkspaceId) -> impl Iterator<Item = &Member> {
    r.by_user.get(&user).into_iter().flatten().filter(move |m| m.0.workspace == workspace)
}

fn remove_from<K: Hash + Eq>(map: &mut HashMap<K, HashSet<Member>>, key: K, conn: ConnId) {
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
