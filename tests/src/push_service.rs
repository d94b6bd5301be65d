//! A local Web Push service that speaks the real protocol, for black-box tests.
//! Each test subscription gets its own P-256 key pair and auth secret (made
//! here, as a browser would); the service:
//! - checks VAPID (RFC 8292): `Authorization: vapid t=<JWT>, k=<public key>`,
//!   an ES256 signature over the JWT by `k`, `aud` = the endpoint's origin,
//!   `exp` in the future and at most 24 h away, `sub` a mailto:/https: URL;
//! - decrypts the aes128gcm body (RFC 8188 record, RFC 8291 key derivation)
//!   with the subscription's private key and auth secret;
//! - answers 201, or what the test scripted (404, 410, 429, 500, or slowly).
//!
//! Deliveries that fail a check are answered 400/401 and counted as rejected.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use serde_json::{json, Value};
use sha2::Sha256;

/// What the service answers to the next delivery of a subscription.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Status(u16),
    /// This status with `Retry-After: <seconds>`.
    RetryAfter(u16, u64),
    /// Waits this long, then answers 201.
    Slow(Duration),
}

/// A subscription as a browser holds it: the private half stays here.
#[derive(Clone)]
pub struct BrowserKeys {
    pub id: String,
    secret: SecretKey,
    pub auth: [u8; 16],
}

impl BrowserKeys {
    pub fn p256dh(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    pub fn auth_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.auth)
    }
}

/// A push that passed every check, decrypted.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub subscription: String,
    pub payload: Value,
    pub ttl: String,
    pub topic: Option<String>,
    pub urgency: Option<String>,
    /// The VAPID public key the request was signed with (base64url).
    pub vapid_key: String,
    pub claims: Value,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, BrowserKeys>,
    delivered: Vec<Delivered>,
    rejected: Vec<String>,
    /// Per subscription: replies to give, in order; 201 when empty.
    script: HashMap<String, VecDeque<Reply>>,
    /// Every request per subscription, whatever the answer.
    attempts: HashMap<String, usize>,
}

#[derive(Clone)]
pub struct PushService {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl PushService {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().route("/push/{id}", post(receive)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind push service");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, inner }
    }

    /// A new browser subscription (keys made here) at this service.
    pub fn new_subscription(&self) -> BrowserKeys {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let secret = loop {
            let bytes: [u8; 32] = rand::random();
            if let Ok(k) = SecretKey::from_slice(&bytes) {
                break k;
            }
        };
        let keys = BrowserKeys { id: id.clone(), secret, auth: rand::random() };
        self.inner.lock().expect("lock").keys.insert(id, keys.clone());
        keys
    }

    pub fn endpoint(&self, keys: &BrowserKeys) -> String {
        format!("http://{}/push/{}", self.addr, keys.id)
    }

    /// The JSON body for `POST /push/subscriptions`.
    pub fn subscription_json(&self, keys: &BrowserKeys) -> Value {
        json!({"endpoint": self.endpoint(keys), "expirationTime": null,
               "keys": {"p256dh": keys.p256dh(), "auth": keys.auth_b64()}})
    }

    /// Scripts the next replies for a subscription.
    pub fn script(&self, keys: &BrowserKeys, replies: &[Reply]) {
        self.inner
            .lock()
            .expect("lock")
            .script
            .entry(keys.id.clone())
            .or_default()
            .extend(replies.iter().copied());
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.inner.lock().expect("lock").delivered.clone()
    }

    pub fn delivered_to(&self, keys: &BrowserKeys) -> Vec<Delivered> {
        self.delivered().into_iter().filter(|d| d.subscription == keys.id).collect()
    }

    pub fn rejected(&self) -> Vec<String> {
        self.inner.lock().expect("lock").rejected.clone()
    }

    pub fn attempts(&self, keys: &BrowserKeys) -> usize {
        self.inner.lock().expect("lock").attempts.get(&keys.id).copied().unwrap_or(0)
    }

    /// Waits (up to `secs`) until `n` pushes reached the subscription.
    pub async fn wait_for(&self, keys: &BrowserKeys, n: usize, secs: u64) -> Vec<Delivered> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.delivered_to(keys);
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "push service got {} of {n} pushes (rejected: {:?})",
                got.len(),
                self.rejected()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the subscription was tried `n` times (any answer).
    pub async fn wait_for_attempts(&self, keys: &BrowserKeys, n: usize, secs: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while self.attempts(keys) < n {
            assert!(tokio::time::Instant::now() < deadline, "only {} attempts", self.attempts(keys));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (keys, reply) = {
        let mut g = inner.lock().expect("lock");
        *g.attempts.entry(id.clone()).or_default() += 1;
        let reply = g.script.get_mut(&id).and_then(VecDeque::pop_front);
        (g.keys.get(&id).cloned(), reply)
    };
    let Some(keys) = keys else { return StatusCode::NOT_FOUND.into_response() };
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let checked = check(&keys, &headers, &body, &format!("http://{host}"));
    let delivered = match checked {
        Ok(d) => d,
        Err((status, why)) => {
            inner.lock().expect("lock").rejected.push(why);
            return status.into_response();
        }
    };
    let status = |code| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match reply {
        Some(Reply::Status(code)) => status(code).into_response(),
        Some(Reply::RetryAfter(code, secs)) => {
            (status(code), [("retry-after", secs.to_string())]).into_response()
        }
        Some(Reply::Slow(wait)) => {
            tokio::time::sleep(wait).await;
            inner.lock().expect("lock").delivered.push(delivered);
            StatusCode::CREATED.into_response()
        }
        None => {
            inner.lock().expect("lock").delivered.push(delivered);
            StatusCode::CREATED.into_response()
        }
    }
}

type Check<T> = Result<T, (StatusCode, String)>;

fn bad<T>(status: StatusCode, why: impl Into<String>) -> Check<T> {
    Err((status, why.into()))
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn check(keys: &BrowserKeys, headers: &HeaderMap, body: &[u8], origin: &str) -> Check<Delivered> {
    let Some(ttl) = header(headers, "ttl") else { return bad(StatusCode::BAD_REQUEST, "no TTL header") };
    if header(headers, "content-encoding").as_deref() != Some("aes128gcm") {
        return bad(StatusCode::BAD_REQUEST, "content-encoding is not aes128gcm");
    }
    let (vapid_key, claims) = check_vapid(headers, origin)?;
    let plaintext = decrypt(keys, body)?;
    let payload: Value = match serde_json::from_slice(&plaintext) {
        Ok(v) => v,
        Err(_) => return bad(StatusCode::BAD_REQUEST, "payload is not JSON"),
    };
    Ok(Delivered {
        subscription: keys.id.clone(),
        payload,
        ttl,
        topic: header(headers, "topic"),
        urgency: header(headers, "urgency"),
        vapid_key,
        claims,
    })
}

/// RFC 8292: `vapid t=<jwt>, k=<key>`; ES256 over "<header>.<claims>".
fn check_vapid(headers: &HeaderMap, origin: &str) -> Check<(String, Value)> {
    let unauthorized = StatusCode::UNAUTHORIZED;
    let Some(auth) = header(headers, "authorization") else { return bad(unauthorized, "no Authorization") };
    let Some(params) = auth.strip_prefix("vapid ") else { return bad(unauthorized, "scheme is not vapid") };
    let mut t = None;
    let mut k = None;
    for part in params.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.trim().to_string()),
            Some(("k", v)) => k = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let (Some(t), Some(k)) = (t, k) else { return bad(unauthorized, "t or k missing") };
    let Ok(key_bytes) = URL_SAFE_NO_PAD.decode(&k) else { return bad(unauthorized, "k is not base64url") };
    let Ok(key) = VerifyingKey::from_sec1_bytes(&key_bytes) else {
        return bad(unauthorized, "k is not a P-256 key");
    };
    let parts: Vec<&str> = t.split('.').collect();
    if parts.len() != 3 {
        return bad(unauthorized, "t is not a JWT");
    }
    let header: Value = URL_SAFE_NO_PAD
        .decode(parts[0])
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    if header["alg"] != "ES256" {
        return bad(unauthorized, format!("alg is {}", header["alg"]));
    }
    let Ok(sig_bytes) = URL_SAFE_NO_PAD.decode(parts[2]) else {
        return bad(unauthorized, "bad signature encoding");
    };
    let Ok(sig) = Signature::from_slice(&sig_bytes) else {
        return bad(unauthorized, "signature is not r||s");
    };
    if key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).is_err() {
        return bad(unauthorized, "signature does not verify");
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(parts[1])
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    if claims["aud"] != origin {
        return bad(unauthorized, format!("aud {} is not {origin}", claims["aud"]));
    }
    let now = chrono::Utc::now().timestamp();
    let exp = claims["exp"].as_i64().unwrap_or(0);
    if exp <= now || exp > now + 24 * 3600 {
        return bad(unauthorized, format!("exp {exp} out of range"));
    }
    let sub = claims["sub"].as_str().unwrap_or("");
    if !(sub.starts_with("mailto:") || sub.starts_with("https://")) {
        return bad(unauthorized, format!("sub {sub:?} is not a mailto: or https: URL"));
    }
    Ok((k, claims))
}

/// RFC 8188 (one record) with RFC 8291 keys.
fn decrypt(keys: &BrowserKeys, body: &[u8]) -> Check<Vec<u8>> {
    let bad_body = StatusCode::BAD_REQUEST;
    if body.len() < 21 {
        return bad(bad_body, "body shorter than the header");
    }
    let salt = &body[..16];
    let rs = u32::from_be_bytes([body[16], body[17], body[18], body[19]]) as usize;
    let idlen = body[20] as usize;
    if idlen != 65 || body.len() < 21 + idlen + 17 {
        return bad(bad_body, format!("keyid length {idlen} (want the 65-byte sender key)"));
    }
    let as_public_bytes = &body[21..21 + idlen];
    let ciphertext = &body[21 + idlen..];
    if ciphertext.len() > rs {
        return bad(bad_body, "more than one record");
    }
    let Ok(as_public) = PublicKey::from_sec1_bytes(as_public_bytes) else {
        return bad(bad_body, "keyid is not a P-256 point");
    };
    let shared = p256::ecdh::diffie_hellman(keys.secret.to_nonzero_scalar(), as_public.as_affine());
    let ua_public = keys.secret.public_key().to_encoded_point(false);
    // IKM = HKDF(auth, ecdh, "WebPush: info" || 0 || ua_public || as_public, 32)
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public.as_bytes());
    key_info.extend_from_slice(as_public_bytes);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&keys.auth), shared.raw_secret_bytes().as_slice())
        .expand(&key_info, &mut ikm)
        .map_err(|_| (bad_body, "hkdf".to_string()))?;
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).map_err(|_| (bad_body, "hkdf".to_string()))?;
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).map_err(|_| (bad_body, "hkdf".to_string()))?;
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| (bad_body, "key".to_string()))?;
    let Ok(mut plain) = cipher.decrypt(Nonce::from_slice(&nonce), ciphertext) else {
        return bad(bad_body, "aes128gcm decryption failed");
    };
    // Strip the padding: zeros, then the delimiter (2 = last record).
    while plain.last() == Some(&0) {
        plain.pop();
    }
    if plain.pop() != Some(2) {
        return bad(bad_body, "no last-record delimiter");
    }
    Ok(plain)
}
