//! Board cards and the deal list name the deal's client: `contact_name` and
//! `company_name` on `GET /pipelines/{id}/board`, `GET /deals` and live board
//! events — never to guests (clients are internal), never for a deal the
//! reader may not see, and not any more once the reader is taken off it.

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

fn arr(r: &Resp) -> Vec<Value> {
    r.body.as_array().unwrap_or_else(|| panic!("not an array: {}", r.body)).clone()
}

async fn post(app: &TestApp, by: &Session, path: &str, body: Value) -> Value {
    let r = app.post(path, Some(&by.access_token), body).await;
    r.expect(201);
    r.body.clone()
}

async fn pipeline(app: &TestApp, by: &Session) -> Uuid {
    let r = app.get("/pipelines", &by.access_token).await;
    r.expect(200);
    id(&r.body[0])
}

/// Every card of the board as `by` sees it.
async fn cards(app: &TestApp, by: &Session, pipeline: Uuid) -> (Vec<Value>, String) {
    let r = app.get(&format!("/pipelines/{pipeline}/board"), &by.access_token).await;
    r.expect(200);
    let cards = r.body["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .flat_map(|c| c["deals"].as_array().expect("deals").clone())
        .collect();
    (cards, r.body.to_string())
}

async fn listed(app: &TestApp, by: &Session) -> (Vec<Value>, String) {
    let r = app.get("/deals?limit=200", &by.access_token).await;
    r.expect(200);
    (arr(&r), r.body.to_string())
}

fn card(cards: &[Value], deal: &Value) -> Value {
    cards.iter().find(|c| id(c) == id(deal)).cloned().unwrap_or_else(|| panic!("no card {}", deal["title"]))
}

fn is_board(f: &Value) -> bool {
    f["type"] == "board_event"
}

async fn cards_and_lists_name_the_client(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    let p = pipeline(&app, &owner).await;
    let petr = post(&app, &owner, "/contacts", json!({"name": "Пётр Иванов"})).await;
    let romashka = post(&app, &owner, "/companies", json!({"name": "ООО Ромашка"})).await;
    let both = post(
        &app,
        &owner,
        "/deals",
        json!({"title": "Насосы", "contact_id": petr["id"], "company_id": romashka["id"],
               "participants": [guest.user_id]}),
    )
    .await;
    let company_only =
        post(&app, &owner, "/deals", json!({"title": "Фильтры", "company_id": romashka["id"]})).await;
    let none = post(&app, &owner, "/deals", json!({"title": "Без клиента"})).await;

    for by in [&owner, &bob] {
        let (board, _) = cards(&app, by, p).await;
        let (list, _) = listed(&app, by).await;
        for items in [&board, &list] {
            let c = card(items, &both);
            assert_eq!(c["contact_name"], "Пётр Иванов");
            assert_eq!(c["company_name"], "ООО Ромашка");
            let c = card(items, &company_only);
            assert!(c.get("contact_name").is_none(), "{c}");
            assert_eq!(c["company_name"], "ООО Ромашка");
            let c = card(items, &none);
            assert!(c.get("contact_name").is_none() && c.get("company_name").is_none(), "{c}");
        }
    }
    // A guest on the deal sees the card, but no client: clients are internal.
    let (board, text) = cards(&app, &guest, p).await;
    assert_eq!(board.len(), 1);
    assert!(!text.contains("Пётр") && !text.contains("Ромашка"), "{text}");
    let (list, text) = listed(&app, &guest).await;
    assert_eq!(list.len(), 1);
    assert!(!text.contains("Пётр") && !text.contains("Ромашка"), "{text}");

    // A renamed contact is named anew on the next read; an archived one still named.
    app.call(
        "PATCH",
        &format!("/contacts/{}", id(&petr)),
        Some(&owner.access_token),
        Some(json!({"name": "Пётр Сидоров"})),
    )
    .await
    .expect(200);
    app.post(&format!("/companies/{}/archive", id(&romashka)), Some(&owner.access_token), json!({}))
        .await
        .expect(200);
    let (board, _) = cards(&app, &owner, p).await;
    assert_eq!(card(&board, &both)["contact_name"], "Пётр Сидоров");
    assert_eq!(card(&board, &both)["company_name"], "ООО Ромашка");
    // Another workspace hears nothing of it.
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    let (list, text) = listed(&app, &other).await;
    assert!(list.is_empty() && !text.contains("Пётр"));
}

async fn live_cards_name_the_client_but_not_to_guests(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    let p = pipeline(&app, &owner).await;
    let mut watchers = Vec::new();
    for who in [&bob, &guest] {
        let mut ws = app.ws(&who.access_token, &[]).await;
        ws.send_json(json!({"type": "watch_board", "pipeline_id": p})).await;
        ws.next_where(|f| f["type"] == "watching").await;
        watchers.push(ws);
    }
    let petr = post(&app, &owner, "/contacts", json!({"name": "Пётр Иванов"})).await;
    let romashka = post(&app, &owner, "/companies", json!({"name": "ООО Ромашка"})).await;
    let deal = post(
        &app,
        &owner,
        "/deals",
        json!({"title": "Насосы", "contact_id": petr["id"], "participants": [guest.user_id]}),
    )
    .await;
    let f = watchers[0].next_where(is_board).await;
    assert_eq!(f["change"]["type"], "deal_upserted");
    assert_eq!(f["change"]["deal"]["contact_name"], "Пётр Иванов");
    assert!(f["change"]["deal"].get("company_name").is_none());
    let g = watchers[1].next_where(is_board).await;
    assert_eq!(g["change"]["type"], "deal_upserted", "the guest is on the deal: {g}");
    assert_eq!(g["seq"], f["seq"]);
    assert!(!g.to_string().contains("Пётр"), "no client for a guest: {g}");

    // Linking a company later: the card that arrives live names it.
    let r = app
        .call(
            "PATCH",
            &format!("/deals/{}", id(&deal)),
            Some(&owner.access_token),
            Some(json!({"version": deal["version"], "company_id": romashka["id"]})),
        )
        .await;
    r.expect(200);
    let f = watchers[0].next_where(is_board).await;
    assert_eq!(f["change"]["deal"]["company_name"], "ООО Ромашка");
    assert_eq!(f["change"]["deal"]["contact_name"], "Пётр Иванов");
    let g = watchers[1].next_where(is_board).await;
    assert!(!g.to_string().contains("Ромашка"), "{g}");
    // A task on the deal updates the card; it keeps its client.
    post(
        &app,
        &owner,
        "/tasks",
        json!({"title": "Позвонить", "entity_kind": "deal", "entity_id": deal["id"]}),
    )
    .await;
    let f = watchers[0].next_where(|f| is_board(f) && f["change"]["deal"]["open_tasks"] == 1).await;
    assert_eq!(f["change"]["deal"]["contact_name"], "Пётр Иванов");

    // A watcher who comes back replays the stored cards, with names (and
    // without them for the guest).
    let mut late = app.ws(&bob.access_token, &[]).await;
    late.send_json(json!({"type": "watch_board", "pipeline_id": p, "cursor": 0})).await;
    let replayed = late.next_where(|f| is_board(f) && f["change"]["deal"]["title"] == "Насосы").await;
    assert_eq!(replayed["change"]["deal"]["contact_name"], "Пётр Иванов");
    let mut late_guest = app.ws(&guest.access_token, &[]).await;
    late_guest.send_json(json!({"type": "watch_board", "pipeline_id": p, "cursor": 0})).await;
    let replayed = late_guest.next_where(|f| is_board(f) && f["change"]["deal"]["title"] == "Насосы").await;
    assert!(!replayed.to_string().contains("Пётр"), "{replayed}");
}

/// Visibility "own": a deal Bob is not on gives him neither its card nor its
/// client, on the board, in the list or live; taken off a deal, he loses both.
async fn hidden_deals_name_no_client(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    app.call("PATCH", "/workspace", Some(&owner.access_token), Some(json!({"deal_visibility": "own"})))
        .await
        .expect(200);
    let p = pipeline(&app, &owner).await;
    let secret = post(&app, &owner, "/contacts", json!({"name": "Тайный Клиент"})).await;
    let open = post(&app, &owner, "/contacts", json!({"name": "Открытый Клиент"})).await;
    let mut ws = app.ws(&bob.access_token, &[]).await;
    ws.send_json(json!({"type": "watch_board", "pipeline_id": p})).await;
    ws.next_where(|f| f["type"] == "watching").await;

    post(&app, &owner, "/deals", json!({"title": "Скрытая", "contact_id": secret["id"]})).await;
    let f = ws.next_where(is_board).await;
    assert_eq!(f["change"]["type"], "deal_hidden");
    assert!(!f.to_string().contains("Тайный"), "{f}");
    let shared = post(
        &app,
        &owner,
        "/deals",
        json!({"title": "Общая", "contact_id": open["id"], "participants": [bob.user_id]}),
    )
    .await;
    let f = ws.next_where(is_board).await;
    assert_eq!(f["change"]["deal"]["contact_name"], "Открытый Клиент");
    for (items, text) in [cards(&app, &bob, p).await, listed(&app, &bob).await] {
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["contact_name"], "Открытый Клиент");
        assert!(!text.contains("Тайный"), "{text}");
    }
    // Sorted by amount or title, the hidden deal is not there either.
    for q in ["sort=amount", "sort=title&order=desc"] {
        let r = app.get(&format!("/deals?{q}"), &bob.access_token).await;
        r.expect(200);
        assert_eq!(arr(&r).len(), 1, "{q}");
        assert!(!r.body.to_string().contains("Тайный"));
    }

    // Taken off the shared deal: no card, no client, and live only its id.
    let r = app
        .call(
            "PATCH",
            &format!("/deals/{}", id(&shared)),
            Some(&owner.access_token),
            Some(json!({"version": shared["version"], "participants": []})),
        )
        .await;
    r.expect(200);
    let f = ws.next_where(is_board).await;
    assert_eq!(f["change"]["type"], "deal_hidden", "{f}");
    assert!(!f.to_string().contains("Открытый"), "{f}");
    for (items, text) in [cards(&app, &bob, p).await, listed(&app, &bob).await] {
        assert!(items.is_empty());
        assert!(!text.contains("Открытый") && !text.contains("Тайный"), "{text}");
    }
}

on_every_backend!(
    cards_and_lists_name_the_client,
    live_cards_name_the_client_but_not_to_guests,
    hidden_deals_name_no_client,
);
