//! A real HTTP server inside a test that plays a webhook receiver: it records
//! every request (headers and body) and answers with scripted status codes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Statuses to answer, in order; 200 once they run out.
    script: VecDeque<u16>,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    /// Starts a receiver on 127.0.0.1 answering `script` then 200s.
    pub async fn start(script: &[u16]) -> Self {
        let inner =
            Arc::new(Mutex::new(Inner { received: Vec::new(), script: script.iter().copied().collect() }));
        let app = Router::new().route("/{*path}", post(record)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, inner }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("lock").received.clone()
    }

    /// Waits (up to 10 s) until at least `n` requests arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(tokio::time::Instant::now() < deadline, "receiver got {} of {n} requests", got.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for a request whose `X-Artel-Event` is `event`.
    pub async fn wait_for_event(&self, event: &str) -> Received {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(r) = self.received().into_iter().find(|r| r.header("x-artel-event") == event) {
                return r;
            }
            assert!(tokio::time::Instant::now() < deadline, "no {event} delivery arrived");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn record(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut inner = inner.lock().expect("lock");
    inner.received.push(Received { headers, body });
    let code = inner.script.pop_front().unwrap_or(200);
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

/// Checks `X-Artel-Signature: t=<unix>,v1=<hex>` the way a receiver would:
/// recomputes HMAC-SHA256 of "<unix>.<body>" with the secret, in constant time.
pub fn verify_signature(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x),
            Some(("v1", x)) => v1 = Some(x),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let Ok(expected) = hex::decode(v1) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}
