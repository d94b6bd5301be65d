//! Change history: every change to a CRM record is a row saying who changed which
//! field from what to what, and when. Stage moves are history too; analytics are
//! computed from it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::crm::entity::EntityRef;
use crate::user::UserId;
use crate::workspace::WorkspaceId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub entity: EntityRef,
    /// None for changes made by Artel itself (automation).
    pub actor_id: Option<UserId>,
    pub at: DateTime<Utc>,
    /// Field name as in the API ("stage_id", "amount_minor", "custom.budget"), or
    /// "created" / "archived" / "restored" for lifecycle entries.
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// Where a page of history ends: the `(at, id)` of its last (oldest) entry. The
/// next page holds the entries strictly before it in `(at desc, id desc)` order.
/// Time alone is not enough: one edit writes several entries with the same `at`,
/// and a page boundary between them would skip the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor {
    pub at: DateTime<Utc>,
    /// `None`: every entry at `at` is excluded too (a bare time bound).
    pub id: Option<Uuid>,
}

/// Builds the entries for the fields that differ between two JSON renderings of a
/// record (top-level keys, and `custom.*` one level down). Keys in `skip` (ids,
/// timestamps, version) are never recorded.
pub fn diff(
    workspace: WorkspaceId,
    entity: EntityRef,
    actor: Option<UserId>,
    at: DateTime<Utc>,
    before: &Value,
    after: &Value,
    skip: &[&str],
) -> Vec<HistoryEntry> {
    let mut out = Vec::new();
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else { return out };
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut push = |field: String, old: Value, new: Value| {
        out.push(HistoryEntry {
            id: Uuid::now_v7(),
            workspace_id: workspace,
            entity,
            actor_id: actor,
            at,
            field,
            old,
            new,
        });
    };
    for key in keys {
        if skip.contains(&key.as_str()) {
            continue;
        }
        let (old, new) =
            (b.get(key).cloned().unwrap_or(Value::Null), a.get(key).cloned().unwrap_or(Value::Null));
        if old == new {
            continue;
        }
        if key == "custom" {
            let empty = serde_json::Map::new();
            let (bo, ao) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
            let mut ck: Vec<&String> = bo.keys().chain(ao.keys()).collect();
            ck.sort();
            ck.dedup();
            for k in ck {
                let (o, n) =
                    (bo.get(k).cloned().unwrap_or(Value::Null), ao.get(k).cloned().unwrap_or(Value::Null));
                if o != n {
                    push(format!("custom.{k}"), o, n);
                }
            }
        } else {
            push(key.clone(), old, new);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::entity::EntityKind;
    use serde_json::json;

    #[test]
    fn diff_records_changed_fields_only() {
        let e = EntityRef { kind: EntityKind::Deal, id: Uuid::nil() };
        let before = json!({"title": "A", "amount_minor": 100, "version": 1, "custom": {"x": 1, "y": 2}});
        let after =
            json!({"title": "A", "amount_minor": 250, "version": 2, "custom": {"x": 1, "y": 3, "z": "new"}});
        let entries = diff(Uuid::nil(), e, None, Utc::now(), &before, &after, &["version"]);
        let fields: Vec<&str> = entries.iter().map(|h| h.field.as_str()).collect();
        assert_eq!(fields, vec!["amount_minor", "custom.y", "custom.z"]);
        assert_eq!(entries[0].old, json!(100));
        assert_eq!(entries[0].new, json!(250));
    }
}
