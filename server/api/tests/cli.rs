//! The binary as an operator runs it: `artel serve` on defaults answers health and
//! stops cleanly on SIGTERM; `artel migrate` and `artel admin create-owner` work;
//! the OpenAPI document matches its snapshot.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_artel");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn artel(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("ARTEL_DATA_DIR", data_dir).env_remove("DATABASE_URL").env_remove("ARTEL_JWT_SECRET");
    cmd
}

/// Polls until the server answers health or the deadline passes.
async fn wait_healthy(base: &str, child: &mut Child) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = reqwest::Client::new();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited early: {status}");
        }
        if let Ok(resp) = client.get(format!("{base}/api/v1/health")).send().await {
            if resp.status().is_success() {
                return resp.json().await.expect("health body");
            }
        }
        assert!(Instant::now() < deadline, "server did not become healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn serve_on_defaults_answers_health_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    // Logs go to a file, as under a service manager: plain text, no colour codes.
    let log_path = dir.path().join("artel.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = artel(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("ARTEL_LOG_FORMAT")
        .stdout(Stdio::from(log))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn artel");
    let body = wait_healthy(&format!("http://127.0.0.1:{port}"), &mut child).await;
    assert_eq!(body["status"], "ok");

    // Zero set-up: the SQLite file and the signing key appear in the data dir.
    assert!(dir.path().join("artel.db").exists());
    let key = dir.path().join("jwt-keys.json");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key metadata").permissions().mode();
        assert_eq!(mode & 0o077, 0, "signing key must be private to the owner");
    }

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "graceful shutdown exits 0, got {status}");
            let log = std::fs::read_to_string(&log_path).expect("read log");
            assert!(log.contains("artel is listening"), "{log}");
            assert!(!log.contains('\u{1b}'), "colour codes in a log file: {log:?}");
            break;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn migrate_then_create_owner_from_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = artel(dir.path()).arg("migrate").output().expect("run migrate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied (sqlite)"));

    let create = |slug: &str| {
        let mut child = artel(dir.path())
            .args(["admin", "create-owner", "--workspace", "ООО Ромашка", "--slug", slug])
            .args(["--email", "boss@romashka.test", "--name", "Борис", "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(b"a long enough password\n").expect("write");
        child.wait_with_output().expect("wait")
    };
    let out = create("romashka");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("slug romashka"));
    // The password never shows up in what the command prints.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("long enough"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("long enough"));

    // A taken slug is a clear error, not a crash.
    let out = create("romashka");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("taken"));
}

#[test]
fn bad_database_url_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = artel(dir.path())
        .env("DATABASE_URL", "mysql://user:hunter2@localhost/db")
        .arg("migrate")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DATABASE_URL must start with"), "{err}");
    assert!(!err.contains("hunter2"), "secrets must not be printed: {err}");
}

#[test]
fn reindex_rebuilds_the_search_index_from_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = artel(dir.path())
        .args(["admin", "create-owner", "--workspace", "Acme", "--slug", "acme"])
        .args(["--email", "boss@acme.test", "--name", "Boss", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(b"a long enough password\n").expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = artel(dir.path()).arg("reindex").output().expect("run reindex");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("reindexed") && stdout.contains("index"), "{stdout}");
    assert!(dir.path().join("search").join("meta.json").exists());
}

#[test]
fn unreachable_meilisearch_is_a_clear_error_without_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = artel(dir.path())
        .env("MEILI_URL", format!("http://127.0.0.1:{}", free_port()))
        .env("ARTEL_MEILI_KEY", "hunter2-meili-key")
        .arg("reindex")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Meilisearch"), "{err}");
    assert!(!err.contains("hunter2"), "the key must not be printed: {err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2"));
}
