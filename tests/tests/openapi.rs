//! The OpenAPI document is part of the API: clients are generated from it, so any
//! change to it shows up in review as a snapshot diff.

use artel_tests::{Backend, TestApp};

#[tokio::test]
async fn openapi_document_matches_snapshot() {
    let app = TestApp::start(Backend::Sqlite).await;
    let resp = app.http.get(app.url("/openapi.json")).send().await.expect("request");
    assert_eq!(resp.status(), 200);
    let doc: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    // Every served endpoint of this issue is described.
    for path in [
        "/health",
        "/ready",
        "/setup",
        "/auth/login",
        "/auth/refresh",
        "/me",
        "/users/{id}",
        "/invites/accept",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the document");
    }
    insta::assert_json_snapshot!("openapi", doc);
}

/// Clients are generated from the document, so it must be valid for generators:
/// every operation has its own `operationId` and every `$ref` names a listed schema.
#[tokio::test]
async fn operation_ids_are_unique_and_refs_resolve() {
    let app = TestApp::start(Backend::Sqlite).await;
    let doc: serde_json::Value =
        app.http.get(app.url("/openapi.json")).send().await.expect("request").json().await.expect("json");
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id =
                op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId {id} is used by both {other} and {method} {path}");
            }
        }
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut missing = std::collections::BTreeSet::new();
    collect_missing_refs(&doc, schemas, &mut missing);
    assert!(missing.is_empty(), "referenced but not in components: {missing:?}");
}

fn collect_missing_refs(
    node: &serde_json::Value,
    schemas: &serde_json::Map<String, serde_json::Value>,
    missing: &mut std::collections::BTreeSet<String>,
) {
    match node {
        serde_json::Value::Object(map) => {
            if let Some(name) =
                map.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                if !schemas.contains_key(name) {
                    missing.insert(name.to_owned());
                }
            }
            map.values().for_each(|v| collect_missing_refs(v, schemas, missing));
        }
        serde_json::Value::Array(items) => {
            items.iter().for_each(|v| collect_missing_refs(v, schemas, missing))
        }
        _ => {}
    }
}

/// The WebSocket frames are components of the document, generated from the
/// server's frame enums: every frame a real server sends over a real socket in a
/// short session (one of each kind it can be made to send) and every frame a
/// client sends validate against `ServerFrame` and `ClientFrame`, with no field
/// the document does not declare; the kinds it cannot be made to send cheaply
/// (a resync, reminders, merges) are serialised by the server's own code.
#[tokio::test]
async fn websocket_frames_match_their_schemas() {
    use artel::ws::frames::{BoardChangeDto, BoardEventDto, ServerFrame};
    use artel_core::event::Ephemeral;
    use artel_tests::schema_check::SchemaCheck;
    use artel_tests::ws_client::WsClient;
    use serde_json::{json, Value};
    use uuid::Uuid;

    let app = TestApp::start(Backend::Sqlite).await;
    let doc: serde_json::Value =
        app.http.get(app.url("/openapi.json")).send().await.expect("request").json().await.expect("json");
    let schemas = SchemaCheck::new(&doc);

    // The tags the document lists are exactly serde's.
    let tags = |name: &str| -> std::collections::BTreeSet<String> {
        let options = doc["components"]["schemas"][name]["oneOf"].as_array().expect("oneOf");
        options
            .iter()
            .map(|o| {
                let props = o.get("properties").or_else(|| {
                    o["allOf"].as_array().and_then(|p| p.iter().find_map(|p| p.get("properties")))
                });
                props.and_then(|p| p["type"]["enum"][0].as_str()).expect("a type tag").to_owned()
            })
            .collect()
    };
    let set = |kinds: &[&str]| kinds.iter().map(|k| k.to_string()).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        tags("ServerFrame"),
        set(&[
            "ready",
            "event",
            "board_event",
            "watching",
            "ephemeral",
            "ack",
            "resync",
            "command_result",
            "error",
            "pong"
        ])
    );
    assert_eq!(
        tags("ClientFrame"),
        set(&[
            "auth",
            "send",
            "typing",
            "read",
            "ping",
            "watch_board",
            "unwatch_board",
            "presence",
            "presence_sub",
            "focus",
            "blur"
        ])
    );

    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let r = app
        .post(
            "/chats",
            Some(&owner.access_token),
            json!({"kind": "channel", "name": "sales", "member_ids": [bob.user_id]}),
        )
        .await;
    r.expect(201);
    let chat: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
    let pipelines = app.get("/pipelines", &owner.access_token).await;
    let pipeline = pipelines.body[0]["id"].as_str().unwrap().to_owned();

    let mut received: Vec<Value> = Vec::new();
    let mut sent: Vec<Value> = vec![json!({"type": "auth", "token": "t", "cursors": {chat.to_string(): 0}})];
    let mut a = app.ws(&owner.access_token, &[]).await;
    let mut b = app.ws(&bob.access_token, &[]).await;
    received.extend([a.ready.clone(), b.ready.clone()]);

    // Reads frames (keeping every one) until one matches.
    async fn until(ws: &mut WsClient, received: &mut Vec<Value>, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let f = ws.next().await;
            received.push(f.clone());
            if pred(&f) {
                return f;
            }
        }
    }
    async fn send(ws: &mut WsClient, sent: &mut Vec<Value>, frame: Value) {
        sent.push(frame.clone());
        ws.send_json(frame).await;
    }
    let kind = |k: &'static str| move |f: &Value| f["type"] == k;
    let event = |k: &'static str| move |f: &Value| f["type"] == "ephemeral" && f["event"]["type"] == k;

    send(&mut b, &mut sent, json!({"type": "presence_sub", "user_ids": [owner.user_id]})).await;
    until(&mut b, &mut received, event("presence_changes")).await;
    send(&mut a, &mut sent, json!({"type": "presence", "status": "away"})).await;
    send(&mut a, &mut sent, json!({"type": "typing", "chat_id": chat})).await;
    until(&mut b, &mut received, event("typing")).await;
    send(
        &mut a,
        &mut sent,
        json!({"type": "send", "chat_id": chat, "body": "привет", "client_msg_id": "m1", "thread_root_id": null, "attachment_ids": []}),
    )
    .await;
    let ack = until(&mut a, &mut received, kind("ack")).await;
    let seq = ack["message"]["seq"].as_i64().expect("seq");
    until(&mut b, &mut received, kind("event")).await;
    send(&mut b, &mut sent, json!({"type": "read", "chat_id": chat, "seq": seq})).await;
    until(&mut a, &mut received, event("read_up_to")).await;
    send(&mut a, &mut sent, json!({"type": "ping"})).await;
    until(&mut a, &mut received, kind("pong")).await;
    send(&mut a, &mut sent, json!({"type": "focus", "chat_id": chat})).await;
    send(&mut a, &mut sent, json!({"type": "blur"})).await;

    send(&mut a, &mut sent, json!({"type": "watch_board", "pipeline_id": pipeline, "cursor": null})).await;
    until(&mut a, &mut received, kind("watching")).await;
    app.post("/deals", Some(&owner.access_token), json!({"title": "Поставка", "amount_minor": 100}))
        .await
        .expect(201);
    until(&mut a, &mut received, |f| f["type"] == "board_event" && f["change"]["type"] == "deal_upserted")
        .await;
    app.post(&format!("/pipelines/{pipeline}/stages"), Some(&owner.access_token), json!({"name": "Тендер"}))
        .await
        .expect(201);
    until(&mut a, &mut received, |f| f["type"] == "board_event" && f["change"]["type"] == "stages_changed")
        .await;
    send(&mut a, &mut sent, json!({"type": "unwatch_board", "pipeline_id": pipeline})).await;

    send(&mut a, &mut sent, json!({"type": "send", "chat_id": chat, "body": "/help", "client_msg_id": "c1"}))
        .await;
    until(&mut a, &mut received, kind("command_result")).await;
    // A chat that does not exist: refused, with the send's id as `ref`.
    let nowhere = Uuid::now_v7();
    send(&mut a, &mut sent, json!({"type": "send", "chat_id": nowhere, "body": "x", "client_msg_id": "e1"}))
        .await;
    let refused = until(&mut a, &mut received, kind("error")).await;
    assert_eq!(refused["ref"], "e1");
    // A frame that is not one: refused without a ref.
    a.send_json(json!({"type": "shout"})).await;
    let bad = until(&mut a, &mut received, kind("error")).await;
    assert_eq!(bad["ref"], Value::Null);

    // What a short session cannot make the server send, serialised by its code.
    let user = Uuid::now_v7();
    let ephemerals = [
        Ephemeral::JoinedChat { chat_id: chat, user_id: user },
        Ephemeral::SignedOut { user_id: user, session_id: None },
        Ephemeral::TaskReminder {
            task_id: user,
            title: "позвонить".into(),
            due_at: Some(chrono::Utc::now()),
        },
        Ephemeral::TaskAssigned { task_id: user, title: "t".into(), due_at: None, by: user },
        Ephemeral::TaskUnassigned { task_id: user },
        Ephemeral::ClientMerged {
            kind: artel_core::crm::entity::EntityKind::Contact,
            from_id: user,
            into_id: Uuid::now_v7(),
        },
    ];
    for event in &ephemerals {
        received.push(serde_json::from_str(&ServerFrame::Ephemeral { event }.to_text()).unwrap());
    }
    for change in
        [BoardChangeDto::DealHidden { deal_id: user }, BoardChangeDto::DealRemoved { deal_id: user }]
    {
        let dto = BoardEventDto { pipeline_id: user, seq: 7, created_at: chrono::Utc::now(), change };
        received.push(serde_json::from_str(&ServerFrame::BoardEvent(&dto).to_text()).unwrap());
    }
    received
        .push(serde_json::from_str(&ServerFrame::Resync { chat_id: chat, last_seq: 900 }.to_text()).unwrap());
    let usage =
        ServerFrame::Error {
            code: "invalid_input", message: "m", r#ref: Some("k"), usage: Some("/task …")
        };
    received.push(serde_json::from_str(&usage.to_text()).unwrap());

    for frame in &received {
        if let Err(e) = schemas.check("ServerFrame", frame) {
            panic!("a server frame does not match the ServerFrame schema: {e}\n{frame}");
        }
    }
    for frame in &sent {
        if let Err(e) = schemas.check("ClientFrame", frame) {
            panic!("a client frame does not match the ClientFrame schema: {e}\n{frame}");
        }
    }
    let kinds: std::collections::BTreeSet<String> =
        received.iter().map(|f| f["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, tags("ServerFrame"), "one of each server frame kind was checked");
    let kinds: std::collections::BTreeSet<String> =
        sent.iter().map(|f| f["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, tags("ClientFrame"), "one of each client frame kind was checked");

    // The check is not vacuous: a missing field, an extra one, a wrong type, an
    // unknown kind each fail.
    let ready = received[0].clone();
    let mut missing = ready.clone();
    missing.as_object_mut().unwrap().remove("user_id");
    let mut extra = ready.clone();
    extra["surprise"] = json!(1);
    let mut wrong = ready.clone();
    wrong["heartbeat_secs"] = json!("20");
    for bad in [missing, extra, wrong, json!({"type": "shout"})] {
        assert!(schemas.check("ServerFrame", &bad).is_err(), "{bad} passed the ServerFrame schema");
    }
    let ack = received.iter().find(|f| f["type"] == "ack").unwrap().clone();
    let mut deep = ack.clone();
    deep["message"]["surprise"] = json!(true);
    assert!(schemas.check("ServerFrame", &deep).is_err(), "an unknown field inside a message passed");
    assert!(schemas.check("ClientFrame", &json!({"type": "read", "chat_id": chat})).is_err());
}
