//! Search from outside, on SQLite and Postgres with the embedded index, and on
//! Postgres with a real Meilisearch (the cluster's pairing; skipped, and said so,
//! when there is none — see `artel_tests::meili`): Russian
//! and English morphology, prefix search, phones and e-mails in any format,
//! every operator, permissions at query time (removed member, guest, another
//! workspace, operators naming what one cannot see), deletes and edits, bad
//! input, catching up after an indexing outage, and a full rebuild; with
//! Meilisearch also a real outage (its process killed, then started again).
//!
//! Nothing sleeps for a fixed time: `settled` polls until the server says it
//! is no longer catching up and the expected hits are there (with a timeout).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use artel::config::Secret;
use artel_tests::meili::{MeiliServer, MISSING};
use artel_tests::{on_every_backend, test_serve_config, Backend, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

/// Where a story runs: a database engine, and the embedded index or a real
/// Meilisearch.
#[derive(Clone)]
struct Env {
    backend: Backend,
    meili: Option<Arc<Mutex<MeiliServer>>>,
}

impl From<Backend> for Env {
    fn from(backend: Backend) -> Self {
        Self { backend, meili: None }
    }
}

struct World {
    app: TestApp,
    owner: Session,
    bob: Session,
    guest: Session,
    /// Keeps a private Meilisearch process alive as long as the server using it.
    _meili: Option<Arc<Mutex<MeiliServer>>>,
}

async fn world(env: impl Into<Env>) -> World {
    let env = env.into();
    let mut serve = test_serve_config();
    if let Some(meili) = &env.meili {
        let meili = meili.lock().expect("meili lock");
        serve.search.meili_url = Some(meili.url.clone());
        serve.search.meili_key = meili.key.clone().map(Secret::new);
        // An index per test, so a shared Meilisearch (MEILI_URL) needs no cleaning.
        serve.search.meili_index = format!("t{}", Uuid::now_v7().simple());
    }
    let app = TestApp::start_with(env.backend, serve).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    World { app, owner, bob, guest, _meili: env.meili }
}

async fn chat(app: &TestApp, by: &Session, name: &str, members: &[&Session]) -> Uuid {
    let ids: Vec<Uuid> = members.iter().map(|s| s.user_id).collect();
    let r = app
        .post(
            "/chats",
            tok(by),
            json!({"kind": "group", "name": name, "is_private": true, "member_ids": ids}),
        )
        .await;
    r.expect(201);
    id(&r.body)
}

async fn send(app: &TestApp, by: &Session, chat: Uuid, body: &str) -> Uuid {
    // Each message a second after the previous one, so "newest" has one order.
    app.clock.advance(chrono::Duration::seconds(1));
    let r = app.post(&format!("/chats/{chat}/messages"), tok(by), json!({"body": body})).await;
    r.expect(201);
    id(&r.body)
}

/// `GET /search` with these query parameters.
async fn search_raw(app: &TestApp, who: &Session, params: &[(&str, &str)]) -> (u16, Value) {
    let resp = app
        .http
        .get(app.url("/search"))
        .bearer_auth(&who.access_token)
        .query(params)
        .send()
        .await
        .expect("search sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Polls until the index says it has caught up, then holds it to its promise:
/// `catching_up: false` means every change committed before the request is
/// visible, so that very answer must satisfy `done` (no second chance).
async fn settled_where(
    app: &TestApp,
    who: &Session,
    params: &[(&str, &str)],
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = search_raw(app, who, params).await;
        assert_eq!(status, 200, "{params:?}: {body}");
        if body["catching_up"] == json!(false) {
            assert!(done(&body), "search {params:?} said it had caught up but misses a change: {body}");
            return body;
        }
        assert!(Instant::now() < deadline, "search {params:?} never caught up: {body}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The settled answer to `q` (all kinds).
async fn settled(app: &TestApp, who: &Session, q: &str) -> Value {
    settled_where(app, who, &[("q", q)], |_| true).await
}

/// Ids of the hits of one kind.
fn hits(body: &Value, kind: &str) -> Vec<Uuid> {
    body["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["kind"] == kind)
        .flat_map(|g| g["hits"].as_array().cloned().unwrap_or_default())
        .map(|h| id(&h))
        .collect()
}

fn group<'a>(body: &'a Value, kind: &str) -> &'a Value {
    body["groups"]
        .as_array()
        .and_then(|gs| gs.iter().find(|g| g["kind"] == kind))
        .unwrap_or_else(|| panic!("no {kind} group in {body}"))
}

async fn finds(app: &TestApp, who: &Session, q: &str, kind: &str, want: &[Uuid]) -> Value {
    let mut want = want.to_vec();
    want.sort();
    let body = settled_where(app, who, &[("q", q)], |b| {
        let mut got = hits(b, kind);
        got.sort();
        got == want
    })
    .await;
    body
}

async fn morphology_prefix_phones_and_emails(env: impl Into<Env>) {
    let w = world(env).await;
    let app = &w.app;
    let sales = chat(app, &w.owner, "Продажи", &[&w.bob]).await;
    let a = send(app, &w.owner, sales, "Отправил договор клиенту").await;
    let b = send(app, &w.bob, sales, "Два договора уже подписаны").await;
    let c = send(app, &w.bob, sales, "Нет новых договоров, ждём").await;
    let m = send(app, &w.owner, sales, "Weekly meetings moved to Friday").await;
    let p = send(app, &w.owner, sales, "Call +7 (916) 123-45-67 or write Ivan.Petrov@Example.RU").await;
    send(app, &w.owner, sales, "Совсем про другое").await;

    let body = finds(app, &w.bob, "договор", "message", &[a, b, c]).await;
    let g = group(&body, "message");
    assert_eq!(g["total"], 3);
    let hit = &g["hits"][0];
    assert_eq!(hit["title"], "Продажи");
    assert_eq!(hit["chat_id"], json!(sales));
    assert!(hit["seq"].is_i64(), "{hit}");
    assert!(hit["snippet"].as_str().unwrap_or("").contains("<mark>догов"), "{hit}");
    finds(app, &w.bob, "договоров", "message", &[a, b, c]).await;
    finds(app, &w.bob, "meeting", "message", &[m]).await;
    finds(app, &w.bob, "Meetings friday", "message", &[m]).await;
    // As you type: the last word is a prefix.
    finds(app, &w.bob, "догов", "message", &[a, b, c]).await;
    finds(app, &w.bob, "week", "message", &[m]).await;
    finds(app, &w.bob, "подписаны дог", "message", &[b]).await;
    // Phones and e-mails in any common format.
    for q in [
        "+79161234567",
        "8 916 123 45 67",
        "8(916)123-45-67",
        "9161234567",
        "ivan.petrov@example.ru",
        "IVAN.PETROV@EXAMPLE.RU",
    ] {
        finds(app, &w.bob, q, "message", &[p]).await;
    }

    // Records: a contact found by a phone written differently, by a name's word form.
    let r = app
        .post(
            "/contacts",
            tok(&w.owner),
            json!({"name": "Иван Петров", "phones": ["8 (916) 765-43-21"], "emails": ["ivan@client.ru"],
                   "notes": "Подписали договоры поставки"}),
        )
        .await;
    r.expect(201);
    let contact = id(&r.body);
    finds(app, &w.bob, "+7 916 765 43 21", "contact", &[contact]).await;
    finds(app, &w.bob, "Ivan@Client.RU", "contact", &[contact]).await;
    let body = finds(app, &w.bob, "ПЕТРОВ", "contact", &[contact]).await;
    let hit = &group(&body, "contact")["hits"][0];
    assert_eq!(hit["title"], "Иван Петров");
    assert_eq!(hit["entity"], json!({"kind": "contact", "id": contact}));
    assert_eq!(hit["chat_id"], Value::Null);
    // One box, several kinds: the contract message and the contact.
    let body = finds(app, &w.bob, "договор", "contact", &[contact]).await;
    assert_eq!(hits(&body, "message").len(), 3, "{body}");
}

async fn operators(env: impl Into<Env>) {
    let w = world(env).await;
    let app = &w.app;
    let sales = chat(app, &w.owner, "sales", &[&w.bob]).await;
    let other = chat(app, &w.owner, "other", &[&w.bob]).await;
    let by_owner = send(app, &w.owner, sales, "отчёт по продажам").await;
    let by_bob = send(app, &w.bob, sales, "отчёт готов https://example.com/report").await;
    let elsewhere = send(app, &w.bob, other, "отчёт в другом чате").await;
    app.clock.advance(chrono::Duration::seconds(1));
    let reply = app
        .post(
            &format!("/chats/{sales}/messages"),
            tok(&w.bob),
            json!({"body": "отчёт в треде", "thread_root_id": by_owner}),
        )
        .await;
    reply.expect(201);
    let reply = id(&reply.body);
    // has:file: an upload sent with a message.
    let up = app
        .http
        .post(app.url(&format!("/chats/{sales}/attachments")))
        .bearer_auth(&w.owner.access_token)
        .query(&[("filename", "otchet.txt")])
        .body(b"hello".to_vec())
        .send()
        .await
        .expect("upload");
    assert_eq!(up.status().as_u16(), 201);
    let up: Value = up.json().await.expect("json");
    app.clock.advance(chrono::Duration::seconds(1));
    let with_file = app
        .post(
            &format!("/chats/{sales}/messages"),
            tok(&w.owner),
            json!({"body": "отчёт во вложении", "attachment_ids": [up["id"]]}),
        )
        .await;
    with_file.expect(201);
    let with_file = id(&with_file.body);

    finds(app, &w.bob, "отчёт from:@bob", "message", &[by_bob, elsewhere, reply]).await;
    finds(app, &w.bob, "отчёт from:@bob@acme.test", "message", &[by_bob, elsewhere, reply]).await;
    finds(app, &w.bob, "отчёт in:#sales", "message", &[by_owner, by_bob, reply, with_file]).await;
    finds(app, &w.bob, "in:#other", "message", &[elsewhere]).await;
    finds(app, &w.bob, "отчёт has:link", "message", &[by_bob]).await;
    finds(app, &w.bob, "has:file", "message", &[with_file]).await;
    finds(app, &w.bob, "отчёт is:thread", "message", &[by_owner, reply]).await;
    finds(app, &w.bob, "\"отчёт готов\"", "message", &[by_bob]).await;
    finds(app, &w.bob, "\"готов отчёт\"", "message", &[]).await;
    finds(app, &w.bob, "отчёт -треде -чате -вложении -продажам", "message", &[by_bob]).await;
    // The test clock says 2026-11-23.
    finds(app, &w.bob, "отчёт after:2026-11-23 in:#other", "message", &[elsewhere]).await;
    finds(app, &w.bob, "отчёт before:2026-11-23", "message", &[]).await;
    finds(app, &w.bob, "отчёт before:2026-11-24 in:#other", "message", &[elsewhere]).await;
    // Unknown operators are text.
    let odd = send(app, &w.bob, other, "color:red означает срочно").await;
    finds(app, &w.bob, "color:red", "message", &[odd]).await;
    // Names nobody has: no match rather than everything.
    finds(app, &w.bob, "отчёт from:@nobody", "message", &[]).await;
    finds(app, &w.bob, "отчёт in:#nowhere", "message", &[]).await;

    // deal:"name" and stage:name.
    let r = app
        .post("/deals", tok(&w.owner), json!({"title": "Насосы для Акме", "participants": [w.bob.user_id]}))
        .await;
    r.expect(201);
    let deal = id(&r.body);
    let deal_chat: Uuid = r.body["chat_id"].as_str().expect("deal chat").parse().expect("uuid");
    let in_deal = send(app, &w.bob, deal_chat, "отчёт по насосам").await;
    let r = app
        .post(
            "/tasks",
            tok(&w.owner),
            json!({"title": "Отчёт заказчику", "assignees": [w.bob.user_id], "entity_kind": "deal", "entity_id": deal}),
        )
        .await;
    r.expect(201);
    let task = id(&r.body);
    finds(app, &w.bob, "отчёт deal:\"Насосы для Акме\"", "message", &[in_deal]).await;
    let body = finds(app, &w.bob, "отчёт deal:Насосы", "task", &[task]).await;
    assert_eq!(hits(&body, "message"), vec![in_deal]);
    finds(app, &w.bob, "deal:\"Насосы для Акме\"", "deal", &[deal]).await;
    let pipes = app.get("/pipelines", &w.owner.access_token).await;
    pipes.expect(200);
    let first_stage = pipes.body[0]["stages"][0]["name"].as_str().expect("stage name").to_string();
    let second_stage = pipes.body[0]["stages"][1]["name"].as_str().expect("stage name").to_string();
    let body = finds(app, &w.bob, &format!("насосы stage:\"{first_stage}\""), "deal", &[deal]).await;
    assert!(hits(&body, "message").is_empty(), "stage: filters deals only: {body}");
    finds(app, &w.bob, &format!("насосы stage:\"{second_stage}\""), "deal", &[]).await;

    // Sorting and paging of one kind.
    let body = settled_where(
        app,
        &w.bob,
        &[("q", "отчёт"), ("kinds", "message"), ("sort", "newest"), ("limit", "2")],
        |b| hits(b, "message").len() == 2,
    )
    .await;
    let g = group(&body, "message");
    assert_eq!(g["total"], 6, "{body}");
    assert_eq!(hits(&body, "message"), vec![in_deal, with_file]);
    let cursor = g["next_cursor"].as_str().expect("next cursor").to_string();
    let mut seen = hits(&body, "message");
    let mut cursor = Some(cursor);
    while let Some(c) = cursor {
        let (status, page) = search_raw(
            app,
            &w.bob,
            &[("q", "отчёт"), ("kinds", "message"), ("sort", "newest"), ("limit", "2"), ("cursor", &c)],
        )
        .await;
        assert_eq!(status, 200, "{page}");
        seen.extend(hits(&page, "message"));
        cursor = page["groups"][0]["next_cursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen.len(), 6);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6, "pages do not overlap");
}

async fn permissions(env: impl Into<Env>) {
    let w = world(env).await;
    let app = &w.app;
    let carol = app.invite_user(&w.owner, "member", "carol@acme.test").await;
    let team = chat(app, &w.owner, "team", &[&w.bob, &carol]).await;
    let secret = chat(app, &w.owner, "secret", &[&carol]).await;
    let with_guest = chat(app, &w.owner, "with guest", &[&w.guest]).await;
    let in_team = send(app, &w.owner, team, "квартальный бюджет").await;
    let in_secret = send(app, &w.owner, secret, "секретный бюджет").await;
    let for_guest = send(app, &w.owner, with_guest, "бюджет для гостя").await;
    let contact = app.post("/contacts", tok(&w.owner), json!({"name": "Бюджетный клиент"})).await;
    contact.expect(201);
    let contact = id(&contact.body);

    finds(app, &w.owner, "бюджет", "message", &[in_team, in_secret, for_guest]).await;
    finds(app, &w.bob, "бюджет", "message", &[in_team]).await;
    finds(app, &carol, "бюджет", "message", &[in_team, in_secret]).await;
    // Naming a chat one is not in finds nothing (and does not say it exists).
    finds(app, &w.bob, "бюджет in:#secret", "message", &[]).await;

    // A removed member stops finding the chat's messages at once.
    app.call("DELETE", &format!("/chats/{team}/members/{}", carol.user_id), tok(&w.owner), None)
        .await
        .expect(204);
    finds(app, &carol, "бюджет", "message", &[in_secret]).await;

    // Guests: only their chats, no clients, no deals they are not on.
    let body = finds(app, &w.guest, "бюджет", "message", &[for_guest]).await;
    assert!(hits(&body, "contact").is_empty(), "{body}");
    finds(app, &w.bob, "бюджетный", "contact", &[contact]).await;
    let r = app.post("/deals", tok(&w.owner), json!({"title": "Бюджетная сделка"})).await;
    r.expect(201);
    let deal = id(&r.body);
    finds(app, &w.bob, "бюджетная", "deal", &[deal]).await;
    finds(app, &w.guest, "бюджетная", "deal", &[]).await;
    // Deal visibility "own": a member sees only deals they are on.
    app.call("PATCH", "/workspace", tok(&w.owner), Some(json!({"deal_visibility": "own"}))).await.expect(200);
    finds(app, &w.bob, "бюджетная", "deal", &[]).await;
    finds(app, &w.owner, "бюджетная", "deal", &[deal]).await;
    // from: a guest cannot name people outside their chats.
    finds(app, &w.guest, "бюджет from:@bob", "message", &[]).await;

    // Another workspace sees none of it, whatever it asks for.
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    for q in ["бюджет", "бюджет in:#team", "бюджет from:@owner", "бюджетный", "deal:Бюджетная"]
    {
        let body = settled(app, &other, q).await;
        assert_eq!(body["groups"], json!([]), "{q}: {body}");
    }
}

async fn deleted_and_edited_messages(env: impl Into<Env>) {
    let w = world(env).await;
    let app = &w.app;
    let c = chat(app, &w.owner, "c", &[&w.bob]).await;
    let gone = send(app, &w.owner, c, "черновик договора").await;
    let edited = send(app, &w.owner, c, "старый текст про счёт").await;
    finds(app, &w.bob, "черновик", "message", &[gone]).await;
    finds(app, &w.bob, "старый", "message", &[edited]).await;
    app.call("DELETE", &format!("/messages/{gone}"), tok(&w.owner), None).await.expect(204);
    app.call(
        "PATCH",
        &format!("/messages/{edited}"),
        tok(&w.owner),
        Some(json!({"body": "новый текст про акт"})),
    )
    .await
    .expect(200);
    finds(app, &w.bob, "черновик", "message", &[]).await;
    finds(app, &w.bob, "старый", "message", &[]).await;
    let body = finds(app, &w.bob, "новый акт", "message", &[edited]).await;
    let snippet = group(&body, "message")["hits"][0]["snippet"].as_str().unwrap_or("").to_string();
    assert!(snippet.contains("<mark>новый</mark>") && !snippet.contains("старый"), "{snippet}");
    // Records too: an archived contact leaves the results, a restored one returns.
    let r = app.post("/contacts", tok(&w.owner), json!({"name": "Архивный Клиент"})).await;
    r.expect(201);
    let contact = id(&r.body);
    finds(app, &w.bob, "архивный", "contact", &[contact]).await;
    app.post(&format!("/contacts/{contact}/archive"), tok(&w.owner), json!({})).await.expect(200);
    finds(app, &w.bob, "архивный", "contact", &[]).await;
    app.post(&format!("/contacts/{contact}/restore"), tok(&w.owner), json!({})).await.expect(200);
    finds(app, &w.bob, "архивный", "contact", &[contact]).await;
}

async fn bad_input(env: impl Into<Env>) {
    let w = world(env).await;
    let app = &w.app;
    let long = "я".repeat(501);
    for params in [
        vec![],
        vec![("q", "")],
        vec![("q", "   ")],
        vec![("q", long.as_str())],
        vec![("q", "x"), ("kinds", "message,spaceship")],
        vec![("q", "x"), ("limit", "0")],
        vec![("q", "x"), ("limit", "51")],
        vec![("q", "x"), ("limit", "many")],
        vec![("q", "x"), ("sort", "random")],
        vec![("q", "x"), ("cursor", "b2ZmOjI")],
        vec![("q", "x"), ("kinds", "message"), ("cursor", "not a cursor")],
        vec![("q", "before:2026-13-45")],
        vec![("q", "x"), ("bogus", "1")],
    ] {
        let (status, body) = search_raw(app, &w.bob, &params).await;
        assert_eq!(status, 400, "{params:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_query", "{params:?}: {body}");
    }
    // Treated as text, never an error.
    let max = "я".repeat(500);
    for q in [
        "\"unbalanced",
        "a\"b\"c\"",
        "-",
        "from:",
        "in:#",
        "deal:\"",
        "::::",
        "-\"\"",
        "has:",
        max.as_str(),
        "<script>",
    ] {
        let (status, body) = search_raw(app, &w.bob, &[("q", q)]).await;
        assert_eq!(status, 200, "{q}: {body}");
    }
    // Snippets escape what people typed.
    let c = chat(app, &w.owner, "x", &[&w.bob]).await;
    send(app, &w.owner, c, "<script>alert(1)</script> важное").await;
    let body = settled_where(app, &w.bob, &[("q", "важное")], |b| !hits(b, "message").is_empty()).await;
    let snippet = group(&body, "message")["hits"][0]["snippet"].as_str().unwrap_or("").to_string();
    assert!(snippet.starts_with("&lt;script&gt;") && snippet.contains("<mark>важное</mark>"), "{snippet}");
    // Signed out: 401.
    let r = app.http.get(app.url("/search?q=x")).send().await.expect("sent");
    assert_eq!(r.status().as_u16(), 401);
}

async fn catches_up_after_an_indexing_outage(env: impl Into<Env>) {
    let w = world(env).await;
    let app = &w.app;
    let c = chat(app, &w.owner, "c", &[&w.bob]).await;
    let before = send(app, &w.owner, c, "первое сообщение").await;
    finds(app, &w.bob, "сообщение", "message", &[before]).await;

    // The backend "goes away": indexing fails and is retried, sends still succeed.
    app.state.search.set_suspended(true);
    let during = send(app, &w.owner, c, "второе сообщение").await;
    let (status, body) = search_raw(app, &w.bob, &[("q", "сообщение")]).await;
    assert_eq!(status, 200);
    assert_eq!(body["catching_up"], json!(true), "{body}");
    assert_eq!(hits(&body, "message"), vec![before], "{body}");
    // It stays behind while the backend is away: a whole round of the indexer
    // ran after the send, failed, and dropped no note.
    app.state.search.passes.full_pass().await;
    let (_, body) = search_raw(app, &w.bob, &[("q", "сообщение")]).await;
    assert_eq!(body["catching_up"], json!(true), "{body}");

    app.state.search.set_suspended(false);
    finds(app, &w.bob, "сообщение", "message", &[before, during]).await;
}

async fn reindex_rebuilds_from_the_database(env: impl Into<Env>) {
    let w = world(env).await;
    let app = &w.app;
    let c = chat(app, &w.owner, "c", &[&w.bob]).await;
    let mut sent = Vec::new();
    for i in 0..30 {
        sent.push(send(app, &w.owner, c, &format!("накладная номер {i}")).await);
    }
    let r = app.post("/deals", tok(&w.owner), json!({"title": "Накладная сделка"})).await;
    r.expect(201);
    let deal = id(&r.body);
    let body = settled_where(app, &w.owner, &[("q", "накладная in:#c"), ("limit", "50")], |b| {
        hits(b, "message").len() == 30
    })
    .await;
    assert_eq!(group(&body, "message")["total"], 30);
    finds(app, &w.owner, "накладная", "deal", &[deal]).await;

    // Lose the index, then rebuild it the way `artel reindex` does.
    app.state.search.index.clear().await.expect("clear");
    let body = settled(app, &w.owner, "накладная").await;
    assert_eq!(body["groups"], json!([]), "{body}");
    let mut progress = Vec::new();
    let total = artel::search::reindex::rebuild(&app.state.store, &app.state.search, |kind, n| {
        progress.push((kind, n))
    })
    .await
    .expect("rebuild");
    // Exactly what the database holds, each once: the 30 messages (the deal
    // chat's system notice is not a search document) and the deal.
    let last_of = |kind| progress.iter().rev().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n);
    assert_eq!(last_of(artel_core::search::SearchKind::Message), 30, "{progress:?}");
    assert_eq!(last_of(artel_core::search::SearchKind::Deal), 1, "{progress:?}");
    assert_eq!(total, 31, "{progress:?}");
    finds(app, &w.owner, "накладная", "deal", &[deal]).await;
    let body = settled_where(app, &w.owner, &[("q", "накладная in:#c"), ("limit", "50")], |b| {
        hits(b, "message").len() == 30
    })
    .await;
    let mut got = hits(&body, "message");
    got.sort();
    sent.sort();
    assert_eq!(got, sent);
}

/// A real outage: the Meilisearch process is killed. Sends and record changes
/// still succeed, search answers (catching up, or 503 while it cannot ask the
/// backend) and never a 500, and once Meilisearch is back the index converges
/// with nothing lost.
async fn meilisearch_outage_loses_nothing(env: Env) {
    let meili = env.meili.clone().expect("a Meilisearch story");
    // The test command leaves this story out (and says so) when MEILI_URL names
    // a shared server it cannot stop; run explicitly, that is a failure.
    assert!(
        meili.lock().expect("meili lock").can_restart(),
        "the outage story needs a private meilisearch process (unset MEILI_URL, put meilisearch on PATH)"
    );
    let w = world(env).await;
    let app = &w.app;
    let c = chat(app, &w.owner, "c", &[&w.bob]).await;
    let before = send(app, &w.owner, c, "первое сообщение").await;
    finds(app, &w.bob, "сообщение", "message", &[before]).await;

    meili.lock().expect("meili lock").stop();
    let mut during = Vec::new();
    for i in 0..3 {
        during.push(send(app, &w.owner, c, &format!("сообщение номер {i}")).await);
    }
    let r = app.post("/deals", tok(&w.owner), json!({"title": "Сделка во время сбоя"})).await;
    r.expect(201);
    let deal = id(&r.body);
    let (status, body) = search_raw(app, &w.bob, &[("q", "сообщение")]).await;
    assert!(
        status == 503 && body["error"]["code"] == "search_unavailable"
            || status == 200 && body["catching_up"] == json!(true),
        "while Meilisearch is down: {status} {body}"
    );

    meili.lock().expect("meili lock").resume();
    let mut all = vec![before];
    all.extend(&during);
    finds(app, &w.bob, "сообщение", "message", &all).await;
    finds(app, &w.owner, "сбоя", "deal", &[deal]).await;
}

on_every_backend!(
    morphology_prefix_phones_and_emails,
    operators,
    permissions,
    deleted_and_edited_messages,
    bad_input,
    catches_up_after_an_indexing_outage,
    reindex_rebuilds_from_the_database,
);

/// The same stories on Postgres + a real Meilisearch, each test with its own
/// process (or index, under `MEILI_URL`). Ignored by default, so a run without
/// Meilisearch counts them as skipped; `./scripts/test.sh` runs them when it finds one,
/// and then a missing Meilisearch is a failure, not a pass.
macro_rules! on_meilisearch {
    ($($name:ident),* $(,)?) => {
        mod meilisearch {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs Meilisearch: MEILI_URL or meilisearch on PATH (the test command runs these when it finds one)"]
                async fn $name() {
                    let meili = super::MeiliServer::start().expect(super::MISSING);
                    let env = super::Env {
                        backend: super::Backend::Postgres,
                        meili: Some(super::Arc::new(super::Mutex::new(meili))),
                    };
                    super::$name(env).await
                }
            )*
        }
    };
}

on_meilisearch!(
    morphology_prefix_phones_and_emails,
    operators,
    permissions,
    deleted_and_edited_messages,
    bad_input,
    catches_up_after_an_indexing_outage,
    reindex_rebuilds_from_the_database,
    meilisearch_outage_loses_nothing,
);
