//! Web Push end to end, on both backends, against a local push service that
//! checks VAPID (RFC 8292) and decrypts aes128gcm (RFC 8291) with keys the
//! test made: the API (key, subscriptions, settings, mute) with bad input and
//! other people's objects; who gets a push (direct, mention, @all, thread,
//! task assigned, reminder, deal assigned) and never the author; what stops
//! one (focus, mute, do-not-disturb, per-kind switch); hide_text; collapsing
//! bursts with a count; 410 prunes; 500/429 retried; a slow push service does
//! not slow sends; queued pushes survive a restart.

use std::time::{Duration, Instant};

use artel::config::ServeConfig;
use artel_core::Clock;
use artel_tests::push_service::{BrowserKeys, PushService, Reply};
use artel_tests::{on_every_backend, test_serve_config, Backend, Session, TestApp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use uuid::Uuid;

fn push_config() -> ServeConfig {
    ServeConfig {
        push_allow_http_loopback: true,
        push_timeout_secs: 2,
        push_collapse_secs: 10,
        ..test_serve_config()
    }
}

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

/// Waits (up to 10 s) until the user's queued push shows `n` attempts in the store.
async fn recorded_attempts(app: &TestApp, user: &Session, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pushes = app.state.store.list_pushes(user.workspace_id, user.user_id).await.expect("list");
        if pushes.iter().any(|p| p.attempts >= n) {
            return;
        }
        assert!(Instant::now() < deadline, "attempt {n} not recorded: {pushes:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Moves past the collapse window so the next push to a tag goes out at once.
fn next_window(app: &TestApp) {
    app.clock.advance(chrono::Duration::seconds(11));
}

async fn subscribe(app: &TestApp, s: &Session, service: &PushService) -> BrowserKeys {
    let keys = service.new_subscription();
    app.post("/push/subscriptions", tok(s), service.subscription_json(&keys)).await.expect(201);
    keys
}

async fn send(app: &TestApp, s: &Session, chat: &str, body: Value) -> Value {
    let r = app.post(&format!("/chats/{chat}/messages"), tok(s), body).await;
    r.expect(201);
    r.body.clone()
}

async fn direct(app: &TestApp, a: &Session, b: &Session) -> String {
    let r = app.post("/chats/direct", tok(a), json!({"user_id": b.user_id})).await;
    assert!(r.status == 200 || r.status == 201, "direct chat: {}", r.body);
    r.body["id"].as_str().expect("chat id").to_string()
}

async fn channel(app: &TestApp, owner: &Session, name: &str, members: &[&Session]) -> String {
    let ids: Vec<Uuid> = members.iter().map(|m| m.user_id).collect();
    let r = app.post("/chats", tok(owner), json!({"kind": "channel", "name": name, "member_ids": ids})).await;
    r.expect(201);
    r.body["id"].as_str().expect("chat id").to_string()
}

struct World {
    app: TestApp,
    service: PushService,
    owner: Session,
    bob: Session,
    carol: Session,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::start_with(backend, push_config()).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let service = PushService::start().await;
    World { app, service, owner, bob, carol }
}

async fn api_key_subscriptions_settings_and_mute(backend: Backend) {
    let World { app, service, owner, bob, .. } = world(backend).await;
    // The key is an uncompressed P-256 point in base64url without padding.
    let r = app.get("/push/key", &bob.access_token).await;
    r.expect(200);
    let key = r.body["public_key"].as_str().expect("key").to_string();
    let raw = URL_SAFE_NO_PAD.decode(&key).expect("base64url");
    assert_eq!((raw.len(), raw[0]), (65, 4));
    app.call("GET", "/push/key", None, None).await.expect_error(401, "unauthenticated");

    // Subscribe (201), again with fresh keys (200, same row), list, delete.
    let keys = service.new_subscription();
    let mut body = service.subscription_json(&keys);
    body["device"] = json!("Pixel 8");
    let r = app.post("/push/subscriptions", tok(&bob), body.clone()).await;
    r.expect(201);
    let id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(r.body["device"], "Pixel 8");
    assert_eq!(r.body["endpoint"], service.endpoint(&keys));
    let r = app.post("/push/subscriptions", tok(&bob), body.clone()).await;
    r.expect(200);
    assert_eq!(r.body["id"], id.as_str());
    let r = app.get("/push/subscriptions", &bob.access_token).await;
    r.expect(200);
    assert_eq!(r.body["items"].as_array().expect("items").len(), 1);
    assert_eq!(app.get("/push/subscriptions", &owner.access_token).await.body["items"], json!([]));

    // Bad input: 422 with the field; never a 500.
    let bad = [
        (json!({"endpoint": "http://push.example.com/x", "keys": body["keys"]}), "endpoint"),
        (json!({"endpoint": "https://10.1.2.3/x", "keys": body["keys"]}), "endpoint"),
        (json!({"endpoint": "https://192.168.1.10/x", "keys": body["keys"]}), "endpoint"),
        (json!({"endpoint": "https://[fd00::1]/x", "keys": body["keys"]}), "endpoint"),
        (json!({"endpoint": "ftp://push.example.com/x", "keys": body["keys"]}), "endpoint"),
        (json!({"endpoint": "not a url", "keys": body["keys"]}), "endpoint"),
        (
            json!({"endpoint": body["endpoint"], "keys": {"p256dh": "AAAA", "auth": body["keys"]["auth"]}}),
            "keys.p256dh",
        ),
        (
            json!({"endpoint": body["endpoint"], "keys": {"p256dh": "!!!", "auth": body["keys"]["auth"]}}),
            "keys.p256dh",
        ),
        (
            json!({"endpoint": body["endpoint"], "keys": {"p256dh": body["keys"]["p256dh"], "auth": "AAAA"}}),
            "keys.auth",
        ),
        (json!({"endpoint": body["endpoint"], "keys": body["keys"], "device": "x".repeat(101)}), "device"),
    ];
    for (b, field) in bad {
        let r = app.post("/push/subscriptions", tok(&bob), b.clone()).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], field, "for {b}");
    }
    // Names are resolved at subscription (`localhost.` is not the literal the
    // tests may use), and hosts that lead inside through an embedded IPv4 are refused.
    let hosts = artel_tests::ssrf::INTERNAL_HOSTS.iter().copied().chain(["localhost.", "localhost.:443"]);
    for host in hosts {
        let b = json!({"endpoint": format!("https://{host}/x"), "keys": body["keys"]});
        let r = app.post("/push/subscriptions", tok(&bob), b.clone()).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "endpoint", "for {b}");
    }
    let r = app.post("/push/subscriptions", tok(&bob), json!({"endpoint": body["endpoint"]})).await;
    r.expect(422);
    let r =
        app.call_raw("POST", "/push/subscriptions", tok(&bob), Some("application/json"), b"{".to_vec()).await;
    r.expect(400);

    // Someone else's subscription, or one in another workspace: 404.
    app.call("DELETE", &format!("/push/subscriptions/{id}"), tok(&owner), None)
        .await
        .expect_error(404, "not_found");
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    app.call("DELETE", &format!("/push/subscriptions/{id}"), tok(&other), None)
        .await
        .expect_error(404, "not_found");
    app.call("DELETE", "/push/subscriptions/not-a-uuid", tok(&bob), None).await.expect(400);
    app.call("DELETE", &format!("/push/subscriptions/{id}"), tok(&bob), None).await.expect(204);
    app.call("DELETE", &format!("/push/subscriptions/{id}"), tok(&bob), None)
        .await
        .expect_error(404, "not_found");

    // Settings: defaults, replace, read back, bad input.
    let r = app.get("/me/notifications", &bob.access_token).await;
    r.expect(200);
    assert_eq!(
        r.body,
        json!({"hide_text": false, "dnd": null, "kinds": {"direct": true, "mention": true, "thread": true,
               "task_assigned": true, "task_reminder": true, "deal_assigned": true}})
    );
    let wanted = json!({"hide_text": true, "dnd": {"from": "22:00", "to": "08:00"},
        "kinds": {"direct": true, "mention": false, "thread": true, "task_assigned": true,
                  "task_reminder": false, "deal_assigned": true}});
    app.call("PUT", "/me/notifications", tok(&bob), Some(wanted.clone())).await.expect(200);
    assert_eq!(app.get("/me/notifications", &bob.access_token).await.body, wanted);
    assert_eq!(app.get("/me/notifications", &owner.access_token).await.body["hide_text"], false);
    let mut b = wanted.clone();
    b["dnd"] = json!({"from": "25:00", "to": "08:00"});
    let r = app.call("PUT", "/me/notifications", tok(&bob), Some(b)).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "dnd.from");
    let mut b = wanted.clone();
    b["kinds"]["sms"] = json!(true);
    app.call("PUT", "/me/notifications", tok(&bob), Some(b)).await.expect(422);
    app.call("PUT", "/me/notifications", tok(&bob), Some(json!({"hide_text": "yes"}))).await.expect(422);

    // Mute: members only; a private chat I am not in is 404, a bad body 422.
    let private = app
        .post("/chats", tok(&owner), json!({"kind": "channel", "name": "board", "is_private": true}))
        .await;
    private.expect(201);
    let private = private.body["id"].as_str().expect("id").to_string();
    let path = format!("/chats/{private}/mute");
    app.call("PUT", &path, tok(&bob), Some(json!({"muted": true}))).await.expect_error(404, "not_found");
    app.call("PUT", &path, tok(&other), Some(json!({"muted": true}))).await.expect_error(404, "not_found");
    app.call("PUT", &path, tok(&owner), Some(json!({"muted": "yes"}))).await.expect(422);
    let r = app.call("PUT", &path, tok(&owner), Some(json!({"muted": true}))).await;
    r.expect(200);
    assert_eq!(r.body["muted"], true);
    // The chat list says so, to the one who muted it only, on every device.
    let muted_of = |body: &Value, chat: &str| {
        body.as_array().expect("chats").iter().find(|c| c["chat"]["id"] == chat).map(|c| c["muted"].clone())
    };
    let mine = app.get("/chats", &owner.access_token).await;
    assert_eq!(muted_of(&mine.body, &private), Some(json!(true)), "{}", mine.body);
    let public = channel(&app, &owner, "general-talk", &[&bob]).await;
    assert_eq!(muted_of(&app.get("/chats", &owner.access_token).await.body, &public), Some(json!(false)));
    app.call("PUT", &format!("/chats/{public}/mute"), tok(&bob), Some(json!({"muted": true})))
        .await
        .expect(200);
    assert_eq!(muted_of(&app.get("/chats", &bob.access_token).await.body, &public), Some(json!(true)));
    assert_eq!(muted_of(&app.get("/chats", &owner.access_token).await.body, &public), Some(json!(false)));
    app.call("PUT", &format!("/chats/{private}/mute"), tok(&owner), Some(json!({"muted": false})))
        .await
        .expect(200);
    assert_eq!(muted_of(&app.get("/chats", &owner.access_token).await.body, &private), Some(json!(false)));
    let public = channel(&app, &owner, "general-quiet", &[]).await;
    app.call("PUT", &format!("/chats/{public}/mute"), tok(&bob), Some(json!({"muted": true})))
        .await
        .expect_error(403, "forbidden");
}

async fn direct_messages_push_encrypted_and_signed(backend: Backend) {
    let World { app, service, owner, bob, .. } = world(backend).await;
    let bob_phone = subscribe(&app, &bob, &service).await;
    let owner_phone = subscribe(&app, &owner, &service).await;
    let chat = direct(&app, &owner, &bob).await;
    let sent = Instant::now();
    send(&app, &owner, &chat, json!({"body": "**Привет**, Боб! See [the deal](https://x.test/d) `now`"}))
        .await;
    let got = service.wait_for(&bob_phone, 1, 10).await;
    eprintln!("send → decrypted at the push service: {:?}", sent.elapsed());
    let p = &got[0].payload;
    assert_eq!(p["kind"], "direct");
    assert_eq!(p["title"], "Olga Owner");
    assert_eq!(p["body"], "Привет, Боб! See the deal now");
    assert_eq!(p["url"], format!("/m/chats/{chat}"));
    assert_eq!(p["tag"], format!("chat:{chat}"));
    assert_eq!(p["count"], 1);
    assert_eq!(p["badge"], 1);
    // Signed with the key the server hands out; aud is the endpoint's origin.
    let key = app.get("/push/key", &bob.access_token).await.body["public_key"].clone();
    assert_eq!(got[0].vapid_key, key.as_str().expect("key"));
    assert_eq!(got[0].claims["aud"], format!("http://{}", service.addr));
    assert!(got[0].ttl.parse::<u64>().expect("ttl") > 0);
    assert_eq!(
        got[0].topic.as_deref(),
        Some(Uuid::parse_str(&chat).expect("uuid").simple().to_string().as_str())
    );
    // Never to the author.
    app.push_drained().await;
    assert!(service.delivered_to(&owner_phone).is_empty());
    assert!(service.rejected().is_empty(), "{:?}", service.rejected());

    // A long body is cut to 140 characters; hide_text leaves only the title.
    next_window(&app);
    send(&app, &owner, &chat, json!({"body": "слово ".repeat(60)})).await;
    let got = service.wait_for(&bob_phone, 2, 10).await;
    let body = got[1].payload["body"].as_str().expect("body");
    assert_eq!(body.chars().count(), 140);
    assert!(body.ends_with('…'));
    let mut settings = app.get("/me/notifications", &bob.access_token).await.body;
    settings["hide_text"] = json!(true);
    app.call("PUT", "/me/notifications", tok(&bob), Some(settings)).await.expect(200);
    next_window(&app);
    send(&app, &owner, &chat, json!({"body": "секретная цена 1 000 000"})).await;
    let got = service.wait_for(&bob_phone, 3, 10).await;
    assert_eq!(got[2].payload["body"], "");
    assert_eq!(got[2].payload["title"], "Olga Owner");
}

async fn mentions_all_and_threads(backend: Backend) {
    let World { app, service, owner, bob, carol } = world(backend).await;
    let bob_phone = subscribe(&app, &bob, &service).await;
    let carol_phone = subscribe(&app, &carol, &service).await;
    let owner_phone = subscribe(&app, &owner, &service).await;
    let chat = channel(&app, &owner, "sales", &[&bob, &carol]).await;
    // A plain channel message pushes nobody.
    let root = send(&app, &owner, &chat, json!({"body": "morning all"})).await;
    app.push_drained().await;
    assert!(service.delivered().is_empty());
    // A mention pushes the mentioned person only, with their name in the text.
    send(&app, &owner, &chat, json!({"body": format!("<@{}> call the client", bob.user_id)})).await;
    let got = service.wait_for(&bob_phone, 1, 10).await;
    assert_eq!(got[0].payload["kind"], "mention");
    assert_eq!(got[0].payload["title"], "Olga Owner · #sales");
    assert_eq!(got[0].payload["body"], "@User bob@acme.test call the client");
    app.push_drained().await;
    assert!(service.delivered_to(&carol_phone).is_empty());
    // @all: everyone but the author.
    next_window(&app);
    send(&app, &bob, &chat, json!({"body": "@all standup in 5"})).await;
    service.wait_for(&carol_phone, 1, 10).await;
    let got = service.wait_for(&owner_phone, 1, 10).await;
    assert_eq!(got[0].payload["kind"], "mention");
    app.push_drained().await;
    assert_eq!(service.delivered_to(&bob_phone).len(), 1, "the author gets nothing");
    // Thread replies reach the thread's participants: the root's author (owner)
    // and earlier repliers (carol), not bob, who never took part.
    next_window(&app);
    let root_id = root["id"].as_str().expect("id");
    send(&app, &carol, &chat, json!({"body": "I'll take it", "thread_root_id": root_id})).await;
    let got = service.wait_for(&owner_phone, 2, 10).await;
    assert_eq!(got[1].payload["kind"], "thread");
    next_window(&app);
    send(&app, &owner, &chat, json!({"body": "thanks", "thread_root_id": root_id})).await;
    let got = service.wait_for(&carol_phone, 2, 10).await;
    assert_eq!(got[1].payload["kind"], "thread");
    app.push_drained().await;
    assert_eq!(service.delivered_to(&bob_phone).len(), 1);
}

async fn tasks_deals_and_reminders(backend: Backend) {
    let World { app, service, owner, bob, .. } = world(backend).await;
    let bob_phone = subscribe(&app, &bob, &service).await;
    let owner_phone = subscribe(&app, &owner, &service).await;
    // A task assigned to bob, with a reminder in 30 minutes.
    let r = app
        .post(
            "/tasks",
            tok(&owner),
            json!({"title": "Позвонить клиенту", "assignees": [bob.user_id],
                   "reminders": ["2026-11-23T09:30:00Z"]}),
        )
        .await;
    r.expect(201);
    let task = r.body["id"].as_str().expect("id").to_string();
    let got = service.wait_for(&bob_phone, 1, 10).await;
    assert_eq!(got[0].payload["kind"], "task_assigned");
    assert_eq!(got[0].payload["title"], "Позвонить клиенту");
    assert_eq!(got[0].payload["url"], format!("/m/tasks/{task}"));
    assert_eq!(got[0].payload["tag"], format!("task:{task}"));
    // My own task assigned to myself: nothing.
    app.post("/tasks", tok(&owner), json!({"title": "mine"})).await.expect(201);
    // The reminder, when due.
    app.clock.advance(chrono::Duration::minutes(31));
    let got = service.wait_for(&bob_phone, 2, 10).await;
    assert_eq!(got[1].payload["kind"], "task_reminder");
    assert_eq!(got[1].payload["url"], format!("/m/tasks/{task}"));
    // Access tokens expired meanwhile.
    let owner = app.login("owner@acme.test", None).await;
    // A deal given to bob at creation, then one reassigned to him.
    let r =
        app.post("/deals", tok(&owner), json!({"title": "Насосы для Acme", "owner_id": bob.user_id})).await;
    r.expect(201);
    let deal = r.body["id"].as_str().expect("id").to_string();
    let got = service.wait_for(&bob_phone, 3, 10).await;
    assert_eq!(got[2].payload["kind"], "deal_assigned");
    assert_eq!(got[2].payload["url"], format!("/m/deals/{deal}"));
    let r = app.post("/deals", tok(&owner), json!({"title": "Ремонт"})).await;
    r.expect(201);
    let (deal2, version) = (r.body["id"].as_str().expect("id").to_string(), r.body["version"].clone());
    app.call(
        "PATCH",
        &format!("/deals/{deal2}"),
        tok(&owner),
        Some(json!({"version": version, "owner_id": bob.user_id})),
    )
    .await
    .expect(200);
    let got = service.wait_for(&bob_phone, 4, 10).await;
    assert_eq!(got[3].payload["url"], format!("/m/deals/{deal2}"));
    app.push_drained().await;
    assert!(service.delivered_to(&owner_phone).is_empty(), "nothing for what I did myself");
}

async fn focus_mute_dnd_and_switches_suppress(backend: Backend) {
    let World { app, service, owner, bob, .. } = world(backend).await;
    let bob_phone = subscribe(&app, &bob, &service).await;
    let chat = direct(&app, &owner, &bob).await;
    let chat_id: Uuid = chat.parse().expect("uuid");
    // Bob looks at the chat in a visible client: no push.
    let mut ws = app.ws(&bob.access_token, &[]).await;
    ws.send_json(json!({"type": "focus", "chat_id": chat_id})).await;
    ws.send_json(json!({"type": "ping"})).await;
    ws.next_where(|f| f["type"] == "pong").await;
    send(&app, &owner, &chat, json!({"body": "you see this live"})).await;
    app.push_drained().await;
    assert!(service.delivered_to(&bob_phone).is_empty());
    // Focus on a chat he is not in is refused.
    let other = channel(&app, &owner, "secret", &[]).await;
    ws.send_json(json!({"type": "focus", "chat_id": other})).await;
    let e = ws.next_where(|f| f["type"] == "error").await;
    assert_eq!(e["code"], "forbidden");
    // Blur: pushes again.
    ws.send_json(json!({"type": "blur"})).await;
    ws.send_json(json!({"type": "ping"})).await;
    ws.next_where(|f| f["type"] == "pong").await;
    send(&app, &owner, &chat, json!({"body": "now you get a push"})).await;
    service.wait_for(&bob_phone, 1, 10).await;
    // A socket that closes while focused stops suppressing.
    ws.send_json(json!({"type": "focus", "chat_id": chat_id})).await;
    ws.send_json(json!({"type": "ping"})).await;
    ws.next_where(|f| f["type"] == "pong").await;
    drop(ws);
    // The server has seen the close once the socket's focus row is gone.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while app
        .state
        .store
        .focused_users(bob.workspace_id, chat_id, app.state.clock.now())
        .await
        .expect("focused users")
        .contains(&bob.user_id)
    {
        assert!(std::time::Instant::now() < deadline, "the closed socket still holds its focus");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    next_window(&app);
    send(&app, &owner, &chat, json!({"body": "after close"})).await;
    service.wait_for(&bob_phone, 2, 10).await;

    // Muted: nothing; unmuted: again.
    app.call("PUT", &format!("/chats/{chat}/mute"), tok(&bob), Some(json!({"muted": true})))
        .await
        .expect(200);
    next_window(&app);
    send(&app, &owner, &chat, json!({"body": "muted"})).await;
    app.push_drained().await;
    assert_eq!(service.delivered_to(&bob_phone).len(), 2);
    app.call("PUT", &format!("/chats/{chat}/mute"), tok(&bob), Some(json!({"muted": false})))
        .await
        .expect(200);

    // Do-not-disturb, read in bob's time zone: 09:00 UTC is 18:00 in Tokyo.
    app.call("PATCH", "/me", tok(&bob), Some(json!({"time_zone": "Asia/Tokyo"}))).await.expect(200);
    let mut s = app.get("/me/notifications", &bob.access_token).await.body;
    s["dnd"] = json!({"from": "17:00", "to": "19:00"});
    app.call("PUT", "/me/notifications", tok(&bob), Some(s.clone())).await.expect(200);
    send(&app, &owner, &chat, json!({"body": "during dnd"})).await;
    app.push_drained().await;
    assert_eq!(service.delivered_to(&bob_phone).len(), 2);
    // The same hours in UTC do not cover 09:xx UTC.
    app.call("PATCH", "/me", tok(&bob), Some(json!({"time_zone": "UTC"}))).await.expect(200);
    send(&app, &owner, &chat, json!({"body": "outside dnd"})).await;
    service.wait_for(&bob_phone, 3, 10).await;

    // Direct messages switched off: nothing.
    s["dnd"] = Value::Null;
    s["kinds"]["direct"] = json!(false);
    app.call("PUT", "/me/notifications", tok(&bob), Some(s)).await.expect(200);
    next_window(&app);
    send(&app, &owner, &chat, json!({"body": "switched off"})).await;
    app.push_drained().await;
    assert_eq!(service.delivered_to(&bob_phone).len(), 3);
}

async fn bursts_collapse_with_a_count(backend: Backend) {
    let World { app, service, owner, bob, .. } = world(backend).await;
    let bob_phone = subscribe(&app, &bob, &service).await;
    let chat = direct(&app, &owner, &bob).await;
    for i in 0..5 {
        send(&app, &owner, &chat, json!({"body": format!("line {i}")})).await;
    }
    app.push_drained().await;
    // The window has not ended (the clock stands still): exactly one push went
    // out, carrying the lines that folded into it before it was sent.
    let early = service.delivered_to(&bob_phone);
    assert_eq!(early.len(), 1, "{early:?}");
    let first = early[0].payload["count"].as_i64().expect("count");
    assert!((1..=5).contains(&first), "{early:?}");
    next_window(&app);
    app.push_drained().await;
    // The rest went out in one more push at the end of the window.
    let got = service.delivered_to(&bob_phone);
    let counts: Vec<i64> = got.iter().map(|d| d.payload["count"].as_i64().expect("count")).collect();
    let expected = if first == 5 { vec![5] } else { vec![first, 5 - first] };
    assert_eq!(counts, expected, "one push per window: {got:?}");
    assert!(got.iter().all(|d| d.payload["tag"] == format!("chat:{chat}")));
    assert_eq!(got.last().expect("last").payload["body"], "line 4");
}

async fn gone_is_pruned_and_failures_retried(backend: Backend) {
    let World { app, service, owner, bob, carol } = world(backend).await;
    // 410: the subscription is deleted.
    let bob_phone = subscribe(&app, &bob, &service).await;
    service.script(&bob_phone, &[Reply::Status(410)]);
    let chat = direct(&app, &owner, &bob).await;
    send(&app, &owner, &chat, json!({"body": "hello?"})).await;
    service.wait_for_attempts(&bob_phone, 1, 10).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.get("/push/subscriptions", &bob.access_token).await.body["items"]
        .as_array()
        .expect("items")
        .is_empty()
    {
        assert!(Instant::now() < deadline, "gone subscription not pruned");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // 500 then 429: retried after 5 s, then 10 s (not a second sooner), then
    // delivered once.
    let carol_phone = subscribe(&app, &carol, &service).await;
    service.script(&carol_phone, &[Reply::Status(500), Reply::Status(429)]);
    let chat = direct(&app, &owner, &carol).await;
    send(&app, &owner, &chat, json!({"body": "retry me"})).await;
    app.push_drained().await;
    assert_eq!(service.attempts(&carol_phone), 1);
    recorded_attempts(&app, &carol, 1).await;
    for (wait, attempts) in [(5, 2), (10, 3)] {
        app.clock.advance(chrono::Duration::seconds(wait - 1));
        app.push_drained().await;
        assert_eq!(service.attempts(&carol_phone), attempts - 1, "retried before the {wait} s backoff");
        app.clock.advance(chrono::Duration::seconds(1));
        app.push_drained().await;
        assert_eq!(service.attempts(&carol_phone), attempts, "not retried after the {wait} s backoff");
    }
    let got = service.delivered_to(&carol_phone);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload["body"], "retry me");
    app.clock.advance(chrono::Duration::hours(1));
    app.push_drained().await;
    assert_eq!(service.delivered_to(&carol_phone).len(), 1);
    assert_eq!(service.attempts(&carol_phone), 3);
}

/// A push service's `Retry-After` is waited out (when longer than the backoff);
/// a push that keeps failing is given up after exactly 8 attempts.
async fn retry_after_is_honoured_and_pushes_give_up(backend: Backend) {
    let World { app, service, owner, bob, .. } = world(backend).await;
    let bob_phone = subscribe(&app, &bob, &service).await;
    service.script(&bob_phone, &[Reply::RetryAfter(429, 120)]);
    let chat = direct(&app, &owner, &bob).await;
    send(&app, &owner, &chat, json!({"body": "later, please"})).await;
    app.push_drained().await;
    assert_eq!(service.attempts(&bob_phone), 1);
    app.clock.advance(chrono::Duration::seconds(119));
    app.push_drained().await;
    assert_eq!(service.attempts(&bob_phone), 1, "retried before Retry-After");
    app.clock.advance(chrono::Duration::seconds(1));
    app.push_drained().await;
    assert_eq!(service.attempts(&bob_phone), 2);
    assert_eq!(service.delivered_to(&bob_phone).len(), 1);

    // Failing for good: each retry after its backoff (5 s, doubling), 8 in all.
    service.script(&bob_phone, &[Reply::Status(503); 9]);
    next_window(&app);
    send(&app, &owner, &chat, json!({"body": "never arrives"})).await;
    app.push_drained().await;
    for attempt in 1..8 {
        assert_eq!(service.attempts(&bob_phone), 2 + attempt);
        app.clock.advance(chrono::Duration::seconds(5 << (attempt - 1)));
        app.push_drained().await;
    }
    assert_eq!(service.attempts(&bob_phone), 2 + 8);
    app.clock.advance(chrono::Duration::hours(2));
    app.push_drained().await;
    assert_eq!(service.attempts(&bob_phone), 2 + 8, "tried again after giving up");
    let pushes = app.state.store.list_pushes(bob.workspace_id, bob.user_id).await.expect("list");
    let failed: Vec<_> =
        pushes.iter().filter(|p| p.status == artel_core::push::QueueStatus::Failed).collect();
    assert_eq!(failed.len(), 1, "{pushes:?}");
    assert_eq!((failed[0].attempts, failed[0].last_status), (8, Some(503)));
    assert_eq!(service.delivered_to(&bob_phone).len(), 1);
}

/// Focus suppresses pushes for the chat only until 60 s after it was last set
/// (the socket's heartbeat refreshes it; a client that vanished stops
/// suppressing within that time).
async fn focus_expires_a_minute_after_its_last_refresh(backend: Backend) {
    let World { app, service, owner, bob, .. } = world(backend).await;
    let bob_phone = subscribe(&app, &bob, &service).await;
    let chat = direct(&app, &owner, &bob).await;
    let chat_id: Uuid = chat.parse().expect("uuid");
    let mut ws = app.ws(&bob.access_token, &[]).await;
    let mut delivered = 0;
    for round in 0..2 {
        ws.send_json(json!({"type": "focus", "chat_id": chat_id})).await;
        ws.send_json(json!({"type": "ping"})).await;
        ws.next_where(|f| f["type"] == "pong").await;
        app.clock.advance(chrono::Duration::seconds(59));
        send(&app, &owner, &chat, json!({"body": format!("still in view {round}")})).await;
        app.push_drained().await;
        assert_eq!(service.delivered_to(&bob_phone).len(), delivered, "round {round}: focus ended early");
        app.clock.advance(chrono::Duration::seconds(2));
        send(&app, &owner, &chat, json!({"body": format!("focus expired {round}")})).await;
        app.push_drained().await;
        delivered += 1;
        assert_eq!(service.delivered_to(&bob_phone).len(), delivered, "round {round}: focus outlived 60 s");
    }
    assert_eq!(service.delivered_to(&bob_phone)[1].payload["body"], "focus expired 1");
}

/// `@here`, like `@all`, pushes every member of the chat now, online or not,
/// never the author, and nobody who left the chat or was deactivated.
async fn here_reaches_the_members_of_now(backend: Backend) {
    let World { app, service, owner, bob, carol } = world(backend).await;
    let dave = app.invite_user(&owner, "member", "dave@acme.test").await;
    let erin = app.invite_user(&owner, "member", "erin@acme.test").await;
    let phones = [
        subscribe(&app, &owner, &service).await,
        subscribe(&app, &bob, &service).await,
        subscribe(&app, &carol, &service).await,
        subscribe(&app, &dave, &service).await,
        subscribe(&app, &erin, &service).await,
    ];
    let chat = channel(&app, &owner, "floor", &[&bob, &carol, &dave, &erin]).await;
    // Bob is online, carol is not; dave leaves, erin is deactivated.
    let mut bob_ws = app.ws(&bob.access_token, &[]).await;
    bob_ws.send_json(json!({"type": "ping"})).await;
    bob_ws.next_where(|f| f["type"] == "pong").await;
    app.call("DELETE", &format!("/chats/{chat}/members/{}", dave.user_id), tok(&owner), None)
        .await
        .expect(204);
    app.post(&format!("/users/{}/deactivate", erin.user_id), tok(&owner), json!({})).await.expect(200);
    send(&app, &owner, &chat, json!({"body": "@here standup"})).await;
    app.push_drained().await;
    let got: Vec<usize> = phones.iter().map(|p| service.delivered_to(p).len()).collect();
    assert_eq!(got, vec![0, 1, 1, 0, 0], "owner, bob, carol, dave, erin");
    let bob_push = &service.delivered_to(&phones[1])[0].payload;
    assert_eq!(
        (bob_push["kind"].as_str(), bob_push["body"].as_str()),
        (Some("mention"), Some("@here standup"))
    );
}

async fn slow_push_service_does_not_slow_sends(backend: Backend) {
    let World { app, service, owner, bob, .. } = world(backend).await;
    let bob_phone = subscribe(&app, &bob, &service).await;
    service.script(&bob_phone, &[Reply::Slow(Duration::from_secs(5)); 3]);
    let chat = direct(&app, &owner, &bob).await;
    // Warm up, then time sends while the push service hangs.
    send(&app, &owner, &chat, json!({"body": "first"})).await;
    service.wait_for_attempts(&bob_phone, 1, 10).await;
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for i in 0..10 {
        next_window(&app);
        let t = Instant::now();
        send(&app, &owner, &chat, json!({"body": format!("fast {i}")})).await;
        slowest = slowest.max(t.elapsed());
    }
    eprintln!("10 sends while the push service hangs: slowest {slowest:?}, all {:?}", started.elapsed());
    assert!(slowest < Duration::from_millis(500), "a send took {slowest:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "sends took {:?}", started.elapsed());
    // The hung delivery timed out (2 s) and is retried; later ones get through.
    app.clock.advance(chrono::Duration::minutes(5));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let total: i64 =
            service.delivered_to(&bob_phone).iter().map(|d| d.payload["count"].as_i64().unwrap_or(0)).sum();
        if total >= 1 && service.attempts(&bob_phone) >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no delivery after the slow ones");
        app.clock.advance(chrono::Duration::minutes(1));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn queued_pushes_survive_a_restart(backend: Backend) {
    let World { app, service, owner, bob, .. } = world(backend).await;
    let bob_phone = subscribe(&app, &bob, &service).await;
    let key = app.get("/push/key", &bob.access_token).await.body["public_key"].clone();
    service.script(&bob_phone, &[Reply::Status(503)]);
    let chat = direct(&app, &owner, &bob).await;
    send(&app, &owner, &chat, json!({"body": "survive"})).await;
    service.wait_for_attempts(&bob_phone, 1, 10).await;
    app.push_drained().await;
    let db = app.stop().await;
    // A new process on the same data: same VAPID key, the queued push goes out.
    let app = TestApp::start_on(db, push_config()).await;
    let bob = app.login("bob@acme.test", None).await;
    assert_eq!(app.get("/push/key", &bob.access_token).await.body["public_key"], key);
    app.clock.advance(chrono::Duration::minutes(2));
    let got = service.wait_for(&bob_phone, 1, 10).await;
    assert_eq!(got[0].payload["body"], "survive");
    assert_eq!(got[0].vapid_key, key.as_str().expect("key"));
}

/// Two nodes racing for the same due delivery: exactly one claims it; once its
/// lease runs out (that node died), another may take it over; a burst folds
/// into the pending row.
async fn a_delivery_is_claimed_by_one_node(backend: Backend) {
    use artel_core::push::{PushKind, QueueStatus, QueuedPush};
    let World { app, service, bob, .. } = world(backend).await;
    subscribe(&app, &bob, &service).await;
    let store = app.state.store.clone();
    let sub = store.list_subscriptions(bob.workspace_id, bob.user_id).await.expect("subs")[0].clone();
    // Due in an hour, so this server's own worker (at the test clock's "now") leaves it alone.
    let later = app.clock.now() + chrono::Duration::hours(1);
    let row = |body: &str| QueuedPush {
        id: Uuid::now_v7(),
        workspace_id: bob.workspace_id,
        user_id: bob.user_id,
        subscription_id: sub.id,
        tag: "task:x".into(),
        kind: PushKind::TaskReminder,
        title: "t".into(),
        body: body.into(),
        url: "/m/tasks/x".into(),
        count: 1,
        status: QueueStatus::Pending,
        run_at: later,
        attempts: 0,
        last_status: None,
        last_error: None,
        created_at: app.clock.now(),
        sent_at: None,
    };
    store.enqueue_push(&row("one")).await.expect("enqueue");
    store.enqueue_push(&row("two")).await.expect("enqueue");
    let pushes = store.list_pushes(bob.workspace_id, bob.user_id).await.expect("list");
    assert_eq!(pushes.len(), 1, "folded into one pending row");
    assert_eq!((pushes[0].count, pushes[0].body.as_str()), (2, "two"));
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let lease = later + chrono::Duration::seconds(30);
    let (ca, cb) = tokio::join!(
        store.claim_pushes(a, later, lease, later, 10),
        store.claim_pushes(b, later, lease, later, 10)
    );
    let (ca, cb) = (ca.expect("claim a"), cb.expect("claim b"));
    assert_eq!(ca.len() + cb.len(), 1, "claimed twice: {ca:?} {cb:?}");
    let (winner, loser) = if ca.is_empty() { (b, a) } else { (a, b) };
    // Within the lease nobody else gets it; after it, the other node does.
    assert!(store.claim_pushes(loser, later, lease, later, 10).await.expect("claim").is_empty());
    let after = lease + chrono::Duration::seconds(1);
    let taken = store
        .claim_pushes(loser, after, after + chrono::Duration::seconds(30), after, 10)
        .await
        .expect("claim");
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].attempts, 2);
    // The first node's late answer no longer counts.
    assert!(!store.finish_push(taken[0].id, winner, 201, after).await.expect("finish"));
    assert!(store.finish_push(taken[0].id, loser, 201, after).await.expect("finish"));

    // Queued while that push was going out (the planner saw no push yet): it waits
    // for the end of the collapse window instead of going out right behind it.
    let mut third = row("three");
    third.run_at = after;
    store.enqueue_push(&third).await.expect("enqueue");
    let window = chrono::Duration::seconds(10);
    let soon = after + chrono::Duration::seconds(1);
    let lease_of = |t| t + chrono::Duration::seconds(30);
    assert!(
        store.claim_pushes(winner, soon, lease_of(soon), soon - window, 10).await.expect("claim").is_empty(),
        "a second push inside the window"
    );
    let next = after + window + chrono::Duration::seconds(1);
    let due = store.claim_pushes(winner, next, lease_of(next), next - window, 10).await.expect("claim");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].body, "three");
}

on_every_backend!(
    a_delivery_is_claimed_by_one_node,
    api_key_subscriptions_settings_and_mute,
    direct_messages_push_encrypted_and_signed,
    mentions_all_and_threads,
    tasks_deals_and_reminders,
    focus_mute_dnd_and_switches_suppress,
    bursts_collapse_with_a_count,
    gone_is_pruned_and_failures_retried,
    retry_after_is_honoured_and_pushes_give_up,
    focus_expires_a_minute_after_its_last_refresh,
    here_reaches_the_members_of_now,
    slow_push_service_does_not_slow_sends,
    queued_pushes_survive_a_restart,
);
