//! A real `artel serve` with the default argon2 parameters (19 MiB per hash)
//! under a flood of sign-ins from many addresses (so the per-address limit does
//! not stop them): password hashing holds at most ARTEL_ARGON2_MAX_MEMORY_MIB
//! (64 MiB by default), so the process's peak resident memory stays within a
//! stated bound above its resident memory before the flood.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

/// Memory the flood may add to the process at its peak: the 64 MiB hashing
/// bound plus room for the requests in flight and the allocator's slack.
const BOUND_MIB: u64 = 96;

fn artel_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let bin = exe.parent().and_then(|deps| deps.parent()).expect("target dir").join("artel");
    assert!(bin.exists(), "{} missing: build it with `cargo build -p artel`", bin.display());
    bin
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A field of /proc/<pid>/status in KiB (VmRSS now, VmHWM the peak so far).
fn status_kib(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    text.lines()
        .find_map(|l| {
            l.strip_prefix(field)?.trim_start_matches(':').trim().strip_suffix("kB")?.trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("{field} missing in /proc/{pid}/status"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_flood_keeps_memory_within_the_hashing_bound() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let data = tempfile::tempdir().expect("data dir");
    let child = Command::new(artel_binary())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("ARTEL_DATA_DIR", data.path())
        .env("ARTEL_TRUST_PROXY_HEADERS", "true")
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("ARTEL_ARGON2_MEMORY_KIB")
        .env_remove("ARTEL_ARGON2_MAX_MEMORY_MIB")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn artel");
    let mut server = Server(child);
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(server.0.try_wait().expect("child").is_none(), "server exited");
        if http.get(format!("{base}/ready")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(Instant::now() < deadline, "server not ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let setup = json!({"workspace_name": "Acme", "name": "Olga", "email": "owner@acme.test",
                       "password": "correct horse battery", "time_zone": "UTC", "language": "en"});
    let r = http.post(format!("{base}/setup")).json(&setup).send().await.expect("setup");
    assert_eq!(r.status().as_u16(), 201);

    let before = status_kib(pid, "VmRSS");
    let mut statuses = Vec::new();
    for wave in 0..2 {
        let calls = (0..128u32).map(|i| {
            let (http, base) = (&http, &base);
            async move {
                let email =
                    if i % 2 == 0 { format!("nobody{i}@acme.test") } else { "owner@acme.test".into() };
                http.post(format!("{base}/auth/login"))
                    .header("x-forwarded-for", format!("127.{}.{}.{}", wave + 1, i / 256, i % 256))
                    .json(&json!({"email": email, "password": "wrong password"}))
                    .send()
                    .await
                    .expect("login")
                    .status()
                    .as_u16()
            }
        });
        statuses.extend(join_all(calls).await);
    }
    let peak = status_kib(pid, "VmHWM");
    let after = status_kib(pid, "VmRSS");
    let hashed = statuses.iter().filter(|s| **s == 401).count();
    eprintln!(
        "login flood: RSS before {} MiB, peak {} MiB, after {} MiB; {hashed} of {} attempts hashed",
        before / 1024,
        peak / 1024,
        after / 1024,
        statuses.len()
    );
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    // Nothing limits unknown e-mails from fresh addresses: each is checked, or
    // told to retry when no hashing slot frees within the wait (a debug build
    // hashes slowly). The flood did reach the hashing, many at once.
    assert!(hashed >= 10, "only {hashed} attempts were checked: {statuses:?}");
    assert!(
        peak <= before + BOUND_MIB * 1024,
        "peak RSS {} MiB is more than {BOUND_MIB} MiB above the {} MiB before the flood",
        peak / 1024,
        before / 1024
    );
    drop(server);
}
