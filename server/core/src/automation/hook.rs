//! Secret incoming URLs. Whoever knows the URL may post: into one chat
//! (`incoming`) or a website form that becomes a contact and a deal (`lead`).
//! Only a hash of the secret is stored; the secret is shown once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::chat::ChatId;
use crate::user::UserId;
use crate::workspace::WorkspaceId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HookKind {
    /// Posts a message into `chat_id`.
    Incoming,
    /// Creates a contact and a deal in `pipeline_id`'s first stage, owned by `owner_id`.
    Lead,
}

impl HookKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::Incoming => "incoming",
            HookKind::Lead => "lead",
        }
    }
}

impl std::str::FromStr for HookKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "incoming" => Ok(HookKind::Incoming),
            "lead" => Ok(HookKind::Lead),
            other => Err(format!("unknown hook kind {other}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatHook {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub kind: HookKind,
    pub name: String,
    pub chat_id: Option<ChatId>,
    pub pipeline_id: Option<Uuid>,
    pub owner_id: Option<UserId>,
    pub token_hash: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Lead hooks: the thank-you page a plain form post is sent on to.
    pub redirect_url: Option<String>,
}

/// What a website lead made: kept under its idempotency key so a resubmission
/// answers with the same lead instead of opening another deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadRecord {
    pub contact_id: Uuid,
    pub contact_reused: bool,
    pub deal_id: Uuid,
}

/// Where an idempotency key of a lead stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadKey {
    /// Nobody used the key: the caller now holds it and makes the lead.
    Claimed,
    /// Another request holds the key and is making its lead right now.
    InProgress,
    /// A lead was made under this key.
    Done(LeadRecord),
}

/// Longest idempotency key accepted.
pub const MAX_LEAD_KEY_CHARS: usize = 200;

/// An idempotency key as sent: 1-200 visible ASCII characters.
pub fn lead_key(field: &str, raw: &str) -> crate::Result<String> {
    let k = raw.trim();
    if k.is_empty() || k.len() > MAX_LEAD_KEY_CHARS || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(crate::Error::invalid(
            field,
            format!("must be 1-{MAX_LEAD_KEY_CHARS} visible ASCII characters"),
        ));
    }
    Ok(k.to_string())
}
