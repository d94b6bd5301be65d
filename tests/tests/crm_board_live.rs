//! Live deal boards over the WebSocket: a watcher sees cards appear and move in
//! board order (gap-free seq per pipeline), deals it may not see arrive as bare
//! ids, and a watcher that was away replays exactly what it missed.

use artel_tests::{on_every_backend, Backend, Session, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

async fn first_pipeline(app: &TestApp, s: &Session) -> (Uuid, Vec<Uuid>) {
    let r = app.get("/pipelines", &s.access_token).await;
    r.expect(200);
    let p = &r.body[0];
    let stages =
        p["stages"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().parse().unwrap()).collect();
    (p["id"].as_str().unwrap().parse().unwrap(), stages)
}

async fn create_deal(app: &TestApp, s: &Session, title: &str) -> Value {
    let r = app.post("/deals", Some(&s.access_token), json!({"title": title, "amount_minor": 10_000})).await;
    r.expect(201);
    r.body
}

fn is_board(f: &Value) -> bool {
    f["type"] == "board_event"
}

async fn watcher_sees_cards_move_in_order(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "anna@acme.test").await;
    let (pipeline, stages) = first_pipeline(&app, &owner).await;

    let mut ws = app.ws(&member.access_token, &[]).await;
    ws.send_json(json!({"type": "watch_board", "pipeline_id": pipeline})).await;
    let watching = ws.next_where(|f| f["type"] == "watching").await;
    let start = watching["last_seq"].as_i64().unwrap();

    let deal = create_deal(&app, &owner, "Поставка труб").await;
    let created = ws.next_where(is_board).await;
    assert_eq!(created["seq"], start + 1);
    assert_eq!(created["change"]["type"], "deal_upserted");
    assert_eq!(created["change"]["deal"]["title"], "Поставка труб");

    // The move reaches the watcher within the same second.
    let started = std::time::Instant::now();
    let r = app
        .post(
            &format!("/deals/{}/move", deal["id"].as_str().unwrap()),
            Some(&owner.access_token),
            json!({"version": 1, "stage_id": stages[2]}),
        )
        .await;
    r.expect(200);
    let moved = ws.next_where(is_board).await;
    let took = started.elapsed();
    // Printed, not asserted tightly: timing is measured, and a loaded CI machine
    // must not fail a story that is about delivery. "Within a second" is the goal.
    println!("board move reached the board in {took:?}");
    assert!(took < Duration::from_secs(5), "the move took {took:?} to reach the board");
    assert_eq!(moved["seq"], start + 2, "gap-free");
    assert_eq!(moved["change"]["deal"]["stage_id"], stages[2].to_string());

    // A stage added by an admin tells watchers to reload the columns.
    app.post(&format!("/pipelines/{pipeline}/stages"), Some(&owner.access_token), json!({"name": "Тендер"}))
        .await
        .expect(201);
    let reload = ws.next_where(is_board).await;
    assert_eq!(reload["change"]["type"], "stages_changed");
    assert_eq!(reload["seq"], start + 3);

    // Archiving takes the card off the board.
    app.post(
        &format!("/deals/{}/archive", deal["id"].as_str().unwrap()),
        Some(&owner.access_token),
        json!({"version": 2}),
    )
    .await
    .expect(200);
    let removed = ws.next_where(is_board).await;
    assert_eq!(removed["change"]["type"], "deal_removed");
    assert_eq!(removed["change"]["deal_id"], deal["id"]);
}

async fn hidden_deals_arrive_as_ids_only(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "anna@acme.test").await;
    app.call("PATCH", "/workspace", Some(&owner.access_token), Some(json!({"deal_visibility": "own"})))
        .await
        .expect(200);
    let (pipeline, _) = first_pipeline(&app, &owner).await;
    let mut ws = app.ws(&member.access_token, &[]).await;
    ws.send_json(json!({"type": "watch_board", "pipeline_id": pipeline})).await;
    ws.next_where(|f| f["type"] == "watching").await;

    let secret = create_deal(&app, &owner, "Секретная сделка").await;
    let frame = ws.next_where(is_board).await;
    assert_eq!(frame["change"]["type"], "deal_hidden");
    assert_eq!(frame["change"]["deal_id"], secret["id"]);
    assert!(
        !frame.to_string().contains("Секретная"),
        "no details of a deal the watcher may not see: {frame}"
    );

    // A deal the member is on is shown in full.
    let r = app
        .post(
            "/deals",
            Some(&owner.access_token),
            json!({"title": "Общая", "participants": [member.user_id]}),
        )
        .await;
    r.expect(201);
    let frame = ws.next_where(is_board).await;
    assert_eq!(frame["change"]["type"], "deal_upserted");
    assert_eq!(frame["change"]["deal"]["title"], "Общая");
}

async fn watcher_resumes_from_cursor(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let (pipeline, _) = first_pipeline(&app, &owner).await;
    let mut ws = app.ws(&owner.access_token, &[]).await;
    ws.send_json(json!({"type": "watch_board", "pipeline_id": pipeline})).await;
    let start = ws.next_where(|f| f["type"] == "watching").await["last_seq"].as_i64().unwrap();
    create_deal(&app, &owner, "one").await;
    let first = ws.next_where(is_board).await["seq"].as_i64().unwrap();
    drop(ws);

    for title in ["two", "three", "four"] {
        create_deal(&app, &owner, title).await;
    }
    let mut ws = app.ws(&owner.access_token, &[]).await;
    ws.send_json(json!({"type": "watch_board", "pipeline_id": pipeline, "cursor": first})).await;
    let watching = ws.next_where(|f| f["type"] == "watching").await;
    assert_eq!(watching["last_seq"], start + 4);
    let mut titles = Vec::new();
    for expected in (first + 1)..=(start + 4) {
        let f = ws.next_where(is_board).await;
        assert_eq!(f["seq"], expected);
        titles.push(f["change"]["deal"]["title"].as_str().unwrap().to_string());
    }
    assert_eq!(titles, ["two", "three", "four"]);
    // Nothing twice: the next board frame is the next change, with the next seq.
    create_deal(&app, &owner, "five").await;
    let f = ws.next_where(is_board).await;
    assert_eq!(
        (f["seq"].as_i64(), f["change"]["deal"]["title"].as_str()),
        (Some(start + 5), Some("five")),
        "{f}"
    );
}

async fn unknown_and_foreign_boards_are_not_found(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let (foreign, _) = first_pipeline(&app, &other).await;
    let mut ws = app.ws(&owner.access_token, &[]).await;
    for pipeline in [foreign, Uuid::now_v7()] {
        ws.send_json(json!({"type": "watch_board", "pipeline_id": pipeline})).await;
        let err = ws.next_where(|f| f["type"] == "error").await;
        assert_eq!(err["code"], "not_found");
    }
    // Nothing of the other workspace's board reaches this socket: once it
    // watches its own board, the first board frame is its own next change.
    create_deal(&app, &other, "чужая").await;
    let (own, _) = first_pipeline(&app, &owner).await;
    ws.send_json(json!({"type": "watch_board", "pipeline_id": own})).await;
    let start = loop {
        let f = ws.next().await;
        assert!(!is_board(&f), "leak: {f}");
        if f["type"] == "watching" {
            break f["last_seq"].as_i64().unwrap();
        }
    };
    create_deal(&app, &owner, "своя").await;
    let f = ws.next_where(is_board).await;
    assert_eq!(
        (f["seq"].as_i64(), f["change"]["deal"]["title"].as_str()),
        (Some(start + 1), Some("своя")),
        "leak: {f}"
    );
    ws.send_json(json!({"type": "watch_board", "pipeline_id": "not-a-uuid"})).await;
    assert_eq!(ws.next_where(|f| f["type"] == "error").await["code"], "bad_frame");
}

/// A task of a deal changes its card: the board event logged with the task write
/// carries the open-task count and the next task as they are after it.
async fn task_changes_reach_the_card(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let (pipeline, _) = first_pipeline(&app, &owner).await;
    let deal = create_deal(&app, &owner, "Карточка").await;
    let mut ws = app.ws(&owner.access_token, &[]).await;
    ws.send_json(json!({"type": "watch_board", "pipeline_id": pipeline})).await;
    let start = ws.next_where(|f| f["type"] == "watching").await["last_seq"].as_i64().unwrap();

    let task = |title: &str, due: &str| json!({"title": title, "entity_kind": "deal", "entity_id": deal["id"], "due_at": due});
    let r = app.post("/tasks", Some(&owner.access_token), task("Позвонить", "2026-12-05T10:00:00Z")).await;
    r.expect(201);
    let call = r.body.clone();
    let f = ws.next_where(is_board).await;
    assert_eq!(f["seq"], start + 1);
    assert_eq!(f["change"]["deal"]["open_tasks"], 1, "{f}");
    assert_eq!(f["change"]["deal"]["next_task"]["title"], "Позвонить");

    let r = app.post("/tasks", Some(&owner.access_token), task("Отправить КП", "2026-12-04T10:00:00Z")).await;
    r.expect(201);
    let f = ws.next_where(is_board).await;
    assert_eq!(f["seq"], start + 2);
    assert_eq!(f["change"]["deal"]["open_tasks"], 2);
    assert_eq!(f["change"]["deal"]["next_task"]["title"], "Отправить КП", "the earlier one is next");

    let r = app
        .post(
            &format!("/tasks/{}/complete", call["id"].as_str().unwrap()),
            Some(&owner.access_token),
            json!({"version": call["version"]}),
        )
        .await;
    r.expect(200);
    let f = ws.next_where(is_board).await;
    assert_eq!(f["seq"], start + 3, "gap-free");
    assert_eq!(f["change"]["deal"]["open_tasks"], 1, "the completed task is gone from the card: {f}");
    // What the socket got is what the board says now.
    let r = app.get(&format!("/pipelines/{pipeline}/board"), &owner.access_token).await;
    r.expect(200);
    let card = r.body["columns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["deals"].as_array().unwrap().iter())
        .find(|d| d["id"] == deal["id"])
        .cloned()
        .unwrap();
    assert_eq!(card["open_tasks"], f["change"]["deal"]["open_tasks"]);
    assert_eq!(card["next_task"], f["change"]["deal"]["next_task"]);
}

/// Refused changes (unknown stage, another workspace's stage, bad amount or
/// currency, a stale version) write nothing, so no board event either: the next
/// good move is the very next seq.
async fn refused_changes_leave_no_board_event(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let (pipeline, stages) = first_pipeline(&app, &owner).await;
    let (_, foreign) = first_pipeline(&app, &other).await;
    let deal = create_deal(&app, &owner, "Стойкая").await;
    let mut ws = app.ws(&owner.access_token, &[]).await;
    ws.send_json(json!({"type": "watch_board", "pipeline_id": pipeline})).await;
    let start = ws.next_where(|f| f["type"] == "watching").await["last_seq"].as_i64().unwrap();
    let d = deal["id"].as_str().unwrap();
    let token = Some(owner.access_token.as_str());

    for (path, body, field) in [
        (format!("/deals/{d}/move"), json!({"version": 1, "stage_id": Uuid::now_v7()}), "stage_id"),
        (format!("/deals/{d}/move"), json!({"version": 1, "stage_id": foreign[1]}), "stage_id"),
        (format!("/deals/{d}"), json!({"version": 1, "amount_minor": -100}), "amount_minor"),
        (format!("/deals/{d}"), json!({"version": 1, "currency": "XYZ"}), "currency"),
    ] {
        let r =
            app.call(if path.ends_with("move") { "POST" } else { "PATCH" }, &path, token, Some(body)).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], field, "{}", r.body);
    }
    let r = app.post(&format!("/deals/{d}/move"), token, json!({"version": 7, "stage_id": stages[1]})).await;
    r.expect_error(409, "stale_version");
    // No event for a refusal: the next board frame is the good move below.

    app.post(&format!("/deals/{d}/move"), token, json!({"version": 1, "stage_id": stages[1]}))
        .await
        .expect(200);
    let f = ws.next_where(is_board).await;
    assert_eq!(f["seq"], start + 1, "nothing was logged in between");
    assert_eq!(f["change"]["deal"]["version"], 2);
}

on_every_backend!(
    watcher_sees_cards_move_in_order,
    task_changes_reach_the_card,
    refused_changes_leave_no_board_event,
    hidden_deals_arrive_as_ids_only,
    watcher_resumes_from_cursor,
    unknown_and_foreign_boards_are_not_found,
);
