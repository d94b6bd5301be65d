//! artel-tests: black-box tests. `TestApp` starts the real server (the same
//! `run_with` the binary uses) on 127.0.0.1:0 against a fresh SQLite file or a fresh
//! Postgres database, with a manual clock, and talks to it over HTTP.

pub mod cluster_node;
pub mod db;
pub mod meili;
pub mod push_service;
pub mod receiver;
pub mod redis_server;
pub mod schema_check;
pub mod ssrf;
pub mod ws_client;

use std::net::SocketAddr;
use std::sync::Arc;

use artel::config::{DataConfig, ServeConfig};
use artel::AppState;
use artel_core::user::Language;
use artel_core::ManualClock;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use db::{Backend, Database};

/// Password every test account uses.
pub const PASSWORD: &str = "correct horse battery";

/// Runs one async test function once per storage backend, as `sqlite::name` and
/// `postgres::name`: `fn name(backend: Backend) -> impl Future<Output = ()>`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}

/// A running server for one test.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub data: DataConfig,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    db: Option<Database>,
}

/// Awaits a worker barrier; a worker that never gets there fails the test.
async fn drain(what: &str, barrier: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(std::time::Duration::from_secs(30), barrier).await.is_err() {
        panic!("{what} did not finish a pass within 30 s");
    }
}

/// A signed-in user as the tests see it.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
}

/// A response with its JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    /// The `error.code` of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts the status and that a 4xx/5xx carries our error shape.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        if status >= 400 {
            assert!(self.body["error"]["code"].is_string(), "error without code: {}", self.body);
            assert!(self.body["error"]["message"].is_string(), "error without message: {}", self.body);
        }
        self
    }

    /// Asserts status and error code.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> &Self {
        self.expect(status);
        assert_eq!(self.code(), code, "unexpected error code; body: {}", self.body);
        self
    }
}

/// Settings tests start with: cheap argon2 so sign-ins are fast (the defaults are
/// covered by the rehash test), everything else as in production.
pub fn test_serve_config() -> ServeConfig {
    ServeConfig { argon2_memory_kib: 1024, argon2_iterations: 1, ..ServeConfig::default() }
}

impl TestApp {
    /// A server on a fresh database of the backend, default test settings.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, test_serve_config()).await
    }

    /// A server on a fresh database with the given settings.
    pub async fn start_with(backend: Backend, serve: ServeConfig) -> Self {
        let db = Database::create(backend).await;
        Self::start_on(db, serve).await
    }

    /// A server on an existing test database (e.g. to restart with other settings).
    pub async fn start_on(db: Database, serve: ServeConfig) -> Self {
        let data = db.data_config();
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()));
        let state = AppState::open(&data, &serve, clock.clone()).await.expect("open app state");
        Self::serve(state, clock, data, Some(db)).await
    }

    /// A second node on this server's database, with the same clock and a data
    /// directory of its own: on Postgres, a cluster of two sharing one database.
    pub async fn peer(&self, serve: ServeConfig) -> Self {
        let data_dir = self.data.data_dir.join(format!("peer-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&data_dir).expect("peer data dir");
        let data = DataConfig { data_dir, ..self.data.clone() };
        let state = AppState::open(&data, &serve, self.clock.clone()).await.expect("open peer state");
        Self::serve(state, self.clock.clone(), data, None).await
    }

    async fn serve(state: AppState, clock: Arc<ManualClock>, data: DataConfig, db: Option<Database>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(artel::run_with(state.clone(), listener, async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            base: format!("http://{addr}/api/v1"),
            http: reqwest::Client::new(),
            clock,
            state,
            data,
            shutdown: Some(tx),
            server: Some(server),
            db,
        }
    }

    /// Stops the server gracefully and hands back its database.
    pub async fn stop(mut self) -> Database {
        self.shutdown_server().await;
        self.db.take().expect("database present until stop")
    }

    async fn shutdown_server(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server ran cleanly");
        }
    }

    /// Waits for one whole pass of the job worker that began after this call:
    /// every job due at the clock's now has run or has its retry recorded, and
    /// the time-based rule triggers due now are swept.
    pub async fn jobs_drained(&self) {
        drain("the job worker", self.state.automation.passes.full_pass()).await;
    }

    /// Waits for one whole pass of the reminder worker that began after this
    /// call: every reminder due at the clock's now has fired.
    pub async fn reminders_drained(&self) {
        drain("the reminder worker", self.state.reminder_passes.full_pass()).await;
    }

    /// Waits until everything committed or notified before this call has been
    /// planned and a whole push delivery pass after that has finished: each
    /// push due at the clock's now was sent, or has its retry recorded.
    pub async fn push_drained(&self) {
        drain("the push worker", async {
            self.state.committer.flushed().await;
            self.state.push.drained().await;
        })
        .await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::read(req.send().await.expect("request sent")).await
    }

    /// Sends raw bytes with the given content type.
    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, self.url(path)).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        Self::read(req.send().await.expect("request sent")).await
    }

    async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, body, headers }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call("POST", path, token, Some(body)).await
    }

    /// First-run setup: workspace "Acme" and its owner owner@acme.test.
    pub async fn setup_owner(&self) -> Session {
        let r = self
            .post(
                "/setup",
                None,
                json!({"workspace_name": "Acme", "name": "Olga Owner", "email": "owner@acme.test",
                       "password": PASSWORD, "time_zone": "Europe/Moscow", "language": "ru"}),
            )
            .await;
        r.expect(201);
        session_from(&r.body)
    }

    /// A further workspace (as `artel admin create-owner` makes it), signed in as its owner.
    pub async fn create_workspace(&self, name: &str, slug: &str, owner_email: &str) -> Session {
        artel::admin::create_workspace(
            &self.state,
            artel::admin::NewWorkspace {
                name,
                slug: Some(slug),
                owner_email,
                owner_name: "Second Owner",
                owner_password: PASSWORD,
                time_zone: "UTC",
                language: Language::En,
            },
        )
        .await
        .expect("create workspace");
        self.login(owner_email, Some(slug)).await
    }

    /// Signs in with the test password.
    pub async fn login(&self, email: &str, workspace: Option<&str>) -> Session {
        let mut body = json!({"email": email, "password": PASSWORD});
        if let Some(ws) = workspace {
            body["workspace"] = json!(ws);
        }
        let r = self.post("/auth/login", None, body).await;
        r.expect(200);
        session_from(&r.body)
    }

    /// Leaves the default channel a new workspace gets ("общий" / "general"), for
    /// tests that count someone's chats exactly; returns its id, if they were in it.
    /// The default channel itself is covered by tests/onboarding.rs.
    pub async fn leave_default_channel(&self, who: &Session) -> Option<Uuid> {
        let r = self.get("/chats", &who.access_token).await;
        r.expect(200);
        let default = r.body.as_array()?.iter().find_map(|s| {
            let chat = &s["chat"];
            let named = matches!(chat["name"].as_str(), Some("общий" | "general"));
            (named && chat["kind"] == "channel" && chat["is_private"] == false)
                .then(|| chat["id"].as_str().and_then(|id| id.parse::<Uuid>().ok()))
                .flatten()
        })?;
        self.call("POST", &format!("/chats/{default}/leave"), Some(&who.access_token), None)
            .await
            .expect(204);
        Some(default)
    }

    /// Invites `email` with `role` (as `admin`) and accepts the invite.
    pub async fn invite_user(&self, admin: &Session, role: &str, email: &str) -> Session {
        let r = self.post("/invites", Some(&admin.access_token), json!({"role": role})).await;
        r.expect(201);
        let token = r.body["token"].as_str().expect("token").to_string();
        let r = self
            .post(
                "/invites/accept",
                None,
                json!({"token": token, "name": format!("User {email}"), "email": email, "password": PASSWORD}),
            )
            .await;
        r.expect(201);
        session_from(&r.body)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Reads a token response body.
pub fn session_from(body: &Value) -> Session {
    let s = |v: &Value| v.as_str().expect("string field").to_string();
    Session {
        access_token: s(&body["access_token"]),
        refresh_token: s(&body["refresh_token"]),
        user_id: s(&body["user"]["id"]).parse().expect("user id"),
        workspace_id: s(&body["workspace"]["id"]).parse().expect("workspace id"),
        email: s(&body["user"]["email"]),
    }
}
