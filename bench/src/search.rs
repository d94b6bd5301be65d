//! `search`: search figures on generated data. Unlike the other modes this one
//! runs the server in-process (the same `AppState` + `run_with` as `artel
//! serve`) on a fresh data dir, because its generator writes N messages
//! straight into the store, far faster than the API would take them. Then:
//! full reindex time, index size, query latency over HTTP for typical queries
//! (permission resolution included), and send → searchable time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use artel::config::{DataConfig, ServeConfig};
use artel_core::message::{MessageKind, NewMessage};
use artel_core::SystemClock;
use chrono::Utc;
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::cli::SearchArgs;

const WORDS_RU: &[&str] = &[
    "договор",
    "договора",
    "договоров",
    "счёт",
    "счета",
    "оплата",
    "поставка",
    "поставки",
    "клиент",
    "клиента",
    "встреча",
    "встречу",
    "завтра",
    "сегодня",
    "звонок",
    "позвонить",
    "отправил",
    "отправить",
    "коммерческое",
    "предложение",
    "скидка",
    "цена",
    "насосы",
    "насосов",
    "склад",
    "доставка",
    "акт",
    "подписали",
    "согласовать",
    "юрист",
    "менеджер",
    "сделка",
    "сделки",
    "отчёт",
    "квартал",
    "бюджет",
];
const WORDS_EN: &[&str] = &[
    "meeting",
    "meetings",
    "invoice",
    "contract",
    "contracts",
    "delivery",
    "pricing",
    "discount",
    "call",
    "tomorrow",
    "report",
    "quarter",
    "budget",
    "deal",
    "signed",
    "sent",
    "review",
    "proposal",
];

fn sentence(rng: &mut StdRng, i: u64) -> String {
    let n = rng.gen_range(4..16);
    let english = rng.gen_bool(0.25);
    let mut words: Vec<String> = (0..n)
        .map(|_| {
            let list = if english { WORDS_EN } else { WORDS_RU };
            list[rng.gen_range(0..list.len())].to_string()
        })
        .collect();
    // A sprinkle of phones, e-mails and links, as in real sales chats.
    match rng.gen_range(0..50) {
        0 => words.push(format!(
            "+7 (916) {:03}-{:02}-{:02}",
            rng.gen_range(100..999),
            rng.gen_range(10..99),
            rng.gen_range(10..99)
        )),
        1 => words.push(format!("client{}@example.ru", rng.gen_range(0..5000))),
        2 => words.push(format!("https://example.com/doc/{i}")),
        _ => {}
    }
    words.join(" ")
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "{path}: {status} {body}");
        Ok(body)
    }

    async fn search(&self, token: &str, q: &str) -> anyhow::Result<Value> {
        let resp = self
            .http
            .get(format!("{}/search", self.base))
            .bearer_auth(token)
            .query(&[("q", q)])
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "search {q}: {}", resp.status());
        Ok(resp.json().await?)
    }
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

pub async fn run(a: SearchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data_dir = a.data_dir.clone().unwrap_or_else(|| dir.path().to_path_buf());
    let data = DataConfig {
        data_dir: data_dir.clone(),
        database_url: a.database_url.clone().map(artel::config::Secret::new),
        db_max_connections: None,
        jwt_secret: None,
    };
    let serve = ServeConfig {
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        access_token_ttl_secs: 24 * 3600,
        ..ServeConfig::default()
    };
    let state = artel::AppState::open(&data, &serve, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(artel::run_with(state.clone(), listener, async move {
        let _ = stop_rx.await;
    }));
    let api = Api { http: reqwest::Client::new(), base: format!("http://{addr}/api/v1") };

    // Owner, a few people, and chats everyone is in.
    let owner = api
        .call(
            reqwest::Method::POST,
            "/setup",
            None,
            Some(json!({"workspace_name": "Bench", "name": "Anna Owner",
            "email": "anna@bench.test", "password": "bench password 1", "language": "ru"})),
        )
        .await?;
    let token = owner["access_token"].as_str().context("token")?.to_string();
    let owner_id: Uuid = owner["user"]["id"].as_str().context("user id")?.parse()?;
    let workspace_id: Uuid = owner["workspace"]["id"].as_str().context("workspace id")?.parse()?;
    let mut people = vec![owner_id];
    for i in 0..a.people {
        let inv = api
            .call(reqwest::Method::POST, "/invites", Some(&token), Some(json!({"role": "member"})))
            .await?;
        let acc = api
            .call(reqwest::Method::POST, "/invites/accept", None, Some(json!({"token": inv["token"],
                "name": format!("Person {i}"), "email": format!("p{i}@bench.test"), "password": "bench password 1"})))
            .await?;
        people.push(acc["user"]["id"].as_str().context("id")?.parse()?);
    }
    let mut chats = Vec::new();
    for i in 0..a.chats {
        let c = api
            .call(
                reqwest::Method::POST,
                "/chats",
                Some(&token),
                Some(json!({"kind": "group", "name": format!("chat-{i}"),
                "is_private": true, "member_ids": people[1..]})),
            )
            .await?;
        chats.push(c["id"].as_str().context("chat id")?.parse::<Uuid>()?);
    }

    // Generate straight into the store (indexing paused: the rebuild below is timed).
    state.search.set_suspended(true);
    let mut rng = StdRng::seed_from_u64(7);
    let started = Instant::now();
    let mut written = 0u64;
    while written < a.messages {
        let n = (a.messages - written).min(2000);
        let batch: Vec<NewMessage> = (0..n)
            .map(|k| NewMessage {
                id: Uuid::now_v7(),
                workspace_id,
                chat_id: chats[rng.gen_range(0..chats.len())],
                author_id: Some(people[rng.gen_range(0..people.len())]),
                kind: MessageKind::User,
                body: sentence(&mut rng, written + k),
                thread_root_id: None,
                client_msg_id: None,
                mentions: Vec::new(),
                mentions_all: false,
                created_at: Utc::now(),
                attachment_ids: Vec::new(),
                author_must_be_member: false,
                notice: None,
            })
            .collect();
        state.store.append_messages(&batch).await?;
        written += n;
        if written.is_multiple_of(100_000) {
            eprintln!(
                "generated {written} messages ({:.0}/s)",
                written as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    println!("generated {written} messages in {:.1} s", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let total = artel::search::reindex::rebuild(&state.store, &state.search, |_, _| {}).await?;
    let reindex_secs = started.elapsed().as_secs_f64();
    // The generator's outbox notes are redundant now.
    loop {
        let batch = state.store.search_outbox_batch(10_000).await?;
        if batch.is_empty() {
            break;
        }
        state.store.search_outbox_remove(&batch.iter().map(|n| n.id).collect::<Vec<_>>()).await?;
    }
    state.search.set_suspended(false);
    // Let the writer close (merges finish) before measuring size and queries.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let size = state.search.index.size_on_disk().unwrap_or(0);
    println!(
        "full reindex: {total} documents in {reindex_secs:.1} s ({:.0} docs/s)",
        total as f64 / reindex_secs
    );
    println!(
        "index size on disk: {:.1} MiB ({:.0} bytes/message)",
        size as f64 / 1048576.0,
        size as f64 / total.max(1) as f64
    );

    let queries = [
        "договор",
        "встреча завтра",
        "догов",
        "meetings",
        "\"коммерческое предложение\"",
        "договор -счёт",
        "+7 916",
        "отчёт from:@p1",
        "счёт in:#chat-7",
        "поставка has:link",
        "бюджет квартал after:2026-01-01",
    ];
    println!("| query | p50 ms | p99 ms | max ms | hits (total) |");
    println!("|---|---|---|---|---|");
    let mut all = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    for q in queries {
        let mut h = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
        let mut total_hits = 0;
        for _ in 0..3 {
            api.search(&token, q).await?; // warm
        }
        for _ in 0..a.repeats {
            let t = Instant::now();
            let body = api.search(&token, q).await?;
            let us = t.elapsed().as_micros() as u64;
            h.record(us.max(1))?;
            all.record(us.max(1))?;
            total_hits = body["groups"]
                .as_array()
                .map(|g| g.iter().map(|g| g["total"].as_u64().unwrap_or(0)).sum::<u64>())
                .unwrap_or(0);
        }
        println!(
            "| `{q}` | {:.1} | {:.1} | {:.1} | {total_hits} |",
            ms(&h, 0.5),
            ms(&h, 0.99),
            h.max() as f64 / 1000.0
        );
    }
    println!(
        "all queries: p50 {:.1} ms, p99 {:.1} ms over {} searches",
        ms(&all, 0.5),
        ms(&all, 0.99),
        all.len()
    );

    // Send → searchable, through the real send path and the indexer.
    let mut h = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    for i in 0..a.probes {
        let word = format!("zz{}probe{i}", Uuid::now_v7().simple());
        let t = Instant::now();
        api.call(
            reqwest::Method::POST,
            &format!("/chats/{}/messages", chats[0]),
            Some(&token),
            Some(json!({"body": format!("проверка {word}")})),
        )
        .await?;
        loop {
            let body = api.search(&token, &word).await?;
            if body["groups"].as_array().is_some_and(|g| !g.is_empty()) {
                break;
            }
            anyhow::ensure!(t.elapsed() < Duration::from_secs(30), "probe {i} never became searchable");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        h.record((t.elapsed().as_micros() as u64).max(1))?;
    }
    println!(
        "send → searchable: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms over {} sends",
        ms(&h, 0.5),
        ms(&h, 0.99),
        h.max() as f64 / 1000.0,
        h.len()
    );

    let _ = stop_tx.send(());
    let _ = server.await;
    Ok(())
}
