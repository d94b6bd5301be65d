//! `ClientStore` for both engines: contacts and companies. Every phone (E.164),
//! e-mail and tag of a client is also a `client_keys` row, written in the same
//! transaction as the client, so duplicate checks and the tag and text filters
//! are index lookups instead of scans of JSON columns.

use std::collections::{BTreeMap, BTreeSet};

use artel_core::crm::client::{Company, CompanyId, Contact, ContactId, Phone};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::HistoryEntry;
use artel_core::ports::crm::{
    ClientFilter, ClientMerge, ClientNames, ClientRef, ClientSort, ClientStore, MergeOutcome,
};
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

use crate::crm_rows::{
    bind_args, client_keys, contains_pattern, email_key, in_list, lower, phone_digits, Arg, CompanyRow,
    ContactRow, Filter, COMPANY_COLUMNS, CONTACT_COLUMNS,
};
use crate::errors::{backend, not_found, on_unique};
use crate::history::Table;
use crate::rows::prefixed;
use crate::{PostgresStore, SqliteStore};

/// Ids per kind `client_names` reads in one statement (bound values stay far
/// below either engine's limit).
const NAMES_CHUNK: usize = 1000;

/// Which of the two client tables a statement is about.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Contact,
    Company,
}

impl Kind {
    pub(crate) fn of(client: ClientRef<'_>) -> Self {
        match client {
            ClientRef::Contact(_) => Kind::Contact,
            ClientRef::Company(_) => Kind::Company,
        }
    }

    /// `client_keys.client_kind`, and the history entity kind.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Contact => "contact",
            Kind::Company => "company",
        }
    }

    pub(crate) fn table(self) -> &'static str {
        match self {
            Kind::Contact => "contacts",
            Kind::Company => "companies",
        }
    }

    pub(crate) fn entity(self, id: Uuid) -> EntityRef {
        let kind = match self {
            Kind::Contact => EntityKind::Contact,
            Kind::Company => EntityKind::Company,
        };
        EntityRef { kind, id }
    }
}

const INSERT_CONTACT: &str = "insert into contacts (id, workspace_id, name, name_lower, phones, emails, \
     position, company_id, address, tags, owner_id, source, notes, custom, created_by, created_at, updated_at, \
     archived_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";

const UPDATE_CONTACT: &str = "update contacts set name = $3, name_lower = $4, phones = $5, emails = $6, \
     position = $7, company_id = $8, address = $9, tags = $10, owner_id = $11, source = $12, notes = $13, \
     custom = $14, updated_at = $15, archived_at = $16 where id = $1 and workspace_id = $2";

const INSERT_COMPANY: &str = "insert into companies (id, workspace_id, name, name_lower, phones, emails, \
     website, address, tags, owner_id, source, notes, custom, created_by, created_at, updated_at, archived_at) \
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

const UPDATE_COMPANY: &str = "update companies set name = $3, name_lower = $4, phones = $5, emails = $6, \
     website = $7, address = $8, tags = $9, owner_id = $10, source = $11, notes = $12, custom = $13, \
     updated_at = $14, archived_at = $15 where id = $1 and workspace_id = $2";

/// Binds a `Contact` to `INSERT_CONTACT`.
macro_rules! bind_new_contact {
    ($query:expr, $c:expr) => {{
        let c: &Contact = $c;
        $query
            .bind(c.id)
            .bind(c.workspace_id)
            .bind(&c.name)
            .bind(lower(&c.name))
            .bind(Json(&c.phones))
            .bind(Json(&c.emails))
            .bind(c.position.as_deref())
            .bind(c.company_id)
            .bind(c.address.as_deref())
            .bind(Json(&c.tags))
            .bind(c.owner_id)
            .bind(c.source.as_deref())
            .bind(&c.notes)
            .bind(Json(&c.custom))
            .bind(c.created_by)
            .bind(c.created_at)
            .bind(c.updated_at)
            .bind(c.archived_at)
    }};
}

/// Binds a `Company` to `INSERT_COMPANY`.
macro_rules! bind_new_company {
    ($query:expr, $c:expr) => {{
        let c: &Company = $c;
        $query
            .bind(c.id)
            .bind(c.workspace_id)
            .bind(&c.name)
            .bind(lower(&c.name))
            .bind(Json(&c.phones))
            .bind(Json(&c.emails))
            .bind(c.website.as_deref())
            .bind(c.address.as_deref())
            .bind(Json(&c.tags))
            .bind(c.owner_id)
            .bind(c.source.as_deref())
            .bind(&c.notes)
            .bind(Json(&c.custom))
            .bind(c.created_by)
            .bind(c.created_at)
            .bind(c.updated_at)
            .bind(c.archived_at)
    }};
}

/// The `where` conditions and `order by` of a client list. `t` is the table alias.
fn list_filter(kind: Kind, t: &str, workspace: WorkspaceId, filter: &ClientFilter) -> (Filter, String) {
    let mut f = Filter::default();
    let ws = f.arg(Arg::Id(workspace));
    f.and(format!("{t}.workspace_id = {ws}"));
    let keys = |key_kind: &str, condition: &str| {
        format!(
            "{t}.id in (select k.client_id from client_keys k where k.workspace_id = {ws} \
             and k.client_kind = '{}' and k.key_kind = '{key_kind}' and {condition})",
            kind.as_str()
        )
    };
    if let Some(owner) = filter.owner_id {
        let o = f.arg(Arg::Id(owner));
        f.and(format!("{t}.owner_id = {o}"));
    }
    if let Some(tag) = filter.tag.as_deref() {
        let v = f.arg(Arg::Text(lower(tag)));
        f.and(keys("tag", &format!("k.value = {v}")));
    }
    if let Some(text) = filter.text.as_deref().map(lower).filter(|t| !t.is_empty()) {
        let p = f.arg(Arg::Text(contains_pattern(&text)));
        let mut any = vec![
            format!("{t}.name_lower like {p} escape '\\'"),
            keys("email", &format!("k.value like {p} escape '\\'")),
        ];
        if let Some(digits) = phone_digits(&text) {
            let d = f.arg(Arg::Text(contains_pattern(&digits)));
            any.push(keys("phone", &format!("k.value like {d} escape '\\'")));
        }
        f.and(format!("({})", any.join(" or ")));
    }
    if let Some(from) = filter.created_from {
        let v = f.arg(Arg::Time(from));
        f.and(format!("{t}.created_at >= {v}"));
    }
    if let Some(to) = filter.created_to {
        let v = f.arg(Arg::Time(to));
        f.and(format!("{t}.created_at < {v}"));
    }
    if let (Kind::Contact, Some(company)) = (kind, filter.company_id) {
        let v = f.arg(Arg::Id(company));
        f.and(format!("{t}.company_id = {v}"));
    }
    if !filter.include_archived {
        f.and(format!("{t}.archived_at is null"));
    }
    let order = match filter.sort {
        ClientSort::NameAsc => format!("{t}.name_lower, {t}.id"),
        ClientSort::NameDesc => format!("{t}.name_lower desc, {t}.id desc"),
        ClientSort::CreatedDesc => format!("{t}.created_at desc, {t}.id desc"),
        ClientSort::CreatedAsc => format!("{t}.created_at, {t}.id"),
        ClientSort::UpdatedDesc => format!("{t}.updated_at desc, {t}.id desc"),
    };
    (f, order)
}

/// Conditions matching clients that have any of these phones or e-mails (and,
/// for companies, this name); `None` when there is nothing to match.
fn duplicate_filter(
    kind: Kind,
    workspace: WorkspaceId,
    name: Option<&str>,
    phones_e164: &[String],
    emails: &[String],
) -> Option<Filter> {
    let phones: BTreeSet<String> =
        phones_e164.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    let emails: BTreeSet<String> = emails.iter().map(|e| email_key(e)).filter(|e| !e.is_empty()).collect();
    let name = name.map(lower).filter(|n| !n.is_empty());
    if phones.is_empty() && emails.is_empty() && name.is_none() {
        return None;
    }
    let mut f = Filter::default();
    let ws = f.arg(Arg::Id(workspace));
    let mut any = Vec::new();
    let mut keys = |f: &mut Filter, key_kind: &str, values: BTreeSet<String>| {
        if values.is_empty() {
            return;
        }
        let list = in_list(f, values.into_iter().map(Arg::Text));
        any.push(format!(
            "c.id in (select k.client_id from client_keys k where k.workspace_id = {ws} \
             and k.client_kind = '{}' and k.key_kind = '{key_kind}' and k.value in ({list}))",
            kind.as_str()
        ));
    };
    keys(&mut f, "phone", phones);
    keys(&mut f, "email", emails);
    if let Some(name) = name {
        let n = f.arg(Arg::Text(name));
        any.push(format!("c.name_lower = {n}"));
    }
    f.and(format!("c.workspace_id = {ws}"));
    f.and(format!("({})", any.join(" or ")));
    Some(f)
}

macro_rules! impl_client_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Replaces a client's `client_keys` rows.
            async fn write_client_keys(
                tx: &mut sqlx::Transaction<'_, $db>,
                kind: Kind,
                workspace: WorkspaceId,
                id: Uuid,
                phones: &[Phone],
                emails: &[String],
                tags: &[String],
            ) -> StoreResult<()> {
                Self::delete_client_keys(tx, kind, workspace, id).await?;
                Self::insert_client_keys(tx, kind, workspace, id, phones, emails, tags).await
            }

            /// Adds a new client's `client_keys` rows.
            async fn insert_client_keys(
                tx: &mut sqlx::Transaction<'_, $db>,
                kind: Kind,
                workspace: WorkspaceId,
                id: Uuid,
                phones: &[Phone],
                emails: &[String],
                tags: &[String],
            ) -> StoreResult<()> {
                for (key_kind, value) in client_keys(phones, emails, tags) {
                    sqlx::query(
                        "insert into client_keys (workspace_id, client_kind, client_id, key_kind, value) \
                         values ($1, $2, $3, $4, $5)",
                    )
                    .bind(workspace)
                    .bind(kind.as_str())
                    .bind(id)
                    .bind(key_kind)
                    .bind(value)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                }
                Ok(())
            }

            pub(crate) async fn delete_client_keys(
                tx: &mut sqlx::Transaction<'_, $db>,
                kind: Kind,
                workspace: WorkspaceId,
                id: Uuid,
            ) -> StoreResult<()> {
                sqlx::query(
                    "delete from client_keys where workspace_id = $1 and client_kind = $2 and client_id = $3",
                )
                .bind(workspace)
                .bind(kind.as_str())
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
                Ok(())
            }

            /// `NotFound("contact"/"company")` unless the client is the workspace's.
            pub(crate) async fn require_client(
                tx: &mut sqlx::Transaction<'_, $db>,
                kind: Kind,
                workspace: WorkspaceId,
                id: Uuid,
            ) -> StoreResult<()> {
                let table = match kind {
                    Kind::Contact => Table::Contacts,
                    Kind::Company => Table::Companies,
                };
                Self::require_in_workspace(tx, table, workspace, [id]).await
            }

            async fn check_contact_refs(tx: &mut sqlx::Transaction<'_, $db>, c: &Contact) -> StoreResult<()> {
                Self::require_in_workspace(
                    tx,
                    Table::Users,
                    c.workspace_id,
                    c.owner_id.into_iter().chain([c.created_by]),
                )
                .await?;
                Self::require_in_workspace(tx, Table::Companies, c.workspace_id, c.company_id).await
            }

            async fn check_company_refs(tx: &mut sqlx::Transaction<'_, $db>, c: &Company) -> StoreResult<()> {
                Self::require_in_workspace(
                    tx,
                    Table::Users,
                    c.workspace_id,
                    c.owner_id.into_iter().chain([c.created_by]),
                )
                .await
            }

            /// Inserts a contact whose references were checked, with its keys.
            async fn insert_contact(tx: &mut sqlx::Transaction<'_, $db>, c: &Contact) -> StoreResult<()> {
                bind_new_contact!(sqlx::query(INSERT_CONTACT), c)
                    .execute(&mut **tx)
                    .await
                    .map_err(on_unique("contact"))?;
                Self::insert_client_keys(
                    tx,
                    Kind::Contact,
                    c.workspace_id,
                    c.id,
                    &c.phones,
                    &c.emails,
                    &c.tags,
                )
                .await
            }

            /// Inserts a company whose references were checked, with its keys.
            async fn insert_company(tx: &mut sqlx::Transaction<'_, $db>, c: &Company) -> StoreResult<()> {
                bind_new_company!(sqlx::query(INSERT_COMPANY), c)
                    .execute(&mut **tx)
                    .await
                    .map_err(on_unique("company"))?;
                Self::insert_client_keys(
                    tx,
                    Kind::Company,
                    c.workspace_id,
                    c.id,
                    &c.phones,
                    &c.emails,
                    &c.tags,
                )
                .await
            }

            /// Replaces a client's row and keys, its references checked
            /// (`NotFound` if it is not the workspace's).
            pub(crate) async fn rewrite_client(
                tx: &mut sqlx::Transaction<'_, $db>,
                client: ClientRef<'_>,
            ) -> StoreResult<()> {
                let kind = Kind::of(client);
                Self::require_client(tx, kind, client.workspace_id(), client.id()).await?;
                let done = match client {
                    ClientRef::Contact(c) => {
                        Self::check_contact_refs(tx, c).await?;
                        sqlx::query(UPDATE_CONTACT)
                            .bind(c.id)
                            .bind(c.workspace_id)
                            .bind(&c.name)
                            .bind(lower(&c.name))
                            .bind(Json(&c.phones))
                            .bind(Json(&c.emails))
                            .bind(c.position.as_deref())
                            .bind(c.company_id)
                            .bind(c.address.as_deref())
                            .bind(Json(&c.tags))
                            .bind(c.owner_id)
                            .bind(c.source.as_deref())
                            .bind(&c.notes)
                            .bind(Json(&c.custom))
                            .bind(c.updated_at)
                            .bind(c.archived_at)
                            .execute(&mut **tx)
                            .await
                            .map_err(backend)?
                    }
                    ClientRef::Company(c) => {
                        Self::check_company_refs(tx, c).await?;
                        sqlx::query(UPDATE_COMPANY)
                            .bind(c.id)
                            .bind(c.workspace_id)
                            .bind(&c.name)
                            .bind(lower(&c.name))
                            .bind(Json(&c.phones))
                            .bind(Json(&c.emails))
                            .bind(c.website.as_deref())
                            .bind(c.address.as_deref())
                            .bind(Json(&c.tags))
                            .bind(c.owner_id)
                            .bind(c.source.as_deref())
                            .bind(&c.notes)
                            .bind(Json(&c.custom))
                            .bind(c.updated_at)
                            .bind(c.archived_at)
                            .execute(&mut **tx)
                            .await
                            .map_err(backend)?
                    }
                };
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(kind.as_str()));
                }
                let (phones, emails, tags) = match client {
                    ClientRef::Contact(c) => (&c.phones, &c.emails, &c.tags),
                    ClientRef::Company(c) => (&c.phones, &c.emails, &c.tags),
                };
                Self::write_client_keys(tx, kind, client.workspace_id(), client.id(), phones, emails, tags)
                    .await
            }

            /// Deletes a client's keys and history, then the client
            /// (`NotFound` if it is not the workspace's).
            async fn delete_client(
                tx: &mut sqlx::Transaction<'_, $db>,
                kind: Kind,
                workspace: WorkspaceId,
                id: Uuid,
            ) -> StoreResult<()> {
                Self::delete_client_keys(tx, kind, workspace, id).await?;
                Self::delete_history(tx, workspace, kind.entity(id)).await?;
                let sql = format!("delete from {} where workspace_id = $1 and id = $2", kind.table());
                let done =
                    sqlx::query(&sql).bind(workspace).bind(id).execute(&mut **tx).await.map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(kind.as_str()));
                }
                Ok(())
            }
        }

        #[async_trait]
        impl ClientStore for $store {
            async fn create_contact(&self, contact: &Contact, history: &[HistoryEntry]) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::check_contact_refs(&mut tx, contact).await?;
                Self::insert_contact(&mut tx, contact).await?;
                Self::insert_history(&mut tx, Some(contact.workspace_id), history).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn get_contact(&self, workspace: WorkspaceId, id: ContactId) -> StoreResult<Contact> {
                let sql =
                    format!("select {CONTACT_COLUMNS} from contacts where workspace_id = $1 and id = $2");
                let row: ContactRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("contact"))?;
                Ok(row.into())
            }

            async fn update_contact(&self, contact: &Contact, history: &[HistoryEntry]) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::rewrite_client(&mut tx, ClientRef::Contact(contact)).await?;
                Self::insert_history(&mut tx, Some(contact.workspace_id), history).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn list_contacts(
                &self,
                workspace: WorkspaceId,
                filter: &ClientFilter,
            ) -> StoreResult<(Vec<Contact>, i64)> {
                let (mut f, order) = list_filter(Kind::Contact, "c", workspace, filter);
                let count_sql = format!("select count(*) from contacts c where {}", f.where_clause());
                let total: i64 = bind_args!(sqlx::query_scalar::<_, i64>(&count_sql), &f.args)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                let page = f.page(filter.limit, filter.offset);
                let sql = format!(
                    "select {} from contacts c where {} order by {order}{page}",
                    prefixed(CONTACT_COLUMNS, "c"),
                    f.where_clause()
                );
                let rows: Vec<ContactRow> = bind_args!(sqlx::query_as(&sql), &f.args)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok((rows.into_iter().map(Contact::from).collect(), total))
            }

            async fn find_contact_duplicates(
                &self,
                workspace: WorkspaceId,
                phones_e164: &[String],
                emails: &[String],
            ) -> StoreResult<Vec<Contact>> {
                let Some(f) = duplicate_filter(Kind::Contact, workspace, None, phones_e164, emails) else {
                    return Ok(Vec::new());
                };
                let sql = format!(
                    "select {} from contacts c where {} order by c.name_lower, c.id",
                    prefixed(CONTACT_COLUMNS, "c"),
                    f.where_clause()
                );
                let rows: Vec<ContactRow> = bind_args!(sqlx::query_as(&sql), &f.args)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(rows.into_iter().map(Contact::from).collect())
            }

            async fn delete_contact(&self, workspace: WorkspaceId, id: ContactId) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::require_client(&mut tx, Kind::Contact, workspace, id).await?;
                // A deal's client is part of its content: the unlink is a new version.
                sqlx::query(
                    "update deals set contact_id = null, version = version + 1 \
                     where workspace_id = $1 and contact_id = $2",
                )
                .bind(workspace)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                Self::delete_client(&mut tx, Kind::Contact, workspace, id).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn create_company(&self, company: &Company, history: &[HistoryEntry]) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::check_company_refs(&mut tx, company).await?;
                Self::insert_company(&mut tx, company).await?;
                Self::insert_history(&mut tx, Some(company.workspace_id), history).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn get_company(&self, workspace: WorkspaceId, id: CompanyId) -> StoreResult<Company> {
                let sql =
                    format!("select {COMPANY_COLUMNS} from companies where workspace_id = $1 and id = $2");
                let row: CompanyRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("company"))?;
                Ok(row.into())
            }

            async fn update_company(&self, company: &Company, history: &[HistoryEntry]) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::rewrite_client(&mut tx, ClientRef::Company(company)).await?;
                Self::insert_history(&mut tx, Some(company.workspace_id), history).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn list_companies(
                &self,
                workspace: WorkspaceId,
                filter: &ClientFilter,
            ) -> StoreResult<(Vec<Company>, i64)> {
                let (mut f, order) = list_filter(Kind::Company, "c", workspace, filter);
                let count_sql = format!("select count(*) from companies c where {}", f.where_clause());
                let total: i64 = bind_args!(sqlx::query_scalar::<_, i64>(&count_sql), &f.args)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                let page = f.page(filter.limit, filter.offset);
                let sql = format!(
                    "select {} from companies c where {} order by {order}{page}",
                    prefixed(COMPANY_COLUMNS, "c"),
                    f.where_clause()
                );
                let rows: Vec<CompanyRow> = bind_args!(sqlx::query_as(&sql), &f.args)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok((rows.into_iter().map(Company::from).collect(), total))
            }

            async fn find_company_duplicates(
                &self,
                workspace: WorkspaceId,
                name: Option<&str>,
                phones_e164: &[String],
                emails: &[String],
            ) -> StoreResult<Vec<Company>> {
                let Some(f) = duplicate_filter(Kind::Company, workspace, name, phones_e164, emails) else {
                    return Ok(Vec::new());
                };
                let sql = format!(
                    "select {} from companies c where {} order by c.name_lower, c.id",
                    prefixed(COMPANY_COLUMNS, "c"),
                    f.where_clause()
                );
                let rows: Vec<CompanyRow> = bind_args!(sqlx::query_as(&sql), &f.args)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(rows.into_iter().map(Company::from).collect())
            }

            async fn delete_company(&self, workspace: WorkspaceId, id: CompanyId) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::require_client(&mut tx, Kind::Company, workspace, id).await?;
                sqlx::query(
                    "update contacts set company_id = null where workspace_id = $1 and company_id = $2",
                )
                .bind(workspace)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                sqlx::query(
                    "update deals set company_id = null, version = version + 1 \
                     where workspace_id = $1 and company_id = $2",
                )
                .bind(workspace)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                Self::delete_client(&mut tx, Kind::Company, workspace, id).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn client_names(
                &self,
                workspace: WorkspaceId,
                contacts: &[ContactId],
                companies: &[CompanyId],
            ) -> StoreResult<ClientNames> {
                let mut out = ClientNames::default();
                let (contacts, companies): (BTreeSet<Uuid>, BTreeSet<Uuid>) =
                    (contacts.iter().copied().collect(), companies.iter().copied().collect());
                let (contacts, companies): (Vec<Uuid>, Vec<Uuid>) =
                    (contacts.into_iter().collect(), companies.into_iter().collect());
                // One statement per NAMES_CHUNK ids of each kind (a page is one).
                let (mut a, mut b) = (contacts.chunks(NAMES_CHUNK), companies.chunks(NAMES_CHUNK));
                loop {
                    let (a, b) = (a.next().unwrap_or_default(), b.next().unwrap_or_default());
                    if a.is_empty() && b.is_empty() {
                        return Ok(out);
                    }
                    let mut f = Filter::default();
                    let mut parts = Vec::new();
                    for (kind, ids) in [(Kind::Contact, a), (Kind::Company, b)] {
                        if ids.is_empty() {
                            continue;
                        }
                        let ws = f.arg(Arg::Id(workspace));
                        let list = in_list(&mut f, ids.iter().map(|id| Arg::Id(*id)));
                        parts.push(format!(
                            "select cast('{}' as text) as kind, id, name from {} where workspace_id = {ws} and id in ({list})",
                            kind.as_str(),
                            kind.table()
                        ));
                    }
                    let sql = parts.join(" union all ");
                    let rows: Vec<(String, Uuid, String)> = bind_args!(sqlx::query_as(&sql), &f.args)
                        .fetch_all(&mut *self.read.acquire().await?)
                        .await
                        .map_err(backend)?;
                    for (kind, id, name) in rows {
                        if kind == Kind::Contact.as_str() {
                            out.contacts.insert(id, name);
                        } else {
                            out.companies.insert(id, name);
                        }
                    }
                }
            }

            async fn import_clients(
                &self,
                contacts: &[Contact],
                companies: &[Company],
                history: &[HistoryEntry],
            ) -> StoreResult<()> {
                // References are checked in bulk (one query per workspace and table),
                // not per record: imports are large.
                let mut users: BTreeMap<WorkspaceId, BTreeSet<Uuid>> = BTreeMap::new();
                let mut linked: BTreeMap<WorkspaceId, BTreeSet<Uuid>> = BTreeMap::new();
                for c in companies {
                    users
                        .entry(c.workspace_id)
                        .or_default()
                        .extend(c.owner_id.into_iter().chain([c.created_by]));
                }
                for c in contacts {
                    users
                        .entry(c.workspace_id)
                        .or_default()
                        .extend(c.owner_id.into_iter().chain([c.created_by]));
                    linked.entry(c.workspace_id).or_default().extend(c.company_id);
                }
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                for (ws, ids) in users {
                    Self::require_in_workspace(&mut tx, Table::Users, ws, ids).await?;
                }
                // Companies first: imported contacts may belong to them.
                for c in companies {
                    Self::insert_company(&mut tx, c).await?;
                }
                for (ws, ids) in linked {
                    Self::require_in_workspace(&mut tx, Table::Companies, ws, ids).await?;
                }
                for c in contacts {
                    Self::insert_contact(&mut tx, c).await?;
                }
                Self::insert_history(&mut tx, None, history).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn merge_clients(&self, merge: &ClientMerge<'_>) -> StoreResult<MergeOutcome> {
                self.merge(merge).await
            }

            async fn merged_into(
                &self,
                workspace: WorkspaceId,
                client: EntityRef,
            ) -> StoreResult<Option<Uuid>> {
                self.merge_target(workspace, client).await
            }
        }
    };
}

impl_client_store!(SqliteStore, sqlx::Sqlite);
impl_client_store!(PostgresStore, sqlx::Postgres);
