//! Custom fields: per-workspace definitions of extra fields on deals, contacts
//! and companies ("Budget", "Source campaign", "Contract signed on"), and the
//! check every write of a record's `custom` values goes through.
//!
//! Values are stored as JSON in the record's `custom` object, keyed by the field
//! key, in one canonical shape per kind so that filters, exports and history
//! compare like with like:
//!
//! | kind   | stored as                                   |
//! |--------|---------------------------------------------|
//! | text   | string (≤ 2,000 chars)                      |
//! | number | JSON number (finite)                        |
//! | money  | `{"amount_minor": i64, "currency": "RUB"}`  |
//! | date   | `"YYYY-MM-DD"`                              |
//! | list   | option string, or array of them (multiple)  |
//! | user   | user id (uuid string); checked by the caller|
//! | link   | absolute http(s) URL                        |

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crm::entity::EntityKind;
use crate::crm::money;
use crate::workspace::WorkspaceId;
use crate::{Error, Result};

pub type CustomFieldId = Uuid;

pub const MAX_KEY_CHARS: usize = 40;
pub const MAX_LABEL_CHARS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 2_000;
pub const MAX_OPTIONS: usize = 100;
pub const MAX_OPTION_CHARS: usize = 100;
/// Definitions per entity kind and workspace: a card with more is not a card.
pub const MAX_FIELDS_PER_KIND: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Money,
    Date,
    List,
    User,
    Link,
}

impl FieldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Money => "money",
            FieldKind::Date => "date",
            FieldKind::List => "list",
            FieldKind::User => "user",
            FieldKind::Link => "link",
        }
    }
}

impl std::str::FromStr for FieldKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match s {
            "text" => FieldKind::Text,
            "number" => FieldKind::Number,
            "money" => FieldKind::Money,
            "date" => FieldKind::Date,
            "list" => FieldKind::List,
            "user" => FieldKind::User,
            "link" => FieldKind::Link,
            other => return Err(format!("unknown field kind {other:?}")),
        })
    }
}

/// One field definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub id: CustomFieldId,
    pub workspace_id: WorkspaceId,
    /// Deal, contact or company.
    pub entity: EntityKind,
    /// Stable key the values are stored under (`budget`, `lead_source`).
    pub key: String,
    /// What people read on the card.
    pub label: String,
    pub kind: FieldKind,
    /// Choices of a list field, in display order.
    pub options: Vec<String>,
    /// A list field holding several choices.
    pub multiple: bool,
    /// Must have a value on every record of the kind (checked on create and on edits).
    pub required: bool,
    /// Order on the card (ascending).
    pub position: i64,
    pub created_at: DateTime<Utc>,
}

/// Entity kinds that carry custom fields.
pub fn supports(entity: EntityKind) -> bool {
    matches!(entity, EntityKind::Deal | EntityKind::Contact | EntityKind::Company)
}

/// A field key: a lowercase ASCII identifier, so it is safe in URLs, CSV headers,
/// search filters and history field names (`custom.<key>`).
pub fn key(raw: &str) -> Result<String> {
    let k = raw.trim();
    let ok_start = k.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let ok_chars = k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok_start || !ok_chars || k.len() > MAX_KEY_CHARS {
        return Err(Error::invalid(
            "key",
            format!("must be 1–{MAX_KEY_CHARS} chars of a-z, 0-9 and _, starting with a letter"),
        ));
    }
    Ok(k.to_string())
}

pub fn label(raw: &str) -> Result<String> {
    let l = raw.trim();
    if l.is_empty() || l.chars().count() > MAX_LABEL_CHARS || l.chars().any(char::is_control) {
        return Err(Error::invalid("label", format!("must be 1–{MAX_LABEL_CHARS} printable characters")));
    }
    Ok(l.to_string())
}

/// List options: trimmed, non-empty, unique, bounded. Only list fields have them.
pub fn options(kind: FieldKind, raw: &[String]) -> Result<Vec<String>> {
    if kind != FieldKind::List {
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        return Err(Error::invalid("options", "only list fields have options"));
    }
    if raw.is_empty() || raw.len() > MAX_OPTIONS {
        return Err(Error::invalid("options", format!("a list field needs 1–{MAX_OPTIONS} options")));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for o in raw {
        let o = o.trim();
        if o.is_empty() || o.chars().count() > MAX_OPTION_CHARS || o.chars().any(char::is_control) {
            return Err(Error::invalid("options", format!("each option is 1–{MAX_OPTION_CHARS} characters")));
        }
        if out.iter().any(|x| x.eq_ignore_ascii_case(o) || x.to_lowercase() == o.to_lowercase()) {
            return Err(Error::invalid("options", format!("{o:?} is listed twice")));
        }
        out.push(o.to_string());
    }
    Ok(out)
}

/// The result of checking a change of custom values: the record's new `custom`
/// object, and the user ids the caller must confirm are members of the workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub values: Map<String, Value>,
    pub users: Vec<(String, Uuid)>,
}

/// Applies `patch` to `current` under `defs`: every key must be a defined field
/// of the record's kind, `null` removes a value, every value is brought to its
/// canonical shape. Values of fields whose definition was deleted are dropped on
/// the way (they would otherwise linger invisibly). Required fields must end up
/// with a value. Errors name the field as `custom.<key>`.
pub fn apply(defs: &[FieldDef], current: &Map<String, Value>, patch: &Map<String, Value>) -> Result<Checked> {
    let mut values: Map<String, Value> = current
        .iter()
        .filter(|(k, _)| defs.iter().any(|d| &d.key == *k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut users = Vec::new();
    for (k, v) in patch {
        let field = format!("custom.{k}");
        let Some(def) = defs.iter().find(|d| &d.key == k) else {
            return Err(Error::invalid(field, "no such custom field"));
        };
        if v.is_null() {
            values.remove(k);
            continue;
        }
        let value = value(def, v).map_err(|reason| Error::invalid(field.clone(), reason))?;
        if def.kind == FieldKind::User {
            if let Some(id) = value.as_str().and_then(|s| s.parse::<Uuid>().ok()) {
                users.push((field, id));
            }
        }
        values.insert(k.clone(), value);
    }
    for def in defs.iter().filter(|d| d.required) {
        if !values.contains_key(&def.key) {
            return Err(Error::invalid(format!("custom.{}", def.key), "is required"));
        }
    }
    Ok(Checked { values, users })
}

/// One value in its canonical shape, or why not.
fn value(def: &FieldDef, v: &Value) -> std::result::Result<Value, String> {
    match def.kind {
        FieldKind::Text => {
            let s = v.as_str().ok_or("must be a string")?.trim();
            if s.is_empty() {
                return Err("must not be empty (send null to clear it)".into());
            }
            if s.chars().count() > MAX_TEXT_CHARS {
                return Err(format!("must be at most {MAX_TEXT_CHARS} characters"));
            }
            if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
                return Err("must not contain control characters".into());
            }
            Ok(Value::String(s.to_string()))
        }
        FieldKind::Number => match v {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(v.clone()),
            _ => Err("must be a number".into()),
        },
        FieldKind::Money => {
            let o = v.as_object().ok_or("must be {\"amount_minor\": integer, \"currency\": \"ISO 4217\"}")?;
            let amount = o
                .get("amount_minor")
                .and_then(Value::as_i64)
                .ok_or("amount_minor must be an integer number of minor units")?;
            if amount < 0 {
                return Err("amount_minor must not be negative".into());
            }
            let currency = o.get("currency").and_then(Value::as_str).ok_or("currency is required")?;
            let currency = money::currency(currency).map_err(|e| e.to_string())?;
            if o.len() > 2 {
                return Err("only amount_minor and currency are allowed".into());
            }
            Ok(serde_json::json!({"amount_minor": amount, "currency": currency}))
        }
        FieldKind::Date => {
            let s = v.as_str().ok_or("must be a date YYYY-MM-DD")?;
            let d =
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| "must be a date YYYY-MM-DD")?;
            Ok(Value::String(d.format("%Y-%m-%d").to_string()))
        }
        FieldKind::List => {
            let pick = |s: &str| -> std::result::Result<String, String> {
                def.options
                    .iter()
                    .find(|o| o.to_lowercase() == s.trim().to_lowercase())
                    .cloned()
                    .ok_or_else(|| format!("{s:?} is not one of the options"))
            };
            if def.multiple {
                let items = v.as_array().ok_or("must be an array of options")?;
                if items.len() > MAX_OPTIONS {
                    return Err("too many options".into());
                }
                let mut out: Vec<Value> = Vec::with_capacity(items.len());
                for i in items {
                    let chosen = pick(i.as_str().ok_or("must be an array of options")?)?;
                    if !out.iter().any(|o| o.as_str() == Some(chosen.as_str())) {
                        out.push(Value::String(chosen));
                    }
                }
                Ok(Value::Array(out))
            } else {
                Ok(Value::String(pick(v.as_str().ok_or("must be one of the options")?)?))
            }
        }
        FieldKind::User => {
            let id = v.as_str().and_then(|s| s.parse::<Uuid>().ok()).ok_or("must be a user id")?;
            Ok(Value::String(id.to_string()))
        }
        FieldKind::Link => {
            let s = v.as_str().ok_or("must be a link")?.trim();
            let lower = s.to_ascii_lowercase();
            let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
            let host_ok = rest.is_some_and(|r| {
                let host = r.split(['/', '?', '#']).next().unwrap_or("");
                !host.is_empty() && !host.contains('@')
            });
            if !host_ok || s.len() > MAX_TEXT_CHARS || s.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err("must be an http:// or https:// link".into());
            }
            Ok(Value::String(s.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(key: &str, kind: FieldKind) -> FieldDef {
        FieldDef {
            id: Uuid::nil(),
            workspace_id: Uuid::nil(),
            entity: EntityKind::Deal,
            key: key.into(),
            label: key.into(),
            kind,
            options: if kind == FieldKind::List {
                vec!["Сайт".into(), "Звонок".into()]
            } else {
                vec![]
            },
            multiple: false,
            required: false,
            position: 0,
            created_at: DateTime::UNIX_EPOCH,
        }
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn canonical_values() {
        let mut tags = def("tags", FieldKind::List);
        tags.multiple = true;
        let defs = vec![
            def("note", FieldKind::Text),
            def("n", FieldKind::Number),
            def("budget", FieldKind::Money),
            def("signed", FieldKind::Date),
            def("source", FieldKind::List),
            tags,
            def("who", FieldKind::User),
            def("site", FieldKind::Link),
        ];
        let user = Uuid::now_v7();
        let patch = map(json!({
            "note": "  hi ", "n": 2.5, "budget": {"amount_minor": 100, "currency": "rub"},
            "signed": "2026-12-01", "source": "сайт", "tags": ["Звонок", "звонок", "Сайт"],
            "who": user.to_string(), "site": "https://example.com/x"
        }));
        let c = apply(&defs, &Map::new(), &patch).expect("valid");
        assert_eq!(c.values["note"], json!("hi"));
        assert_eq!(c.values["budget"], json!({"amount_minor": 100, "currency": "RUB"}));
        assert_eq!(c.values["source"], json!("Сайт"));
        assert_eq!(c.values["tags"], json!(["Звонок", "Сайт"]));
        assert_eq!(c.users, vec![("custom.who".to_string(), user)]);
    }

    #[test]
    fn bad_values_name_the_field() {
        let defs = vec![
            def("n", FieldKind::Number),
            def("budget", FieldKind::Money),
            def("signed", FieldKind::Date),
            def("source", FieldKind::List),
            def("site", FieldKind::Link),
            def("who", FieldKind::User),
        ];
        for (patch, field) in [
            (json!({"n": "12"}), "custom.n"),
            (json!({"budget": {"amount_minor": -1, "currency": "RUB"}}), "custom.budget"),
            (json!({"budget": {"amount_minor": 1.5, "currency": "RUB"}}), "custom.budget"),
            (json!({"budget": {"amount_minor": 1, "currency": "XXQ"}}), "custom.budget"),
            (json!({"signed": "01.12.2026"}), "custom.signed"),
            (json!({"source": "Радио"}), "custom.source"),
            (json!({"site": "javascript:alert(1)"}), "custom.site"),
            (json!({"site": "https://user@evil"}), "custom.site"),
            (json!({"who": "bob"}), "custom.who"),
            (json!({"nope": 1}), "custom.nope"),
        ] {
            match apply(&defs, &Map::new(), &map(patch.clone())) {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field, "{patch}"),
                other => panic!("{patch} gave {other:?}"),
            }
        }
    }

    #[test]
    fn null_removes_required_stays_and_orphans_drop() {
        let mut req = def("stage_reason", FieldKind::Text);
        req.required = true;
        let defs = vec![def("n", FieldKind::Number), req];
        let current = map(json!({"n": 1, "stage_reason": "x", "deleted_field": 5}));
        let c = apply(&defs, &current, &map(json!({"n": null}))).expect("valid");
        assert_eq!(Value::Object(c.values), json!({"stage_reason": "x"}));
        assert!(matches!(
            apply(&defs, &current, &map(json!({"stage_reason": null}))),
            Err(Error::Invalid { field, .. }) if field == "custom.stage_reason"
        ));
    }

    #[test]
    fn keys_and_options() {
        assert!(key("budget_2026").is_ok());
        for bad in ["", "Budget", "2x", "a-b", "бюджет", &"a".repeat(41)] {
            assert!(key(bad).is_err(), "{bad}");
        }
        assert!(options(FieldKind::List, &["a".into(), "A".into()]).is_err());
        assert!(options(FieldKind::Text, &["a".into()]).is_err());
        assert!(options(FieldKind::List, &[]).is_err());
    }
}
