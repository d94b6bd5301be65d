//! CSV imports are bounded: one at a time per workspace (a second gets 429 with
//! Retry-After before its file is read), guests are refused before their file is
//! read, and other workspaces import meanwhile.

use std::time::{Duration, Instant};

use artel_tests::{on_every_backend, Backend, Session, TestApp};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An import whose body is sent in two parts, so it holds its slot in between.
struct SlowImport {
    stream: TcpStream,
    rest: &'static [u8],
}

impl SlowImport {
    async fn start(app: &TestApp, who: &Session) -> Self {
        let (head, rest): (&[u8], &'static [u8]) = (br#"{"csv": "name\n"#, br#"Slow client\n"}"#);
        let mut stream = TcpStream::connect(app.addr).await.expect("connect");
        let request = format!(
            "POST /api/v1/contacts/import HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            app.addr,
            who.access_token,
            head.len() + rest.len()
        );
        stream.write_all(request.as_bytes()).await.expect("head");
        stream.write_all(head).await.expect("first part");
        Self { stream, rest }
    }

    /// Sends the rest of the body; the response's status.
    async fn finish(mut self) -> u16 {
        self.stream.write_all(self.rest).await.expect("rest");
        let mut response = Vec::new();
        self.stream.read_to_end(&mut response).await.expect("response");
        let text = String::from_utf8_lossy(&response);
        text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status: {text}"))
    }
}

async fn wait_running(app: &TestApp, who: &Session, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.state.imports.running(who.workspace_id) != n {
        assert!(Instant::now() < deadline, "never {n} imports running");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn imports_run_one_at_a_time_per_workspace(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let csv = |name: &str| json!({"csv": format!("name\n{name}\n")});

    // A guest may not import, and is told so before the file is read.
    app.post("/contacts/import", Some(&guest.access_token), csv("G")).await.expect_error(403, "forbidden");
    app.post("/companies/import", Some(&guest.access_token), csv("G")).await.expect_error(403, "forbidden");
    assert_eq!(app.state.imports.running(guest.workspace_id), 0);

    let slow = SlowImport::start(&app, &member).await;
    wait_running(&app, &member, 1).await;
    // The workspace's slot is taken: a second import is refused at once.
    for path in ["/contacts/import", "/companies/import"] {
        let r = app.post(path, Some(&owner.access_token), csv("Second")).await;
        r.expect_error(429, "rate_limited");
        assert!(r.headers.get("retry-after").is_some(), "429 without Retry-After");
    }
    // Another workspace imports meanwhile.
    let r = app.post("/contacts/import", Some(&other.access_token), csv("Beta client")).await;
    r.expect(200);
    assert_eq!(r.body["counts"]["imported"], 1, "{}", r.body);

    assert_eq!(slow.finish().await, 200);
    wait_running(&app, &member, 0).await;
    let r = app.post("/contacts/import", Some(&owner.access_token), csv("Second")).await;
    r.expect(200);
    let r = app.get("/contacts", &owner.access_token).await;
    assert_eq!(r.body["total"], 2, "{}", r.body);
}

on_every_backend!(imports_run_one_at_a_time_per_workspace);
