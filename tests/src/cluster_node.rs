//! A real `artel serve` process: for cluster tests on a shared Postgres database
//! and Redis, and for crash tests that kill it and start it again on the same
//! data directory and database. Its log is kept (and echoed to the test's
//! output) so a test can wait for what a node says, e.g. that it resubscribed
//! to Redis.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `artel` binary next to the test's own executable (target/<profile>/artel).
fn artel_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let bin = exe.parent().and_then(|deps| deps.parent()).expect("target dir").join("artel");
    assert!(
        bin.exists(),
        "{} missing: build it with `cargo build -p artel` (the test command does)",
        bin.display()
    );
    bin
}

pub struct Node {
    child: Child,
    pub port: u16,
    pub base: String,
    pub ws: String,
    pub http: reqwest::Client,
    log: Arc<Mutex<Vec<String>>>,
    _data: Option<tempfile::TempDir>,
}

/// How to start a node (`Node::start_with`).
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    /// The data directory (the SQLite database lives here without a
    /// `database_url`); kept by the caller, so a restarted node finds it again.
    /// None: a temporary one dropped with the node.
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    /// None: any free port.
    pub port: Option<u16>,
    /// Further environment, e.g. `ARTEL_PUSH_ALLOW_HTTP_LOOPBACK`.
    pub env: Vec<(String, String)>,
    /// `RUST_LOG`; None: what the bus and the catch-up say (fault tests wait for it).
    pub log_filter: Option<String>,
    /// Echo the node's log to the test's output.
    pub echo: bool,
}

/// A free port on 127.0.0.1 (bound and released at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Node {
    /// Starts a cluster node on Postgres and Redis; `wait_ready` before using it.
    pub fn start(database_url: &str, redis_url: &str) -> Self {
        Self::start_with(NodeOptions {
            database_url: Some(database_url.to_string()),
            redis_url: Some(redis_url.to_string()),
            echo: true,
            ..NodeOptions::default()
        })
    }

    /// Starts a node as `opts` say; `wait_ready` before using it.
    pub fn start_with(opts: NodeOptions) -> Self {
        let port = opts.port.unwrap_or_else(free_port);
        let (data, data_dir) = match &opts.data_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let tmp = tempfile::tempdir().unwrap();
                let path = tmp.path().to_path_buf();
                (Some(tmp), path)
            }
        };
        let mut cmd = Command::new(artel_binary());
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("ARTEL_DATA_DIR", &data_dir)
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env("ARTEL_JWT_SECRET", "cluster-test-secret-cluster-test-secret")
            .env("ARTEL_ARGON2_MEMORY_KIB", "1024")
            .env("ARTEL_ARGON2_ITERATIONS", "1")
            .env(
                "RUST_LOG",
                opts.log_filter.as_deref().unwrap_or("warn,artel_bus=info,artel::ws::catch_up=info"),
            )
            .env("NO_COLOR", "1")
            // Logs go to stdout; stderr (a panic) is shown as it comes.
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(url) = &opts.database_url {
            cmd.env("DATABASE_URL", url);
        }
        if let Some(url) = &opts.redis_url {
            cmd.env("REDIS_URL", url);
        }
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn artel");
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(stdout) = child.stdout.take() {
            let log = log.clone();
            let echo = opts.echo;
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if echo {
                        eprintln!("[node :{port}] {line}");
                    }
                    log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
                }
            });
        }
        Node {
            child,
            port,
            base: format!("http://127.0.0.1:{port}/api/v1"),
            ws: format!("ws://127.0.0.1:{port}/api/v1/ws"),
            http: reqwest::Client::new(),
            log,
            _data: data,
        }
    }

    pub async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let tail = self
                    .log
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .rev()
                    .take(20)
                    .cloned()
                    .collect::<Vec<_>>();
                panic!("node exited ({status}); last log lines, newest first: {tail:#?}");
            }
            if let Ok(r) = self.http.get(format!("{}/ready", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "node not ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// POSTs and returns the JSON body; panics unless 2xx.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    /// GETs and returns the JSON body; panics unless 2xx.
    pub async fn get(&self, path: &str, token: &str) -> Value {
        let resp =
            self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "GET {path}: {status} {body}");
        body
    }

    /// How many log lines so far contain `needle`.
    pub fn logged(&self, needle: &str) -> usize {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).iter().filter(|l| l.contains(needle)).count()
    }

    /// Waits until `count` log lines contain `needle`.
    pub async fn wait_logged(&self, needle: &str, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.logged(needle) < count {
            assert!(Instant::now() < deadline, "node did not log {needle:?} {count} times within {within:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The node's log lines so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Kills the process with SIGKILL: no shutdown, nothing flushed.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
