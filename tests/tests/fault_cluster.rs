//! Faults under a real cluster: two `artel serve` processes on one Postgres
//! database and a private Redis, which the tests kill -9 and restart, and a node
//! killed -9 while its users send. What must hold throughout: every committed
//! event reaches every connected member once, in seq order, within `BOUND` of
//! the bus being back, with no later message in the chat needed to bring it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use artel_tests::cluster_node::Node;
use artel_tests::redis_server::RedisServer;
use artel_tests::ws_client::WsClient;
use artel_tests::{Backend, Database, PASSWORD};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

/// Latest an event may reach a socket after Redis is back (or after its ack,
/// when that is later).
const BOUND: Duration = Duration::from_secs(1);
/// Gap between two sends of one sender: under the socket's frame limit (30/s).
const PACE: Duration = Duration::from_millis(40);

struct Member {
    token: String,
    id: String,
}

struct Cluster {
    _db: Database,
    redis: RedisServer,
    a: Node,
    b: Node,
    owner: Member,
    bob: Member,
    chat: Uuid,
}

/// Two nodes, the owner (signed up on A) and bob (on B), and a group chat of both.
async fn cluster() -> Cluster {
    let db = Database::create(Backend::Postgres).await;
    let pg = db.postgres_url.clone().expect("postgres url");
    let redis = RedisServer::start();
    let mut a = Node::start(&pg, &redis.url());
    let mut b = Node::start(&pg, &redis.url());
    a.wait_ready().await;
    b.wait_ready().await;
    let owner = a
        .post("/setup", None, json!({"workspace_name": "Acme", "name": "Olga", "email": "owner@acme.test", "password": PASSWORD}))
        .await;
    let owner = Member {
        token: owner["access_token"].as_str().unwrap().to_string(),
        id: owner["user"]["id"].as_str().unwrap().to_string(),
    };
    let invite = a.post("/invites", Some(&owner.token), json!({"role": "member"})).await;
    let bob = b
        .post(
            "/invites/accept",
            None,
            json!({"token": invite["token"], "name": "Bob", "email": "bob@acme.test", "password": PASSWORD}),
        )
        .await;
    let bob = Member {
        token: bob["access_token"].as_str().unwrap().to_string(),
        id: bob["user"]["id"].as_str().unwrap().to_string(),
    };
    let chat = a
        .post("/chats", Some(&owner.token), json!({"kind": "group", "name": "quiet", "member_ids": [bob.id]}))
        .await;
    let chat = chat["id"].as_str().unwrap().parse().unwrap();
    Cluster { _db: db, redis, a, b, owner, bob, chat }
}

impl Cluster {
    async fn last_seq(&self, node: &Node) -> i64 {
        node.get(&format!("/chats/{}", self.chat), &self.owner.token).await["last_seq"].as_i64().unwrap()
    }
}

/// What one socket received, with when.
#[derive(Default)]
struct Seen {
    /// The test chat's events: seq, message body, arrival.
    events: Vec<(i64, Option<String>, Instant)>,
    /// client_msg_id → (seq, arrival) of each ack.
    acks: HashMap<String, (i64, Instant)>,
    /// `error` and `resync` frames: none is expected.
    errors: Vec<Value>,
    /// client_msg_ids this socket was told to send, in order.
    sent: Vec<String>,
    /// The watched board's `last_seq` when watching started, and its events' seqs.
    watching: Option<i64>,
    boards: Vec<(i64, Instant)>,
}

/// A socket served by its own task: sends what it is told, records what comes.
struct Live {
    name: &'static str,
    chat: Uuid,
    out: mpsc::UnboundedSender<Value>,
    seen: Arc<Mutex<Seen>>,
}

impl Live {
    async fn open(name: &'static str, node: &Node, token: &str, chat: Uuid) -> Live {
        let ws = WsClient::connect(&node.ws, token, &[]).await;
        let (mut sink, mut stream) = ws.socket.split();
        let (out, mut rx) = mpsc::unbounded_channel::<Value>();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let record = seen.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    frame = rx.recv() => {
                        let Some(frame) = frame else { break };
                        if sink.send(Message::Text(frame.to_string().into())).await.is_err() {
                            break;
                        }
                    }
                    msg = stream.next() => {
                        let Some(Ok(msg)) = msg else { break };
                        let Message::Text(text) = msg else { continue };
                        let Ok(f) = serde_json::from_str::<Value>(&text) else { continue };
                        let now = Instant::now();
                        let mut seen = record.lock().unwrap();
                        match f["type"].as_str() {
                            Some("event") if f["chat_id"] == chat.to_string() => {
                                let body = f["change"]["message"]["body"].as_str().map(str::to_string);
                                seen.events.push((f["seq"].as_i64().unwrap(), body, now));
                            }
                            Some("ack") => {
                                let id = f["client_msg_id"].as_str().unwrap().to_string();
                                seen.acks.insert(id, (f["message"]["seq"].as_i64().unwrap(), now));
                            }
                            Some("watching") => seen.watching = f["last_seq"].as_i64(),
                            Some("board_event") => seen.boards.push((f["seq"].as_i64().unwrap(), now)),
                            Some("error" | "resync") => seen.errors.push(f),
                            _ => {}
                        }
                    }
                }
            }
        });
        Live { name, chat, out, seen }
    }

    /// Sends a message whose body is its client_msg_id.
    fn send(&self, client_msg_id: &str) {
        self.seen.lock().unwrap().sent.push(client_msg_id.to_string());
        let frame = json!({"type": "send", "chat_id": self.chat, "body": client_msg_id, "client_msg_id": client_msg_id});
        let _ = self.out.send(frame);
    }

    /// Watches the board; returns its last seq then.
    async fn watch_board(&self, pipeline: &str) -> i64 {
        let _ = self.out.send(json!({"type": "watch_board", "pipeline_id": pipeline}));
        wait(self.name, Duration::from_secs(5), || self.seen.lock().unwrap().watching.is_some()).await;
        self.seen.lock().unwrap().watching.unwrap()
    }

    fn board_seqs(&self) -> Vec<i64> {
        self.seen.lock().unwrap().boards.iter().map(|(seq, _)| *seq).collect()
    }

    fn seqs(&self) -> Vec<i64> {
        self.seen.lock().unwrap().events.iter().map(|(seq, _, _)| *seq).collect()
    }

    fn has(&self, seq: i64) -> bool {
        self.seen.lock().unwrap().events.iter().any(|(s, _, _)| *s == seq)
    }

    fn arrival(&self, seq: i64) -> Option<Instant> {
        self.seen.lock().unwrap().events.iter().find(|(s, _, _)| *s == seq).map(|(_, _, at)| *at)
    }
}

/// Waits for `cond`, panicking with `what` after `within`; returns how long it took.
async fn wait(what: &str, within: Duration, cond: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

/// Sends from `live` every `PACE` until `stop`.
fn pace_socket(live: Arc<Live>, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            live.send(&format!("{}-{n}", live.name));
            tokio::time::sleep(PACE).await;
        }
    })
}

/// What a REST sender got: client_msg_id → (seq, when acked), and every non-2xx status.
type RestOutcome = (HashMap<String, (i64, Instant)>, Vec<(String, u16)>);

/// Sends over REST every `PACE` until `stop`, one request at a time.
fn pace_rest(
    name: &'static str,
    base: String,
    token: String,
    chat: Uuid,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<RestOutcome> {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let (mut acked, mut failed) = (HashMap::new(), Vec::new());
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let id = format!("{name}-{n}");
            let resp = http
                .post(format!("{base}/chats/{chat}/messages"))
                .bearer_auth(&token)
                .json(&json!({"body": id, "client_msg_id": id}))
                .send()
                .await
                .expect("the node answers");
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            if status.is_success() {
                acked.insert(id, (body["seq"].as_i64().unwrap(), Instant::now()));
            } else {
                failed.push((id, status.as_u16()));
            }
            tokio::time::sleep(PACE).await;
        }
        (acked, failed)
    })
}

/// The case: a quiet chat, Redis killed and restarted; the first
/// message after it reaches every socket of both members on both nodes at once,
/// not with the chat's next message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_chat_gets_its_next_message_at_once_after_redis_restarts() {
    let mut c = cluster().await;
    let sockets = [
        Live::open("owner-a", &c.a, &c.owner.token, c.chat).await,
        Live::open("owner-b", &c.b, &c.owner.token, c.chat).await,
        Live::open("bob-a", &c.a, &c.bob.token, c.chat).await,
        Live::open("bob-b", &c.b, &c.bob.token, c.chat).await,
    ];
    let sender = &sockets[0];
    sender.send("before");
    wait("ack before the restart", Duration::from_secs(5), || {
        sender.seen.lock().unwrap().acks.contains_key("before")
    })
    .await;
    let first = sender.seen.lock().unwrap().acks["before"].0;
    for s in &sockets {
        wait(s.name, Duration::from_secs(5), || s.has(first)).await;
    }

    c.redis.restart();
    let back = Instant::now();
    c.a.wait_logged("redis bus resubscribed", 1, Duration::from_secs(10)).await;
    c.b.wait_logged("redis bus resubscribed", 1, Duration::from_secs(10)).await;
    println!("both nodes resubscribed {:?} after Redis was back", back.elapsed());

    let sent = Instant::now();
    sender.send("after");
    wait("ack after the restart", Duration::from_secs(5), || {
        sender.seen.lock().unwrap().acks.contains_key("after")
    })
    .await;
    let second = sender.seen.lock().unwrap().acks["after"].0;
    assert_eq!(second, first + 1);
    for s in &sockets {
        wait(s.name, BOUND, || s.has(second)).await;
        let took = s.arrival(second).unwrap() - sent;
        println!("{}: the message after the restart arrived {took:?} after its send", s.name);
        assert!(took <= BOUND, "{}: {took:?}", s.name);
    }
    // Once: the next event each socket gets is the message after it.
    sender.send("next");
    wait("ack of the next message", Duration::from_secs(5), || {
        sender.seen.lock().unwrap().acks.contains_key("next")
    })
    .await;
    for s in &sockets {
        wait(s.name, Duration::from_secs(5), || s.has(second + 1)).await;
        let seen = s.seen.lock().unwrap();
        let events: Vec<(i64, Option<&str>)> =
            seen.events.iter().map(|(q, b, _)| (*q, b.as_deref())).collect();
        assert_eq!(
            events,
            vec![(first, Some("before")), (second, Some("after")), (second + 1, Some("next"))],
            "{}",
            s.name
        );
        assert!(seen.errors.is_empty(), "{}: {:?}", s.name, seen.errors);
    }
}

/// Boards too: a deal made on A while Redis is down reaches the watcher on A at
/// once and the one on B within `BOUND` of Redis being back; the next one after
/// the restart reaches both at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_gets_its_changes_at_once_after_redis_restarts() {
    let mut c = cluster().await;
    let pipelines = c.a.get("/pipelines", &c.owner.token).await;
    let pipeline = pipelines[0]["id"].as_str().unwrap().to_string();
    let watchers = [
        Live::open("owner-a", &c.a, &c.owner.token, c.chat).await,
        Live::open("bob-b", &c.b, &c.bob.token, c.chat).await,
    ];
    let mut start = Vec::new();
    for w in &watchers {
        start.push(w.watch_board(&pipeline).await);
    }
    assert_eq!(start[0], start[1]);
    let first = start[0] + 1;

    c.redis.stop();
    let made = Instant::now();
    c.a.post(
        "/deals",
        Some(&c.owner.token),
        json!({"title": "while Redis is down", "participants": [c.bob.id]}),
    )
    .await;
    let w = &watchers[0];
    wait("the watcher on the deal's node", BOUND, || w.board_seqs().contains(&first)).await;
    println!("owner-a: the deal made while Redis was down arrived {:?} after it was made", made.elapsed());
    c.redis.restart();
    let back = Instant::now();
    let w = &watchers[1];
    wait("the watcher on the other node", BOUND, || w.board_seqs().contains(&first)).await;
    println!("bob-b: the deal made while Redis was down arrived {:?} after Redis was back", back.elapsed());

    c.a.wait_logged("redis bus resubscribed", 1, Duration::from_secs(10)).await;
    c.b.wait_logged("redis bus resubscribed", 1, Duration::from_secs(10)).await;
    let made = Instant::now();
    c.a.post(
        "/deals",
        Some(&c.owner.token),
        json!({"title": "after the restart", "participants": [c.bob.id]}),
    )
    .await;
    for w in &watchers {
        wait(w.name, BOUND, || w.board_seqs().contains(&(first + 1))).await;
        println!("{}: the deal after the restart arrived {:?} after it was made", w.name, made.elapsed());
        assert_eq!(w.board_seqs(), vec![first, first + 1], "{}: in order, once", w.name);
        assert!(w.seen.lock().unwrap().errors.is_empty());
    }
}

/// Redis is killed while four senders (two sockets, two REST clients, on both
/// nodes) keep sending, and restarted: every acked message reaches every socket
/// once, in seq order, within `BOUND` of Redis being back; no send fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_under_load_loses_and_repeats_nothing() {
    let mut c = cluster().await;
    let senders = [
        Arc::new(Live::open("owner-ws-a", &c.a, &c.owner.token, c.chat).await),
        Arc::new(Live::open("bob-ws-b", &c.b, &c.bob.token, c.chat).await),
    ];
    let watchers = [
        Live::open("owner-b", &c.b, &c.owner.token, c.chat).await,
        Live::open("bob-a", &c.a, &c.bob.token, c.chat).await,
    ];
    let start_seq = c.last_seq(&c.a).await;
    let stop = Arc::new(AtomicBool::new(false));
    let socket_pacers: Vec<_> = senders.iter().map(|s| pace_socket(s.clone(), stop.clone())).collect();
    let rest_pacers = [
        pace_rest("owner-rest-b", c.b.base.clone(), c.owner.token.clone(), c.chat, stop.clone()),
        pace_rest("bob-rest-a", c.a.base.clone(), c.bob.token.clone(), c.chat, stop.clone()),
    ];

    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.redis.stop();
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.redis.restart();
    let back = Instant::now();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    stop.store(true, Ordering::Relaxed);
    for p in socket_pacers {
        p.await.unwrap();
    }
    let mut acked: HashMap<String, (i64, Instant)> = HashMap::new();
    let mut failed = Vec::new();
    for p in rest_pacers {
        let (ok, bad) = p.await.unwrap();
        acked.extend(ok);
        failed.extend(bad);
    }
    for s in &senders {
        wait(s.name, Duration::from_secs(5), || {
            let seen = s.seen.lock().unwrap();
            seen.acks.len() + seen.errors.len() >= seen.sent.len()
        })
        .await;
        let seen = s.seen.lock().unwrap();
        assert!(seen.errors.is_empty(), "{}: {:?}", s.name, seen.errors);
        acked.extend(seen.acks.clone());
    }
    assert!(failed.is_empty(), "every REST send succeeds: {failed:?}");

    let end_seq = c.last_seq(&c.b).await;
    let during = acked.values().filter(|(_, at)| *at >= down_at && *at < back).count();
    println!("{} messages acked, {during} of them while Redis was down", acked.len());
    assert_eq!(end_seq - start_seq, acked.len() as i64, "every message was acked once");
    let mut seqs: Vec<i64> = acked.values().map(|(seq, _)| *seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, ((start_seq + 1)..=end_seq).collect::<Vec<_>>());
    let due: HashMap<i64, Instant> = acked.values().map(|(seq, at)| (*seq, (*at).max(back))).collect();

    let all: Vec<&Live> = senders.iter().map(|s| s.as_ref()).chain(watchers.iter()).collect();
    let mut worst = Duration::ZERO;
    for s in all {
        wait(s.name, Duration::from_secs(10), || s.has(end_seq)).await;
        assert_eq!(s.seqs(), ((start_seq + 1)..=end_seq).collect::<Vec<_>>(), "{}: in order, once", s.name);
        let seen = s.seen.lock().unwrap();
        assert!(seen.errors.is_empty(), "{}: {:?}", s.name, seen.errors);
        let late =
            seen.events.iter().map(|(seq, _, at)| at.saturating_duration_since(due[seq])).max().unwrap();
        println!("{}: latest event {late:?} after Redis was back or its ack", s.name);
        worst = worst.max(late);
    }
    assert!(worst <= BOUND, "an event arrived {worst:?} after Redis was back or its ack");
}

/// Node A is killed with kill -9 while both members send through it: every
/// message acked before the kill is stored and reaches the sockets on B live;
/// the clients then resend what was not acked on B, and nothing is doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_while_sending_loses_no_acked_message() {
    let mut c = cluster().await;
    let senders = [
        Arc::new(Live::open("owner-a", &c.a, &c.owner.token, c.chat).await),
        Arc::new(Live::open("bob-a", &c.a, &c.bob.token, c.chat).await),
    ];
    let watchers = [
        Live::open("owner-b", &c.b, &c.owner.token, c.chat).await,
        Live::open("bob-b", &c.b, &c.bob.token, c.chat).await,
    ];
    let start_seq = c.last_seq(&c.b).await;
    let stop = Arc::new(AtomicBool::new(false));
    let pacers: Vec<_> = senders.iter().map(|s| pace_socket(s.clone(), stop.clone())).collect();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    c.a.kill();
    let killed = Instant::now();
    stop.store(true, Ordering::Relaxed);
    for p in pacers {
        p.await.unwrap();
    }

    let mut acked: HashMap<String, i64> = HashMap::new();
    for s in &senders {
        let seen = s.seen.lock().unwrap();
        assert!(seen.errors.is_empty(), "{}: {:?}", s.name, seen.errors);
        acked.extend(seen.acks.iter().map(|(id, (seq, _))| (id.clone(), *seq)));
    }
    assert!(!acked.is_empty(), "some sends were acked before the kill");
    for s in &watchers {
        wait(s.name, Duration::from_secs(10), || acked.values().all(|seq| s.has(*seq))).await;
        let last = acked.values().filter_map(|seq| s.arrival(*seq)).max().unwrap();
        let late = last.saturating_duration_since(killed);
        println!("{}: the last of {} acked messages arrived {late:?} after the kill", s.name, acked.len());
        assert!(late <= BOUND, "{}: acked messages arrived {late:?} after the kill", s.name);
    }
    // Whatever else A committed before it died reaches them too.
    let committed = c.last_seq(&c.b).await;
    for s in &watchers {
        wait(s.name, BOUND, || s.has(committed)).await;
    }

    // The clients resend what was not acked, with the same client_msg_id, on B.
    let mut resent = 0;
    for (s, token) in senders.iter().zip([&c.owner.token, &c.bob.token]) {
        let sent = s.seen.lock().unwrap().sent.clone();
        for id in sent.iter().filter(|id| !acked.contains_key(*id)) {
            let body =
                c.b.post(
                    &format!("/chats/{}/messages", c.chat),
                    Some(token),
                    json!({"body": id, "client_msg_id": id}),
                )
                .await;
            assert_eq!(body["client_msg_id"], id.as_str());
            resent += 1;
        }
    }
    let end_seq = c.last_seq(&c.b).await;
    println!(
        "{} acked before the kill, {} committed unacked, {resent} resent",
        acked.len(),
        committed - start_seq - acked.len() as i64
    );
    for s in &watchers {
        wait(s.name, Duration::from_secs(5), || s.has(end_seq)).await;
        assert_eq!(s.seqs(), ((start_seq + 1)..=end_seq).collect::<Vec<_>>(), "{}: in order, once", s.name);
        assert!(s.seen.lock().unwrap().errors.is_empty());
    }

    // The history holds every message sent, once, acked ones at their acked seq.
    let mut history: HashMap<String, i64> = HashMap::new();
    let mut after = start_seq;
    loop {
        let page =
            c.b.get(&format!("/chats/{}/messages?after={after}&limit=200", c.chat), &c.owner.token).await;
        let page = page.as_array().unwrap().clone();
        let Some(last) = page.last() else { break };
        after = last["seq"].as_i64().unwrap();
        for m in &page {
            let id = m["client_msg_id"].as_str().unwrap().to_string();
            assert!(history.insert(id.clone(), m["seq"].as_i64().unwrap()).is_none(), "{id} twice");
        }
    }
    let sent: usize = senders.iter().map(|s| s.seen.lock().unwrap().sent.len()).sum();
    assert_eq!(history.len(), sent, "every sent message is stored once");
    for (id, seq) in &acked {
        assert_eq!(history.get(id), Some(seq), "{id} at its acked seq");
    }
}
