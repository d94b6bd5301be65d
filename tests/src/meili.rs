//! A Meilisearch for tests: the one `MEILI_URL` names (key in `ARTEL_MEILI_KEY`),
//! or a private `meilisearch` process from PATH on a free loopback port with a
//! temporary database and a random master key. `None` when neither exists: the
//! caller prints that the Meilisearch tests were skipped.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MeiliServer {
    pub url: String,
    pub key: Option<String>,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

/// The line printed when there is no Meilisearch to test against.
pub const SKIPPED: &str = "SKIPPED: Meilisearch tests (no MEILI_URL, no meilisearch on PATH)";

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(bin).is_file()))
}

impl MeiliServer {
    pub fn start() -> Option<Self> {
        if let Ok(url) = std::env::var("MEILI_URL") {
            if !url.trim().is_empty() {
                let key = std::env::var("ARTEL_MEILI_KEY").ok().filter(|k| !k.is_empty());
                return Some(Self { url, key, child: None, _dir: None });
            }
        }
        if !on_path("meilisearch") {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let key = format!("test-master-key-{}", uuid::Uuid::now_v7().simple());
        let child = Command::new("meilisearch")
            .args(["--http-addr", &format!("127.0.0.1:{port}"), "--no-analytics", "--env", "development"])
            .arg("--db-path")
            .arg(dir.path().join("data.ms"))
            .arg("--dump-dir")
            .arg(dir.path().join("dumps"))
            .env("MEILI_MASTER_KEY", &key)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start meilisearch");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "meilisearch did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self {
            url: format!("http://127.0.0.1:{port}"),
            key: Some(key),
            child: Some(child),
            _dir: Some(dir),
        })
    }
}

impl Drop for MeiliServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
