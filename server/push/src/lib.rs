//! artel-push: the `PushSender` port on Web Push. VAPID keys (RFC 8292) are
//! generated on first start and kept in the data dir, or configured; payloads
//! are encrypted with aes128gcm (RFC 8291/8188) by the web-push crate, whose
//! request we send with our own reqwest client: the endpoint's host is resolved,
//! checked against the SSRF rules and pinned, no redirects, bounded by a timeout.

pub mod endpoint;
pub mod vapid;

use std::time::Duration;

use artel_core::ports::push::{PushSender, PushTarget, SendOutcome};
use async_trait::async_trait;
use web_push::{ContentEncoding, SubscriptionInfo, Urgency, WebPushMessageBuilder};

pub use vapid::VapidKeys;

/// Sends pushes signed with one VAPID key.
pub struct WebPushSender {
    keys: VapidKeys,
    subject: String,
    timeout: Duration,
    allow_http_loopback: bool,
}

impl std::fmt::Debug for WebPushSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPushSender")
            .field("public_key", &self.keys.public_key())
            .field("subject", &self.subject)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl WebPushSender {
    /// `subject` is the VAPID `sub` claim (a `mailto:` or `https:` URL).
    pub fn new(keys: VapidKeys, subject: String, timeout: Duration, allow_http_loopback: bool) -> Self {
        Self { keys, subject, timeout, allow_http_loopback }
    }

    /// The encrypted, signed request as web-push builds it.
    fn build(
        &self,
        target: PushTarget<'_>,
        payload: &[u8],
        ttl_secs: u32,
        topic: Option<&str>,
        audience: &str,
    ) -> Result<web_push::WebPushMessage, String> {
        let info = SubscriptionInfo::new(target.endpoint, target.p256dh, target.auth);
        let mut signature = self.keys.signer().add_sub_info(&info);
        signature.add_claim("sub", self.subject.as_str());
        // The audience is the endpoint's origin, port included (web-push's
        // default leaves the port out).
        signature.add_claim("aud", audience);
        let signature = signature.build().map_err(|e| format!("vapid: {e}"))?;
        let mut message = WebPushMessageBuilder::new(&info);
        message.set_payload(ContentEncoding::Aes128Gcm, payload);
        message.set_ttl(ttl_secs);
        message.set_urgency(Urgency::High);
        if let Some(topic) = topic {
            message.set_topic(topic.to_string());
        }
        message.set_vapid_signature(signature);
        message.build().map_err(|e| format!("encrypting: {e}"))
    }
}

#[async_trait]
impl PushSender for WebPushSender {
    fn public_key(&self) -> String {
        self.keys.public_key()
    }

    async fn send(
        &self,
        target: PushTarget<'_>,
        payload: &[u8],
        ttl_secs: u32,
        topic: Option<&str>,
    ) -> SendOutcome {
        let url = match endpoint::parse(target.endpoint, self.allow_http_loopback) {
            Ok(u) => u,
            Err(e) => return SendOutcome::Rejected { status: None, error: e },
        };
        let addr = match endpoint::resolve(&url, self.allow_http_loopback).await {
            Ok(a) => a,
            Err(endpoint::ResolveError::Refused(e)) => {
                return SendOutcome::Rejected { status: None, error: e }
            }
            Err(endpoint::ResolveError::Unresolvable(e)) => {
                return SendOutcome::Retry { status: None, error: e, retry_after: None }
            }
        };
        let audience = url.origin().ascii_serialization();
        let message = match self.build(target, payload, ttl_secs, topic, &audience) {
            Ok(m) => m,
            Err(e) => return SendOutcome::Rejected { status: None, error: e },
        };
        let request = web_push::request_builder::build_request::<Vec<u8>>(message);
        let (parts, body) = request.into_parts();
        let mut builder = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Artel-Push/1");
        if let Some(host) = url.host_str() {
            builder = builder.resolve(host, addr);
        }
        let client = match builder.build() {
            Ok(c) => c,
            Err(e) => {
                return SendOutcome::Retry { status: None, error: format!("client: {e}"), retry_after: None }
            }
        };
        let mut req = client.post(url.clone()).body(body);
        for (name, value) in &parts.headers {
            if let Ok(v) = value.to_str() {
                req = req.header(name.as_str(), v);
            }
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let _ = tokio::time::timeout(Duration::from_secs(2), resp.bytes()).await;
                classify(status, retry_after)
            }
            Err(e) => {
                let error = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "request failed"
                };
                SendOutcome::Retry { status: None, error: error.to_string(), retry_after: None }
            }
        }
    }
}

/// What a push service's status code means for the delivery.
pub fn classify(status: u16, retry_after: Option<Duration>) -> SendOutcome {
    match status {
        200..=299 => SendOutcome::Delivered { status },
        404 | 410 => SendOutcome::Gone { status },
        429 | 500..=599 => SendOutcome::Retry {
            status: Some(status),
            error: format!("push service answered {status}"),
            retry_after,
        },
        _ => SendOutcome::Rejected { status: Some(status), error: format!("push service answered {status}") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_to_outcomes() {
        assert_eq!(classify(201, None), SendOutcome::Delivered { status: 201 });
        assert_eq!(classify(410, None), SendOutcome::Gone { status: 410 });
        assert_eq!(classify(404, None), SendOutcome::Gone { status: 404 });
        let wait = Some(Duration::from_secs(30));
        assert!(
            matches!(classify(429, wait), SendOutcome::Retry { status: Some(429), retry_after, .. } if retry_after == wait)
        );
        assert!(matches!(classify(503, None), SendOutcome::Retry { status: Some(503), .. }));
        assert!(matches!(classify(400, None), SendOutcome::Rejected { status: Some(400), .. }));
        assert!(matches!(classify(413, None), SendOutcome::Rejected { .. }));
    }
}
