//! Postgres dropping the server's connections under load (a failover, a
//! restart, an administrator's `pg_terminate_backend`): no request answers 500.
//! Reads are run again on a fresh connection, a group commit is tried again,
//! and what still fails answers 503 `unavailable` with `Retry-After` (a socket
//! send: an error frame with that code), so a client resends with the same
//! `client_msg_id`, which stores the message exactly once.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use artel_tests::ws_client::WsClient;
use artel_tests::{Backend, Resp, Session, TestApp};
use serde_json::json;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// How many times the test kills every connection of the server.
const KILLS: usize = 12;
/// Resends of one send before the test gives up on it.
const MAX_TRIES: usize = 50;

const TERMINATE: &str = "select count(*) from ( \
     select pg_terminate_backend(pid) from pg_stat_activity \
     where datname = current_database() and pid <> pg_backend_pid()) t";

#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    unavailable: AtomicUsize,
    reconnects: AtomicUsize,
}

/// A 503 must be `unavailable` with `Retry-After`; anything else but `ok` fails the test.
#[track_caller]
fn check(r: &Resp, ok: u16, what: &str, tally: &Tally) -> bool {
    if r.status == ok {
        tally.ok.fetch_add(1, Ordering::Relaxed);
        return true;
    }
    assert_eq!(r.status, 503, "{what}: {}", r.body);
    assert_eq!(r.code(), "unavailable", "{what}: {}", r.body);
    assert!(r.headers.contains_key("retry-after"), "{what}: 503 without Retry-After");
    tally.unavailable.fetch_add(1, Ordering::Relaxed);
    false
}

async fn rest_sender(
    app: &TestApp,
    owner: &Session,
    chat: Uuid,
    name: &str,
    stop: &AtomicBool,
    tally: &Tally,
) -> Vec<String> {
    let mut keys = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let key = format!("{name}-{i}");
        i += 1;
        let body = json!({"body": format!("msg {key}"), "client_msg_id": key});
        let mut tries = 0;
        loop {
            let r =
                app.post(&format!("/chats/{chat}/messages"), Some(&owner.access_token), body.clone()).await;
            if check(&r, 201, "send", tally) {
                assert_eq!(r.body["client_msg_id"], key.as_str());
                break;
            }
            tries += 1;
            assert!(tries < MAX_TRIES, "send {key} never got through");
        }
        keys.push(key);
    }
    keys
}

/// Sends over a socket, resending a send answered `unavailable`. A socket the
/// server closed (a read it needed failed) is opened again, as clients do, and
/// its unanswered send resent.
async fn socket_sender(
    app: &TestApp,
    owner: &Session,
    chat: Uuid,
    stop: &AtomicBool,
    tally: &Tally,
) -> Vec<String> {
    let mut ws = app.ws(&owner.access_token, &[]).await;
    let mut keys = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let key = format!("ws-{i}");
        i += 1;
        let mut tries = 0;
        loop {
            tries += 1;
            assert!(tries < MAX_TRIES, "send {key} never got through");
            ws.send_json(
                json!({"type": "send", "chat_id": chat, "body": format!("msg {key}"), "client_msg_id": key}),
            )
            .await;
            let answer = loop {
                match ws.next_unless_closed(Duration::from_secs(20)).await {
                    Ok(Some(f)) if f["type"] == "ack" && f["client_msg_id"] == key.as_str() => break Some(f),
                    Ok(Some(f)) if f["type"] == "error" => break Some(f),
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("no answer to {key} within 20 s"),
                    Err(()) => break None,
                }
            };
            match answer {
                Some(f) if f["type"] == "ack" => {
                    tally.ok.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Some(f) => {
                    assert_eq!(f["code"], "unavailable", "socket send: {f}");
                    assert_eq!(f["ref"], key.as_str(), "socket send: {f}");
                    tally.unavailable.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    tally.reconnects.fetch_add(1, Ordering::Relaxed);
                    ws = reconnect(app, owner).await;
                }
            }
        }
        keys.push(key);
        // Under the socket's frame rate limit.
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    keys
}

/// A new socket; its sign-in may meet a killed connection too (then the server
/// answers `internal`/`unavailable` and closes, and the helper panics): try again.
async fn reconnect(app: &TestApp, owner: &Session) -> WsClient {
    for _ in 0..MAX_TRIES {
        let (url, token) = (app.ws_url(), owner.access_token.clone());
        match tokio::spawn(async move { WsClient::connect(&url, &token, &[]).await }).await {
            Ok(ws) => return ws,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("could not open a socket again")
}

async fn reader(app: &TestApp, owner: &Session, path: &str, stop: &AtomicBool, tally: &Tally) {
    while !stop.load(Ordering::Relaxed) {
        check(&app.get(path, &owner.access_token).await, 200, path, tally);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connections_never_answer_500_and_resends_store_once() {
    let app = TestApp::start(Backend::Postgres).await;
    let owner = app.setup_owner().await;
    let r = app.post("/chats", Some(&owner.access_token), json!({"kind": "channel", "name": "load"})).await;
    r.expect(201);
    let chat: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    let url = app.data.database_url.as_ref().expect("postgres url").expose().to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let (sends, reads) = (Tally::default(), Tally::default());
    let killer = async {
        let mut killed = 0;
        for _ in 0..KILLS {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let mut conn = PgConnection::connect(&url).await.expect("connect");
            killed += sqlx::query_scalar::<_, i64>(TERMINATE).fetch_one(&mut conn).await.expect("terminate");
            let _ = conn.close().await;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        stop.store(true, Ordering::Relaxed);
        killed
    };
    let history = format!("/chats/{chat}/messages");
    let (killed, a, b, c, w, (), ()) = tokio::join!(
        killer,
        rest_sender(&app, &owner, chat, "a", &stop, &sends),
        rest_sender(&app, &owner, chat, "b", &stop, &sends),
        rest_sender(&app, &owner, chat, "c", &stop, &sends),
        socket_sender(&app, &owner, chat, &stop, &sends),
        reader(&app, &owner, &history, &stop, &reads),
        reader(&app, &owner, "/chats", &stop, &reads),
    );
    assert!(killed >= KILLS as i64, "the server's connections were killed ({killed})");
    let sent: Vec<String> = [a, b, c, w].concat();
    eprintln!(
        "killed {killed} connections; sends {} ok, {} unavailable, {} socket reconnects; reads {} ok, {} unavailable",
        sends.ok.load(Ordering::Relaxed),
        sends.unavailable.load(Ordering::Relaxed),
        sends.reconnects.load(Ordering::Relaxed),
        reads.ok.load(Ordering::Relaxed),
        reads.unavailable.load(Ordering::Relaxed),
    );

    // Every key once, none twice, nothing else.
    let mut stored = Vec::new();
    let mut before = String::new();
    loop {
        let r = app.get(&format!("/chats/{chat}/messages?limit=200{before}"), &owner.access_token).await;
        r.expect(200);
        let page = r.body.as_array().expect("messages").clone();
        stored.extend(page.iter().filter_map(|m| m["client_msg_id"].as_str().map(str::to_string)));
        match page.iter().filter_map(|m| m["seq"].as_i64()).min() {
            Some(min) if page.len() == 200 => before = format!("&before={min}"),
            _ => break,
        }
    }
    let distinct: HashSet<&String> = stored.iter().collect();
    assert_eq!(distinct.len(), stored.len(), "a resend stored a message twice");
    assert_eq!(distinct, sent.iter().collect::<HashSet<_>>(), "each acked send stored");
}
