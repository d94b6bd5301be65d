//! CRM row shapes as both engines return them, their conversion to domain types,
//! and the small SQL-building helpers the CRM stores share (numbered placeholders
//! for dynamic filters, LIKE patterns, client keys).

use std::collections::BTreeSet;

use artel_core::crm::client::{Company, Contact, Phone};
use artel_core::crm::deal::Deal;
use artel_core::crm::entity::EntityRef;
use artel_core::crm::history::HistoryEntry;
use artel_core::crm::pipeline::{Pipeline, Stage};
use artel_core::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

pub(crate) const PIPELINE_COLUMNS: &str =
    "id, workspace_id, name, position, created_at, updated_at, archived_at";

#[derive(sqlx::FromRow)]
pub(crate) struct PipelineRow {
    id: Uuid,
    workspace_id: Uuid,
    name: String,
    position: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
}

impl From<PipelineRow> for Pipeline {
    fn from(r: PipelineRow) -> Self {
        Pipeline {
            id: r.id,
            workspace_id: r.workspace_id,
            name: r.name,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
            archived_at: r.archived_at,
        }
    }
}

pub(crate) const STAGE_COLUMNS: &str =
    "id, workspace_id, pipeline_id, name, color, kind, position, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct StageRow {
    id: Uuid,
    workspace_id: Uuid,
    pipeline_id: Uuid,
    name: String,
    color: String,
    kind: String,
    position: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<StageRow> for Stage {
    type Error = StoreError;
    fn try_from(r: StageRow) -> Result<Self, StoreError> {
        Ok(Stage {
            id: r.id,
            workspace_id: r.workspace_id,
            pipeline_id: r.pipeline_id,
            name: r.name,
            color: r.color,
            kind: r.kind.parse().map_err(StoreError::Backend)?,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub(crate) fn stages(rows: Vec<StageRow>) -> Result<Vec<Stage>, StoreError> {
    rows.into_iter().map(Stage::try_from).collect()
}

pub(crate) const DEAL_COLUMNS: &str = "id, workspace_id, title, amount_minor, currency, pipeline_id, \
     stage_id, position, owner_id, participants, contact_id, company_id, expected_close_date, loss_reason, \
     tags, custom, chat_id, version, created_by, created_at, updated_at, stage_entered_at, closed_at, \
     archived_at";

#[derive(sqlx::FromRow)]
pub(crate) struct DealRow {
    id: Uuid,
    workspace_id: Uuid,
    title: String,
    amount_minor: i64,
    currency: String,
    pipeline_id: Uuid,
    stage_id: Uuid,
    position: i64,
    owner_id: Uuid,
    participants: Json<Vec<Uuid>>,
    contact_id: Option<Uuid>,
    company_id: Option<Uuid>,
    expected_close_date: Option<NaiveDate>,
    loss_reason: Option<String>,
    tags: Json<Vec<String>>,
    custom: Json<Map<String, Value>>,
    chat_id: Option<Uuid>,
    version: i64,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    stage_entered_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    archived_at: Option<DateTime<Utc>>,
}

impl From<DealRow> for Deal {
    fn from(r: DealRow) -> Self {
        Deal {
            id: r.id,
            workspace_id: r.workspace_id,
            title: r.title,
            amount_minor: r.amount_minor,
            currency: r.currency,
            pipeline_id: r.pipeline_id,
            stage_id: r.stage_id,
            position: r.position,
            owner_id: r.owner_id,
            participants: r.participants.0,
            contact_id: r.contact_id,
            company_id: r.company_id,
            expected_close_date: r.expected_close_date,
            loss_reason: r.loss_reason,
            tags: r.tags.0,
            custom: r.custom.0,
            chat_id: r.chat_id,
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            stage_entered_at: r.stage_entered_at,
            closed_at: r.closed_at,
            archived_at: r.archived_at,
        }
    }
}

pub(crate) const CONTACT_COLUMNS: &str = "id, workspace_id, name, phones, emails, position, company_id, \
     address, tags, owner_id, source, notes, custom, created_by, created_at, updated_at, archived_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    id: Uuid,
    workspace_id: Uuid,
    name: String,
    phones: Json<Vec<Phone>>,
    emails: Json<Vec<String>>,
    position: Option<String>,
    company_id: Option<Uuid>,
    address: Option<String>,
    tags: Json<Vec<String>>,
    owner_id: Option<Uuid>,
    source: Option<String>,
    notes: String,
    custom: Json<Map<String, Value>>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Contact {
            id: r.id,
            workspace_id: r.workspace_id,
            name: r.name,
            phones: r.phones.0,
            emails: r.emails.0,
            position: r.position,
            company_id: r.company_id,
            address: r.address,
            tags: r.tags.0,
            owner_id: r.owner_id,
            source: r.source,
            notes: r.notes,
            custom: r.custom.0,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            archived_at: r.archived_at,
        }
    }
}

pub(crate) const COMPANY_COLUMNS: &str = "id, workspace_id, name, phones, emails, website, address, tags, \
     owner_id, source, notes, custom, created_by, created_at, updated_at, archived_at";

#[derive(sqlx::FromRow)]
pub(crate) struct CompanyRow {
    id: Uuid,
    workspace_id: Uuid,
    name: String,
    phones: Json<Vec<Phone>>,
    emails: Json<Vec<String>>,
    website: Option<String>,
    address: Option<String>,
    tags: Json<Vec<String>>,
    owner_id: Option<Uuid>,
    source: Option<String>,
    notes: String,
    custom: Json<Map<String, Value>>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
}

impl From<CompanyRow> for Company {
    fn from(r: CompanyRow) -> Self {
        Company {
            id: r.id,
            workspace_id: r.workspace_id,
            name: r.name,
            phones: r.phones.0,
            emails: r.emails.0,
            website: r.website,
            address: r.address,
            tags: r.tags.0,
            owner_id: r.owner_id,
            source: r.source,
            notes: r.notes,
            custom: r.custom.0,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            archived_at: r.archived_at,
        }
    }
}

pub(crate) const HISTORY_COLUMNS: &str =
    "id, workspace_id, entity_kind, entity_id, actor_id, at, field, old_value, new_value";

#[derive(sqlx::FromRow)]
pub(crate) struct HistoryRow {
    id: Uuid,
    workspace_id: Uuid,
    entity_kind: String,
    entity_id: Uuid,
    actor_id: Option<Uuid>,
    at: DateTime<Utc>,
    field: String,
    old_value: Json<Value>,
    new_value: Json<Value>,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = StoreError;
    fn try_from(r: HistoryRow) -> Result<Self, StoreError> {
        Ok(HistoryEntry {
            id: r.id,
            workspace_id: r.workspace_id,
            entity: EntityRef { kind: r.entity_kind.parse().map_err(StoreError::Backend)?, id: r.entity_id },
            actor_id: r.actor_id,
            at: r.at,
            field: r.field,
            old: r.old_value.0,
            new: r.new_value.0,
        })
    }
}

/// The lower-cased form names and titles are searched, sorted and matched by
/// (computed here, not by the engine: SQLite's `lower` only knows ASCII).
pub(crate) fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A `LIKE … escape '\'` pattern matching values that contain `needle` literally.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The digits of a search text, when there are enough of them to mean a phone.
pub(crate) fn phone_digits(needle: &str) -> Option<String> {
    let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 3).then_some(digits)
}

/// Canonical form of an e-mail key (stored and looked up alike).
pub(crate) fn email_key(e: &str) -> String {
    e.trim().to_lowercase()
}

/// The `client_keys` rows of a client: `(key_kind, value)`, without repeats.
pub(crate) fn client_keys(
    phones: &[Phone],
    emails: &[String],
    tags: &[String],
) -> BTreeSet<(&'static str, String)> {
    let mut keys = BTreeSet::new();
    for p in phones {
        keys.insert(("phone", p.e164.trim().to_string()));
    }
    for e in emails {
        keys.insert(("email", email_key(e)));
    }
    for t in tags {
        keys.insert(("tag", lower(t)));
    }
    keys
}

/// Tags as stored in `deal_tags`, without repeats.
pub(crate) fn tag_set(tags: &[String]) -> BTreeSet<String> {
    tags.iter().map(|t| lower(t)).collect()
}

/// One bound value of a dynamically built statement.
pub(crate) enum Arg {
    Id(Uuid),
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
    Date(NaiveDate),
}

/// A statement's dynamic part: conditions with numbered placeholders, and the
/// values to bind in that order. User input only ever travels as a value.
#[derive(Default)]
pub(crate) struct Filter {
    pub(crate) conditions: Vec<String>,
    pub(crate) args: Vec<Arg>,
}

impl Filter {
    /// Adds a value; returns its placeholder (`$n`).
    pub(crate) fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    /// Adds a condition (already using placeholders from `arg`).
    pub(crate) fn and(&mut self, condition: String) {
        self.conditions.push(condition);
    }

    /// `c1 and c2 and …`.
    pub(crate) fn where_clause(&self) -> String {
        self.conditions.join(" and ")
    }

    /// ` limit $a offset $b` for a page; empty for `limit <= 0` and no offset.
    pub(crate) fn page(&mut self, limit: i64, offset: i64) -> String {
        if limit <= 0 && offset <= 0 {
            return String::new();
        }
        let limit = if limit > 0 { limit } else { i64::MAX };
        let l = self.arg(Arg::Int(limit));
        let o = self.arg(Arg::Int(offset.max(0)));
        format!(" limit {l} offset {o}")
    }
}

/// Binds a `Filter`'s values, in order, onto a query (`query`, `query_as` or
/// `query_scalar`; any engine).
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                crate::crm_rows::Arg::Id(v) => q.bind(*v),
                crate::crm_rows::Arg::Text(v) => q.bind(v.clone()),
                crate::crm_rows::Arg::Int(v) => q.bind(*v),
                crate::crm_rows::Arg::Time(v) => q.bind(*v),
                crate::crm_rows::Arg::Date(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

/// `"$a, $b, …"`: placeholders for a list of values, added to `filter`.
pub(crate) fn in_list<I: IntoIterator<Item = Arg>>(filter: &mut Filter, values: I) -> String {
    values.into_iter().map(|v| filter.arg(v)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards() {
        assert_eq!(contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(phone_digits("+7 (916)"), Some("7916".into()));
        assert_eq!(phone_digits("ab12"), None);
        assert_eq!(lower("  ПРИВЕТ World "), "привет world");
    }

    #[test]
    fn filters_number_their_placeholders() {
        let mut f = Filter::default();
        let a = f.arg(Arg::Int(1));
        f.and(format!("x = {a}"));
        let list = in_list(&mut f, [Arg::Int(2), Arg::Int(3)]);
        f.and(format!("y in ({list})"));
        assert_eq!(f.where_clause(), "x = $1 and y in ($2, $3)");
        assert_eq!(f.page(10, 0), " limit $4 offset $5");
        assert_eq!(f.page(0, 0), "");
    }
}
