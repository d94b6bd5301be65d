//! CRM storage ports: pipelines and stages, deals, clients, change history.
//! Like every port, each method is scoped to one workspace; writes that change a
//! record also write its history entries in the same transaction, so history can
//! never disagree with the record.

use crate::domain_event::Outbox;
use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::crm::client::{Company, CompanyId, Contact, ContactId};
use crate::crm::custom_field::{CustomFieldId, FieldDef};
use crate::crm::deal::DealVisibility;
use crate::crm::deal::{Deal, DealId};
use crate::crm::entity::{EntityKind, EntityRef};
use crate::crm::history::{HistoryCursor, HistoryEntry};
use crate::crm::pipeline::{Pipeline, PipelineId, Stage, StageId, StageKind};
use crate::crm::task::{DealTaskSummary, TaskId};
use crate::event::{BoardAppend, BoardEvent, ChatEvent};
use crate::ports::store::StoreResult;
use crate::user::{Role, User, UserId};
use crate::workspace::WorkspaceId;

/// Funnels and their stages.
#[async_trait]
pub trait PipelineStore: Send + Sync {
    /// Creates a pipeline with its stages (positions as given).
    async fn create_pipeline(&self, pipeline: &Pipeline, stages: &[Stage]) -> StoreResult<()>;
    /// Reads a pipeline.
    async fn get_pipeline(&self, workspace: WorkspaceId, id: PipelineId) -> StoreResult<Pipeline>;
    /// Pipelines of the workspace by position; archived ones only when asked.
    async fn list_pipelines(
        &self,
        workspace: WorkspaceId,
        include_archived: bool,
    ) -> StoreResult<Vec<Pipeline>>;
    /// Renames and/or archives (`Some(Some(t))`) / restores (`Some(None)`) a pipeline.
    async fn update_pipeline(
        &self,
        workspace: WorkspaceId,
        id: PipelineId,
        name: Option<&str>,
        archived_at: Option<Option<DateTime<Utc>>>,
        now: DateTime<Utc>,
    ) -> StoreResult<Pipeline>;
    /// Stages of a pipeline, left to right.
    async fn list_stages(&self, workspace: WorkspaceId, pipeline: PipelineId) -> StoreResult<Vec<Stage>>;
    /// Reads a stage.
    async fn get_stage(&self, workspace: WorkspaceId, id: StageId) -> StoreResult<Stage>;
    /// Adds a stage at `stage.position`, shifting the stages at or after it right.
    async fn create_stage(&self, stage: &Stage) -> StoreResult<()>;
    /// Renames, recolours or re-kinds a stage.
    async fn update_stage(
        &self,
        workspace: WorkspaceId,
        id: StageId,
        name: Option<&str>,
        color: Option<&str>,
        kind: Option<StageKind>,
        now: DateTime<Utc>,
    ) -> StoreResult<Stage>;
    /// Puts the pipeline's stages in this order; `order` must list each of its
    /// stages exactly once (`Conflict("stage order")` otherwise).
    async fn reorder_stages(
        &self,
        workspace: WorkspaceId,
        pipeline: PipelineId,
        order: &[StageId],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Stage>>;
    /// Deletes an empty stage; `Conflict("stage has deals")` while any deal
    /// (archived ones included) is in it, `Conflict("last stage")` for a pipeline's only stage.
    async fn delete_stage(&self, workspace: WorkspaceId, id: StageId) -> StoreResult<()>;
}

/// Which deals to list.
#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    pub pipeline_id: Option<PipelineId>,
    pub stage_id: Option<StageId>,
    pub owner_id: Option<UserId>,
    /// Deals this user owns or takes part in (visibility "own").
    pub involving: Option<UserId>,
    pub tag: Option<String>,
    /// Case-insensitive substring of the title.
    pub text: Option<String>,
    pub contact_id: Option<ContactId>,
    pub company_id: Option<CompanyId>,
    pub include_archived: bool,
    /// The order, and which way it runs.
    pub sort: DealSort,
    pub descending: bool,
    /// Only the deals after this one in that order (keyset paging).
    pub after: Option<DealAfter>,
    /// Page size (the API bounds it) and offset.
    pub limit: i64,
    pub offset: i64,
}

/// Orders of a deal list; every one ends with the deal id, so it is total and
/// a page boundary can be named by `DealAfter`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DealSort {
    /// As on the board: stage position, then the card's place in its column.
    #[default]
    Board,
    UpdatedAt,
    CreatedAt,
    Amount,
    /// Expected close date; deals without one come last either way.
    CloseDate,
    /// Lower-cased title.
    Title,
}

/// A deal's key in a `DealSort` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DealSortValue {
    Board { stage_position: i64, position: i64 },
    Time(DateTime<Utc>),
    Amount(i64),
    Date(Option<NaiveDate>),
    Text(String),
}

/// The deals of one stage in one currency that match a filter: how many, and
/// the sum of their amounts in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealTotal {
    pub stage_id: StageId,
    pub currency: String,
    pub count: i64,
    pub amount_minor: i64,
}

/// A place in a deal order: the key and id of the last deal seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealAfter {
    pub value: DealSortValue,
    pub id: DealId,
}

impl DealSort {
    /// The key of `deal` in this order (for `Board`, its stage's position is
    /// needed, which the deal does not hold).
    pub fn value_of(self, deal: &Deal, stage_position: i64) -> DealSortValue {
        match self {
            DealSort::Board => DealSortValue::Board { stage_position, position: deal.position },
            DealSort::UpdatedAt => DealSortValue::Time(deal.updated_at),
            DealSort::CreatedAt => DealSortValue::Time(deal.created_at),
            DealSort::Amount => DealSortValue::Amount(deal.amount_minor),
            DealSort::CloseDate => DealSortValue::Date(deal.expected_close_date),
            DealSort::Title => DealSortValue::Text(deal.title.trim().to_lowercase()),
        }
    }
}

/// Display names of contacts and companies, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientNames {
    pub contacts: HashMap<ContactId, String>,
    pub companies: HashMap<CompanyId, String>,
}

impl ClientNames {
    /// What a deal's card shows of its client.
    pub fn of(&self, deal: &Deal) -> crate::crm::deal::DealClients {
        crate::crm::deal::DealClients {
            contact_name: deal.contact_id.and_then(|id| self.contacts.get(&id).cloned()),
            company_name: deal.company_id.and_then(|id| self.companies.get(&id).cloned()),
        }
    }
}

impl DealFilter {
    /// A filter limited to the deals `viewer` may see: owners and admins see all,
    /// guests and (with visibility "own") members only deals they are on.
    pub fn for_viewer(viewer: &User, visibility: DealVisibility) -> Self {
        let restricted = match viewer.role {
            Role::Owner | Role::Admin => false,
            Role::Guest => true,
            Role::Member => visibility == DealVisibility::Own,
        };
        Self { involving: restricted.then_some(viewer.id), ..Self::default() }
    }
}

/// Deals.
#[async_trait]
pub trait DealStore: Send + Sync {
    /// Inserts a deal, its history entries and its board changes (one transaction);
    /// returns the board events as logged, to publish. The outbox is written in
    /// the same transaction.
    async fn create_deal(
        &self,
        deal: &Deal,
        history: &[HistoryEntry],
        board: &[BoardAppend],
        outbox: &Outbox,
    ) -> StoreResult<Vec<BoardEvent>>;
    /// Reads a deal.
    async fn get_deal(&self, workspace: WorkspaceId, id: DealId) -> StoreResult<Deal>;
    /// Replaces the deal's row with `deal` (whose `version` is already the new one)
    /// if the stored version is still `expected_version`, and writes the history
    /// entries and board changes; `Conflict("deal version")` if someone changed it
    /// meanwhile (then nothing is written).
    async fn update_deal(
        &self,
        deal: &Deal,
        expected_version: i64,
        history: &[HistoryEntry],
        board: &[BoardAppend],
        outbox: &Outbox,
    ) -> StoreResult<Vec<BoardEvent>>;
    /// Deals matching the filter: by stage position, then card position, then id.
    async fn list_deals(&self, workspace: WorkspaceId, filter: &DealFilter) -> StoreResult<Vec<Deal>>;
    /// How many deals match the filter and what they sum to, per stage and
    /// currency (the heads of board columns); order and page are ignored.
    async fn deal_totals(&self, workspace: WorkspaceId, filter: &DealFilter) -> StoreResult<Vec<DealTotal>>;
    /// `(deal id, position)` of the unarchived cards in a stage, ascending.
    async fn stage_positions(
        &self,
        workspace: WorkspaceId,
        stage: StageId,
    ) -> StoreResult<Vec<(DealId, i64)>>;
    /// Rewrites card positions (used to make room in a crowded column). Does not
    /// bump versions: order within a column is not part of a deal's content.
    async fn set_positions(&self, workspace: WorkspaceId, positions: &[(DealId, i64)]) -> StoreResult<()>;
    /// Deletes a deal and its history (admins; irreversible), logging the board changes.
    async fn delete_deal(
        &self,
        workspace: WorkspaceId,
        id: DealId,
        board: &[BoardAppend],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<BoardEvent>>;
}

/// Which clients to list.
#[derive(Debug, Clone, Default)]
pub struct ClientFilter {
    pub owner_id: Option<UserId>,
    pub tag: Option<String>,
    /// Case-insensitive substring of the name, an e-mail, or digits of a phone.
    pub text: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub company_id: Option<CompanyId>,
    pub include_archived: bool,
    pub sort: ClientSort,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientSort {
    #[default]
    NameAsc,
    NameDesc,
    CreatedDesc,
    CreatedAsc,
    UpdatedDesc,
}

/// One client of either kind, for the writes both kinds share.
#[derive(Debug, Clone, Copy)]
pub enum ClientRef<'a> {
    Contact(&'a Contact),
    Company(&'a Company),
}

impl ClientRef<'_> {
    pub fn kind(self) -> EntityKind {
        match self {
            ClientRef::Contact(_) => EntityKind::Contact,
            ClientRef::Company(_) => EntityKind::Company,
        }
    }

    pub fn id(self) -> Uuid {
        match self {
            ClientRef::Contact(c) => c.id,
            ClientRef::Company(c) => c.id,
        }
    }

    pub fn workspace_id(self) -> WorkspaceId {
        match self {
            ClientRef::Contact(c) => c.workspace_id,
            ClientRef::Company(c) => c.workspace_id,
        }
    }
}

/// Client `from` merged into `into` (same kind): see `ClientStore::merge_clients`.
#[derive(Debug, Clone, Copy)]
pub struct ClientMerge<'a> {
    /// The survivor as it becomes: fields combined, `updated_at` the merge's time.
    pub into: ClientRef<'a>,
    /// The merged-away client, of the same kind and workspace.
    pub from: Uuid,
    pub actor: UserId,
    pub at: DateTime<Utc>,
    /// The survivor's entries: the fields the merge changed and the "merged" one.
    pub history: &'a [HistoryEntry],
    /// What the cards of `from`'s deals show of their tasks (the merge does not
    /// change it); a deal missing here gets a card event without it.
    pub deal_tasks: &'a HashMap<DealId, DealTaskSummary>,
}

/// What a merge moved besides the two clients, for the caller to announce.
#[derive(Debug, Clone, Default)]
pub struct MergeOutcome {
    /// Cards of the moved deals, logged on their boards.
    pub board: Vec<BoardEvent>,
    /// `ChatUpdated` of `from`'s chat (now the survivor's, or archived).
    pub chat_events: Vec<ChatEvent>,
    pub deals: Vec<DealId>,
    pub tasks: Vec<TaskId>,
    /// A company's people, now the survivor's.
    pub contacts: Vec<ContactId>,
    /// `from`'s chat, archived because the survivor had one already.
    pub archived_chat: Option<Uuid>,
}

/// Contacts and companies.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Inserts a contact and its history entries.
    async fn create_contact(&self, contact: &Contact, history: &[HistoryEntry]) -> StoreResult<()>;
    /// Reads a contact.
    async fn get_contact(&self, workspace: WorkspaceId, id: ContactId) -> StoreResult<Contact>;
    /// Replaces a contact's row and writes the history entries.
    async fn update_contact(&self, contact: &Contact, history: &[HistoryEntry]) -> StoreResult<()>;
    /// Contacts matching the filter, and the total count without paging.
    async fn list_contacts(
        &self,
        workspace: WorkspaceId,
        filter: &ClientFilter,
    ) -> StoreResult<(Vec<Contact>, i64)>;
    /// Contacts (archived too) having any of these E.164 phones or e-mails.
    async fn find_contact_duplicates(
        &self,
        workspace: WorkspaceId,
        phones_e164: &[String],
        emails: &[String],
    ) -> StoreResult<Vec<Contact>>;
    /// Deletes a contact and its history; deals keep no dangling link (set to none).
    async fn delete_contact(&self, workspace: WorkspaceId, id: ContactId) -> StoreResult<()>;
    /// Inserts a company and its history entries.
    async fn create_company(&self, company: &Company, history: &[HistoryEntry]) -> StoreResult<()>;
    /// Reads a company.
    async fn get_company(&self, workspace: WorkspaceId, id: CompanyId) -> StoreResult<Company>;
    /// Replaces a company's row and writes the history entries.
    async fn update_company(&self, company: &Company, history: &[HistoryEntry]) -> StoreResult<()>;
    /// Companies matching the filter, and the total count without paging.
    async fn list_companies(
        &self,
        workspace: WorkspaceId,
        filter: &ClientFilter,
    ) -> StoreResult<(Vec<Company>, i64)>;
    /// Companies (archived too) having any of these phones or e-mails, or this exact name (case-insensitive).
    async fn find_company_duplicates(
        &self,
        workspace: WorkspaceId,
        name: Option<&str>,
        phones_e164: &[String],
        emails: &[String],
    ) -> StoreResult<Vec<Company>>;
    /// Deletes a company; contacts and deals linked to it are unlinked.
    async fn delete_company(&self, workspace: WorkspaceId, id: CompanyId) -> StoreResult<()>;
    /// The names of these contacts and companies (archived ones too), in one
    /// read; ids not found are left out.
    async fn client_names(
        &self,
        workspace: WorkspaceId,
        contacts: &[ContactId],
        companies: &[CompanyId],
    ) -> StoreResult<ClientNames>;
    /// Imports many contacts and companies in one transaction: all or nothing.
    async fn import_clients(
        &self,
        contacts: &[Contact],
        companies: &[Company],
        history: &[HistoryEntry],
    ) -> StoreResult<()>;
    /// Merges client `from` into `into` in one transaction: `into`'s row is
    /// replaced and gets its history entries; `from`'s deals, tasks, people (a
    /// company's), lead keys and history become `into`'s (each moved deal and
    /// task gets a new version and a history entry, each deal on a board its
    /// card event); `from`'s chat becomes `into`'s, or is archived when `into`
    /// has one; `from` is deleted, leaving a `merged_into` entry under its id.
    /// `NotFound` unless both are the workspace's.
    async fn merge_clients(&self, merge: &ClientMerge<'_>) -> StoreResult<MergeOutcome>;
    /// The client a deleted `client` was merged into, if it was (the latest merge).
    async fn merged_into(&self, workspace: WorkspaceId, client: EntityRef) -> StoreResult<Option<Uuid>>;
}

/// Custom field definitions.
#[async_trait]
pub trait CustomFieldStore: Send + Sync {
    /// Inserts a definition; `Conflict("custom field")` if its key is taken for the kind.
    async fn create_custom_field(&self, def: &FieldDef) -> StoreResult<()>;
    /// Definitions of the workspace, of one kind when given, by position then key.
    async fn list_custom_fields(
        &self,
        workspace: WorkspaceId,
        entity: Option<EntityKind>,
    ) -> StoreResult<Vec<FieldDef>>;
    /// Reads a definition.
    async fn get_custom_field(&self, workspace: WorkspaceId, id: CustomFieldId) -> StoreResult<FieldDef>;
    /// Replaces the editable parts (label, options, multiple, required, position).
    async fn update_custom_field(&self, def: &FieldDef) -> StoreResult<()>;
    /// Deletes a definition (values stay in records until their next edit drops them).
    async fn delete_custom_field(&self, workspace: WorkspaceId, id: CustomFieldId) -> StoreResult<()>;
}

/// The change history of records.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Appends entries (for changes not made through the record stores above).
    async fn append_history(&self, entries: &[HistoryEntry]) -> StoreResult<()>;
    /// A record's history, newest first (`at` desc, then `id` desc), only the
    /// entries after the cursor in that order when one is given.
    async fn list_history(
        &self,
        workspace: WorkspaceId,
        entity: EntityRef,
        before: Option<HistoryCursor>,
        limit: i64,
    ) -> StoreResult<Vec<HistoryEntry>>;
}

/// Chats bound to records.
#[async_trait]
pub trait EntityChatStore: Send + Sync {
    /// The chat bound to this record, if any.
    async fn chat_for_entity(&self, workspace: WorkspaceId, entity: EntityRef) -> StoreResult<Option<Uuid>>;
    /// The highest `seq` of the chat's top-level messages created at or before
    /// `at`: where a timeline page past a time cursor starts reading.
    async fn last_seq_at_or_before(
        &self,
        workspace: WorkspaceId,
        chat: Uuid,
        at: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Option<i64>>;
}

/// The boards' event logs: one gap-free sequence per pipeline.
#[async_trait]
pub trait BoardStore: Send + Sync {
    /// Appends a change to the pipeline's board log with the next seq.
    async fn append_board_event(
        &self,
        workspace: WorkspaceId,
        pipeline: PipelineId,
        change: &crate::event::BoardChange,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::event::BoardEvent>;
    /// The board's events with `seq > after`, ascending, at most `limit`.
    async fn board_events_since(
        &self,
        workspace: WorkspaceId,
        pipeline: PipelineId,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<crate::event::BoardEvent>>;
    /// Seq of the board's latest event (0 = none).
    async fn board_last_seq(&self, workspace: WorkspaceId, pipeline: PipelineId) -> StoreResult<i64>;
    /// The seq of each of these boards' latest event, in one read (the hub's
    /// catch-up after a bus gap); pipelines not found are left out.
    async fn board_last_seqs(
        &self,
        workspace: WorkspaceId,
        pipelines: &[PipelineId],
    ) -> StoreResult<Vec<(PipelineId, i64)>>;
}
