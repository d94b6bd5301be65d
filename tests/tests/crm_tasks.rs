//! Tasks over the API: create/read/edit with versions, "my tasks" buckets in my
//! time zone, recurrence (next occurrence at the right local time), subtasks,
//! history, deal tasks in the deal's chat, reminders over the WebSocket (once,
//! across restarts), permissions per role and workspace, and bad input.

use artel_tests::{on_every_backend, test_serve_config, Backend, Resp, Session, TestApp};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

/// One server with a workspace (owner in Europe/Moscow, language ru), an admin,
/// two members and a guest.
struct World {
    app: TestApp,
    owner: Session,
    admin: Session,
    bob: Session,
    carol: Session,
    guest: Session,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    World { app, owner, admin, bob, carol, guest }
}

fn arr(r: &Resp) -> Vec<Value> {
    r.body.as_array().unwrap_or_else(|| panic!("not an array: {}", r.body)).clone()
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

fn ids(items: &[Value]) -> Vec<Uuid> {
    items.iter().map(id).collect()
}

fn field(r: &Resp) -> String {
    r.body["error"]["field"].as_str().unwrap_or("").to_string()
}

async fn create_task(app: &TestApp, by: &Session, body: Value) -> Value {
    let r = app.post("/tasks", Some(&by.access_token), body).await;
    r.expect(201);
    r.body.clone()
}

async fn patch(app: &TestApp, by: &Session, task: Uuid, body: Value) -> Resp {
    app.call("PATCH", &format!("/tasks/{task}"), Some(&by.access_token), Some(body)).await
}

/// Signs in again (after the clock moved past the access token's lifetime).
async fn relogin(app: &TestApp, who: &Session) -> Session {
    app.login(&who.email, None).await
}

async fn set_zone(app: &TestApp, who: &Session, zone: &str) {
    app.call("PATCH", "/me", Some(&who.access_token), Some(json!({"time_zone": zone}))).await.expect(200);
}

async fn complete(app: &TestApp, by: &Session, task: &Value) -> Resp {
    app.post(
        &format!("/tasks/{}/complete", id(task)),
        Some(&by.access_token),
        json!({"version": task["version"]}),
    )
    .await
}

async fn create_read_update_with_versions(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let t = create_task(
        app,
        &w.owner,
        json!({"title": "  Позвонить клиенту ", "due_at": "2026-11-24T11:00:00+03:00",
               "priority": "high", "kind": "call", "assignees": [w.bob.user_id, w.bob.user_id]}),
    )
    .await;
    assert_eq!(t["title"], "Позвонить клиенту");
    assert_eq!(t["version"], 1);
    assert_eq!(t["status"], "open");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["kind"], "call");
    assert_eq!(t["due_has_time"], true);
    assert_eq!(t["creator_id"], w.owner.user_id.to_string());
    assert_eq!(t["assignees"], json!([w.bob.user_id]), "no repeats");
    let due: chrono::DateTime<Utc> = serde_json::from_value(t["due_at"].clone()).unwrap();
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap());

    // Defaults: assigned to me, normal priority, kind other, no due.
    let mine = create_task(app, &w.bob, json!({"title": "Подготовить КП"})).await;
    assert_eq!(mine["assignees"], json!([w.bob.user_id]));
    assert_eq!(mine["priority"], "normal");
    assert_eq!(mine["kind"], "other");
    assert_eq!(mine["due_at"], Value::Null);

    let r = app.get(&format!("/tasks/{}", id(&t)), &w.bob.access_token).await;
    r.expect(200);
    assert_eq!(r.body["title"], "Позвонить клиенту");
    assert_eq!(r.body["reminders"], json!([]));

    let r = patch(
        app,
        &w.bob,
        id(&t),
        json!({"version": 1, "title": "Перезвонить", "priority": "urgent",
                                              "status": "in_progress"}),
    )
    .await;
    r.expect(200);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["status"], "in_progress");
    // A write based on the old version is refused.
    patch(app, &w.owner, id(&t), json!({"version": 1, "title": "Другое"}))
        .await
        .expect_error(409, "stale_version");
    // Clearing the due date.
    let r = patch(app, &w.owner, id(&t), json!({"version": 2, "due_at": null})).await;
    r.expect(200);
    assert_eq!(r.body["due_at"], Value::Null);

    // Views: assigned to me, created by me.
    let r = app.get("/tasks?view=my", &w.bob.access_token).await;
    r.expect(200);
    let mut got = ids(&arr(&r));
    got.sort();
    let mut want = vec![id(&t), id(&mine)];
    want.sort();
    assert_eq!(got, want);
    let r = app.get("/tasks?view=created", &w.bob.access_token).await;
    assert_eq!(ids(&arr(&r)), vec![id(&mine)]);
    let r = app.get("/tasks?view=created", &w.owner.access_token).await;
    assert_eq!(ids(&arr(&r)), vec![id(&t)]);
    let r = app.get("/tasks?status=open", &w.owner.access_token).await;
    assert_eq!(ids(&arr(&r)), vec![id(&mine)]);
    let r = app.get("/tasks?status=open,in_progress&limit=1", &w.owner.access_token).await;
    assert_eq!(arr(&r).len(), 1);

    // History: who, when, field, old → new.
    let r = app.get(&format!("/tasks/{}/history", id(&t)), &w.owner.access_token).await;
    r.expect(200);
    let entries = arr(&r);
    let find =
        |f: &str| entries.iter().find(|e| e["field"] == f).cloned().unwrap_or_else(|| panic!("no {f}"));
    assert_eq!(find("created")["actor_id"], w.owner.user_id.to_string());
    let title = find("title");
    assert_eq!(title["old"], "Позвонить клиенту");
    assert_eq!(title["new"], "Перезвонить");
    assert_eq!(title["actor_id"], w.bob.user_id.to_string());
    assert_eq!(find("priority")["new"], "urgent");
    assert_eq!(find("status")["old"], "open");
    assert!(find("due_at")["new"].is_null());
    assert!(entries.iter().all(|e| e["field"] != "version" && e["field"] != "updated_at"));

    // Reassigning hands the pending reminders to the new assignees.
    let t = create_task(
        app,
        &w.owner,
        json!({"title": "Напомнить", "assignees": [w.bob.user_id], "reminders": ["2026-11-24T08:00:00Z"]}),
    )
    .await;
    assert_eq!(t["reminders"][0]["user_id"], w.bob.user_id.to_string());
    let r = patch(app, &w.owner, id(&t), json!({"version": 1, "assignees": [w.carol.user_id]})).await;
    r.expect(200);
    let reminders = r.body["reminders"].as_array().expect("reminders").clone();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0]["user_id"], w.carol.user_id.to_string());
    assert_eq!(reminders[0]["remind_at"], t["reminders"][0]["remind_at"]);
}

async fn my_tasks_in_my_time_zone(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    set_zone(app, &w.bob, "Asia/Vladivostok").await;
    // 23:30 on Monday in Vladivostok (UTC+10); tokens are signed in again at the new time.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 13, 30, 0).unwrap());
    let w = World { owner: relogin(app, &w.owner).await, bob: relogin(app, &w.bob).await, ..w };
    let app = &w.app;
    let mk = |title: &str, due: Option<&str>| {
        let mut body = json!({"title": title, "assignees": [w.bob.user_id]});
        if let Some(d) = due {
            body["due_at"] = json!(d);
        }
        body
    };
    let passed = create_task(app, &w.owner, mk("passed", Some("2026-11-23T13:00:00Z"))).await;
    let later_today = create_task(app, &w.owner, mk("later today", Some("2026-11-23T13:50:00Z"))).await;
    let after_midnight = create_task(app, &w.owner, mk("after midnight", Some("2026-11-23T14:30:00Z"))).await;
    let dated_today = create_task(app, &w.owner, mk("dated today", Some("2026-11-23"))).await;
    let dated_yesterday = create_task(app, &w.owner, mk("dated yesterday", Some("2026-11-22"))).await;
    let undated = create_task(app, &w.owner, mk("undated", None)).await;
    let done = create_task(app, &w.owner, mk("done", Some("2026-11-23T13:00:00Z"))).await;
    complete(app, &w.bob, &done).await.expect(200);
    // Someone else's task is not in my list.
    create_task(app, &w.owner, json!({"title": "owner's", "due_at": "2026-11-23T13:40:00Z"})).await;

    let buckets = |r: &Resp| {
        r.expect(200);
        let get = |k: &str| {
            let mut v = ids(r.body[k].as_array().unwrap_or_else(|| panic!("no {k}: {}", r.body)));
            v.sort();
            v
        };
        (get("overdue"), get("today"), get("upcoming"), get("no_due_date"))
    };
    let sorted = |mut v: Vec<Uuid>| {
        v.sort();
        v
    };
    let r = app.get("/tasks/mine", &w.bob.access_token).await;
    let (overdue, today, upcoming, no_due) = buckets(&r);
    assert_eq!(overdue, sorted(vec![id(&passed), id(&dated_yesterday)]));
    assert_eq!(today, sorted(vec![id(&later_today), id(&dated_today)]));
    assert_eq!(upcoming, vec![id(&after_midnight)], "00:30 on Tuesday in Vladivostok");
    assert_eq!(no_due, vec![id(&undated)]);

    // In UTC it is still Monday afternoon: the 14:30 task is due today.
    set_zone(app, &w.bob, "UTC").await;
    let r = app.get("/tasks/mine", &w.bob.access_token).await;
    let (_, today, upcoming, _) = buckets(&r);
    assert_eq!(today, sorted(vec![id(&later_today), id(&after_midnight), id(&dated_today)]));
    assert!(upcoming.is_empty());

    // Time passes: the later task becomes overdue.
    app.clock.advance(chrono::Duration::minutes(30));
    let w = World { bob: relogin(app, &w.bob).await, ..w };
    let app = &w.app;
    let r = app.get("/tasks/mine", &w.bob.access_token).await;
    let (overdue, _, _, _) = buckets(&r);
    assert_eq!(overdue, sorted(vec![id(&passed), id(&later_today), id(&dated_yesterday)]));
}

async fn recurring_tasks_spawn_the_next_occurrence(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let at = |s: &str| -> chrono::DateTime<Utc> { s.parse().expect("time") };
    let due =
        |v: &Value| -> chrono::DateTime<Utc> { serde_json::from_value(v["due_at"].clone()).expect("due") };

    // Weekdays, Friday 11:00 Moscow → Monday 11:00 Moscow; reminders keep their offset.
    let fri = create_task(
        app,
        &w.owner,
        json!({"title": "Планёрка", "kind": "meeting", "recurrence": "weekdays",
               "due_at": "2026-11-27T11:00:00+03:00", "reminders": ["2026-11-27T07:45:00Z"]}),
    )
    .await;
    let r = complete(app, &w.owner, &fri).await;
    r.expect(200);
    assert_eq!(r.body["task"]["status"], "done");
    assert!(r.body["task"]["completed_at"].is_string());
    assert_eq!(r.body["task"]["version"], 2);
    let next = r.body["next"].clone();
    assert_eq!(next["status"], "open");
    assert_eq!(next["version"], 1);
    assert_eq!(next["title"], "Планёрка");
    assert_eq!(next["recurrence"], "weekdays");
    assert_eq!(due(&next), at("2026-11-30T08:00:00Z"), "Monday 11:00 in Moscow");
    let r = app.get(&format!("/tasks/{}", id(&next)), &w.owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body["reminders"][0]["remind_at"].as_str().map(at), Some(at("2026-11-30T07:45:00Z")));
    // Completing it again does nothing more; a stale version is refused.
    let r = app.get(&format!("/tasks/{}", id(&fri)), &w.owner.access_token).await;
    let again = complete(app, &w.owner, &r.body).await;
    again.expect(200);
    assert_eq!(again.body["next"], Value::Null);
    complete(app, &w.owner, &next).await.expect(200);
    complete(app, &w.owner, &next).await.expect_error(409, "stale_version");

    // Daily in the assignee's zone, across the end of DST in New York (Nov 1).
    set_zone(app, &w.bob, "America/New_York").await;
    let daily = create_task(
        app,
        &w.owner,
        json!({"title": "Отчёт", "recurrence": "daily", "assignees": [w.bob.user_id],
               "due_at": "2026-10-31T09:00:00-04:00"}),
    )
    .await;
    let r = complete(app, &w.bob, &daily).await;
    r.expect(200);
    assert_eq!(due(&r.body["next"]), at("2026-11-01T14:00:00Z"), "09:00 EST");

    // Monthly on the 31st → the last day of February.
    let monthly = create_task(
        app,
        &w.owner,
        json!({"title": "Сверка", "recurrence": "monthly", "due_at": "2027-01-31T10:00:00+03:00"}),
    )
    .await;
    let r = complete(app, &w.owner, &monthly).await;
    assert_eq!(due(&r.body["next"]), at("2027-02-28T07:00:00Z"));
    // ...and back to the 31st in March.
    let r = complete(app, &w.owner, &r.body["next"].clone()).await;
    assert_eq!(due(&r.body["next"]), at("2027-03-31T07:00:00Z"));
    let leap = create_task(
        app,
        &w.owner,
        json!({"title": "Сверка", "recurrence": "monthly", "due_at": "2028-01-31"}),
    )
    .await;
    assert_eq!(leap["due_has_time"], false);
    let r = complete(app, &w.owner, &leap).await;
    assert_eq!(due(&r.body["next"]), at("2028-02-29T00:00:00Z"));
    assert_eq!(r.body["next"]["due_has_time"], false);

    // Weekly, and completing through PATCH status=done spawns too.
    let weekly = create_task(
        app,
        &w.owner,
        json!({"title": "Обзор", "recurrence": "weekly", "due_at": "2026-11-25T15:00:00+03:00"}),
    )
    .await;
    patch(app, &w.owner, id(&weekly), json!({"version": 1, "status": "done"})).await.expect(200);
    let r = app.get("/tasks?view=my&status=open", &w.owner.access_token).await;
    let open = arr(&r);
    assert!(open.iter().any(|t| t["title"] == "Обзор" && due(t) == at("2026-12-02T12:00:00Z")), "{open:?}");

    // Reopen.
    let r = app.get(&format!("/tasks/{}", id(&weekly)), &w.owner.access_token).await;
    let r = app
        .post(
            &format!("/tasks/{}/reopen", id(&weekly)),
            Some(&w.owner.access_token),
            json!({"version": r.body["version"]}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["status"], "open");
    assert_eq!(r.body["completed_at"], Value::Null);

    // A recurring task needs a due date.
    let r =
        app.post("/tasks", Some(&w.owner.access_token), json!({"title": "x", "recurrence": "daily"})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(field(&r), "recurrence");
}

async fn subtasks_and_entity_tasks(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let parent = create_task(app, &w.owner, json!({"title": "Подготовить договор"})).await;
    let a = create_task(app, &w.owner, json!({"title": "Реквизиты", "parent_id": id(&parent)})).await;
    let b = create_task(app, &w.owner, json!({"title": "Согласовать", "parent_id": id(&parent)})).await;
    assert_eq!(a["parent_id"], parent["id"]);
    let r = app.get(&format!("/tasks/{}/subtasks", id(&parent)), &w.owner.access_token).await;
    r.expect(200);
    let mut got = ids(&arr(&r));
    got.sort();
    let mut want = vec![id(&a), id(&b)];
    want.sort();
    assert_eq!(got, want);
    let r = app
        .post("/tasks", Some(&w.owner.access_token), json!({"title": "x", "parent_id": Uuid::now_v7()}))
        .await;
    r.expect_error(422, "invalid_input");
    assert_eq!(field(&r), "parent_id");

    // A deal's task: listed under the deal, announced in the deal's chat.
    let r = app.post("/deals", Some(&w.owner.access_token), json!({"title": "Поставка труб"})).await;
    r.expect(201);
    let deal = r.body.clone();
    let chat: Uuid = deal["chat_id"].as_str().expect("chat").parse().unwrap();
    let t = create_task(
        app,
        &w.owner,
        json!({"title": "Выставить счёт", "entity_kind": "deal", "entity_id": deal["id"]}),
    )
    .await;
    assert_eq!(t["entity_kind"], "deal");
    let r = app
        .get(
            &format!("/tasks?view=entity&entity_kind=deal&entity_id={}", deal["id"].as_str().unwrap()),
            &w.owner.access_token,
        )
        .await;
    assert_eq!(ids(&arr(&r)), vec![id(&t)]);
    complete(app, &w.owner, &t).await.expect(200);
    let r = app.get(&format!("/chats/{chat}/messages"), &w.owner.access_token).await;
    r.expect(200);
    let all = arr(&r);
    let system: Vec<&Value> = all.iter().filter(|m| m["kind"] == "system").collect();
    let bodies: Vec<String> = system.iter().map(|m| m["body"].as_str().unwrap().to_string()).collect();
    assert!(bodies.iter().any(|b| b.ends_with(": задача «Выставить счёт»")), "{bodies:?}");
    assert!(bodies.iter().any(|b| b.ends_with(": задача «Выставить счёт» выполнена")), "{bodies:?}");
    let types: Vec<&Value> = system.iter().map(|m| &m["notice"]["type"]).collect();
    assert!(
        types.contains(&&json!("task_created")) && types.contains(&&json!("task_completed")),
        "{types:?}"
    );
    assert!(system
        .iter()
        .all(|m| m["notice"]["task_id"] == t["id"] || m["notice"]["type"] != "task_created"));

    // Contacts and companies must exist too.
    let r = app.post("/contacts", Some(&w.owner.access_token), json!({"name": "Иван Петров"})).await;
    r.expect(201);
    let contact = r.body["id"].clone();
    let t = create_task(
        app,
        &w.owner,
        json!({"title": "Позвонить", "entity_kind": "contact", "entity_id": contact}),
    )
    .await;
    let r = app
        .get(
            &format!("/tasks?view=entity&entity_kind=contact&entity_id={}", contact.as_str().unwrap()),
            &w.owner.access_token,
        )
        .await;
    assert_eq!(ids(&arr(&r)), vec![id(&t)]);
    for kind in ["deal", "contact", "company"] {
        let r = app
            .post(
                "/tasks",
                Some(&w.owner.access_token),
                json!({"title": "x", "entity_kind": kind, "entity_id": Uuid::now_v7()}),
            )
            .await;
        r.expect_error(422, "invalid_input");
        assert_eq!(field(&r), "entity_id", "{kind}");
    }
}

fn is_reminder(f: &Value) -> bool {
    f["type"] == "ephemeral" && f["event"]["type"] == "task_reminder"
}

/// Asserts that no reminder pass up to now sent this socket a reminder: waits
/// for a whole pass of the reminder worker, then sends a marker reminder down
/// the same route (the bus, to this user) and reads every frame before it.
async fn no_reminder_until_now(app: &TestApp, ws: &mut artel_tests::ws_client::WsClient, user: &Session) {
    use artel_core::event::{Audience, Envelope, Ephemeral};
    app.reminders_drained().await;
    let marker = Uuid::now_v7();
    let envelope = Envelope::ephemeral(
        user.workspace_id,
        Audience::Users { user_ids: vec![user.user_id] },
        Ephemeral::TaskReminder { task_id: marker, title: "marker".into(), due_at: None },
    );
    app.state.bus.publish(&envelope).await.expect("publish the marker");
    loop {
        let f = ws.next().await;
        if is_reminder(&f) {
            assert_eq!(f["event"]["task_id"], json!(marker), "a reminder: {f}");
            return;
        }
    }
}

async fn reminders_fire_once_and_survive_restarts(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    // Clock starts at 2026-11-23 09:00 UTC.
    let t = create_task(
        &app,
        &owner,
        json!({"title": "Созвон", "due_at": "2026-11-23T11:00:00Z",
               "reminders": ["2026-11-23T09:30:00Z", "2026-11-23T10:30:00Z"]}),
    )
    .await;
    assert_eq!(t["reminders"].as_array().map(Vec::len), Some(2));
    let mut ws = app.ws(&owner.access_token, &[]).await;
    // Not yet, not even a second before.
    app.clock.advance(chrono::Duration::minutes(30) - chrono::Duration::seconds(1));
    no_reminder_until_now(&app, &mut ws, &owner).await;
    app.clock.advance(chrono::Duration::seconds(1));
    let frame = ws.next_where(is_reminder).await;
    assert_eq!(frame["event"]["task_id"], t["id"]);
    assert_eq!(frame["event"]["title"], "Созвон");
    let owner = relogin(&app, &owner).await;
    // Once only.
    app.clock.advance(chrono::Duration::minutes(1));
    no_reminder_until_now(&app, &mut ws, &owner).await;
    let r = app.get(&format!("/tasks/{}", id(&t)), &owner.access_token).await;
    assert!(r.body["reminders"][0]["fired_at"].is_string());
    assert!(r.body["reminders"][1]["fired_at"].is_null());
    drop(ws);

    // Restart on the same database: the fired one stays fired, the other still fires.
    let db = app.stop().await;
    let app = TestApp::start_on(db, test_serve_config()).await;
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap());
    let owner = app.login("owner@acme.test", None).await;
    let mut ws = app.ws(&owner.access_token, &[]).await;
    no_reminder_until_now(&app, &mut ws, &owner).await;
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 10, 31, 0).unwrap());
    let frame = ws.next_where(is_reminder).await;
    assert_eq!(frame["event"]["task_id"], t["id"]);
    let owner = relogin(&app, &owner).await;
    no_reminder_until_now(&app, &mut ws, &owner).await;

    // A completed task's reminders stay silent; replacing reminders is recorded.
    let t2 = create_task(&app, &owner, json!({"title": "Тихо", "reminders": ["2026-11-23T10:40:00Z"]})).await;
    let r = patch(&app, &owner, id(&t2), json!({"version": 1, "reminders": ["2026-11-23T10:45:00Z"]})).await;
    r.expect(200);
    assert_eq!(r.body["reminders"].as_array().map(Vec::len), Some(1));
    let r = app.get(&format!("/tasks/{}/history", id(&t2)), &owner.access_token).await;
    assert!(arr(&r).iter().any(|e| e["field"] == "reminders"));
    complete(&app, &owner, &json!({"id": t2["id"], "version": 2})).await.expect(200);
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 10, 50, 0).unwrap());
    no_reminder_until_now(&app, &mut ws, &owner).await;
    // And the fire-once rule holds at the store level too.
    let due = app.state.store.due_reminders(app.clock_now(), 10).await.unwrap();
    assert!(due.is_empty(), "all due reminders are marked fired: {due:?}");
}

async fn a_reminder_is_claimed_once_under_contention(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    // Far ahead of the app's clock, so its worker leaves it alone.
    let t =
        create_task(&app, &owner, json!({"title": "Гонка", "reminders": ["2027-06-01T10:00:00.123456Z"]}))
            .await;
    let later = Utc.with_ymd_and_hms(2027, 6, 1, 10, 0, 1).unwrap();
    let store = &app.state.store;
    assert!(store
        .due_reminders(Utc.with_ymd_and_hms(2027, 6, 1, 9, 59, 59).unwrap(), 10)
        .await
        .unwrap()
        .is_empty());
    let due = store.due_reminders(later, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].task_id, id(&t));
    assert_eq!(due[0].remind_at, "2027-06-01T10:00:00.123456Z".parse::<chrono::DateTime<Utc>>().unwrap());
    let (a, b, c) = tokio::join!(
        store.mark_reminder_fired(due[0].id, later),
        store.mark_reminder_fired(due[0].id, later),
        store.mark_reminder_fired(due[0].id, later),
    );
    let wins = [a.unwrap(), b.unwrap(), c.unwrap()].iter().filter(|w| **w).count();
    assert_eq!(wins, 1, "exactly one claimant wins");
    assert!(store.due_reminders(later, 10).await.unwrap().is_empty());
}

async fn permissions_by_role_and_workspace(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let for_bob =
        create_task(app, &w.owner, json!({"title": "Для Боба", "assignees": [w.bob.user_id]})).await;
    let for_guest =
        create_task(app, &w.owner, json!({"title": "Для гостя", "assignees": [w.guest.user_id]})).await;
    let bobs_own = create_task(app, &w.bob, json!({"title": "Своё", "assignees": [w.carol.user_id]})).await;
    let path = |t: &Value| format!("/tasks/{}", id(t));

    // Admins and the owner see everything.
    for who in [&w.owner, &w.admin] {
        for t in [&for_bob, &for_guest, &bobs_own] {
            app.get(&path(t), &who.access_token).await.expect(200);
        }
    }
    // Members: what they created or are assigned to.
    app.get(&path(&for_bob), &w.bob.access_token).await.expect(200);
    app.get(&path(&bobs_own), &w.bob.access_token).await.expect(200);
    app.get(&path(&bobs_own), &w.carol.access_token).await.expect(200);
    app.get(&path(&for_bob), &w.carol.access_token).await.expect_error(404, "not_found");
    app.get(&path(&for_guest), &w.bob.access_token).await.expect_error(404, "not_found");
    let r = app.get("/tasks", &w.carol.access_token).await;
    assert_eq!(ids(&arr(&r)), vec![id(&bobs_own)]);
    patch(app, &w.carol, id(&for_bob), json!({"version": 1, "title": "x"}))
        .await
        .expect_error(404, "not_found");

    // Guests: only tasks assigned to them; they may complete them, not edit or create.
    app.get(&path(&for_guest), &w.guest.access_token).await.expect(200);
    app.get(&path(&for_bob), &w.guest.access_token).await.expect_error(404, "not_found");
    let r = app.get("/tasks", &w.guest.access_token).await;
    assert_eq!(ids(&arr(&r)), vec![id(&for_guest)]);
    app.post("/tasks", Some(&w.guest.access_token), json!({"title": "x"}))
        .await
        .expect_error(403, "forbidden");
    patch(app, &w.guest, id(&for_guest), json!({"version": 1, "title": "x"}))
        .await
        .expect_error(403, "forbidden");
    complete(app, &w.guest, &for_guest).await.expect(200);
    complete(app, &w.guest, &for_bob).await.expect_error(404, "not_found");

    // Tasks of deals a member may see.
    let r = app.post("/deals", Some(&w.owner.access_token), json!({"title": "Сделка"})).await;
    r.expect(201);
    let deal = r.body["id"].clone();
    let deal_task =
        create_task(app, &w.owner, json!({"title": "По сделке", "entity_kind": "deal", "entity_id": deal}))
            .await;
    app.get(&path(&deal_task), &w.carol.access_token).await.expect(200);
    app.get(&path(&deal_task), &w.guest.access_token).await.expect_error(404, "not_found");
    app.call("PATCH", "/workspace", Some(&w.owner.access_token), Some(json!({"deal_visibility": "own"})))
        .await
        .expect(200);
    app.get(&path(&deal_task), &w.carol.access_token).await.expect_error(404, "not_found");
    let r = app.get("/tasks", &w.carol.access_token).await;
    assert!(!ids(&arr(&r)).contains(&id(&deal_task)));
    // ...and a member cannot link a task to a deal they do not see.
    let r = app
        .post(
            "/tasks",
            Some(&w.carol.access_token),
            json!({"title": "x", "entity_kind": "deal", "entity_id": deal}),
        )
        .await;
    r.expect_error(422, "invalid_input");

    // Another workspace: nothing exists.
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    for t in [&for_bob, &deal_task] {
        app.get(&path(t), &other.access_token).await.expect_error(404, "not_found");
        app.get(&format!("{}/history", path(t)), &other.access_token).await.expect_error(404, "not_found");
        complete(app, &other, t).await.expect_error(404, "not_found");
    }
    assert!(arr(&app.get("/tasks", &other.access_token).await).is_empty());
    let r = app
        .post("/tasks", Some(&other.access_token), json!({"title": "x", "assignees": [w.bob.user_id]}))
        .await;
    r.expect_error(422, "invalid_input");
    assert_eq!(field(&r), "assignees");
    let r = app
        .post("/tasks", Some(&other.access_token), json!({"title": "x", "parent_id": for_bob["id"]}))
        .await;
    r.expect_error(422, "invalid_input");
}

async fn bad_input_is_rejected(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token = Some(owner.access_token.as_str());
    for (body, named) in [
        (json!({"title": "x", "priority": "critical"}), "priority"),
        (json!({"title": "x", "kind": "fax"}), "kind"),
        (json!({"title": "x", "recurrence": "yearly", "due_at": "2026-12-01"}), "recurrence"),
        (json!({"title": "x", "reminders": ["soon"]}), "reminders"),
        (json!({"title": "x", "unknown": 1}), "unknown"),
        // A missing field has no path of its own: no `field`.
        (json!({}), ""),
    ] {
        let r = app.post("/tasks", token, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        // A mistyped value is named, like any other bad input.
        if named.is_empty() {
            assert!(r.body["error"]["field"].is_null(), "{body}: {}", r.body);
        } else {
            assert!(field(&r).starts_with(named), "{body}: {}", r.body);
        }
    }
    for (body, want) in [
        (json!({"title": "x", "due_at": "tomorrow"}), "due_at"),
        (json!({"title": "x", "due_at": "2026-02-30"}), "due_at"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "x".repeat(301)}), "title"),
        (json!({"title": "x", "entity_kind": "deal"}), "entity_id"),
        (json!({"title": "x", "entity_kind": "company", "entity_id": Uuid::now_v7()}), "entity_id"),
        (json!({"title": "x", "assignees": [Uuid::now_v7()]}), "assignees"),
    ] {
        let r = app.post("/tasks", token, body.clone()).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(field(&r), want, "{body}");
    }
    let r = app.get("/tasks?view=created", &owner.access_token).await;
    assert_eq!(r.body, json!([]), "no task from a refused request");
    let r = app.call_raw("POST", "/tasks", token, Some("application/json"), b"{\"title\": ".to_vec()).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = app.get("/tasks/not-a-uuid", &owner.access_token).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = app.get("/tasks?status=sleeping", &owner.access_token).await;
    r.expect_error(422, "invalid_input");
    let r = app.get("/tasks?view=entity", &owner.access_token).await;
    r.expect_error(422, "invalid_input");
    let r = app.get("/tasks?limit=0", &owner.access_token).await;
    r.expect_error(422, "invalid_input");
    let t = create_task(&app, &owner, json!({"title": "x"})).await;
    let r = patch(&app, &owner, id(&t), json!({"version": 1, "due_at": "31.12.2026"})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(field(&r), "due_at");
    let r = patch(&app, &owner, id(&t), json!({"version": 1, "status": "paused"})).await;
    assert_eq!(r.status, 422);
    app.get(&format!("/tasks/{}", Uuid::now_v7()), &owner.access_token).await.expect_error(404, "not_found");
    assert_eq!(app.call("GET", "/tasks", None, None).await.status, 401);
}

trait ClockNow {
    fn clock_now(&self) -> chrono::DateTime<Utc>;
}

impl ClockNow for TestApp {
    fn clock_now(&self) -> chrono::DateTime<Utc> {
        use artel_core::Clock;
        self.clock.now()
    }
}

on_every_backend!(
    create_read_update_with_versions,
    my_tasks_in_my_time_zone,
    recurring_tasks_spawn_the_next_occurrence,
    subtasks_and_entity_tasks,
    reminders_fire_once_and_survive_restarts,
    a_reminder_is_claimed_once_under_contention,
    permissions_by_role_and_workspace,
    bad_input_is_rejected,
);
