//! "Assigned to you", live: a task created for someone or handed to them — over
//! REST, by `/task` in a chat, by a stage rule — reaches that person's open
//! sockets at once (`task_assigned`), so their "My tasks" reloads; nobody else
//! hears of it; someone taken off a task hears only its id (`task_unassigned`).

use artel_tests::ws_client::WsClient;
use artel_tests::{on_every_backend, Backend, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

fn is_task_frame(f: &Value) -> bool {
    f["type"] == "ephemeral"
        && (f["event"]["type"] == "task_assigned" || f["event"]["type"] == "task_unassigned")
}

async fn create_task(app: &TestApp, by: &Session, body: Value) -> Value {
    let r = app.post("/tasks", Some(&by.access_token), body).await;
    r.expect(201);
    r.body.clone()
}

/// Asserts no task frame reached this socket so far: sends a marker reminder
/// down the same route (the bus, to this user) and reads every frame before it.
async fn no_task_frame_until_now(app: &TestApp, ws: &mut WsClient, user: &Session) {
    use artel_core::event::{Audience, Envelope, Ephemeral};
    let marker = Uuid::now_v7();
    let envelope = Envelope::ephemeral(
        user.workspace_id,
        Audience::Users { user_ids: vec![user.user_id] },
        Ephemeral::TaskReminder { task_id: marker, title: "marker".into(), due_at: None },
    );
    app.state.bus.publish(&envelope).await.expect("publish the marker");
    loop {
        let f = ws.next().await;
        assert!(!is_task_frame(&f), "a task frame: {f}");
        if f["type"] == "ephemeral" && f["event"]["task_id"] == json!(marker) {
            return;
        }
    }
}

async fn assigning_over_rest_tells_the_assignee_only(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let stranger = app.create_workspace("Other", "other", "boss@other.test").await;
    let mut bob_ws = app.ws(&bob.access_token, &[]).await;
    let mut bob_tab2 = app.ws(&bob.access_token, &[]).await;
    let mut carol_ws = app.ws(&carol.access_token, &[]).await;
    let mut admin_ws = app.ws(&admin.access_token, &[]).await;
    let mut stranger_ws = app.ws(&stranger.access_token, &[]).await;

    let t = create_task(
        &app,
        &owner,
        json!({"title": "Позвонить клиенту", "due_at": "2026-11-24T11:00:00+03:00", "assignees": [bob.user_id]}),
    )
    .await;
    for ws in [&mut bob_ws, &mut bob_tab2] {
        let f = ws.next_where(is_task_frame).await;
        assert_eq!(f["event"]["type"], "task_assigned");
        assert_eq!(f["event"]["task_id"], t["id"]);
        assert_eq!(f["event"]["title"], "Позвонить клиенту");
        assert_eq!(f["event"]["due_at"], "2026-11-24T08:00:00Z");
        assert_eq!(f["event"]["by"], json!(owner.user_id));
    }
    // Not the other member, not an admin who may see it, not another workspace.
    no_task_frame_until_now(&app, &mut carol_ws, &carol).await;
    no_task_frame_until_now(&app, &mut admin_ws, &admin).await;
    no_task_frame_until_now(&app, &mut stranger_ws, &stranger).await;

    // Handed to Carol: she is told; Bob, taken off it, hears only its id.
    let r = app
        .call(
            "PATCH",
            &format!("/tasks/{}", id(&t)),
            Some(&bob.access_token),
            Some(json!({"version": 1, "assignees": [carol.user_id], "title": "Перезвонить"})),
        )
        .await;
    r.expect(200);
    let f = carol_ws.next_where(is_task_frame).await;
    assert_eq!(f["event"]["type"], "task_assigned");
    assert_eq!(f["event"]["title"], "Перезвонить");
    assert_eq!(f["event"]["by"], json!(bob.user_id));
    for ws in [&mut bob_ws, &mut bob_tab2] {
        let f = ws.next_where(is_task_frame).await;
        assert_eq!(f["event"], json!({"type": "task_unassigned", "task_id": t["id"]}), "only the id");
    }
    // Bob may no longer see it (he created nothing and is not on it).
    app.get(&format!("/tasks/{}", id(&t)), &bob.access_token).await.expect_error(404, "not_found");

    // Edits that assign nobody new tell nobody.
    let r = app
        .call(
            "PATCH",
            &format!("/tasks/{}", id(&t)),
            Some(&owner.access_token),
            Some(json!({"version": 2, "title": "Перезвонить завтра", "assignees": [carol.user_id]})),
        )
        .await;
    r.expect(200);
    no_task_frame_until_now(&app, &mut carol_ws, &carol).await;
    no_task_frame_until_now(&app, &mut bob_tab2, &bob).await;
    // My own task: my other tabs learn of it too.
    create_task(&app, &carol, json!({"title": "Своё"})).await;
    let f = carol_ws.next_where(is_task_frame).await;
    assert_eq!(f["event"]["title"], "Своё");
}

async fn task_command_and_stage_rules_tell_the_assignee(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let mut bob_ws = app.ws(&bob.access_token, &[]).await;
    let mut carol_ws = app.ws(&carol.access_token, &[]).await;

    // `/task … @bob` in a deal's chat.
    let r = app
        .post(
            "/deals",
            Some(&owner.access_token),
            json!({"title": "Насосы", "participants": [bob.user_id, carol.user_id]}),
        )
        .await;
    r.expect(201);
    let chat = r.body["chat_id"].as_str().expect("deal chat").to_string();
    let r = app
        .post(
            &format!("/chats/{chat}/messages"),
            Some(&owner.access_token),
            json!({"body": "/task позвонить клиенту завтра 11:00 @bob", "client_msg_id": "t1"}),
        )
        .await;
    r.expect(200);
    let f = bob_ws.next_where(is_task_frame).await;
    assert_eq!(f["event"]["type"], "task_assigned");
    assert_eq!(f["event"]["title"], "позвонить клиенту");
    no_task_frame_until_now(&app, &mut carol_ws, &carol).await;
    let mine = app.get("/tasks/mine", &bob.access_token).await;
    mine.expect(200);
    assert!(mine.body.to_string().contains(f["event"]["task_id"].as_str().unwrap()));

    // A stage rule that sets a task for the deal's owner.
    let r = app.get("/pipelines", &owner.access_token).await;
    let p = r.body[0]["id"].as_str().unwrap().to_string();
    let second = r.body[0]["stages"][1]["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/pipelines/{p}/stages/{second}/rules"),
        Some(&owner.access_token),
        json!({"trigger": {"type": "deal_entered_stage"},
               "action": {"type": "create_task", "title": "Квалифицировать «{deal}»",
                          "assignee": {"type": "deal_owner"}, "due_in_hours": 24}}),
    )
    .await
    .expect(201);
    let r = app
        .post("/deals", Some(&owner.access_token), json!({"title": "Окна", "owner_id": bob.user_id}))
        .await;
    r.expect(201);
    let d = r.body.clone();
    app.post(
        &format!("/deals/{}/move", id(&d)),
        Some(&owner.access_token),
        json!({"version": d["version"], "stage_id": second}),
    )
    .await
    .expect(200);
    app.jobs_drained().await;
    let f = bob_ws.next_where(is_task_frame).await;
    assert_eq!(f["event"]["type"], "task_assigned");
    assert_eq!(f["event"]["title"], "Квалифицировать «Окна»");
    no_task_frame_until_now(&app, &mut carol_ws, &carol).await;
}

on_every_backend!(
    assigning_over_rest_tells_the_assignee_only,
    task_command_and_stage_rules_tell_the_assignee,
);
