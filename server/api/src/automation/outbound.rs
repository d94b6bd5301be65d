//! Calling a URL someone configured: checked against SSRF, signed, bounded.
//! The host is resolved here and every address checked; the request then goes to
//! exactly the address checked (pinned), so a DNS answer that changes between the
//! check and the connection (rebinding) cannot reach an internal address.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use artel_core::automation::ssrf;
use artel_core::Error;
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha2::Sha256;

/// Longest a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Longest URL accepted.
const MAX_URL: usize = 2000;

/// A URL that parsed and whose scheme and shape are acceptable.
pub fn parse_url(field: &str, raw: &str) -> Result<Url, Error> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_URL {
        return Err(Error::invalid(field, format!("must be an http(s) URL of at most {MAX_URL} characters")));
    }
    let url = Url::parse(raw).map_err(|_| Error::invalid(field, "is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(field, "must use http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid(field, "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(field, "must not carry credentials"));
    }
    Ok(url)
}

/// Why a target may not be called.
#[derive(Debug)]
pub enum TargetError {
    /// Resolves to an address the workspace may not reach.
    Refused(String),
    /// Could not be resolved.
    Unresolvable(String),
}

impl TargetError {
    pub fn message(&self) -> &str {
        match self {
            TargetError::Refused(m) | TargetError::Unresolvable(m) => m,
        }
    }
}

/// Resolves the URL's host and returns the address to connect to, refusing
/// non-public addresses unless `allow_private`.
pub async fn resolve(url: &Url, allow_private: bool) -> Result<SocketAddr, TargetError> {
    let port = url.port_or_known_default().unwrap_or(80);
    let host = url.host_str().unwrap_or("");
    let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
    let addrs: Vec<SocketAddr> = match literal {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| TargetError::Unresolvable(format!("cannot resolve {host}")))?
            .collect(),
    };
    let first = *addrs.first().ok_or_else(|| TargetError::Unresolvable("no address".into()))?;
    if !allow_private {
        if let Some(bad) = ssrf::first_non_public(addrs.iter().map(SocketAddr::ip)) {
            return Err(TargetError::Refused(format!(
                "{} resolves to a private or internal address ({}); an admin may allow private targets",
                url.host_str().unwrap_or(""),
                bad
            )));
        }
    }
    Ok(first)
}

/// `t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">`.
pub fn signature(secret: &str, unix: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(unix.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={unix},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What a call produced.
#[derive(Debug)]
pub struct CallResult {
    pub status: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

impl CallResult {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// POSTs `body` as JSON to `url`, connecting to `addr` only, with no redirects.
pub async fn post(url: &Url, addr: SocketAddr, headers: &[(&str, String)], body: Vec<u8>) -> CallResult {
    let started = Instant::now();
    let elapsed = |s: Instant| i64::try_from(s.elapsed().as_millis()).unwrap_or(i64::MAX);
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Artel-Webhooks/1");
    if let Some(host) = url.host_str() {
        // Pin the name to the address that passed the check.
        builder = builder.resolve(host, addr);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            return CallResult { status: None, duration_ms: 0, error: Some(format!("client: {e}")) };
        }
    };
    let mut request = client.post(url.clone()).header("content-type", "application/json").body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    match request.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            // Read (and drop) at most a little of the answer so the connection closes cleanly.
            let _ = tokio::time::timeout(Duration::from_secs(2), resp.bytes()).await;
            let error = (!(200..300).contains(&status)).then(|| format!("receiver answered {status}"));
            CallResult { status: Some(status), duration_ms: elapsed(started), error }
        }
        Err(e) => {
            let kind = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "could not connect"
            } else {
                "request failed"
            };
            CallResult { status: None, duration_ms: elapsed(started), error: Some(kind.to_string()) }
        }
    }
}
