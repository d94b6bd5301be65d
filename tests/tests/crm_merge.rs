//! Merging duplicate contacts and companies, from outside: the survivor gets the
//! other's deals, tasks, people, chat and history, phones/e-mails/tags joined and
//! empty fields filled (or the values picked); the merged-away address answers
//! 308 with the survivor's; boards and open cards hear of it; who may merge (not
//! guests, not another workspace, not someone just demoted or deactivated); bad
//! input (same record 400, unknown 404, archived survivor 409, unknown field 422).

use artel_tests::{on_every_backend, Backend, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

struct World {
    app: TestApp,
    owner: Session,
    bob: Session,
    guest: Session,
    other: Session,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    World { app, owner, bob, guest, other }
}

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

async fn create(app: &TestApp, by: &Session, what: &str, body: Value) -> Value {
    let r = app.post(&format!("/{what}"), tok(by), body).await;
    r.expect(201);
    r.body.clone()
}

async fn get(app: &TestApp, by: &Session, path: &str) -> Value {
    let r = app.get(path, &by.access_token).await;
    r.expect(200);
    r.body.clone()
}

fn e164s(record: &Value) -> Vec<String> {
    record["phones"]
        .as_array()
        .expect("phones")
        .iter()
        .map(|p| p["e164"].as_str().unwrap().to_string())
        .collect()
}

fn fields_of(history: &Value) -> Vec<String> {
    history.as_array().expect("history").iter().map(|h| h["field"].as_str().unwrap().to_string()).collect()
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

async fn contacts_merge_with_their_deals_tasks_chat_and_phones(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let a = create(
        app,
        &w.bob,
        "contacts",
        json!({"name": "Иван Петров", "phones": ["+7 916 123-45-67"], "emails": ["ivan@firm.ru"],
               "tags": ["vip"], "notes": "звонить после 11"}),
    )
    .await;
    let b = create(
        app,
        &w.bob,
        "contacts",
        json!({"name": "Петров И.", "phones": ["8 (916) 123-45-67", "+7 999 765-43-21"],
               "emails": ["IVAN@firm.ru", "petrov@mail.ru"], "tags": ["опт", "VIP"],
               "position": "Директор", "address": "Тверь", "notes": "любит чай"}),
    )
    .await;
    assert_eq!(b["duplicates"][0]["id"], a["id"]);
    let (a_id, b_id) = (id(&a), id(&b));
    let deal =
        create(app, &w.bob, "deals", json!({"title": "Поставка", "amount_minor": 100, "contact_id": b_id}))
            .await;
    let pipeline: Uuid = deal["pipeline_id"].as_str().unwrap().parse().unwrap();
    let task = create(
        app,
        &w.bob,
        "tasks",
        json!({"title": "Позвонить", "entity_kind": "contact", "entity_id": b_id}),
    )
    .await;
    let chat = app.post("/chats/entity", tok(&w.bob), json!({"kind": "contact", "id": b_id})).await;
    chat.expect(201);
    let chat_id = id(&chat.body);

    // The owner has the survivor's card open; a board watcher has the deal's board.
    let mut card = app.ws(&w.owner.access_token, &[]).await;
    let mut board = app.ws(&w.owner.access_token, &[]).await;
    board.send_json(json!({"type": "watch_board", "pipeline_id": pipeline})).await;
    board.next_where(|f| f["type"] == "watching").await;

    app.clock.advance(chrono::Duration::seconds(60));
    let r = app.post(&format!("/contacts/{a_id}/merge"), tok(&w.bob), json!({"from_id": b_id})).await;
    r.expect(200);
    let m = r.body.clone();
    assert_eq!(m["id"], a["id"]);
    assert_eq!(m["name"], "Иван Петров", "the survivor's name stays");
    assert_eq!(e164s(&m), ["+79161234567", "+79997654321"], "phones joined without repeats");
    assert_eq!(m["emails"], json!(["ivan@firm.ru", "petrov@mail.ru"]));
    assert_eq!(m["tags"], json!(["vip", "опт"]));
    assert_eq!(m["position"], "Директор", "empty fields are filled");
    assert_eq!(m["address"], "Тверь");
    assert_eq!(m["notes"], "звонить после 11\n\nлюбит чай");
    assert_eq!(get(app, &w.owner, &format!("/contacts/{a_id}")).await, m);

    // Deals and tasks follow, with their history.
    let d = get(app, &w.bob, &format!("/deals/{}", id(&deal))).await;
    assert_eq!(d["contact_id"], a["id"]);
    assert_eq!(d["version"], deal["version"].as_i64().unwrap() + 1);
    let dh = get(app, &w.bob, &format!("/deals/{}/history", id(&deal))).await;
    assert!(dh.as_array().unwrap().iter().any(|h| h["field"] == "contact_id" && h["new"] == a["id"]), "{dh}");
    let t = get(app, &w.bob, &format!("/tasks/{}", id(&task))).await;
    assert_eq!(t["entity_id"], a["id"]);
    let deals = get(app, &w.bob, &format!("/deals?contact_id={a_id}")).await;
    assert_eq!(deals.as_array().unwrap().len(), 1);
    let tasks = get(app, &w.bob, &format!("/tasks?view=entity&entity_kind=contact&entity_id={a_id}")).await;
    assert_eq!(tasks.as_array().unwrap().len(), 1);

    // The chat is the survivor's now; history says what happened and keeps the other's.
    let c = get(app, &w.bob, &format!("/chats/{chat_id}")).await;
    assert_eq!(c["entity"], json!({"kind": "contact", "id": a_id}));
    assert!(c["archived_at"].is_null());
    let h = get(app, &w.bob, &format!("/contacts/{a_id}/history")).await;
    let fields = fields_of(&h);
    assert!(fields.contains(&"merged".to_string()), "{fields:?}");
    assert!(fields.contains(&"phones".to_string()), "{fields:?}");
    assert_eq!(fields.iter().filter(|f| *f == "created").count(), 2, "both records' creation: {fields:?}");
    let merged = h.as_array().unwrap().iter().find(|h| h["field"] == "merged").unwrap();
    assert_eq!(merged["new"], json!({"id": b_id, "name": "Петров И."}));
    assert_eq!(merged["actor_id"], json!(w.bob.user_id));

    // Live: the card hears of the merge, the board gets the deal's new card.
    let heard = card.next_where(|f| f["type"] == "ephemeral" && f["event"]["type"] == "client_merged").await;
    assert_eq!(
        heard["event"],
        json!({"type": "client_merged", "kind": "contact", "from_id": b_id, "into_id": a_id})
    );
    let upserted = board.next_where(|f| f["type"] == "board_event").await;
    assert_eq!(upserted["change"]["type"], "deal_upserted");
    assert_eq!(upserted["change"]["deal"]["contact_id"], a["id"]);

    // The merged-away address leads to the survivor: 308 with its address, and a
    // client that follows redirects (a browser) simply reads the survivor.
    let resp = no_redirects()
        .get(app.url(&format!("/contacts/{b_id}")))
        .bearer_auth(&w.owner.access_token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 308);
    assert_eq!(resp.headers()["location"], format!("./{a_id}").as_str());
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "merged");
    assert_eq!(get(app, &w.owner, &format!("/contacts/{b_id}")).await["id"], a["id"]);
    // Everything else about it is gone.
    let r = app.call("PATCH", &format!("/contacts/{b_id}"), tok(&w.bob), Some(json!({"name": "X"}))).await;
    r.expect_error(404, "not_found");
    app.get(&format!("/contacts/{b_id}/history"), &w.bob.access_token).await.expect_error(404, "not_found");
    let r = app.post("/contacts/duplicates", tok(&w.bob), json!({"phones": ["+79997654321"]})).await;
    r.expect(200);
    assert_eq!(r.body.as_array().unwrap().iter().map(id).collect::<Vec<_>>(), [a_id]);
    assert_eq!(get(app, &w.bob, "/contacts?include_archived=true").await["total"], 1);
    // Another workspace learns nothing from the old address either.
    app.get(&format!("/contacts/{b_id}"), &w.other.access_token).await.expect_error(404, "not_found");

    // Merging the survivor on again: the first address follows the chain.
    let c3 = create(app, &w.bob, "contacts", json!({"name": "Иван", "phones": ["+79161234567"]})).await;
    app.post(&format!("/contacts/{}/merge", id(&c3)), tok(&w.bob), json!({"from_id": a_id}))
        .await
        .expect(200);
    assert_eq!(get(app, &w.owner, &format!("/contacts/{b_id}")).await["id"], c3["id"]);
}

async fn companies_merge_with_their_people_and_picked_values(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let x = create(
        app,
        &w.bob,
        "companies",
        json!({"name": "Ромашка", "website": "romashka.ru", "address": "Москва"}),
    )
    .await;
    let y = create(
        app,
        &w.bob,
        "companies",
        json!({"name": "ромашка", "website": "old.romashka.ru",
                                                     "phones": ["+74951234567"], "address": "Тверь"}),
    )
    .await;
    let (x_id, y_id) = (id(&x), id(&y));
    let person = create(app, &w.bob, "contacts", json!({"name": "Анна", "company_id": y_id})).await;
    let deal =
        create(app, &w.bob, "deals", json!({"title": "Опт", "amount_minor": 5, "company_id": y_id})).await;
    let x_chat =
        id(&app.post("/chats/entity", tok(&w.bob), json!({"kind": "company", "id": x_id})).await.body);
    let y_chat =
        id(&app.post("/chats/entity", tok(&w.bob), json!({"kind": "company", "id": y_id})).await.body);

    let r = app
        .post(
            &format!("/companies/{x_id}/merge"),
            tok(&w.bob),
            json!({"from_id": y_id, "fields": {"website": "take", "address": "keep"}}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["website"], "old.romashka.ru", "picked");
    assert_eq!(r.body["address"], "Москва", "kept");
    assert_eq!(e164s(&r.body), ["+74951234567"]);
    assert_eq!(get(app, &w.bob, &format!("/contacts/{}", id(&person))).await["company_id"], x["id"]);
    let ch = get(app, &w.bob, &format!("/contacts/{}/history", id(&person))).await;
    assert!(fields_of(&ch).contains(&"company_id".to_string()));
    assert_eq!(get(app, &w.bob, &format!("/deals/{}", id(&deal))).await["company_id"], x["id"]);
    let people = get(app, &w.bob, &format!("/contacts?company_id={x_id}")).await;
    assert_eq!(people["total"], 1);
    // Both had a chat: the survivor keeps its own, the other's is archived (still readable).
    let kept = get(app, &w.bob, &format!("/chats/{x_chat}")).await;
    assert!(kept["archived_at"].is_null());
    let old = get(app, &w.bob, &format!("/chats/{y_chat}")).await;
    assert!(!old["archived_at"].is_null(), "{old}");
    let r = app
        .post(
            &format!("/chats/{y_chat}/messages"),
            tok(&w.bob),
            json!({"body": "ещё", "client_msg_id": "m1"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    // The company's address answers with the survivor.
    assert_eq!(get(app, &w.bob, &format!("/companies/{y_id}")).await["id"], x["id"]);
}

async fn only_those_who_may_edit_both_merge(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let a = id(&create(app, &w.bob, "contacts", json!({"name": "А", "phones": ["+79160000001"]})).await);
    let b = id(&create(app, &w.bob, "contacts", json!({"name": "Б", "phones": ["+79160000001"]})).await);
    let theirs = id(&create(app, &w.other, "contacts", json!({"name": "Чужой"})).await);
    let co = id(&create(app, &w.bob, "companies", json!({"name": "К"})).await);
    let co2 = id(&create(app, &w.bob, "companies", json!({"name": "К2"})).await);

    for (what, x, y) in [("contacts", a, b), ("companies", co, co2)] {
        let path = format!("/{what}/{x}/merge");
        app.post(&path, tok(&w.guest), json!({"from_id": y})).await.expect_error(403, "forbidden");
        // Another workspace's records: not found, whichever side they are on.
        app.post(&path, tok(&w.other), json!({"from_id": y})).await.expect_error(404, "not_found");
        let r = app.post(&format!("/{what}/{x}/merge"), tok(&w.bob), json!({"from_id": theirs})).await;
        r.expect_error(404, "not_found");
        let r = app.post(&format!("/contacts/{theirs}/merge"), tok(&w.bob), json!({"from_id": x})).await;
        r.expect_error(404, "not_found");
    }
    // Bob is made a guest: refused at once.
    app.call("PATCH", &format!("/users/{}", w.bob.user_id), tok(&w.owner), Some(json!({"role": "guest"})))
        .await
        .expect(200);
    let r = app.post(&format!("/contacts/{a}/merge"), tok(&w.bob), json!({"from_id": b})).await;
    r.expect_error(403, "forbidden");
    // A member deactivated: refused at once too.
    let carl = app.invite_user(&w.owner, "member", "carl@acme.test").await;
    app.post(&format!("/users/{}/deactivate", carl.user_id), tok(&w.owner), json!({})).await.expect(200);
    let r = app.post(&format!("/contacts/{a}/merge"), tok(&carl), json!({"from_id": b})).await;
    assert_eq!(r.status, 401, "{}", r.body);
    // Nothing was merged.
    assert_eq!(get(app, &w.owner, "/contacts").await["total"], 2);
}

async fn bad_input_is_refused_precisely(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let a = id(&create(app, &w.bob, "contacts", json!({"name": "А", "position": "x"})).await);
    let b = id(&create(app, &w.bob, "contacts", json!({"name": "Б"})).await);
    let path = format!("/contacts/{a}/merge");
    app.post(&path, tok(&w.bob), json!({"from_id": a})).await.expect_error(400, "same_record");
    app.post(&path, tok(&w.bob), json!({"from_id": Uuid::now_v7()})).await.expect_error(404, "not_found");
    let r =
        app.post(&format!("/contacts/{}/merge", Uuid::now_v7()), tok(&w.bob), json!({"from_id": b})).await;
    r.expect_error(404, "not_found");
    // A company id is not a contact.
    let co = id(&create(app, &w.bob, "companies", json!({"name": "К"})).await);
    app.post(&path, tok(&w.bob), json!({"from_id": co})).await.expect_error(404, "not_found");
    let r = app.post(&path, tok(&w.bob), json!({"from_id": b, "fields": {"website": "take"}})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "fields.website");
    let r = app.post(&path, tok(&w.bob), json!({"from_id": b, "fields": {"name": "both"}})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.post(&path, tok(&w.bob), json!({})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.post(&path, tok(&w.bob), json!({"from_id": b, "extra": 1})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    // Too many phones together.
    let many = |from: u32| (from..from + 11).map(|i| format!("+7916{i:07}")).collect::<Vec<_>>();
    let p = id(&create(app, &w.bob, "contacts", json!({"name": "П", "phones": many(0)})).await);
    let q = id(&create(app, &w.bob, "contacts", json!({"name": "Q", "phones": many(100)})).await);
    let r = app.post(&format!("/contacts/{p}/merge"), tok(&w.bob), json!({"from_id": q})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "phones");

    // An archived survivor is refused (restore it first); an archived duplicate merges.
    app.post(&format!("/contacts/{a}/archive"), tok(&w.bob), json!({})).await.expect(200);
    app.post(&path, tok(&w.bob), json!({"from_id": b})).await.expect_error(409, "archived");
    app.post(&format!("/contacts/{a}/restore"), tok(&w.bob), json!({})).await.expect(200);
    app.post(&format!("/contacts/{b}/archive"), tok(&w.bob), json!({})).await.expect(200);
    let r = app
        .post(&path, tok(&w.bob), json!({"from_id": b, "fields": {"name": "take", "position": "keep"}}))
        .await;
    r.expect(200);
    assert_eq!(r.body["name"], "Б");
    assert_eq!(r.body["position"], "x");
    assert!(r.body["archived_at"].is_null(), "the survivor stays live");
    // Merging again from the address that is gone: 404, it is not a record any more.
    app.post(&path, tok(&w.bob), json!({"from_id": b})).await.expect_error(404, "not_found");
}

on_every_backend!(
    contacts_merge_with_their_deals_tasks_chat_and_phones,
    companies_merge_with_their_people_and_picked_values,
    only_those_who_may_edit_both_merge,
    bad_input_is_refused_precisely,
);
