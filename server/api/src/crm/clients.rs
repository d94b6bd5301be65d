//! Client use cases shared by contacts and companies: checking their fields,
//! duplicate detection by phone and e-mail (a warning, never a refusal), archive,
//! restore, delete and the history every change writes. The HTTP handlers and the
//! CSV import both go through here, so every entry point follows the same rules.

use artel_core::crm::client::{self, Company, CompanyId, Contact, Phone, MAX_NOTES_CHARS};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::{diff, HistoryCursor, HistoryEntry};
use artel_core::ports::crm::{ClientFilter, ClientRef, ClientSort};
use artel_core::user::{Role, User, UserId};
use artel_core::workspace::WorkspaceId;
use artel_core::{Error, Result, Store, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crm::custom_fields;
use crate::state::AppState;

pub const MAX_NAME_CHARS: usize = 200;
pub use crate::extract::MAX_PAGE;
/// Fields whose changes are bookkeeping, not history (archiving has its own entries).
pub(crate) const NOT_HISTORY: &[&str] =
    &["id", "workspace_id", "created_by", "created_at", "updated_at", "archived_at"];

/// The editable fields of a client. `position` and `company_id` are a contact's,
/// `website` a company's; the other kind ignores them.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub name: String,
    pub phones: Vec<Phone>,
    pub emails: Vec<String>,
    pub position: Option<String>,
    pub website: Option<String>,
    pub company_id: Option<CompanyId>,
    pub address: Option<String>,
    pub tags: Vec<String>,
    pub owner_id: Option<UserId>,
    pub source: Option<String>,
    pub notes: String,
    /// Custom field values, already checked against the definitions.
    pub custom: serde_json::Map<String, Value>,
}

/// A change, or for a new record its values: `None` leaves a field as it is; for
/// the optional fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub phones: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    pub position: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub company_id: Option<Option<CompanyId>>,
    pub address: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub owner_id: Option<Option<UserId>>,
    pub source: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    /// Custom values to change by key (`null` clears one); checked by `create`/`update`.
    pub custom: Option<serde_json::Map<String, Value>>,
}

/// What a found duplicate shares with the record being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Matched {
    Phone,
    Email,
    Name,
}

/// An existing record that looks like the same client.
#[derive(Debug, Clone)]
pub struct Duplicate<T> {
    pub record: T,
    pub matched_on: Vec<Matched>,
}

/// A created or changed record, with the duplicates it has (a warning).
#[derive(Debug, Clone)]
pub struct Saved<T> {
    pub record: T,
    pub duplicates: Vec<Duplicate<T>>,
}

/// List order as the API spells it.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortParam {
    #[default]
    NameAsc,
    NameDesc,
    CreatedDesc,
    CreatedAsc,
    UpdatedDesc,
}

impl From<SortParam> for ClientSort {
    fn from(s: SortParam) -> Self {
        match s {
            SortParam::NameAsc => ClientSort::NameAsc,
            SortParam::NameDesc => ClientSort::NameDesc,
            SortParam::CreatedDesc => ClientSort::CreatedDesc,
            SortParam::CreatedAsc => ClientSort::CreatedAsc,
            SortParam::UpdatedDesc => ClientSort::UpdatedDesc,
        }
    }
}

/// A page size in 1..=200 (50 by default).
pub fn limit(raw: Option<i64>) -> Result<i64> {
    crate::extract::page_limit(raw, 50)
}

/// A non-negative offset (0 by default).
pub fn offset(raw: Option<i64>) -> Result<i64> {
    match raw.unwrap_or(0) {
        n if n >= 0 => Ok(n),
        _ => Err(Error::invalid("offset", "must not be negative")),
    }
}

/// Tag and text filters as the store expects them (blank means no filter).
pub fn filter_text(tag: Option<String>, text: Option<String>) -> (Option<String>, Option<String>) {
    (
        tag.map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()),
        text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
    )
}

/// Clients are internal: guests see none of them.
pub fn can_use(user: &User) -> Result<()> {
    if user.role == Role::Guest {
        return Err(Error::forbidden("guests have no access to clients"));
    }
    Ok(())
}

/// Deleting is for owners and admins; members archive instead.
fn can_delete(user: &User) -> Result<()> {
    if !user.role.is_admin() {
        return Err(Error::forbidden("only admins delete clients; archive it instead"));
    }
    Ok(())
}

/// Who may be a client's owner: an active member, admin or owner (not a guest).
pub fn may_own(user: &User) -> bool {
    user.is_active() && user.role != Role::Guest
}

pub fn name(raw: &str) -> Result<String> {
    let n = raw.trim();
    if n.is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    if n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters, without control characters"),
        ));
    }
    Ok(n.to_string())
}

pub fn notes(raw: Option<&str>) -> Result<String> {
    let n = raw.unwrap_or("").trim();
    if n.chars().count() > MAX_NOTES_CHARS {
        return Err(Error::invalid("notes", format!("must be at most {MAX_NOTES_CHARS} characters")));
    }
    if n.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Error::invalid("notes", "must not contain control characters"));
    }
    Ok(n.to_string())
}

/// Checks and applies the plain fields of a patch (no lookups: references are
/// checked by the caller).
pub fn apply(fields: &mut Fields, patch: &ClientPatch, phone_region: &str) -> Result<()> {
    if let Some(n) = &patch.name {
        fields.name = name(n)?;
    }
    if let Some(p) = &patch.phones {
        fields.phones = client::phones(p, phone_region)?;
    }
    if let Some(e) = &patch.emails {
        fields.emails = client::emails(e)?;
    }
    let text = |field: &str, v: &Option<Option<String>>, slot: &mut Option<String>| -> Result<()> {
        if let Some(v) = v {
            *slot = client::short_text(field, v.as_deref())?;
        }
        Ok(())
    };
    text("position", &patch.position, &mut fields.position)?;
    text("website", &patch.website, &mut fields.website)?;
    text("address", &patch.address, &mut fields.address)?;
    text("source", &patch.source, &mut fields.source)?;
    if let Some(t) = &patch.tags {
        fields.tags = client::tags(t)?;
    }
    if let Some(n) = &patch.notes {
        fields.notes = notes(n.as_deref())?;
    }
    if let Some(c) = patch.company_id {
        fields.company_id = c;
    }
    if let Some(o) = patch.owner_id {
        fields.owner_id = o;
    }
    Ok(())
}

/// Contacts and companies seen alike by the use cases below.
#[async_trait]
pub trait ClientRecord: Serialize + Clone + Send + Sync + Sized + 'static {
    const KIND: EntityKind;
    /// "contact" / "company".
    const NOUN: &'static str;
    /// Whether the same name alone marks a duplicate (companies: yes; people
    /// share names too often).
    const NAME_IS_KEY: bool;
    /// The single-value fields a merge picks between (lists are joined).
    const SINGLE_FIELDS: &'static [&'static str];

    fn id(&self) -> Uuid;
    fn fields(&self) -> Fields;
    /// The record as the store's writes shared by both kinds take it.
    fn as_client(&self) -> ClientRef<'_>;
    fn created_at(&self) -> DateTime<Utc>;
    fn archived_at(&self) -> Option<DateTime<Utc>>;
    /// A new record in `actor`'s workspace.
    fn build(id: Uuid, actor: &User, now: DateTime<Utc>, fields: Fields) -> Self;
    /// Replaces the editable fields and stamps the change.
    fn assign(&mut self, fields: Fields, now: DateTime<Utc>);
    fn set_archived(&mut self, at: Option<DateTime<Utc>>, now: DateTime<Utc>);

    async fn load(store: &dyn Store, workspace: WorkspaceId, id: Uuid) -> StoreResult<Self>;
    async fn insert(store: &dyn Store, record: &Self, history: &[HistoryEntry]) -> StoreResult<()>;
    async fn save(store: &dyn Store, record: &Self, history: &[HistoryEntry]) -> StoreResult<()>;
    async fn remove(store: &dyn Store, workspace: WorkspaceId, id: Uuid) -> StoreResult<()>;
    async fn list(
        store: &dyn Store,
        workspace: WorkspaceId,
        filter: &ClientFilter,
    ) -> StoreResult<(Vec<Self>, i64)>;
    /// Records (archived too) having any of these phones or e-mails, or this exact
    /// name (case-insensitive) when given.
    async fn matching(
        store: &dyn Store,
        workspace: WorkspaceId,
        name: Option<&str>,
        phones_e164: &[String],
        emails: &[String],
    ) -> StoreResult<Vec<Self>>;
    /// Writes imported records (and companies created for them) in one transaction.
    async fn import(
        store: &dyn Store,
        records: &[Self],
        new_companies: &[Company],
        history: &[HistoryEntry],
    ) -> StoreResult<()>;
}

#[async_trait]
impl ClientRecord for Contact {
    const KIND: EntityKind = EntityKind::Contact;
    const NOUN: &'static str = "contact";
    const NAME_IS_KEY: bool = false;
    const SINGLE_FIELDS: &'static [&'static str] =
        &["name", "position", "company_id", "address", "owner_id", "source", "notes"];

    fn id(&self) -> Uuid {
        self.id
    }

    fn as_client(&self) -> ClientRef<'_> {
        ClientRef::Contact(self)
    }

    fn fields(&self) -> Fields {
        Fields {
            name: self.name.clone(),
            phones: self.phones.clone(),
            emails: self.emails.clone(),
            position: self.position.clone(),
            website: None,
            company_id: self.company_id,
            address: self.address.clone(),
            tags: self.tags.clone(),
            owner_id: self.owner_id,
            source: self.source.clone(),
            notes: self.notes.clone(),
            custom: self.custom.clone(),
        }
    }

    fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.archived_at
    }

    fn build(id: Uuid, actor: &User, now: DateTime<Utc>, f: Fields) -> Self {
        Contact {
            id,
            workspace_id: actor.workspace_id,
            name: f.name,
            phones: f.phones,
            emails: f.emails,
            position: f.position,
            company_id: f.company_id,
            address: f.address,
            tags: f.tags,
            owner_id: f.owner_id,
            source: f.source,
            notes: f.notes,
            custom: f.custom,
            created_by: actor.id,
            created_at: now,
            updated_at: now,
            archived_at: None,
        }
    }

    fn assign(&mut self, f: Fields, now: DateTime<Utc>) {
        self.name = f.name;
        self.phones = f.phones;
        self.emails = f.emails;
        self.position = f.position;
        self.company_id = f.company_id;
        self.address = f.address;
        self.tags = f.tags;
        self.owner_id = f.owner_id;
        self.source = f.source;
        self.notes = f.notes;
        self.custom = f.custom;
        self.updated_at = now;
    }

    fn set_archived(&mut self, at: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        self.archived_at = at;
        self.updated_at = now;
    }

    async fn load(store: &dyn Store, workspace: WorkspaceId, id: Uuid) -> StoreResult<Self> {
        store.get_contact(workspace, id).await
    }

    async fn insert(store: &dyn Store, record: &Self, history: &[HistoryEntry]) -> StoreResult<()> {
        store.create_contact(record, history).await
    }

    async fn save(store: &dyn Store, record: &Self, history: &[HistoryEntry]) -> StoreResult<()> {
        store.update_contact(record, history).await
    }

    async fn remove(store: &dyn Store, workspace: WorkspaceId, id: Uuid) -> StoreResult<()> {
        store.delete_contact(workspace, id).await
    }

    async fn list(
        store: &dyn Store,
        workspace: WorkspaceId,
        filter: &ClientFilter,
    ) -> StoreResult<(Vec<Self>, i64)> {
        store.list_contacts(workspace, filter).await
    }

    async fn matching(
        store: &dyn Store,
        workspace: WorkspaceId,
        name: Option<&str>,
        phones_e164: &[String],
        emails: &[String],
    ) -> StoreResult<Vec<Self>> {
        let mut found = store.find_contact_duplicates(workspace, phones_e164, emails).await?;
        let Some(wanted) = name.map(|n| n.trim().to_lowercase()).filter(|n| !n.is_empty()) else {
            return Ok(found);
        };
        // No name index for contacts: the text filter narrows to names containing
        // it, sorted by name, and the exact ones are picked from those pages.
        let mut filter = ClientFilter {
            text: Some(wanted.clone()),
            include_archived: true,
            limit: MAX_PAGE,
            ..ClientFilter::default()
        };
        for _ in 0..10 {
            let (page, total) = store.list_contacts(workspace, &filter).await?;
            let n = i64::try_from(page.len()).unwrap_or(MAX_PAGE);
            for c in page {
                if c.name.trim().to_lowercase() == wanted && !found.iter().any(|f| f.id == c.id) {
                    found.push(c);
                }
            }
            filter.offset += n;
            if n < MAX_PAGE || filter.offset >= total {
                break;
            }
        }
        Ok(found)
    }

    async fn import(
        store: &dyn Store,
        records: &[Self],
        new_companies: &[Company],
        history: &[HistoryEntry],
    ) -> StoreResult<()> {
        store.import_clients(records, new_companies, history).await
    }
}

#[async_trait]
impl ClientRecord for Company {
    const KIND: EntityKind = EntityKind::Company;
    const NOUN: &'static str = "company";
    const NAME_IS_KEY: bool = true;
    const SINGLE_FIELDS: &'static [&'static str] =
        &["name", "website", "address", "owner_id", "source", "notes"];

    fn id(&self) -> Uuid {
        self.id
    }

    fn as_client(&self) -> ClientRef<'_> {
        ClientRef::Company(self)
    }

    fn fields(&self) -> Fields {
        Fields {
            name: self.name.clone(),
            phones: self.phones.clone(),
            emails: self.emails.clone(),
            position: None,
            website: self.website.clone(),
            company_id: None,
            address: self.address.clone(),
            tags: self.tags.clone(),
            owner_id: self.owner_id,
            source: self.source.clone(),
            notes: self.notes.clone(),
            custom: self.custom.clone(),
        }
    }

    fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.archived_at
    }

    fn build(id: Uuid, actor: &User, now: DateTime<Utc>, f: Fields) -> Self {
        Company {
            id,
            workspace_id: actor.workspace_id,
            name: f.name,
            phones: f.phones,
            emails: f.emails,
            website: f.website,
            address: f.address,
            tags: f.tags,
            owner_id: f.owner_id,
            source: f.source,
            notes: f.notes,
            custom: f.custom,
            created_by: actor.id,
            created_at: now,
            updated_at: now,
            archived_at: None,
        }
    }

    fn assign(&mut self, f: Fields, now: DateTime<Utc>) {
        self.name = f.name;
        self.phones = f.phones;
        self.emails = f.emails;
        self.website = f.website;
        self.address = f.address;
        self.tags = f.tags;
        self.owner_id = f.owner_id;
        self.source = f.source;
        self.notes = f.notes;
        self.custom = f.custom;
        self.updated_at = now;
    }

    fn set_archived(&mut self, at: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        self.archived_at = at;
        self.updated_at = now;
    }

    async fn load(store: &dyn Store, workspace: WorkspaceId, id: Uuid) -> StoreResult<Self> {
        store.get_company(workspace, id).await
    }

    async fn insert(store: &dyn Store, record: &Self, history: &[HistoryEntry]) -> StoreResult<()> {
        store.create_company(record, history).await
    }

    async fn save(store: &dyn Store, record: &Self, history: &[HistoryEntry]) -> StoreResult<()> {
        store.update_company(record, history).await
    }

    async fn remove(store: &dyn Store, workspace: WorkspaceId, id: Uuid) -> StoreResult<()> {
        store.delete_company(workspace, id).await
    }

    async fn list(
        store: &dyn Store,
        workspace: WorkspaceId,
        filter: &ClientFilter,
    ) -> StoreResult<(Vec<Self>, i64)> {
        store.list_companies(workspace, filter).await
    }

    async fn matching(
        store: &dyn Store,
        workspace: WorkspaceId,
        name: Option<&str>,
        phones_e164: &[String],
        emails: &[String],
    ) -> StoreResult<Vec<Self>> {
        store.find_company_duplicates(workspace, name, phones_e164, emails).await
    }

    async fn import(
        store: &dyn Store,
        records: &[Self],
        new_companies: &[Company],
        history: &[HistoryEntry],
    ) -> StoreResult<()> {
        let all: Vec<Company> = new_companies.iter().chain(records).cloned().collect();
        store.import_clients(&[], &all, history).await
    }
}

/// A history entry about `record`, by `actor`.
pub fn entry<T: ClientRecord>(
    record: &T,
    workspace: WorkspaceId,
    actor: &User,
    at: DateTime<Utc>,
    field: &str,
    old: Value,
    new: Value,
) -> HistoryEntry {
    HistoryEntry {
        id: Uuid::now_v7(),
        workspace_id: workspace,
        entity: EntityRef { kind: T::KIND, id: record.id() },
        actor_id: Some(actor.id),
        at,
        field: field.to_string(),
        old,
        new,
    }
}

pub(crate) fn render<T: Serialize>(record: &T) -> Result<Value> {
    serde_json::to_value(record).map_err(|e| Error::Internal(e.to_string()))
}

/// The "created" entry: the record's first values.
pub fn created_entry<T: ClientRecord>(record: &T, actor: &User, at: DateTime<Utc>) -> Result<HistoryEntry> {
    let mut values = render(record)?;
    if let Some(map) = values.as_object_mut() {
        map.retain(|k, v| !NOT_HISTORY.contains(&k.as_str()) && !is_empty(v));
    }
    Ok(entry(record, actor.workspace_id, actor, at, "created", Value::Null, values))
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

pub(crate) fn not_found<T: ClientRecord>(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound(T::NOUN),
        other => other.into(),
    }
}

/// The record, if it is in the caller's workspace (404 otherwise) and the caller
/// is not a guest (403).
pub async fn get<T: ClientRecord>(state: &AppState, actor: &User, id: Uuid) -> Result<T> {
    can_use(actor)?;
    T::load(&*state.store, actor.workspace_id, id).await.map_err(not_found::<T>)
}

/// A page of records and the total without paging.
pub async fn list<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    filter: &ClientFilter,
) -> Result<(Vec<T>, i64)> {
    can_use(actor)?;
    Ok(T::list(&*state.store, actor.workspace_id, filter).await?)
}

/// The workspace's phone region (numbers without a country code are read as its).
pub async fn phone_region(state: &AppState, actor: &User) -> Result<String> {
    Ok(state.store.get_workspace(actor.workspace_id).await?.settings.phone_region)
}

/// Checks that the references a patch sets point at this workspace's records.
async fn check_refs(state: &AppState, actor: &User, patch: &ClientPatch) -> Result<()> {
    if let Some(Some(owner)) = patch.owner_id {
        match state.store.get_user(actor.workspace_id, owner).await {
            Ok(u) if may_own(&u) => {}
            Ok(_) | Err(StoreError::NotFound(_)) => {
                return Err(Error::invalid("owner_id", "is not an active member of this workspace"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(Some(company)) = patch.company_id {
        state.store.get_company(actor.workspace_id, company).await.map_err(|e| match e {
            StoreError::NotFound(_) => Error::invalid("company_id", "no such company"),
            other => other.into(),
        })?;
    }
    Ok(())
}

/// Creates a record (owned by the actor unless the patch says otherwise) and
/// reports the existing records it duplicates; a duplicate never stops it.
pub async fn create<T: ClientRecord>(state: &AppState, actor: &User, patch: ClientPatch) -> Result<Saved<T>> {
    can_use(actor)?;
    if patch.name.is_none() {
        return Err(Error::invalid("name", "is required"));
    }
    let region = phone_region(state, actor).await?;
    let mut fields = Fields { owner_id: Some(actor.id), ..Fields::default() };
    apply(&mut fields, &patch, &region)?;
    check_refs(state, actor, &patch).await?;
    if let Some(values) = &patch.custom {
        fields.custom = custom_fields::check(state, actor, T::KIND, &fields.custom, Some(values)).await?;
    }
    let now = state.clock.now();
    let record = T::build(Uuid::now_v7(), actor, now, fields);
    let created = created_entry(&record, actor, now)?;
    T::insert(&*state.store, &record, &[created]).await?;
    if T::KIND == EntityKind::Contact {
        crate::automation::events::contact_created(state, actor.workspace_id, &record).await;
    }
    let duplicates = duplicates_of(state, actor, &record).await?;
    Ok(Saved { record, duplicates })
}

/// Applies a change; history gets one entry per changed field. A change that
/// changes nothing writes nothing.
pub async fn update<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    id: Uuid,
    patch: ClientPatch,
) -> Result<Saved<T>> {
    let before: T = get(state, actor, id).await?;
    let region = phone_region(state, actor).await?;
    let mut fields = before.fields();
    apply(&mut fields, &patch, &region)?;
    check_refs(state, actor, &patch).await?;
    if let Some(values) = &patch.custom {
        fields.custom = custom_fields::check(state, actor, T::KIND, &fields.custom, Some(values)).await?;
    }
    let now = state.clock.now();
    let mut after = before.clone();
    after.assign(fields, now);
    let history = diff(
        actor.workspace_id,
        EntityRef { kind: T::KIND, id },
        Some(actor.id),
        now,
        &render(&before)?,
        &render(&after)?,
        NOT_HISTORY,
    );
    let record = if history.is_empty() {
        before
    } else {
        T::save(&*state.store, &after, &history).await.map_err(not_found::<T>)?;
        after
    };
    let duplicates = duplicates_of(state, actor, &record).await?;
    Ok(Saved { record, duplicates })
}

/// Archives (hidden from lists unless asked) or restores a record.
pub async fn set_archived<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    id: Uuid,
    archived: bool,
) -> Result<T> {
    let before: T = get(state, actor, id).await?;
    if before.archived_at().is_some() == archived {
        return Ok(before);
    }
    let now = state.clock.now();
    let mut after = before.clone();
    after.set_archived(archived.then_some(now), now);
    let (field, old, new) = if archived {
        ("archived", Value::Null, serde_json::json!(now))
    } else {
        ("restored", serde_json::json!(before.archived_at()), Value::Null)
    };
    let e = entry(&after, actor.workspace_id, actor, now, field, old, new);
    T::save(&*state.store, &after, &[e]).await.map_err(not_found::<T>)?;
    Ok(after)
}

/// Deletes a record for good (owners and admins); deals lose the link to it.
pub async fn delete<T: ClientRecord>(state: &AppState, actor: &User, id: Uuid) -> Result<()> {
    let _: T = get(state, actor, id).await?;
    can_delete(actor)?;
    T::remove(&*state.store, actor.workspace_id, id).await.map_err(not_found::<T>)
}

/// The record's change history, newest first.
pub async fn history<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    id: Uuid,
    before: Option<HistoryCursor>,
    limit: i64,
) -> Result<Vec<HistoryEntry>> {
    let _: T = get(state, actor, id).await?;
    let entity = EntityRef { kind: T::KIND, id };
    Ok(state.store.list_history(actor.workspace_id, entity, before, limit).await?)
}

/// Existing records matching phones and e-mails written in any format (and, when
/// given, the name): the "is this client already here?" check of a form.
pub async fn check<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    name: Option<&str>,
    phones: &[String],
    emails: &[String],
) -> Result<Vec<Duplicate<T>>> {
    can_use(actor)?;
    let region = phone_region(state, actor).await?;
    let phones: Vec<String> = client::phones(phones, &region)?.into_iter().map(|p| p.e164).collect();
    let emails = client::emails(emails)?;
    find_duplicates(state, actor.workspace_id, name, &phones, &emails, None).await
}

/// Other records sharing a phone or e-mail with `record` (or its name, for companies).
async fn duplicates_of<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    record: &T,
) -> Result<Vec<Duplicate<T>>> {
    let f = record.fields();
    let phones: Vec<String> = f.phones.iter().map(|p| p.e164.clone()).collect();
    let name = T::NAME_IS_KEY.then_some(f.name.as_str());
    find_duplicates(state, actor.workspace_id, name, &phones, &f.emails, Some(record.id())).await
}

async fn find_duplicates<T: ClientRecord>(
    state: &AppState,
    workspace: WorkspaceId,
    name: Option<&str>,
    phones_e164: &[String],
    emails: &[String],
    except: Option<Uuid>,
) -> Result<Vec<Duplicate<T>>> {
    let found = T::matching(&*state.store, workspace, name, phones_e164, emails).await?;
    let wanted_name = name.map(|n| n.trim().to_lowercase());
    Ok(found
        .into_iter()
        .filter(|r| Some(r.id()) != except)
        .map(|record| {
            let f = record.fields();
            let mut matched_on = Vec::new();
            if f.phones.iter().any(|p| phones_e164.contains(&p.e164)) {
                matched_on.push(Matched::Phone);
            }
            if f.emails.iter().any(|e| emails.contains(e)) {
                matched_on.push(Matched::Email);
            }
            if wanted_name.as_deref().is_some_and(|n| !n.is_empty() && f.name.trim().to_lowercase() == n) {
                matched_on.push(Matched::Name);
            }
            Duplicate { record, matched_on }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_applies_and_checks_fields() {
        let mut f = Fields::default();
        let patch = ClientPatch {
            name: Some("  Иван Петров ".into()),
            phones: Some(vec!["8 (916) 123-45-67".into(), "+79161234567".into()]),
            emails: Some(vec!["Ivan@Example.RU".into()]),
            position: Some(Some(" ".into())),
            tags: Some(vec!["VIP".into()]),
            notes: Some(Some("line 1\nline 2".into())),
            ..ClientPatch::default()
        };
        assert!(apply(&mut f, &patch, "RU").is_ok());
        assert_eq!(f.name, "Иван Петров");
        assert_eq!(f.phones.len(), 1);
        assert_eq!(f.phones[0].e164, "+79161234567");
        assert_eq!(f.emails, vec!["ivan@example.ru".to_string()]);
        assert_eq!(f.position, None);
        assert_eq!(f.tags, vec!["vip".to_string()]);

        let bad = ClientPatch { name: Some(" ".into()), ..ClientPatch::default() };
        assert!(matches!(apply(&mut f, &bad, "RU"), Err(Error::Invalid { field, .. }) if field == "name"));
        let bad = ClientPatch { notes: Some(Some("a\u{0}b".into())), ..ClientPatch::default() };
        assert!(matches!(apply(&mut f, &bad, "RU"), Err(Error::Invalid { field, .. }) if field == "notes"));
    }
}
