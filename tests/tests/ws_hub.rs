//! The WebSocket hub from outside: the handshake (auth frame, origin check, time
//! limit), the delivery guarantees of DESIGN.md "Real-time delivery" (ack after
//! commit, one gap-free order, idempotent sends, replay or resync on reconnect,
//! audience follows membership at once), typing and read marks, and how the socket
//! treats bad, oversize and too many frames.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use artel_tests::ws_client::WsClient;
use artel_tests::{on_every_backend, Backend, Session, TestApp};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::ORIGIN;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn uuid_of(v: &Value) -> Uuid {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).parse().expect("uuid")
}

fn seq(v: &Value) -> i64 {
    v["seq"].as_i64().unwrap_or_else(|| panic!("no seq in {v}"))
}

async fn new_chat(
    app: &TestApp,
    by: &Session,
    kind: &str,
    name: &str,
    private: bool,
    members: &[&Session],
) -> Uuid {
    let member_ids: Vec<Uuid> = members.iter().map(|s| s.user_id).collect();
    let r = app
        .post(
            "/chats",
            tok(by),
            json!({"kind": kind, "name": name, "is_private": private, "member_ids": member_ids}),
        )
        .await;
    r.expect(201);
    uuid_of(&r.body["id"])
}

async fn channel(app: &TestApp, by: &Session, name: &str, members: &[&Session]) -> Uuid {
    new_chat(app, by, "channel", name, false, members).await
}

/// Sends over REST (expects 201), returns the message.
async fn rest_send(app: &TestApp, by: &Session, chat: Uuid, body: &str) -> Value {
    let r = app.post(&format!("/chats/{chat}/messages"), tok(by), json!({"body": body})).await;
    r.expect(201);
    r.body
}

async fn history(app: &TestApp, by: &Session, chat: Uuid, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/chats/{chat}/messages?{query}"), &by.access_token).await;
    r.expect(200);
    r.body.as_array().expect("array").clone()
}

async fn last_seq(app: &TestApp, by: &Session, chat: Uuid) -> i64 {
    let r = app.get(&format!("/chats/{chat}"), &by.access_token).await;
    r.expect(200);
    r.body["last_seq"].as_i64().expect("last_seq")
}

/// A socket that has not authenticated yet.
async fn connect(app: &TestApp) -> WsClient {
    let (socket, _) = tokio_tungstenite::connect_async(app.ws_url()).await.expect("ws connect");
    WsClient { socket, ready: Value::Null }
}

/// Presence reaches only sockets that follow someone (`presence_sub`), which
/// these tests' sockets do not; they still look past it, so that a test about
/// chats never depends on presence.
fn is_presence(f: &Value) -> bool {
    f["type"] == "ephemeral" && f["event"]["type"] == "presence_changes"
}

/// The next frame that is not a presence notice.
async fn next_frame(c: &mut WsClient) -> Value {
    c.next_where(|f| !is_presence(f)).await
}

/// The next `event` frame of `chat`, skipping frames of other chats and ephemeral ones.
async fn next_event_in(c: &mut WsClient, chat: Uuid) -> Value {
    let chat = chat.to_string();
    c.next_where(|f| f["type"] == "event" && f["chat_id"] == chat.as_str()).await
}

/// Every frame `c` gets before the event of the message `body` in `chat`
/// (presence notices left out). The marker is the barrier a quiet window only
/// hoped for: whatever reached the bus before the marker's commit reaches the
/// socket before its event (the bus keeps publish order, the hub keeps it per
/// socket), so "nothing came before the marker" means nothing came at all.
async fn frames_before(c: &mut WsClient, chat: Uuid, body: &str) -> Vec<Value> {
    let chat = chat.to_string();
    let mut before = Vec::new();
    loop {
        let f = next_frame(c).await;
        if f["type"] == "event" && f["chat_id"] == chat.as_str() && f["change"]["message"]["body"] == body {
            return before;
        }
        before.push(f);
    }
}

/// `by` posts `marker` into `chat` over REST; then asserts that `c` got no
/// frame at all (presence aside) before the marker's event.
async fn silent_until_marker(
    app: &TestApp,
    by: &Session,
    chat: Uuid,
    marker: &str,
    c: &mut WsClient,
    what: &str,
) {
    rest_send(app, by, chat, marker).await;
    let before = frames_before(c, chat, marker).await;
    assert!(before.is_empty(), "{what}: unexpected frames {before:?}");
}

/// Like `silent_until_marker`, but ephemeral frames (typing, read marks) may come:
/// no `event` frame before the marker.
async fn no_event_until_marker(
    app: &TestApp,
    by: &Session,
    chat: Uuid,
    marker: &str,
    c: &mut WsClient,
    what: &str,
) {
    rest_send(app, by, chat, marker).await;
    let before = frames_before(c, chat, marker).await;
    let events: Vec<&Value> = before.iter().filter(|f| f["type"] == "event").collect();
    assert!(events.is_empty(), "{what}: unexpected events {events:?}");
}

/// The next `error` frame.
async fn next_error(c: &mut WsClient) -> Value {
    c.next_where(|f| f["type"] == "error").await
}

/// Pings and waits for the pong: the socket is open and serving.
async fn assert_alive(c: &mut WsClient) {
    c.send_json(json!({"type": "ping"})).await;
    let f = c.next_where(|f| f["type"] != "ephemeral").await;
    assert_eq!(f["type"], "pong", "expected pong, got {f}");
}

// ---- Handshake ---------------------------------------------------------------------

async fn bad_token_gets_an_error_frame_then_4401(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let mut tampered = owner.access_token.clone();
    tampered.push('x');
    let other = app.login("owner@acme.test", None).await;
    app.call("POST", "/auth/logout", tok(&other), None).await.expect(204);

    for token in ["not-a-token".to_string(), String::new(), tampered, other.access_token.clone()] {
        let mut c = connect(&app).await;
        c.send_json(json!({"type": "auth", "token": token})).await;
        let f = next_frame(&mut c).await;
        assert_eq!(f["type"], "error", "{f}");
        let code = f["code"].as_str().expect("code");
        assert!(!code.is_empty() && code != "internal", "{f}");
        assert!(f["message"].is_string(), "{f}");
        assert!(!f.to_string().contains(&owner.access_token), "the token is not echoed back");
        let closed = c.closed().await;
        assert_eq!(closed.code, Some(4401), "token {token:?}: {closed:?}");
    }
    // A signed-out session is named as such.
    let mut c = connect(&app).await;
    c.send_json(json!({"type": "auth", "token": other.access_token})).await;
    assert_eq!(next_frame(&mut c).await["code"], "session_revoked");
    // The right token still works.
    let mut ok = app.ws(&owner.access_token, &[]).await;
    assert_eq!(uuid_of(&ok.ready["user_id"]), owner.user_id);
    assert_alive(&mut ok).await;
}

async fn a_silent_socket_is_closed_with_4408(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let c = connect(&app).await;
    let started = Instant::now();
    // This test is about time: the server waits 5 s for the auth frame.
    let closed = c.closed().await;
    assert_eq!(closed.code, Some(4408), "{closed:?}");
    assert!(started.elapsed() >= Duration::from_millis(4500), "closed after {:?}", started.elapsed());
    // Only unauthenticated sockets are timed out.
    let mut ok = app.ws(&owner.access_token, &[]).await;
    assert_alive(&mut ok).await;
}

async fn the_first_frame_must_be_auth(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let chat = channel(&app, &owner, "general", &[]).await;
    let firsts = vec![
        json!({"type": "ping"}).to_string(),
        json!({"type": "send", "chat_id": chat, "body": "hi", "client_msg_id": "m1"}).to_string(),
        json!({"type": "auth"}).to_string(),
        json!({"token": owner.access_token}).to_string(),
        "hello".to_string(),
    ];
    for first in firsts {
        let mut c = connect(&app).await;
        c.send_raw(Message::Text(first.clone().into())).await;
        let closed = c.closed().await;
        assert_eq!(closed.code, Some(4401), "first frame {first}: {closed:?}");
    }
    assert!(history(&app, &owner, chat, "").await.is_empty(), "nothing was sent without auth");
}

async fn foreign_origins_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let handshake = |origin: String| {
        let url = app.ws_url();
        async move {
            let mut req = url.into_client_request().expect("request");
            req.headers_mut().insert(ORIGIN, HeaderValue::from_str(&origin).expect("header"));
            tokio_tungstenite::connect_async(req).await
        }
    };
    let addr = app.addr;
    for evil in [
        "https://evil.example".to_string(),
        "null".to_string(),
        format!("http://{addr}.evil.example"),
        format!("http://evil.example/{addr}"),
        format!("http://evil.example?{addr}"),
    ] {
        match handshake(evil.clone()).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status().as_u16(), 403, "origin {evil}");
                // The client hands over whatever part of the body came with the head.
                let body = resp.body().clone().unwrap_or_default();
                if !body.is_empty() {
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    assert_eq!(body["error"]["code"], "origin_not_allowed", "origin {evil}: {body}");
                }
            }
            Ok(_) => panic!("origin {evil} was let in"),
            Err(e) => panic!("origin {evil}: unexpected failure {e}"),
        }
    }
    // The server's own origin is fine (with or without a trailing slash).
    for own in [format!("http://{addr}"), format!("http://{addr}/")] {
        let (socket, resp) = handshake(own.clone()).await.unwrap_or_else(|e| panic!("origin {own}: {e}"));
        assert_eq!(resp.status().as_u16(), 101);
        let mut c = WsClient { socket, ready: Value::Null };
        c.send_json(json!({"type": "auth", "token": owner.access_token})).await;
        assert_eq!(next_frame(&mut c).await["type"], "ready");
        assert_alive(&mut c).await;
    }
}

// ---- Guarantee 1: an ack means committed --------------------------------------------

async fn an_ack_means_the_message_is_committed(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let chat = channel(&app, &owner, "general", &[&bob]).await;
    let mut a = app.ws(&owner.access_token, &[]).await;
    let ready_chat =
        a.ready["chats"].as_array().expect("chats").iter().find(|c| uuid_of(&c["chat_id"]) == chat).cloned();
    assert_eq!(ready_chat.expect("chat in ready")["last_seq"], 1);
    assert_eq!(a.ready["heartbeat_secs"], 20);

    for i in 0..10 {
        a.send_message(chat, &format!("message {i}"), &format!("k{i}")).await;
    }
    let mut acked: HashMap<String, Value> = HashMap::new();
    while acked.len() < 10 {
        let ack = a.next_where(|f| f["type"] == "ack").await;
        let m = ack["message"].clone();
        // The moment the ack is here, the message is in the history, for anyone.
        let page = history(&app, &bob, chat, &format!("after={}&limit=1", seq(&m) - 1)).await;
        assert_eq!(page.len(), 1, "acked message missing from history: {ack}");
        assert_eq!(page[0]["id"], m["id"]);
        assert_eq!(page[0]["body"], m["body"]);
        assert_eq!(m["client_msg_id"], ack["client_msg_id"]);
        assert_eq!(uuid_of(&m["author_id"]), owner.user_id);
        assert!(acked.insert(ack["client_msg_id"].as_str().expect("id").to_string(), m).is_none());
    }
    // A socket's sends keep their order.
    let order: Vec<i64> = (0..10).map(|i| seq(&acked[&format!("k{i}")])).collect();
    assert!(order.windows(2).all(|w| w[1] == w[0] + 1), "{order:?}");
    assert_eq!(acked["k3"]["body"], "message 3");
    assert_eq!(acked["k3"]["html"], "<p>message 3</p>\n");
}

// ---- Guarantee 2: one order, no gaps --------------------------------------------------

/// Sends `n` messages tagged `tag`, then reads until `total` message events and `n`
/// acks have arrived.
async fn send_and_collect(
    mut c: WsClient,
    chat: Uuid,
    tag: &str,
    n: usize,
    total: usize,
) -> (Vec<Value>, Vec<Value>) {
    for i in 0..n {
        c.send_message(chat, &format!("{tag} {i}"), &format!("{tag}-{i}")).await;
    }
    let (mut events, mut acks) = (Vec::new(), Vec::new());
    while events.len() < total || acks.len() < n {
        let f = next_frame(&mut c).await;
        match f["type"].as_str() {
            Some("event") => events.push(f),
            Some("ack") => acks.push(f),
            Some("ephemeral") => {}
            _ => panic!("{tag}: unexpected frame {f}"),
        }
    }
    (events, acks)
}

async fn concurrent_senders_all_see_one_gap_free_order(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let chat = channel(&app, &owner, "general", &[&bob, &carol]).await;
    let start = last_seq(&app, &owner, chat).await;
    let a = app.ws(&owner.access_token, &[]).await;
    let b = app.ws(&bob.access_token, &[]).await;
    let c = app.ws(&carol.access_token, &[]).await;

    const N: usize = 20;
    let (ra, rb, rc) = tokio::join!(
        send_and_collect(a, chat, "a", N, 3 * N),
        send_and_collect(b, chat, "b", N, 3 * N),
        send_and_collect(c, chat, "c", N, 3 * N),
    );
    let mut orders = Vec::new();
    for (name, (events, acks)) in [("owner", ra), ("bob", rb), ("carol", rc)] {
        let seqs: Vec<i64> = events.iter().map(seq).collect();
        let expected: Vec<i64> = (start + 1..=start + 3 * N as i64).collect();
        assert_eq!(seqs, expected, "{name} saw seqs out of order or with gaps");
        assert!(events
            .iter()
            .all(|e| e["change"]["type"] == "message_created" && uuid_of(&e["chat_id"]) == chat));
        let order: Vec<(i64, String)> = events
            .iter()
            .map(|e| (seq(e), e["change"]["message"]["id"].as_str().expect("id").to_string()))
            .collect();
        // Each ack names a message this client also saw as an event, at the same seq.
        for ack in &acks {
            let m = &ack["message"];
            assert!(order.contains(&(seq(m), m["id"].as_str().expect("id").to_string())), "{name}: {ack}");
        }
        orders.push(order);
    }
    assert_eq!(orders[0], orders[1], "owner and bob disagree on the order");
    assert_eq!(orders[0], orders[2], "owner and carol disagree on the order");

    // Each sender's messages are in its sending order, and the history agrees.
    let page = history(&app, &owner, chat, "limit=200").await;
    let page_order: Vec<(i64, String)> =
        page.iter().map(|m| (seq(m), m["id"].as_str().expect("id").to_string())).collect();
    assert_eq!(page_order, orders[0]);
    for tag in ["a", "b", "c"] {
        let mine: Vec<String> = page
            .iter()
            .map(|m| m["body"].as_str().expect("body").to_string())
            .filter(|b| b.starts_with(&format!("{tag} ")))
            .collect();
        let expected: Vec<String> = (0..N).map(|i| format!("{tag} {i}")).collect();
        assert_eq!(mine, expected);
    }
}

// ---- Guarantee 3: one message per client_msg_id ---------------------------------------

async fn a_retried_client_msg_id_yields_one_message(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let chat = channel(&app, &owner, "general", &[&bob]).await;
    let mut a1 = app.ws(&owner.access_token, &[]).await;
    let mut a2 = app.ws(&owner.access_token, &[]).await;
    let mut watcher = app.ws(&bob.access_token, &[]).await;

    // The same socket, twice in a row.
    a1.send_message(chat, "once", "dup").await;
    a1.send_message(chat, "once (retry)", "dup").await;
    let x = a1.next_where(|f| f["type"] == "ack").await;
    let y = a1.next_where(|f| f["type"] == "ack").await;
    assert_eq!((x["client_msg_id"].as_str(), y["client_msg_id"].as_str()), (Some("dup"), Some("dup")));
    assert_eq!(x["message"]["id"], y["message"]["id"]);
    assert_eq!(x["message"]["seq"], y["message"]["seq"]);
    assert_eq!(y["message"]["body"], "once");

    // Two sockets of the same person racing with the same keys.
    const RACES: usize = 10;
    for i in 0..RACES {
        let key = format!("race-{i}");
        let body = format!("race {i}");
        tokio::join!(a1.send_message(chat, &body, &key), a2.send_message(chat, &body, &key));
    }
    let collect_acks = |mut c: WsClient| async move {
        let mut acks = HashMap::new();
        while acks.len() < RACES {
            let ack = c.next_where(|f| f["type"] == "ack").await;
            acks.insert(ack["client_msg_id"].as_str().expect("id").to_string(), ack["message"].clone());
        }
        (c, acks)
    };
    let ((_a1, acks1), (_a2, acks2)) = tokio::join!(collect_acks(a1), collect_acks(a2));
    for i in 0..RACES {
        let key = format!("race-{i}");
        assert_eq!(acks1[&key]["id"], acks2[&key]["id"], "two messages for {key}");
        assert_eq!(acks1[&key]["seq"], acks2[&key]["seq"]);
    }

    // A REST retry of a key first sent over the socket is the same message too.
    let r = app
        .post(
            &format!("/chats/{chat}/messages"),
            tok(&owner),
            json!({"body": "again", "client_msg_id": "dup"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["id"], x["message"]["id"]);

    let page = history(&app, &owner, chat, "").await;
    assert_eq!(page.len(), 1 + RACES, "one message per key: {page:?}");
    let mut keys: Vec<&str> = page.iter().map(|m| m["client_msg_id"].as_str().expect("key")).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 1 + RACES);
    // Other members saw each message exactly once.
    let mut seen = Vec::new();
    for _ in 0..1 + RACES {
        let e = next_event_in(&mut watcher, chat).await;
        assert_eq!(e["change"]["type"], "message_created");
        seen.push(e["change"]["message"]["id"].clone());
    }
    no_event_until_marker(&app, &owner, chat, "marker", &mut watcher, "each key once").await;
    let page_ids: Vec<Value> = page.iter().map(|m| m["id"].clone()).collect();
    assert_eq!(seen, page_ids);
}

async fn a_client_msg_id_reused_in_another_chat_is_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let first = channel(&app, &owner, "first", &[]).await;
    let second = channel(&app, &owner, "second", &[]).await;
    let mut a = app.ws(&owner.access_token, &[]).await;
    a.send_message(first, "to the first chat", "k1").await;
    let ack = a.next_where(|f| f["type"] == "ack").await;
    assert_eq!(uuid_of(&ack["message"]["chat_id"]), first);

    // Over REST this is 409 client_msg_id_reused; the socket must not claim success
    // for a message that is not in the chat it was sent to.
    a.send_message(second, "to the second chat", "k1").await;
    let f = a.next_where(|f| f["type"] == "ack" || f["type"] == "error").await;
    assert_eq!(f["type"], "error", "a send to the second chat was acked with another chat's message: {f}");
    assert_eq!(f["code"], "client_msg_id_reused", "{f}");
    assert_eq!(f["ref"], "k1");
    assert!(history(&app, &owner, second, "").await.is_empty());
}

// ---- Guarantee 4: replay or resync -------------------------------------------------------

async fn reconnecting_replays_exactly_what_was_missed(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let chat = channel(&app, &owner, "general", &[&bob]).await;
    let mut b = app.ws(&bob.access_token, &[]).await;
    let first = rest_send(&app, &owner, chat, "seen live").await;
    let e = next_event_in(&mut b, chat).await;
    assert_eq!(e["seq"], first["seq"]);
    let cursor = seq(&e);
    drop(b);

    // More than the socket writes between two flushes (16), and not a multiple of
    // it: the replay's last frames leave only with the serving loop's first flush.
    const MISSED: i64 = 37;
    let mut missed = Vec::new();
    for i in 0..MISSED {
        missed.push(rest_send(&app, &owner, chat, &format!("missed {i}")).await);
    }
    let mut b = app.ws(&bob.access_token, &[(chat, cursor)]).await;
    let listed =
        b.ready["chats"].as_array().expect("chats").iter().find(|c| uuid_of(&c["chat_id"]) == chat).cloned();
    assert_eq!(listed.expect("chat listed")["last_seq"], cursor + MISSED);
    assert_eq!(uuid_of(&b.ready["user_id"]), bob.user_id);
    for (i, m) in missed.iter().enumerate() {
        let e = next_event_in(&mut b, chat).await;
        assert_eq!(e["seq"], cursor + 1 + i as i64);
        assert_eq!(e["change"]["message"]["id"], m["id"]);
        assert_eq!(e["change"]["message"]["body"], format!("missed {i}"));
    }
    // And live delivery carries on from there, without repeating anything: the
    // next event is the live one, with the next seq.
    let live = rest_send(&app, &owner, chat, "live again").await;
    let e = next_event_in(&mut b, chat).await;
    assert_eq!((seq(&e), &e["change"]["message"]["id"]), (cursor + MISSED + 1, &live["id"]));
    no_event_until_marker(&app, &owner, chat, "marker", &mut b, "after the live event").await;
    drop(b);

    // Up to date, or no cursor at all: nothing is replayed.
    let now = last_seq(&app, &owner, chat).await;
    for cursors in [vec![(chat, now)], vec![], vec![(chat, now + 100)]] {
        // Nothing replayed: the first event is the live one.
        let mut b = app.ws(&bob.access_token, &cursors).await;
        let live = rest_send(&app, &owner, chat, "next").await;
        let e = next_event_in(&mut b, chat).await;
        assert_eq!(e["change"]["message"]["id"], live["id"], "cursors {cursors:?}");
    }
    // From zero: the whole log, creation first.
    let now = last_seq(&app, &owner, chat).await;
    let mut b = app.ws(&bob.access_token, &[(chat, 0)]).await;
    for expected in 1..=now {
        let e = next_event_in(&mut b, chat).await;
        assert_eq!(e["seq"], expected);
    }
    no_event_until_marker(&app, &owner, chat, "marker", &mut b, "after the whole log").await;
}

async fn a_cursor_too_far_behind_gets_a_resync(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let chat = channel(&app, &owner, "general", &[&bob]).await;
    let sent: Vec<Value> = futures_util::stream::iter(0..501)
        .map(|i| {
            let (app, owner) = (&app, &owner);
            async move { rest_send(app, owner, chat, &format!("bulk {i}")).await }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert_eq!(sent.len(), 501);
    let last = last_seq(&app, &owner, chat).await;
    assert_eq!(last, 502);

    // 501 behind: too many to replay.
    let mut b = app.ws(&bob.access_token, &[(chat, last - 501)]).await;
    let f = next_frame(&mut b).await;
    assert_eq!(f["type"], "resync", "{f}");
    assert_eq!(uuid_of(&f["chat_id"]), chat);
    assert_eq!(f["last_seq"], last);
    // After the resync the socket carries on live from last_seq: the next event
    // is the live one (nothing of the backlog trickles in).
    let live = rest_send(&app, &owner, chat, "after resync").await;
    let e = next_event_in(&mut b, chat).await;
    assert_eq!((seq(&e), &e["change"]["message"]["id"]), (last + 1, &live["id"]));
    drop(b);

    // Exactly 500 behind: replayed in full, in order.
    let last = last + 1;
    let mut b = app.ws(&bob.access_token, &[(chat, last - 500)]).await;
    for expected in last - 499..=last {
        let f = b.next_where(|f| f["type"] != "ephemeral").await;
        assert_eq!(f["type"], "event", "{f}");
        assert_eq!(seq(&f), expected);
    }
    no_event_until_marker(&app, &owner, chat, "marker", &mut b, "after the replay").await;
}

// ---- Guarantee 7: the audience follows membership -----------------------------------------

async fn a_removed_member_stops_receiving_at_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let chat = channel(&app, &owner, "general", &[&bob, &carol]).await;
    // Where the silence checks put their markers: Bob stays in this one.
    let side = channel(&app, &owner, "side", &[&bob, &carol]).await;
    let mut o = app.ws(&owner.access_token, &[]).await;
    let mut b = app.ws(&bob.access_token, &[]).await;
    let mut c = app.ws(&carol.access_token, &[]).await;
    // Bob posts first, so his next send is not read again before its commit.
    b.send_message(chat, "bob was here", "before-1").await;
    let (mut acked, mut seen) = (false, false);
    while !(acked && seen) {
        let f = b.next_where(|f| f["type"] != "ephemeral").await;
        acked |= f["type"] == "ack";
        seen |= f["type"] == "event" && f["change"]["message"]["body"] == "bob was here";
    }
    for socket in [&mut o, &mut c] {
        assert_eq!(next_event_in(socket, chat).await["change"]["message"]["body"], "bob was here");
    }

    app.call("DELETE", &format!("/chats/{chat}/members/{}", bob.user_id), tok(&owner), None)
        .await
        .expect(204);
    // Bob learns that he was removed: that is the last he hears of the chat.
    let e = next_event_in(&mut b, chat).await;
    assert_eq!(e["change"]["type"], "member_removed");
    assert_eq!(uuid_of(&e["change"]["user_id"]), bob.user_id);
    assert_eq!(uuid_of(&e["change"]["by"]), owner.user_id);
    let removed_at = seq(&e);
    assert_eq!(next_event_in(&mut c, chat).await["seq"], removed_at);

    o.send_message(chat, "bob cannot read this", "after-1").await;
    o.next_where(|f| f["type"] == "ack").await;
    o.send_json(json!({"type": "typing", "chat_id": chat})).await;
    rest_send(&app, &owner, chat, "nor this").await;
    // Carol, still a member, gets both messages and the typing notice.
    let (mut bodies, mut typing) = (Vec::new(), false);
    while bodies.len() < 2 || !typing {
        let f = next_frame(&mut c).await;
        match f["type"].as_str() {
            Some("event") => {
                assert_eq!(seq(&f), removed_at + 1 + bodies.len() as i64);
                bodies.push(f["change"]["message"]["body"].as_str().expect("body").to_string());
            }
            Some("ephemeral") => typing |= f["event"]["type"] == "typing",
            _ => panic!("carol: unexpected {f}"),
        }
    }
    assert_eq!(bodies, ["bob cannot read this", "nor this"]);
    silent_until_marker(&app, &owner, side, "marker 1", &mut b, "bob after removal").await;

    // Nor can he act in it through the socket.
    b.send_message(chat, "let me back", "back-1").await;
    let f = next_error(&mut b).await;
    assert_eq!((f["code"].as_str(), f["ref"].as_str()), (Some("forbidden"), Some("back-1")), "{f}");
    for frame in
        [json!({"type": "typing", "chat_id": chat}), json!({"type": "read", "chat_id": chat, "seq": 1})]
    {
        b.send_json(frame.clone()).await;
        let f = next_error(&mut b).await;
        assert_eq!(f["code"], "forbidden", "{frame}: {f}");
    }
    // Bob's frames were answered in order, so they were handled before the marker.
    frames_before(&mut c, side, "marker 1").await;
    silent_until_marker(&app, &owner, side, "marker 2", &mut c, "carol sees nothing of bob's attempts").await;
    assert_eq!(history(&app, &owner, chat, "").await.len(), 3);

    // Added back, he hears of the chat again from that point on, on the same socket.
    app.post(&format!("/chats/{chat}/members"), tok(&owner), json!({"user_id": bob.user_id}))
        .await
        .expect(204);
    let e = next_event_in(&mut b, chat).await;
    assert_eq!(e["change"]["type"], "member_added");
    assert_eq!(uuid_of(&e["change"]["user_id"]), bob.user_id);
    let back = rest_send(&app, &owner, chat, "welcome back").await;
    let e = next_event_in(&mut b, chat).await;
    assert_eq!(e["change"]["message"]["id"], back["id"]);
}

async fn an_added_member_receives_without_reconnecting(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let dave = app.invite_user(&owner, "member", "dave@acme.test").await;
    let chat = new_chat(&app, &owner, "group", "project", true, &[]).await;
    let public = channel(&app, &owner, "general", &[]).await;
    let side = channel(&app, &owner, "side", &[&carol]).await;
    rest_send(&app, &owner, chat, "before carol").await;
    let mut c = app.ws(&carol.access_token, &[]).await;
    let mut d = app.ws(&dave.access_token, &[]).await;
    silent_until_marker(&app, &owner, side, "marker", &mut c, "carol before being added").await;

    app.post(&format!("/chats/{chat}/members"), tok(&owner), json!({"user_id": carol.user_id}))
        .await
        .expect(204);
    let added = next_event_in(&mut c, chat).await;
    assert_eq!(added["change"]["type"], "member_added");
    assert_eq!(uuid_of(&added["change"]["user_id"]), carol.user_id);
    let m = rest_send(&app, &owner, chat, "hello carol").await;
    let e = next_event_in(&mut c, chat).await;
    assert_eq!((seq(&e), &e["change"]["message"]["id"]), (seq(&added) + 1, &m["id"]));
    // The socket follows the chat for everything: typing and sending work too.
    c.send_message(chat, "thanks", "c-1").await;
    let ack = c.next_where(|f| f["type"] == "ack").await;
    assert_eq!(uuid_of(&ack["message"]["chat_id"]), chat);
    c.send_json(json!({"type": "typing", "chat_id": chat})).await;
    let t = c.next_where(|f| f["type"] == "ephemeral" || f["type"] == "error").await;
    assert_eq!(t["type"], "ephemeral", "{t}");

    // Joining a public channel oneself works the same way.
    app.call("POST", &format!("/chats/{public}/join"), tok(&dave), None).await.expect(204);
    let joined = next_event_in(&mut d, public).await;
    assert_eq!(joined["change"]["type"], "member_added");
    let m = rest_send(&app, &owner, public, "hello dave").await;
    assert_eq!(next_event_in(&mut d, public).await["change"]["message"]["id"], m["id"]);
    // Dave never heard of the private group.
    no_event_until_marker(&app, &owner, public, "marker", &mut d, "dave and the private group").await;
}

/// Messages sent by `stall` to stop a non-reading socket's writer.
const BULK: usize = 150;

/// Sends `BULK` large messages to `chat`. '&' renders as "&amp;", so each event is
/// ~60 KB, ~9 MB in all: more than the socket buffers hold, so the server's writer
/// for a member who does not read stalls, and what is dispatched to that socket
/// afterwards waits in its queue.
async fn stall(app: &TestApp, by: &Session, chat: Uuid) {
    let big = "&".repeat(10_000);
    futures_util::stream::iter(0..BULK)
        .map(|_| rest_send(app, by, chat, &big))
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;
}

async fn a_member_added_while_their_socket_lags_still_gets_the_next_message(backend: Backend) {
    // Carol's socket is busy: many large events are on their way to it and she does
    // not read for a while (a phone on a slow network). Meanwhile she is added to a
    // group and greeted there right away. Once she reads again she must get the
    // greeting: it was committed after she became a member.
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let busy = channel(&app, &owner, "busy", &[&carol]).await;
    let group = new_chat(&app, &owner, "group", "project", true, &[]).await;
    let mut c = app.ws(&carol.access_token, &[]).await;

    stall(&app, &owner, busy).await;
    app.post(&format!("/chats/{group}/members"), tok(&owner), json!({"user_id": carol.user_id}))
        .await
        .expect(204);
    let greeting = rest_send(&app, &owner, group, "welcome, carol").await;

    let mut bulk_seen = 0;
    let mut added = None;
    let mut got_greeting = false;
    while !got_greeting {
        let Some(f) = c.try_next(Duration::from_secs(5)).await else {
            // For the report: does the next event of the group bring it (gap filling)?
            let nudge = rest_send(&app, &owner, group, "nudge").await;
            let mut later = Vec::new();
            while let Some(f) = c.try_next(Duration::from_secs(2)).await {
                if f["type"] == "event" {
                    later.push(format!("seq {} {}", f["seq"], f["change"]["type"]));
                }
            }
            panic!(
                "the greeting never came: after {bulk_seen} of {BULK} busy-chat events and \
                 member_added at seq {added:?}, nothing for 5 s (greeting was seq {}); \
                 after one more message (seq {}) the socket delivered {later:?}",
                greeting["seq"], nudge["seq"]
            );
        };
        if f["type"] != "event" {
            continue;
        }
        if uuid_of(&f["chat_id"]) == busy {
            bulk_seen += 1;
        } else if f["change"]["type"] == "member_added" {
            added = Some(seq(&f));
        } else {
            assert_eq!(f["change"]["message"]["id"], greeting["id"], "{f}");
            assert_eq!(Some(seq(&f) - 1), added, "the greeting follows the member_added event");
            got_greeting = true;
        }
    }
    assert_eq!(bulk_seen, BULK);
}

async fn a_member_removed_while_their_socket_lags_hears_nothing_more_of_the_chat(backend: Backend) {
    // Bob's socket lags behind (he is not reading). He is removed from a chat, and
    // afterwards people type and read in it. When he catches up he learns of his
    // removal, and from then on nothing about that chat: at the moment those
    // notices were sent he could no longer read it.
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let busy = channel(&app, &owner, "busy", &[&bob]).await;
    let secret = channel(&app, &owner, "secret", &[&bob]).await;
    rest_send(&app, &owner, secret, "for bob too").await;
    let mut o = app.ws(&owner.access_token, &[]).await;
    let mut b = app.ws(&bob.access_token, &[]).await;

    stall(&app, &owner, busy).await;
    app.call("DELETE", &format!("/chats/{secret}/members/{}", bob.user_id), tok(&owner), None)
        .await
        .expect(204);
    let removed = o.next_where(|f| f["type"] == "event" && f["change"]["type"] == "member_removed").await;
    o.send_json(json!({"type": "typing", "chat_id": secret})).await;
    o.next_where(|f| f["event"]["type"] == "typing").await;
    app.post(&format!("/chats/{secret}/read"), tok(&owner), json!({"seq": 100})).await.expect(200);
    o.next_where(|f| f["event"]["type"] == "read_up_to").await;
    let after = rest_send(&app, &owner, secret, "after bob left").await;
    let marker = rest_send(&app, &owner, busy, "marker").await;

    let secret_id = secret.to_string();
    let mut removal_seen = false;
    loop {
        let f = next_frame(&mut b).await;
        if f["type"] == "event" && f["change"]["message"]["id"] == marker["id"] {
            break;
        }
        let about_secret = f["chat_id"] == secret_id.as_str() || f["event"]["chat_id"] == secret_id.as_str();
        if !about_secret {
            continue;
        }
        assert!(!removal_seen, "bob heard of the chat after his removal: {f}");
        if f["type"] == "event" && f["change"]["type"] == "member_removed" {
            assert_eq!(f["seq"], removed["seq"]);
            removal_seen = true;
        }
    }
    assert!(removal_seen, "bob was not told of his removal");
    assert!(after["seq"].as_i64() > removed["seq"].as_i64());
}

async fn a_slow_reader_is_disconnected_then_resumes_or_resyncs(backend: Backend) {
    // Guarantee 5: a socket that does not read is not buffered for without bound.
    // Once its queue overflows it is closed with 4008, and reconnecting with its
    // cursor says how to catch up.
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let chat = channel(&app, &owner, "busy", &[&bob]).await;
    let mut b = app.ws(&bob.access_token, &[]).await;
    stall(&app, &owner, chat).await;
    // More than the socket's queue (1024 frames) while its writer is stuck.
    let sent: Vec<Value> = futures_util::stream::iter(0..1100)
        .map(|i| {
            let (app, owner) = (&app, &owner);
            async move { rest_send(app, owner, chat, &format!("small {i}")).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert_eq!(sent.len(), 1100);
    let last = last_seq(&app, &owner, chat).await;

    // Reading now: events in order without gaps, then the close.
    let mut seen = 1; // the creation event
    let close = loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), b.socket.next())
            .await
            .expect("the slow socket was neither served nor closed within 10 s");
        match msg {
            Some(Ok(Message::Text(t))) => {
                let f: Value = serde_json::from_str(&t).expect("json");
                if f["type"] == "event" {
                    assert_eq!(seq(&f), seen + 1, "a gap before the disconnect");
                    seen += 1;
                }
            }
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("socket error before a close frame: {e}"),
            None => panic!("socket ended without a close frame"),
        }
    };
    assert_eq!(close, Some(4008), "after {seen} of {last} events");
    assert!(seen < last, "everything was delivered: the queue never overflowed");

    // Back with the cursor: the missed events exactly, or a clear "resync".
    let mut b = app.ws(&bob.access_token, &[(chat, seen)]).await;
    let f = next_frame(&mut b).await;
    if last - seen > 500 {
        assert_eq!(f["type"], "resync", "{f}");
        assert_eq!((uuid_of(&f["chat_id"]), f["last_seq"].as_i64()), (chat, Some(last)));
    } else {
        assert_eq!((f["type"].as_str(), seq(&f)), (Some("event"), seen + 1), "{f}");
        for expected in seen + 2..=last {
            assert_eq!(seq(&next_event_in(&mut b, chat).await), expected);
        }
    }
    // The next event is the live one: nothing repeated.
    let live = rest_send(&app, &owner, chat, "live").await;
    assert_eq!(next_event_in(&mut b, chat).await["change"]["message"]["id"], live["id"]);
}

async fn a_new_chat_is_followed_without_reconnecting(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let mut b = app.ws(&bob.access_token, &[]).await;
    let mut c = app.ws(&carol.access_token, &[]).await;

    let chat = new_chat(&app, &owner, "group", "new", true, &[&bob]).await;
    let created = next_event_in(&mut b, chat).await;
    assert_eq!((seq(&created), created["change"]["type"].as_str()), (1, Some("chat_updated")));
    assert_eq!(created["change"]["chat"]["name"], "new");
    let m = rest_send(&app, &owner, chat, "first!").await;
    let e = next_event_in(&mut b, chat).await;
    assert_eq!((seq(&e), &e["change"]["message"]["id"]), (2, &m["id"]));

    // A direct chat opened by someone else, answered over the same socket.
    let r = app.post("/chats/direct", tok(&bob), json!({"user_id": carol.user_id})).await;
    r.expect(201);
    let dm = uuid_of(&r.body["id"]);
    assert_eq!(next_event_in(&mut c, dm).await["seq"], 1);
    b.send_message(dm, "hi carol", "dm-1").await;
    let ack = b.next_where(|f| f["type"] == "ack").await;
    let e = next_event_in(&mut c, dm).await;
    assert_eq!((seq(&e), &e["change"]["message"]["id"]), (2, &ack["message"]["id"]));
    c.send_message(dm, "hi bob", "dm-2").await;
    let own = next_event_in(&mut c, dm).await;
    assert_eq!((seq(&own), own["change"]["message"]["body"].as_str()), (3, Some("hi bob")));
    let e = b.next_where(|f| f["type"] == "event" && f["seq"] == 3).await;
    assert_eq!(e["change"]["message"]["body"], "hi bob");
    // Carol was never told about the group.
    no_event_until_marker(&app, &bob, dm, "marker", &mut c, "carol and the group").await;
}

async fn other_workspaces_never_hear_a_thing(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let stranger = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    // Out of their own default channel, so the stranger follows no chat at all.
    app.leave_default_channel(&stranger).await;
    let chat = channel(&app, &owner, "general", &[&bob]).await;
    let side = channel(&app, &owner, "side", &[&bob]).await;
    let mut s = app.ws(&stranger.access_token, &[(chat, 0)]).await;
    assert_eq!(s.ready["chats"], json!([]), "{}", s.ready);
    let mut b = app.ws(&bob.access_token, &[]).await;
    // The stranger's own chat, created after the socket: its first event is the marker's barrier.
    let own = channel(&app, &stranger, "own", &[]).await;
    let own_id = own.to_string();
    loop {
        let f = next_frame(&mut s).await;
        let about = if f["type"] == "event" { &f["chat_id"] } else { &f["event"]["chat_id"] };
        assert_eq!(about, own_id.as_str(), "a cursor for a foreign chat replays nothing: {f}");
        if f["type"] == "event" {
            break;
        }
    }

    rest_send(&app, &owner, chat, "internal").await;
    next_event_in(&mut b, chat).await;
    s.send_message(chat, "hello?", "s-1").await;
    let f = next_error(&mut s).await;
    assert_eq!((f["code"].as_str(), f["ref"].as_str()), (Some("not_found"), Some("s-1")), "{f}");
    for frame in
        [json!({"type": "typing", "chat_id": chat}), json!({"type": "read", "chat_id": chat, "seq": 2})]
    {
        s.send_json(frame.clone()).await;
        let f = next_error(&mut s).await;
        assert_eq!(f["code"], "forbidden", "{frame}: {f}");
    }
    silent_until_marker(&app, &stranger, own, "marker", &mut s, "stranger").await;
    silent_until_marker(&app, &owner, side, "marker", &mut b, "bob hears nothing from the stranger").await;
    assert_eq!(history(&app, &owner, chat, "").await.len(), 1);
}

// ---- Typing and read marks ----------------------------------------------------------------

async fn typing_reaches_members_only(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let chat = channel(&app, &owner, "general", &[&bob]).await;
    // Where the silence checks put their markers.
    let side = channel(&app, &owner, "side", &[&bob, &carol]).await;
    let mut o = app.ws(&owner.access_token, &[]).await;
    let mut b = app.ws(&bob.access_token, &[]).await;
    let mut c = app.ws(&carol.access_token, &[]).await;

    o.send_json(json!({"type": "typing", "chat_id": chat})).await;
    let t = next_frame(&mut b).await;
    assert_eq!(t["type"], "ephemeral", "{t}");
    assert_eq!(t["event"], json!({"type": "typing", "chat_id": chat, "user_id": owner.user_id}));
    // Repeats within two seconds are not re-sent.
    o.send_json(json!({"type": "typing", "chat_id": chat})).await;
    // The marker goes out on the same socket, after the repeat: frames are
    // handled in order, so a re-sent notice would have been published first.
    o.send_message(side, "marker 1", "marker-1").await;
    let before = frames_before(&mut b, side, "marker 1").await;
    assert!(before.is_empty(), "a repeated typing notice: {before:?}");
    let before = frames_before(&mut c, side, "marker 1").await;
    assert!(before.is_empty(), "a non-member: {before:?}");

    // Someone outside the chat cannot type into it.
    c.send_json(json!({"type": "typing", "chat_id": chat})).await;
    let f = next_frame(&mut c).await;
    assert_eq!((f["type"].as_str(), f["code"].as_str()), (Some("error"), Some("forbidden")), "{f}");
    silent_until_marker(&app, &owner, side, "marker 2", &mut b, "carol's refused typing").await;
    // Bob typing reaches the owner.
    b.send_json(json!({"type": "typing", "chat_id": chat})).await;
    let bob_id = bob.user_id.to_string();
    let t =
        o.next_where(|f| f["event"]["type"] == "typing" && f["event"]["user_id"] == bob_id.as_str()).await;
    assert_eq!(t["event"]["chat_id"], chat.to_string());
    // Typing is not an event of the chat's log.
    assert_eq!(last_seq(&app, &owner, chat).await, 1);
}

async fn a_read_frame_moves_the_read_mark(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let chat = channel(&app, &owner, "general", &[&bob]).await;
    let m: Vec<Value> = vec![
        rest_send(&app, &owner, chat, "one").await,
        rest_send(&app, &owner, chat, "two").await,
        rest_send(&app, &owner, chat, "three").await,
    ];
    let mut o = app.ws(&owner.access_token, &[]).await;
    let mut b = app.ws(&bob.access_token, &[]).await;
    let (app_, bob_) = (&app, &bob);
    let bob_summary = move || async move {
        let r = app_.get("/chats", &bob_.access_token).await;
        r.expect(200);
        r.body
            .as_array()
            .expect("chats")
            .iter()
            .find(|s| uuid_of(&s["chat"]["id"]) == chat)
            .cloned()
            .expect("chat")
    };
    assert_eq!(bob_summary().await["unread_count"], 3);

    b.send_json(json!({"type": "read", "chat_id": chat, "seq": seq(&m[1])})).await;
    // The other members hear of it (and so does Bob's own socket).
    let f = read_up_to(&mut o, bob.user_id).await;
    assert_eq!(
        f["event"],
        json!({"type": "read_up_to", "chat_id": chat, "user_id": bob.user_id, "seq": seq(&m[1])})
    );
    read_up_to(&mut b, bob.user_id).await;
    let s = bob_summary().await;
    assert_eq!((s["last_read_seq"].as_i64(), s["unread_count"].as_i64()), (Some(seq(&m[1])), Some(1)), "{s}");

    // Never backwards.
    b.send_json(json!({"type": "read", "chat_id": chat, "seq": seq(&m[0])})).await;
    assert_eq!(read_up_to(&mut o, bob.user_id).await["event"]["seq"], seq(&m[1]));
    assert_eq!(bob_summary().await["last_read_seq"], seq(&m[1]));
    // Past the end: up to the last message.
    b.send_json(json!({"type": "read", "chat_id": chat, "seq": 1_000})).await;
    assert_eq!(read_up_to(&mut o, bob.user_id).await["event"]["seq"], seq(&m[2]));
    let s = bob_summary().await;
    assert_eq!((s["last_read_seq"].as_i64(), s["unread_count"].as_i64()), (Some(seq(&m[2])), Some(0)), "{s}");
    let r = app
        .get(&format!("/messages/{}/read-by", m[2]["id"].as_str().expect("id")), &owner.access_token)
        .await;
    assert!(r.body.as_array().expect("ids").contains(&json!(bob.user_id)));
}

/// The next read-mark notice about `user`.
async fn read_up_to(c: &mut WsClient, user: Uuid) -> Value {
    let user = user.to_string();
    c.next_where(|f| {
        f["type"] == "ephemeral"
            && f["event"]["type"] == "read_up_to"
            && f["event"]["user_id"] == user.as_str()
    })
    .await
}

// ---- Bad frames, oversize frames, floods -------------------------------------------------

async fn bad_frames_get_error_frames_and_the_socket_stays_open(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let mine = channel(&app, &owner, "mine", &[]).await;
    let not_mine = channel(&app, &bob, "bobs", &[]).await;
    let private = new_chat(&app, &bob, "group", "bobs group", true, &[]).await;
    let mut c = app.ws(&owner.access_token, &[]).await;

    let bad_frames: Vec<(String, &str)> = vec![
        ("{not json".into(), "bad_frame"),
        ("".into(), "bad_frame"),
        ("[1, 2]".into(), "bad_frame"),
        (json!({"type": "dance"}).to_string(), "bad_frame"),
        (json!({"kind": "ping"}).to_string(), "bad_frame"),
        (json!({"type": "send", "chat_id": mine}).to_string(), "bad_frame"),
        (
            json!({"type": "send", "chat_id": "nope", "body": "x", "client_msg_id": "x"}).to_string(),
            "bad_frame",
        ),
        (json!({"type": "read", "chat_id": mine, "seq": "one"}).to_string(), "bad_frame"),
        (json!({"type": "auth", "token": owner.access_token}).to_string(), "bad_frame"),
    ];
    for (frame, code) in &bad_frames {
        c.send_raw(Message::Text(frame.clone().into())).await;
        let f = next_frame(&mut c).await;
        assert_eq!((f["type"].as_str(), f["code"].as_str()), (Some("error"), Some(*code)), "{frame}: {f}");
        assert!(f["message"].is_string());
        assert!(f["ref"].is_null(), "{frame}: {f}");
        assert_alive(&mut c).await;
    }
    c.send_raw(Message::Binary(vec![1u8, 2, 3].into())).await;
    let f = next_frame(&mut c).await;
    assert_eq!((f["type"].as_str(), f["code"].as_str()), (Some("error"), Some("unsupported_frame")), "{f}");
    assert_alive(&mut c).await;

    // Sends that fail name the client_msg_id they answer.
    let long = "x".repeat(10_001);
    let failing_sends = vec![
        (not_mine, "hi", "s-forbidden", "forbidden"),
        (private, "hi", "s-private", "forbidden"),
        (Uuid::now_v7(), "hi", "s-unknown", "not_found"),
        (mine, "", "s-empty", "invalid_input"),
        (mine, "  \n ", "s-blank", "invalid_input"),
        (mine, long.as_str(), "s-long", "invalid_input"),
        (mine, "hi", "has space", "invalid_input"),
    ];
    for (chat, body, key, code) in &failing_sends {
        c.send_message(*chat, body, key).await;
        let f = c.next_where(|f| f["type"] == "error" || f["type"] == "ack").await;
        assert_eq!((f["type"].as_str(), f["code"].as_str()), (Some("error"), Some(*code)), "send {key}: {f}");
        assert_eq!(f["ref"], *key);
        assert_alive(&mut c).await;
    }
    assert!(history(&app, &owner, mine, "").await.is_empty(), "a failed send stored something");
    assert!(history(&app, &bob, not_mine, "").await.is_empty(), "a failed send stored something");
    // The socket still does real work.
    c.send_message(mine, "finally", "s-ok").await;
    let ack = c.next_where(|f| f["type"] == "ack").await;
    assert_eq!(ack["client_msg_id"], "s-ok");
    assert_eq!(history(&app, &owner, mine, "").await.len(), 1);
}

async fn an_oversize_frame_closes_the_socket_and_nothing_else(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let chat = channel(&app, &owner, "general", &[]).await;
    let mut bystander = app.ws(&owner.access_token, &[]).await;
    let mut c = app.ws(&owner.access_token, &[]).await;

    let huge =
        json!({"type": "send", "chat_id": chat, "body": "x".repeat(70 * 1024), "client_msg_id": "huge"});
    // The server may close while the frame is still being written; that is fine.
    let _ = c.socket.send(Message::Text(huge.to_string().into())).await;
    let closed = c.closed().await;
    assert_eq!(closed.code, Some(1009), "{closed:?}");

    // The server carries on: other sockets and new ones work.
    assert_alive(&mut bystander).await;
    let mut fresh = app.ws(&owner.access_token, &[]).await;
    assert_alive(&mut fresh).await;
    fresh.send_message(chat, "still here", "ok-1").await;
    fresh.next_where(|f| f["type"] == "ack").await;
    let page = history(&app, &owner, chat, "").await;
    assert_eq!(page.len(), 1, "the oversize send was not stored");
    assert_eq!(page[0]["body"], "still here");
    // A large frame under the limit is read normally (and its body judged on its own).
    let big = json!({"type": "send", "chat_id": chat, "body": "x".repeat(60 * 1024), "client_msg_id": "big"});
    fresh.send_raw(Message::Text(big.to_string().into())).await;
    let f = next_error(&mut fresh).await;
    assert_eq!((f["code"].as_str(), f["ref"].as_str()), (Some("invalid_input"), Some("big")), "{f}");
    assert_alive(&mut fresh).await;
}

/// A text frame that is not UTF-8 (as a raw frame: the client library would not
/// build one), without the `auth` frame or after it.
fn non_utf8_text() -> Message {
    Message::Frame(Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true))
}

/// A socket opened without authenticating.
async fn bare_socket(app: &TestApp) -> WsClient {
    let (socket, _) = tokio_tungstenite::connect_async(app.ws_url()).await.expect("ws connect");
    WsClient { socket, ready: Value::Null }
}

/// Frames the server cannot read close the socket with the code that says why,
/// before and after authentication: 1009 too big, 1007 not UTF-8.
async fn unreadable_frames_close_with_their_code(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let huge = Message::Text("x".repeat(70 * 1024).into());

    let mut c = bare_socket(&app).await;
    let _ = c.socket.send(huge.clone()).await;
    assert_eq!(c.closed().await.code, Some(1009), "oversize before auth");

    let mut c = bare_socket(&app).await;
    c.socket.send(non_utf8_text()).await.expect("send");
    let closed = c.closed().await;
    assert_eq!(closed.code, Some(1007), "not UTF-8 before auth: {closed:?}");

    let mut c = app.ws(&owner.access_token, &[]).await;
    c.socket.send(non_utf8_text()).await.expect("send");
    let closed = c.closed().await;
    assert_eq!(closed.code, Some(1007), "not UTF-8 after auth: {closed:?}");

    let mut c = app.ws(&owner.access_token, &[]).await;
    let _ = c.socket.send(huge).await;
    assert_eq!(c.closed().await.code, Some(1009), "oversize after auth");
}

async fn a_ping_flood_is_rate_limited(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let chat = channel(&app, &owner, "general", &[]).await;
    let mut c = app.ws(&owner.access_token, &[]).await;

    const FLOOD: usize = 200;
    let ping = json!({"type": "ping"}).to_string();
    let started = std::time::Instant::now();
    for _ in 0..FLOOD {
        c.socket.feed(Message::Text(ping.clone().into())).await.expect("feed");
    }
    c.socket.flush().await.expect("flush");
    let (mut pongs, mut limited) = (0, 0);
    for _ in 0..FLOOD {
        let f = next_frame(&mut c).await;
        match (f["type"].as_str(), f["code"].as_str()) {
            (Some("pong"), _) => pongs += 1,
            (Some("error"), Some("rate_limited")) => limited += 1,
            _ => panic!("unexpected frame {f}"),
        }
    }
    // The burst (60) is answered in full; beyond it only what refilled (30 a
    // second) while the flood was being read.
    let refilled = (30.0 * started.elapsed().as_secs_f64()).ceil() as usize;
    assert!(limited > 0, "200 pings at once were not limited");
    assert!((60..=60 + refilled).contains(&pongs), "burst 60 + {refilled} refilled, yet {pongs} pongs");
    assert_eq!(pongs + limited, FLOOD, "every frame is answered");

    // This part is about time: the allowance refills at 30 frames a second. The
    // pong is the next frame: nothing stray was written after the flood's answers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_alive(&mut c).await;
    c.send_message(chat, "after the storm", "calm-1").await;
    let ack = c.next_where(|f| f["type"] == "ack" || f["type"] == "error").await;
    assert_eq!(ack["type"], "ack", "{ack}");
}

on_every_backend!(
    bad_token_gets_an_error_frame_then_4401,
    a_silent_socket_is_closed_with_4408,
    the_first_frame_must_be_auth,
    foreign_origins_are_refused,
    an_ack_means_the_message_is_committed,
    concurrent_senders_all_see_one_gap_free_order,
    a_retried_client_msg_id_yields_one_message,
    a_client_msg_id_reused_in_another_chat_is_refused,
    reconnecting_replays_exactly_what_was_missed,
    a_cursor_too_far_behind_gets_a_resync,
    a_removed_member_stops_receiving_at_once,
    an_added_member_receives_without_reconnecting,
    a_member_added_while_their_socket_lags_still_gets_the_next_message,
    a_member_removed_while_their_socket_lags_hears_nothing_more_of_the_chat,
    a_slow_reader_is_disconnected_then_resumes_or_resyncs,
    a_new_chat_is_followed_without_reconnecting,
    other_workspaces_never_hear_a_thing,
    typing_reaches_members_only,
    a_read_frame_moves_the_read_mark,
    bad_frames_get_error_frames_and_the_socket_stays_open,
    an_oversize_frame_closes_the_socket_and_nothing_else,
    unreadable_frames_close_with_their_code,
    a_ping_flood_is_rate_limited,
);
