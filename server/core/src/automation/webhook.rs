//! Outgoing webhooks: an admin subscribes a URL to events; each event is POSTed
//! as JSON signed with HMAC-SHA256 of "<unix time>.<body>" under the webhook's
//! secret, so the receiver can check origin and freshness.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::user::UserId;
use crate::workspace::WorkspaceId;
use crate::{Error, Result};

/// Every event a webhook may subscribe to.
pub const EVENTS: &[&str] = &[
    "message.created",
    "deal.created",
    "deal.moved",
    "deal.won",
    "deal.lost",
    "task.created",
    "task.done",
    "contact.created",
];

/// Webhooks per workspace at most.
pub const MAX_WEBHOOKS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub active: bool,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Webhook {
    pub fn wants(&self, event: &str) -> bool {
        self.active && self.events.iter().any(|e| e == event)
    }
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Network error, timeout or a non-2xx answer; retried while attempts remain.
    Failed,
    /// The target resolved to an address the workspace may not call.
    Refused,
}

impl DeliveryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Failed => "failed",
            DeliveryOutcome::Refused => "refused",
        }
    }
}

impl std::str::FromStr for DeliveryOutcome {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "delivered" => Ok(DeliveryOutcome::Delivered),
            "failed" => Ok(DeliveryOutcome::Failed),
            "refused" => Ok(DeliveryOutcome::Refused),
            other => Err(format!("unknown delivery outcome {other}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub event: String,
    pub attempt: i64,
    pub outcome: DeliveryOutcome,
    pub response_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The workspace's integration choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IntegrationSettings {
    /// Webhooks may call loopback and private-network addresses.
    pub allow_private_targets: bool,
}

/// A subscription list: known events, no duplicates, at least one.
pub fn events(raw: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in raw {
        let e = e.trim();
        if !EVENTS.contains(&e) {
            return Err(Error::invalid(
                "events",
                format!("unknown event '{e}'; known: {}", EVENTS.join(", ")),
            ));
        }
        if !out.iter().any(|o| o == e) {
            out.push(e.to_string());
        }
    }
    if out.is_empty() {
        return Err(Error::invalid("events", "subscribe to at least one event"));
    }
    Ok(out)
}

/// A short human name (1–100 characters, no control characters).
pub fn name(field: &str, raw: &str) -> Result<String> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must be 1-100 characters without control characters"));
    }
    Ok(n.to_string())
}
