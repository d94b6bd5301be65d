//! `GET /deals` sorted by the server: every order (board, updated, created,
//! amount, close date, title) both ways, paged with the `x-next-cursor` keyset
//! cursor — pages joined are exactly the whole list in that order, ties
//! included — a cursor is refused by another order, and paging never shows a
//! deal the reader may not see (nor one taken from them between two pages).

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

fn ids(items: &[Value]) -> Vec<Uuid> {
    items.iter().map(id).collect()
}

fn arr(r: &Resp) -> Vec<Value> {
    r.body.as_array().unwrap_or_else(|| panic!("not an array: {}", r.body)).clone()
}

fn next_cursor(r: &Resp) -> Option<String> {
    r.headers.get("x-next-cursor").map(|v| v.to_str().expect("ascii header").to_string())
}

async fn create_deal(app: &TestApp, by: &Session, body: Value) -> Value {
    let r = app.post("/deals", Some(&by.access_token), body).await;
    r.expect(201);
    r.body.clone()
}

/// Every page of `query` (`limit` per page), following the cursor; checks that
/// only the last page lacks one.
async fn all_pages(app: &TestApp, by: &Session, query: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/deals?{query}&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = app.get(&path, &by.access_token).await;
        r.expect(200);
        let page = arr(&r);
        cursor = next_cursor(&r);
        if cursor.is_some() {
            assert_eq!(page.len(), limit, "a page with a next cursor is full: {query}");
        }
        out.extend(page);
        if cursor.is_none() {
            return out;
        }
    }
    panic!("paging {query} did not end");
}

fn time(v: &Value, field: &str) -> DateTime<Utc> {
    serde_json::from_value(v[field].clone()).expect("a time")
}

fn close(v: &Value) -> Option<NaiveDate> {
    serde_json::from_value(v["expected_close_date"].clone()).expect("a date or null")
}

/// The deals in the order `sort` ascending, as the test sees it.
fn expected(sort: &str, deals: &[Value], stage_pos: &dyn Fn(&Value) -> i64) -> Vec<Value> {
    let mut v = deals.to_vec();
    match sort {
        "board" => v.sort_by_key(|d| (stage_pos(d), d["position"].as_i64().unwrap(), id(d))),
        "updated_at" => v.sort_by_key(|d| (time(d, "updated_at"), id(d))),
        "created_at" => v.sort_by_key(|d| (time(d, "created_at"), id(d))),
        "amount" => v.sort_by_key(|d| (d["amount_minor"].as_i64().unwrap(), id(d))),
        "close_date" => v.sort_by_key(|d| (close(d).is_none(), close(d), id(d))),
        "title" => v.sort_by_key(|d| (d["title"].as_str().unwrap().to_lowercase(), id(d))),
        other => panic!("no sort {other}"),
    }
    v
}

/// The descending form: everything reversed, except that deals without a
/// close date stay last (themselves by id, descending).
fn descending(sort: &str, asc: &[Value]) -> Vec<Value> {
    if sort != "close_date" {
        return asc.iter().rev().cloned().collect();
    }
    let (dated, undated): (Vec<Value>, Vec<Value>) = asc.iter().cloned().partition(|d| close(d).is_some());
    dated.into_iter().rev().chain(undated.into_iter().rev()).collect()
}

async fn stage_positions(app: &TestApp, by: &Session) -> (Vec<Uuid>, std::collections::HashMap<Uuid, i64>) {
    let r = app.get("/pipelines", &by.access_token).await;
    r.expect(200);
    let stages = r.body[0]["stages"].as_array().expect("stages").clone();
    let ids: Vec<Uuid> = stages.iter().map(id).collect();
    let pos = stages.iter().map(|s| (id(s), s["position"].as_i64().unwrap())).collect();
    (ids, pos)
}

/// Deals with ties in every key: equal amounts, equal and missing close dates,
/// titles equal but for case, several made in the same instant.
async fn seed(app: &TestApp, owner: &Session, stages: &[Uuid]) -> Vec<Value> {
    let specs = [
        ("Альфа", 5_000, Some("2026-12-01"), 0),
        ("альфа", 5_000, None, 1),
        ("Бета", 12_000, Some("2026-12-01"), 0),
        ("beta", 300, Some("2027-01-15"), 1),
        ("gamma", 12_000, None, 0),
        ("Яблоко", 0, Some("2026-11-30"), 1),
        ("delta", 5_000, None, 0),
    ];
    let mut out = Vec::new();
    for (i, (title, amount, close, stage)) in specs.into_iter().enumerate() {
        if i % 3 == 0 {
            app.clock.advance(chrono::Duration::seconds(7));
        }
        out.push(
            create_deal(
                app,
                owner,
                json!({"title": title, "amount_minor": amount, "expected_close_date": close,
                       "stage_id": stages[stage]}),
            )
            .await,
        );
    }
    // An early deal edited last: "updated" and "created" orders differ.
    app.clock.advance(chrono::Duration::seconds(3));
    let first = &out[0];
    let r = app
        .call(
            "PATCH",
            &format!("/deals/{}", id(first)),
            Some(&owner.access_token),
            Some(json!({"version": first["version"], "amount_minor": 5_000})),
        )
        .await;
    r.expect(200);
    out[0] = r.body.clone();
    out
}

async fn every_order_pages_exactly_both_ways(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let (stages, pos) = stage_positions(&app, &owner).await;
    seed(&app, &owner, &stages).await;
    // As stored (timestamps as the server keeps them).
    let r = app.get("/deals?limit=200", &owner.access_token).await;
    r.expect(200);
    let deals = arr(&r);
    assert_eq!(deals.len(), 7);
    assert!(next_cursor(&r).is_none(), "everything fits: no next page");
    let stage_pos = |d: &Value| pos[&d["stage_id"].as_str().unwrap().parse::<Uuid>().unwrap()];

    for sort in ["board", "updated_at", "created_at", "amount", "close_date", "title"] {
        let asc = expected(sort, &deals, &stage_pos);
        let desc = descending(sort, &asc);
        for (order, want) in [("asc", &asc), ("desc", &desc)] {
            let q = format!("sort={sort}&order={order}");
            let whole = app.get(&format!("/deals?{q}&limit=200"), &owner.access_token).await;
            whole.expect(200);
            assert_eq!(ids(&arr(&whole)), ids(want), "{q}, one page");
            for limit in [1, 2, 3] {
                let paged = all_pages(&app, &owner, &q, limit).await;
                assert_eq!(ids(&paged), ids(want), "{q}, pages of {limit}");
            }
        }
    }
    // Defaults: the board order without `sort`; newest first for dates and amounts.
    let r = app.get("/deals?limit=200", &owner.access_token).await;
    assert_eq!(ids(&arr(&r)), ids(&expected("board", &deals, &stage_pos)));
    for sort in ["updated_at", "created_at", "amount"] {
        let r = app.get(&format!("/deals?sort={sort}&limit=200"), &owner.access_token).await;
        let want = descending(sort, &expected(sort, &deals, &stage_pos));
        assert_eq!(ids(&arr(&r)), ids(&want), "{sort} defaults to desc");
        // A default-order cursor is the desc cursor.
        let r = app.get(&format!("/deals?sort={sort}&limit=2"), &owner.access_token).await;
        let c = next_cursor(&r).expect("more pages");
        app.get(&format!("/deals?sort={sort}&order=desc&limit=2&cursor={c}"), &owner.access_token)
            .await
            .expect(200);
    }
    for sort in ["title", "close_date"] {
        let r = app.get(&format!("/deals?sort={sort}&limit=200"), &owner.access_token).await;
        assert_eq!(ids(&arr(&r)), ids(&expected(sort, &deals, &stage_pos)), "{sort} defaults to asc");
    }
    // A deal created between two pages appears where it belongs, nothing repeats.
    let r = app.get("/deals?sort=amount&order=asc&limit=3", &owner.access_token).await;
    let first = arr(&r);
    let c = next_cursor(&r).expect("more");
    let big = create_deal(&app, &owner, json!({"title": "Крупная", "amount_minor": 99_000})).await;
    let small = create_deal(&app, &owner, json!({"title": "Мелкая", "amount_minor": 1})).await;
    let r = app.get(&format!("/deals?sort=amount&order=asc&limit=200&cursor={c}"), &owner.access_token).await;
    let rest = ids(&arr(&r));
    assert_eq!(rest.last(), Some(&id(&big)), "a bigger deal made meanwhile comes at the end");
    assert!(!rest.contains(&id(&small)), "a smaller one falls before the cursor");
    assert!(ids(&first).iter().all(|d| !rest.contains(d)), "no repeats");
}

async fn bad_sorts_and_cursors_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    for t in ["a", "b", "c"] {
        create_deal(&app, &owner, json!({"title": t, "amount_minor": 100})).await;
    }
    let r = app.get("/deals?sort=amount&order=asc&limit=1", &owner.access_token).await;
    let amount_asc = next_cursor(&r).expect("a cursor");
    let bad = [
        "/deals?sort=colour".to_string(),
        "/deals?sort=".to_string(),
        "/deals?order=up".to_string(),
        "/deals?sort=AMOUNT".to_string(),
        format!("/deals?sort=title&cursor={amount_asc}"),
        format!("/deals?sort=amount&order=desc&cursor={amount_asc}"),
        format!("/deals?cursor={amount_asc}"),
        format!("/deals?sort=amount&order=asc&offset=1&cursor={amount_asc}"),
        "/deals?sort=amount&cursor=garbage".to_string(),
        "/deals?sort=amount&cursor=".to_string(),
        // Well-formed base64 of JSON that is not a cursor of this order.
        "/deals?sort=amount&order=asc&cursor=eyJzb3J0IjoiYW1vdW50Iiwib3JkZXIiOiJhc2MiLCJrZXkiOiJ4IiwiaWQiOiIxIn0"
            .to_string(),
    ];
    for q in &bad {
        let r = app.get(q, &owner.access_token).await;
        assert_eq!(r.status, 400, "{q}: {}", r.body);
        r.expect_error(400, "invalid_query");
    }
    for q in ["/deals?sort=amount&limit=0", "/deals?sort=title&limit=201", "/deals?sort=title&offset=-1"] {
        app.get(q, &owner.access_token).await.expect_error(422, "invalid_input");
    }
    // The right cursor still works, and offset alone still pages.
    app.get(&format!("/deals?sort=amount&order=asc&cursor={amount_asc}"), &owner.access_token)
        .await
        .expect(200);
    let r = app.get("/deals?sort=title&offset=2", &owner.access_token).await;
    r.expect(200);
    assert_eq!(arr(&r).len(), 1);
    assert_eq!(app.call("GET", "/deals?sort=amount", None, None).await.status, 401);
}

/// Visibility "own": a member pages only through the deals they are on, a
/// cursor made by someone who sees more shows them nothing more, and a deal
/// they are taken off between two pages is not on the next one.
async fn paging_shows_only_what_the_reader_may_see(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    app.call("PATCH", "/workspace", Some(&owner.access_token), Some(json!({"deal_visibility": "own"})))
        .await
        .expect(200);
    let mut bobs = Vec::new();
    let mut hidden = Vec::new();
    for (i, amount) in [100, 200, 300, 400, 500, 600, 700, 800].into_iter().enumerate() {
        let on = i % 2 == 0;
        let people: Vec<Uuid> = if on { vec![bob.user_id, guest.user_id] } else { vec![] };
        let d = create_deal(
            &app,
            &owner,
            json!({"title": format!("Сделка {i}"), "amount_minor": amount, "participants": people}),
        )
        .await;
        if on {
            bobs.push(d);
        } else {
            hidden.push(d);
        }
    }
    let want: Vec<Uuid> = ids(&bobs).into_iter().rev().collect();
    for who in [&bob, &guest] {
        let got = all_pages(&app, who, "sort=amount", 1).await;
        assert_eq!(ids(&got), want, "only the deals they are on, largest first");
    }
    // The owner's cursor (just past a deal Bob may not see) shows Bob nothing more.
    let r = app.get("/deals?sort=amount&limit=1", &owner.access_token).await;
    assert_eq!(id(&arr(&r)[0]), id(&hidden[3]), "the owner's largest is one Bob may not see");
    let c = next_cursor(&r).expect("more");
    let r = app.get(&format!("/deals?sort=amount&limit=200&cursor={c}"), &bob.access_token).await;
    r.expect(200);
    assert_eq!(ids(&arr(&r)), want);
    assert!(hidden.iter().all(|h| !r.body.to_string().contains(h["title"].as_str().unwrap())));

    // Taken off a deal between two pages: the next page goes without it.
    let r = app.get("/deals?sort=amount&limit=1", &bob.access_token).await;
    assert_eq!(id(&arr(&r)[0]), id(&bobs[3]));
    let c = next_cursor(&r).expect("more");
    let next = &bobs[2];
    app.call(
        "PATCH",
        &format!("/deals/{}", id(next)),
        Some(&owner.access_token),
        Some(json!({"version": next["version"], "participants": [guest.user_id]})),
    )
    .await
    .expect(200);
    let r = app.get(&format!("/deals?sort=amount&limit=200&cursor={c}"), &bob.access_token).await;
    r.expect(200);
    assert_eq!(ids(&arr(&r)), vec![id(&bobs[1]), id(&bobs[0])]);

    // Another workspace's cursor reads nothing of this one.
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    let r = app.get(&format!("/deals?sort=amount&cursor={c}"), &other.access_token).await;
    r.expect(200);
    assert!(arr(&r).is_empty());
}

on_every_backend!(
    every_order_pages_exactly_both_ways,
    bad_sorts_and_cursors_are_refused,
    paging_shows_only_what_the_reader_may_see,
);
