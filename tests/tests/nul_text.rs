//! Text with a NUL character (U+0000), which Postgres cannot store and SQLite
//! can: refused with 422 naming the field on both engines, in every JSON body,
//! query string and socket frame; and a message that fails in the database only
//! fails itself, never the other sends committed in the same batch (another
//! workspace's above all).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use artel_core::message::{MessageKind, NewMessage};
use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

const NUL: &str = "a\u{0}b";

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

#[track_caller]
fn refused(r: &Resp, field: &str) {
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], field, "field named; body: {}", r.body);
}

async fn channel(app: &TestApp, by: &Session, name: &str) -> Uuid {
    let r = app.post("/chats", tok(by), json!({"kind": "channel", "name": name})).await;
    r.expect(201);
    id(&r.body)
}

async fn nul_is_refused_in_every_kind_of_field(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let t = tok(&owner);
    let chat = channel(&app, &owner, "general").await;

    let send = format!("/chats/{chat}/messages");
    refused(&app.post(&send, t, json!({"body": NUL, "client_msg_id": "n1"})).await, "body");
    refused(&app.post(&send, t, json!({"body": "ok", "client_msg_id": NUL})).await, "client_msg_id");
    refused(
        &app.post("/chats", t, json!({"kind": "channel", "name": "x", "description": NUL})).await,
        "description",
    );
    let r = app.call("PATCH", &format!("/chats/{chat}"), t, Some(json!({"description": NUL}))).await;
    refused(&r, "description");

    let deal = app.post("/deals", t, json!({"title": "Deal"})).await;
    deal.expect(201);
    let r =
        app.call("PATCH", &format!("/deals/{}", id(&deal.body)), t, Some(json!({"loss_reason": NUL}))).await;
    refused(&r, "loss_reason");
    for field in ["address", "position", "source"] {
        let r = app.post("/contacts", t, json!({"name": "Ivan", field: NUL})).await;
        refused(&r, field);
    }
    let r = app.post("/contacts", t, json!({"name": "Ivan", "tags": ["ok", NUL]})).await;
    refused(&r, "tags[1]");
    refused(&app.post("/tasks", t, json!({"title": "Call", "description": NUL})).await, "description");
    let r = app.post("/contacts/import", t, json!({"csv": format!("name,position\nIvan,{NUL}\n")})).await;
    refused(&r, "csv");

    for path in [
        "/contacts?text=a%00b",
        "/contacts?tag=a%00b",
        "/companies?text=a%00b",
        "/deals?tag=a%00b&text=x",
        "/contacts/export.csv?text=a%00b",
        "/companies/export.csv?tag=a%00b",
        "/search?q=a%00b",
    ] {
        let field = path.split('?').nth(1).and_then(|q| q.split('=').next()).unwrap_or("");
        refused(&app.get(path, &owner.access_token).await, field);
    }
    let r = app
        .call_raw(
            "POST",
            &format!("/chats/{chat}/attachments?filename=a%00b.txt"),
            t,
            Some("text/plain"),
            b"hi".to_vec(),
        )
        .await;
    refused(&r, "filename");
    refused(&app.get("/chats/a%00b", &owner.access_token).await, "path");

    // A socket frame: the send is answered with its ref, the socket stays usable.
    let mut ws = app.ws(&owner.access_token, &[(chat, 0)]).await;
    ws.send_message(chat, NUL, "w1").await;
    let err = ws.next_where(|f| f["type"] == "error").await;
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert_eq!(err["ref"], "w1", "{err}");
    assert!(err["message"].as_str().unwrap_or("").starts_with("body "), "{err}");
    ws.send_message(chat, "fine", "w2").await;
    let ack = ws.next_where(|f| f["type"] == "ack").await;
    assert_eq!(ack["client_msg_id"], "w2");

    // Nothing of it was stored: the chat holds only the socket's good message.
    let r = app.get(&format!("/chats/{chat}/messages"), &owner.access_token).await;
    r.expect(200);
    let bodies: Vec<&str> =
        r.body.as_array().expect("messages").iter().filter_map(|m| m["body"].as_str()).collect();
    assert_eq!(bodies, vec!["fine"]);
}

/// Sends that reach the committer holding a NUL (as if a path had no edge check)
/// with an innocent workspace's sends, over REST and sockets: the innocent
/// sends are all acked, whatever the database does with the bad ones.
async fn one_workspace_sending_nul_never_fails_another(backend: Backend) {
    const REST: usize = 120;
    const SOCKET: usize = 60;
    let app = TestApp::start(backend).await;
    let innocent = app.setup_owner().await;
    let attacker = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let chat = channel(&app, &innocent, "general").await;
    let bad_chat = channel(&app, &attacker, "noise").await;

    // Bad messages straight into the committer, all through the innocent
    // sends, so that the two share batches.
    let stop = Arc::new(AtomicBool::new(false));
    let bad = {
        let app_state = app.state.clone();
        let stop = stop.clone();
        let author = attacker.user_id;
        let workspace = attacker.workspace_id;
        tokio::spawn(async move {
            let mut pending = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let message = NewMessage {
                    id: Uuid::now_v7(),
                    workspace_id: workspace,
                    chat_id: bad_chat,
                    author_id: Some(author),
                    kind: MessageKind::User,
                    body: format!("bad {i} \u{0}"),
                    thread_root_id: None,
                    client_msg_id: Some(format!("bad-{i}")),
                    mentions: Vec::new(),
                    mentions_all: false,
                    created_at: chrono::Utc::now(),
                    attachment_ids: Vec::new(),
                    author_must_be_member: true,
                    notice: None,
                };
                i += 1;
                pending.push(app_state.committer.enqueue(message).await.expect("queued"));
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let sent = pending.len();
            let mut stored = 0;
            for p in pending {
                if artel::messaging::committer::Committer::outcome(p).await.is_ok() {
                    stored += 1;
                }
            }
            (sent, stored)
        })
    };
    let attacker_rest = async {
        for i in 0..30 {
            let r = app
                .post(
                    &format!("/chats/{bad_chat}/messages"),
                    tok(&attacker),
                    json!({"body": NUL, "client_msg_id": format!("r{i}")}),
                )
                .await;
            refused(&r, "body");
        }
    };
    let attacker_ws = async {
        let mut ws = app.ws(&attacker.access_token, &[(bad_chat, 0)]).await;
        for i in 0..30 {
            ws.send_message(bad_chat, NUL, &format!("s{i}")).await;
            let err = ws.next_where(|f| f["type"] == "error").await;
            assert_eq!(err["code"], "invalid_input", "{err}");
        }
    };
    let innocent_rest = async {
        let sends = (0..REST).map(|i| {
            let app = &app;
            let t = tok(&innocent);
            async move {
                app.post(
                    &format!("/chats/{chat}/messages"),
                    t,
                    json!({"body": format!("rest {i}"), "client_msg_id": format!("rest-{i}")}),
                )
                .await
                .status
            }
        });
        futures_util::future::join_all(sends).await
    };
    let innocent_ws = async {
        let mut ws = app.ws(&innocent.access_token, &[(chat, 0)]).await;
        let mut acked = 0;
        // In windows of 20: the socket's frame rate limit allows bursts of 60.
        for window in 0..SOCKET / 20 {
            for i in 0..20 {
                ws.send_message(chat, &format!("ws {window}-{i}"), &format!("ws-{window}-{i}")).await;
            }
            for _ in 0..20 {
                let f = ws.next_where(|f| f["type"] == "ack" || f["type"] == "error").await;
                assert_eq!(f["type"], "ack", "an innocent socket send failed: {f}");
                acked += 1;
            }
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        acked
    };
    let ((), (), statuses, acked) = tokio::join!(attacker_rest, attacker_ws, innocent_rest, innocent_ws);
    stop.store(true, Ordering::Relaxed);
    let (bad_sent, bad_stored) = bad.await.expect("bad sender");
    assert!(bad_sent >= 100, "bad messages all along ({bad_sent})");

    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        REST,
        "every innocent REST send: {statuses:?}"
    );
    assert_eq!(acked, SOCKET);
    match backend {
        // Postgres refuses each bad body, and only it.
        Backend::Postgres => assert_eq!(bad_stored, 0),
        Backend::Sqlite => assert_eq!(bad_stored, bad_sent),
    }
    let mut total = 0;
    let mut before = String::new();
    loop {
        let r = app.get(&format!("/chats/{chat}/messages?limit=200{before}"), &innocent.access_token).await;
        r.expect(200);
        let page = r.body.as_array().expect("messages").clone();
        total += page.len();
        match page.iter().filter_map(|m| m["seq"].as_i64()).min() {
            Some(min) if page.len() == 200 => before = format!("&before={min}"),
            _ => break,
        }
    }
    assert_eq!(total, REST + SOCKET, "each innocent send stored once");
}

on_every_backend!(nul_is_refused_in_every_kind_of_field, one_workspace_sending_nul_never_fails_another);
