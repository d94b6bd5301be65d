//! Webhooks and hooks from outside, on both backends: outgoing webhooks signed
//! and verified by a real local receiver, retried with backoff and logged; SSRF
//! targets refused at creation and at delivery; incoming chat hooks; website lead
//! capture (JSON and form-encoded, contact reuse, bad input, wrong and revoked
//! secrets); and who may do what (member, guest, another workspace).

use std::time::Duration;

use artel_core::Clock;
use artel_tests::receiver::{verify_signature, Receiver};
use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

async fn allow_private(app: &TestApp, admin: &Session, allow: bool) {
    app.call("PUT", "/integrations/settings", tok(admin), Some(json!({"allow_private_targets": allow})))
        .await
        .expect(200);
}

async fn create_webhook(app: &TestApp, admin: &Session, url: &str, events: &[&str]) -> (String, String) {
    let r =
        app.post("/webhooks", tok(admin), json!({"name": "CRM sync", "url": url, "events": events})).await;
    r.expect(201);
    (id_of(&r.body["webhook"]), r.body["secret"].as_str().expect("secret").to_string())
}

async fn deliveries(app: &TestApp, admin: &Session, webhook: &str) -> Vec<Value> {
    let r = app.get(&format!("/webhooks/{webhook}/deliveries"), &admin.access_token).await;
    r.expect(200);
    r.body.as_array().expect("array").clone()
}

/// Waits until the webhook's log has `n` entries (newest first).
async fn wait_deliveries(app: &TestApp, admin: &Session, webhook: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let log = deliveries(app, admin, webhook).await;
        if log.len() >= n {
            return log;
        }
        assert!(tokio::time::Instant::now() < deadline, "log has {} of {n} entries: {log:?}", log.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn first_pipeline(app: &TestApp, s: &Session) -> Value {
    let r = app.get("/pipelines", &s.access_token).await;
    r.expect(200);
    r.body.as_array().expect("pipelines")[0].clone()
}

async fn create_deal(app: &TestApp, s: &Session, title: &str) -> Value {
    let r = app.post("/deals", tok(s), json!({"title": title})).await;
    r.expect(201);
    r.body.clone()
}

async fn messages(app: &TestApp, s: &Session, chat: &str) -> Vec<Value> {
    let r = app.get(&format!("/chats/{chat}/messages"), &s.access_token).await;
    r.expect(200);
    r.body.as_array().expect("messages").clone()
}

async fn webhook_deliveries_are_signed_and_logged(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let receiver = Receiver::start(&[]).await;
    allow_private(&app, &owner, true).await;
    let events = [
        "deal.created",
        "deal.moved",
        "deal.won",
        "task.created",
        "task.done",
        "contact.created",
        "message.created",
    ];
    let (hook, secret) = create_webhook(&app, &owner, &receiver.url("/artel"), &events).await;
    assert!(secret.starts_with("whsec_"));
    // The secret is shown once: listings never carry it.
    let list = app.get("/webhooks", &owner.access_token).await;
    list.expect(200);
    assert!(!list.body.to_string().contains(&secret));

    let deal = create_deal(&app, &owner, "Поставка станков").await;
    let got = receiver.wait_for_event("deal.created").await;
    let sig = got.header("x-artel-signature");
    assert!(verify_signature(&secret, &sig, &got.body), "signature {sig} must verify");
    assert!(!verify_signature("whsec_wrong", &sig, &got.body));
    let mut tampered = got.body.to_vec();
    tampered[0] = b' ';
    assert!(!verify_signature(&secret, &sig, &tampered), "a changed body must not verify");
    let body = got.json();
    assert_eq!(body["event"], "deal.created");
    assert_eq!(body["data"]["deal"]["id"], deal["id"]);
    assert_eq!(body["workspace_id"], owner.workspace_id.to_string());
    let t: i64 = sig.trim_start_matches("t=").split(',').next().unwrap().parse().unwrap();
    assert_eq!(t, app.clock.now().timestamp(), "signed with the server's time");

    // Moving into the won stage: deal.moved and deal.won.
    let pipeline = first_pipeline(&app, &owner).await;
    let won = pipeline["stages"].as_array().unwrap().iter().find(|s| s["kind"] == "won").unwrap().clone();
    app.post(
        &format!("/deals/{}/move", id_of(&deal)),
        tok(&owner),
        json!({"version": deal["version"], "stage_id": won["id"]}),
    )
    .await
    .expect(200);
    let moved = receiver.wait_for_event("deal.moved").await.json();
    assert_eq!(moved["data"]["to_stage"]["id"], won["id"]);
    let won_event = receiver.wait_for_event("deal.won").await.json();
    assert_eq!(won_event["data"]["deal"]["stage_id"], won["id"]);

    // Contacts, tasks and people's messages.
    app.post("/contacts", tok(&owner), json!({"name": "Иван Петров", "phones": ["+7 916 123-45-67"]}))
        .await
        .expect(201);
    assert_eq!(
        receiver.wait_for_event("contact.created").await.json()["data"]["contact"]["name"],
        "Иван Петров"
    );
    let task = app.post("/tasks", tok(&owner), json!({"title": "Позвонить"})).await;
    task.expect(201);
    receiver.wait_for_event("task.created").await;
    app.post(&format!("/tasks/{}/complete", id_of(&task.body)), tok(&owner), json!({"version": 1}))
        .await
        .expect(200);
    receiver.wait_for_event("task.done").await;
    let chat = app.post("/chats", tok(&owner), json!({"kind": "channel", "name": "general"})).await;
    chat.expect(201);
    app.post(
        &format!("/chats/{}/messages", id_of(&chat.body)),
        tok(&owner),
        json!({"body": "привет", "client_msg_id": "m1"}),
    )
    .await
    .expect(201);
    let msg = receiver.wait_for_event("message.created").await.json();
    assert_eq!(msg["data"]["message"]["body"], "привет");

    // Each event exactly once; every attempt is in the log, delivered with 200.
    app.jobs_drained().await;
    let all = receiver.received();
    let mut ids: Vec<String> = all.iter().map(|r| r.header("x-artel-event-id")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "an event was delivered twice");
    let log = deliveries(&app, &owner, &hook).await;
    assert_eq!(log.len(), all.len());
    for entry in &log {
        assert_eq!(entry["outcome"], "delivered", "{entry}");
        assert_eq!(entry["response_code"], 200);
        assert_eq!(entry["attempt"], 1);
        assert!(entry["duration_ms"].as_i64().unwrap() >= 0);
    }
    // System messages (deal created/moved) are not echoed as message.created.
    assert_eq!(all.iter().filter(|r| r.header("x-artel-event") == "message.created").count(), 1);
}

async fn failed_deliveries_retry_with_backoff(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let receiver = Receiver::start(&[500, 503]).await;
    allow_private(&app, &owner, true).await;
    let (hook, secret) = create_webhook(&app, &owner, &receiver.url("/flaky"), &["deal.created"]).await;
    create_deal(&app, &owner, "Retry me").await;

    let log = wait_deliveries(&app, &owner, &hook, 1).await;
    assert_eq!(log[0]["outcome"], "failed");
    assert_eq!(log[0]["response_code"], 500);
    assert_eq!(log[0]["attempt"], 1);
    // Not again a second before the backoff (30 s), at once when it has passed;
    // the second wait is twice as long (60 s).
    for (wait, calls) in [(30, 2), (60, 3)] {
        app.clock.advance(chrono::Duration::seconds(wait - 1));
        app.jobs_drained().await;
        assert_eq!(receiver.received().len(), calls - 1, "retried before {wait} s");
        app.clock.advance(chrono::Duration::seconds(1));
        app.jobs_drained().await;
        assert_eq!(receiver.received().len(), calls, "not retried after {wait} s");
    }
    let log = deliveries(&app, &owner, &hook).await;
    assert_eq!(log.len(), 3);
    assert_eq!(log[1]["attempt"], 2);
    assert_eq!(log[1]["response_code"], 503);
    assert_eq!(log[0]["attempt"], 3);
    assert_eq!(log[0]["outcome"], "delivered");
    assert_eq!(log[0]["response_code"], 200);
    // The same event each time, freshly signed.
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    let event_ids: Vec<String> = got.iter().map(|r| r.json()["id"].as_str().unwrap().to_string()).collect();
    assert!(event_ids.iter().all(|e| *e == event_ids[0]));
    for r in &got {
        assert!(verify_signature(&secret, &r.header("x-artel-signature"), &r.body));
    }
    // Nothing more once delivered.
    app.clock.advance(chrono::Duration::hours(2));
    app.jobs_drained().await;
    assert_eq!(receiver.received().len(), 3);
}

async fn ssrf_targets_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let receiver = Receiver::start(&[]).await;
    for url in [
        "http://127.0.0.1:9/hook".to_string(),
        "http://10.0.0.1/hook".to_string(),
        "http://192.168.1.10/hook".to_string(),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::1]:8080/hook".to_string(),
        "http://[::ffff:127.0.0.1]/hook".to_string(),
        "http://0.0.0.0/".to_string(),
        // A name that resolves to loopback.
        format!("http://localhost:{}/hook", receiver.addr.port()),
    ] {
        let r = app
            .post("/webhooks", tok(&owner), json!({"name": "x", "url": url, "events": ["deal.created"]}))
            .await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "url", "{url}: {}", r.body);
    }
    // Tunnels and translators that lead inside by way of an embedded IPv4 address.
    for host in artel_tests::ssrf::INTERNAL_HOSTS {
        let url = format!("http://{host}/hook");
        let r = app
            .post("/webhooks", tok(&owner), json!({"name": "x", "url": url, "events": ["deal.created"]}))
            .await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "url", "{url}: {}", r.body);
    }
    // Bad URLs and events.
    for (url, events) in [
        ("ftp://example.com/x", json!(["deal.created"])),
        ("not a url", json!(["deal.created"])),
        ("http://user:pass@example.com/", json!(["deal.created"])),
        ("https://example.com/x", json!(["deal.exploded"])),
        ("https://example.com/x", json!([])),
    ] {
        app.post("/webhooks", tok(&owner), json!({"name": "x", "url": url, "events": events}))
            .await
            .expect_error(422, "invalid_input");
    }
    app.post("/webhooks", tok(&owner), json!({"name": "x", "url": "https://example.com"})).await.expect(422);

    // Allowed for a while, then forbidden again: the delivery is refused after
    // resolving, the receiver gets nothing, and the log says why.
    allow_private(&app, &owner, true).await;
    let (hook, _) = create_webhook(&app, &owner, &receiver.url("/x"), &["deal.created"]).await;
    allow_private(&app, &owner, false).await;
    create_deal(&app, &owner, "Blocked").await;
    let log = wait_deliveries(&app, &owner, &hook, 1).await;
    assert_eq!(log[0]["outcome"], "refused", "{}", log[0]);
    assert!(log[0]["error"].as_str().unwrap().contains("private"));
    app.clock.advance(chrono::Duration::hours(1));
    app.jobs_drained().await;
    let owner = app.login("owner@acme.test", None).await;
    assert!(receiver.received().is_empty(), "a refused target was called");
    assert_eq!(deliveries(&app, &owner, &hook).await.len(), 1, "refusals are not retried");
    // Changing the URL to an internal one is refused too.
    app.call("PATCH", &format!("/webhooks/{hook}"), tok(&owner), Some(json!({"url": "http://10.1.2.3/"})))
        .await
        .expect_error(422, "invalid_input");
}

async fn webhook_permissions(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let member = app.invite_user(&owner, "member", "bob@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    let receiver = Receiver::start(&[]).await;
    allow_private(&app, &admin, true).await;
    let (hook, _) = create_webhook(&app, &admin, &receiver.url("/a"), &["deal.created"]).await;
    let body = json!({"name": "x", "url": receiver.url("/b"), "events": ["deal.created"]});
    for who in [&member, &guest] {
        app.post("/webhooks", tok(who), body.clone()).await.expect_error(403, "forbidden");
        app.get("/webhooks", &who.access_token).await.expect_error(403, "forbidden");
        app.get(&format!("/webhooks/{hook}/deliveries"), &who.access_token)
            .await
            .expect_error(403, "forbidden");
        app.call("DELETE", &format!("/webhooks/{hook}"), tok(who), None).await.expect_error(403, "forbidden");
        app.get("/integrations/settings", &who.access_token).await.expect_error(403, "forbidden");
        app.call("PUT", "/integrations/settings", tok(who), Some(json!({"allow_private_targets": true})))
            .await
            .expect_error(403, "forbidden");
    }
    // Another workspace's admin: the webhook does not exist for them, and
    // their workspace's private-target setting is separate.
    app.get(&format!("/webhooks/{hook}"), &other.access_token).await.expect_error(404, "not_found");
    app.get(&format!("/webhooks/{hook}/deliveries"), &other.access_token)
        .await
        .expect_error(404, "not_found");
    app.call("DELETE", &format!("/webhooks/{hook}"), tok(&other), None).await.expect_error(404, "not_found");
    app.post("/webhooks", tok(&other), body.clone()).await.expect_error(422, "invalid_input");
    // Bad input: unknown fields, malformed id.
    app.post(
        "/webhooks",
        tok(&admin),
        json!({"name": "x", "url": "https://example.com", "events": ["deal.created"], "secret": "mine"}),
    )
    .await
    .expect(422);
    app.get("/webhooks/not-a-uuid", &admin.access_token).await.expect(400);
    // The admin pauses and deletes it.
    let r =
        app.call("PATCH", &format!("/webhooks/{hook}"), tok(&admin), Some(json!({"active": false}))).await;
    r.expect(200);
    assert_eq!(r.body["active"], false);
    app.call("DELETE", &format!("/webhooks/{hook}"), tok(&admin), None).await.expect(204);
    app.get(&format!("/webhooks/{hook}"), &admin.access_token).await.expect_error(404, "not_found");
}

async fn incoming_hook_posts_into_its_chat(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "bob@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    let chat = app
        .post(
            "/chats",
            tok(&owner),
            json!({"kind": "group", "name": "alerts", "member_ids": [member.user_id, guest.user_id]}),
        )
        .await;
    chat.expect(201);
    let chat_id = id_of(&chat.body);
    let create = json!({"kind": "incoming", "name": "Monitoring", "chat_id": chat_id});
    // A plain member of the chat, a guest and another workspace may not.
    app.post("/hooks", tok(&member), create.clone()).await.expect_error(403, "forbidden");
    app.post("/hooks", tok(&guest), create.clone()).await.expect_error(403, "forbidden");
    app.post("/hooks", tok(&other), create.clone()).await.expect_error(404, "not_found");
    app.post("/hooks", tok(&owner), json!({"kind": "incoming", "name": "x"}))
        .await
        .expect_error(422, "invalid_input");
    let r = app.post("/hooks", tok(&owner), create).await;
    r.expect(201);
    let token = r.body["token"].as_str().unwrap().to_string();
    let hook_id = id_of(&r.body["hook"]);
    assert!(r.body["url"].as_str().unwrap().ends_with(&format!("/api/v1/hooks/in/{token}")));
    assert!(!app.get("/hooks", &owner.access_token).await.body.to_string().contains(&token));

    let r = app.post(&format!("/hooks/in/{token}"), None, json!({"text": "CPU 95% на **db-1**"})).await;
    r.expect(201);
    let msgs = messages(&app, &member, &chat_id).await;
    let posted = msgs.iter().find(|m| m["id"] == r.body["message_id"]).expect("message in chat");
    assert_eq!(posted["kind"], "bot");
    assert_eq!(posted["body"], "CPU 95% на **db-1**");
    // Signed with the hook's name, for clients to show instead of "System".
    assert_eq!(posted["notice"], json!({"type": "hook", "hook_id": hook_id, "name": "Monitoring"}));

    // Bad input and wrong secrets.
    app.post(&format!("/hooks/in/{token}"), None, json!({"text": "  "}))
        .await
        .expect_error(422, "invalid_input");
    app.post(&format!("/hooks/in/{token}"), None, json!({"txt": "x"})).await.expect(422);
    app.call_raw("POST", &format!("/hooks/in/{token}"), None, Some("application/json"), b"{oops".to_vec())
        .await
        .expect_error(400, "malformed_json");
    app.post("/hooks/in/artel_in_wrong", None, json!({"text": "x"})).await.expect_error(404, "not_found");
    // A lead secret does not post messages.
    app.post(&format!("/hooks/lead/{token}"), None, json!({"phone": "+79161234567"}))
        .await
        .expect_error(404, "not_found");
    // Revoked: gone at once. Only admins or its creator revoke.
    app.call("DELETE", &format!("/hooks/{hook_id}"), tok(&member), None).await.expect_error(403, "forbidden");
    app.call("DELETE", &format!("/hooks/{hook_id}"), tok(&other), None).await.expect_error(404, "not_found");
    app.call("DELETE", &format!("/hooks/{hook_id}"), tok(&owner), None).await.expect(204);
    app.post(&format!("/hooks/in/{token}"), None, json!({"text": "x"})).await.expect_error(404, "not_found");
}

async fn lead_hook(app: &TestApp, admin: &Session) -> String {
    let r = app.post("/hooks", tok(admin), json!({"kind": "lead", "name": "Сайт"})).await;
    r.expect(201);
    r.body["token"].as_str().unwrap().to_string()
}

async fn lead_capture_creates_contact_and_deal(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "bob@acme.test").await;
    let token = lead_hook(&app, &owner).await;
    let path = format!("/hooks/lead/{token}");

    let r = app
        .post(
            &path,
            None,
            json!({"name": "Мария Соколова", "phone": "8 (916) 555-44-33", "email": "Maria@Example.com",
                                   "company": "ООО Вектор", "message": "Нужен расчёт", "utm_source": "yandex",
                                   "submit": "Отправить"}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["contact_reused"], false);
    let deal = app.get(&format!("/deals/{}", r.body["deal_id"].as_str().unwrap()), &owner.access_token).await;
    deal.expect(200);
    let pipeline = first_pipeline(&app, &owner).await;
    assert_eq!(deal.body["stage_id"], pipeline["stages"][0]["id"], "first stage of the first pipeline");
    assert_eq!(deal.body["contact_id"], r.body["contact_id"]);
    assert_eq!(deal.body["owner_id"], owner.user_id.to_string());
    let contact =
        app.get(&format!("/contacts/{}", r.body["contact_id"].as_str().unwrap()), &owner.access_token).await;
    contact.expect(200);
    assert_eq!(contact.body["name"], "Мария Соколова");
    assert_eq!(contact.body["phones"][0]["e164"], "+79165554433");
    let chat = deal.body["chat_id"].as_str().unwrap();
    let msgs = messages(&app, &owner, chat).await;
    let form = msgs.iter().find(|m| m["kind"] == "bot").expect("the form in the deal chat");
    let text = form["body"].as_str().unwrap();
    // Read as rendered: the visitor's words are quoted as text (`utm\_source`).
    let html = form["html"].as_str().unwrap();
    assert!(
        html.contains("Нужен расчёт") && html.contains("ООО Вектор") && html.contains("utm_source: yandex"),
        "{html}"
    );
    assert!(!text.contains("Отправить"), "unknown form fields are not posted");

    // Form-encoded, the same phone written differently: the contact is reused.
    let r2 = app
        .call_raw(
            "POST",
            &path,
            None,
            Some("application/x-www-form-urlencoded"),
            b"name=%D0%9C%D0%B0%D1%80%D0%B8%D1%8F&phone=%2B7+916+555+44+33&utm_campaign=winter".to_vec(),
        )
        .await;
    r2.expect(201);
    assert_eq!(r2.body["contact_reused"], true);
    assert_eq!(r2.body["contact_id"], r.body["contact_id"]);
    assert_ne!(r2.body["deal_id"], r.body["deal_id"]);
    // By e-mail alone, in another case.
    let r3 = app.post(&path, None, json!({"email": "maria@example.COM"})).await;
    r3.expect(201);
    assert_eq!(r3.body["contact_id"], r.body["contact_id"]);

    // Bad input.
    app.post(&path, None, json!({"name": "Без контактов"})).await.expect_error(422, "invalid_input");
    app.post(&path, None, json!({"phone": "не телефон"})).await.expect_error(422, "invalid_input");
    app.post(&path, None, json!({"email": "nope"})).await.expect_error(422, "invalid_input");
    app.post(&path, None, json!({"phone": "+79161234567", "name": {"first": "x"}}))
        .await
        .expect_error(422, "invalid_input");
    app.post(&path, None, json!(["not", "an", "object"])).await.expect_error(422, "invalid_input");
    app.post(&path, None, json!({"phone": "+79161234567", "message": "x".repeat(4001)}))
        .await
        .expect_error(422, "invalid_input");
    app.call_raw("POST", &path, None, Some("application/json"), b"{not json".to_vec())
        .await
        .expect_error(400, "malformed_json");
    app.call_raw("POST", &path, None, Some("text/plain"), b"phone=1".to_vec())
        .await
        .expect_error(415, "unsupported_media_type");
    app.call_raw("POST", &path, None, Some("application/json"), vec![b' '; 70_000])
        .await
        .expect_error(413, "payload_too_large");
    app.post("/hooks/lead/artel_lead_unknown", None, json!({"phone": "+79161234567"}))
        .await
        .expect_error(404, "not_found");
    app.post(&format!("/hooks/lead/{}", "x".repeat(300)), None, json!({"phone": "+79161234567"}))
        .await
        .expect_error(404, "not_found");

    // Only admins make lead hooks; a bad pipeline or owner is refused.
    app.post("/hooks", tok(&member), json!({"kind": "lead", "name": "x"}))
        .await
        .expect_error(403, "forbidden");
    app.post(
        "/hooks",
        tok(&owner),
        json!({"kind": "lead", "name": "x", "pipeline_id": uuid::Uuid::now_v7()}),
    )
    .await
    .expect_error(422, "invalid_input");
    app.post("/hooks", tok(&owner), json!({"kind": "lead", "name": "x", "owner_id": uuid::Uuid::now_v7()}))
        .await
        .expect_error(422, "invalid_input");
    // Leads for a member rep: the deal is theirs.
    let r = app
        .post("/hooks", tok(&owner), json!({"kind": "lead", "name": "Лендинг", "owner_id": member.user_id}))
        .await;
    r.expect(201);
    let lead = app
        .post(
            &format!("/hooks/lead/{}", r.body["token"].as_str().unwrap()),
            None,
            json!({"phone": "+79031112233"}),
        )
        .await;
    lead.expect(201);
    let deal =
        app.get(&format!("/deals/{}", lead.body["deal_id"].as_str().unwrap()), &member.access_token).await;
    deal.expect(200);
    assert_eq!(deal.body["owner_id"], member.user_id.to_string());
}

async fn lead_hooks_are_rate_limited(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token = lead_hook(&app, &owner).await;
    let path = format!("/hooks/lead/{token}");
    // Exactly 60 calls a minute; bad input still counts, so a flood of junk
    // must not get through either.
    for i in 0..60 {
        app.post(&path, None, json!({"name": format!("n{i}")})).await.expect(422);
    }
    let r = app.post(&path, None, json!({"name": "n60"})).await;
    r.expect_error(429, "rate_limited");
    let wait: u64 = r.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
}

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

async fn deal_count(app: &TestApp, owner: &Session) -> usize {
    let r = app.get("/deals?limit=200&include_archived=true", &owner.access_token).await;
    r.expect(200);
    r.body.as_array().or_else(|| r.body["items"].as_array()).expect("deals").len()
}

/// A website's script may call the lead URL (and only that URL) from any
/// origin: preflights are answered, answers and errors carry CORS.
async fn lead_url_answers_website_scripts(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token = lead_hook(&app, &owner).await;
    let url = app.url(&format!("/hooks/lead/{token}"));
    let http = browser();
    let pre = http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, idempotency-key")
        .send()
        .await
        .expect("preflight");
    assert_eq!(pre.status(), 204);
    let h = pre.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert!(h["access-control-allow-headers"].to_str().unwrap().contains("idempotency-key"));
    assert!(h.get("access-control-allow-credentials").is_none());
    let posted = http
        .post(&url)
        .header("origin", "https://shop.example")
        .header("sec-fetch-mode", "cors")
        .json(&json!({"name": "Ира", "phone": "+7 916 555-44-33"}))
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), 201);
    assert_eq!(posted.headers()["access-control-allow-origin"], "*");
    // Errors too, so the script can read why.
    let bad =
        http.post(&url).header("origin", "https://shop.example").json(&json!({"name": "x"})).send().await;
    let bad = bad.expect("post");
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.headers()["access-control-allow-origin"], "*");
    // Other endpoints are not opened to other sites.
    let other = http
        .request(reqwest::Method::OPTIONS, app.url("/hooks"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert_eq!(other.status(), 405);
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let me = http.get(app.url("/me")).header("origin", "https://shop.example").send().await.expect("me");
    assert!(me.headers().get("access-control-allow-origin").is_none());
}

/// The same idempotency key (header or form field) answers with the first lead:
/// one deal however often, however concurrently, the form is sent, and after a
/// restart too (the keys live in the database every node shares).
async fn a_resubmitted_lead_makes_one_deal(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token = lead_hook(&app, &owner).await;
    let url = app.url(&format!("/hooks/lead/{token}"));
    let http = browser();
    let form = "name=%D0%98%D1%80%D0%B0&phone=%2B79165554433";
    let send = |key: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let r = http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("idempotency-key", key)
                .body(form)
                .send()
                .await
                .expect("post");
            let status = r.status().as_u16();
            let replayed = r.headers().get("idempotent-replayed").is_some();
            let body: Value = r.json().await.expect("json");
            (status, replayed, body["deal_id"].as_str().expect("deal id").to_string())
        }
    };
    let first = send("order-1").await;
    assert_eq!((first.0, first.1), (201, false));
    let again = send("order-1").await;
    assert_eq!(again, (200, true, first.2.clone()));
    assert_eq!(deal_count(&app, &owner).await, 1);

    // Five at once with a new key: one deal, the same for all.
    let burst = futures_util::future::join_all((0..5).map(|_| send("order-2"))).await;
    let deals: std::collections::HashSet<&String> = burst.iter().map(|b| &b.2).collect();
    assert_eq!(deals.len(), 1, "{burst:?}");
    assert_eq!(burst.iter().filter(|b| b.0 == 201).count(), 1, "{burst:?}");
    assert_eq!(deal_count(&app, &owner).await, 2);

    // A plain form carries its key as a field.
    let field = |key: &str| {
        http.post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("{form}&_idempotency_key={key}"))
            .send()
    };
    assert_eq!(field("form-1").await.expect("post").status(), 201);
    let r = field("form-1").await.expect("post");
    assert_eq!(r.status(), 200);
    assert_eq!(deal_count(&app, &owner).await, 3);
    // A bad key is refused, not ignored.
    let r = app
        .call_raw(
            "POST",
            &format!("/hooks/lead/{token}"),
            None,
            Some("application/x-www-form-urlencoded"),
            format!("{form}&_idempotency_key={}", "k".repeat(201)).into_bytes(),
        )
        .await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "_idempotency_key");

    // Another node (here: the same database after a restart) knows the key.
    let db = app.stop().await;
    let app = TestApp::start_on(db, artel_tests::test_serve_config()).await;
    let r = browser()
        .post(app.url(&format!("/hooks/lead/{token}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", "order-1")
        .body(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["deal_id"], first.2.as_str());
    let owner = app.login("owner@acme.test", None).await;
    assert_eq!(deal_count(&app, &owner).await, 3);
}

/// A plain HTML form is sent on to the hook's thank-you page (303), or to a page
/// of the same site named in `_redirect`; nowhere else.
async fn lead_forms_go_on_to_the_thank_you_page(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let r = app
        .post(
            "/hooks",
            tok(&owner),
            json!({"kind": "lead", "name": "Сайт", "redirect_url": "https://shop.example/thanks"}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["hook"]["redirect_url"], "https://shop.example/thanks");
    let url = app.url(&format!("/hooks/lead/{}", r.body["token"].as_str().expect("token")));
    let http = browser();
    let form = "name=Ira&phone=%2B79165554433";
    let post = |body: String, mode: &'static str| {
        http.post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-mode", mode)
            .header("accept", "text/html,application/xhtml+xml")
            .body(body)
            .send()
    };
    let r = post(form.to_string(), "navigate").await.expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://shop.example/thanks");
    let r = post(format!("{form}&_redirect=https%3A%2F%2Fshop.example%2Fthanks%3Fform%3Dcall"), "navigate")
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://shop.example/thanks?form=call");
    // A script's fetch gets JSON.
    let r = post(form.to_string(), "cors").await.expect("post");
    assert_eq!(r.status(), 201);
    // No open redirect: another site is refused and no lead is made.
    let before = deal_count(&app, &owner).await;
    for target in
        ["https://evil.example/", "http://shop.example/thanks", "javascript:alert(1)", "//evil.example"]
    {
        let r =
            post(format!("{form}&_redirect={}", target.replace(':', "%3A").replace('/', "%2F")), "navigate")
                .await
                .expect("post");
        assert_eq!(r.status(), 422, "{target}");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["error"]["field"], "_redirect", "{target}");
    }
    assert_eq!(deal_count(&app, &owner).await, before);
    // A hook without a thank-you page refuses `_redirect`; incoming hooks take none.
    let plain = lead_hook(&app, &owner).await;
    let r = app
        .call_raw(
            "POST",
            &format!("/hooks/lead/{plain}"),
            None,
            Some("application/x-www-form-urlencoded"),
            format!("{form}&_redirect=https%3A%2F%2Fshop.example%2F").into_bytes(),
        )
        .await;
    r.expect_error(422, "invalid_input");
    let chat = app.post("/chats", tok(&owner), json!({"kind": "channel", "name": "leads"})).await;
    chat.expect(201);
    app.post(
        "/hooks",
        tok(&owner),
        json!({"kind": "incoming", "name": "x", "chat_id": chat.body["id"], "redirect_url": "https://shop.example/"}),
    )
    .await
    .expect_error(422, "invalid_input");
    for bad in ["ftp://shop.example/", "not a url", "https://u:p@shop.example/"] {
        app.post("/hooks", tok(&owner), json!({"kind": "lead", "name": "x", "redirect_url": bad}))
            .await
            .expect_error(422, "invalid_input");
    }
}

/// Two nodes on one Postgres database spend one budget per hook: 45 calls on
/// each, interleaved and concurrent, get exactly 60 answers that are not 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lead_hook_limit_is_shared_by_the_nodes_of_a_cluster() {
    let a = TestApp::start(Backend::Postgres).await;
    let b = a.peer(artel_tests::test_serve_config()).await;
    let owner = a.setup_owner().await;
    let token = lead_hook(&a, &owner).await;
    let path = format!("/hooks/lead/{token}");
    let calls = (0..90).map(|i| {
        let (node, path) = (if i % 2 == 0 { &a } else { &b }, &path);
        // Bad input still counts: a flood of junk spends the budget too.
        async move { node.post(path, None, json!({"name": format!("n{i}")})).await }
    });
    let answers = futures_util::future::join_all(calls).await;
    let limited: Vec<&Resp> = answers.iter().filter(|r| r.status == 429).collect();
    assert_eq!(limited.len(), 30, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in &answers {
        if r.status == 429 {
            r.expect_error(429, "rate_limited");
            assert!(r.headers.get("retry-after").is_some());
        } else {
            r.expect(422);
        }
    }
    // A minute later both nodes take calls again.
    a.clock.advance(chrono::Duration::seconds(61));
    b.post(&path, None, json!({"name": "again"})).await.expect(422);
}

on_every_backend!(
    webhook_deliveries_are_signed_and_logged,
    failed_deliveries_retry_with_backoff,
    ssrf_targets_are_refused,
    webhook_permissions,
    incoming_hook_posts_into_its_chat,
    lead_capture_creates_contact_and_deal,
    lead_hooks_are_rate_limited,
    lead_url_answers_website_scripts,
    a_resubmitted_lead_makes_one_deal,
    lead_forms_go_on_to_the_thank_you_page,
);
