//! Slash-commands through the real server, on SQLite and Postgres: `/task` over
//! the WebSocket (the task, "my tasks", the board card), refusals that answer
//! only the issuer and change nothing (a guest's `/move`, an unknown stage),
//! Russian and English commands, `/undo` with versions and the 5-minute window,
//! idempotent retries, and autocomplete with bad input.

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

struct World {
    app: TestApp,
    /// Olga Owner: language ru, Europe/Moscow.
    owner: Session,
    /// "User bob@acme.test": en, UTC.
    bob: Session,
    guest: Session,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    World { app, owner, bob, guest }
}

fn uuid(v: &Value) -> Uuid {
    v.as_str().unwrap_or_else(|| panic!("not a uuid: {v}")).parse().expect("uuid")
}

async fn stages(app: &TestApp, s: &Session) -> (Uuid, Vec<(Uuid, String)>) {
    let r = app.get("/pipelines", &s.access_token).await;
    r.expect(200);
    let p = &r.body[0];
    let stages = p["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| (uuid(&s["id"]), s["name"].as_str().expect("name").to_string()))
        .collect();
    (uuid(&p["id"]), stages)
}

/// A deal of the owner's, with `participants`; returns the deal.
async fn deal(app: &TestApp, owner: &Session, title: &str, participants: &[Uuid]) -> Value {
    let r = app
        .post("/deals", Some(&owner.access_token), json!({"title": title, "participants": participants}))
        .await;
    r.expect(201);
    r.body.clone()
}

async fn get_deal(app: &TestApp, s: &Session, id: Uuid) -> Value {
    let r = app.get(&format!("/deals/{id}"), &s.access_token).await;
    r.expect(200);
    r.body.clone()
}

async fn command(app: &TestApp, s: &Session, chat: Uuid, line: &str, key: Option<&str>) -> Resp {
    let mut body = json!({"body": line});
    if let Some(k) = key {
        body["client_msg_id"] = json!(k);
    }
    app.post(&format!("/chats/{chat}/messages"), Some(&s.access_token), body).await
}

async fn last_seq(app: &TestApp, s: &Session, chat: Uuid) -> i64 {
    let r = app.get(&format!("/chats/{chat}/messages"), &s.access_token).await;
    r.expect(200);
    r.body.as_array().expect("messages").last().map_or(0, |m| m["seq"].as_i64().expect("seq"))
}

async fn messages(app: &TestApp, s: &Session, chat: Uuid) -> Vec<Value> {
    let r = app.get(&format!("/chats/{chat}/messages"), &s.access_token).await;
    r.expect(200);
    r.body.as_array().expect("messages").clone()
}

async fn channel(app: &TestApp, s: &Session, name: &str) -> Uuid {
    let r = app.post("/chats", Some(&s.access_token), json!({"kind": "channel", "name": name})).await;
    r.expect(201);
    uuid(&r.body["id"])
}

async fn task_over_ws_in_a_deal_chat(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let d = deal(app, &w.owner, "Насосы для Ромашки", &[w.bob.user_id]).await;
    let (deal_id, chat) = (uuid(&d["id"]), uuid(&d["chat_id"]));
    let (pipeline, _) = stages(app, &w.owner).await;

    // Bob watches the board; the owner types the command on her socket.
    let mut watcher = app.ws(&w.bob.access_token, &[]).await;
    watcher.send_json(json!({"type": "watch_board", "pipeline_id": pipeline})).await;
    watcher.next_where(|f| f["type"] == "watching").await;
    let mut ws = app.ws(&w.owner.access_token, &[]).await;
    let before = last_seq(app, &w.owner, chat).await;
    ws.send_message(chat, "/задача позвонить клиенту завтра 11:00 @bob !высокий", "k1").await;
    let result = ws.next_where(|f| f["type"] == "command_result" || f["type"] == "error").await;
    assert_eq!(result["type"], "command_result", "{result}");
    assert_eq!(result["client_msg_id"], "k1");
    let r = &result["result"];
    assert_eq!(r["command"], "task");
    let task = &r["data"]["task"];
    assert_eq!(task["title"], "позвонить клиенту");
    assert_eq!(task["assignees"], json!([w.bob.user_id]));
    assert_eq!(task["priority"], "high");
    assert_eq!(task["entity_kind"], "deal");
    assert_eq!(task["entity_id"], json!(deal_id));
    // 11:00 in Moscow (the issuer's zone) on Tuesday 2026-11-24.
    assert_eq!(task["due_at"], "2026-11-24T08:00:00Z");
    assert!(r["undo_until"].is_string());
    // In the deal's own chat the task service's notice is what everyone sees;
    // the result text is the issuer's alone, never posted.
    assert!(r["message"].is_null());
    assert_eq!(r["shared"], true, "{r}");

    // The card on the board now shows the task, live.
    let card =
        watcher.next_where(|f| f["type"] == "board_event" && f["change"]["deal"]["open_tasks"] == 1).await;
    assert_eq!(card["change"]["deal"]["next_task"]["title"], "позвонить клиенту");
    let board = app.get(&format!("/pipelines/{pipeline}/board"), &w.bob.access_token).await;
    board.expect(200);
    let cards: Vec<&Value> = board.body["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .flat_map(|c| c["deals"].as_array().expect("deals"))
        .collect();
    assert_eq!(cards[0]["open_tasks"], 1);

    // Bob has it in his list; the line itself was never posted as text.
    let mine = app.get("/tasks/mine", &w.bob.access_token).await;
    mine.expect(200);
    assert_eq!(mine.body["upcoming"][0]["title"], "позвонить клиенту", "{}", mine.body);
    let posted = messages(app, &w.owner, chat).await;
    assert!(posted.iter().all(|m| !m["body"].as_str().unwrap_or("").starts_with('/')));
    let notices: Vec<&Value> = posted.iter().filter(|m| m["seq"].as_i64() > Some(before)).collect();
    assert_eq!(notices.len(), 1, "one notice from the task service: {notices:?}");
    assert!(notices[0]["body"].as_str().expect("body").contains("позвонить клиенту"));
    // Each reader's client words it from the notice: who, what, when (an instant).
    let notice = &notices[0]["notice"];
    assert_eq!(notices[0]["kind"], "system");
    assert_eq!(notice["type"], "task_created", "{notice}");
    assert_eq!(notice["title"], "позвонить клиенту");
    assert_eq!(notice["due_at"], "2026-11-24T08:00:00Z");
    assert_eq!(notice["assignee_ids"], json!([w.bob.user_id]));
    assert_eq!(notice["priority"], "high");
    assert_eq!(notices[0]["author_id"], json!(w.owner.user_id));
    assert!(!notices[0]["body"].as_str().expect("body").contains("(а)"), "{}", notices[0]["body"]);
    assert!(!posted.iter().any(|m| m["body"] == r["text"]), "the issuer's result stays private");
    let history = app.get(&format!("/tasks/{}/history", uuid(&task["id"])), &w.owner.access_token).await;
    history.expect(200);
    assert_eq!(history.body[0]["field"], "created");

    // A retry with the same key answers the same result and creates nothing.
    ws.send_message(chat, "/задача позвонить клиенту завтра 11:00 @bob !высокий", "k1").await;
    let again = ws.next_where(|f| f["type"] == "command_result").await;
    assert_eq!(again["result"]["id"], r["id"]);
    let mine = app.get("/tasks/mine", &w.bob.access_token).await;
    assert_eq!(mine.body["upcoming"].as_array().expect("list").len(), 1);
}

async fn a_guest_cannot_move(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let d = deal(app, &w.owner, "Pumps", &[w.guest.user_id]).await;
    let (deal_id, chat) = (uuid(&d["id"]), uuid(&d["chat_id"]));
    let before = last_seq(app, &w.owner, chat).await;
    let r = command(app, &w.guest, chat, "/move Переговоры", None).await;
    r.expect_error(403, "forbidden");
    assert!(
        r.body["error"]["usage"].as_str().expect("usage").starts_with("/этап"),
        "in the guest's language"
    );
    // Over the socket too: an error frame to the guest only.
    let mut ws = app.ws(&w.guest.access_token, &[]).await;
    ws.send_message(chat, "/этап Переговоры", "g1").await;
    let e = ws.next_where(|f| f["type"] == "error").await;
    assert_eq!((e["code"].as_str(), e["ref"].as_str()), (Some("forbidden"), Some("g1")));
    assert_eq!(get_deal(app, &w.owner, deal_id).await["version"], d["version"]);
    assert_eq!(last_seq(app, &w.owner, chat).await, before);
    // Guests create nothing either; someone outside the chat cannot even find it.
    command(app, &w.guest, chat, "/task call them", None).await.expect_error(403, "forbidden");
    let other = channel(app, &w.owner, "private-ish").await;
    command(app, &w.guest, other, "/help", None).await.expect_error(404, "not_found");
}

async fn an_unknown_stage_answers_only_the_issuer(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let d = deal(app, &w.owner, "Pumps", &[w.bob.user_id]).await;
    let (deal_id, chat) = (uuid(&d["id"]), uuid(&d["chat_id"]));
    let mut bob = app.ws(&w.bob.access_token, &[]).await;
    let mut owner = app.ws(&w.owner.access_token, &[]).await;
    owner.send_message(chat, "/этап Луна", "m1").await;
    let e = owner.next_where(|f| f["type"] == "error").await;
    assert_eq!(e["code"], "unknown_stage");
    assert_eq!(e["ref"], "m1");
    assert!(e["message"].as_str().expect("message").contains("Переговоры"), "lists the stages: {e}");
    assert!(e["usage"].as_str().expect("usage").starts_with("/этап"));
    next_event_is_marker(app, &mut bob, &w.owner, chat, "marker 1").await;
    assert_eq!(get_deal(app, &w.owner, deal_id).await["version"], d["version"]);
    // Over REST: 422 with the usage; unknown commands and bad dates alike.
    let r = command(app, &w.bob, chat, "/move Moon", None).await;
    r.expect_error(422, "unknown_stage");
    let r = command(app, &w.bob, chat, "/frobnicate", None).await;
    r.expect_error(422, "unknown_command");
    assert!(r.body["error"]["usage"].as_str().expect("usage").contains("/задача"));
    command(app, &w.bob, chat, "/remind someday call", None).await.expect_error(422, "bad_date");
    command(app, &w.bob, chat, "/task call !someday", None).await.expect_error(422, "bad_priority");
    command(app, &w.bob, chat, "/task call @nobody", None).await.expect_error(422, "unknown_person");
    next_event_is_marker(app, &mut bob, &w.owner, chat, "marker 2").await;
}

/// Asserts the chat sent `ws` nothing more: a message posted now is its very
/// next event (events of one chat arrive in order).
async fn next_event_is_marker(
    app: &TestApp,
    ws: &mut artel_tests::ws_client::WsClient,
    by: &Session,
    chat: Uuid,
    body: &str,
) {
    app.post(&format!("/chats/{chat}/messages"), Some(&by.access_token), json!({"body": body}))
        .await
        .expect(201);
    let next = ws.next_event().await;
    assert_eq!(next["change"]["message"]["body"], body, "{next}");
}

async fn russian_and_english_commands_and_undo(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let (_, st) = stages(app, &w.owner).await;
    let chat = channel(app, &w.owner, "sales").await;
    app.post(&format!("/chats/{chat}/join"), Some(&w.bob.access_token), json!({})).await.expect(204);

    // /сделка in a channel: a deal with its chat, and a card in the channel.
    let r = command(app, &w.owner, chat, "/сделка Насосы для Ромашки 150к @bob", Some("d1")).await;
    r.expect(200);
    let created = r.body.clone();
    let d = &created["data"]["deal"];
    assert_eq!(d["amount_minor"], 15_000_000);
    assert_eq!(d["owner_id"], json!(w.bob.user_id));
    assert_eq!(d["stage_id"], json!(st[0].0));
    // The channel gets a notice (not the issuer's own result text).
    assert_eq!(created["message"]["kind"], "system");
    assert_eq!(created["message"]["notice"]["type"], "deal_created");
    assert_eq!(created["message"]["notice"]["amount_minor"], 15_000_000);
    assert_eq!(created["message"]["notice"]["owner_id"], json!(w.bob.user_id));
    assert!(created["message"]["body"].as_str().expect("body").contains("Насосы для Ромашки"));
    assert_ne!(created["message"]["body"], created["text"]);
    let deal_id = uuid(&d["id"]);

    // Olga's /отменить reverts her /сделка: the deal is archived.
    let r = command(app, &w.owner, chat, "/отменить", None).await;
    r.expect(200);
    assert!(get_deal(app, &w.owner, deal_id).await["archived_at"].is_string());
    // The undo action on the result says it was done already.
    let id = created["id"].as_str().expect("id");
    app.post(&format!("/commands/{id}/undo"), Some(&w.owner.access_token), json!({}))
        .await
        .expect_error(409, "already_undone");
    // Someone else's command is not theirs to undo.
    app.post(&format!("/commands/{id}/undo"), Some(&w.bob.access_token), json!({}))
        .await
        .expect_error(404, "not_found");
    // The same key again: the stored answer, nothing new.
    let again = command(app, &w.owner, chat, "/сделка Насосы для Ромашки 150к @bob", Some("d1")).await;
    again.expect(200);
    assert_eq!(again.body["id"], created["id"]);
    let all = app.get("/deals?include_archived=true", &w.owner.access_token).await;
    assert_eq!(all.body.as_array().expect("deals").len(), 1);

    // /move <deal> <stage> from elsewhere, in English, by Bob.
    let r = command(app, &w.owner, chat, "/deal Pipes for Acme 5000 usd @bob", None).await;
    r.expect(200);
    assert_eq!(r.body["data"]["deal"]["amount_minor"], 500_000);
    assert_eq!(r.body["data"]["deal"]["currency"], "USD");
    let pipes = uuid(&r.body["data"]["deal"]["id"]);
    let r = command(app, &w.bob, chat, "/move Pipes Переговоры", None).await;
    r.expect(200);
    assert_eq!(r.body["data"]["deal"]["stage_id"], json!(st[2].0));
    assert!(r.body["text"].as_str().expect("text").starts_with("➡️"));
    // Bob's /undo reverts his move (not Olga's deal).
    command(app, &w.bob, chat, "/undo", None).await.expect(200);
    let p = get_deal(app, &w.owner, pipes).await;
    assert_eq!(p["stage_id"], json!(st[0].0));
    assert!(p["archived_at"].is_null());
    let h = app.get(&format!("/deals/{pipes}/history"), &w.owner.access_token).await;
    let moves = h.body.as_array().expect("history").iter().filter(|e| e["field"] == "stage_id").count();
    assert_eq!(moves, 2, "the move and its undo are both history");
    command(app, &w.bob, chat, "/undo", None).await.expect_error(422, "nothing_to_undo");

    // `//` sends the text as it is.
    let r = command(app, &w.owner, chat, "//task is a command", None).await;
    r.expect(201);
    assert_eq!(r.body["body"], "/task is a command");
    // /help answers the issuer only.
    let seq = last_seq(app, &w.owner, chat).await;
    let r = command(app, &w.bob, chat, "/help task", None).await;
    r.expect(200);
    assert_eq!(r.body["data"]["commands"].as_array().expect("commands").len(), 1);
    assert!(r.body["message"].is_null());
    assert_eq!(last_seq(app, &w.owner, chat).await, seq);
}

async fn undo_respects_versions_and_the_window(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let (_, st) = stages(app, &w.owner).await;
    let d = deal(app, &w.owner, "Pumps", &[w.bob.user_id]).await;
    let (deal_id, chat) = (uuid(&d["id"]), uuid(&d["chat_id"]));

    // /move in the deal chat (stage name only), then Bob edits the deal: undo is refused.
    let r = command(app, &w.owner, chat, "/этап переговоры", None).await;
    r.expect(200);
    let version = r.body["data"]["deal"]["version"].clone();
    app.call(
        "PATCH",
        &format!("/deals/{deal_id}"),
        Some(&w.bob.access_token),
        Some(json!({"version": version, "title": "Pumps XL"})),
    )
    .await
    .expect(200);
    command(app, &w.owner, chat, "/отменить", None).await.expect_error(409, "changed_since");
    assert_eq!(get_deal(app, &w.owner, deal_id).await["stage_id"], json!(st[2].0));

    // /assign @bob, then undo after 6 minutes: too late.
    let r = command(app, &w.owner, chat, "/назначить @bob", None).await;
    r.expect(200);
    assert_eq!(r.body["data"]["deal"]["owner_id"], json!(w.bob.user_id));
    let id = r.body["id"].as_str().expect("id").to_string();
    app.clock.advance(chrono::Duration::minutes(6));
    let owner = app.login(&w.owner.email, None).await;
    app.post(&format!("/commands/{id}/undo"), Some(&owner.access_token), json!({}))
        .await
        .expect_error(409, "undo_expired");
    // (Olga left the deal's chat with the ownership, so the rest is in a channel.)
}

async fn task_done_and_remind(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let d = deal(app, &w.owner, "Pumps", &[w.bob.user_id]).await;
    let chat = uuid(&d["chat_id"]);
    command(app, &w.bob, chat, "/task send the offer friday", None).await.expect(200);
    command(app, &w.bob, chat, "/task call the client", None).await.expect(200);
    command(app, &w.bob, chat, "/done", None).await.expect_error(422, "ambiguous_task");
    let r = command(app, &w.bob, chat, "/done offer", None).await;
    r.expect(200);
    assert_eq!(r.body["data"]["task"]["status"], "done");
    let task_id = uuid(&r.body["data"]["task"]["id"]);
    command(app, &w.bob, chat, "/undo", None).await.expect(200);
    let t = app.get(&format!("/tasks/{task_id}"), &w.bob.access_token).await;
    assert_eq!(t.body["status"], "open");

    // A reminder is Bob's own: nothing posted; it is a reminder task due in 2 h.
    let seq = last_seq(app, &w.bob, chat).await;
    let r = command(app, &w.bob, chat, "/напомнить через 2 часа проверить оплату", None).await;
    r.expect(200);
    assert_eq!(r.body["data"]["task"]["kind"], "reminder");
    assert_eq!(r.body["data"]["task"]["due_at"], "2026-11-23T11:00:00Z");
    assert_eq!(last_seq(app, &w.bob, chat).await, seq);
    let t = app.get(&format!("/tasks/{}", uuid(&r.body["data"]["task"]["id"])), &w.bob.access_token).await;
    assert_eq!(t.body["reminders"][0]["remind_at"], "2026-11-23T11:00:00Z");
    command(app, &w.bob, chat, "/remind today 08:00 too late", None).await.expect_error(422, "time_passed");
}

async fn autocomplete(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let d = deal(app, &w.owner, "Насосы", &[w.bob.user_id]).await;
    let chat = uuid(&d["chat_id"]);
    let complete = |token: String, chat: String, line: String| async move {
        let url = reqwest::Url::parse_with_params(
            &app.url("/commands/complete"),
            &[("chat_id", chat.as_str()), ("line", line.as_str())],
        )
        .expect("url");
        let r = app.http.get(url).bearer_auth(token).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    let tok = w.owner.access_token.clone();
    let (s, b) = complete(tok.clone(), chat.to_string(), "/эт".into()).await;
    assert_eq!(s, 200);
    let inserts: Vec<&str> =
        b["items"].as_array().expect("items").iter().map(|i| i["insert"].as_str().expect("insert")).collect();
    assert_eq!(inserts[..2], ["/этап ", "/этапы "], "{b}");
    let (_, b) = complete(tok.clone(), chat.to_string(), "/move пер".into()).await;
    assert_eq!(b["items"][0]["kind"], "stage");
    assert_eq!(b["items"][0]["insert"], "Переговоры");
    assert_eq!(b["items"][0]["replace_from"], 6);
    // With nothing typed: the other stages in funnel order (not alphabetical),
    // each kind in the user's words.
    let (_, b) = complete(tok.clone(), chat.to_string(), "/move ".into()).await;
    let pipeline =
        app.get(&format!("/pipelines/{}", d["pipeline_id"].as_str().expect("pipeline")), &tok).await;
    let funnel: Vec<&str> = pipeline.body["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter(|s| s["id"] != d["stage_id"])
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    let offered: Vec<&str> =
        b["items"].as_array().expect("items").iter().map(|i| i["label"].as_str().expect("label")).collect();
    assert_eq!(offered, funnel, "{b}");
    let kinds: Vec<&str> =
        b["items"].as_array().expect("items").iter().map(|i| i["detail"].as_str().expect("detail")).collect();
    assert!(
        kinds.contains(&"в работе") && kinds.contains(&"успех") && kinds.contains(&"провал"),
        "{kinds:?}"
    );
    let (_, b) = complete(tok.clone(), chat.to_string(), "/task x @bo".into()).await;
    assert_eq!(b["items"][0]["kind"], "person");
    assert_eq!(b["items"][0]["insert"], format!("<@{}> ", w.bob.user_id));
    let (_, b) = complete(tok.clone(), chat.to_string(), "/task x !сро".into()).await;
    assert_eq!(b["items"][0]["insert"], "!срочно ");
    let other = channel(app, &w.owner, "general").await;
    let (_, b) = complete(tok.clone(), other.to_string(), "/move Нас".into()).await;
    assert_eq!(b["items"][0]["kind"], "deal");
    assert_eq!(b["items"][0]["insert"], "\"Насосы\" ");
    let (_, b) = complete(tok.clone(), other.to_string(), "hello".into()).await;
    assert_eq!(b["items"], json!([]));

    // Bad input: no chat, a chat of another workspace, a chat I am not in, a huge line.
    let r = app.get("/commands/complete?line=%2Ftask", &tok).await;
    r.expect_error(400, "invalid_query");
    let stranger = app.create_workspace("Other", "other", "boss@other.test").await;
    let foreign = channel(app, &stranger, "theirs").await;
    let (s, b) = complete(tok.clone(), foreign.to_string(), "/task".into()).await;
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, _) = complete(w.guest.access_token.clone(), chat.to_string(), "/task".into()).await;
    assert_eq!(s, 404, "a guest outside the deal chat");
    let (s, b) = complete(tok.clone(), chat.to_string(), format!("/task {}", "x".repeat(3000))).await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("invalid_input")));
    let r = app.get("/commands/complete?chat_id=nope&line=%2F", &tok).await;
    r.expect_error(400, "invalid_query");

    // The list for /help, in my language.
    let r = app.get("/commands", &tok).await;
    r.expect(200);
    assert_eq!(r.body.as_array().expect("list").len(), 10);
    assert_eq!(r.body[0]["word"], "задача");
    app.call("GET", "/commands", None, None).await.expect(401);
}

/// `/assign` in a contact's or company's chat makes the person its owner, tells
/// the chat, and can be undone unless the owner changed again since.
async fn assign_on_clients(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let r = app.post("/contacts", Some(&w.owner.access_token), json!({"name": "Пётр"})).await;
    r.expect(201);
    let contact = uuid(&r.body["id"]);
    let r = app
        .post("/chats/entity", Some(&w.owner.access_token), json!({"kind": "contact", "id": contact}))
        .await;
    let chat = uuid(&r.body["id"]);
    let before = last_seq(app, &w.owner, chat).await;

    let r = command(app, &w.owner, chat, "/назначить @bob", None).await;
    r.expect(200);
    assert_eq!(r.body["data"]["contact"]["owner_id"], json!(w.bob.user_id), "{}", r.body);
    let c = app.get(&format!("/contacts/{contact}"), &w.owner.access_token).await;
    assert_eq!(c.body["owner_id"], json!(w.bob.user_id));
    assert!(last_seq(app, &w.owner, chat).await > before, "the chat hears of it");
    let h = app.get(&format!("/contacts/{contact}/history"), &w.owner.access_token).await;
    assert_eq!(h.body[0]["field"], "owner_id", "{}", h.body);
    command(app, &w.owner, chat, "/отменить", None).await.expect(200);
    let c = app.get(&format!("/contacts/{contact}"), &w.owner.access_token).await;
    assert_eq!(c.body["owner_id"], json!(w.owner.user_id), "undone");

    // Undo is refused once someone else changed the owner.
    command(app, &w.owner, chat, "/assign bob", None).await.expect(200);
    app.call(
        "PATCH",
        &format!("/contacts/{contact}"),
        Some(&w.bob.access_token),
        Some(json!({"owner_id": w.owner.user_id})),
    )
    .await
    .expect(200);
    command(app, &w.owner, chat, "/undo", None).await.expect_error(409, "changed_since");
    let c = app.get(&format!("/contacts/{contact}"), &w.owner.access_token).await;
    assert_eq!(c.body["owner_id"], json!(w.owner.user_id), "Bob's change is kept");

    // Companies alike; a guest cannot own a client, and nothing changes.
    let r = app.post("/companies", Some(&w.bob.access_token), json!({"name": "Ромашка"})).await;
    let company = uuid(&r.body["id"]);
    let r =
        app.post("/chats/entity", Some(&w.bob.access_token), json!({"kind": "company", "id": company})).await;
    let chat = uuid(&r.body["id"]);
    let r = command(app, &w.bob, chat, "/assign @guest", None).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = command(app, &w.bob, chat, "/assign @owner", None).await;
    r.expect(200);
    assert_eq!(r.body["data"]["company"]["owner_id"], json!(w.owner.user_id), "{}", r.body);
}

/// Titles and names are quoted as text in system notices and command results,
/// in both languages: a deal title cannot put a live link or markup into a chat.
async fn titles_are_quoted_as_text(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = channel(app, &w.owner, "sales").await;
    let evil = "[win](https://evil.example) <https://evil2.example> **big**";
    let no_markup = |html: &str, what: &str| {
        assert!(!html.contains("<a"), "{what}: a link from a title: {html}");
        assert!(!html.contains("<strong>"), "{what}: markup from a title: {html}");
    };
    for language in ["ru", "en"] {
        app.call("PATCH", "/me", Some(&w.owner.access_token), Some(json!({"language": language})))
            .await
            .expect(200);
        // The deal's own chat: "<owner> opened the deal “…”".
        let d = deal(app, &w.owner, evil, &[]).await;
        let notices = messages(app, &w.owner, uuid(&d["chat_id"])).await;
        let notice = notices.iter().find(|m| m["kind"] == "system").expect("system notice");
        no_markup(notice["html"].as_str().expect("html"), "deal created");
        assert!(notice["html"].as_str().expect("html").contains("[win](https://evil.example)"), "{notice}");
        // A command's notice in the channel, and its text for the issuer.
        let r = command(app, &w.owner, chat, &format!("/deal {evil}"), None).await;
        r.expect(200);
        let html = r.body["message"]["html"].as_str().expect("card html");
        no_markup(html, "command card");
        let title = r.body["data"]["deal"]["title"].as_str().expect("title");
        assert!(title.contains("[win](https://evil.example)"), "{title}");
        let text = r.body["text"].as_str().expect("text");
        assert!(text.contains(title), "the issuer reads the title as written: {text}");
    }
}

on_every_backend!(
    task_over_ws_in_a_deal_chat,
    assign_on_clients,
    a_guest_cannot_move,
    an_unknown_stage_answers_only_the_issuer,
    russian_and_english_commands_and_undo,
    undo_respects_versions_and_the_window,
    task_done_and_remind,
    autocomplete,
    titles_are_quoted_as_text,
);
