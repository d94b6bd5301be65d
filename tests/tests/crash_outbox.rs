//! kill -9 at random moments, on both backends: a real `artel serve` process is
//! killed with SIGKILL while clients move deals, create and complete tasks and
//! send messages (an outgoing webhook, a stage rule and a push subscription are
//! configured), then started again on the same data directory or database, over
//! and over. At the end, once the job queue is drained, every committed change
//! — the database is the truth, not what the clients were told — must have
//! produced its webhook delivery (the receiver dedupes by event id), its rule
//! run, its board event and its deal-chat notice exactly once: none lost, none
//! duplicated. The same event id delivered twice is a transport retry and fine;
//! two event ids or two notices for one change are a duplicate.
//!
//! The seed is printed; `ARTEL_CRASH_SEED=<n>` replays the same kill schedule
//! and client choices (timing still varies).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use artel_tests::cluster_node::{free_port, Node, NodeOptions};
use artel_tests::push_service::PushService;
use artel_tests::receiver::Receiver;
use artel_tests::{on_every_backend, Backend, Database, PASSWORD};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::{PgPool, Row, SqlitePool};
use uuid::Uuid;

/// Kills per engine (the issue asks for at least 20).
const KILLS: usize = 22;
/// Concurrent clients.
const CLIENTS: usize = 3;
/// Deals a client keeps in play at once.
const ACTIVE_DEALS: usize = 3;
/// What the stage rule posts; its bot messages are counted by it.
const RULE_MARK: &str = "crash-rule-fired";
/// Longest the queue may take to drain after the last restart.
const DRAIN: Duration = Duration::from_secs(90);

on_every_backend!(kill_nine_loses_and_repeats_nothing);

// ---------------------------------------------------------------------------
// HTTP from the clients' side: a dead server is an error, not a panic.

#[derive(Clone)]
struct Api {
    base: String,
    http: reqwest::Client,
}

/// A transport failure (the server died mid-request, or is not up yet).
#[derive(Debug)]
struct Down;

impl Api {
    fn new(port: u16) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        Self { base: format!("http://127.0.0.1:{port}/api/v1"), http }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), Down> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|_| Down)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|_| Down)?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    /// A setup call: must succeed.
    async fn must(&self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let (status, body) =
            self.call(method, path, token, Some(body)).await.expect("server up during setup");
        assert!((200..300).contains(&status), "{method} {path}: {status} {body}");
        body
    }

    /// Waits until the server answers /ready (or the run is over).
    async fn wait_up(&self, stop: &AtomicBool) {
        loop {
            if let Ok(r) = self.http.get(format!("{}/ready", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            if stop.load(Ordering::SeqCst) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_string()
}

fn uuid_of(v: &Value) -> Option<Uuid> {
    v.as_str().and_then(|x| Uuid::parse_str(x).ok())
}

// ---------------------------------------------------------------------------
// The workspace the clients work in.

#[derive(Clone)]
struct World {
    owner: String,
    member: String,
    member_id: String,
    channel: String,
    /// Open stages deals move between.
    working: Vec<String>,
    /// The open stage with the rule; deals that enter it stay there.
    rule_stage: String,
    won: String,
    lost: String,
}

async fn set_up(api: &Api, receiver: &Receiver, push: &PushService) -> World {
    let owner = api
        .must(
            "POST",
            "/setup",
            "",
            json!({"workspace_name": "Acme", "name": "Olga Owner", "email": "owner@acme.test",
                   "password": PASSWORD, "time_zone": "Europe/Moscow", "language": "ru"}),
        )
        .await;
    let owner_token = s(&owner["access_token"]);
    let invite = api.must("POST", "/invites", &owner_token, json!({"role": "member"})).await;
    let member = api
        .must(
            "POST",
            "/invites/accept",
            "",
            json!({"token": invite["token"], "name": "Boris Member", "email": "bob@acme.test", "password": PASSWORD}),
        )
        .await;
    let member_token = s(&member["access_token"]);
    let member_id = s(&member["user"]["id"]);
    api.must("PUT", "/integrations/settings", &owner_token, json!({"allow_private_targets": true})).await;
    let events = artel_core::automation::webhook::EVENTS;
    api.must(
        "POST",
        "/webhooks",
        &owner_token,
        json!({"name": "Crash receiver", "url": receiver.url("/artel"), "events": events}),
    )
    .await;
    let pipelines = api.call("GET", "/pipelines", &owner_token, None).await.expect("pipelines").1;
    let pipeline = &pipelines[0];
    let stages = pipeline["stages"].as_array().expect("stages");
    let open: Vec<String> = stages.iter().filter(|st| st["kind"] == "open").map(|st| s(&st["id"])).collect();
    let kind = |k: &str| s(&stages.iter().find(|st| st["kind"] == k).expect("stage kind")["id"]);
    assert!(open.len() >= 3, "the default pipeline has open stages: {pipeline}");
    let rule_stage = open.last().expect("open stage").clone();
    api.must(
        "POST",
        &format!("/pipelines/{}/stages/{rule_stage}/rules", s(&pipeline["id"])),
        &owner_token,
        json!({"trigger": {"type": "deal_entered_stage"},
               "action": {"type": "post_message", "text": format!("{RULE_MARK} {{deal}}")}}),
    )
    .await;
    let keys = push.new_subscription();
    api.must("POST", "/push/subscriptions", &member_token, push.subscription_json(&keys)).await;
    let channel = api
        .must(
            "POST",
            "/chats",
            &owner_token,
            json!({"kind": "channel", "name": "crash", "member_ids": [member_id]}),
        )
        .await;
    World {
        owner: owner_token,
        member: member_token,
        member_id,
        channel: s(&channel["id"]),
        working: open[..open.len() - 1].to_vec(),
        rule_stage,
        won: kind("won"),
        lost: kind("lost"),
    }
}

// ---------------------------------------------------------------------------
// The clients: what they believe is kept only to compare with the truth.

#[derive(Default)]
struct Believed {
    deals_created: AtomicU64,
    moves: AtomicU64,
    tasks_created: AtomicU64,
    tasks_done: AtomicU64,
    messages: AtomicU64,
    /// Requests cut by a kill (their outcome unknown to the client).
    cut: AtomicU64,
    /// Answers that were neither 2xx nor 409 (printed; a 5xx is a finding).
    odd: AtomicU64,
    /// Acknowledged deal versions and task completions, checked against the database.
    acked: std::sync::Mutex<Acked>,
}

#[derive(Default)]
struct Acked {
    deal_versions: HashMap<Uuid, i64>,
    tasks_created: HashSet<Uuid>,
    tasks_done: HashSet<Uuid>,
    odd: Vec<String>,
}

struct Deal {
    id: String,
    version: i64,
    stage: String,
    chat: String,
    tasks: Vec<(String, i64)>,
}

struct Client {
    api: Api,
    world: World,
    token: String,
    name: String,
    rng: StdRng,
    deals: Vec<Deal>,
    n: u64,
    believed: Arc<Believed>,
    stop: Arc<AtomicBool>,
}

impl Client {
    async fn run(mut self) {
        while !self.stop.load(Ordering::SeqCst) {
            self.step().await;
            let pause = self.rng.gen_range(0..20);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    }

    fn ack_deal(&self, id: &str, version: i64) {
        if let Ok(id) = Uuid::parse_str(id) {
            let mut acked = self.believed.acked.lock().expect("lock");
            let v = acked.deal_versions.entry(id).or_insert(0);
            *v = (*v).max(version);
        }
    }

    fn odd(&self, what: &str, status: u16, body: &Value) {
        self.believed.odd.fetch_add(1, Ordering::SeqCst);
        let mut acked = self.believed.acked.lock().expect("lock");
        if acked.odd.len() < 20 {
            acked.odd.push(format!("{} {what}: {status} {body}", self.name));
        }
    }

    /// A request failed in transport: wait for the restart.
    async fn cut(&self) {
        self.believed.cut.fetch_add(1, Ordering::SeqCst);
        self.api.wait_up(&self.stop).await;
    }

    async fn step(&mut self) {
        self.n += 1;
        let roll = self.rng.gen_range(0..100);
        if self.deals.len() < ACTIVE_DEALS && roll < 15 || self.deals.is_empty() {
            self.create_deal().await;
        } else if roll < 50 {
            self.move_deal().await;
        } else if roll < 70 {
            self.create_task().await;
        } else if roll < 85 {
            self.complete_task().await;
        } else {
            self.send_message().await;
        }
    }

    async fn create_deal(&mut self) {
        let title = format!("{} deal {}", self.name, self.n);
        match self.api.call("POST", "/deals", &self.token, Some(json!({"title": title}))).await {
            Ok((201, d)) => {
                self.believed.deals_created.fetch_add(1, Ordering::SeqCst);
                self.ack_deal(&s(&d["id"]), 1);
                self.deals.push(Deal {
                    id: s(&d["id"]),
                    version: d["version"].as_i64().unwrap_or(1),
                    stage: s(&d["stage_id"]),
                    chat: s(&d["chat_id"]),
                    tasks: Vec::new(),
                });
            }
            Ok((status, body)) => self.odd("create deal", status, &body),
            // Committed or not: the database says; the client moves on without it.
            Err(Down) => self.cut().await,
        }
    }

    /// Reads a deal again after a cut or a conflict.
    async fn reload(&mut self, i: usize) {
        loop {
            let path = format!("/deals/{}", self.deals[i].id);
            match self.api.call("GET", &path, &self.token, None).await {
                Ok((200, d)) => {
                    self.deals[i].version = d["version"].as_i64().unwrap_or(1);
                    self.deals[i].stage = s(&d["stage_id"]);
                    return;
                }
                Ok((status, body)) => {
                    self.odd("reload deal", status, &body);
                    return;
                }
                Err(Down) => {
                    if self.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    self.cut().await;
                }
            }
        }
    }

    /// Deals that reached the rule's stage or a closed one leave play.
    fn retire_finished(&mut self) {
        let w = &self.world;
        self.deals.retain(|d| w.working.contains(&d.stage));
    }

    async fn move_deal(&mut self) {
        if self.deals.is_empty() {
            return;
        }
        let i = self.rng.gen_range(0..self.deals.len());
        let target = if self.rng.gen_range(0..100) < 20 {
            match self.rng.gen_range(0..100) {
                0..=59 => self.world.rule_stage.clone(),
                60..=84 => self.world.won.clone(),
                _ => self.world.lost.clone(),
            }
        } else {
            let others: Vec<&String> =
                self.world.working.iter().filter(|st| **st != self.deals[i].stage).collect();
            others[self.rng.gen_range(0..others.len())].clone()
        };
        let path = format!("/deals/{}/move", self.deals[i].id);
        let body = json!({"version": self.deals[i].version, "stage_id": target});
        match self.api.call("POST", &path, &self.token, Some(body)).await {
            Ok((200, d)) => {
                self.believed.moves.fetch_add(1, Ordering::SeqCst);
                let version = d["version"].as_i64().unwrap_or(0);
                self.ack_deal(&self.deals[i].id.clone(), version);
                self.deals[i].version = version;
                self.deals[i].stage = s(&d["stage_id"]);
            }
            Ok((409, _)) => self.reload(i).await,
            Ok((status, body)) => {
                self.odd("move deal", status, &body);
                self.reload(i).await;
            }
            Err(Down) => {
                self.cut().await;
                self.reload(i).await;
            }
        }
        self.retire_finished();
    }

    async fn create_task(&mut self) {
        if self.deals.is_empty() {
            return;
        }
        let i = self.rng.gen_range(0..self.deals.len());
        let mut body = json!({"title": format!("{} task {}", self.name, self.n),
                              "entity_kind": "deal", "entity_id": self.deals[i].id});
        if self.rng.gen_bool(0.5) {
            // Assigned to the member: a push for them to plan.
            body["assignees"] = json!([self.world.member_id]);
        }
        match self.api.call("POST", "/tasks", &self.token, Some(body)).await {
            Ok((201, t)) => {
                self.believed.tasks_created.fetch_add(1, Ordering::SeqCst);
                if let Some(id) = uuid_of(&t["id"]) {
                    self.believed.acked.lock().expect("lock").tasks_created.insert(id);
                }
                self.deals[i].tasks.push((s(&t["id"]), t["version"].as_i64().unwrap_or(1)));
            }
            Ok((status, body)) => self.odd("create task", status, &body),
            Err(Down) => self.cut().await,
        }
    }

    async fn complete_task(&mut self) {
        let with_tasks: Vec<usize> =
            (0..self.deals.len()).filter(|i| !self.deals[*i].tasks.is_empty()).collect();
        if with_tasks.is_empty() {
            return self.create_task().await;
        }
        let i = with_tasks[self.rng.gen_range(0..with_tasks.len())];
        let j = self.rng.gen_range(0..self.deals[i].tasks.len());
        let (id, version) = self.deals[i].tasks[j].clone();
        let path = format!("/tasks/{id}/complete");
        loop {
            match self.api.call("POST", &path, &self.token, Some(json!({"version": version}))).await {
                Ok((200, t)) => {
                    if t["task"]["status"] == "done" || t["status"] == "done" {
                        self.believed.tasks_done.fetch_add(1, Ordering::SeqCst);
                        if let Ok(id) = Uuid::parse_str(&id) {
                            self.believed.acked.lock().expect("lock").tasks_done.insert(id);
                        }
                    }
                    break;
                }
                // A retry after a cut whose first try committed: the version moved on.
                Ok((409, _)) => {
                    if let Ok((200, t)) =
                        self.api.call("GET", &format!("/tasks/{id}"), &self.token, None).await
                    {
                        if t["status"] == "done" {
                            self.believed.tasks_done.fetch_add(1, Ordering::SeqCst);
                            if let Ok(id) = Uuid::parse_str(&id) {
                                self.believed.acked.lock().expect("lock").tasks_done.insert(id);
                            }
                        }
                    }
                    break;
                }
                Ok((status, body)) => {
                    self.odd("complete task", status, &body);
                    break;
                }
                // Completing again is a no-op when the first one committed: retry
                // until answered, so the client knows.
                Err(Down) => {
                    self.cut().await;
                    if self.stop.load(Ordering::SeqCst) {
                        break;
                    }
                }
            }
        }
        self.deals[i].tasks.remove(j);
    }

    async fn send_message(&mut self) {
        let chat = if self.rng.gen_bool(0.5) || self.deals.is_empty() {
            self.world.channel.clone()
        } else {
            let i = self.rng.gen_range(0..self.deals.len());
            self.deals[i].chat.clone()
        };
        let body = json!({"body": format!("{} says {}", self.name, self.n),
                          "client_msg_id": format!("{}-{}", self.name, self.n)});
        match self.api.call("POST", &format!("/chats/{chat}/messages"), &self.token, Some(body)).await {
            Ok((200 | 201, _)) => {
                self.believed.messages.fetch_add(1, Ordering::SeqCst);
            }
            Ok((status, body)) => self.odd("send message", status, &body),
            Err(Down) => self.cut().await,
        }
    }
}

// ---------------------------------------------------------------------------
// The database, read directly (the truth), on either engine.

enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    async fn open(db: &Database) -> Self {
        match &db.postgres_url {
            Some(url) => Db::Postgres(PgPool::connect(url).await.expect("connect postgres")),
            None => {
                let opts = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(db.data_dir.join("artel.db"))
                    .busy_timeout(Duration::from_secs(10));
                Db::Sqlite(SqlitePool::connect_with(opts).await.expect("open sqlite"))
            }
        }
    }

    /// Rows of text columns. `pg` and `lite` are the same query in each dialect
    /// (uuids as text, JSON as text).
    async fn rows(&self, pg: &str, lite: &str) -> Vec<Vec<Option<String>>> {
        match self {
            Db::Postgres(pool) => {
                let rows = sqlx::query(pg).fetch_all(pool).await.unwrap_or_else(|e| panic!("{pg}: {e}"));
                rows.iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| r.try_get::<Option<String>, _>(i).expect("text column"))
                            .collect()
                    })
                    .collect()
            }
            Db::Sqlite(pool) => {
                let rows = sqlx::query(lite).fetch_all(pool).await.unwrap_or_else(|e| panic!("{lite}: {e}"));
                rows.iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| r.try_get::<Option<String>, _>(i).expect("text column"))
                            .collect()
                    })
                    .collect()
            }
        }
    }

    async fn execute(&self, sql: &str) {
        match self {
            Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    async fn close(self) {
        match self {
            Db::Postgres(pool) => pool.close().await,
            Db::Sqlite(pool) => pool.close().await,
        }
    }

    /// Pending jobs: (kind, attempts, leased, due later, last error).
    async fn pending_jobs(&self) -> Vec<Vec<Option<String>>> {
        self.rows(
            "select kind, attempts::text, (lease_until is not null)::text, run_at::text, last_error \
             from jobs where status = 'pending'",
            "select kind, cast(attempts as text), cast(lease_until is not null as text), run_at, last_error \
             from jobs where status = 'pending'",
        )
        .await
    }

    /// What waiting would do, without the wait, while no node runs: leases of
    /// killed processes run out and retries fall due. (Lease length and backoff
    /// are not what this test is about; what happens once they pass is.)
    async fn fast_forward_jobs(&self) {
        self.execute(
            "update jobs set lease_owner = null, lease_until = null, run_at = created_at \
             where status = 'pending'",
        )
        .await;
    }

    /// The same while a node runs: only jobs no one holds (retries waiting out
    /// their backoff), so nothing the live node runs is run twice by the test.
    async fn fast_forward_retries(&self) {
        self.execute("update jobs set run_at = created_at where status = 'pending' and lease_until is null")
            .await;
    }
}

fn uuid(col: &Option<String>) -> Option<Uuid> {
    col.as_deref().and_then(|x| Uuid::parse_str(x).ok())
}

fn json_col(col: &Option<String>) -> Value {
    col.as_deref().and_then(|x| serde_json::from_str(x).ok()).unwrap_or(Value::Null)
}

/// The truth about one deal.
#[derive(Debug, Default)]
struct DealTruth {
    chat: Option<Uuid>,
    version: i64,
    stage: String,
    /// `stage_id` history entries (one per move).
    moves: usize,
    /// Rule runs recorded in its history.
    rule_runs: usize,
    tasks_created: usize,
    tasks_done: usize,
}

#[derive(Default)]
struct Tally {
    changes: BTreeMap<&'static str, usize>,
    lost: BTreeMap<&'static str, usize>,
    duplicated: BTreeMap<&'static str, usize>,
    problems: Vec<String>,
}

impl Tally {
    /// One change that should have produced `got` = 1 effect of `what` (or
    /// `expected` in general); records loss or duplication.
    fn check(&mut self, what: &'static str, subject: impl std::fmt::Display, expected: usize, got: usize) {
        *self.changes.entry(what).or_default() += expected;
        if got < expected {
            *self.lost.entry(what).or_default() += expected - got;
            self.problems.push(format!("LOST {what}: {subject}: expected {expected}, got {got}"));
        } else if got > expected {
            *self.duplicated.entry(what).or_default() += got - expected;
            self.problems.push(format!("DUPLICATED {what}: {subject}: expected {expected}, got {got}"));
        }
    }

    fn lost(&self) -> usize {
        self.lost.values().sum()
    }

    fn duplicated(&self) -> usize {
        self.duplicated.values().sum()
    }
}

// ---------------------------------------------------------------------------

async fn kill_nine_loses_and_repeats_nothing(backend: Backend) {
    let started = Instant::now();
    let engine = format!("{backend:?}").to_lowercase();
    let seed: u64 =
        std::env::var("ARTEL_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(rand::random);
    println!("[{engine}] crash test seed {seed} (ARTEL_CRASH_SEED={seed} replays it)");
    let mut rng = StdRng::seed_from_u64(seed);

    let db = Database::create(backend).await;
    let receiver = Receiver::start(&[]).await;
    let push = PushService::start().await;
    let port = free_port();
    let opts = NodeOptions {
        data_dir: Some(PathBuf::from(&db.data_dir)),
        database_url: db.postgres_url.clone(),
        port: Some(port),
        env: vec![
            ("ARTEL_PUSH_ALLOW_HTTP_LOOPBACK".into(), "true".into()),
            ("ARTEL_PUSH_TIMEOUT_SECS".into(), "2".into()),
            ("ARTEL_PUSH_COLLAPSE_SECS".into(), "1".into()),
            // Many sign-ins from one address are not what this test is about.
            ("ARTEL_LOGIN_MAX_FAILURES_PER_IP".into(), "1000".into()),
        ],
        log_filter: Some("warn".into()),
        echo: false,
        ..NodeOptions::default()
    };
    let mut node = Node::start_with(opts.clone());
    node.wait_ready().await;
    let mut logs: Vec<String> = Vec::new();
    let api = Api::new(port);
    let world = set_up(&api, &receiver, &push).await;

    // The load.
    let stop = Arc::new(AtomicBool::new(false));
    let believed = Arc::new(Believed::default());
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let client = Client {
            api: Api::new(port),
            world: world.clone(),
            token: if i == 1 { world.member.clone() } else { world.owner.clone() },
            name: format!("c{i}"),
            rng: StdRng::seed_from_u64(seed.wrapping_add(1 + i as u64)),
            deals: Vec::new(),
            n: 0,
            believed: believed.clone(),
            stop: stop.clone(),
        };
        clients.push(tokio::spawn(client.run()));
    }

    // kill -9 at random moments; start again on the same data.
    let mut restarts = Vec::new();
    for _ in 0..KILLS {
        // Mostly short runs (many kills land mid-request), sometimes long
        // enough for the job worker's pass after a restart to be cut too.
        let ms = if rng.gen_bool(0.25) { rng.gen_range(2_500..6_000) } else { rng.gen_range(150..2_000) };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        node.kill();
        logs.extend(node.log_lines());
        let t = Instant::now();
        node = Node::start_with(opts.clone());
        node.wait_ready().await;
        restarts.push(t.elapsed());
    }
    tokio::time::sleep(Duration::from_millis(rng.gen_range(500..2_000))).await;
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.expect("client");
    }
    let load_time = started.elapsed();

    // Drain: a last kill, then what waiting out leases and backoffs would do,
    // then a node that runs everything still owed.
    node.kill();
    logs.extend(node.log_lines());
    let dbc = Db::open(&db).await;
    dbc.fast_forward_jobs().await;
    node = Node::start_with(opts.clone());
    node.wait_ready().await;
    let drain_start = Instant::now();
    let mut stable = 0;
    let mut last_seen = usize::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let pending = dbc.pending_jobs().await;
        let seen = receiver.received().len();
        if pending.is_empty() && seen == last_seen {
            stable += 1;
            if stable >= 4 {
                break;
            }
        } else {
            stable = 0;
        }
        last_seen = seen;
        if drain_start.elapsed() > DRAIN {
            println!("[{engine}] the queue did not drain within {DRAIN:?}; pending: {pending:?}");
            break;
        }
        // Retries after a failed attempt wait for their backoff: bring them forward.
        let unleased = pending.iter().any(|p| matches!(p[2].as_deref(), Some("false" | "0")));
        if unleased && drain_start.elapsed() > Duration::from_secs(8) {
            dbc.fast_forward_retries().await;
        }
    }
    let drain_time = drain_start.elapsed();
    let failed_jobs = dbc
        .rows(
            "select kind, attempts::text, last_error from jobs where status = 'failed'",
            "select kind, cast(attempts as text), last_error from jobs where status = 'failed'",
        )
        .await;

    // The truth.
    let mut deals: HashMap<Uuid, DealTruth> = HashMap::new();
    for r in dbc
        .rows(
            "select id::text, chat_id::text, version::text, stage_id::text from deals",
            "select hex(id), hex(chat_id), cast(version as text), hex(stage_id) from deals",
        )
        .await
    {
        let id = uuid(&r[0]).expect("deal id");
        let stage = uuid(&r[3]).expect("stage").to_string();
        let version = r[2].as_deref().and_then(|v| v.parse().ok()).expect("version");
        deals.insert(id, DealTruth { chat: uuid(&r[1]), version, stage, ..DealTruth::default() });
    }
    for r in dbc
        .rows(
            "select entity_id::text, field from history where entity_kind = 'deal'",
            "select hex(entity_id), field from history where entity_kind = 'deal'",
        )
        .await
    {
        let Some(d) = uuid(&r[0]).and_then(|id| deals.get_mut(&id)) else { continue };
        match r[1].as_deref() {
            Some("stage_id") => d.moves += 1,
            Some("automation") => d.rule_runs += 1,
            _ => {}
        }
    }
    // Tasks: id → (deal, done).
    let mut tasks: HashMap<Uuid, (Uuid, bool)> = HashMap::new();
    for r in dbc
        .rows(
            "select id::text, entity_id::text, status from tasks where entity_kind = 'deal'",
            "select hex(id), hex(entity_id), status from tasks where entity_kind = 'deal'",
        )
        .await
    {
        let (Some(id), Some(deal)) = (uuid(&r[0]), uuid(&r[1])) else { continue };
        let done = r[2].as_deref() == Some("done");
        tasks.insert(id, (deal, done));
        if let Some(d) = deals.get_mut(&deal) {
            d.tasks_created += 1;
            d.tasks_done += usize::from(done);
        }
    }
    // Messages in deal chats: notices by type and subject, rule posts by chat.
    let chat_deal: HashMap<Uuid, Uuid> =
        deals.iter().filter_map(|(id, d)| d.chat.map(|c| (c, *id))).collect();
    let mut notices: HashMap<(Uuid, &'static str, Option<Uuid>), usize> = HashMap::new();
    let mut rule_posts: HashMap<Uuid, usize> = HashMap::new();
    let mut user_messages = 0usize;
    for r in dbc
        .rows(
            "select chat_id::text, kind, notice::text, body from messages",
            "select hex(chat_id), kind, notice, body from messages",
        )
        .await
    {
        if r[1].as_deref() == Some("user") {
            user_messages += 1;
            continue;
        }
        let Some(deal) = uuid(&r[0]).and_then(|c| chat_deal.get(&c).copied()) else { continue };
        let notice = json_col(&r[2]);
        let kind: Option<&'static str> = match notice["type"].as_str() {
            Some("deal_created") => Some("notice deal_created"),
            Some("deal_moved") => Some("notice deal_moved"),
            Some("task_created") => Some("notice task_created"),
            Some("task_completed") => Some("notice task_completed"),
            _ => None,
        };
        if let Some(kind) = kind {
            let subject = uuid_of(&notice["task_id"]);
            *notices.entry((deal, kind, subject)).or_default() += 1;
        }
        if r[1].as_deref() == Some("bot") && r[3].as_deref().is_some_and(|b| b.contains(RULE_MARK)) {
            *rule_posts.entry(deal).or_default() += 1;
        }
    }
    // Board events per deal and version.
    let mut board: HashMap<Uuid, Vec<i64>> = HashMap::new();
    for r in dbc.rows("select payload::text from board_events", "select payload from board_events").await {
        let p = json_col(&r[0]);
        let p = if p.get("change").is_some() { p["change"].clone() } else { p };
        if p["type"] == "deal_upserted" {
            if let Some(id) = uuid_of(&p["deal"]["id"]) {
                board.entry(id).or_default().push(p["deal"]["version"].as_i64().unwrap_or(0));
            }
        } else if p["type"] == "deal_removed" {
            if let Some(id) = uuid_of(&p["deal_id"]) {
                board.entry(id).or_default().push(-1);
            }
        }
    }
    // Rule runs per deal: (status, attempts), to tell how a duplicate came about.
    let mut rule_jobs: HashMap<Uuid, Vec<String>> = HashMap::new();
    for r in dbc
        .rows(
            "select payload::text, status, attempts::text from jobs where kind = 'rule_run'",
            "select payload, status, cast(attempts as text) from jobs where kind = 'rule_run'",
        )
        .await
    {
        if let Some(deal) = uuid_of(&json_col(&r[0])["deal_id"]) {
            let (status, attempts) = (r[1].clone().unwrap_or_default(), r[2].clone().unwrap_or_default());
            rule_jobs.entry(deal).or_default().push(format!("{status} after {attempts} attempt(s)"));
        }
    }
    dbc.close().await;

    // What the receiver got: distinct event ids per event and subject.
    let received = receiver.received();
    let mut ids: HashMap<(String, Uuid, i64), HashSet<String>> = HashMap::new();
    let mut message_ids: HashSet<String> = HashSet::new();
    let mut all_ids: HashSet<String> = HashSet::new();
    for r in &received {
        let body = r.json();
        let event = body["event"].as_str().unwrap_or_default().to_string();
        let id = match r.header("x-artel-event-id") {
            h if !h.is_empty() => h,
            _ => body["id"].as_str().unwrap_or_default().to_string(),
        };
        // One domain event may be sent as two events (deal.moved and deal.won):
        // a transport retry is the same event name and id again.
        all_ids.insert(format!("{event} {id}"));
        let data = &body["data"];
        let key = match event.as_str() {
            "deal.created" => uuid_of(&data["deal"]["id"]).map(|d| (d, 0)),
            "deal.moved" | "deal.won" | "deal.lost" => {
                uuid_of(&data["deal"]["id"]).map(|d| (d, data["deal"]["version"].as_i64().unwrap_or(0)))
            }
            "task.created" | "task.done" => uuid_of(&data["task"]["id"]).map(|t| (t, 0)),
            "message.created" => {
                message_ids.insert(id.clone());
                None
            }
            _ => None,
        };
        if let Some((subject, version)) = key {
            ids.entry((event, subject, version)).or_default().insert(id);
        }
    }
    let got = |event: &str, subject: Uuid, version: i64| {
        ids.get(&(event.to_string(), subject, version)).map_or(0, HashSet::len)
    };

    // Whether the client was answered for a change, or its request was cut by a
    // kill (the outcome the client never learnt).
    let acked = believed.acked.lock().expect("lock");
    let deal_told = |id: &Uuid, v: i64| {
        if acked.deal_versions.get(id).is_some_and(|a| *a >= v) {
            "answered"
        } else {
            "request cut by a kill"
        }
    };
    let task_told =
        |set: &HashSet<Uuid>, id: &Uuid| if set.contains(id) { "answered" } else { "request cut by a kill" };

    // Every committed change against its effects.
    let mut t = Tally::default();
    let mut card_refreshes = 0usize;
    let mut odd_history = Vec::new();
    for (id, d) in &deals {
        if d.moves as i64 != d.version - 1 {
            odd_history
                .push(format!("deal {id}: version {} but {} moves in its history", d.version, d.moves));
        }
        t.check(
            "webhook deal.created",
            format_args!("deal {id} ({})", deal_told(id, 1)),
            1,
            got("deal.created", *id, 0),
        );
        for v in 2..=d.version {
            t.check(
                "webhook deal.moved",
                format_args!("deal {id} v{v} ({})", deal_told(id, v)),
                1,
                got("deal.moved", *id, v),
            );
        }
        for (event, stage) in [("deal.won", &world.won), ("deal.lost", &world.lost)] {
            let expected = usize::from(&d.stage == stage);
            let total: usize = (1..=d.version).map(|v| got(event, *id, v)).sum();
            t.check(
                if event == "deal.won" { "webhook deal.won" } else { "webhook deal.lost" },
                format_args!("deal {id}"),
                expected,
                total,
            );
        }
        let n = |kind: &'static str| notices.get(&(*id, kind, None)).copied().unwrap_or(0);
        t.check(
            "notice deal_created",
            format_args!("deal {id} ({})", deal_told(id, 1)),
            1,
            n("notice deal_created"),
        );
        t.check(
            "notice deal_moved",
            format_args!(
                "deal {id} ({} moves; client answered up to v{})",
                d.moves,
                acked.deal_versions.get(id).copied().unwrap_or(0)
            ),
            d.moves,
            n("notice deal_moved"),
        );
        let entered = usize::from(d.stage == world.rule_stage);
        let runs = rule_jobs.get(id).map(|j| j.join(", ")).unwrap_or_default();
        t.check(
            "rule post",
            format_args!("deal {id} (rule job: {runs})"),
            entered,
            rule_posts.get(id).copied().unwrap_or(0),
        );
        t.check("rule run (history)", format_args!("deal {id} (rule job: {runs})"), entered, d.rule_runs);
        // Board: every version of the card logged, and one event per deal or task write.
        let events = board.get(id).cloned().unwrap_or_default();
        for v in 1..=d.version {
            let logged = events.iter().filter(|e| **e == v).count();
            if logged == 0 {
                t.check("board event", format_args!("deal {id} v{v}"), 1, 0);
            }
        }
        // One event per deal or task write; a build that sends the card again
        // after a rule run's history entry (a refresh, not a change) may add one
        // per rule run, no more.
        let expected = d.version as usize + d.tasks_created + d.tasks_done;
        let n_events = events.len();
        if n_events < expected {
            t.check("board event", format_args!("deal {id} (all writes)"), expected, n_events);
        } else if n_events > expected + d.rule_runs {
            t.check("board event", format_args!("deal {id} (all writes)"), expected + d.rule_runs, n_events);
        } else {
            *t.changes.entry("board event").or_default() += expected;
            card_refreshes += n_events - expected;
        }
    }
    for (task, (deal, done)) in &tasks {
        let created = task_told(&acked.tasks_created, task);
        let completed = if *done { task_told(&acked.tasks_done, task) } else { "not done" };
        t.check(
            "webhook task.created",
            format_args!("task {task} ({created})"),
            1,
            got("task.created", *task, 0),
        );
        t.check(
            "webhook task.done",
            format_args!("task {task} ({completed})"),
            usize::from(*done),
            got("task.done", *task, 0),
        );
        let n = |kind: &'static str| notices.get(&(*deal, kind, Some(*task))).copied().unwrap_or(0);
        t.check("notice task_created", format_args!("task {task} ({created})"), 1, n("notice task_created"));
        t.check(
            "notice task_completed",
            format_args!("task {task} ({completed})"),
            usize::from(*done),
            n("notice task_completed"),
        );
    }
    // Acknowledged writes must be there (a kill never takes back an answer).
    let mut unacked = Vec::new();
    for (id, v) in &acked.deal_versions {
        let have = deals.get(id).map_or(0, |d| d.version);
        if have < *v {
            unacked.push(format!("deal {id}: acknowledged v{v}, database has v{have}"));
        }
    }
    for id in &acked.tasks_done {
        if !tasks.get(id).is_some_and(|(_, done)| *done) {
            unacked.push(format!("task {id}: acknowledged done, not done in the database"));
        }
    }

    let deliveries = received.len();
    let distinct = all_ids.len();
    let moves: usize = deals.values().map(|d| d.moves).sum();
    let done = tasks.values().filter(|(_, d)| *d).count();
    println!("[{engine}] ===== crash test summary (seed {seed}) =====");
    println!(
        "[{engine}] kills {KILLS} (+1 before the drain); restart to ready: max {:?}, mean {:?}",
        restarts.iter().max().copied().unwrap_or_default(),
        restarts.iter().sum::<Duration>() / restarts.len().max(1) as u32
    );
    println!("[{engine}] load {load_time:?}, drain {drain_time:?}, total {:?}", started.elapsed());
    println!(
        "[{engine}] committed: {} deals, {moves} moves, {} tasks ({done} done), {} rule-stage entries, {user_messages} people's messages",
        deals.len(),
        tasks.len(),
        deals.values().filter(|d| d.stage == world.rule_stage).count()
    );
    println!(
        "[{engine}] clients were told: {} deals, {} moves, {} tasks, {} done, {} messages; {} requests cut by kills, {} odd answers",
        believed.deals_created.load(Ordering::SeqCst),
        believed.moves.load(Ordering::SeqCst),
        believed.tasks_created.load(Ordering::SeqCst),
        believed.tasks_done.load(Ordering::SeqCst),
        believed.messages.load(Ordering::SeqCst),
        believed.cut.load(Ordering::SeqCst),
        believed.odd.load(Ordering::SeqCst),
    );
    println!(
        "[{engine}] webhook deliveries {deliveries} ({distinct} distinct event ids, {} transport retries)",
        deliveries - distinct
    );
    println!(
        "[{engine}] message.created (bus, not in the outbox; informational): {} of {user_messages} delivered",
        message_ids.len()
    );
    println!(
        "[{engine}] pushes delivered {} (rejected {}; collapsed by design, not counted per change)",
        push.delivered().len(),
        push.rejected().len()
    );
    println!(
        "[{engine}] board card refreshes after rule runs: {card_refreshes} (rule runs: {})",
        deals.values().map(|d| d.rule_runs).sum::<usize>()
    );
    for (what, n) in &t.changes {
        println!(
            "[{engine}]   {what:<24} changes {n:>5}  lost {:>4}  duplicated {:>4}",
            t.lost.get(what).copied().unwrap_or(0),
            t.duplicated.get(what).copied().unwrap_or(0)
        );
    }
    println!("[{engine}] LOST {}  DUPLICATED {}", t.lost(), t.duplicated());
    for p in t.problems.iter().take(40) {
        println!("[{engine}]   {p}");
    }
    if !failed_jobs.is_empty() {
        println!("[{engine}] failed jobs: {failed_jobs:?}");
    }
    for o in &acked.odd {
        println!("[{engine}] odd answer: {o}");
    }
    logs.extend(node.log_lines());
    let errors: Vec<&String> =
        logs.iter().filter(|l| l.contains("ERROR") || l.contains("panicked")).take(20).collect();
    for e in &errors {
        println!("[{engine}] server log: {e}");
    }
    node.kill();

    assert!(unacked.is_empty(), "acknowledged writes missing after kills: {unacked:#?}");
    assert!(odd_history.is_empty(), "deal versions and histories disagree: {odd_history:#?}");
    assert!(
        t.lost() == 0 && t.duplicated() == 0,
        "[{engine}] seed {seed}: {} lost, {} duplicated effects of committed changes; first: {:#?}",
        t.lost(),
        t.duplicated(),
        t.problems.iter().take(10).collect::<Vec<_>>()
    );
    assert!(moves > 0 && done > 0, "the load made changes");
}
