//! Who may call what, on every CRM endpoint: one table per resource with the
//! expected status for the owner, an admin, a member on the record, a guest on
//! the record, a removed participant (was on the deal and its task, taken off),
//! a user of another workspace, and a person removed from the workspace
//! (deactivated). Deal visibility is "own", so being on a deal is what grants it.
//! Callers go from the least to the most privileged, so a write that succeeds
//! for one caller does not hide a refusal for a later one; deletes run last.

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

/// The callers, in the order they call.
const WHO: [&str; 7] = ["deactivated", "other", "removed", "guest", "member", "admin", "owner"];

struct World {
    app: TestApp,
    owner: Session,
    admin: Session,
    member: Session,
    guest: Session,
    removed: Session,
    other: Session,
    deactivated: Session,
}

impl World {
    fn session(&self, who: &str) -> &Session {
        match who {
            "owner" => &self.owner,
            "admin" => &self.admin,
            "member" => &self.member,
            "guest" => &self.guest,
            "removed" => &self.removed,
            "other" => &self.other,
            _ => &self.deactivated,
        }
    }
}

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

async fn ok(r: Resp, status: u16) -> Value {
    r.expect(status);
    r.body
}

/// The body of a request: fixed, or stamped with the record's current version
/// just before the call (a versioned write by an earlier caller moved it on).
enum Body {
    None,
    Json(Value),
    DealVersion(Value),
    TaskVersion(Value),
}

struct Call {
    method: &'static str,
    path: String,
    body: Body,
    /// Expected status per caller, in `WHO` order.
    expect: [u16; 7],
}

fn call(method: &'static str, path: impl Into<String>, body: Body, expect: [u16; 7]) -> Call {
    Call { method, path: path.into(), body, expect }
}

/// Everything the tables refer to.
struct Fixture {
    deal: Uuid,
    task: Uuid,
    contact: Uuid,
    company: Uuid,
    pipeline: Uuid,
    stages: Vec<Uuid>,
    /// A stage with no deals (deletable).
    spare_stage: Uuid,
    field: Uuid,
    /// The other workspace's first stage.
    foreign_stage: Uuid,
}

async fn world(backend: Backend) -> (World, Fixture) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    let removed = app.invite_user(&owner, "member", "removed@acme.test").await;
    let deactivated = app.invite_user(&owner, "member", "gone@acme.test").await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    app.call("PATCH", "/workspace", tok(&owner), Some(json!({"deal_visibility": "own"}))).await.expect(200);

    let p = ok(app.get("/pipelines", &owner.access_token).await, 200).await[0].clone();
    let pipeline = id(&p);
    let stages: Vec<Uuid> = p["stages"].as_array().expect("stages").iter().map(id).collect();
    let spare = ok(
        app.post(&format!("/pipelines/{pipeline}/stages"), tok(&owner), json!({"name": "Пусто"})).await,
        201,
    )
    .await;
    let theirs = ok(app.get("/pipelines", &other.access_token).await, 200).await[0].clone();
    let foreign_stage = id(&theirs["stages"][0]);

    let people = json!([member.user_id, guest.user_id, removed.user_id, deactivated.user_id]);
    let deal =
        ok(app.post("/deals", tok(&owner), json!({"title": "Общая", "participants": people})).await, 201)
            .await;
    let task = ok(
        app.post(
            "/tasks",
            tok(&owner),
            json!({"title": "Позвонить", "assignees": people, "entity_kind": "deal", "entity_id": deal["id"]}),
        )
        .await,
        201,
    )
    .await;
    // The removed participant is taken off the deal and its task.
    let keep = json!([member.user_id, guest.user_id, deactivated.user_id]);
    app.call(
        "PATCH",
        &format!("/deals/{}", id(&deal)),
        tok(&owner),
        Some(json!({"version": 1, "participants": keep})),
    )
    .await
    .expect(200);
    app.call(
        "PATCH",
        &format!("/tasks/{}", id(&task)),
        tok(&owner),
        Some(json!({"version": 1, "assignees": keep})),
    )
    .await
    .expect(200);
    // The deactivated person was on everything, and is removed from the workspace.
    app.post(&format!("/users/{}/deactivate", deactivated.user_id), tok(&owner), json!({})).await.expect(200);

    let contact = ok(app.post("/contacts", tok(&member), json!({"name": "Пётр"})).await, 201).await;
    let company = ok(app.post("/companies", tok(&member), json!({"name": "Ромашка"})).await, 201).await;
    let field = ok(
        app.post(
            "/custom-fields",
            tok(&owner),
            json!({"entity": "contact", "key": "inn", "label": "ИНН", "kind": "text"}),
        )
        .await,
        201,
    )
    .await;
    let fixture = Fixture {
        deal: id(&deal),
        task: id(&task),
        contact: id(&contact),
        company: id(&company),
        pipeline,
        stages,
        spare_stage: id(&spare),
        field: id(&field),
        foreign_stage,
    };
    (World { app, owner, admin, member, guest, removed, other, deactivated }, fixture)
}

async fn run(w: &World, calls: Vec<Call>) {
    let mut wrong = Vec::new();
    for c in calls {
        for (who, expected) in WHO.iter().zip(c.expect) {
            let s = w.session(who);
            let body = match &c.body {
                Body::None => None,
                Body::Json(v) => Some(v.clone()),
                Body::DealVersion(v) | Body::TaskVersion(v) => {
                    let what = if matches!(c.body, Body::DealVersion(_)) { "deals" } else { "tasks" };
                    let record = c.path.split('/').nth(2).unwrap_or_default();
                    let current = w.app.get(&format!("/{what}/{record}"), &w.owner.access_token).await;
                    let mut v = v.clone();
                    v["version"] = current.body["version"].clone();
                    Some(v)
                }
            };
            let r = w.app.call(c.method, &c.path, tok(s), body).await;
            if r.status != expected {
                wrong.push(format!(
                    "{who} {} {}: {} (expected {expected}) {}",
                    c.method, c.path, r.status, r.body
                ));
            } else if r.status >= 400 {
                // Every refusal is the error shape, never a 5xx.
                assert!(r.body["error"]["code"].is_string(), "{who} {} {}: {}", c.method, c.path, r.body);
            }
        }
    }
    assert!(wrong.is_empty(), "{} unexpected statuses:\n{}", wrong.len(), wrong.join("\n"));
}

//                          deactivated other removed guest member admin owner
const READ: [u16; 7] = [401, 404, 404, 200, 200, 200, 200];
const EDIT: [u16; 7] = [401, 404, 404, 403, 200, 200, 200];
const ADMIN_EDIT: [u16; 7] = [401, 404, 403, 403, 403, 200, 200];
const CLIENT_READ: [u16; 7] = [401, 404, 200, 403, 200, 200, 200];
const CLIENT_LIST: [u16; 7] = [401, 200, 200, 403, 200, 200, 200];
const CLIENT_CREATE: [u16; 7] = [401, 201, 201, 403, 201, 201, 201];
/// Deleting: only admins; the admin's delete succeeds, so the owner's finds nothing.
const ADMIN_DELETE: [u16; 7] = [401, 404, 403, 403, 403, 204, 404];
/// Deleting a deal: one not seen is not there (404) before it is not yours to delete.
const DEAL_DELETE: [u16; 7] = [401, 404, 404, 403, 403, 204, 404];
/// Pipelines are the workspace's: every member reads them, deals or not.
const PIPELINE_READ: [u16; 7] = [401, 404, 200, 200, 200, 200, 200];

async fn deals_and_boards(backend: Backend) {
    let (w, f) = world(backend).await;
    let (d, p) = (f.deal, f.pipeline);
    let to = f.stages[1];
    let calls = vec![
        call("GET", format!("/deals/{d}"), Body::None, READ),
        call("GET", format!("/deals/{d}/history"), Body::None, READ),
        call("GET", format!("/deals/{d}/timeline"), Body::None, READ),
        call("PATCH", format!("/deals/{d}"), Body::DealVersion(json!({"amount_minor": 5})), EDIT),
        call("POST", format!("/deals/{d}/move"), Body::DealVersion(json!({"stage_id": to})), EDIT),
        call("POST", format!("/deals/{d}/archive"), Body::DealVersion(json!({})), EDIT),
        call("POST", format!("/deals/{d}/restore"), Body::DealVersion(json!({})), EDIT),
        // Lists answer for everyone signed in, each with what they may see (below).
        call("GET", "/deals", Body::None, [401, 200, 200, 200, 200, 200, 200]),
        call("GET", format!("/pipelines/{p}/board"), Body::None, PIPELINE_READ),
        call("GET", format!("/pipelines/{p}"), Body::None, PIPELINE_READ),
        call("GET", "/pipelines", Body::None, [401, 200, 200, 200, 200, 200, 200]),
        // Creating: guests may not; another workspace cannot use this one's stages.
        call(
            "POST",
            "/deals",
            Body::Json(json!({"title": "Новая", "stage_id": f.stages[0]})),
            [401, 422, 201, 403, 201, 201, 201],
        ),
        call(
            "POST",
            "/deals",
            Body::Json(json!({"title": "Чужая", "stage_id": f.foreign_stage})),
            [401, 201, 422, 403, 422, 422, 422],
        ),
        // The deal's chat: opened (it exists) by whoever may see the deal.
        call("POST", "/chats/entity", Body::Json(json!({"kind": "deal", "id": d})), READ),
        // Pipeline set-up: admins only.
        call("PATCH", format!("/pipelines/{p}"), Body::Json(json!({"name": "Продажи 2"})), ADMIN_EDIT),
        call(
            "POST",
            format!("/pipelines/{p}/stages"),
            Body::Json(json!({"name": "Ещё"})),
            [401, 404, 403, 403, 403, 201, 201],
        ),
        call(
            "PATCH",
            format!("/stages/{}", f.stages[2]),
            Body::Json(json!({"color": "#112233"})),
            ADMIN_EDIT,
        ),
        call(
            "POST",
            "/pipelines",
            Body::Json(json!({"name": "Партнёры"})),
            [401, 201, 403, 403, 403, 201, 201],
        ),
    ];
    run(&w, calls).await;

    // What the lists and the board show each caller.
    let seen = |who: &'static str| {
        let w = &w;
        async move {
            let r = w.app.get(&format!("/deals?pipeline_id={p}"), &w.session(who).access_token).await;
            r.body.as_array().map(|a| a.iter().any(|x| id(x) == d)).unwrap_or(false)
        }
    };
    for (who, sees) in
        [("other", false), ("removed", false), ("guest", true), ("member", true), ("admin", true)]
    {
        assert_eq!(seen(who).await, sees, "{who} lists the deal");
    }

    // Stage order is admins' too; then deletes, last.
    let mut order = f.stages.clone();
    order.reverse();
    let r = w.app.get(&format!("/pipelines/{p}"), &w.owner.access_token).await;
    let all: Vec<Uuid> = r.body["stages"].as_array().expect("stages").iter().map(id).collect();
    let mut reversed = all.clone();
    reversed.reverse();
    run(
        &w,
        vec![
            call(
                "PUT",
                format!("/pipelines/{p}/stage-order"),
                Body::Json(json!({"stage_ids": reversed})),
                ADMIN_EDIT,
            ),
            call("DELETE", format!("/stages/{}", f.spare_stage), Body::None, ADMIN_DELETE),
            call("DELETE", format!("/deals/{d}"), Body::None, DEAL_DELETE),
        ],
    )
    .await;
}

async fn tasks(backend: Backend) {
    let (w, f) = world(backend).await;
    let t = f.task;
    let calls = vec![
        call("GET", format!("/tasks/{t}"), Body::None, READ),
        call("GET", format!("/tasks/{t}/history"), Body::None, READ),
        call("GET", format!("/tasks/{t}/timeline"), Body::None, READ),
        call("GET", format!("/tasks/{t}/subtasks"), Body::None, READ),
        call("PATCH", format!("/tasks/{t}"), Body::TaskVersion(json!({"priority": "high"})), EDIT),
        // Guests may complete (and reopen) what they are assigned, not edit it.
        call("POST", format!("/tasks/{t}/complete"), Body::TaskVersion(json!({})), READ),
        call("POST", format!("/tasks/{t}/reopen"), Body::TaskVersion(json!({})), READ),
        call(
            "POST",
            "/chats/entity",
            Body::Json(json!({"kind": "task", "id": t})),
            [401, 404, 404, 201, 200, 200, 200],
        ),
        call("GET", "/tasks", Body::None, [401, 200, 200, 200, 200, 200, 200]),
        call("GET", "/tasks/mine", Body::None, [401, 200, 200, 200, 200, 200, 200]),
        call("POST", "/tasks", Body::Json(json!({"title": "Моя"})), [401, 201, 201, 403, 201, 201, 201]),
        // A task on a deal one does not see is a task on nothing.
        call(
            "POST",
            "/tasks",
            Body::Json(json!({"title": "К сделке", "entity_kind": "deal", "entity_id": f.deal})),
            [401, 422, 422, 403, 201, 201, 201],
        ),
        call(
            "POST",
            "/tasks",
            Body::Json(json!({"title": "Подзадача", "parent_id": t})),
            [401, 422, 422, 403, 201, 201, 201],
        ),
    ];
    run(&w, calls).await;
    // Who finds it in their lists.
    for (who, sees) in
        [("other", false), ("removed", false), ("guest", true), ("member", true), ("admin", true)]
    {
        let r = w.app.get("/tasks", &w.session(who).access_token).await;
        let listed = r.body.as_array().expect("array").iter().any(|x| id(x) == t);
        assert_eq!(listed, sees, "{who} lists the task: {}", r.body);
    }
}

async fn clients_and_custom_fields(backend: Backend) {
    let (w, f) = world(backend).await;
    let import = json!({"csv": "name\nИмпорт\n"});
    let mut calls = Vec::new();
    for (what, rid, kind) in [("contacts", f.contact, "contact"), ("companies", f.company, "company")] {
        calls.extend([
            call("GET", format!("/{what}/{rid}"), Body::None, CLIENT_READ),
            call("GET", format!("/{what}/{rid}/history"), Body::None, CLIENT_READ),
            call("GET", format!("/{what}/{rid}/timeline"), Body::None, CLIENT_READ),
            call("PATCH", format!("/{what}/{rid}"), Body::Json(json!({"notes": "x"})), CLIENT_READ),
            call("POST", format!("/{what}/{rid}/archive"), Body::None, CLIENT_READ),
            call("POST", format!("/{what}/{rid}/restore"), Body::None, CLIENT_READ),
            call(
                "POST",
                "/chats/entity",
                Body::Json(json!({"kind": kind, "id": rid})),
                [401, 404, 201, 403, 200, 200, 200],
            ),
            call("GET", format!("/{what}"), Body::None, CLIENT_LIST),
            call("GET", format!("/{what}/export.csv"), Body::None, CLIENT_LIST),
            call("POST", format!("/{what}/duplicates"), Body::Json(json!({"name": "Ромашка"})), CLIENT_LIST),
            call("POST", format!("/{what}/import"), Body::Json(import.clone()), CLIENT_LIST),
            call("POST", format!("/{what}"), Body::Json(json!({"name": "Новый"})), CLIENT_CREATE),
        ]);
    }
    let fld = f.field;
    calls.extend([
        call("GET", "/custom-fields", Body::None, [401, 200, 200, 200, 200, 200, 200]),
        call("PATCH", format!("/custom-fields/{fld}"), Body::Json(json!({"label": "ИНН!"})), ADMIN_EDIT),
        call(
            "POST",
            "/custom-fields",
            Body::Json(json!({"entity": "company", "key": "kpp", "label": "КПП", "kind": "text"})),
            [401, 201, 403, 403, 403, 201, 409],
        ),
    ]);
    run(&w, calls).await;
    run(
        &w,
        vec![
            call("DELETE", format!("/contacts/{}", f.contact), Body::None, ADMIN_DELETE),
            call("DELETE", format!("/companies/{}", f.company), Body::None, ADMIN_DELETE),
            call("DELETE", format!("/custom-fields/{fld}"), Body::None, ADMIN_DELETE),
        ],
    )
    .await;
    // Another workspace never lists this one's clients.
    let r = w.app.get("/contacts?include_archived=true", &w.other.access_token).await;
    assert!(!r.body.to_string().contains("Пётр"), "{}", r.body);
}

on_every_backend!(deals_and_boards, tasks, clients_and_custom_fields);
