//! The deal side of the CRM over REST, from outside: workspace settings, pipelines
//! and their stages, deals with their chats, optimistic concurrency, moves on the
//! board, history and timeline, who may see and change what (owner, admin, member,
//! guest, a removed participant, a user of another workspace), bad input on every
//! endpoint, and the live system message when a card moves.

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

// ---- World and helpers -----------------------------------------------------------

/// One server with a workspace (owner language ru), an admin, two members and a guest.
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

/// The default pipeline's stage names (ru), left to right.
const RU_STAGES: [&str; 6] =
    ["Новая заявка", "Квалификация", "Переговоры", "Договор", "Успешно", "Закрыто и не реализовано"];
const STAGE_KINDS: [&str; 6] = ["open", "open", "open", "open", "won", "lost"];

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn uuid_of(v: &Value) -> Uuid {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).parse().expect("uuid")
}

fn id(v: &Value) -> Uuid {
    uuid_of(&v["id"])
}

fn arr(r: &Resp) -> Vec<Value> {
    r.body.as_array().unwrap_or_else(|| panic!("not an array: {}", r.body)).clone()
}

fn ids(items: &[Value]) -> Vec<Uuid> {
    items.iter().map(id).collect()
}

fn sorted(mut v: Vec<Uuid>) -> Vec<Uuid> {
    v.sort();
    v
}

fn version(deal: &Value) -> i64 {
    deal["version"].as_i64().unwrap_or_else(|| panic!("no version in {deal}"))
}

fn chat_of(deal: &Value) -> Uuid {
    uuid_of(&deal["chat_id"])
}

fn advance(app: &TestApp, secs: i64) {
    app.clock.advance(chrono::Duration::seconds(secs));
}

async fn patch(app: &TestApp, by: &Session, path: &str, body: Value) -> Resp {
    app.call("PATCH", path, tok(by), Some(body)).await
}

async fn put(app: &TestApp, by: &Session, path: &str, body: Value) -> Resp {
    app.call("PUT", path, tok(by), Some(body)).await
}

async fn delete(app: &TestApp, by: &Session, path: &str) -> Resp {
    app.call("DELETE", path, tok(by), None).await
}

/// A pipeline as the tests use it: its id and stage ids left to right.
struct Funnel {
    id: Uuid,
    stages: Vec<Uuid>,
}

fn funnel_of(p: &Value) -> Funnel {
    let stages = p["stages"].as_array().unwrap_or_else(|| panic!("no stages in {p}"));
    Funnel { id: id(p), stages: ids(stages) }
}

async fn pipelines(app: &TestApp, by: &Session) -> Vec<Value> {
    let r = app.get("/pipelines", &by.access_token).await;
    r.expect(200);
    arr(&r)
}

async fn pipeline(app: &TestApp, by: &Session, pipeline: Uuid) -> Value {
    let r = app.get(&format!("/pipelines/{pipeline}"), &by.access_token).await;
    r.expect(200);
    r.body
}

/// The workspace's first (default) pipeline.
async fn default_funnel(app: &TestApp, by: &Session) -> Funnel {
    funnel_of(&pipelines(app, by).await[0])
}

/// Creates a pipeline with open stages of these names (admin only).
async fn new_funnel(app: &TestApp, by: &Session, name: &str, stages: &[&str]) -> Funnel {
    let stages: Vec<Value> = stages.iter().map(|s| json!({"name": s})).collect();
    let r = app.post("/pipelines", tok(by), json!({"name": name, "stages": stages})).await;
    r.expect(201);
    funnel_of(&r.body)
}

async fn create_deal(app: &TestApp, by: &Session, body: Value) -> Value {
    let r = app.post("/deals", tok(by), body).await;
    r.expect(201);
    r.body
}

async fn deal_titled(app: &TestApp, by: &Session, title: &str) -> Value {
    create_deal(app, by, json!({"title": title})).await
}

async fn get_deal(app: &TestApp, by: &Session, deal: Uuid) -> Value {
    let r = app.get(&format!("/deals/{deal}"), &by.access_token).await;
    r.expect(200);
    r.body
}

async fn patch_deal(app: &TestApp, by: &Session, deal: &Value, mut changes: Value) -> Resp {
    changes["version"] = json!(version(deal));
    patch(app, by, &format!("/deals/{}", id(deal)), changes).await
}

/// Moves `deal` (at its current version) to `stage`, at `index` when given.
async fn move_deal(app: &TestApp, by: &Session, deal: &Value, stage: Uuid, index: Option<usize>) -> Resp {
    let mut body = json!({"version": version(deal), "stage_id": stage});
    if let Some(i) = index {
        body["index"] = json!(i);
    }
    app.post(&format!("/deals/{}/move", id(deal)), tok(by), body).await
}

async fn archive_deal(app: &TestApp, by: &Session, deal: &Value, archived: bool) -> Resp {
    let action = if archived { "archive" } else { "restore" };
    app.post(&format!("/deals/{}/{action}", id(deal)), tok(by), json!({"version": version(deal)})).await
}

/// Deals `by` may see (`query` is the part after `?`; a page of 200 unless it says).
async fn list_deals(app: &TestApp, by: &Session, query: &str) -> Vec<Value> {
    let page = if query.contains("limit=") { "" } else { "limit=200&" };
    let r = app.get(&format!("/deals?{page}{query}"), &by.access_token).await;
    r.expect(200);
    arr(&r)
}

/// Every deal in the workspace, archived ones too (as the owner sees them).
async fn deal_count(app: &TestApp, owner: &Session) -> usize {
    list_deals(app, owner, "include_archived=true").await.len()
}

async fn chat_count(app: &TestApp, by: &Session) -> usize {
    let r = app.get("/chats", &by.access_token).await;
    r.expect(200);
    arr(&r).len()
}

async fn deal_history(app: &TestApp, by: &Session, deal: Uuid) -> Vec<Value> {
    let r = app.get(&format!("/deals/{deal}/history"), &by.access_token).await;
    r.expect(200);
    arr(&r)
}

async fn timeline(app: &TestApp, by: &Session, deal: Uuid, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/deals/{deal}/timeline?{query}"), &by.access_token).await;
    r.expect(200);
    arr(&r)
}

async fn board(app: &TestApp, by: &Session, pipeline: Uuid, query: &str) -> Value {
    let r = app.get(&format!("/pipelines/{pipeline}/board?{query}"), &by.access_token).await;
    r.expect(200);
    r.body
}

/// The board column of a stage.
fn column(board: &Value, stage: Uuid) -> Value {
    board["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| id(&c["stage"]) == stage)
        .unwrap_or_else(|| panic!("no column for stage {stage} in {board}"))
        .clone()
}

fn column_deals(board: &Value, stage: Uuid) -> Vec<Uuid> {
    ids(column(board, stage)["deals"].as_array().expect("deals"))
}

/// Every deal id on the board, column by column.
fn board_deals(board: &Value) -> Vec<Uuid> {
    board["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .flat_map(|c| ids(c["deals"].as_array().expect("deals")))
        .collect()
}

/// A column's sums as (currency, amount) pairs, sorted.
fn sums(col: &Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = col["sums"]
        .as_array()
        .expect("sums")
        .iter()
        .map(|s| {
            (s["currency"].as_str().expect("currency").to_string(), s["amount_minor"].as_i64().expect("sum"))
        })
        .collect();
    out.sort();
    out
}

/// Messages of a chat, as `by` (a member) reads them.
async fn chat_messages(app: &TestApp, by: &Session, chat: Uuid) -> Vec<Value> {
    let r = app.get(&format!("/chats/{chat}/messages"), &by.access_token).await;
    r.expect(200);
    arr(&r)
}

fn system_bodies(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["kind"] == "system")
        .map(|m| m["body"].as_str().expect("body").to_string())
        .collect()
}

async fn chat_member_ids(app: &TestApp, by: &Session, chat: Uuid) -> Vec<Uuid> {
    let r = app.get(&format!("/chats/{chat}/members"), &by.access_token).await;
    r.expect(200);
    sorted(arr(&r).iter().map(|m| uuid_of(&m["user_id"])).collect())
}

async fn chat(app: &TestApp, by: &Session, chat: Uuid) -> Value {
    let r = app.get(&format!("/chats/{chat}"), &by.access_token).await;
    r.expect(200);
    r.body
}

async fn set_visibility(app: &TestApp, owner: &Session, visibility: &str) {
    let r = patch(app, owner, "/workspace", json!({"deal_visibility": visibility})).await;
    r.expect(200);
    assert_eq!(r.body["deal_visibility"], visibility);
}

/// Every deal endpoint for `deal`, with a body that would be accepted from someone
/// allowed to act: (method, path, body).
fn deal_endpoints(deal: &Value, stage: Uuid) -> Vec<(&'static str, String, Option<Value>)> {
    let d = id(deal);
    let v = version(deal);
    vec![
        ("GET", format!("/deals/{d}"), None),
        ("PATCH", format!("/deals/{d}"), Some(json!({"version": v, "title": "Hijacked"}))),
        ("POST", format!("/deals/{d}/move"), Some(json!({"version": v, "stage_id": stage}))),
        ("POST", format!("/deals/{d}/archive"), Some(json!({"version": v}))),
        ("POST", format!("/deals/{d}/restore"), Some(json!({"version": v}))),
        ("GET", format!("/deals/{d}/history"), None),
        ("GET", format!("/deals/{d}/timeline"), None),
        ("DELETE", format!("/deals/{d}"), None),
    ]
}

// ---- Workspace settings and the default pipeline ---------------------------------

async fn default_pipeline_exists_after_setup(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let all = pipelines(app, &w.owner).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let p = &all[0];
    assert_eq!(p["name"], "Продажи");
    assert_eq!(p["position"], 0);
    assert!(p["archived_at"].is_null());
    let stages = p["stages"].as_array().expect("stages");
    let names: Vec<&str> = stages.iter().map(|s| s["name"].as_str().expect("name")).collect();
    assert_eq!(names, RU_STAGES);
    let kinds: Vec<&str> = stages.iter().map(|s| s["kind"].as_str().expect("kind")).collect();
    assert_eq!(kinds, STAGE_KINDS);
    let positions: Vec<i64> = stages.iter().map(|s| s["position"].as_i64().expect("position")).collect();
    assert_eq!(positions, vec![0, 1, 2, 3, 4, 5]);
    for s in stages {
        assert_eq!(uuid_of(&s["pipeline_id"]), id(p));
        let color = s["color"].as_str().expect("color");
        assert!(color.len() == 7 && color.starts_with('#'), "{color}");
    }
    // The same through GET /pipelines/{id}, and for every role of the workspace.
    assert_eq!(&pipeline(app, &w.owner, id(p)).await, p);
    for who in [&w.admin, &w.bob, &w.guest] {
        assert_eq!(ids(&pipelines(app, who).await), vec![id(p)], "{}", who.email);
    }

    // Workspace settings start as documented.
    let r = app.get("/workspace", &w.bob.access_token).await;
    r.expect(200);
    assert_eq!(uuid_of(&r.body["id"]), w.owner.workspace_id);
    assert_eq!(r.body["name"], "Acme");
    assert_eq!(r.body["deal_visibility"], "all");
    assert_eq!(r.body["default_currency"], "RUB");
    assert_eq!(r.body["phone_region"], "RU");

    // A workspace whose owner speaks English gets the English funnel.
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let theirs = pipelines(app, &other).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["name"], "Sales");
    let names: Vec<&str> = theirs[0]["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["New lead", "Qualification", "Negotiation", "Contract", "Won", "Lost"]);
    assert_ne!(id(&theirs[0]), id(p));
}

async fn workspace_settings_are_changed_by_admins_only(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    for who in [&w.bob, &w.guest] {
        patch(app, who, "/workspace", json!({"deal_visibility": "own"})).await.expect_error(403, "forbidden");
    }
    let r = app.get("/workspace", &w.owner.access_token).await;
    assert_eq!(r.body["deal_visibility"], "all", "a refused change changes nothing");

    let r = patch(app, &w.owner, "/workspace", json!({"deal_visibility": "own", "default_currency": "usd"}))
        .await;
    r.expect(200);
    assert_eq!(r.body["deal_visibility"], "own");
    assert_eq!(r.body["default_currency"], "USD");
    assert_eq!(r.body["name"], "Acme", "fields not given stay");
    let r = patch(app, &w.admin, "/workspace", json!({"deal_visibility": "all"})).await;
    r.expect(200);
    assert_eq!(r.body["default_currency"], "USD");

    let r = patch(app, &w.owner, "/workspace", json!({"default_currency": "RUR"})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "default_currency");
    patch(app, &w.owner, "/workspace", json!({"deal_visibility": "some"}))
        .await
        .expect_error(422, "invalid_body");
    let r = patch(app, &w.owner, "/workspace", json!({"name": "  "})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "name");
    let r = app.get("/workspace", &w.owner.access_token).await;
    assert_eq!(
        (r.body["deal_visibility"].clone(), r.body["default_currency"].clone()),
        (json!("all"), json!("USD"))
    );

    // New deals take the workspace currency.
    let deal = deal_titled(app, &w.bob, "Dollar deal").await;
    assert_eq!(deal["currency"], "USD");
}

// ---- Pipeline administration ------------------------------------------------------

async fn pipelines_are_created_with_default_or_explicit_stages(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let r = app.post("/pipelines", tok(&w.owner), json!({"name": "  Партнёры "})).await;
    r.expect(201);
    assert_eq!(r.body["name"], "Партнёры");
    assert_eq!(r.body["position"], 1, "after the default pipeline");
    let names: Vec<&str> = r.body["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, RU_STAGES, "the default stages in the creator's language");
    let partners = id(&r.body);

    let r = app
        .post(
            "/pipelines",
            tok(&w.admin),
            json!({"name": "Tenders", "stages": [
                {"name": "Lead"},
                {"name": "Bid", "color": "#1E90FF", "kind": "open"},
                {"name": "Won", "color": "#00ff00", "kind": "won"},
                {"name": "Lost", "kind": "lost"}
            ]}),
        )
        .await;
    r.expect(201);
    let stages = r.body["stages"].as_array().expect("stages").clone();
    let shape: Vec<(String, String, String, i64)> = stages
        .iter()
        .map(|s| {
            (
                s["name"].as_str().expect("name").to_string(),
                s["color"].as_str().expect("color").to_string(),
                s["kind"].as_str().expect("kind").to_string(),
                s["position"].as_i64().expect("position"),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            ("Lead".into(), "#8e9aaf".into(), "open".into(), 0),
            ("Bid".into(), "#1e90ff".into(), "open".into(), 1),
            ("Won".into(), "#00ff00".into(), "won".into(), 2),
            ("Lost".into(), "#8e9aaf".into(), "lost".into(), 3),
        ]
    );
    let tenders = id(&r.body);
    assert_eq!(r.body["position"], 2);
    let listed = pipelines(app, &w.bob).await;
    assert_eq!(ids(&listed)[1..], [partners, tenders], "listed by position");
    assert_eq!(&listed[2], &r.body);

    // Refused: nothing is created.
    let too_many: Vec<Value> = (0..31).map(|i| json!({"name": format!("S{i}")})).collect();
    let bad = [
        (json!({"name": "Empty", "stages": []}), "stages"),
        (json!({"name": "Huge", "stages": too_many}), "stages"),
        (json!({"name": "Colour", "stages": [{"name": "A"}, {"name": "B", "color": "green"}]}), "color"),
        (json!({"name": "Unnamed stage", "stages": [{"name": "  "}]}), "name"),
        (json!({"name": "   "}), "name"),
    ];
    for (body, field) in bad {
        let r = app.post("/pipelines", tok(&w.owner), body.clone()).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
    app.post(
        "/pipelines",
        tok(&w.owner),
        json!({"name": "Kind", "stages": [{"name": "A", "kind": "closed"}]}),
    )
    .await
    .expect_error(422, "invalid_body");
    app.post("/pipelines", tok(&w.owner), json!({"stages": [{"name": "A"}]}))
        .await
        .expect_error(422, "invalid_body");
    assert_eq!(pipelines(app, &w.owner).await.len(), 3, "no pipeline from a refused request");
}

async fn pipelines_are_renamed_archived_and_restored(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let spare = new_funnel(app, &w.owner, "Spare", &["One", "Two"]).await;
    let deal = deal_titled(app, &w.owner, "Moves later").await;

    let r = patch(app, &w.owner, &format!("/pipelines/{}", spare.id), json!({"name": "Renamed"})).await;
    r.expect(200);
    assert_eq!(r.body["name"], "Renamed");
    assert_eq!(ids(r.body["stages"].as_array().expect("stages")), spare.stages);
    assert_eq!(pipeline(app, &w.bob, spare.id).await["name"], "Renamed");
    let r = patch(app, &w.owner, &format!("/pipelines/{}", spare.id), json!({"name": ""})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "name");

    // Archived: out of the list, still readable, closed to new and moved deals.
    let r = patch(app, &w.admin, &format!("/pipelines/{}", spare.id), json!({"archived": true})).await;
    r.expect(200);
    assert!(r.body["archived_at"].is_string(), "{}", r.body);
    assert_eq!(r.body["name"], "Renamed", "archiving keeps the name");
    assert_eq!(ids(&pipelines(app, &w.owner).await), vec![sales.id]);
    assert!(pipeline(app, &w.owner, spare.id).await["archived_at"].is_string());
    let r = app
        .post("/deals", tok(&w.owner), json!({"title": "Into archive", "stage_id": spare.stages[0]}))
        .await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "pipeline_id");
    let r = move_deal(app, &w.owner, &deal, spare.stages[1], None).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(get_deal(app, &w.owner, id(&deal)).await["stage_id"], deal["stage_id"]);

    // With the first pipeline archived, a deal without a pipeline goes to the next one.
    patch(app, &w.owner, &format!("/pipelines/{}", spare.id), json!({"archived": false})).await.expect(200);
    patch(app, &w.owner, &format!("/pipelines/{}", sales.id), json!({"archived": true})).await.expect(200);
    let d = deal_titled(app, &w.owner, "Lands in Renamed").await;
    assert_eq!(uuid_of(&d["pipeline_id"]), spare.id);
    assert_eq!(uuid_of(&d["stage_id"]), spare.stages[0]);
    let r = patch(app, &w.owner, &format!("/pipelines/{}", sales.id), json!({"archived": false})).await;
    r.expect(200);
    assert!(r.body["archived_at"].is_null());
    assert_eq!(ids(&pipelines(app, &w.owner).await), vec![sales.id, spare.id]);

    let missing = Uuid::now_v7();
    app.get(&format!("/pipelines/{missing}"), &w.owner.access_token).await.expect_error(404, "not_found");
    patch(app, &w.owner, &format!("/pipelines/{missing}"), json!({"name": "X"}))
        .await
        .expect_error(404, "not_found");
    app.get(&format!("/pipelines/{missing}/board"), &w.owner.access_token)
        .await
        .expect_error(404, "not_found");
}

async fn stages_are_added_at_a_position(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let path = format!("/pipelines/{}/stages", sales.id);

    let r = app.post(&path, tok(&w.owner), json!({"name": "Демо", "position": 2, "color": "#ABCDEF"})).await;
    r.expect(201);
    let demo = id(&r.body);
    assert_eq!(r.body["position"], 2);
    assert_eq!(r.body["kind"], "open");
    assert_eq!(r.body["color"], "#abcdef");
    assert_eq!(uuid_of(&r.body["pipeline_id"]), sales.id);

    let r = app.post(&path, tok(&w.admin), json!({"name": "Last", "kind": "lost"})).await;
    r.expect(201);
    let last = id(&r.body);
    assert_eq!(r.body["position"], 7, "at the end when no position is given");
    assert_eq!(r.body["color"], "#8e9aaf");
    let r = app.post(&path, tok(&w.owner), json!({"name": "First", "position": -5})).await;
    r.expect(201);
    let first = id(&r.body);
    assert_eq!(r.body["position"], 0, "a negative position means first");
    let r = app.post(&path, tok(&w.owner), json!({"name": "Far", "position": 999})).await;
    r.expect(201);
    let far = id(&r.body);
    assert_eq!(r.body["position"], 9, "past the end means at the end");

    let p = pipeline(app, &w.owner, sales.id).await;
    let stages = p["stages"].as_array().expect("stages");
    let mut expected = sales.stages.clone();
    expected.insert(2, demo);
    expected.push(last);
    expected.insert(0, first);
    expected.push(far);
    assert_eq!(ids(stages), expected, "the others shift to make room");
    let positions: Vec<i64> = stages.iter().map(|s| s["position"].as_i64().expect("position")).collect();
    assert_eq!(positions, (0..10).collect::<Vec<i64>>(), "positions stay dense");

    let r = app.post(&path, tok(&w.owner), json!({"name": "Bad", "color": "#12345"})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "color");
    let r = app.post(&path, tok(&w.owner), json!({"name": ""})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "name");
    app.post(&format!("/pipelines/{}/stages", Uuid::now_v7()), tok(&w.owner), json!({"name": "Nowhere"}))
        .await
        .expect_error(404, "not_found");
    assert_eq!(pipeline(app, &w.owner, sales.id).await["stages"].as_array().expect("stages").len(), 10);
}

async fn stages_are_recoloured_renamed_and_rekinded(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let stage = sales.stages[1];
    let path = format!("/stages/{stage}");

    let r = patch(app, &w.owner, &path, json!({"color": "#AbCdEf"})).await;
    r.expect(200);
    assert_eq!(r.body["color"], "#abcdef");
    assert_eq!(r.body["name"], RU_STAGES[1], "the name stays");
    let r = patch(app, &w.admin, &path, json!({"name": "Первая встреча"})).await;
    r.expect(200);
    assert_eq!(r.body["name"], "Первая встреча");
    assert_eq!(r.body["color"], "#abcdef");
    let r = patch(app, &w.owner, &path, json!({"kind": "won"})).await;
    r.expect(200);
    assert_eq!(r.body["kind"], "won");
    assert_eq!(r.body["position"], 1, "re-kinding does not move the stage");

    for bad in ["red", "#12345", "#1234567", "123456", "#gggggg", ""] {
        let r = patch(app, &w.owner, &path, json!({"color": bad})).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "color", "{bad}");
    }
    let r = patch(app, &w.owner, &path, json!({"name": "   "})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "name");
    patch(app, &w.owner, &path, json!({"kind": "maybe"})).await.expect_error(422, "invalid_body");
    patch(app, &w.owner, &format!("/stages/{}", Uuid::now_v7()), json!({"name": "X"}))
        .await
        .expect_error(404, "not_found");

    let p = pipeline(app, &w.owner, sales.id).await;
    let s = &p["stages"][1];
    assert_eq!(
        (s["name"].as_str(), s["color"].as_str(), s["kind"].as_str()),
        (Some("Первая встреча"), Some("#abcdef"), Some("won"))
    );
}

async fn stages_are_reordered(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let spare = new_funnel(app, &w.owner, "Spare", &["One", "Two"]).await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let foreign = default_funnel(app, &other).await;
    let path = format!("/pipelines/{}/stage-order", sales.id);

    let mut order = sales.stages.clone();
    order.reverse();
    order.swap(0, 3);
    let r = put(app, &w.owner, &path, json!({"stage_ids": order})).await;
    r.expect(200);
    let got = arr(&r);
    assert_eq!(ids(&got), order);
    let positions: Vec<i64> = got.iter().map(|s| s["position"].as_i64().expect("position")).collect();
    assert_eq!(positions, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(funnel_of(&pipeline(app, &w.bob, sales.id).await).stages, order);
    let b = board(app, &w.owner, sales.id, "").await;
    let columns: Vec<Uuid> =
        b["columns"].as_array().expect("columns").iter().map(|c| id(&c["stage"])).collect();
    assert_eq!(columns, order, "the board follows the new order");

    // Not a permutation of this pipeline's stages: 422, order unchanged.
    let mut duplicate = order.clone();
    duplicate[5] = duplicate[0];
    let mut with_foreign = order.clone();
    with_foreign[5] = spare.stages[0];
    let mut with_other_ws = order.clone();
    with_other_ws[5] = foreign.stages[0];
    let mut extra = order.clone();
    extra.push(spare.stages[1]);
    let mut unknown = order.clone();
    unknown[2] = Uuid::now_v7();
    let bad = [order[..5].to_vec(), duplicate, with_foreign, with_other_ws, extra, unknown, vec![]];
    for stage_ids in bad {
        let r = put(app, &w.owner, &path, json!({"stage_ids": stage_ids})).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "stage_ids", "{stage_ids:?}");
    }
    put(app, &w.owner, &path, json!({"stage_ids": ["nope"]})).await.expect_error(422, "invalid_body");
    assert_eq!(funnel_of(&pipeline(app, &w.owner, sales.id).await).stages, order);
    put(app, &w.owner, &format!("/pipelines/{}/stage-order", Uuid::now_v7()), json!({"stage_ids": order}))
        .await
        .expect_error(404, "not_found");
}

async fn stages_are_deleted_only_when_empty(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;

    // An empty stage goes; the ones after it close the gap.
    delete(app, &w.owner, &format!("/stages/{}", sales.stages[2])).await.expect(204);
    let p = pipeline(app, &w.owner, sales.id).await;
    let mut expected = sales.stages.clone();
    expected.remove(2);
    assert_eq!(funnel_of(&p).stages, expected);
    let positions: Vec<i64> = p["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["position"].as_i64().expect("position"))
        .collect();
    assert_eq!(positions, vec![0, 1, 2, 3, 4]);
    delete(app, &w.owner, &format!("/stages/{}", sales.stages[2])).await.expect_error(404, "not_found");

    // A stage holding a deal, even an archived one, stays.
    let deal = create_deal(app, &w.owner, json!({"title": "Holder", "stage_id": sales.stages[1]})).await;
    delete(app, &w.admin, &format!("/stages/{}", sales.stages[1])).await.expect_error(409, "stage_not_empty");
    let r = archive_deal(app, &w.owner, &deal, true).await;
    r.expect(200);
    let deal = r.body;
    delete(app, &w.owner, &format!("/stages/{}", sales.stages[1])).await.expect_error(409, "stage_not_empty");
    assert_eq!(funnel_of(&pipeline(app, &w.owner, sales.id).await).stages, expected);
    let deal = archive_deal(app, &w.owner, &deal, false).await.body;
    move_deal(app, &w.owner, &deal, sales.stages[0], None).await.expect(200);
    delete(app, &w.owner, &format!("/stages/{}", sales.stages[1])).await.expect(204);

    // The last stage of a pipeline stays.
    let single = new_funnel(app, &w.owner, "Single", &["Only"]).await;
    delete(app, &w.owner, &format!("/stages/{}", single.stages[0])).await.expect_error(409, "last_stage");
    assert_eq!(funnel_of(&pipeline(app, &w.owner, single.id).await).stages, single.stages);
    delete(app, &w.owner, &format!("/stages/{}", Uuid::now_v7())).await.expect_error(404, "not_found");
}

async fn only_admins_configure_pipelines(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let before = pipelines(app, &w.owner).await;
    let p = sales.id;
    let s = sales.stages[2];
    let mut reversed = sales.stages.clone();
    reversed.reverse();
    // In an order in which an admin can run them all.
    let mutations: Vec<(&str, String, Option<Value>)> = vec![
        ("POST", "/pipelines".into(), Some(json!({"name": "Mine"}))),
        ("PATCH", format!("/pipelines/{p}"), Some(json!({"name": "Mine"}))),
        ("PATCH", format!("/pipelines/{p}"), Some(json!({"archived": true}))),
        ("PUT", format!("/pipelines/{p}/stage-order"), Some(json!({"stage_ids": reversed}))),
        ("PATCH", format!("/stages/{s}"), Some(json!({"name": "Mine"}))),
        ("PATCH", format!("/stages/{s}"), Some(json!({"color": "#000000"}))),
        ("PATCH", format!("/stages/{s}"), Some(json!({"kind": "won"}))),
        ("POST", format!("/pipelines/{p}/stages"), Some(json!({"name": "Mine", "position": 0}))),
        ("DELETE", format!("/stages/{s}"), None),
    ];
    for who in [&w.bob, &w.guest] {
        for (method, path, body) in &mutations {
            let r = app.call(method, path, tok(who), body.clone()).await;
            assert_eq!(r.status, 403, "{} {method} {path}: {}", who.email, r.body);
            r.expect_error(403, "forbidden");
        }
    }
    assert_eq!(pipelines(app, &w.owner).await, before, "nothing changed");
    // Reading is for everyone in the workspace.
    for who in [&w.bob, &w.guest] {
        app.get(&format!("/pipelines/{p}"), &who.access_token).await.expect(200);
        app.get(&format!("/pipelines/{p}/board"), &who.access_token).await.expect(200);
    }
    // Admins may do all of it.
    for (method, path, body) in &mutations {
        let r = app.call(method, path, tok(&w.admin), body.clone()).await;
        assert!(r.status < 300, "admin {method} {path}: {} {}", r.status, r.body);
    }
}

// ---- Creating deals ----------------------------------------------------------------

async fn deal_is_created_with_defaults(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let r = app.post("/deals", tok(&w.bob), json!({"title": "  Поставка бумаги  "})).await;
    r.expect(201);
    let d = r.body;
    assert_eq!(d["title"], "Поставка бумаги");
    assert_eq!(d["amount_minor"], 0);
    assert_eq!(d["currency"], "RUB");
    assert_eq!(uuid_of(&d["pipeline_id"]), sales.id);
    assert_eq!(uuid_of(&d["stage_id"]), sales.stages[0]);
    assert_eq!(uuid_of(&d["owner_id"]), w.bob.user_id);
    assert_eq!(uuid_of(&d["created_by"]), w.bob.user_id);
    assert_eq!(d["participants"], json!([]));
    assert_eq!(d["tags"], json!([]));
    assert_eq!(d["version"], 1);
    for field in
        ["contact_id", "company_id", "expected_close_date", "loss_reason", "closed_at", "archived_at"]
    {
        assert!(d[field].is_null(), "{field}: {d}");
    }
    assert!(d["chat_id"].is_string());
    assert_eq!(d["created_at"], d["updated_at"]);
    assert_eq!(d["stage_entered_at"], d["created_at"]);
    assert_eq!(get_deal(app, &w.owner, id(&d)).await, d, "GET shows what POST returned");
    assert_eq!(ids(&list_deals(app, &w.carol, "").await), vec![id(&d)]);
    let h = deal_history(app, &w.bob, id(&d)).await;
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0]["field"], "created");
    assert_eq!(uuid_of(&h[0]["actor_id"]), w.bob.user_id);
    assert_eq!(h[0]["new"]["title"], "Поставка бумаги");
    assert_eq!(uuid_of(&h[0]["new"]["stage_id"]), sales.stages[0]);
}

async fn deal_is_created_with_explicit_fields(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let d = create_deal(
        app,
        &w.owner,
        json!({"title": "Big one", "amount_minor": 1_500_000, "currency": " usd ", "pipeline_id": sales.id,
               "stage_id": sales.stages[2], "owner_id": w.bob.user_id,
               "participants": [w.carol.user_id, w.bob.user_id, w.carol.user_id, w.guest.user_id],
               "expected_close_date": "2026-12-31", "tags": [" VIP ", "vip", "Опт"]}),
    )
    .await;
    assert_eq!(d["amount_minor"], 1_500_000);
    assert_eq!(d["currency"], "USD");
    assert_eq!(uuid_of(&d["stage_id"]), sales.stages[2]);
    assert_eq!(uuid_of(&d["owner_id"]), w.bob.user_id);
    assert_eq!(uuid_of(&d["created_by"]), w.owner.user_id);
    let participants: Vec<Uuid> =
        d["participants"].as_array().expect("participants").iter().map(uuid_of).collect();
    assert_eq!(participants, vec![w.carol.user_id, w.guest.user_id], "no repeats, the owner not among them");
    assert_eq!(d["expected_close_date"], "2026-12-31");
    assert_eq!(d["tags"], json!(["vip", "опт"]));
    assert!(d["closed_at"].is_null());

    // A stage of another pipeline, given alone, takes its pipeline along.
    let spare = new_funnel(app, &w.owner, "Spare", &["One", "Two"]).await;
    let d = create_deal(app, &w.owner, json!({"title": "Spare deal", "stage_id": spare.stages[1]})).await;
    assert_eq!(uuid_of(&d["pipeline_id"]), spare.id);
    // A pipeline given alone means its first stage.
    let d = create_deal(app, &w.owner, json!({"title": "Spare first", "pipeline_id": spare.id})).await;
    assert_eq!(uuid_of(&d["stage_id"]), spare.stages[0]);
    // New cards go on top of their column.
    let b = board(app, &w.owner, spare.id, "").await;
    assert_eq!(column_deals(&b, spare.stages[0]), vec![id(&d)]);
    let d2 = create_deal(app, &w.owner, json!({"title": "Spare second", "pipeline_id": spare.id})).await;
    let b = board(app, &w.owner, spare.id, "").await;
    assert_eq!(column_deals(&b, spare.stages[0]), vec![id(&d2), id(&d)]);
}

async fn deal_chat_has_the_people_and_a_system_message(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let d = create_deal(
        app,
        &w.owner,
        json!({"title": "Chatty", "owner_id": w.bob.user_id, "participants": [w.carol.user_id, w.guest.user_id]}),
    )
    .await;
    let chat_id = chat_of(&d);
    let c = chat(app, &w.bob, chat_id).await;
    assert_eq!(c["name"], "Chatty");
    assert_eq!(c["is_private"], true);
    assert!(c["archived_at"].is_null());
    let r = app.get(&format!("/chats/{chat_id}/members"), &w.carol.access_token).await;
    r.expect(200);
    let mut roles: Vec<(Uuid, String)> = arr(&r)
        .iter()
        .map(|m| (uuid_of(&m["user_id"]), m["role"].as_str().expect("role").to_string()))
        .collect();
    roles.sort();
    let mut expected = vec![
        (w.bob.user_id, "owner".to_string()),
        (w.carol.user_id, "member".to_string()),
        (w.guest.user_id, "member".to_string()),
    ];
    expected.sort();
    assert_eq!(roles, expected, "the deal's owner owns its chat; the creator is not added");
    let messages = chat_messages(app, &w.guest, chat_id).await;
    let system = system_bodies(&messages);
    assert_eq!(system.len(), 1, "{messages:?}");
    assert!(system[0].contains("Chatty") && system[0].contains(RU_STAGES[0]), "{}", system[0]);
    let m = messages.iter().find(|m| m["kind"] == "system").expect("system message");
    assert_eq!(uuid_of(&m["author_id"]), w.owner.user_id, "posted on behalf of the creator");
    // The chat is in its members' lists; the people on the deal can talk in it.
    let r = app.post(&format!("/chats/{chat_id}/messages"), tok(&w.carol), json!({"body": "на связи"})).await;
    r.expect(201);
    // The same chat id on every read of the deal.
    assert_eq!(get_deal(app, &w.owner, id(&d)).await["chat_id"], d["chat_id"]);
}

async fn bad_deal_input_is_refused_without_side_effects(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let spare = new_funnel(app, &w.owner, "Spare", &["One"]).await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let foreign = default_funnel(app, &other).await;
    let dave = app.invite_user(&w.owner, "member", "dave@acme.test").await;
    app.post(&format!("/users/{}/deactivate", dave.user_id), tok(&w.owner), json!({})).await.expect(200);
    deal_titled(app, &w.owner, "Existing").await;
    let deals_before = deal_count(app, &w.owner).await;
    let chats_before = chat_count(app, &w.owner).await;
    let bob_chats_before = chat_count(app, &w.bob).await;

    let long = "x".repeat(201);
    let nobody = Uuid::now_v7();
    // (body, field in the error; None = the body's shape is wrong)
    let cases: Vec<(Value, Option<&str>)> = vec![
        (json!({"title": ""}), Some("title")),
        (json!({"title": "   "}), Some("title")),
        (json!({"title": long}), Some("title")),
        (json!({"title": "line\u{7}bell"}), Some("title")),
        (json!({"title": "T", "amount_minor": -1}), Some("amount_minor")),
        (json!({"title": "T", "currency": "RUR"}), Some("currency")),
        (json!({"title": "T", "currency": ""}), Some("currency")),
        (json!({"title": "T", "stage_id": nobody}), Some("stage_id")),
        (json!({"title": "T", "stage_id": foreign.stages[0]}), Some("stage_id")),
        (json!({"title": "T", "pipeline_id": spare.id, "stage_id": sales.stages[1]}), Some("stage_id")),
        (json!({"title": "T", "pipeline_id": sales.id, "stage_id": spare.stages[0]}), Some("stage_id")),
        (json!({"title": "T", "owner_id": nobody}), Some("owner_id")),
        (json!({"title": "T", "owner_id": other.user_id}), Some("owner_id")),
        (json!({"title": "T", "owner_id": dave.user_id}), Some("owner_id")),
        (json!({"title": "T", "participants": [w.bob.user_id, nobody]}), Some("participants")),
        (json!({"title": "T", "participants": [other.user_id]}), Some("participants")),
        (json!({"title": "T", "participants": [dave.user_id]}), Some("participants")),
        (json!({"title": "T", "contact_id": nobody}), Some("contact_id")),
        (json!({"title": "T", "company_id": nobody}), Some("company_id")),
        (json!({"title": "T", "tags": [""]}), Some("tags")),
        (json!({"title": "T", "tags": ["x".repeat(51)]}), Some("tags")),
    ];
    // Values of the wrong type: 422 `invalid_body`, still naming the field.
    let mistyped: Vec<(Value, Option<&str>)> = vec![
        (json!({"title": "T", "amount_minor": 10.5}), Some("amount_minor")),
        (json!({"title": "T", "amount_minor": "100"}), Some("amount_minor")),
        (json!({"title": "T", "amount_minor": 1e30}), Some("amount_minor")),
        (json!({"title": "T", "expected_close_date": "31.12.2026"}), Some("expected_close_date")),
        (json!({"title": "T", "expected_close_date": "2026-02-30"}), Some("expected_close_date")),
        (json!({"title": "T", "participants": ["not-a-uuid"]}), Some("participants[0]")),
        (json!({"title": "T", "stage_id": "stage-2"}), Some("stage_id")),
        (json!({"title": 5}), Some("title")),
        (json!({"amount_minor": 100}), None),
        // An unknown field is named too.
        (json!({"title": "T", "version": 1}), Some("version")),
    ];
    for (body, field) in cases {
        let r = app.post("/deals", tok(&w.owner), body.clone()).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], json!(field), "{body}");
    }
    for (body, field) in mistyped {
        let r = app.post("/deals", tok(&w.owner), body.clone()).await;
        r.expect_error(422, "invalid_body");
        assert_eq!(r.body["error"]["field"], json!(field), "{body}: {}", r.body);
    }
    assert_eq!(deal_count(app, &w.owner).await, deals_before, "no deal from a refused request");
    assert_eq!(chat_count(app, &w.owner).await, chats_before, "no orphan deal chat");
    assert_eq!(chat_count(app, &w.bob).await, bob_chats_before, "a refused participant got no chat");
}

/// A pipeline id that does not exist is bad input (422), like an unknown stage.
async fn unknown_pipeline_on_create_is_invalid_input(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let before = deal_count(app, &w.owner).await;
    let r = app.post("/deals", tok(&w.owner), json!({"title": "T", "pipeline_id": Uuid::now_v7()})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "pipeline_id");
    assert_eq!(deal_count(app, &w.owner).await, before);
}

// ---- Editing, concurrency, moves ---------------------------------------------------

async fn stale_versions_are_refused(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let v1 = deal_titled(app, &w.owner, "Original").await;
    assert_eq!(version(&v1), 1);

    let r = patch_deal(app, &w.bob, &v1, json!({"title": "Bob's edit", "amount_minor": 700})).await;
    r.expect(200);
    let v2 = r.body;
    assert_eq!(version(&v2), 2);
    assert_eq!(v2["title"], "Bob's edit");
    assert_eq!(v2["amount_minor"], 700);

    // Carol edits from the page she loaded before Bob saved.
    let r = patch_deal(app, &w.carol, &v1, json!({"title": "Carol's edit"})).await;
    r.expect_error(409, "stale_version");
    move_deal(app, &w.carol, &v1, sales.stages[1], None).await.expect_error(409, "stale_version");
    archive_deal(app, &w.carol, &v1, true).await.expect_error(409, "stale_version");
    archive_deal(app, &w.carol, &v1, false).await.expect_error(409, "stale_version");
    let future = json!({"version": 99, "title": "From the future"});
    patch(app, &w.carol, &format!("/deals/{}", id(&v1)), future).await.expect_error(409, "stale_version");
    let now = get_deal(app, &w.owner, id(&v1)).await;
    assert_eq!(now, v2, "nothing changed by the refused writes");
    assert_eq!(deal_history(app, &w.owner, id(&v1)).await.len(), 3, "created, title, amount_minor");
    let messages = chat_messages(app, &w.owner, chat_of(&v1)).await;
    assert_eq!(system_bodies(&messages).len(), 1, "no move was announced");

    // With the fresh version the same edit goes through.
    let r = patch_deal(app, &w.carol, &v2, json!({"title": "Carol's edit"})).await;
    r.expect(200);
    assert_eq!(version(&r.body), 3);
    let r = move_deal(app, &w.carol, &r.body, sales.stages[1], None).await;
    r.expect(200);
    assert_eq!(version(&r.body), 4);
    patch(app, &w.owner, &format!("/deals/{}", id(&v1)), json!({"title": "No version"}))
        .await
        .expect_error(422, "invalid_body");
}

/// Writers racing on one version: exactly one wins, the rest get 409 and leave no
/// trace; stages added at once keep dense, distinct positions.
async fn concurrent_writes_do_not_interleave(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let d = deal_titled(app, &w.owner, "Contended").await;
    let path = format!("/deals/{}", id(&d));
    let (owner, bob) = (&w.owner, &w.bob);
    let writers = (0..6).map(|i| {
        let body = json!({"version": 1, "title": format!("Writer {i}")});
        let path = path.clone();
        async move { app.call("PATCH", &path, tok(bob), Some(body)).await }
    });
    let results = futures_util::future::join_all(writers).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    for r in results.iter().filter(|r| r.status != 200) {
        r.expect_error(409, "stale_version");
    }
    let winner = results.iter().find(|r| r.status == 200).expect("a winner");
    let now = get_deal(app, &w.owner, id(&d)).await;
    assert_eq!(version(&now), 2);
    assert_eq!(now["title"], winner.body["title"]);
    let titles: Vec<Value> =
        deal_history(app, &w.owner, id(&d)).await.into_iter().filter(|e| e["field"] == "title").collect();
    assert_eq!(titles.len(), 1, "{titles:?}");

    let adds = (0..5).map(|i| {
        let path = format!("/pipelines/{}/stages", sales.id);
        async move { app.post(&path, tok(owner), json!({"name": format!("Extra {i}"), "position": 1})).await }
    });
    for r in futures_util::future::join_all(adds).await {
        r.expect(201);
    }
    let p = pipeline(app, &w.owner, sales.id).await;
    let positions: Vec<i64> = p["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["position"].as_i64().expect("position"))
        .collect();
    assert_eq!(positions, (0..11).collect::<Vec<i64>>());
}

async fn deal_fields_are_edited_and_validated(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let d = create_deal(
        app,
        &w.owner,
        json!({"title": "Editable", "expected_close_date": "2026-12-01", "tags": ["a"], "amount_minor": 5}),
    )
    .await;
    let r = patch_deal(
        app,
        &w.bob,
        &d,
        json!({"currency": "eur", "tags": ["B", "c"], "expected_close_date": null, "loss_reason": "  дорого  "}),
    )
    .await;
    r.expect(200);
    let d = r.body;
    assert_eq!(d["currency"], "EUR");
    assert_eq!(d["tags"], json!(["b", "c"]));
    assert!(d["expected_close_date"].is_null(), "null clears a field");
    assert_eq!(d["loss_reason"], "дорого");
    assert_eq!(d["title"], "Editable", "fields not given stay");
    assert_eq!(d["amount_minor"], 5);

    let nobody = Uuid::now_v7();
    let cases: Vec<(Value, Option<&str>)> = vec![
        (json!({"title": ""}), Some("title")),
        (json!({"amount_minor": -5}), Some("amount_minor")),
        (json!({"currency": "RUR"}), Some("currency")),
        (json!({"owner_id": nobody}), Some("owner_id")),
        (json!({"participants": [nobody]}), Some("participants")),
        (json!({"contact_id": nobody}), Some("contact_id")),
        (json!({"company_id": nobody}), Some("company_id")),
        (json!({"tags": [" "]}), Some("tags")),
        (json!({"loss_reason": "x".repeat(501)}), Some("loss_reason")),
        (json!({"amount_minor": 1.5}), None),
        (json!({"amount_minor": "5"}), None),
        (json!({"expected_close_date": "завтра"}), None),
        (json!({"stage_id": nobody}), None),
    ];
    for (changes, field) in cases {
        let r = patch_deal(app, &w.bob, &d, changes.clone()).await;
        match field {
            Some(f) => {
                r.expect_error(422, "invalid_input");
                assert_eq!(r.body["error"]["field"], f, "{changes}");
            }
            None => {
                r.expect_error(422, "invalid_body");
                // A mistyped value is named too (moving is its own endpoint, not a field).
                if changes.get("stage_id").is_none() {
                    let key = changes.as_object().and_then(|o| o.keys().next()).cloned().unwrap_or_default();
                    assert_eq!(r.body["error"]["field"], json!(key), "{changes}: {}", r.body);
                }
            }
        }
    }
    assert_eq!(get_deal(app, &w.owner, id(&d)).await, d, "refused edits change nothing");
}

async fn moving_a_deal_records_history_and_tells_the_chat(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let d = create_deal(app, &w.owner, json!({"title": "Mover", "participants": [w.bob.user_id]})).await;
    advance(app, 120);

    let r = move_deal(app, &w.bob, &d, sales.stages[2], None).await;
    r.expect(200);
    let moved = r.body;
    assert_eq!(uuid_of(&moved["stage_id"]), sales.stages[2]);
    assert_eq!(version(&moved), 2);
    assert_ne!(moved["stage_entered_at"], d["stage_entered_at"], "time in stage starts again");
    assert!(moved["closed_at"].is_null());
    assert_eq!(get_deal(app, &w.owner, id(&d)).await, moved);

    let h = deal_history(app, &w.owner, id(&d)).await;
    assert_eq!(h[0]["field"], "stage_id", "{h:?}");
    assert_eq!(uuid_of(&h[0]["old"]), sales.stages[0]);
    assert_eq!(uuid_of(&h[0]["new"]), sales.stages[2]);
    assert_eq!(uuid_of(&h[0]["actor_id"]), w.bob.user_id);
    assert!(h.iter().all(|e| e["field"] != "position"), "card order is not history: {h:?}");

    let system = system_bodies(&chat_messages(app, &w.owner, chat_of(&d)).await);
    assert_eq!(system.len(), 2, "{system:?}");
    let last = &system[1];
    assert!(last.contains(RU_STAGES[0]) && last.contains(RU_STAGES[2]), "{last}");

    // Moving within the same column is not a stage change.
    let r = move_deal(app, &w.bob, &moved, sales.stages[2], Some(0)).await;
    r.expect(200);
    let same = r.body;
    assert_eq!(version(&same), 3);
    assert_eq!(same["stage_entered_at"], moved["stage_entered_at"]);
    assert_eq!(system_bodies(&chat_messages(app, &w.owner, chat_of(&d)).await).len(), 2);

    // To another pipeline: both ids change and both are history.
    let spare = new_funnel(app, &w.owner, "Spare", &["One", "Two"]).await;
    let r = move_deal(app, &w.owner, &same, spare.stages[1], None).await;
    r.expect(200);
    let across = r.body;
    assert_eq!(uuid_of(&across["pipeline_id"]), spare.id);
    assert_eq!(uuid_of(&across["stage_id"]), spare.stages[1]);
    let h = deal_history(app, &w.owner, id(&d)).await;
    let fields: Vec<&str> = h.iter().take(2).map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(sorted_strs(fields), vec!["pipeline_id", "stage_id"]);
    let b = board(app, &w.owner, spare.id, "").await;
    assert_eq!(column_deals(&b, spare.stages[1]), vec![id(&d)]);
    assert!(!board_deals(&board(app, &w.owner, sales.id, "").await).contains(&id(&d)));

    // Unknown or foreign stages are bad input; nothing moves.
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let foreign = default_funnel(app, &other).await;
    for stage in [Uuid::now_v7(), foreign.stages[1]] {
        let r = move_deal(app, &w.owner, &across, stage, None).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "stage_id");
    }
    let body = json!({"version": version(&across), "stage_id": sales.stages[0], "index": -1});
    app.post(&format!("/deals/{}/move", id(&d)), tok(&w.owner), body).await.expect_error(422, "invalid_body");
    assert_eq!(get_deal(app, &w.owner, id(&d)).await, across);
}

fn sorted_strs(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

async fn cards_take_the_index_they_are_moved_to(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let target = sales.stages[1];
    let mut deals = Vec::new();
    for t in ["A", "B", "C", "D", "E"] {
        deals.push(deal_titled(app, &w.owner, t).await);
    }
    // Newest on top in the first column.
    let b = board(app, &w.owner, sales.id, "").await;
    assert_eq!(column_deals(&b, sales.stages[0]), deals.iter().rev().map(id).collect::<Vec<_>>());

    // Three cards into the next column: A at the top, B below it, C between them.
    let mut expected: Vec<Uuid> = Vec::new();
    for (i, index) in [(0, 0), (1, 1), (2, 1)] {
        let r = move_deal(app, &w.owner, &deals[i], target, Some(index)).await;
        r.expect(200);
        deals[i] = r.body;
        expected.insert(index, id(&deals[i]));
    }
    let b = board(app, &w.owner, sales.id, "").await;
    assert_eq!(column_deals(&b, target), expected, "A, C, B");
    assert_eq!(expected, vec![id(&deals[0]), id(&deals[2]), id(&deals[1])]);

    // Many moves into the same gap (more than the spacing allows) and past the end:
    // the column keeps exactly the order asked for.
    // A stays on top while the others keep landing right below it: the gap halves
    // each time until the column must be renumbered.
    let mut script: Vec<(usize, usize)> = [3, 4, 1, 2].repeat(4).into_iter().map(|i| (i, 1)).collect();
    script.extend([(4, 99), (0, 4), (2, 0), (1, 3), (3, 2), (0, 1)]);
    for (i, index) in script {
        let r = move_deal(app, &w.owner, &deals[i], target, Some(index)).await;
        r.expect(200);
        deals[i] = r.body;
        let me = id(&deals[i]);
        expected.retain(|d| *d != me);
        let at = index.min(expected.len());
        expected.insert(at, me);
        let b = board(app, &w.owner, sales.id, "").await;
        assert_eq!(column_deals(&b, target), expected, "after moving {i} to {index}");
    }
    // GET /deals lists in board order too.
    let listed = ids(&list_deals(app, &w.owner, &format!("stage_id={target}")).await);
    assert_eq!(listed, expected);
}

async fn won_and_lost_close_the_deal_and_its_chat(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let (won, lost) = (sales.stages[4], sales.stages[5]);
    let d = create_deal(app, &w.owner, json!({"title": "Closer", "participants": [w.bob.user_id]})).await;
    let chat_id = chat_of(&d);
    advance(app, 60);

    let r = move_deal(app, &w.bob, &d, won, None).await;
    r.expect(200);
    let d = r.body;
    assert!(d["closed_at"].is_string(), "{d}");
    let c = chat(app, &w.bob, chat_id).await;
    assert!(c["archived_at"].is_string(), "the chat of a won deal is archived: {c}");
    let system = system_bodies(&chat_messages(app, &w.bob, chat_id).await);
    assert!(
        system.last().is_some_and(|m| m.contains(RU_STAGES[4])),
        "the move is announced first: {system:?}"
    );
    let r = app.post(&format!("/chats/{chat_id}/messages"), tok(&w.bob), json!({"body": "ещё вопрос"})).await;
    r.expect_error(409, "chat_archived");
    // The chat follows the deal: it cannot be reopened while the deal stays won.
    app.call("PATCH", &format!("/chats/{chat_id}"), tok(&w.owner), Some(json!({"archived": false})))
        .await
        .expect_error(409, "chat_follows_deal");
    assert!(chat(app, &w.bob, chat_id).await["archived_at"].is_string());
    app.call("PATCH", &format!("/chats/{chat_id}"), tok(&w.owner), Some(json!({"archived": true})))
        .await
        .expect(200);

    // Back to an open stage: open again.
    advance(app, 60);
    let r = move_deal(app, &w.owner, &d, sales.stages[3], None).await;
    r.expect(200);
    let d = r.body;
    assert!(d["closed_at"].is_null(), "{d}");
    assert!(chat(app, &w.bob, chat_id).await["archived_at"].is_null());
    app.post(&format!("/chats/{chat_id}/messages"), tok(&w.bob), json!({"body": "снова в работе"}))
        .await
        .expect(201);
    // Nor archived by hand while the deal is open.
    app.call("PATCH", &format!("/chats/{chat_id}"), tok(&w.owner), Some(json!({"archived": true})))
        .await
        .expect_error(409, "chat_follows_deal");

    // Lost closes it too; editing a closed deal keeps it closed.
    let r = move_deal(app, &w.owner, &d, lost, None).await;
    r.expect(200);
    let d = r.body;
    assert!(d["closed_at"].is_string());
    assert!(chat(app, &w.bob, chat_id).await["archived_at"].is_string());
    let r = patch_deal(app, &w.owner, &d, json!({"loss_reason": "дорого"})).await;
    r.expect(200);
    assert_eq!(r.body["closed_at"], d["closed_at"]);
    assert!(chat(app, &w.bob, chat_id).await["archived_at"].is_string());
}

/// A deal created straight into a won/lost stage is closed, and so is its chat.
async fn deal_created_in_a_closed_stage_has_an_archived_chat(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let d = create_deal(app, &w.owner, json!({"title": "Already won", "stage_id": sales.stages[4]})).await;
    assert!(d["closed_at"].is_string(), "{d}");
    let c = chat(app, &w.owner, chat_of(&d)).await;
    assert!(c["archived_at"].is_string(), "the chat of a deal created as won should be archived: {c}");
}

// ---- Board, archive ----------------------------------------------------------------

async fn board_shows_columns_with_counts_and_sums(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let (s0, s1) = (sales.stages[0], sales.stages[1]);
    let a = create_deal(
        app,
        &w.owner,
        json!({"title": "Договор поставки", "amount_minor": 10_000, "tags": ["VIP"]}),
    )
    .await;
    let b = create_deal(app, &w.bob, json!({"title": "Аренда", "amount_minor": 2_500})).await;
    let c = create_deal(
        app,
        &w.bob,
        json!({"title": "Export contract", "amount_minor": 700, "currency": "USD", "tags": ["vip", "export"]}),
    )
    .await;
    let d = create_deal(
        app,
        &w.owner,
        json!({"title": "Лицензии", "amount_minor": 300, "currency": "USD", "stage_id": s1}),
    )
    .await;
    let e = create_deal(app, &w.owner, json!({"title": "Пустая", "stage_id": s1})).await;

    let full = board(app, &w.bob, sales.id, "").await;
    assert_eq!(id(&full["pipeline"]), sales.id);
    assert_eq!(funnel_of(&full["pipeline"]).stages, sales.stages);
    let columns = full["columns"].as_array().expect("columns");
    let stage_order: Vec<Uuid> = columns.iter().map(|c| id(&c["stage"])).collect();
    assert_eq!(stage_order, sales.stages, "columns in stage order");
    let counts: Vec<i64> = columns.iter().map(|c| c["count"].as_i64().expect("count")).collect();
    assert_eq!(counts, vec![3, 2, 0, 0, 0, 0]);
    assert_eq!(column_deals(&full, s0), vec![id(&c), id(&b), id(&a)]);
    assert_eq!(sums(&column(&full, s0)), vec![("RUB".into(), 12_500), ("USD".into(), 700)]);
    assert_eq!(sums(&column(&full, s1)), vec![("RUB".into(), 0), ("USD".into(), 300)]);
    assert_eq!(sums(&column(&full, sales.stages[2])), vec![]);
    // Cards are full deals, plus what the board adds about their tasks.
    let mut card = column(&full, s0)["deals"][2].clone();
    assert_eq!(card["open_tasks"], json!(0));
    card.as_object_mut().unwrap().remove("open_tasks");
    card.as_object_mut().unwrap().remove("next_task");
    assert_eq!(card, get_deal(app, &w.owner, id(&a)).await, "cards are full deals");

    // Filters.
    let mine = board(app, &w.owner, sales.id, &format!("owner_id={}", w.bob.user_id)).await;
    assert_eq!(board_deals(&mine), vec![id(&c), id(&b)]);
    assert_eq!(column(&mine, s0)["count"], 2);
    assert_eq!(sums(&column(&mine, s0)), vec![("RUB".into(), 2_500), ("USD".into(), 700)]);
    let text = board(app, &w.owner, sales.id, "text=%D0%94%D0%9E%D0%93%D0%9E%D0%92%D0%9E%D0%A0").await; // ДОГОВОР
    assert_eq!(board_deals(&text), vec![id(&a)], "text matches any case, Cyrillic too");
    let text = board(app, &w.owner, sales.id, "text=CONTRACT").await;
    assert_eq!(board_deals(&text), vec![id(&c)]);
    let tagged = board(app, &w.owner, sales.id, "tag=VIP").await;
    assert_eq!(board_deals(&tagged), vec![id(&c), id(&a)]);
    let both = board(app, &w.owner, sales.id, &format!("tag=vip&owner_id={}", w.owner.user_id)).await;
    assert_eq!(board_deals(&both), vec![id(&a)]);
    let none = board(app, &w.owner, sales.id, "text=%25").await; // a literal "%"
    assert_eq!(board_deals(&none), Vec::<Uuid>::new(), "% is not a wildcard");
    assert_eq!(ids(&list_deals(app, &w.owner, "tag=export").await), vec![id(&c)]);
    assert_eq!(ids(&list_deals(app, &w.owner, "text=лиценз").await), vec![id(&d)]);

    // Archived deals leave the board (and the default list) until restored.
    let r = archive_deal(app, &w.owner, &e, true).await;
    r.expect(200);
    let archived = r.body;
    assert!(archived["archived_at"].is_string());
    assert_eq!(version(&archived), 2);
    let r = archive_deal(app, &w.owner, &archived, true).await;
    r.expect(200);
    assert_eq!(r.body, archived, "archiving twice changes nothing");
    let after = board(app, &w.owner, sales.id, "").await;
    assert_eq!(column_deals(&after, s1), vec![id(&d)]);
    assert_eq!(column(&after, s1)["count"], 1);
    assert_eq!(sums(&column(&after, s1)), vec![("USD".into(), 300)]);
    assert!(!ids(&list_deals(app, &w.owner, "").await).contains(&id(&e)));
    assert!(ids(&list_deals(app, &w.owner, "include_archived=true").await).contains(&id(&e)));
    assert_eq!(get_deal(app, &w.owner, id(&e)).await, archived, "an archived deal is still readable");
    assert!(chat(app, &w.owner, chat_of(&e)).await["archived_at"].is_string(), "its chat is archived too");
    let h = deal_history(app, &w.owner, id(&e)).await;
    assert_eq!(h[0]["field"], "archived_at", "{h:?}");

    let r = archive_deal(app, &w.owner, &archived, false).await;
    r.expect(200);
    assert!(r.body["archived_at"].is_null());
    assert_eq!(version(&r.body), 3);
    assert!(chat(app, &w.owner, chat_of(&e)).await["archived_at"].is_null());
    assert_eq!(column(&board(app, &w.owner, sales.id, "").await, s1)["count"], 2);
    let system = system_bodies(&chat_messages(app, &w.owner, chat_of(&e)).await);
    assert_eq!(system.len(), 3, "created, archived, restored: {system:?}");

    // Paging and its bounds on the list.
    assert_eq!(list_deals(app, &w.owner, "limit=2").await.len(), 2);
    assert_eq!(ids(&list_deals(app, &w.owner, "limit=2&offset=4").await).len(), 1);
    for q in ["limit=0", "limit=201", "offset=-1"] {
        app.get(&format!("/deals?{q}"), &w.owner.access_token).await.expect_error(422, "invalid_input");
    }
}

/// Sums of very large amounts must not break the board (no 500, no wrapped negative sum).
async fn board_survives_huge_amounts(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let mut accepted = 0;
    for t in ["Huge 1", "Huge 2"] {
        let r = app.post("/deals", tok(&w.owner), json!({"title": t, "amount_minor": i64::MAX})).await;
        if r.status == 201 {
            accepted += 1;
        } else {
            r.expect_error(422, "invalid_input");
        }
    }
    let r = app.get(&format!("/pipelines/{}/board", sales.id), &w.owner.access_token).await;
    r.expect(200);
    let col = column(&r.body, sales.stages[0]);
    assert_eq!(col["count"], accepted);
    for s in col["sums"].as_array().expect("sums") {
        let amount = s["amount_minor"].as_i64();
        assert!(amount.is_some_and(|a| a >= 0), "a sum is never negative: {s}");
    }
}

// ---- History and timeline ------------------------------------------------------------

async fn history_and_timeline_record_changes(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let d = create_deal(app, &w.owner, json!({"title": "Old title", "participants": [w.bob.user_id]})).await;
    advance(app, 60);
    let r = patch_deal(app, &w.bob, &d, json!({"amount_minor": 5_000})).await;
    r.expect(200);
    let d = r.body;
    advance(app, 60);
    let r = app
        .post(&format!("/chats/{}/messages", chat_of(&d)), tok(&w.owner), json!({"body": "Позвонил клиенту"}))
        .await;
    r.expect(201);
    advance(app, 60);
    let r = patch_deal(app, &w.owner, &d, json!({"title": "New title"})).await;
    r.expect(200);
    let d = r.body;

    let h = deal_history(app, &w.carol, id(&d)).await;
    let fields: Vec<&str> = h.iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(fields, vec!["title", "amount_minor", "created"], "newest first");
    assert_eq!((h[0]["old"].clone(), h[0]["new"].clone()), (json!("Old title"), json!("New title")));
    assert_eq!(uuid_of(&h[0]["actor_id"]), w.owner.user_id);
    assert_eq!((h[1]["old"].clone(), h[1]["new"].clone()), (json!(0), json!(5_000)));
    assert_eq!(uuid_of(&h[1]["actor_id"]), w.bob.user_id);
    for e in &h {
        assert!(e["id"].is_string() && e["at"].is_string(), "{e}");
    }
    let r = app.get(&format!("/deals/{}/history?limit=1", id(&d)), &w.owner.access_token).await;
    r.expect(200);
    assert_eq!(arr(&r).len(), 1);
    assert_eq!(arr(&r)[0]["field"], "title");
    // The chat follows the title.
    assert_eq!(chat(app, &w.owner, chat_of(&d)).await["name"], "New title");

    let t = timeline(app, &w.carol, id(&d), "").await;
    let at: Vec<chrono::DateTime<chrono::Utc>> =
        t.iter().map(|i| i["at"].as_str().expect("at").parse().expect("time")).collect();
    assert!(at.windows(2).all(|p| p[0] >= p[1]), "newest first: {at:?}");
    assert_eq!(t[0]["type"], "change");
    assert_eq!(t[0]["change"]["field"], "title");
    let pos =
        |pred: &dyn Fn(&Value) -> bool| t.iter().position(pred).unwrap_or_else(|| panic!("missing in {t:?}"));
    let message = pos(&|i| i["type"] == "message" && i["message"]["body"] == "Позвонил клиенту");
    let amount = pos(&|i| i["type"] == "change" && i["change"]["field"] == "amount_minor");
    let created = pos(&|i| i["type"] == "change" && i["change"]["field"] == "created");
    let announced = pos(&|i| i["type"] == "message" && i["message"]["kind"] == "system");
    assert!(message < amount && amount < created && amount < announced, "{t:?}");
    assert_eq!(t[message]["message"]["kind"], "user");
    assert_eq!(uuid_of(&t[message]["message"]["chat_id"]), chat_of(&d));
    assert_eq!(timeline(app, &w.owner, id(&d), "limit=2").await.len(), 2);
    for q in ["limit=0", "limit=201"] {
        for what in ["timeline", "history"] {
            let r = app.get(&format!("/deals/{}/{what}?{q}", id(&d)), &w.owner.access_token).await;
            r.expect_error(422, "invalid_input");
            assert_eq!(r.body["error"]["field"], "limit");
        }
    }
}

async fn participants_follow_the_deal_chat(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let d = deal_titled(app, &w.owner, "People").await;
    let chat_id = chat_of(&d);
    assert_eq!(chat_member_ids(app, &w.owner, chat_id).await, vec![w.owner.user_id]);

    let r = patch_deal(app, &w.owner, &d, json!({"participants": [w.bob.user_id, w.guest.user_id]})).await;
    r.expect(200);
    let d = r.body;
    assert_eq!(
        chat_member_ids(app, &w.bob, chat_id).await,
        sorted(vec![w.owner.user_id, w.bob.user_id, w.guest.user_id])
    );
    chat_messages(app, &w.guest, chat_id).await;
    let h = deal_history(app, &w.owner, id(&d)).await;
    assert_eq!(h[0]["field"], "participants");
    assert_eq!(h[0]["old"], json!([]));

    let r = patch_deal(app, &w.owner, &d, json!({"participants": [w.bob.user_id]})).await;
    r.expect(200);
    let d = r.body;
    assert_eq!(chat_member_ids(app, &w.owner, chat_id).await, sorted(vec![w.owner.user_id, w.bob.user_id]));
    app.get(&format!("/chats/{chat_id}/messages"), &w.guest.access_token).await.expect(404);

    // A new owner: joins the chat, the old one leaves it, the chat is told.
    let r = patch_deal(app, &w.owner, &d, json!({"owner_id": w.carol.user_id})).await;
    r.expect(200);
    let d = r.body;
    assert_eq!(uuid_of(&d["owner_id"]), w.carol.user_id);
    assert_eq!(chat_member_ids(app, &w.carol, chat_id).await, sorted(vec![w.carol.user_id, w.bob.user_id]));
    let system = system_bodies(&chat_messages(app, &w.carol, chat_id).await);
    assert!(system.last().is_some_and(|m| m.contains("User carol@acme.test")), "{system:?}");
    let h = deal_history(app, &w.owner, id(&d)).await;
    assert_eq!(h[0]["field"], "owner_id");
    assert_eq!((uuid_of(&h[0]["old"]), uuid_of(&h[0]["new"])), (w.owner.user_id, w.carol.user_id));

    // Making a participant the owner takes them off the participant list.
    let r = patch_deal(app, &w.carol, &d, json!({"owner_id": w.bob.user_id})).await;
    r.expect(200);
    assert_eq!(uuid_of(&r.body["owner_id"]), w.bob.user_id);
    assert_eq!(r.body["participants"], json!([]));
    assert_eq!(chat_member_ids(app, &w.bob, chat_id).await, vec![w.bob.user_id]);
}

// ---- Who may see and change what -------------------------------------------------------

async fn members_see_and_edit_all_deals_under_visibility_all(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let d = deal_titled(app, &w.owner, "Owner's").await;
    assert_eq!(ids(&list_deals(app, &w.bob, "").await), vec![id(&d)]);
    assert_eq!(board_deals(&board(app, &w.bob, sales.id, "").await), vec![id(&d)]);
    deal_history(app, &w.bob, id(&d)).await;
    timeline(app, &w.bob, id(&d), "").await;
    let r = patch_deal(app, &w.bob, &d, json!({"amount_minor": 1})).await;
    r.expect(200);
    let r = move_deal(app, &w.carol, &r.body, sales.stages[1], None).await;
    r.expect(200);
    let r = archive_deal(app, &w.bob, &r.body, true).await;
    r.expect(200);
    archive_deal(app, &w.bob, &r.body, false).await.expect(200);
    // ...but not delete it.
    delete(app, &w.bob, &format!("/deals/{}", id(&d))).await.expect_error(403, "forbidden");
    // The guest is not on it, so for them it does not exist.
    app.get(&format!("/deals/{}", id(&d)), &w.guest.access_token).await.expect_error(404, "not_found");
    assert!(list_deals(app, &w.guest, "").await.is_empty());
}

async fn visibility_own_limits_members_to_their_deals(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let d1 = create_deal(app, &w.owner, json!({"title": "Owner only", "amount_minor": 100})).await;
    let d2 = create_deal(
        app,
        &w.owner,
        json!({"title": "Bob owns", "owner_id": w.bob.user_id, "amount_minor": 20}),
    )
    .await;
    let d3 = create_deal(
        app,
        &w.owner,
        json!({"title": "Bob helps", "participants": [w.bob.user_id], "amount_minor": 3}),
    )
    .await;
    patch(app, &w.bob, "/workspace", json!({"deal_visibility": "own"})).await.expect_error(403, "forbidden");
    set_visibility(app, &w.owner, "own").await;

    assert_eq!(sorted(ids(&list_deals(app, &w.bob, "").await)), sorted(vec![id(&d2), id(&d3)]));
    assert!(list_deals(app, &w.carol, "").await.is_empty());
    assert_eq!(list_deals(app, &w.admin, "").await.len(), 3, "admins see everything");
    assert_eq!(list_deals(app, &w.owner, "").await.len(), 3);
    let b = board(app, &w.bob, sales.id, "").await;
    assert_eq!(sorted(board_deals(&b)), sorted(vec![id(&d2), id(&d3)]));
    assert_eq!(column(&b, sales.stages[0])["count"], 2);
    assert_eq!(sums(&column(&b, sales.stages[0])), vec![("RUB".into(), 23)]);
    assert_eq!(ids(&list_deals(app, &w.bob, &format!("owner_id={}", w.owner.user_id)).await), vec![id(&d3)]);

    // Every endpoint answers 404 for a deal Bob is not on, and nothing changes.
    for (method, path, body) in deal_endpoints(&d1, sales.stages[1]) {
        let r = app.call(method, &path, tok(&w.bob), body).await;
        assert_eq!(r.status, 404, "bob {method} {path}: {}", r.body);
        r.expect_error(404, "not_found");
    }
    assert_eq!(get_deal(app, &w.owner, id(&d1)).await, d1);
    // His own deals he works on as before.
    let r = move_deal(app, &w.bob, &d3, sales.stages[1], None).await;
    r.expect(200);
    patch_deal(app, &w.bob, &d2, json!({"title": "Bob's own"})).await.expect(200);
    // Back to "all": Carol sees everything again.
    set_visibility(app, &w.owner, "all").await;
    assert_eq!(list_deals(app, &w.carol, "").await.len(), 3);
}

async fn guests_see_only_their_deals_and_cannot_change_them(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let hidden = deal_titled(app, &w.owner, "Internal").await;
    let shared =
        create_deal(app, &w.owner, json!({"title": "Shared", "participants": [w.guest.user_id]})).await;
    for visibility in ["all", "own"] {
        set_visibility(app, &w.owner, visibility).await;
        assert_eq!(ids(&list_deals(app, &w.guest, "").await), vec![id(&shared)], "{visibility}");
        assert_eq!(board_deals(&board(app, &w.guest, sales.id, "").await), vec![id(&shared)]);
        assert_eq!(get_deal(app, &w.guest, id(&shared)).await, shared);
        deal_history(app, &w.guest, id(&shared)).await;
        timeline(app, &w.guest, id(&shared), "").await;
        for (method, path, body) in deal_endpoints(&shared, sales.stages[1]) {
            let r = app.call(method, &path, tok(&w.guest), body).await;
            let expected = if method == "GET" { 200 } else { 403 };
            assert_eq!(r.status, expected, "guest {method} {path}: {}", r.body);
        }
        for (method, path, body) in deal_endpoints(&hidden, sales.stages[1]) {
            if method == "GET" {
                let r = app.call(method, &path, tok(&w.guest), body).await;
                r.expect_error(404, "not_found");
            }
        }
        let r = app.post("/deals", tok(&w.guest), json!({"title": "Guest's own"})).await;
        r.expect_error(403, "forbidden");
    }
    assert_eq!(get_deal(app, &w.owner, id(&shared)).await, shared, "the guest changed nothing");
    assert_eq!(deal_count(app, &w.owner).await, 2);
}

async fn removed_participant_loses_access_at_once(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    set_visibility(app, &w.owner, "own").await;
    let d =
        create_deal(app, &w.owner, json!({"title": "Temporary help", "participants": [w.bob.user_id]})).await;
    assert_eq!(get_deal(app, &w.bob, id(&d)).await, d);
    chat_messages(app, &w.bob, chat_of(&d)).await;

    let r = patch_deal(app, &w.owner, &d, json!({"participants": []})).await;
    r.expect(200);
    let d = r.body;
    for (method, path, body) in deal_endpoints(&d, sales.stages[1]) {
        let r = app.call(method, &path, tok(&w.bob), body).await;
        assert_eq!(r.status, 404, "bob {method} {path}: {}", r.body);
    }
    assert!(list_deals(app, &w.bob, "").await.is_empty());
    assert!(board_deals(&board(app, &w.bob, sales.id, "").await).is_empty());
    app.get(&format!("/chats/{}/messages", chat_of(&d)), &w.bob.access_token).await.expect(404);
    assert_eq!(get_deal(app, &w.owner, id(&d)).await, d);

    // Under "all" a removed participant still sees the deal, but is out of its chat.
    let d2 = create_deal(app, &w.owner, json!({"title": "Another", "participants": [w.carol.user_id]})).await;
    set_visibility(app, &w.owner, "all").await;
    patch_deal(app, &w.owner, &d2, json!({"participants": []})).await.expect(200);
    get_deal(app, &w.carol, id(&d2)).await;
    app.get(&format!("/chats/{}/messages", chat_of(&d2)), &w.carol.access_token).await.expect(404);
}

async fn another_workspace_sees_nothing(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let empty_stage = sales.stages[3];
    let d = create_deal(app, &w.owner, json!({"title": "Acme secret", "stage_id": sales.stages[1]})).await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let theirs = default_funnel(app, &other).await;

    let mut reversed = sales.stages.clone();
    reversed.reverse();
    let p = sales.id;
    let mut endpoints = deal_endpoints(&d, theirs.stages[1]);
    endpoints.extend(vec![
        ("GET", format!("/pipelines/{p}"), None),
        ("GET", format!("/pipelines/{p}/board"), None),
        ("PATCH", format!("/pipelines/{p}"), Some(json!({"name": "Taken"}))),
        ("PATCH", format!("/pipelines/{p}"), Some(json!({"archived": true}))),
        ("POST", format!("/pipelines/{p}/stages"), Some(json!({"name": "Planted"}))),
        ("PUT", format!("/pipelines/{p}/stage-order"), Some(json!({"stage_ids": reversed}))),
        ("PATCH", format!("/stages/{empty_stage}"), Some(json!({"name": "Taken"}))),
        ("DELETE", format!("/stages/{empty_stage}"), None),
    ]);
    for (method, path, body) in endpoints {
        let r = app.call(method, &path, tok(&other), body).await;
        assert_eq!(r.status, 404, "other workspace {method} {path}: {}", r.body);
        r.expect_error(404, "not_found");
    }
    assert_eq!(get_deal(app, &w.owner, id(&d)).await, d, "untouched");
    assert_eq!(funnel_of(&pipeline(app, &w.owner, p).await).stages, sales.stages);
    assert_eq!(pipeline(app, &w.owner, p).await["name"], "Продажи");
    assert!(list_deals(app, &other, "include_archived=true").await.is_empty());
    assert!(list_deals(app, &other, &format!("pipeline_id={p}")).await.is_empty());
    assert_eq!(ids(&pipelines(app, &other).await), vec![theirs.id]);
    // Nor can it point its own deals at Acme's records.
    let r = app.post("/deals", tok(&other), json!({"title": "Sneaky", "stage_id": sales.stages[0]})).await;
    r.expect_error(422, "invalid_input");
    let r =
        app.post("/deals", tok(&other), json!({"title": "Sneaky", "participants": [w.bob.user_id]})).await;
    r.expect_error(422, "invalid_input");
    let mine = deal_titled(app, &other, "Beta deal").await;
    let r = move_deal(app, &other, &mine, sales.stages[0], None).await;
    r.expect_error(422, "invalid_input");
    // And Acme cannot see Beta's deal either.
    app.get(&format!("/deals/{}", id(&mine)), &w.owner.access_token).await.expect_error(404, "not_found");
    assert_eq!(list_deals(app, &w.owner, "").await.len(), 1);
}

async fn only_admins_delete_deals(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let d = create_deal(
        app,
        &w.owner,
        json!({"title": "To delete", "owner_id": w.bob.user_id, "participants": [w.guest.user_id],
               "stage_id": sales.stages[2]}),
    )
    .await;
    let path = format!("/deals/{}", id(&d));
    for who in [&w.bob, &w.carol, &w.guest] {
        delete(app, who, &path).await.expect_error(403, "forbidden");
    }
    assert_eq!(get_deal(app, &w.owner, id(&d)).await, d);

    delete(app, &w.admin, &path).await.expect(204);
    for who in [&w.owner, &w.admin, &w.bob] {
        app.get(&path, &who.access_token).await.expect_error(404, "not_found");
        app.get(&format!("{path}/history"), &who.access_token).await.expect_error(404, "not_found");
    }
    delete(app, &w.owner, &path).await.expect_error(404, "not_found");
    assert_eq!(deal_count(app, &w.owner).await, 0);
    // The chat stays for the record, archived.
    let c = chat(app, &w.bob, chat_of(&d)).await;
    assert!(c["archived_at"].is_string(), "{c}");
    // The stage is free now.
    delete(app, &w.owner, &format!("/stages/{}", sales.stages[2])).await.expect(204);
}

// ---- Bad input on every endpoint ----------------------------------------------------------

async fn bad_input_on_every_crm_endpoint(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let d = deal_titled(app, &w.owner, "Target").await;
    let (p, s, did, v) = (sales.id, sales.stages[2], id(&d), version(&d));
    let before_pipelines = pipelines(app, &w.owner).await;

    // (method, path with {id} for the path parameter, the id, a valid body)
    let with_body: Vec<(&str, &str, Uuid, Value)> = vec![
        ("PATCH", "/workspace", Uuid::nil(), json!({"deal_visibility": "own"})),
        ("POST", "/pipelines", Uuid::nil(), json!({"name": "P"})),
        ("PATCH", "/pipelines/{id}", p, json!({"name": "P"})),
        ("POST", "/pipelines/{id}/stages", p, json!({"name": "S"})),
        ("PUT", "/pipelines/{id}/stage-order", p, json!({"stage_ids": sales.stages})),
        ("PATCH", "/stages/{id}", s, json!({"name": "S"})),
        ("POST", "/deals", Uuid::nil(), json!({"title": "T"})),
        ("PATCH", "/deals/{id}", did, json!({"version": v, "title": "T"})),
        ("POST", "/deals/{id}/move", did, json!({"version": v, "stage_id": s})),
        ("POST", "/deals/{id}/archive", did, json!({"version": v})),
        ("POST", "/deals/{id}/restore", did, json!({"version": v})),
    ];
    for (method, template, target, valid) in &with_body {
        let path = template.replace("{id}", &target.to_string());
        let r = app
            .call_raw(method, &path, tok(&w.owner), Some("application/json"), b"{\"name\": ".to_vec())
            .await;
        assert_eq!(r.status, 400, "{method} {path} malformed: {}", r.body);
        r.expect_error(400, "malformed_json");
        let mut unknown = valid.clone();
        unknown["surprise"] = json!(true);
        let r = app.call(method, &path, tok(&w.owner), Some(unknown)).await;
        assert_eq!(r.status, 422, "{method} {path} unknown field: {}", r.body);
        r.expect_error(422, "invalid_body");
        let r = app.call(method, &path, tok(&w.owner), Some(json!([valid.clone()]))).await;
        r.expect_error(422, "invalid_body");
        let r = app
            .call_raw(method, &path, tok(&w.owner), Some("text/plain"), valid.to_string().into_bytes())
            .await;
        r.expect_error(415, "unsupported_media_type");
        if template.contains("{id}") {
            let bad = template.replace("{id}", "not-a-uuid");
            let r = app.call(method, &bad, tok(&w.owner), Some(valid.clone())).await;
            assert_eq!(r.status, 400, "{method} {bad}: {}", r.body);
            r.expect_error(400, "invalid_path");
        }
        let r = app.call(method, &path, None, Some(valid.clone())).await;
        assert_eq!(r.status, 401, "{method} {path} without a token");
    }
    // Endpoints without a body: non-UUID paths and unknown query parameters.
    let without_body: Vec<(&str, &str, Uuid)> = vec![
        ("GET", "/pipelines/{id}", p),
        ("GET", "/pipelines/{id}/board", p),
        ("DELETE", "/stages/{id}", s),
        ("GET", "/deals/{id}", did),
        ("DELETE", "/deals/{id}", did),
        ("GET", "/deals/{id}/history", did),
        ("GET", "/deals/{id}/timeline", did),
    ];
    for (method, template, _) in &without_body {
        let bad = template.replace("{id}", "12345");
        let r = app.call(method, &bad, tok(&w.owner), None).await;
        assert_eq!(r.status, 400, "{method} {bad}: {}", r.body);
        r.expect_error(400, "invalid_path");
    }
    let queries = [
        format!("/pipelines/{p}/board?colour=red"),
        format!("/pipelines/{p}/board?owner_id=nobody"),
        "/deals?sort=colour".to_string(),
        "/deals?stage_id=nope".to_string(),
        "/deals?include_archived=maybe".to_string(),
        format!("/deals/{did}/history?before=now"),
        format!("/deals/{did}/timeline?limit=ten"),
    ];
    for q in &queries {
        let r = app.get(q, &w.owner.access_token).await;
        assert_eq!(r.status, 400, "{q}: {}", r.body);
        r.expect_error(400, "invalid_query");
    }
    // Wrong types in otherwise known fields.
    let wrong = [
        ("PATCH", format!("/deals/{did}"), json!({"version": "1"})),
        ("POST", format!("/deals/{did}/move"), json!({"version": v, "stage_id": 7})),
        ("POST", format!("/deals/{did}/move"), json!({"version": v})),
        ("POST", format!("/deals/{did}/archive"), json!({})),
        ("PATCH", format!("/pipelines/{p}"), json!({"archived": "yes"})),
        ("PUT", format!("/pipelines/{p}/stage-order"), json!({})),
        ("POST", format!("/pipelines/{p}/stages"), json!({"name": "S", "position": "first"})),
    ];
    for (method, path, body) in wrong {
        let r = app.call(method, &path, tok(&w.owner), Some(body.clone())).await;
        assert_eq!(r.status, 422, "{method} {path} {body}: {}", r.body);
        r.expect_error(422, "invalid_body");
    }
    // Nothing was written by any of it.
    assert_eq!(get_deal(app, &w.owner, did).await, d);
    assert_eq!(pipelines(app, &w.owner).await, before_pipelines);
    assert_eq!(deal_count(app, &w.owner).await, 1);
    assert_eq!(app.get("/workspace", &w.owner.access_token).await.body["deal_visibility"], "all");
}

// ---- Live ------------------------------------------------------------------------------

async fn moving_a_deal_reaches_open_sockets(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sales = default_funnel(app, &w.owner).await;
    let d = create_deal(
        app,
        &w.owner,
        json!({"title": "Live", "participants": [w.bob.user_id, w.carol.user_id]}),
    )
    .await;
    let chat_id = chat_of(&d);
    let r = patch_deal(app, &w.owner, &d, json!({"participants": [w.bob.user_id]})).await;
    r.expect(200);
    let d = r.body;

    // A chat carol is in, for a message that must reach her after the move.
    let direct = app.post("/chats/direct", tok(&w.owner), json!({"user_id": w.carol.user_id})).await;
    let direct = direct.body["id"].as_str().expect("direct chat").to_string();
    let mut bob = app.ws(&w.bob.access_token, &[]).await;
    let mut carol = app.ws(&w.carol.access_token, &[]).await;
    let r = move_deal(app, &w.owner, &d, sales.stages[1], None).await;
    r.expect(200);
    let ev = bob
        .next_where(|f| {
            f["type"] == "event"
                && f["chat_id"] == chat_id.to_string()
                && f["change"]["type"] == "message_created"
        })
        .await;
    let message = &ev["change"]["message"];
    assert_eq!(message["kind"], "system");
    let body = message["body"].as_str().expect("body");
    assert!(body.contains(RU_STAGES[0]) && body.contains(RU_STAGES[1]), "{body}");
    // Carol, taken off the deal, hears nothing of its chat: her next event is
    // a message sent after the move.
    app.post(&format!("/chats/{direct}/messages"), tok(&w.owner), json!({"body": "after the move"}))
        .await
        .expect(201);
    let next = carol.next_event().await;
    assert_eq!(
        (next["chat_id"].as_str(), next["change"]["message"]["body"].as_str()),
        (Some(direct.as_str()), Some("after the move")),
        "{next}"
    );
}

on_every_backend!(
    default_pipeline_exists_after_setup,
    workspace_settings_are_changed_by_admins_only,
    pipelines_are_created_with_default_or_explicit_stages,
    pipelines_are_renamed_archived_and_restored,
    stages_are_added_at_a_position,
    stages_are_recoloured_renamed_and_rekinded,
    stages_are_reordered,
    stages_are_deleted_only_when_empty,
    only_admins_configure_pipelines,
    deal_is_created_with_defaults,
    deal_is_created_with_explicit_fields,
    deal_chat_has_the_people_and_a_system_message,
    bad_deal_input_is_refused_without_side_effects,
    unknown_pipeline_on_create_is_invalid_input,
    stale_versions_are_refused,
    concurrent_writes_do_not_interleave,
    deal_fields_are_edited_and_validated,
    moving_a_deal_records_history_and_tells_the_chat,
    cards_take_the_index_they_are_moved_to,
    won_and_lost_close_the_deal_and_its_chat,
    deal_created_in_a_closed_stage_has_an_archived_chat,
    board_shows_columns_with_counts_and_sums,
    board_survives_huge_amounts,
    history_and_timeline_record_changes,
    participants_follow_the_deal_chat,
    members_see_and_edit_all_deals_under_visibility_all,
    visibility_own_limits_members_to_their_deals,
    guests_see_only_their_deals_and_cannot_change_them,
    removed_participant_loses_access_at_once,
    another_workspace_sees_nothing,
    only_admins_delete_deals,
    bad_input_on_every_crm_endpoint,
    moving_a_deal_reaches_open_sockets,
);
