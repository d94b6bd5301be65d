//! Custom fields and record timelines over REST, from outside: admins define
//! fields per entity kind; deals, contacts and companies take values that are
//! checked (422 naming `custom.<key>`, nothing written), normalised and recorded
//! in history; members and guests may not define fields; another workspace sees
//! none of them. Timelines of contacts, companies and tasks merge history with the
//! record's chat; task chats open on demand. CSV export writes a column per
//! definition and import reads them back, checked like REST writes, the per-row
//! report naming the field. History and timelines page by an `(at, id)` cursor.

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

/// A CSV download as text.
async fn export(app: &TestApp, by: &Session, path: &str) -> String {
    let resp = app.http.get(app.url(path)).bearer_auth(&by.access_token).send().await.expect("request");
    assert_eq!(resp.status().as_u16(), 200);
    String::from_utf8(resp.bytes().await.expect("body").to_vec()).expect("utf-8")
}

async fn contact_fields(w: &World) {
    for body in [
        json!({"entity": "contact", "key": "budget", "label": "Бюджет", "kind": "money"}),
        json!({"entity": "contact", "key": "source", "label": "Источник", "kind": "list", "options": ["Сайт", "Звонок"]}),
        json!({"entity": "contact", "key": "channels", "label": "Каналы", "kind": "list",
               "options": ["Почта", "Телефон"], "multiple": true}),
        json!({"entity": "contact", "key": "signed_on", "label": "Договор", "kind": "date"}),
        json!({"entity": "contact", "key": "manager", "label": "Менеджер", "kind": "user"}),
        json!({"entity": "contact", "key": "score", "label": "Балл", "kind": "number"}),
        json!({"entity": "contact", "key": "site", "label": "Сайт", "kind": "link"}),
        json!({"entity": "contact", "key": "note", "label": "Заметка", "kind": "text"}),
    ] {
        define(w, body).await;
    }
}

async fn csv_export_and_import_carry_custom_fields(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    contact_fields(&w).await;
    let custom = json!({"budget": {"amount_minor": 150_050, "currency": "RUB"}, "source": "Звонок",
                        "channels": ["Телефон", "Почта"], "signed_on": "2026-12-01",
                        "manager": w.bob.user_id.to_string(), "score": 7.5,
                        "site": "https://romashka.example/", "note": "=не формула"});
    let r = app.post("/contacts", tok(&w.bob), json!({"name": "Пётр", "custom": custom})).await;
    r.expect(201);
    let original = r.body["custom"].clone();

    // Export: one column per definition, in the definitions' order, values as
    // people type them (users by e-mail, formulas guarded).
    let text = export(app, &w.bob, "/contacts/export.csv").await;
    let header = text.lines().next().expect("header");
    assert!(
        header.ends_with(
            ";created_at;custom.budget;custom.source;custom.channels;custom.signed_on;custom.manager;\
             custom.score;custom.site;custom.note"
        ),
        "{header}"
    );
    let row = text.lines().nth(1).expect("row");
    for cell in
        ["1500.50 RUB", ";Звонок;", "Телефон, Почта", "2026-12-01", "bob@acme.test", ";7.5;", "'=не формула"]
    {
        assert!(row.contains(cell), "{cell} in {row}");
    }

    // The export reads back as it was (its own headers, no mapping).
    let r = app.post("/contacts/import", tok(&w.bob), json!({"csv": text})).await;
    r.expect(200);
    assert_eq!(r.body["counts"]["imported"], 1, "{}", r.body);
    let copy = r.body["rows"][0]["id"].as_str().expect("id").to_string();
    let r = app.get(&format!("/contacts/{copy}"), &w.bob.access_token).await;
    assert_eq!(r.body["custom"], original);

    // Mapped columns of a hand-made file: each bad value is reported naming its field.
    let csv = "Имя;Бюджет;Источник;Дата;Менеджер;Балл;Каналы\n\
               Анна;1 200,50 rub;сайт;01.12.2026;BOB@acme.test;7,5;почта, телефон\n\
               Борис;сто RUB;;;;;\n\
               Вера;;Радио;;;;\n\
               Глеб;;;31.02.2026;;;\n\
               Дина;;;;nobody@acme.test;;\n\
               Егор;;;;;много;\n\
               Жанна;;;;;;Факс\n\
               Зоя;-5 RUB;;;;;\n";
    let mapping = json!({"Имя": "name", "Бюджет": "custom.budget", "Источник": "custom.source",
                         "Дата": "custom.signed_on", "Менеджер": "custom.manager", "Балл": "custom.score",
                         "Каналы": "custom.channels"});
    let r = app
        .post("/contacts/import", tok(&w.bob), json!({"csv": csv, "mapping": mapping, "delimiter": ";"}))
        .await;
    r.expect(200);
    assert_eq!(r.body["counts"]["imported"], 1, "{}", r.body);
    assert_eq!(r.body["counts"]["errors"], 7, "{}", r.body);
    let rows = r.body["rows"].as_array().expect("rows");
    let expected = [
        "",
        "custom.budget:",
        "custom.source:",
        "custom.signed_on:",
        "custom.manager:",
        "custom.score:",
        "custom.channels:",
        "custom.budget:",
    ];
    for (row, field) in rows.iter().zip(expected) {
        if field.is_empty() {
            assert_eq!(row["status"], "imported", "{row}");
        } else {
            assert_eq!(row["status"], "error", "{row}");
            assert!(row["reason"].as_str().expect("reason").starts_with(field), "{field}: {row}");
        }
    }
    let anna = rows[0]["id"].as_str().expect("id");
    let r = app.get(&format!("/contacts/{anna}"), &w.bob.access_token).await;
    assert_eq!(
        r.body["custom"],
        json!({"budget": {"amount_minor": 120_050, "currency": "RUB"}, "source": "Сайт", "signed_on": "2026-12-01",
               "manager": w.bob.user_id.to_string(), "score": 7.5, "channels": ["Почта", "Телефон"]})
    );

    // A mapping to a field that is not defined for contacts is refused whole.
    let r = app
        .post(
            "/contacts/import",
            tok(&w.bob),
            json!({"csv": "n;x\nA;1\n", "mapping": {"n": "name", "x": "custom.inn"}}),
        )
        .await;
    invalid_field(&r, "mapping");
    assert_eq!(app.get("/contacts", &w.bob.access_token).await.body["total"], 3, "nothing written");

    // Required fields bind imports as they bind REST: a row without it is an error.
    define(
        &w,
        json!({"entity": "contact", "key": "region", "label": "Регион", "kind": "text", "required": true}),
    )
    .await;
    let r = app
        .post("/contacts/import", tok(&w.bob), json!({"csv": "name;custom.region\nИра;Москва\nКира;\n"}))
        .await;
    r.expect(200);
    assert_eq!(r.body["counts"]["imported"], 1, "{}", r.body);
    assert_eq!(r.body["rows"][1]["status"], "error");
    assert!(r.body["rows"][1]["reason"].as_str().expect("reason").starts_with("custom.region: is required"));

    // Companies alike, with their own definitions.
    define(&w, json!({"entity": "company", "key": "inn", "label": "ИНН", "kind": "text"})).await;
    let r = app
        .post("/companies/import", tok(&w.bob),
              json!({"csv": "Название,ИНН\nАльфа,7707083893\n", "mapping": {"Название": "name", "ИНН": "custom.inn"}}))
        .await;
    r.expect(200);
    assert_eq!(r.body["counts"]["imported"], 1, "{}", r.body);
    let text = export(app, &w.bob, "/companies/export.csv?delimiter=comma").await;
    assert!(text.lines().next().expect("header").ends_with(",created_at,custom.inn"), "{text}");
    assert!(text.lines().nth(1).expect("row").ends_with(",7707083893"), "{text}");
    let r = app.post("/companies/import", tok(&w.bob), json!({"csv": "name,custom.budget\nБета,1\n"})).await;
    r.expect(200);
    assert_eq!(r.body["counts"]["imported"], 1, "a contact's field is no company column: {}", r.body);

    // A contact's company column creates companies only as `POST /companies` would:
    // with a required company field and no way to fill it, that row is refused.
    define(&w, json!({"entity": "company", "key": "kpp", "label": "КПП", "kind": "text", "required": true}))
        .await;
    let companies_before = app.get("/companies", &w.bob.access_token).await.body["total"].clone();
    let r = app
        .post(
            "/contacts/import",
            tok(&w.bob),
            json!({"csv": "name;company;custom.region\nЛена;Новая фирма;Тверь\nОля;Альфа;Тверь\n"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["rows"][0]["status"], "error", "{}", r.body);
    let why = r.body["rows"][0]["reason"].as_str().expect("reason");
    assert!(why.contains("Новая фирма") && why.contains("custom.kpp"), "{why}");
    assert_eq!(r.body["rows"][1]["status"], "imported", "an existing company is linked: {}", r.body);
    assert_eq!(
        app.get("/companies", &w.bob.access_token).await.body["total"],
        companies_before,
        "none created"
    );
}

/// Follows `before`/`before_id` from page to page and returns every item's id.
async fn page_through(
    app: &TestApp,
    by: &Session,
    path: &str,
    limit: usize,
    id_of: fn(&Value) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut query = String::new();
    loop {
        let r = app.get(&format!("{path}?limit={limit}{query}"), &by.access_token).await;
        r.expect(200);
        let items = r.body.as_array().expect("array").clone();
        out.extend(items.iter().map(id_of));
        if items.len() < limit {
            return out;
        }
        let last = items.last().expect("item");
        let at = last["at"].as_str().expect("at").replace('+', "%2B");
        query = format!("&before={at}&before_id={}", id_of(last));
        assert!(out.len() < 100, "paging does not end: {out:?}");
    }
}

async fn history_and_timelines_page_by_cursor(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    // One edit of several fields writes entries sharing one moment; a page may end between them.
    let r = app.post("/contacts", tok(&w.bob), json!({"name": "Пётр"})).await;
    let contact = id(&r.body);
    app.call(
        "PATCH",
        &format!("/contacts/{contact}"),
        tok(&w.bob),
        Some(json!({"position": "CEO", "address": "Москва", "source": "сайт", "notes": "x", "tags": ["a"]})),
    )
    .await
    .expect(200);
    let r = app.post("/chats/entity", tok(&w.bob), json!({"kind": "contact", "id": contact})).await;
    let chat = id(&r.body);
    for i in 0..3 {
        app.post(&format!("/chats/{chat}/messages"), tok(&w.bob), json!({"body": format!("m{i}")}))
            .await
            .expect(201);
    }
    app.call(
        "PATCH",
        &format!("/contacts/{contact}"),
        tok(&w.bob),
        Some(json!({"position": "CTO", "tags": ["b"]})),
    )
    .await
    .expect(200);

    let history = format!("/contacts/{contact}/history");
    let all: Vec<String> = app
        .get(&format!("{history}?limit=200"), &w.bob.access_token)
        .await
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(id)
        .collect();
    assert_eq!(all.len(), 8, "created + 5 + 2");
    for limit in [1, 2, 3] {
        assert_eq!(page_through(app, &w.bob, &history, limit, id).await, all, "limit {limit}");
    }

    let change_or_message = |i: &Value| -> String {
        if i["type"] == "change" {
            id(&i["change"])
        } else {
            id(&i["message"])
        }
    };
    let timeline = format!("/contacts/{contact}/timeline");
    let everything: Vec<String> = app
        .get(&format!("{timeline}?limit=200"), &w.bob.access_token)
        .await
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(change_or_message)
        .collect();
    // Exactly the contact's changes and its chat's messages, each once.
    let messages: Vec<String> = app
        .get(&format!("/chats/{chat}/messages?limit=200"), &w.bob.access_token)
        .await
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(id)
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    let mut expected: Vec<String> = all.iter().chain(&messages).cloned().collect();
    expected.sort();
    let mut got = everything.clone();
    got.sort();
    assert_eq!(got, expected, "8 changes and 3 messages");
    for limit in [1, 2, 5] {
        assert_eq!(
            page_through(app, &w.bob, &timeline, limit, change_or_message).await,
            everything,
            "limit {limit}"
        );
    }

    // Deals and tasks page the same way.
    let r = app.post("/deals", tok(&w.bob), json!({"title": "Сделка"})).await;
    let deal = r.body.clone();
    app.call(
        "PATCH",
        &format!("/deals/{}", id(&deal)),
        tok(&w.bob),
        Some(json!({"version": 1, "title": "Сделка 2", "amount_minor": 5, "tags": ["x"]})),
    )
    .await
    .expect(200);
    let path = format!("/deals/{}/history", id(&deal));
    let all: Vec<String> = app
        .get(&format!("{path}?limit=200"), &w.bob.access_token)
        .await
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(id)
        .collect();
    assert_eq!(page_through(app, &w.bob, &path, 1, id).await, all);
    let path = format!("/deals/{}/timeline", id(&deal));
    let all: Vec<String> = app
        .get(&format!("{path}?limit=200"), &w.bob.access_token)
        .await
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(change_or_message)
        .collect();
    assert_eq!(page_through(app, &w.bob, &path, 2, change_or_message).await, all);
    let r = app.post("/tasks", tok(&w.bob), json!({"title": "Позвонить"})).await;
    let task = id(&r.body);
    app.call(
        "PATCH",
        &format!("/tasks/{task}"),
        tok(&w.bob),
        Some(json!({"version": 1, "title": "Перезвонить", "priority": "high"})),
    )
    .await
    .expect(200);
    let path = format!("/tasks/{task}/history");
    let all: Vec<String> = app
        .get(&format!("{path}?limit=200"), &w.bob.access_token)
        .await
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(id)
        .collect();
    assert_eq!(all.len(), 3);
    assert_eq!(page_through(app, &w.bob, &path, 1, id).await, all);

    // A cursor id without its time is refused naming the field.
    let r = app.get(&format!("{history}?before_id={}", all[0]), &w.bob.access_token).await;
    invalid_field(&r, "before");
    let r = app.get(&format!("{timeline}?before=yesterday"), &w.bob.access_token).await;
    r.expect_error(400, "invalid_query");
}

on_every_backend!(
    defines_fields_and_checks_deal_values,
    required_fields_and_definition_edits,
    bad_definitions_and_who_may_define,
    timelines_of_clients_and_tasks,
    csv_export_and_import_carry_custom_fields,
    history_and_timelines_page_by_cursor,
);
