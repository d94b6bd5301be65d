//! Wire shapes of the CRM: pipelines, stages, deals, history.

use artel_core::crm::deal::{Deal, DealClients};
use artel_core::crm::history::{HistoryCursor, HistoryEntry};
use artel_core::crm::pipeline::{Pipeline, Stage, StageKind};
use artel_core::crm::task::{DealTaskSummary, NextTask};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct StageDto {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    pub kind: StageKind,
    pub position: i64,
}

impl From<&Stage> for StageDto {
    fn from(s: &Stage) -> Self {
        Self {
            id: s.id,
            pipeline_id: s.pipeline_id,
            name: s.name.clone(),
            color: s.color.clone(),
            kind: s.kind,
            position: s.position,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineDto {
    pub id: Uuid,
    pub name: String,
    pub position: i64,
    pub archived_at: Option<DateTime<Utc>>,
    pub stages: Vec<StageDto>,
}

impl PipelineDto {
    pub fn new(p: &Pipeline, stages: &[Stage]) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            position: p.position,
            archived_at: p.archived_at,
            stages: stages.iter().map(StageDto::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealDto {
    pub id: Uuid,
    pub title: String,
    pub amount_minor: i64,
    pub currency: String,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    pub position: i64,
    pub owner_id: Uuid,
    pub participants: Vec<Uuid>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub expected_close_date: Option<NaiveDate>,
    pub loss_reason: Option<String>,
    pub tags: Vec<String>,
    /// Custom field values by key (see `/custom-fields`).
    #[schema(value_type = Object)]
    pub custom: serde_json::Map<String, serde_json::Value>,
    /// The deal's discussion chat.
    pub chat_id: Option<Uuid>,
    /// Send it back with every change: a stale version gets 409.
    pub version: i64,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stage_entered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    /// On board cards (`/pipelines/{id}/board`, live board events and
    /// `GET /deals`): the deal's open or in-progress tasks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_tasks: Option<i64>,
    /// On board cards and in `GET /deals`: the open task due first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_task: Option<NextTask>,
    /// On board cards and in `GET /deals`: the linked contact's name (never
    /// for guests, who see no clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
    /// On board cards and in `GET /deals`: the linked company's name (never for guests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
}

impl DealDto {
    /// The card with its tasks.
    pub fn with_tasks(mut self, tasks: Option<DealTaskSummary>) -> Self {
        if let Some(t) = tasks {
            self.open_tasks = Some(t.open_tasks);
            self.next_task = t.next_task;
        }
        self
    }

    /// The card with its client's names.
    pub fn with_clients(mut self, clients: Option<DealClients>) -> Self {
        if let Some(c) = clients {
            self.contact_name = c.contact_name;
            self.company_name = c.company_name;
        }
        self
    }
}

impl From<&Deal> for DealDto {
    fn from(d: &Deal) -> Self {
        Self {
            id: d.id,
            title: d.title.clone(),
            amount_minor: d.amount_minor,
            currency: d.currency.clone(),
            pipeline_id: d.pipeline_id,
            stage_id: d.stage_id,
            position: d.position,
            owner_id: d.owner_id,
            participants: d.participants.clone(),
            contact_id: d.contact_id,
            company_id: d.company_id,
            expected_close_date: d.expected_close_date,
            loss_reason: d.loss_reason.clone(),
            tags: d.tags.clone(),
            custom: d.custom.clone(),
            chat_id: d.chat_id,
            version: d.version,
            created_by: d.created_by,
            created_at: d.created_at,
            updated_at: d.updated_at,
            stage_entered_at: d.stage_entered_at,
            closed_at: d.closed_at,
            archived_at: d.archived_at,
            open_tasks: None,
            next_task: None,
            contact_name: None,
            company_name: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MoneySum {
    pub currency: String,
    pub amount_minor: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardColumn {
    pub stage: StageDto,
    /// How many deals the column holds (all of them, not only those carried).
    #[schema(minimum = 0)]
    pub count: i64,
    /// Sum of all the column's deals, per currency.
    pub sums: Vec<MoneySum>,
    /// The column's first deals, at most `per_column` of them.
    pub deals: Vec<DealDto>,
    /// Present when the column holds more deals than it carries: pass it as
    /// `cursor` to `GET /deals` with `pipeline_id`, `stage_id`, `sort=board` and
    /// the board's filters for the next ones.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardDto {
    pub pipeline: PipelineDto,
    pub columns: Vec<BoardColumn>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryDto {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub field: String,
    /// The value before the change: any JSON (null, a string, a number, an id
    /// list, an object), as the field holds it.
    pub old: serde_json::Value,
    /// The value after the change, in the same form.
    pub new: serde_json::Value,
}

impl From<&HistoryEntry> for HistoryDto {
    fn from(h: &HistoryEntry) -> Self {
        Self {
            id: h.id,
            actor_id: h.actor_id,
            at: h.at,
            field: h.field.clone(),
            old: h.old.clone(),
            new: h.new.clone(),
        }
    }
}

/// One item of a record's timeline: a change, or a message of its chat.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineItem {
    Change { at: DateTime<Utc>, change: HistoryDto },
    Message { at: DateTime<Utc>, message: crate::messaging::wire::MessageDto },
}

/// Paging of a record's history or timeline, newest first. To get the next page
/// pass the `at` and `id` of the last item received (for a timeline message, its
/// `at` and the message id): the page continues right after that item, so items
/// sharing one `at` (one edit writes several entries) are never skipped.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// 1..=200, default 50.
    pub limit: Option<i64>,
    /// RFC 3339: the `at` of the last item seen. Alone, every item at that
    /// moment is skipped too.
    pub before: Option<DateTime<Utc>>,
    /// The id of the last item seen; needs `before`.
    pub before_id: Option<Uuid>,
}

impl HistoryQuery {
    /// The cursor this query names, if any.
    pub fn cursor(&self) -> artel_core::Result<Option<HistoryCursor>> {
        match (self.before, self.before_id) {
            (Some(at), id) => Ok(Some(HistoryCursor { at, id })),
            (None, None) => Ok(None),
            (None, Some(_)) => {
                Err(artel_core::Error::invalid("before", "before_id needs before (the item's at)"))
            }
        }
    }

    /// The page size, 1..=200 (50 by default).
    pub fn limit(&self) -> artel_core::Result<i64> {
        crate::extract::page_limit(self.limit, 50)
    }
}
