//! Stage automation ("auto-funnel"): per stage, a trigger and an action. Runs are
//! durable jobs keyed so each trigger occurrence runs once; chained moves carry a
//! depth so rules cannot ping-pong a deal forever.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::user::UserId;
use crate::workspace::WorkspaceId;
use crate::{Error, Result};

/// A move made by a rule may trigger further rules this many levels deep.
pub const MAX_DEPTH: u8 = 3;
/// Rules per stage at most.
pub const MAX_RULES_PER_STAGE: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// A deal arrives in the stage (created there or moved there).
    DealEnteredStage,
    /// A deal has stayed in the stage for `days` days.
    DealIdleInStage { days: u32 },
    /// An open task linked to a deal in the stage is past its due moment.
    DealTaskOverdue,
}

impl Trigger {
    pub fn kind(self) -> &'static str {
        match self {
            Trigger::DealEnteredStage => "deal_entered_stage",
            Trigger::DealIdleInStage { .. } => "deal_idle_in_stage",
            Trigger::DealTaskOverdue => "deal_task_overdue",
        }
    }
}

/// Who gets a task a rule creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Assignee {
    DealOwner,
    User {
        #[schema(value_type = String, format = Uuid)]
        user_id: UserId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// A task linked to the deal; `{deal}` in the title becomes the deal's title.
    CreateTask {
        title: String,
        assignee: Assignee,
        /// Due this many hours after the run (none: no due date).
        #[serde(default)]
        due_in_hours: Option<u32>,
    },
    /// A message in the deal's chat; `{deal}` becomes the deal's title.
    PostMessage { text: String },
    SetOwner {
        #[schema(value_type = String, format = Uuid)]
        user_id: UserId,
    },
    MoveToStage {
        #[schema(value_type = String, format = Uuid)]
        stage_id: Uuid,
    },
    /// POSTs the deal as JSON to the URL (same SSRF rules as webhooks; retried).
    CallWebhook { url: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRule {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    pub trigger: Trigger,
    pub action: Action,
    pub active: bool,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Signs `call_webhook` requests as outgoing webhooks are signed.
    pub secret: String,
}

/// Checks what can be checked without the database.
pub fn check(trigger: &Trigger, action: &Action) -> Result<()> {
    if let Trigger::DealIdleInStage { days } = trigger {
        if !(1..=365).contains(days) {
            return Err(Error::invalid("trigger.days", "must be between 1 and 365"));
        }
    }
    let text = |field: &str, t: &str, max: usize| -> Result<()> {
        let n = t.trim().chars().count();
        if n == 0 || n > max {
            return Err(Error::invalid(field, format!("must be 1-{max} characters")));
        }
        Ok(())
    };
    match action {
        Action::CreateTask { title, due_in_hours, .. } => {
            text("action.title", title, 200)?;
            if due_in_hours.is_some_and(|h| h > 24 * 366) {
                return Err(Error::invalid("action.due_in_hours", "must be at most a year"));
            }
        }
        Action::PostMessage { text: t } => text("action.text", t, 4000)?,
        Action::CallWebhook { url } => text("action.url", url, 2000)?,
        Action::SetOwner { .. } | Action::MoveToStage { .. } => {}
    }
    Ok(())
}

/// `{deal}` → the deal's title.
pub fn render(template: &str, deal_title: &str) -> String {
    template.replace("{deal}", deal_title)
}
