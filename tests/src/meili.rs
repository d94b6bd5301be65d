//! A Meilisearch for tests: the one `MEILI_URL` names (key in `ARTEL_MEILI_KEY`),
//! or a private `meilisearch` process from PATH on a free loopback port with a
//! temporary database and a random master key. `None` when neither exists (the
//! Meilisearch tests are ignored by default and run only when one does). A
//! private process can be stopped and started again on the same port and
//! database, so tests can take the search backend away for real.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MeiliServer {
    pub url: String,
    pub key: Option<String>,
    private: Option<Private>,
}

/// What a private process needs to come back as the same server.
struct Private {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// Why an explicitly run Meilisearch test fails when there is none: those tests
/// are `#[ignore]`d, so without Meilisearch they show as skipped, never as passed.
pub const MISSING: &str =
    "no Meilisearch (set MEILI_URL or put meilisearch on PATH): run these tests only when one exists";

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(bin).is_file()))
}

fn spawn(port: u16, dir: &Path, key: &str) -> Child {
    let child = Command::new("meilisearch")
        .args(["--http-addr", &format!("127.0.0.1:{port}"), "--no-analytics", "--env", "development"])
        .arg("--db-path")
        .arg(dir.join("data.ms"))
        .arg("--dump-dir")
        .arg(dir.join("dumps"))
        .env("MEILI_MASTER_KEY", key)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start meilisearch");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "meilisearch did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

impl MeiliServer {
    pub fn start() -> Option<Self> {
        if let Ok(url) = std::env::var("MEILI_URL") {
            if !url.trim().is_empty() {
                let key = std::env::var("ARTEL_MEILI_KEY").ok().filter(|k| !k.is_empty());
                return Some(Self { url, key, private: None });
            }
        }
        if !on_path("meilisearch") {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let key = format!("test-master-key-{}", uuid::Uuid::now_v7().simple());
        let child = spawn(port, dir.path(), &key);
        Some(Self {
            url: format!("http://127.0.0.1:{port}"),
            key: Some(key),
            private: Some(Private { port, dir, child: Some(child) }),
        })
    }

    /// Whether this is our own process (one named by `MEILI_URL` is never stopped).
    pub fn can_restart(&self) -> bool {
        self.private.is_some()
    }

    /// Kills the private process: the backend is gone until `resume`.
    pub fn stop(&mut self) {
        if let Some(child) = self.private.as_mut().and_then(|p| p.child.as_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(p) = self.private.as_mut() {
            p.child = None;
        }
    }

    /// Starts the private process again on the same port and database.
    pub fn resume(&mut self) {
        let key = self.key.clone().unwrap_or_default();
        if let Some(p) = self.private.as_mut() {
            if p.child.is_none() {
                p.child = Some(spawn(p.port, p.dir.path(), &key));
            }
        }
    }
}

impl Drop for MeiliServer {
    fn drop(&mut self) {
        self.stop();
    }
}
