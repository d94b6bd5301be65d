//! One WebSocket connection: authenticate in the first frame, replay what the
//! client missed, then serve live events and client frames until either side
//! leaves. The socket alone decides what it delivers: it knows its memberships
//! and, per chat, the last `seq` it delivered, so it drops duplicates and fills
//! gaps (a lost or late bus message) from the store before going on.

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use artel_core::chat::ChatId;
use artel_core::commands::{self, Line};
use artel_core::event::{Audience, BoardChange, ChatChange, Envelope, Ephemeral, Presence, PresenceEntry};
use artel_core::message::Appended;
use artel_core::Error;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::auth::extractor::authenticate;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::messaging::committer::Committer;
use crate::messaging::send::{prepare, settle, Prepared, SendInput, Sender};
use crate::messaging::wire::MessageDto;
use crate::state::AppState;
use crate::ws::frames::{ChatCursor, ClientFrame, ClientPresence, ServerFrame};
use crate::ws::gate::Gate;
use crate::ws::hub::{LiveBoardEvent, LiveEvent, Outbound};

/// Frames queued for one socket before it counts as too slow.
pub const QUEUE_FRAMES: usize = 1024;
/// Time allowed for the first (auth) frame.
const AUTH_TIMEOUT: Duration = Duration::from_secs(5);
/// Server pings this often; a socket silent for 3 periods is dropped.
pub const HEARTBEAT: Duration = Duration::from_secs(20);
/// Most events replayed per chat on resume before asking the client to resync.
const MAX_REPLAY: i64 = 500;
/// Client frames allowed per second (sustained) and in a burst.
const FRAMES_PER_SEC: f64 = 30.0;
const FRAME_BURST: f64 = 60.0;
/// Typing notices per chat at most this often.
const TYPING_EVERY: Duration = Duration::from_secs(2);
/// Frames written to a socket's buffer before it is flushed even with more to
/// come: bounds what a burst (a replay, a backlog) leaves in the buffer's capacity.
const FLUSH_EVERY: u8 = 16;
/// Queued events handled in one go before the socket's buffer is flushed.
const DRAIN_BATCH: usize = 32;
/// Most users one socket follows the presence of: a screen shows a few dozen
/// people; a bound keeps one socket from costing the digest thousands of entries.
pub const MAX_PRESENCE_SUB: usize = 500;

pub mod close {
    pub const UNAUTHORIZED: u16 = 4401;
    pub const AUTH_TIMEOUT: u16 = 4408;
    pub const SLOW_CONSUMER: u16 = 4008;
    pub const HEARTBEAT_TIMEOUT: u16 = 4000;
    pub const SIGNED_OUT: u16 = 4403;
    pub const TOO_BIG: u16 = 1009;
    /// A text frame that is not UTF-8 (RFC 6455: inconsistent data).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A frame that breaks the protocol (masking, reserved bits, control frames).
    pub const PROTOCOL: u16 = 1002;

    /// The close code and reason owed to a client whose frame could not be read,
    /// or `None` when the connection itself failed (nothing can be sent).
    pub fn for_read_error(e: &axum::Error) -> Option<(u16, &'static str)> {
        use tungstenite::error::{CapacityError, Error as Ws};
        let inner = std::error::Error::source(e)?.downcast_ref::<Ws>()?;
        match inner {
            Ws::Capacity(CapacityError::MessageTooLong { .. }) => Some((TOO_BIG, "frame too large")),
            Ws::Utf8(_) => Some((INVALID_PAYLOAD, "text frames must be UTF-8")),
            Ws::Protocol(_) => Some((PROTOCOL, "protocol error")),
            _ => None,
        }
    }
    /// A fault of ours (database unreachable while signing in): retry later, the
    /// session is still good.
    pub const INTERNAL: u16 = 1011;
}

type Sink = SplitSink<WebSocket, Message>;

/// What an outbound item comes to when it needs no await but the write.
enum Quick {
    Write(Utf8Bytes),
    Skip,
    Slow,
}

struct Conn {
    state: AppState,
    auth: AuthUser,
    /// This socket's own presence (the user's overall one may differ).
    presence: Presence,
    /// The workspace's deal visibility, read when a board is watched.
    deal_visibility: artel_core::crm::deal::DealVisibility,
    conn_id: u64,
    sink: Sink,
    /// Frames buffered in `sink` and not yet flushed to the socket.
    unflushed: u8,
    /// Chats this socket follows, with the last seq delivered.
    cursors: HashMap<ChatId, i64>,
    /// Boards (pipelines) this socket watches, with the last seq delivered.
    boards: HashMap<Uuid, i64>,
    /// Boxed: a channel allocates its first block of 32 slots up front, and an
    /// unboxed send is ~140 bytes, 4 KiB for every socket, idle or not.
    sends: mpsc::Sender<Box<(String, SendInput)>>,
    typing_at: HashMap<ChatId, Instant>,
    tokens: f64,
    tokens_at: Instant,
    /// The chat this socket has in view (`focus` frame), for push suppression.
    focus: Option<ChatId>,
    /// This socket's key in the shared focus table.
    focus_key: Uuid,
}

pub async fn serve(socket: WebSocket, state: AppState) {
    let (mut sink, mut stream) = socket.split();
    // Boxed steps that finish before the socket goes idle: their state would
    // otherwise size every idle socket's task.
    let Some((auth, client_cursors)) =
        Box::pin(authenticate_first_frame(&state, &mut sink, &mut stream)).await
    else {
        return;
    };
    let (tx, rx) = mpsc::channel(QUEUE_FRAMES);
    let registration = state.hub.register(auth.user.id, auth.user.workspace_id, tx.clone());
    let (sends, sends_rx) = mpsc::channel(64);
    tokio::spawn(send_loop(state.clone(), auth.clone(), sends_rx, tx));
    let mut conn = Conn {
        state,
        auth,
        presence: Presence::Offline,
        deal_visibility: artel_core::crm::deal::DealVisibility::All,
        conn_id: registration.id,
        sink,
        unflushed: 0,
        cursors: HashMap::new(),
        boards: HashMap::new(),
        sends,
        typing_at: HashMap::new(),
        tokens: FRAME_BURST,
        tokens_at: Instant::now(),
        focus: None,
        focus_key: Uuid::now_v7(),
    };
    if let Err(e) = Box::pin(conn.start(client_cursors)).await {
        tracing::warn!(error = %e, "socket start failed");
        let _ = conn.close(1011, "internal error").await;
        return;
    }
    Box::pin(conn.set_presence(Presence::Online)).await;
    conn.run(stream, rx, &registration.overflow).await;
    Box::pin(conn.set_focus(None)).await;
    Box::pin(conn.set_presence(Presence::Offline)).await;
    drop(registration);
}

/// Reads the `auth` frame; on failure answers with an error and closes.
async fn authenticate_first_frame(
    state: &AppState,
    sink: &mut Sink,
    stream: &mut SplitStream<WebSocket>,
) -> Option<(AuthUser, HashMap<ChatId, i64>)> {
    let first = match tokio::time::timeout(AUTH_TIMEOUT, next_text(stream)).await {
        Ok(Ok(Some(text))) => text,
        Ok(Ok(None)) => return None,
        Ok(Err(e)) => {
            if let Some((code, reason)) = close::for_read_error(&e) {
                let _ = close_with(sink, code, reason).await;
            }
            return None;
        }
        Err(_) => {
            let _ = close_with(sink, close::AUTH_TIMEOUT, "authenticate within 5 seconds").await;
            return None;
        }
    };
    let (token, cursors) = match serde_json::from_str::<ClientFrame>(&first) {
        Ok(ClientFrame::Auth { token, cursors }) => (token, cursors),
        _ => {
            let _ =
                close_with(sink, close::UNAUTHORIZED, "the first frame must be {\"type\":\"auth\"}").await;
            return None;
        }
    };
    match authenticate(state, &token).await {
        Ok(auth) => Some((auth, cursors)),
        Err(Error::Internal(detail) | Error::Unavailable(detail)) => {
            // Not the client's fault: it must keep its session and retry, not sign out.
            tracing::error!(error = %detail, "socket sign-in failed");
            let _ = sink
                .send(Message::Text(error_frame("internal", "internal error, retry shortly", None)))
                .await;
            let _ = close_with(sink, close::INTERNAL, "internal").await;
            None
        }
        Err(e) => {
            let code = match &e {
                Error::Unauthorized { code, .. } => *code,
                _ => "unauthorized",
            };
            let _ = sink.send(Message::Text(error_frame(code, &e.to_string(), None))).await;
            let _ = close_with(sink, close::UNAUTHORIZED, code).await;
            None
        }
    }
}

/// The next text frame, skipping pings; `None` when the client left, `Err` when
/// a frame could not be read (the caller owes the client a close code).
async fn next_text(stream: &mut SplitStream<WebSocket>) -> Result<Option<String>, axum::Error> {
    while let Some(msg) = stream.next().await {
        match msg? {
            Message::Text(t) => return Ok(Some(t.to_string())),
            Message::Close(_) => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}

async fn close_with(sink: &mut Sink, code: u16, reason: &str) -> Result<(), axum::Error> {
    sink.send(Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from(reason.to_string()) }))).await
}

fn error_frame(code: &str, message: &str, r#ref: Option<&str>) -> Utf8Bytes {
    ServerFrame::Error { code, message, r#ref, usage: None }.to_text().into()
}

/// `invalid_input` for a frame holding a NUL (`text_guard`), naming the field,
/// with the send's `client_msg_id` as `ref` so its sender stops waiting.
fn nul_frame(text: &str) -> Utf8Bytes {
    let value = serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
    let field = crate::text_guard::nul_in_value(&value).unwrap_or_else(|| "frame".to_string());
    let r#ref = value.get("client_msg_id").and_then(|v| v.as_str());
    let message = format!("{field} {}", crate::text_guard::NUL_REASON);
    error_frame("invalid_input", &message, r#ref)
}

impl Conn {
    /// Follows every chat of the user, says `ready`, replays from the client's cursors.
    async fn start(&mut self, client_cursors: HashMap<ChatId, i64>) -> Result<(), Error> {
        let ws = self.auth.user.workspace_id;
        // Join the index before reading the snapshot, so nothing committed in
        // between is missed; anything delivered twice is dropped by seq.
        let chat_ids = self.state.store.member_chat_ids(ws, self.auth.user.id).await?;
        for chat in &chat_ids {
            self.state.hub.join(self.conn_id, *chat);
        }
        // Read together (the store splits the ids into large IN lists): a query per
        // chat made each start of a socket in 1,000 chats cost 1,000 round trips.
        // Kept in membership order; a chat deleted meanwhile is left out, as a read
        // of it alone would have found nothing.
        let mut seqs: HashMap<ChatId, i64> =
            self.state.store.chat_last_seqs(ws, &chat_ids).await?.into_iter().collect();
        let snapshot: Vec<ChatCursor> = chat_ids
            .into_iter()
            .filter_map(|chat_id| seqs.remove(&chat_id).map(|last_seq| ChatCursor { chat_id, last_seq }))
            .collect();
        let ready = ServerFrame::Ready {
            user_id: self.auth.user.id,
            session_id: self.auth.session_id,
            chats: snapshot.iter().map(|c| ChatCursor { chat_id: c.chat_id, last_seq: c.last_seq }).collect(),
            heartbeat_secs: HEARTBEAT.as_secs(),
        };
        self.write(ready.to_text().into()).await?;
        for ChatCursor { chat_id, last_seq } in snapshot {
            match client_cursors.get(&chat_id) {
                Some(&from) if from < last_seq => {
                    self.cursors.insert(chat_id, from.max(0));
                    self.replay(chat_id, last_seq).await?;
                }
                _ => {
                    self.cursors.insert(chat_id, last_seq);
                }
            }
        }
        Ok(())
    }

    /// Delivers the chat's stored events after our cursor, up to `upto`; too many
    /// means "resync" instead.
    async fn replay(&mut self, chat: ChatId, upto: i64) -> Result<(), Error> {
        let Some(&from) = self.cursors.get(&chat) else { return Ok(()) };
        if upto <= from {
            return Ok(());
        }
        // What is written already goes out now, not after the store answers.
        self.flush().await?;
        if upto - from > MAX_REPLAY {
            self.cursors.insert(chat, upto);
            return self.write(ServerFrame::Resync { chat_id: chat, last_seq: upto }.to_text().into()).await;
        }
        let events =
            self.state.store.events_since(self.auth.user.workspace_id, chat, from, upto - from).await?;
        for event in events {
            self.deliver_next(&LiveEvent::new(event)).await?;
        }
        Ok(())
    }

    async fn run(
        &mut self,
        mut stream: SplitStream<WebSocket>,
        mut rx: mpsc::Receiver<Outbound>,
        overflow: &AtomicBool,
    ) {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        // The read half and the heartbeat are polled only once they woke (see
        // `gate.rs`): most passes of this loop are for queued events.
        let (reading, beating) = (Gate::open(), Gate::open());
        let mut last_heard = Instant::now();
        // What `start` wrote (`ready`, the replay) goes out before anything else.
        if let Err(e) = self.flush().await {
            tracing::debug!(error = %e, "socket ends");
            return;
        }
        loop {
            // Read once a pass rather than polled: a queue that overflowed holds
            // events, so the loop comes round at once (see `Member::send`).
            if overflow.load(Ordering::Acquire) {
                tracing::info!(user = %self.auth.user.id, "slow socket disconnected");
                let _ = self
                    .close(close::SLOW_CONSUMER, "too slow: reconnect and resume from your cursors")
                    .await;
                break;
            }
            let step = tokio::select! {
                incoming = poll_fn(|cx| reading.poll(cx, |cx| stream.poll_next_unpin(cx))) => {
                    last_heard = Instant::now();
                    match incoming {
                        // Boxed: the handlers of every client frame would otherwise size
                        // this loop, which every idle socket keeps alive.
                        Some(Ok(Message::Text(text))) => Box::pin(self.on_text(&text)).await,
                        Some(Ok(Message::Binary(_))) => self.write(error_frame("unsupported_frame", "frames are JSON text", None)).await,
                        Some(Ok(Message::Close(_))) | None => break,
                        Some(Ok(_)) => Ok(()),
                        Some(Err(e)) => {
                            // Oversize, non-UTF-8 or malformed frames end here: tell the client why.
                            if let Some((code, reason)) = close::for_read_error(&e) {
                                let _ = self.close(code, reason).await;
                            }
                            break;
                        }
                    }
                }
                out = rx.recv() => match out {
                    Some(out) => self.on_outbound_batch(out, &mut rx).await,
                    None => break,
                },
                _ = poll_fn(|cx| beating.poll(cx, |cx| heartbeat.poll_tick(cx))) => {
                    if last_heard.elapsed() > HEARTBEAT * 3 {
                        let _ = self.close(close::HEARTBEAT_TIMEOUT, "no heartbeat").await;
                        break;
                    }
                    if self.focus.is_some() {
                        Box::pin(self.set_focus(self.focus)).await;
                    }
                    // `send` flushes whatever is buffered, the ping last.
                    self.unflushed = 0;
                    self.sink.send(Message::Ping(Default::default())).await.map_err(|e| Error::Internal(e.to_string()))
                }
            };
            // One flush (one write to the socket) for everything the step wrote.
            let step = match step {
                Ok(()) => self.flush().await,
                Err(e) => Err(e),
            };
            match step {
                Ok(()) => {}
                Err(Error::Unauthorized { .. }) => {
                    let _ = self.close(close::SIGNED_OUT, "signed out").await;
                    break;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "socket ends");
                    break;
                }
            }
        }
    }

    /// Changes this socket's presence and announces the user's if it changed:
    /// to this node's sockets directly, to the other nodes over the bus.
    async fn set_presence(&mut self, to: Presence) {
        let (ws, user) = (self.auth.user.workspace_id, self.auth.user.id);
        let from = std::mem::replace(&mut self.presence, to);
        let Some(change) = self.state.hub.presence.socket_changed(ws, user, from, to) else { return };
        if let Some(status) = change.effective {
            self.state.hub.notify_presence(ws, user, status);
        }
        let delta = self.state.hub.presence.delta(&change);
        if let Err(e) = self.state.bus.publish(&delta).await {
            tracing::debug!(error = %e, "presence change not published");
        }
    }

    /// Records (or refreshes, or clears) the chat in view, shared by all nodes
    /// through the store with a short expiry, so a node that dies cannot keep
    /// suppressing someone's pushes.
    async fn set_focus(&mut self, chat: Option<ChatId>) {
        if chat.is_none() && self.focus.is_none() {
            return;
        }
        self.focus = chat;
        let expires = self.state.clock.now() + crate::push::FOCUS_TTL;
        let (ws, user) = (self.auth.user.workspace_id, self.auth.user.id);
        if let Err(e) = self.state.store.set_focus(self.focus_key, ws, user, chat, expires).await {
            tracing::debug!(error = %e, "focus not recorded");
        }
    }

    /// Buffers a frame; the serving loop flushes once per step, so events queued
    /// together (an ack and the sender's own message, a busy room) leave in one
    /// write instead of one system call each.
    async fn write(&mut self, text: Utf8Bytes) -> Result<(), Error> {
        self.sink
            .feed(Message::Text(text))
            .await
            .map_err(|e| Error::Internal(format!("socket write: {e}")))?;
        self.unflushed += 1;
        if self.unflushed >= FLUSH_EVERY {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Error> {
        if self.unflushed == 0 {
            return Ok(());
        }
        self.unflushed = 0;
        self.sink.flush().await.map_err(|e| Error::Internal(format!("socket write: {e}")))
    }

    /// Handles an event and whatever else is already queued for this socket (up
    /// to a bound, so client frames and heartbeats still get their turn).
    async fn on_outbound_batch(
        &mut self,
        first: Outbound,
        rx: &mut mpsc::Receiver<Outbound>,
    ) -> Result<(), Error> {
        let mut next = Some(first);
        for _ in 0..DRAIN_BATCH {
            let Some(out) = next.take().or_else(|| rx.try_recv().ok()) else { break };
            match self.quick(&out) {
                Quick::Write(frame) => self.write(frame).await?,
                Quick::Skip => {}
                // Boxed: an event's full handling (a gap to fill from the store,
                // a membership change) is a deep future, and this loop is what
                // every idle socket keeps alive.
                Quick::Slow => Box::pin(self.on_outbound(out)).await?,
            }
        }
        Ok(())
    }

    /// Settles the common cases without awaiting (the next event of a followed
    /// chat, a duplicate, a ready frame), so a delivery costs no allocation;
    /// `on_outbound` handles the rest, and handles these the same way.
    fn quick(&mut self, out: &Outbound) -> Quick {
        match out {
            Outbound::Chat(live) => {
                let event = &live.event;
                let Some(cursor) = self.cursors.get_mut(&event.chat_id) else { return Quick::Slow };
                let removes_me = matches!(&event.change,
                    ChatChange::MemberRemoved { user_id, .. } if *user_id == self.auth.user.id);
                if event.seq <= *cursor {
                    Quick::Skip
                } else if event.seq == *cursor + 1 && !removes_me {
                    *cursor = event.seq;
                    Quick::Write(live.text.clone())
                } else {
                    Quick::Slow
                }
            }
            Outbound::Frame(text) => Quick::Write(Utf8Bytes::clone(text)),
            Outbound::ChatFrame(frame) if self.cursors.contains_key(&frame.0) => {
                Quick::Write(frame.1.clone())
            }
            Outbound::ChatFrame(..) => Quick::Skip,
            _ => Quick::Slow,
        }
    }

    async fn close(&mut self, code: u16, reason: &str) -> Result<(), axum::Error> {
        close_with(&mut self.sink, code, reason).await
    }

    async fn on_outbound(&mut self, out: Outbound) -> Result<(), Error> {
        match out {
            Outbound::Chat(live) => self.deliver_in_order(&live).await,
            Outbound::Board(live) => self.deliver_board_in_order(&live).await,
            Outbound::Frame(text) => self.write(Utf8Bytes::clone(&text)).await,
            // Re-checked here: the socket may have left the chat after routing.
            Outbound::ChatFrame(frame) if self.cursors.contains_key(&frame.0) => {
                self.write(frame.1.clone()).await
            }
            Outbound::ChatFrame(..) => Ok(()),
            Outbound::Tip(tip) => {
                let (id, last) = *tip;
                if self.cursors.get(&id).is_some_and(|&at| at < last) {
                    self.replay(id, last).await
                } else if self.boards.get(&id).is_some_and(|&at| at < last) {
                    self.replay_board(id, last).await
                } else {
                    Ok(())
                }
            }
            Outbound::Control(event) => match event.as_ref() {
                Ephemeral::JoinedChat { chat_id, user_id } if *user_id == self.auth.user.id => {
                    if !self.cursors.contains_key(chat_id) {
                        self.state.hub.join(self.conn_id, *chat_id);
                        self.cursors.insert(*chat_id, 0);
                        self.flush().await?;
                        let last =
                            self.state.store.get_chat(self.auth.user.workspace_id, *chat_id).await?.last_seq;
                        self.replay(*chat_id, last).await?;
                    }
                    Ok(())
                }
                Ephemeral::AccessChanged => self.reload_access().await,
                Ephemeral::SignedOut { user_id, session_id } if *user_id == self.auth.user.id => {
                    if session_id.is_none_or(|s| s == self.auth.session_id) {
                        return Err(Error::unauthorized("session_revoked", "signed out"));
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
        }
    }

    /// Delivers a chat event exactly once and in order: duplicates are dropped,
    /// gaps are filled from the store first, and membership changes of this user
    /// take effect between events, never around them.
    async fn deliver_in_order(&mut self, live: &LiveEvent) -> Result<(), Error> {
        let event = &live.event;
        let newly_added = !self.cursors.contains_key(&event.chat_id);
        let Some(cursor) = self.follow(live) else { return Ok(()) };
        if event.seq > cursor + 1 {
            // Counted in the debug log: across nodes, how often the bus delivers
            // out of order is what this path costs the database.
            tracing::debug!(chat = %event.chat_id, missing = event.seq - 1 - cursor, "gap filled from the store");
            self.replay(event.chat_id, event.seq - 1).await?;
        }
        self.deliver_next(live).await?;
        if newly_added && self.cursors.contains_key(&event.chat_id) {
            // Events of the chat committed after our addition may have been routed
            // before this socket followed the chat: read them from the store.
            self.flush().await?;
            let last = self.state.store.get_chat(self.auth.user.workspace_id, event.chat_id).await?.last_seq;
            self.replay(event.chat_id, last).await?;
        }
        Ok(())
    }

    /// This socket's cursor for the event's chat, starting to follow the chat when
    /// the event adds this user to it; `None` for chats it does not follow.
    fn follow(&mut self, live: &LiveEvent) -> Option<i64> {
        let event = &live.event;
        if let Some(&c) = self.cursors.get(&event.chat_id) {
            return Some(c);
        }
        match &event.change {
            ChatChange::MemberAdded { user_id, .. } if *user_id == self.auth.user.id => {
                self.state.hub.join(self.conn_id, event.chat_id);
                self.cursors.insert(event.chat_id, event.seq - 1);
                Some(event.seq - 1)
            }
            _ => None,
        }
    }

    /// Writes the event if it is the next one of a followed chat (anything else —
    /// a duplicate, or a chat left meanwhile — is dropped) and applies its effect
    /// on this socket's memberships.
    async fn deliver_next(&mut self, live: &LiveEvent) -> Result<(), Error> {
        let event = &live.event;
        let Some(cursor) = self.follow(live) else { return Ok(()) };
        if event.seq <= cursor {
            return Ok(());
        }
        self.write(live.text.clone()).await?;
        self.cursors.insert(event.chat_id, event.seq);
        if let ChatChange::MemberRemoved { user_id, .. } = &event.change {
            if *user_id == self.auth.user.id {
                self.cursors.remove(&event.chat_id);
                self.state.hub.leave(self.conn_id, event.chat_id);
            }
        }
        Ok(())
    }

    /// Re-reads this user's role and the workspace's deal visibility, so board
    /// events from now on are judged by the rights as they are, not as they were
    /// when the socket signed in.
    async fn reload_access(&mut self) -> Result<(), Error> {
        let ws = self.auth.user.workspace_id;
        let user = self.state.store.get_user(ws, self.auth.user.id).await?;
        if !user.is_active() {
            return Err(Error::unauthorized("session_revoked", "signed out"));
        }
        self.auth.user = user;
        self.deal_visibility = self.state.store.get_workspace(ws).await?.settings.deal_visibility;
        Ok(())
    }

    /// Starts following a board: live events from now, and with a cursor the
    /// events after it (or `resync` when too many were missed).
    async fn watch_board(&mut self, pipeline: Uuid, cursor: Option<i64>) -> Result<(), Error> {
        let ws = self.auth.user.workspace_id;
        match self.state.store.get_pipeline(ws, pipeline).await {
            Ok(_) => {}
            Err(artel_core::StoreError::NotFound(_)) => {
                return self.write(error_frame("not_found", "pipeline not found", None)).await;
            }
            Err(e) => return Err(e.into()),
        }
        self.deal_visibility = self.state.store.get_workspace(ws).await?.settings.deal_visibility;
        // Join before reading last_seq: anything in between is deduplicated by seq.
        self.state.hub.join(self.conn_id, pipeline);
        let last = self.state.store.board_last_seq(ws, pipeline).await?;
        self.write(ServerFrame::Watching { pipeline_id: pipeline, last_seq: last }.to_text().into()).await?;
        match cursor {
            Some(from) if from < last => {
                self.boards.insert(pipeline, from.max(0));
                self.replay_board(pipeline, last).await
            }
            _ => {
                self.boards.insert(pipeline, last);
                Ok(())
            }
        }
    }

    async fn replay_board(&mut self, pipeline: Uuid, upto: i64) -> Result<(), Error> {
        let Some(&from) = self.boards.get(&pipeline) else { return Ok(()) };
        if upto <= from {
            return Ok(());
        }
        self.flush().await?;
        if upto - from > MAX_REPLAY {
            self.boards.insert(pipeline, upto);
            return self
                .write(ServerFrame::Resync { chat_id: pipeline, last_seq: upto }.to_text().into())
                .await;
        }
        let ws = self.auth.user.workspace_id;
        // A stored card is the deal as it was; whether it may be shown is judged
        // by the deal as it is now (someone taken off a deal sees none of it).
        let mut visible_now: HashMap<Uuid, bool> = HashMap::new();
        for event in self.state.store.board_events_since(ws, pipeline, from, upto - from).await? {
            let visible = match &event.change {
                BoardChange::DealUpserted { deal, .. } => match visible_now.get(&deal.id) {
                    Some(v) => *v,
                    None => {
                        let v = match self.state.store.get_deal(ws, deal.id).await {
                            Ok(current) => current.visible_to(&self.auth.user, self.deal_visibility),
                            Err(artel_core::StoreError::NotFound(_)) => false,
                            Err(e) => return Err(e.into()),
                        };
                        visible_now.insert(deal.id, v);
                        v
                    }
                },
                _ => true,
            };
            self.deliver_board_next(&LiveBoardEvent::new(event), Some(visible)).await?;
        }
        Ok(())
    }

    /// Board events: exactly once, in order, gaps filled from the store; a deal
    /// this user may not see goes out in its hidden form.
    async fn deliver_board_in_order(&mut self, live: &LiveBoardEvent) -> Result<(), Error> {
        let Some(&cursor) = self.boards.get(&live.event.pipeline_id) else { return Ok(()) };
        if live.event.seq > cursor + 1 {
            self.replay_board(live.event.pipeline_id, live.event.seq - 1).await?;
        }
        self.deliver_board_next(live, None).await
    }

    /// `visible` overrides the judgement from the event's own card (a replay
    /// judges by the deal's current state).
    async fn deliver_board_next(
        &mut self,
        live: &LiveBoardEvent,
        visible: Option<bool>,
    ) -> Result<(), Error> {
        let event = &live.event;
        let Some(&cursor) = self.boards.get(&event.pipeline_id) else { return Ok(()) };
        if event.seq <= cursor {
            return Ok(());
        }
        let visible = visible.unwrap_or_else(|| match &event.change {
            BoardChange::DealUpserted { deal, .. } => deal.visible_to(&self.auth.user, self.deal_visibility),
            _ => true,
        });
        let frame = if !visible {
            live.hidden.clone()
        } else if self.auth.user.role == artel_core::user::Role::Guest {
            live.no_clients.clone()
        } else {
            live.full.clone()
        };
        self.write(frame).await?;
        self.boards.insert(event.pipeline_id, event.seq);
        Ok(())
    }

    fn allow_frame(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.tokens_at).as_secs_f64();
        self.tokens_at = now;
        self.tokens = (self.tokens + elapsed * FRAMES_PER_SEC).min(FRAME_BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    async fn on_text(&mut self, text: &str) -> Result<(), Error> {
        if !self.allow_frame() {
            return self.write(error_frame("rate_limited", "too many frames; slow down", None)).await;
        }
        if crate::text_guard::json_text_has_nul(text) {
            return self.write(nul_frame(text)).await;
        }
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => frame,
            Err(e) => {
                let message = format!("unreadable frame: {e}");
                return self.write(error_frame("bad_frame", &message, None)).await;
            }
        };
        match frame {
            ClientFrame::Auth { .. } => {
                self.write(error_frame("bad_frame", "already authenticated", None)).await
            }
            ClientFrame::Ping => self.write(ServerFrame::Pong.to_text().into()).await,
            ClientFrame::WatchBoard { pipeline_id, cursor } => self.watch_board(pipeline_id, cursor).await,
            ClientFrame::UnwatchBoard { pipeline_id } => {
                self.boards.remove(&pipeline_id);
                self.state.hub.leave(self.conn_id, pipeline_id);
                Ok(())
            }
            ClientFrame::Presence { status } => {
                let to = match status {
                    ClientPresence::Online => Presence::Online,
                    ClientPresence::Away => Presence::Away,
                };
                self.set_presence(to).await;
                Ok(())
            }
            ClientFrame::PresenceSub { mut user_ids } => {
                if user_ids.len() > MAX_PRESENCE_SUB {
                    let message = format!("presence_sub names at most {MAX_PRESENCE_SUB} users");
                    return self.write(error_frame("bad_frame", &message, None)).await;
                }
                user_ids.sort_unstable();
                user_ids.dedup();
                // A guest follows only people they share a chat with, as on REST.
                let known = crate::directory::known_people(&self.state, &self.auth.user).await?;
                user_ids.retain(|u| crate::directory::knows(&known, *u));
                self.state.hub.watch_presence(self.conn_id, &user_ids);
                // Their statuses now; their changes come with the digests. Users of
                // other workspaces are never online here: they read as offline.
                let tracker = &self.state.hub.presence;
                let now: Vec<PresenceEntry> = user_ids
                    .iter()
                    .map(|u| PresenceEntry {
                        user_id: *u,
                        status: tracker.effective(self.auth.user.workspace_id, *u),
                    })
                    .collect();
                for event in crate::ws::presence_digest::frames(&now) {
                    self.write(ServerFrame::Ephemeral { event: &event }.to_text().into()).await?;
                }
                Ok(())
            }
            ClientFrame::Send { chat_id, body, client_msg_id, thread_root_id, attachment_ids } => {
                let input = SendInput {
                    chat_id,
                    body,
                    client_msg_id: Some(client_msg_id.clone()),
                    thread_root_id,
                    attachment_ids,
                };
                if self.sends.try_send(Box::new((client_msg_id.clone(), input))).is_err() {
                    return self
                        .write(error_frame("rate_limited", "too many sends in flight", Some(&client_msg_id)))
                        .await;
                }
                Ok(())
            }
            ClientFrame::Focus { chat_id } => {
                if !self.cursors.contains_key(&chat_id) {
                    return self
                        .write(error_frame("forbidden", "you are not a member of this chat", None))
                        .await;
                }
                self.set_focus(Some(chat_id)).await;
                Ok(())
            }
            ClientFrame::Blur => {
                self.set_focus(None).await;
                Ok(())
            }
            ClientFrame::Typing { chat_id } => {
                if !self.cursors.contains_key(&chat_id) {
                    return self
                        .write(error_frame("forbidden", "you are not a member of this chat", None))
                        .await;
                }
                let now = Instant::now();
                if self.typing_at.get(&chat_id).is_some_and(|t| now.duration_since(*t) < TYPING_EVERY) {
                    return Ok(());
                }
                self.typing_at.insert(chat_id, now);
                let envelope = Envelope::ephemeral(
                    self.auth.user.workspace_id,
                    Audience::Chat { chat_id },
                    Ephemeral::Typing { chat_id, user_id: self.auth.user.id },
                );
                if let Err(e) = self.state.bus.publish(&envelope).await {
                    tracing::debug!(error = %e, "typing notice not published");
                }
                Ok(())
            }
            ClientFrame::Read { chat_id, seq } => {
                if !self.cursors.contains_key(&chat_id) {
                    return self
                        .write(error_frame("forbidden", "you are not a member of this chat", None))
                        .await;
                }
                let ws = self.auth.user.workspace_id;
                let member = self.state.store.mark_read(ws, chat_id, self.auth.user.id, seq).await?;
                let envelope = Envelope::ephemeral(
                    ws,
                    Audience::Chat { chat_id },
                    Ephemeral::ReadUpTo { chat_id, user_id: self.auth.user.id, seq: member.last_read_seq },
                );
                let _ = self.state.bus.publish(&envelope).await;
                Ok(())
            }
        }
    }
}

/// Sends of one socket, in the order the client sent them: each is checked, then
/// queued for group commit without waiting for the previous commit; acks are
/// written as commits complete.
async fn send_loop(
    state: AppState,
    auth: AuthUser,
    mut rx: mpsc::Receiver<Box<(String, SendInput)>>,
    out: mpsc::Sender<Outbound>,
) {
    while let Some(next) = rx.recv().await {
        // Boxed: this task idles at `recv` for the socket's whole life, and one
        // send's state inline (checks, the message, the hand-off to the
        // committer) would size it.
        Box::pin(send_one(&state, &auth, &out, *next)).await;
    }
}

/// Checks one send and queues it for commit; its ack goes out once committed.
async fn send_one(
    state: &AppState,
    auth: &AuthUser,
    out: &mpsc::Sender<Outbound>,
    (client_msg_id, mut input): (String, SendInput),
) {
    match commands::classify(&input.body) {
        Line::Command(line) => {
            let frame = command_frame(state, auth, &input, line, &client_msg_id).await;
            let _ = out.send(Outbound::frame(frame)).await;
            return;
        }
        Line::Literal(text) => input.body = text.to_string(),
        Line::Text => {}
    }
    let sender = Sender::of(&auth.user, &input);
    let pending = match prepare(state, &auth.user, input).await {
        Ok(Prepared::Existing(message)) => Ok(Err(Appended { message, event: None })),
        Ok(Prepared::New(message)) => state.committer.enqueue(message).await.map(Ok),
        Err(e) => Err(e),
    };
    match pending {
        Ok(Ok(pending)) => {
            let out = out.clone();
            let checks = state.send_checks.clone();
            tokio::spawn(async move {
                let outcome = settle(&checks, sender, Committer::outcome(pending).await).await;
                let frame = ack_frame(&client_msg_id, outcome);
                // Awaited, not dropped: an ack is a promise to the client.
                let _ = out.send(Outbound::frame(frame)).await;
            });
        }
        Ok(Err(existing)) => {
            let _ = out.send(Outbound::frame(ack_frame(&client_msg_id, Ok(existing)))).await;
        }
        Err(e) => {
            let _ = out.send(Outbound::frame(ack_frame(&client_msg_id, Err(e)))).await;
        }
    }
}

/// Runs a slash-command typed on this socket: `command_result` on success,
/// `error` (with `ref` and `usage`) when refused; both to this socket only.
async fn command_frame(
    state: &AppState,
    auth: &AuthUser,
    input: &SendInput,
    line: &str,
    client_msg_id: &str,
) -> Utf8Bytes {
    let result = match crate::http::commands::check_send(input) {
        Err(e) => Err(crate::commands::CommandFailure::plain(e)),
        Ok(()) => match crate::commands::Ctx::load_for_line(state, &auth.user, input.chat_id, line).await {
            Err(e) => Err(crate::commands::CommandFailure::plain(e)),
            Ok(ctx) => crate::commands::run(state, &ctx, line, Some(client_msg_id)).await,
        },
    };
    match result {
        Ok(result) => ServerFrame::CommandResult { client_msg_id, result: &result }.to_text().into(),
        Err(f) => ServerFrame::Error {
            code: f.error.code,
            message: &f.error.message,
            r#ref: Some(client_msg_id),
            usage: f.usage.as_deref(),
        }
        .to_text()
        .into(),
    }
}

/// `ack` for a committed (or earlier) message, `error` with the same ref otherwise.
fn ack_frame(client_msg_id: &str, result: Result<Appended, Error>) -> Utf8Bytes {
    match result {
        Ok(appended) => {
            let dto = MessageDto::new(&appended.message);
            ServerFrame::Ack { client_msg_id, message: &dto }.to_text().into()
        }
        Err(e) => {
            let api = ApiError::from(e);
            error_frame(api.code, &api.message, Some(client_msg_id))
        }
    }
}
