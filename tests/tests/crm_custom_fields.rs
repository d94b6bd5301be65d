//! Custom fields and record timelines over REST, from outside: admins define
//! fields per entity kind; deals, contacts and companies take values that are
//! checked (422 naming `custom.<key>`, nothing written), normalised and recorded
//! in history; members and guests may not define fields; another workspace sees
//! none of them. Timelines of contacts, companies and tasks merge history with the
//! record's chat; task chats open on demand.

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};

struct World {
    app: TestApp,
    owner: Session,
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

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

async fn define(w: &World, body: Value) -> Value {
    let r = w.app.post("/custom-fields", tok(&w.owner), body).await;
    r.expect(201);
    r.body
}

#[track_caller]
fn invalid_field(r: &Resp, field: &str) {
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], json!(field), "{}", r.body);
}

async fn defines_fields_and_checks_deal_values(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let budget =
        define(&w, json!({"entity": "deal", "key": "budget", "label": "Бюджет", "kind": "money"})).await;
    define(
        &w,
        json!({"entity": "deal", "key": "source", "label": "Источник", "kind": "list",
               "options": ["Сайт", "Звонок", "Выставка"]}),
    )
    .await;
    define(&w, json!({"entity": "deal", "key": "signed_on", "label": "Signed on", "kind": "date"})).await;
    define(&w, json!({"entity": "deal", "key": "manager", "label": "Manager", "kind": "user"})).await;
    define(&w, json!({"entity": "deal", "key": "site", "label": "Site", "kind": "link"})).await;
    assert_eq!(budget["position"], json!(0));

    // Everyone reads the definitions, in order; the kind filter works.
    let r = app.get("/custom-fields?entity=deal", &w.bob.access_token).await;
    r.expect(200);
    let keys: Vec<&str> = r.body.as_array().unwrap().iter().map(|d| d["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["budget", "source", "signed_on", "manager", "site"]);
    app.get("/custom-fields?entity=contact", &w.bob.access_token).await.expect(200);
    assert_eq!(app.get("/custom-fields?entity=contact", &w.bob.access_token).await.body, json!([]));

    // Values are normalised on the way in.
    let r = app
        .post(
            "/deals",
            tok(&w.bob),
            json!({"title": "Поставка", "custom": {
                "budget": {"amount_minor": 1_500_000, "currency": "rub"},
                "source": "сайт", "signed_on": "2026-12-01",
                "manager": w.bob.user_id.to_string(), "site": "https://romashka.example/"}}),
        )
        .await;
    r.expect(201);
    let deal = r.body.clone();
    assert_eq!(deal["custom"]["budget"], json!({"amount_minor": 1_500_000, "currency": "RUB"}));
    assert_eq!(deal["custom"]["source"], json!("Сайт"));

    // Bad values: 422 naming the field, nothing written.
    let path = format!("/deals/{}", id(&deal));
    for (custom, field) in [
        (json!({"source": "Радио"}), "custom.source"),
        (json!({"budget": {"amount_minor": -5, "currency": "RUB"}}), "custom.budget"),
        (json!({"budget": 100}), "custom.budget"),
        (json!({"signed_on": "завтра"}), "custom.signed_on"),
        (json!({"site": "javascript:alert(1)"}), "custom.site"),
        (json!({"manager": w.guest.user_id.to_string().replace('-', "x")}), "custom.manager"),
        (json!({"manager": uuid::Uuid::now_v7().to_string()}), "custom.manager"),
        (json!({"unknown_key": 1}), "custom.unknown_key"),
    ] {
        let r = app
            .call("PATCH", &path, tok(&w.bob), Some(json!({"version": deal["version"], "custom": custom})))
            .await;
        invalid_field(&r, field);
    }
    let r = app.get(&path, &w.bob.access_token).await;
    assert_eq!(r.body["version"], deal["version"], "a refused change wrote nothing");
    assert_eq!(r.body["custom"], deal["custom"]);

    // A change merges: null clears one key, others stay; history records it.
    let r = app
        .call(
            "PATCH",
            &path,
            tok(&w.bob),
            Some(json!({"version": deal["version"], "custom": {"source": "Выставка", "site": null}})),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["custom"]["source"], json!("Выставка"));
    assert!(r.body["custom"].get("site").is_none());
    assert_eq!(r.body["custom"]["budget"]["amount_minor"], json!(1_500_000));
    let h = app.get(&format!("{path}/history"), &w.bob.access_token).await;
    let fields: Vec<&str> = h.body.as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"custom.source") && fields.contains(&"custom.site"), "{fields:?}");
}

async fn required_fields_and_definition_edits(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let f = define(
        &w,
        json!({"entity": "contact", "key": "segment", "label": "Segment", "kind": "list",
               "options": ["A", "B"], "multiple": true, "required": true}),
    )
    .await;
    // Required: a contact without it is refused, with it accepted (several choices).
    invalid_field(&app.post("/contacts", tok(&w.bob), json!({"name": "Иван"})).await, "custom.segment");
    let r =
        app.post("/contacts", tok(&w.bob), json!({"name": "Иван", "custom": {"segment": ["b", "A"]}})).await;
    r.expect(201);
    assert_eq!(r.body["custom"]["segment"], json!(["B", "A"]));
    let contact = id(&r.body);
    // It cannot be cleared while required.
    let r = app
        .call(
            "PATCH",
            &format!("/contacts/{contact}"),
            tok(&w.bob),
            Some(json!({"custom": {"segment": null}})),
        )
        .await;
    invalid_field(&r, "custom.segment");

    // Admin edits the definition: new options, no longer required.
    let r = app
        .call(
            "PATCH",
            &format!("/custom-fields/{}", id(&f)),
            tok(&w.owner),
            Some(json!({"options": ["A", "B", "C"], "required": false, "label": "Сегмент"})),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["label"], json!("Сегмент"));
    let r = app
        .call(
            "PATCH",
            &format!("/contacts/{contact}"),
            tok(&w.bob),
            Some(json!({"custom": {"segment": ["C"]}})),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["custom"]["segment"], json!(["C"]));

    // Companies have their own fields: the contact's key is unknown there.
    let r = app
        .post("/companies", tok(&w.bob), json!({"name": "ООО Ромашка", "custom": {"segment": ["A"]}}))
        .await;
    invalid_field(&r, "custom.segment");

    // Deleting the definition: the next edit drops the orphaned value.
    app.call("DELETE", &format!("/custom-fields/{}", id(&f)), tok(&w.owner), None).await.expect(204);
    let r =
        app.call("PATCH", &format!("/contacts/{contact}"), tok(&w.bob), Some(json!({"custom": {}}))).await;
    r.expect(200);
    assert_eq!(r.body["custom"], json!({}));
}

async fn bad_definitions_and_who_may_define(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let good = json!({"entity": "deal", "key": "budget", "label": "Budget", "kind": "number"});
    // Members and guests may not define, edit or delete.
    app.post("/custom-fields", tok(&w.bob), good.clone()).await.expect_error(403, "forbidden");
    app.post("/custom-fields", tok(&w.guest), good.clone()).await.expect_error(403, "forbidden");
    let f = define(&w, good.clone()).await;
    let path = format!("/custom-fields/{}", id(&f));
    app.call("PATCH", &path, tok(&w.bob), Some(json!({"label": "x"}))).await.expect_error(403, "forbidden");
    app.call("DELETE", &path, tok(&w.bob), None).await.expect_error(403, "forbidden");
    // Same key twice: 409.
    app.post("/custom-fields", tok(&w.owner), good.clone()).await.expect_error(409, "duplicate_key");
    // Bad input: 422 naming the field.
    for (body, field) in [
        (json!({"entity": "deal", "key": "Bad Key", "label": "x", "kind": "text"}), "key"),
        (json!({"entity": "deal", "key": "k", "label": "", "kind": "text"}), "label"),
        (json!({"entity": "deal", "key": "k", "label": "x", "kind": "list"}), "options"),
        (json!({"entity": "deal", "key": "k", "label": "x", "kind": "text", "options": ["a"]}), "options"),
        (json!({"entity": "deal", "key": "k", "label": "x", "kind": "text", "multiple": true}), "multiple"),
        (json!({"entity": "task", "key": "k", "label": "x", "kind": "text"}), "entity"),
    ] {
        invalid_field(&app.post("/custom-fields", tok(&w.owner), body).await, field);
    }
    app.post(
        "/custom-fields",
        tok(&w.owner),
        json!({"entity": "deal", "key": "k", "label": "x", "kind": "colour"}),
    )
    .await
    .expect(422);
    app.get("/custom-fields?entity=planet", &w.owner.access_token).await.expect_error(400, "invalid_query");

    // Another workspace sees none of it and cannot touch it.
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    assert_eq!(app.get("/custom-fields", &other.access_token).await.body, json!([]));
    app.call("PATCH", &path, tok(&other), Some(json!({"label": "x"}))).await.expect_error(404, "not_found");
    app.call("DELETE", &path, tok(&other), None).await.expect_error(404, "not_found");
    let r = app.post("/deals", tok(&other), json!({"title": "Их сделка", "custom": {"budget": 5}})).await;
    invalid_field(&r, "custom.budget");
}

async fn timelines_of_clients_and_tasks(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    // Contact: history + its chat's messages, newest first.
    let r = app.post("/contacts", tok(&w.bob), json!({"name": "Пётр"})).await;
    r.expect(201);
    let contact = id(&r.body);
    let r = app.post("/chats/entity", tok(&w.bob), json!({"kind": "contact", "id": contact})).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.body);
    let chat = id(&r.body);
    app.clock.advance(chrono::Duration::seconds(5));
    app.post(&format!("/chats/{chat}/messages"), tok(&w.bob), json!({"body": "Звонил, ждёт КП"}))
        .await
        .expect(201);
    app.clock.advance(chrono::Duration::seconds(5));
    app.call("PATCH", &format!("/contacts/{contact}"), tok(&w.bob), Some(json!({"position": "CEO"})))
        .await
        .expect(200);
    let r = app.get(&format!("/contacts/{contact}/timeline"), &w.bob.access_token).await;
    r.expect(200);
    let items = r.body.as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds[0], "change", "{}", r.body);
    assert_eq!(items[0]["change"]["field"], json!("position"));
    assert!(items.iter().any(|i| i["type"] == "message" && i["message"]["body"] == json!("Звонил, ждёт КП")));
    // Guests do not see clients, nor their timelines.
    app.get(&format!("/contacts/{contact}/timeline"), &w.guest.access_token).await.expect(403);

    // Company timeline without a chat: just history.
    let r = app.post("/companies", tok(&w.bob), json!({"name": "ООО Ромашка"})).await;
    let company = id(&r.body);
    let r = app.get(&format!("/companies/{company}/timeline"), &w.owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body[0]["change"]["field"], json!("created"));

    // Task: its chat opens on demand with creator and assignee as members.
    let r = app
        .post("/tasks", tok(&w.bob), json!({"title": "Подготовить КП", "assignees": [w.owner.user_id]}))
        .await;
    r.expect(201);
    let task = id(&r.body);
    let r = app.post("/chats/entity", tok(&w.owner), json!({"kind": "task", "id": task})).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.body);
    let chat = id(&r.body);
    let members = app.get(&format!("/chats/{chat}/members"), &w.owner.access_token).await;
    let member_ids: Vec<String> =
        members.body.as_array().unwrap().iter().map(|m| m["user_id"].as_str().unwrap().to_string()).collect();
    assert!(
        member_ids.contains(&w.bob.user_id.to_string()) && member_ids.contains(&w.owner.user_id.to_string())
    );
    app.post(&format!("/chats/{chat}/messages"), tok(&w.bob), json!({"body": "Готово к пятнице"}))
        .await
        .expect(201);
    let r = app.get(&format!("/tasks/{task}/timeline"), &w.bob.access_token).await;
    r.expect(200);
    assert!(r.body.as_array().unwrap().iter().any(|i| i["message"]["body"] == json!("Готово к пятнице")));
    // A guest who is not on the task sees neither the task nor its chat or timeline.
    app.get(&format!("/tasks/{task}/timeline"), &w.guest.access_token).await.expect_error(404, "not_found");
    let r = app.post("/chats/entity", tok(&w.guest), json!({"kind": "task", "id": task})).await;
    r.expect_error(404, "not_found");
    // Bad input: limits.
    app.get(&format!("/tasks/{task}/timeline?limit=0"), &w.bob.access_token).await.expect(422);
    app.get(&format!("/tasks/{task}/timeline?limit=abc"), &w.bob.access_token)
        .await
        .expect_error(400, "invalid_query");
}

on_every_backend!(
    defines_fields_and_checks_deal_values,
    required_fields_and_definition_edits,
    bad_definitions_and_who_may_define,
    timelines_of_clients_and_tasks,
);
