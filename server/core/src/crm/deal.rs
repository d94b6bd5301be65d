//! Deals: the cards on a funnel board.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chat::ChatId;
use crate::crm::pipeline::{PipelineId, StageId};
use crate::user::{Role, User, UserId};
use crate::workspace::WorkspaceId;

pub type DealId = Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deal {
    pub id: DealId,
    pub workspace_id: WorkspaceId,
    pub title: String,
    /// Minor units (kopecks, cents); 0 when unknown.
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    /// Order of the card within its stage column (ascending).
    pub position: i64,
    /// The responsible employee.
    pub owner_id: UserId,
    /// Other employees (and guests) working on the deal.
    pub participants: Vec<UserId>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub expected_close_date: Option<NaiveDate>,
    pub loss_reason: Option<String>,
    pub tags: Vec<String>,
    /// Custom field values by field key.
    pub custom: serde_json::Map<String, serde_json::Value>,
    /// The deal's discussion chat, created with the deal.
    pub chat_id: Option<ChatId>,
    /// Bumped by every change; writes based on an older version are refused (409).
    pub version: i64,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the deal entered its current stage (time-in-stage, stuck deals).
    pub stage_entered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// The display names of a deal's client, as board cards and deal lists show
/// them (never to guests: clients are internal).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealClients {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
}

/// Who may see which deals: a workspace setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DealVisibility {
    /// Members see every deal.
    All,
    /// Members see the deals they own or take part in.
    Own,
}

impl DealVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            DealVisibility::All => "all",
            DealVisibility::Own => "own",
        }
    }
}

impl std::str::FromStr for DealVisibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(DealVisibility::All),
            "own" => Ok(DealVisibility::Own),
            other => Err(format!("unknown deal visibility {other:?}")),
        }
    }
}

impl Deal {
    /// Owner or participant.
    pub fn involves(&self, user: UserId) -> bool {
        self.owner_id == user || self.participants.contains(&user)
    }

    /// Whether `user` may see this deal under the workspace's visibility setting.
    /// Owners and admins see everything; guests only deals they take part in.
    pub fn visible_to(&self, user: &User, visibility: DealVisibility) -> bool {
        match user.role {
            Role::Owner | Role::Admin => true,
            Role::Guest => self.involves(user.id),
            Role::Member => visibility == DealVisibility::All || self.involves(user.id),
        }
    }

    /// Everyone on the deal, owner first.
    pub fn people(&self) -> Vec<UserId> {
        let mut people = vec![self.owner_id];
        for p in &self.participants {
            if !people.contains(p) {
                people.push(*p);
            }
        }
        people
    }
}

/// Fields of a deal that an edit may change; `None` leaves a field as is.
#[derive(Debug, Clone, Default)]
pub struct DealPatch {
    pub title: Option<String>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub owner_id: Option<UserId>,
    pub participants: Option<Vec<UserId>>,
    pub contact_id: Option<Option<Uuid>>,
    pub company_id: Option<Option<Uuid>>,
    pub expected_close_date: Option<Option<NaiveDate>>,
    pub loss_reason: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub custom: Option<serde_json::Map<String, serde_json::Value>>,
}
