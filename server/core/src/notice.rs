//! What a message Artel (or an integration) posted means, as data: each reader's
//! client words it in their own language, time zone and date format. The
//! message body keeps a text in the actor's language for search, push and
//! clients that do not know the notice (or a notice type newer than they are).
//! The actor is the message's author.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crm::entity::EntityKind;
use crate::crm::task::TaskPriority;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    /// A deal was opened (told in its own chat, or where `/deal` was typed).
    DealCreated {
        deal_id: Uuid,
        title: String,
        /// The stage's name when the deal was opened.
        stage: String,
        /// In minor units of `currency`; absent when no amount was given.
        #[serde(default)]
        amount_minor: Option<i64>,
        #[serde(default)]
        currency: Option<String>,
        /// The responsible person, when not the actor.
        #[serde(default)]
        owner_id: Option<Uuid>,
        #[serde(default)]
        owner_name: Option<String>,
    },
    /// A deal went from one stage to another (stage names as they were then).
    DealMoved { deal_id: Uuid, title: String, from: String, to: String },
    /// A deal was archived (`archived`) or restored.
    DealArchived { deal_id: Uuid, title: String, archived: bool },
    /// Someone became responsible for a deal, contact or company.
    OwnerChanged { record: EntityKind, record_id: Uuid, title: String, owner_id: Uuid, owner_name: String },
    /// A task was set. `due_at` is the moment for a timed task; `due_date` the
    /// calendar day for a date-only one (the same day wherever it is read).
    TaskCreated {
        task_id: Uuid,
        title: String,
        /// Who does it; empty when the actor does it themselves.
        #[serde(default)]
        assignee_ids: Vec<Uuid>,
        /// Their names when the notice was posted (for a reader who does not know them).
        #[serde(default)]
        assignee_names: Vec<String>,
        #[serde(default)]
        due_at: Option<DateTime<Utc>>,
        #[serde(default)]
        due_date: Option<NaiveDate>,
        priority: TaskPriority,
    },
    /// A task was done; a repeating one names when the next one is due.
    TaskCompleted {
        task_id: Uuid,
        title: String,
        #[serde(default)]
        next_due_at: Option<DateTime<Utc>>,
    },
    /// A task was given to other people.
    TaskAssigned { task_id: Uuid, title: String, assignee_ids: Vec<Uuid>, assignee_names: Vec<String> },
    /// The actor undid a command they had typed (`line` without the slash).
    CommandUndone { line: String },
    /// Posted through an incoming webhook: the message is the hook's text, signed
    /// with the hook's name (not a notice to word).
    Hook { hook_id: Uuid, name: String },
}

impl Notice {
    /// The stored form (a JSON object with `type`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Reads a stored notice; a type this build does not know reads as none, so
    /// the message still shows (by its body).
    pub fn from_json(value: serde_json::Value) -> Option<Self> {
        serde_json::from_value(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_its_type_and_tolerates_unknown_ones() {
        let n = Notice::TaskCreated {
            task_id: Uuid::nil(),
            title: "Call".into(),
            assignee_ids: vec![],
            assignee_names: vec![],
            due_at: None,
            due_date: NaiveDate::from_ymd_opt(2026, 12, 8),
            priority: TaskPriority::Normal,
        };
        let json = n.to_json();
        assert_eq!(json["type"], "task_created");
        assert_eq!(json["due_date"], "2026-12-08");
        assert_eq!(Notice::from_json(json), Some(n));
        assert_eq!(Notice::from_json(serde_json::json!({"type": "from_the_future"})), None);
    }
}
