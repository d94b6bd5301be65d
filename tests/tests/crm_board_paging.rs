//! A big board opens with the first cards of each column: `GET
//! /pipelines/{id}/board?per_column=N` carries at most N deals per column, with
//! counts and per-currency sums over the whole column (and only what the reader
//! may see), and a cursor that `GET /deals` continues exactly where the column
//! stopped — cards with their tasks and client names, as on the board.

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).parse().expect("uuid")
}

fn ids(items: &[Value]) -> Vec<Uuid> {
    items.iter().map(id).collect()
}

fn arr(v: &Value) -> Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}")).clone()
}

async fn create_deal(app: &TestApp, by: &Session, body: Value) -> Value {
    let r = app.post("/deals", Some(&by.access_token), body).await;
    r.expect(201);
    r.body.clone()
}

async fn funnel(app: &TestApp, by: &Session) -> (Uuid, Vec<Uuid>) {
    let r = app.get("/pipelines", &by.access_token).await;
    r.expect(200);
    let p = &r.body[0];
    (id(p), arr(&p["stages"]).iter().map(id).collect())
}

async fn board(app: &TestApp, by: &Session, pipeline: Uuid, query: &str) -> Value {
    let r = app.get(&format!("/pipelines/{pipeline}/board?{query}"), &by.access_token).await;
    r.expect(200);
    r.body.clone()
}

fn column(board: &Value, stage: Uuid) -> Value {
    arr(&board["columns"]).into_iter().find(|c| id(&c["stage"]) == stage).expect("the stage's column")
}

fn sums(col: &Value) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = arr(&col["sums"])
        .iter()
        .map(|s| (s["currency"].as_str().unwrap().to_string(), s["amount_minor"].as_i64().unwrap()))
        .collect();
    v.sort();
    v
}

fn next_cursor(r: &Resp) -> Option<String> {
    r.headers.get("x-next-cursor").map(|v| v.to_str().expect("ascii header").to_string())
}

/// Every card of a column: the board's first ones, then `GET /deals` pages from
/// the column's cursor (`limit` per page).
async fn whole_column(
    app: &TestApp,
    by: &Session,
    pipeline: Uuid,
    stage: Uuid,
    filters: &str,
    per_column: usize,
    limit: usize,
) -> Vec<Value> {
    let b = board(app, by, pipeline, &format!("per_column={per_column}{filters}")).await;
    let col = column(&b, stage);
    let mut out = arr(&col["deals"]);
    assert!(out.len() <= per_column, "a column carries at most per_column cards");
    let mut cursor = col["next_cursor"].as_str().map(str::to_string);
    if cursor.is_some() {
        assert_eq!(out.len(), per_column, "a column with a cursor is full");
    }
    for _ in 0..100 {
        let Some(c) = cursor else { return out };
        let r = app
            .get(
                &format!("/deals?pipeline_id={pipeline}&stage_id={stage}&sort=board&limit={limit}&cursor={c}{filters}"),
                &by.access_token,
            )
            .await;
        r.expect(200);
        out.extend(arr(&r.body));
        cursor = next_cursor(&r);
    }
    panic!("paging the column did not end");
}

/// Seven deals in the first stage (roubles and dollars), one in the second.
async fn seed(app: &TestApp, owner: &Session, stages: &[Uuid]) -> Vec<Value> {
    let mut deals = Vec::new();
    for i in 0..7 {
        let currency = if i % 3 == 0 { "USD" } else { "RUB" };
        let title = if i % 2 == 0 { format!("Поставка {i}") } else { format!("Аренда {i}") };
        deals.push(
            create_deal(
                app,
                owner,
                json!({"title": title, "amount_minor": (i + 1) * 1_000, "currency": currency, "stage_id": stages[0]}),
            )
            .await,
        );
    }
    deals.push(
        create_deal(app, owner, json!({"title": "Другая", "amount_minor": 5, "stage_id": stages[1]})).await,
    );
    deals
}

async fn columns_carry_their_first_cards_and_count_all(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let (pipeline, stages) = funnel(&app, &owner).await;
    let deals = seed(&app, &owner, &stages).await;
    // A task on a deal beyond the first page: its card, paged in, shows it.
    let late = &deals[0]; // new cards go on top, so the first made is last
    app.post(
        "/tasks",
        Some(&owner.access_token),
        json!({"title": "Позвонить", "entity_kind": "deal", "entity_id": id(late)}),
    )
    .await
    .expect(201);

    let full = board(&app, &owner, pipeline, "").await;
    let all = arr(&column(&full, stages[0])["deals"]);
    assert_eq!(all.len(), 7, "the default carries a small column whole");
    assert!(column(&full, stages[0])["next_cursor"].is_null());

    let b = board(&app, &owner, pipeline, "per_column=3").await;
    let first = column(&b, stages[0]);
    assert_eq!(ids(&arr(&first["deals"])), ids(&all[..3]), "the column's first cards, in board order");
    assert_eq!(first["count"], 7, "the count covers the whole column");
    assert_eq!(
        sums(&first),
        vec![("RUB".into(), 2_000 + 3_000 + 5_000 + 6_000), ("USD".into(), 1_000 + 4_000 + 7_000)]
    );
    assert!(first["next_cursor"].is_string());
    let second = column(&b, stages[1]);
    assert_eq!(second["count"], 1);
    assert!(second["next_cursor"].is_null(), "a column carried whole has no cursor");

    // Paged on through GET /deals, the column is exactly the whole one.
    let paged = whole_column(&app, &owner, pipeline, stages[0], "", 3, 2).await;
    assert_eq!(ids(&paged), ids(&all));
    let card = paged.iter().find(|d| id(d) == id(late)).expect("the late card");
    assert_eq!(card["open_tasks"], 1, "a paged-in card carries its tasks: {card}");
    assert_eq!(card["next_task"]["title"], "Позвонить");

    // Filters apply to the cards, the counts and the cursor's pages alike.
    let text = "&text=%D0%BF%D0%BE%D1%81%D1%82%D0%B0%D0%B2%D0%BA%D0%B0"; // "поставка"
    let b = board(&app, &owner, pipeline, &format!("per_column=1{text}")).await;
    let col = column(&b, stages[0]);
    assert_eq!(col["count"], 4);
    assert_eq!(sums(&col), vec![("RUB".into(), 3_000 + 5_000), ("USD".into(), 1_000 + 7_000)]);
    let paged = whole_column(&app, &owner, pipeline, stages[0], text, 1, 1).await;
    let want: Vec<Uuid> =
        all.iter().filter(|d| d["title"].as_str().unwrap().starts_with("Поставка")).map(id).collect();
    assert_eq!(ids(&paged), want);

    // per_column=0: the heads alone.
    let heads = board(&app, &owner, pipeline, "per_column=0").await;
    let col = column(&heads, stages[0]);
    assert!(arr(&col["deals"]).is_empty());
    assert_eq!(col["count"], 7);
    assert_eq!(sums(&col), sums(&first));

    // A card moved to the top of the column while paging: the pages that
    // follow the cursor neither repeat nor lose the others.
    let b = board(&app, &owner, pipeline, "per_column=3").await;
    let cursor = column(&b, stages[0])["next_cursor"].as_str().unwrap().to_string();
    let moved = &all[5];
    let fresh = app.get(&format!("/deals/{}", id(moved)), &owner.access_token).await;
    app.post(
        &format!("/deals/{}/move", id(moved)),
        Some(&owner.access_token),
        json!({"version": fresh.body["version"], "stage_id": stages[0], "index": 0}),
    )
    .await
    .expect(200);
    let r = app
        .get(
            &format!(
                "/deals?pipeline_id={pipeline}&stage_id={}&sort=board&limit=50&cursor={cursor}",
                stages[0]
            ),
            &owner.access_token,
        )
        .await;
    r.expect(200);
    assert_eq!(ids(&arr(&r.body)), vec![id(&all[3]), id(&all[4]), id(&all[6])]);
}

async fn counts_cover_only_what_the_reader_may_see(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let (pipeline, stages) = funnel(&app, &owner).await;
    app.call("PATCH", "/workspace", Some(&owner.access_token), Some(json!({"deal_visibility": "own"})))
        .await
        .expect(200);
    let mut bobs = Vec::new();
    for i in 0..5 {
        let people: Vec<Uuid> = if i % 2 == 0 { vec![bob.user_id] } else { vec![] };
        let d = create_deal(
            &app,
            &owner,
            json!({"title": format!("Сделка {i}"), "amount_minor": 100, "participants": people}),
        )
        .await;
        if i % 2 == 0 {
            bobs.push(d);
        }
    }
    let b = board(&app, &bob, pipeline, "per_column=1").await;
    let col = column(&b, stages[0]);
    assert_eq!(col["count"], 3, "Bob's count is of the deals he is on");
    assert_eq!(sums(&col), vec![("RUB".into(), 300)]);
    let paged = whole_column(&app, &bob, pipeline, stages[0], "", 1, 1).await;
    let mut want = ids(&bobs);
    want.reverse();
    assert_eq!(ids(&paged), want);

    // Taken off a deal: it leaves his count at once.
    let d = &bobs[0];
    let fresh = app.get(&format!("/deals/{}", id(d)), &owner.access_token).await;
    app.call(
        "PATCH",
        &format!("/deals/{}", id(d)),
        Some(&owner.access_token),
        Some(json!({"version": fresh.body["version"], "participants": []})),
    )
    .await
    .expect(200);
    let b = board(&app, &bob, pipeline, "per_column=0").await;
    assert_eq!(column(&b, stages[0])["count"], 2);

    // Another workspace reads none of this board.
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    app.get(&format!("/pipelines/{pipeline}/board?per_column=1"), &other.access_token)
        .await
        .expect_error(404, "not_found");
}

async fn bad_page_sizes_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let (pipeline, _) = funnel(&app, &owner).await;
    for q in ["per_column=-1", "per_column=201"] {
        app.get(&format!("/pipelines/{pipeline}/board?{q}"), &owner.access_token)
            .await
            .expect_error(422, "invalid_input");
    }
    let r = app.get(&format!("/pipelines/{pipeline}/board?per_column=many"), &owner.access_token).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["error"]["code"].is_string());
    board(&app, &owner, pipeline, "per_column=200").await;
}

on_every_backend!(
    columns_carry_their_first_cards_and_count_all,
    counts_cover_only_what_the_reader_may_see,
    bad_page_sizes_are_refused,
);
