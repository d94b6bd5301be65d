//! Clients over REST, from outside: contacts and companies, duplicate warnings
//! (phones written differently, e-mails in another case), filters, sorting and
//! paging, archive and restore, delete (admins; deals lose the link), history, who
//! may do what (guests nothing, another workspace 404), bad input, and CSV export
//! and import (Cyrillic round trip, per-row report, dry run, mapping errors, limits).

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

// ---- World and helpers -----------------------------------------------------------

/// One server with a workspace, an admin, a member, a guest, and a second workspace.
struct World {
    app: TestApp,
    owner: Session,
    admin: Session,
    bob: Session,
    guest: Session,
    other: Session,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    World { app, owner, admin, bob, guest, other }
}

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {items}"))
        .iter()
        .map(|v| v["name"].as_str().expect("name").to_string())
        .collect()
}

fn advance(app: &TestApp, secs: i64) {
    app.clock.advance(chrono::Duration::seconds(secs));
}

async fn create(app: &TestApp, by: &Session, what: &str, body: Value) -> Value {
    let r = app.post(&format!("/{what}"), tok(by), body).await;
    r.expect(201);
    r.body.clone()
}

async fn patch(app: &TestApp, by: &Session, path: &str, body: Value) -> Resp {
    app.call("PATCH", path, tok(by), Some(body)).await
}

async fn list(app: &TestApp, by: &Session, path: &str) -> Value {
    let r = app.get(path, &by.access_token).await;
    r.expect(200);
    r.body.clone()
}

/// A CSV download: status, content type and the raw text.
async fn download(app: &TestApp, by: &Session, path: &str) -> (u16, String, Vec<u8>) {
    let resp = app.http.get(app.url(path)).bearer_auth(&by.access_token).send().await.expect("request");
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, ct, resp.bytes().await.expect("body").to_vec())
}

fn dup_ids(saved: &Value) -> Vec<Uuid> {
    saved["duplicates"].as_array().expect("duplicates").iter().map(id).collect()
}

// ---- CRUD ------------------------------------------------------------------------

async fn contacts_are_created_read_edited_and_listed(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let company =
        create(app, &w.bob, "companies", json!({"name": "ООО «Ромашка»", "website": "romashka.ru"})).await;
    assert_eq!(company["owner_id"], json!(w.bob.user_id));
    let c = create(
        app,
        &w.bob,
        "contacts",
        json!({"name": "  Иван Петров ", "phones": ["8 (916) 123-45-67"], "emails": ["Ivan@Example.RU"],
               "position": "Директор", "company_id": id(&company), "tags": ["VIP", "опт"],
               "source": "сайт", "notes": "звонить после 11"}),
    )
    .await;
    assert_eq!(c["name"], "Иван Петров");
    assert_eq!(c["phones"], json!([{"raw": "8 (916) 123-45-67", "e164": "+79161234567"}]));
    assert_eq!(c["emails"], json!(["ivan@example.ru"]));
    assert_eq!(c["tags"], json!(["vip", "опт"]));
    assert_eq!(c["owner_id"], json!(w.bob.user_id));
    assert_eq!(c["created_by"], json!(w.bob.user_id));
    assert_eq!(c["company_id"], json!(id(&company)));
    assert_eq!(c["duplicates"], json!([]));
    assert!(c["archived_at"].is_null());
    let cid = id(&c);

    let r = app.get(&format!("/contacts/{cid}"), &w.owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body["name"], "Иван Петров");
    assert!(r.body.get("duplicates").is_none(), "a read has no duplicates: {}", r.body);

    // Absent fields stay, null clears, lists are replaced.
    advance(app, 60);
    let r = patch(
        app,
        &w.bob,
        &format!("/contacts/{cid}"),
        json!({"name": "Иван Сергеевич Петров", "position": null, "company_id": null,
               "phones": ["+7 916 123 45 67", "+1 (415) 555-2671"], "owner_id": w.admin.user_id}),
    )
    .await;
    r.expect(200);
    assert_eq!(r.body["name"], "Иван Сергеевич Петров");
    assert!(r.body["position"].is_null());
    assert!(r.body["company_id"].is_null());
    assert_eq!(r.body["emails"], json!(["ivan@example.ru"]));
    assert_eq!(r.body["phones"][1]["e164"], "+14155552671");
    assert_eq!(r.body["owner_id"], json!(w.admin.user_id));
    assert_ne!(r.body["updated_at"], c["updated_at"]);

    // Owner null: nobody; a contact may also be created without an owner.
    let r = patch(app, &w.bob, &format!("/contacts/{cid}"), json!({"owner_id": null})).await;
    r.expect(200);
    assert!(r.body["owner_id"].is_null());
    let n = create(app, &w.bob, "contacts", json!({"name": "Без владельца", "owner_id": null})).await;
    assert!(n["owner_id"].is_null());

    let page = list(app, &w.bob, "/contacts").await;
    assert_eq!(page["total"], 2);
    assert_eq!(names(&page["items"]), vec!["Без владельца", "Иван Сергеевич Петров"]);

    let page = list(app, &w.bob, "/companies").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["website"], "romashka.ru");
    let r =
        patch(app, &w.bob, &format!("/companies/{}", id(&company)), json!({"website": null, "notes": "x"}))
            .await;
    r.expect(200);
    assert!(r.body["website"].is_null());
    assert_eq!(r.body["notes"], "x");
}

// ---- Duplicates ------------------------------------------------------------------

async fn duplicates_are_warnings_matched_in_any_format(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let a = create(
        app,
        &w.bob,
        "contacts",
        json!({"name": "Анна", "phones": ["+79161234567"],
                                                   "emails": ["anna@firm.ru"]}),
    )
    .await;
    assert_eq!(a["duplicates"], json!([]));
    // Same number written the Russian way: created, with a warning.
    let b =
        create(app, &w.bob, "contacts", json!({"name": "Анна К.", "phones": ["8 (916) 123-45-67"]})).await;
    assert_eq!(dup_ids(&b), vec![id(&a)]);
    assert_eq!(b["duplicates"][0]["matched_on"], json!(["phone"]));
    assert_eq!(b["duplicates"][0]["name"], "Анна");
    // Same e-mail in another case.
    let c = create(app, &w.bob, "contacts", json!({"name": "Другая", "emails": ["ANNA@Firm.RU"]})).await;
    assert_eq!(dup_ids(&c), vec![id(&a)]);
    assert_eq!(c["duplicates"][0]["matched_on"], json!(["email"]));
    // Contacts do not duplicate by name alone.
    let d = create(app, &w.bob, "contacts", json!({"name": "Анна"})).await;
    assert_eq!(d["duplicates"], json!([]));

    // An edit reports the others, never the record itself.
    let r = patch(app, &w.bob, &format!("/contacts/{}", id(&a)), json!({"notes": "n"})).await;
    r.expect(200);
    let mut got = dup_ids(&r.body);
    got.sort();
    let mut want = vec![id(&b), id(&c)];
    want.sort();
    assert_eq!(got, want);
    let r = patch(app, &w.bob, &format!("/contacts/{}", id(&b)), json!({"phones": []})).await;
    r.expect(200);
    assert_eq!(r.body["duplicates"], json!([]));

    // The form check: phones in any format, e-mails in any case, archived ones too.
    app.post(&format!("/contacts/{}/archive", id(&c)), tok(&w.bob), json!({})).await.expect(200);
    let r = app
        .post(
            "/contacts/duplicates",
            tok(&w.bob),
            json!({"phones": ["8-916-123-45-67"], "emails": ["anna@FIRM.ru"]}),
        )
        .await;
    r.expect(200);
    let found: Vec<Uuid> = r.body.as_array().expect("array").iter().map(id).collect();
    assert_eq!(found.len(), 2, "{}", r.body);
    assert!(found.contains(&id(&a)) && found.contains(&id(&c)));
    let anna = r.body.as_array().expect("array").iter().find(|v| id(v) == id(&a)).cloned().expect("a");
    assert_eq!(anna["matched_on"], json!(["phone", "email"]));
    let r = app
        .post("/contacts/duplicates", tok(&w.bob), json!({"phones": [], "emails": [], "name": "анна"}))
        .await;
    r.expect(200);
    let mut found: Vec<Uuid> = r.body.as_array().expect("array").iter().map(id).collect();
    found.sort();
    let mut want = vec![id(&a), id(&d)];
    want.sort();
    assert_eq!(found, want);
    let r = app.post("/contacts/duplicates", tok(&w.bob), json!({"phones": ["+7 495 765-43-21"]})).await;
    r.expect(200);
    assert_eq!(r.body, json!([]));
    let r = app.post("/contacts/duplicates", tok(&w.bob), json!({"phones": ["12"]})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "phones");

    // Companies also duplicate by name (case-insensitive).
    let x = create(app, &w.bob, "companies", json!({"name": "ООО Ромашка", "phones": ["+7 495 123-45-67"]}))
        .await;
    let y = create(app, &w.bob, "companies", json!({"name": "ооо ромашка"})).await;
    assert_eq!(dup_ids(&y), vec![id(&x)]);
    assert_eq!(y["duplicates"][0]["matched_on"], json!(["name"]));
    let z = create(app, &w.bob, "companies", json!({"name": "Ромашка-2", "phones": ["84951234567"]})).await;
    assert_eq!(dup_ids(&z), vec![id(&x)]);
    let r = app.post("/companies/duplicates", tok(&w.bob), json!({"name": "ООО РОМАШКА"})).await;
    r.expect(200);
    assert_eq!(r.body.as_array().expect("array").len(), 2);
}

// ---- Filters, sorting, paging ----------------------------------------------------

async fn lists_filter_sort_and_page(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let firm = create(app, &w.owner, "companies", json!({"name": "Firm"})).await;
    let firm_id = id(&firm);
    let mut ids = Vec::new();
    for (name, extra) in [
        ("Анна", json!({"tags": ["VIP"], "owner_id": w.bob.user_id})),
        ("Борис", json!({"emails": ["boris@firm.ru"], "company_id": firm_id})),
        ("Вера", json!({"phones": ["+7 916 555-44-33"], "tags": ["vip"]})),
        ("Глеб", json!({"owner_id": w.bob.user_id, "company_id": firm_id})),
        ("Дарья", json!({})),
    ] {
        advance(app, 60);
        let mut body = extra;
        body["name"] = json!(name);
        ids.push(id(&create(app, &w.owner, "contacts", body).await));
    }
    let all = list(app, &w.owner, "/contacts").await;
    assert_eq!(names(&all["items"]), vec!["Анна", "Борис", "Вера", "Глеб", "Дарья"]);
    assert_eq!(all["total"], 5);

    let q = |query: &str| format!("/contacts?{query}");
    let page = list(app, &w.owner, &q("sort=name_desc")).await;
    assert_eq!(names(&page["items"]), vec!["Дарья", "Глеб", "Вера", "Борис", "Анна"]);
    let page = list(app, &w.owner, &q("sort=created_desc")).await;
    assert_eq!(names(&page["items"]), vec!["Дарья", "Глеб", "Вера", "Борис", "Анна"]);
    let page = list(app, &w.owner, &q("sort=created_asc&limit=2&offset=2")).await;
    assert_eq!(names(&page["items"]), vec!["Вера", "Глеб"]);
    assert_eq!(page["total"], 5);
    let page = list(app, &w.owner, &q("limit=2&offset=4")).await;
    assert_eq!(names(&page["items"]), vec!["Дарья"]);
    assert_eq!(page["total"], 5);
    advance(app, 60);
    patch(app, &w.owner, &format!("/contacts/{}", ids[1]), json!({"notes": "touched"})).await.expect(200);
    let page = list(app, &w.owner, &q("sort=updated_desc&limit=1")).await;
    assert_eq!(names(&page["items"]), vec!["Борис"]);

    let page = list(app, &w.owner, &q(&format!("owner_id={}", w.bob.user_id))).await;
    assert_eq!(names(&page["items"]), vec!["Анна", "Глеб"]);
    assert_eq!(page["total"], 2);
    let page = list(app, &w.owner, &q("tag=VIP")).await;
    assert_eq!(names(&page["items"]), vec!["Анна", "Вера"]);
    let page = list(app, &w.owner, &q("text=ар")).await;
    assert_eq!(names(&page["items"]), vec!["Дарья"]);
    let page = list(app, &w.owner, &q("text=FIRM.ru")).await;
    assert_eq!(names(&page["items"]), vec!["Борис"]);
    let page = list(app, &w.owner, &q("text=555-44")).await;
    assert_eq!(names(&page["items"]), vec!["Вера"]);
    let page = list(app, &w.owner, &q(&format!("company_id={firm_id}"))).await;
    assert_eq!(names(&page["items"]), vec!["Борис", "Глеб"]);
    // Created 09:01 … 09:05; the upper bound is exclusive.
    let page =
        list(app, &w.owner, &q("created_from=2026-11-23T09:02:00Z&created_to=2026-11-23T09:04:00Z")).await;
    assert_eq!(names(&page["items"]), vec!["Борис", "Вера"]);

    app.post(&format!("/contacts/{}/archive", ids[4]), tok(&w.bob), json!({})).await.expect(200);
    let page = list(app, &w.owner, "/contacts").await;
    assert_eq!(page["total"], 4);
    let page = list(app, &w.owner, &q("include_archived=true")).await;
    assert_eq!(page["total"], 5);

    for bad in ["limit=0", "limit=201", "offset=-1"] {
        let r = app.get(&q(bad), &w.owner.access_token).await;
        r.expect_error(422, "invalid_input");
    }
    for bad in ["sort=price", "created_from=yesterday", "owner_id=nope", "colour=red"] {
        let r = app.get(&q(bad), &w.owner.access_token).await;
        r.expect_error(400, "invalid_query");
    }
    let page = list(app, &w.owner, "/companies?text=fir&sort=created_desc").await;
    assert_eq!(names(&page["items"]), vec!["Firm"]);
}

// ---- Archive, delete, history ----------------------------------------------------

async fn archive_restore_and_history(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let c = create(app, &w.bob, "contacts", json!({"name": "Олег", "phones": ["+79161112233"]})).await;
    let cid = id(&c);
    advance(app, 10);
    patch(app, &w.bob, &format!("/contacts/{cid}"), json!({"name": "Олег Иванов", "tags": ["Опт"]}))
        .await
        .expect(200);
    // A change that changes nothing writes nothing.
    patch(app, &w.bob, &format!("/contacts/{cid}"), json!({"name": "Олег Иванов"})).await.expect(200);
    advance(app, 10);
    let r = app.post(&format!("/contacts/{cid}/archive"), tok(&w.bob), json!({})).await;
    r.expect(200);
    assert!(r.body["archived_at"].is_string());
    // Again: no second entry.
    app.post(&format!("/contacts/{cid}/archive"), tok(&w.bob), json!({})).await.expect(200);
    assert_eq!(list(app, &w.bob, "/contacts").await["total"], 0);
    let r = app.get(&format!("/contacts/{cid}"), &w.bob.access_token).await;
    r.expect(200);
    advance(app, 10);
    let r = app.call("POST", &format!("/contacts/{cid}/restore"), tok(&w.bob), None).await;
    r.expect(200);
    assert!(r.body["archived_at"].is_null());
    assert_eq!(list(app, &w.bob, "/contacts").await["total"], 1);

    let h = list(app, &w.owner, &format!("/contacts/{cid}/history")).await;
    let fields: Vec<&str> =
        h.as_array().expect("array").iter().map(|e| e["field"].as_str().expect("field")).collect();
    // Newest first; name and tags changed in one edit, at one time.
    assert_eq!(fields.len(), 5, "{h}");
    assert_eq!(fields[..2], ["restored", "archived"]);
    let mut middle = vec![fields[2], fields[3]];
    middle.sort();
    assert_eq!(middle, vec!["name", "tags"]);
    assert_eq!(fields[4], "created");
    let entries = h.as_array().expect("array");
    let name = entries.iter().find(|e| e["field"] == "name").expect("name entry");
    assert_eq!(name["old"], "Олег");
    assert_eq!(name["new"], "Олег Иванов");
    assert_eq!(name["actor_id"], json!(w.bob.user_id));
    assert_eq!(entries[4]["new"]["name"], "Олег");
    assert_eq!(entries[4]["new"]["phones"][0]["e164"], "+79161112233");
    let page = list(app, &w.owner, &format!("/contacts/{cid}/history?limit=2")).await;
    assert_eq!(page.as_array().expect("array").len(), 2);

    // Companies alike.
    let co = create(app, &w.bob, "companies", json!({"name": "Альфа"})).await;
    app.post(&format!("/companies/{}/archive", id(&co)), tok(&w.bob), json!({})).await.expect(200);
    let h = list(app, &w.bob, &format!("/companies/{}/history", id(&co))).await;
    let fields: Vec<&str> =
        h.as_array().expect("array").iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(fields, vec!["archived", "created"]);
}

async fn only_admins_delete_and_deals_lose_the_link(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let co = create(app, &w.bob, "companies", json!({"name": "Бета"})).await;
    let c = create(app, &w.bob, "contacts", json!({"name": "Павел", "company_id": id(&co)})).await;
    let r = app
        .post(
            "/deals",
            tok(&w.bob),
            json!({"title": "Поставка", "contact_id": id(&c), "company_id": id(&co)}),
        )
        .await;
    r.expect(201);
    let deal = id(&r.body);
    let version = r.body["version"].as_i64().expect("version");

    for path in [format!("/contacts/{}", id(&c)), format!("/companies/{}", id(&co))] {
        app.call("DELETE", &path, tok(&w.bob), None).await.expect_error(403, "forbidden");
    }
    app.call("DELETE", &format!("/contacts/{}", id(&c)), tok(&w.admin), None).await.expect(204);
    app.get(&format!("/contacts/{}", id(&c)), &w.admin.access_token).await.expect_error(404, "not_found");
    app.call("DELETE", &format!("/contacts/{}", id(&c)), tok(&w.admin), None)
        .await
        .expect_error(404, "not_found");
    let r = app.get(&format!("/deals/{deal}"), &w.bob.access_token).await;
    r.expect(200);
    assert!(r.body["contact_id"].is_null(), "{}", r.body);
    assert_eq!(r.body["company_id"], json!(id(&co)));
    assert!(r.body["version"].as_i64().expect("version") > version);

    let c2 = create(app, &w.bob, "contacts", json!({"name": "Пётр", "company_id": id(&co)})).await;
    app.call("DELETE", &format!("/companies/{}", id(&co)), tok(&w.owner), None).await.expect(204);
    let r = app.get(&format!("/deals/{deal}"), &w.bob.access_token).await;
    assert!(r.body["company_id"].is_null(), "{}", r.body);
    let r = app.get(&format!("/contacts/{}", id(&c2)), &w.bob.access_token).await;
    r.expect(200);
    assert!(r.body["company_id"].is_null());
}

// ---- Who may do what -------------------------------------------------------------

async fn guests_get_403_everywhere(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let c = id(&create(app, &w.bob, "contacts", json!({"name": "Клиент"})).await);
    let co = id(&create(app, &w.bob, "companies", json!({"name": "Компания"})).await);
    let import = json!({"csv": "name\nX\n"});
    for (what, rid) in [("contacts", c), ("companies", co)] {
        let calls: Vec<(&str, String, Option<Value>)> = vec![
            ("POST", format!("/{what}"), Some(json!({"name": "G"}))),
            ("GET", format!("/{what}"), None),
            ("GET", format!("/{what}/{rid}"), None),
            ("PATCH", format!("/{what}/{rid}"), Some(json!({"name": "G"}))),
            ("DELETE", format!("/{what}/{rid}"), None),
            ("POST", format!("/{what}/{rid}/archive"), None),
            ("POST", format!("/{what}/{rid}/restore"), None),
            ("GET", format!("/{what}/{rid}/history"), None),
            ("POST", format!("/{what}/duplicates"), Some(json!({"phones": ["+79161234567"]}))),
            ("GET", format!("/{what}/export.csv"), None),
            ("POST", format!("/{what}/import"), Some(import.clone())),
            // Another workspace's id: still 403, nothing is revealed.
            ("GET", format!("/{what}/{}", Uuid::now_v7()), None),
        ];
        for (method, path, body) in calls {
            let r = app.call(method, &path, tok(&w.guest), body).await;
            assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
            r.expect_error(403, "forbidden");
        }
    }
    assert_eq!(list(app, &w.owner, "/contacts").await["total"], 1);
}

async fn another_workspace_gets_404(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let c = id(&create(app, &w.bob, "contacts", json!({"name": "Тайный", "phones": ["+79160000001"]})).await);
    let co = id(&create(app, &w.bob, "companies", json!({"name": "Тайная"})).await);
    for (what, rid) in [("contacts", c), ("companies", co)] {
        for (method, path, body) in [
            ("GET", format!("/{what}/{rid}"), None),
            ("PATCH", format!("/{what}/{rid}"), Some(json!({"name": "X"}))),
            ("DELETE", format!("/{what}/{rid}"), None),
            ("POST", format!("/{what}/{rid}/archive"), None),
            ("POST", format!("/{what}/{rid}/restore"), None),
            ("GET", format!("/{what}/{rid}/history"), None),
        ] {
            let r = app.call(method, &path, tok(&w.other), body).await;
            assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
            r.expect_error(404, "not_found");
        }
        assert_eq!(list(app, &w.other, &format!("/{what}?include_archived=true")).await["total"], 0);
    }
    let r = app.post("/contacts/duplicates", tok(&w.other), json!({"phones": ["+79160000001"]})).await;
    r.expect(200);
    assert_eq!(r.body, json!([]));
    // Nor can their records be linked.
    let r = app.post("/contacts", tok(&w.other), json!({"name": "Мой", "company_id": co})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "company_id");
    let r = app.post("/contacts", tok(&w.other), json!({"name": "Мой", "owner_id": w.bob.user_id})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "owner_id");
    let (status, _, body) = download(app, &w.other, "/contacts/export.csv").await;
    assert_eq!(status, 200);
    assert!(!String::from_utf8_lossy(&body).contains("Тайный"));
    // Still there for its own workspace.
    app.get(&format!("/contacts/{c}"), &w.owner.access_token).await.expect(200);
}

async fn bad_input_is_refused_naming_the_field(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let field = |r: &Resp, f: &str| {
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], f, "{}", r.body);
    };
    let c = id(&create(app, &w.bob, "contacts", json!({"name": "Ok"})).await);
    for (body, f) in [
        (json!({"name": "X", "phones": ["not a phone"]}), "phones"),
        (json!({"name": "X", "phones": ["+7 916"]}), "phones"),
        (
            json!({"name": "X", "phones": (0..21).map(|i| format!("+7916123{i:04}")).collect::<Vec<_>>()}),
            "phones",
        ),
        (json!({"name": "X", "emails": ["nope"]}), "emails"),
        (json!({"name": "  "}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"name": "X", "tags": [""]}), "tags"),
        (json!({"name": "X", "position": "p".repeat(501)}), "position"),
        (json!({"name": "X", "owner_id": w.guest.user_id}), "owner_id"),
        (json!({"name": "X", "company_id": Uuid::now_v7()}), "company_id"),
    ] {
        let r = app.post("/contacts", tok(&w.bob), body.clone()).await;
        field(&r, f);
        let mut p = body;
        p.as_object_mut().expect("object").remove("name");
        if !p.as_object().expect("object").is_empty() {
            let r = patch(app, &w.bob, &format!("/contacts/{c}"), p).await;
            field(&r, f);
        }
    }
    let r = app.post("/companies", tok(&w.bob), json!({"name": "X", "emails": ["a@b"]})).await;
    field(&r, "emails");
    // Undefined custom fields are refused naming the key; a website is a company's.
    field(
        &app.post("/contacts", tok(&w.bob), json!({"name": "X", "custom": {"budget": 1}})).await,
        "custom.budget",
    );
    app.post("/contacts", tok(&w.bob), json!({"name": "X", "website": "x.ru"}))
        .await
        .expect_error(422, "invalid_body");
    app.post("/contacts", tok(&w.bob), json!({"phones": []})).await.expect_error(422, "invalid_body");
    // An empty custom change is a change of nothing.
    patch(app, &w.bob, &format!("/contacts/{c}"), json!({"custom": {}})).await.expect(200);
    app.post("/companies", tok(&w.bob), json!({"name": "X", "position": "p"}))
        .await
        .expect_error(422, "invalid_body");
    let r = app
        .call_raw("POST", "/contacts", tok(&w.bob), Some("application/json"), b"{\"name\": \"X\",".to_vec())
        .await;
    r.expect_error(400, "malformed_json");
    for path in ["/contacts/123", "/companies/not-a-uuid/history", "/contacts/xyz/archive"] {
        let method = if path.ends_with("archive") { "POST" } else { "GET" };
        app.call(method, path, tok(&w.bob), None).await.expect_error(400, "invalid_path");
    }
    app.get(&format!("/contacts/{}", Uuid::now_v7()), &w.bob.access_token)
        .await
        .expect_error(404, "not_found");
    // Nothing half-written by the refusals.
    assert_eq!(list(app, &w.bob, "/contacts").await["total"], 1);
}

// ---- CSV -------------------------------------------------------------------------

/// The comparable content of a contact list: name, phones (E.164), e-mails,
/// position, company name, address, tags, source, notes.
async fn contact_view(app: &TestApp, by: &Session) -> Vec<Value> {
    let page = list(app, by, "/contacts?limit=200&include_archived=true").await;
    let mut out = Vec::new();
    for c in page["items"].as_array().expect("items") {
        let company = match c["company_id"].as_str() {
            Some(cid) => list(app, by, &format!("/companies/{cid}")).await["name"].clone(),
            None => Value::Null,
        };
        let phones: Vec<Value> =
            c["phones"].as_array().expect("phones").iter().map(|p| p["e164"].clone()).collect();
        out.push(
            json!({"name": c["name"], "phones": phones, "emails": c["emails"], "position": c["position"],
                        "company": company, "address": c["address"], "tags": c["tags"],
                        "source": c["source"], "notes": c["notes"]}),
        );
    }
    out
}

async fn csv_export_round_trips_through_import(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let co = create(
        app,
        &w.owner,
        "companies",
        json!({"name": "ООО «Ромашка»; филиал", "website": "romashka.ru",
                                                        "phones": ["8 495 123-45-67"], "tags": ["опт"]}),
    )
    .await;
    create(
        app,
        &w.owner,
        "contacts",
        json!({"name": "Пётр Ильич Чайковский", "phones": ["8 (916) 123-45-67", "+7 495 765-43-21"],
               "emails": ["petr@example.ru", "p.i@example.com"], "position": "Композитор, \"главный\"",
               "company_id": id(&co), "address": "Москва; ул. Тверская, 1", "tags": ["VIP", "опт"],
               "source": "=HYPERLINK(\"http://evil\")", "notes": "строка 1\nстрока 2; \"цитата\""}),
    )
    .await;
    create(app, &w.owner, "contacts", json!({"name": "Ёлкина Анна", "owner_id": w.bob.user_id})).await;
    create(app, &w.owner, "contacts", json!({"name": "-минус", "emails": ["minus@example.ru"]})).await;
    let before = contact_view(app, &w.owner).await;
    assert_eq!(before.len(), 3);

    for (delimiter, query, other_slug) in [(";", "", "gamma"), (",", "?delimiter=,", "delta")] {
        let (status, ct, bytes) = download(app, &w.owner, &format!("/contacts/export.csv{query}")).await;
        assert_eq!(status, 200);
        assert!(ct.starts_with("text/csv"), "{ct}");
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
        let text = String::from_utf8(bytes).expect("utf-8");
        let header = format!(
            "\u{feff}name{d}phones{d}emails{d}position{d}company{d}address{d}tags{d}owner{d}source{d}notes{d}created_at\r\n",
            d = delimiter
        );
        assert!(text.starts_with(&header), "{text}");
        assert!(text.contains("Пётр Ильич Чайковский"));
        assert!(text.contains("bob@acme.test"), "owner by e-mail: {text}");
        assert!(text.contains("'=HYPERLINK"), "formula guarded: {text}");
        assert!(text.contains("+79161234567, +74957654321"), "{text}");
        assert!(text.contains("\"строка 1\nстрока 2; \"\"цитата\"\"\""), "RFC 4180 quoting: {text}");

        // Into a fresh workspace (its users differ, so the owner column stays out).
        let target = app.create_workspace("Other", other_slug, &format!("owner@{other_slug}.test")).await;
        let mapping = json!({"name": "name", "phones": "phones", "emails": "emails", "position": "position",
                             "company": "company", "address": "address", "tags": "tags", "source": "source",
                             "notes": "notes"});
        let r = app.post("/contacts/import", tok(&target), json!({"csv": text, "mapping": mapping})).await;
        r.expect(200);
        assert_eq!(r.body["counts"]["imported"], 3, "{}", r.body);
        assert_eq!(r.body["counts"]["errors"], 0);
        assert_eq!(r.body["counts"]["companies_created"], 1);
        assert_eq!(r.body["dry_run"], false);
        assert!(r.body["rows"].as_array().expect("rows").iter().all(|row| row["id"].is_string()));
        assert_eq!(contact_view(app, &target).await, before);
        // Without a mapping the export's own headers are recognised, the owner
        // column too: this workspace has none of those people.
        let r = app.post("/contacts/import", tok(&target), json!({"csv": text, "dry_run": true})).await;
        r.expect(200);
        let rows = r.body["rows"].as_array().expect("rows");
        assert!(rows.iter().all(|row| row["status"] == "error"), "{}", r.body);
        assert!(rows.iter().any(|row| row["reason"].as_str().expect("reason").contains("bob@acme.test")));
    }

    // Companies round-trip too.
    let (_, _, bytes) = download(app, &w.owner, "/companies/export.csv?delimiter=comma").await;
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(
        text.starts_with("\u{feff}name,phones,emails,website,address,tags,owner,source,notes,created_at\r\n")
    );
    let r = app
        .post("/companies/import", tok(&w.other), json!({"csv": text, "mapping": {"name": "name", "phones": "phones",
                                                                                   "website": "website", "tags": "tags"}}))
        .await;
    r.expect(200);
    assert_eq!(r.body["counts"]["imported"], 1, "{}", r.body);
    let page = list(app, &w.other, "/companies").await;
    assert_eq!(page["items"][0]["name"], "ООО «Ромашка»; филиал");
    assert_eq!(page["items"][0]["website"], "romashka.ru");
    assert_eq!(page["items"][0]["phones"][0]["e164"], "+74951234567");
    assert_eq!(page["items"][0]["tags"], json!(["опт"]));
}

async fn import_reports_each_row(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let existing =
        create(app, &w.owner, "contacts", json!({"name": "Был", "phones": ["+79160000000"]})).await;
    let romashka = create(app, &w.owner, "companies", json!({"name": "Ромашка"})).await;
    let csv = "Имя;Фамилия;Телефон;Почта;Компания;Ответственный;Метки\n\
               Иван;Иванов;8 916 111-11-11;ivan@x.ru;ромашка;bob@acme.test;a, b\n\
               Плохой;Телефон;12345;;;;\n\
               Плохая;Почта;;not-an-email;;;\n\
               ;;+79162222222;;;;\n\
               Чужой;Ответственный;;;;nobody@acme.test;\n\
               Гость;Ответственный;;;;guest@acme.test;\n\
               Повтор;Ивана;+7 (916) 111-11-11;;;;\n\
               Повтор;Старого;89160000000;;;;\n\
               Мария;Новая;;maria@x.ru;ИП Сидоров;;\n\
               Ольга;Новая;;olga@x.ru;ип сидоров;;\n\
               ;;;;;;\n";
    let mapping = json!({"Имя": "name", "Фамилия": "name", "Телефон": "phone", "Почта": "email",
                         "Компания": "company", "Ответственный": "owner_email", "Метки": "tags"});
    // Dry run first: the same report, nothing written.
    let dry = app
        .post("/contacts/import", tok(&w.bob), json!({"csv": csv, "mapping": mapping, "dry_run": true}))
        .await;
    dry.expect(200);
    assert_eq!(list(app, &w.owner, "/contacts").await["total"], 1);
    assert_eq!(list(app, &w.owner, "/companies").await["total"], 1);
    assert!(dry.body["rows"].as_array().expect("rows").iter().all(|r| r.get("id").is_none()));

    let r = app.post("/contacts/import", tok(&w.bob), json!({"csv": csv, "mapping": mapping})).await;
    r.expect(200);
    let rows = r.body["rows"].as_array().expect("rows").clone();
    let statuses: Vec<&str> = rows.iter().map(|r| r["status"].as_str().expect("status")).collect();
    assert_eq!(
        statuses,
        vec![
            "imported", "error", "error", "error", "error", "error", "skipped", "skipped", "imported",
            "imported", "skipped"
        ],
        "{}",
        r.body
    );
    let dry_statuses: Vec<&str> = dry.body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(dry_statuses, statuses);
    assert_eq!(
        rows.iter().map(|r| r["row"].as_u64().expect("row")).collect::<Vec<_>>(),
        (1..=11).collect::<Vec<_>>()
    );
    let reason = |i: usize| rows[i]["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason(1).starts_with("phones:"), "{}", reason(1));
    assert!(reason(2).starts_with("emails:"), "{}", reason(2));
    assert_eq!(reason(3), "name is missing");
    assert!(reason(4).contains("nobody@acme.test"), "{}", reason(4));
    assert!(reason(5).contains("guest@acme.test"), "{}", reason(5));
    assert!(reason(6).contains("row 1"), "{}", reason(6));
    assert!(reason(7).contains(&id(&existing).to_string()), "{}", reason(7));
    assert_eq!(reason(10), "empty row");
    assert_eq!(
        r.body["counts"],
        json!({"rows": 11, "imported": 3, "skipped": 3, "errors": 5, "companies_created": 1})
    );

    let ivan_id: Uuid = rows[0]["id"].as_str().expect("id").parse().expect("uuid");
    let ivan = list(app, &w.owner, &format!("/contacts/{ivan_id}")).await;
    assert_eq!(ivan["name"], "Иван Иванов");
    assert_eq!(ivan["phones"][0]["e164"], "+79161111111");
    assert_eq!(ivan["owner_id"], json!(w.bob.user_id));
    assert_eq!(ivan["created_by"], json!(w.bob.user_id));
    assert_eq!(ivan["tags"], json!(["a", "b"]));
    assert_eq!(ivan["company_id"], json!(id(&romashka)), "linked by name, case-insensitive");
    let maria = list(app, &w.owner, &format!("/contacts/{}", rows[8]["id"].as_str().expect("id"))).await;
    let olga = list(app, &w.owner, &format!("/contacts/{}", rows[9]["id"].as_str().expect("id"))).await;
    assert_eq!(maria["owner_id"], json!(w.bob.user_id), "the importer owns rows without an owner");
    assert!(maria["company_id"].is_string());
    assert_eq!(maria["company_id"], olga["company_id"], "one new company for both rows");
    let companies = list(app, &w.owner, "/companies?sort=name_asc").await;
    assert_eq!(names(&companies["items"]), vec!["ИП Сидоров", "Ромашка"]);
    let h = list(app, &w.owner, &format!("/contacts/{ivan_id}/history")).await;
    assert_eq!(h[0]["field"], "created");
    // Exactly the accepted rows were written: nothing for the refused ones.
    assert_eq!(list(app, &w.owner, "/contacts").await["total"], 4);
    let r = app.post("/contacts/duplicates", tok(&w.owner), json!({"phones": ["+79162222222"]})).await;
    assert_eq!(r.body, json!([]));

    // on_duplicate=create takes duplicates in, still saying what they duplicate.
    let csv = "name;phones\nСнова Иван;+79161111111\n";
    let r = app.post("/contacts/import", tok(&w.bob), json!({"csv": csv, "on_duplicate": "create"})).await;
    r.expect(200);
    assert_eq!(r.body["rows"][0]["status"], "imported");
    assert!(r.body["rows"][0]["reason"].as_str().expect("reason").contains(&ivan_id.to_string()));
    assert_eq!(list(app, &w.owner, "/contacts").await["total"], 5);

    // Companies: duplicates by name within the file.
    let csv = "name,emails\nАльфа,a@alfa.ru\nАЛЬФА,\nРомашка,\n";
    let r = app.post("/companies/import", tok(&w.bob), json!({"csv": csv, "delimiter": ","})).await;
    r.expect(200);
    let statuses: Vec<&str> = r.body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, vec!["imported", "skipped", "skipped"], "{}", r.body);
}

async fn import_mapping_and_limits_are_checked(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let csv = "Имя;Телефон\nИван;+79161234567\n";
    for (mapping, needle) in [
        (json!({"Имя": "name", "Телефон": "fax"}), "fax"),
        (json!({"Имя": "name", "Почта": "email"}), "Почта"),
        (json!({"Телефон": "phone"}), "name"),
        (json!({"Имя": "name", "Телефон": "website"}), "website"),
        (json!({"Имя": "position", "Телефон": "position"}), "position"),
    ] {
        let r = app.post("/contacts/import", tok(&w.bob), json!({"csv": csv, "mapping": mapping})).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "mapping");
        assert!(r.body["error"]["message"].as_str().expect("message").contains(needle), "{}", r.body);
    }
    let r = app
        .post(
            "/companies/import",
            tok(&w.bob),
            json!({"csv": csv, "mapping": {"Имя": "name", "Телефон": "company"}}),
        )
        .await;
    r.expect_error(422, "invalid_input");
    // Without a mapping a file needs a `name` column.
    let r = app.post("/contacts/import", tok(&w.bob), json!({"csv": csv})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "mapping");
    app.post("/contacts/import", tok(&w.bob), json!({"csv": csv, "delimiter": "|"}))
        .await
        .expect_error(422, "invalid_body");
    app.post("/contacts/import", tok(&w.bob), json!({"csv": csv, "on_duplicate": "merge"}))
        .await
        .expect_error(422, "invalid_body");
    let r = app.post("/contacts/import", tok(&w.bob), json!({"csv": ""})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "csv");

    // More than 5 MiB of CSV: 413.
    let huge = format!("name;notes\nX;{}\n", "я".repeat(3 * 1024 * 1024));
    let r = app.post("/contacts/import", tok(&w.bob), json!({"csv": huge})).await;
    r.expect_error(413, "payload_too_large");
    assert!(r.body["error"]["message"].as_str().expect("message").contains("5 MiB"), "{}", r.body);
    // 5,001 data rows are refused whole; 5,000 go in, in one write.
    let mut big = String::from("name;phones\n");
    for i in 0..5001 {
        big.push_str(&format!("Клиент {i};+7916{i:07}\n"));
    }
    let r = app.post("/contacts/import", tok(&w.bob), json!({"csv": big})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "csv");
    assert_eq!(list(app, &w.owner, "/contacts").await["total"], 0);
    let ok: String = big.lines().take(5001).map(|l| format!("{l}\n")).collect();
    let r = app.post("/contacts/import", tok(&w.bob), json!({"csv": ok})).await;
    r.expect(200);
    assert_eq!(r.body["counts"]["imported"], 5000);
    assert_eq!(list(app, &w.owner, "/contacts").await["total"], 5000);
}

on_every_backend!(
    contacts_are_created_read_edited_and_listed,
    duplicates_are_warnings_matched_in_any_format,
    lists_filter_sort_and_page,
    archive_restore_and_history,
    only_admins_delete_and_deals_lose_the_link,
    guests_get_403_everywhere,
    another_workspace_gets_404,
    bad_input_is_refused_naming_the_field,
    csv_export_round_trips_through_import,
    import_reports_each_row,
    import_mapping_and_limits_are_checked,
);
