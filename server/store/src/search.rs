//! `SearchSourceStore` for both engines: the outbox the 0012 triggers fill, the
//! drain lease, and searchable documents built from the current rows.

use artel_core::crm::client::{Company, Contact};
use artel_core::crm::deal::Deal;
use artel_core::crm::entity::EntityKind;
use artel_core::crm::task::Task;
use artel_core::ports::search::{OutboxEntry, SearchSourceStore};
use artel_core::search::{keys, SearchDoc, SearchKind};
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::crm_rows::{CompanyRow, ContactRow, DealRow, COMPANY_COLUMNS, CONTACT_COLUMNS, DEAL_COLUMNS};
use crate::errors::backend;
use crate::messages::{placeholders, IN_CHUNK};
use crate::tasks::{TaskRow, TASK_COLUMNS};
use crate::{PostgresStore, SqliteStore};

const MESSAGE_DOC_COLUMNS: &str = "m.id, m.workspace_id, m.chat_id, m.seq, m.author_id, m.body, \
     m.thread_root_id, m.reply_count, m.created_at, \
     cast(case when exists (select 1 from attachments a where a.message_id = m.id) then 1 else 0 end as bigint) \
     as has_file";

#[derive(sqlx::FromRow)]
struct MessageDocRow {
    id: Uuid,
    workspace_id: Uuid,
    chat_id: Uuid,
    seq: i64,
    author_id: Option<Uuid>,
    body: String,
    thread_root_id: Option<Uuid>,
    reply_count: i64,
    created_at: DateTime<Utc>,
    has_file: i64,
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    workspace_id: Uuid,
    kind: String,
    entity_id: Uuid,
}

fn blank(kind: SearchKind, id: Uuid, workspace_id: Uuid, at: DateTime<Utc>) -> SearchDoc {
    SearchDoc {
        kind,
        id,
        workspace_id,
        title: String::new(),
        text: String::new(),
        keys: Vec::new(),
        at,
        chat_id: None,
        seq: None,
        author_id: None,
        is_thread: false,
        has_file: false,
        has_link: false,
        deal_id: None,
        stage_id: None,
        people: Vec::new(),
    }
}

fn message_doc(r: MessageDocRow) -> SearchDoc {
    let mut d = blank(SearchKind::Message, r.id, r.workspace_id, r.created_at);
    d.keys = keys::extract(&r.body);
    d.has_link = keys::has_link(&r.body);
    d.text = r.body;
    d.chat_id = Some(r.chat_id);
    d.seq = Some(r.seq);
    d.author_id = r.author_id;
    d.is_thread = r.thread_root_id.is_some() || r.reply_count > 0;
    d.has_file = r.has_file != 0;
    d
}

/// Text values of custom fields (numbers and dates are not worth a word search).
fn custom_text(custom: &Map<String, Value>) -> impl Iterator<Item = String> + '_ {
    custom.values().filter_map(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")),
        _ => None,
    })
}

fn join(parts: impl IntoIterator<Item = String>) -> String {
    parts.into_iter().filter(|s| !s.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

fn deal_doc(deal: Deal) -> Option<SearchDoc> {
    if deal.archived_at.is_some() {
        return None;
    }
    let mut d = blank(SearchKind::Deal, deal.id, deal.workspace_id, deal.updated_at);
    d.text = join(deal.tags.iter().cloned().chain(deal.loss_reason.clone()).chain(custom_text(&deal.custom)));
    d.keys = keys::extract(&d.text);
    d.title = deal.title;
    d.chat_id = deal.chat_id;
    d.deal_id = Some(deal.id);
    d.stage_id = Some(deal.stage_id);
    d.people = std::iter::once(deal.owner_id).chain(deal.participants).collect();
    Some(d)
}

fn client_keys(phones: &[artel_core::crm::client::Phone], emails: &[String], text: &str) -> Vec<String> {
    let mut k: Vec<String> = phones
        .iter()
        .filter_map(|p| keys::phone_key(&p.e164).or_else(|| keys::phone_key(&p.raw)))
        .chain(emails.iter().filter_map(|e| keys::email_key(e)))
        .chain(keys::extract(text))
        .collect();
    k.sort();
    k.dedup();
    k
}

fn contact_doc(c: Contact) -> Option<SearchDoc> {
    if c.archived_at.is_some() {
        return None;
    }
    let mut d = blank(SearchKind::Contact, c.id, c.workspace_id, c.updated_at);
    d.text = join(
        c.position
            .clone()
            .into_iter()
            .chain(c.address.clone())
            .chain(std::iter::once(c.notes.clone()))
            .chain(c.tags.iter().cloned())
            .chain(c.emails.iter().cloned())
            .chain(c.phones.iter().map(|p| p.raw.clone()))
            .chain(custom_text(&c.custom)),
    );
    d.keys = client_keys(&c.phones, &c.emails, &d.text);
    d.title = c.name;
    Some(d)
}

fn company_doc(c: Company) -> Option<SearchDoc> {
    if c.archived_at.is_some() {
        return None;
    }
    let mut d = blank(SearchKind::Company, c.id, c.workspace_id, c.updated_at);
    d.text = join(
        c.website
            .clone()
            .into_iter()
            .chain(c.address.clone())
            .chain(std::iter::once(c.notes.clone()))
            .chain(c.tags.iter().cloned())
            .chain(c.emails.iter().cloned())
            .chain(c.phones.iter().map(|p| p.raw.clone()))
            .chain(custom_text(&c.custom)),
    );
    d.keys = client_keys(&c.phones, &c.emails, &d.text);
    d.title = c.name;
    Some(d)
}

fn task_doc(t: Task) -> Option<SearchDoc> {
    let mut d = blank(SearchKind::Task, t.id, t.workspace_id, t.updated_at);
    d.keys = keys::extract(&t.description);
    d.has_link = keys::has_link(&t.description);
    d.text = t.description;
    d.title = t.title;
    d.deal_id = t.entity.filter(|e| e.kind == EntityKind::Deal).map(|e| e.id);
    d.people = std::iter::once(t.creator_id).chain(t.assignees).collect();
    Some(d)
}

/// The select for a kind: its columns, table and "live" condition.
fn source(kind: SearchKind) -> (String, &'static str, &'static str) {
    match kind {
        // System notices ("X created a task") are not worth finding: the records are.
        SearchKind::Message => {
            (MESSAGE_DOC_COLUMNS.to_string(), "messages m", "m.deleted_at is null and m.kind <> 'system'")
        }
        SearchKind::Deal => (DEAL_COLUMNS.to_string(), "deals m", "m.archived_at is null"),
        SearchKind::Contact => (CONTACT_COLUMNS.to_string(), "contacts m", "m.archived_at is null"),
        SearchKind::Company => (COMPANY_COLUMNS.to_string(), "companies m", "m.archived_at is null"),
        SearchKind::Task => (TASK_COLUMNS.to_string(), "tasks m", "1 = 1"),
    }
}

macro_rules! fetch_docs {
    ($pool:expr, $kind:expr, $sql:expr, $binds:expr) => {{
        let sql: &str = $sql;
        macro_rules! rows {
            ($row:ty) => {{
                let mut q = sqlx::query_as::<_, $row>(sql);
                for b in $binds {
                    q = match b {
                        Bind::Id(v) => q.bind(*v),
                        Bind::Int(v) => q.bind(*v),
                    };
                }
                q.fetch_all($pool).await.map_err(backend)?
            }};
        }
        let docs: Vec<SearchDoc> = match $kind {
            SearchKind::Message => rows!(MessageDocRow).into_iter().map(message_doc).collect(),
            SearchKind::Deal => rows!(DealRow).into_iter().filter_map(|r| deal_doc(r.into())).collect(),
            SearchKind::Contact => {
                rows!(ContactRow).into_iter().filter_map(|r| contact_doc(r.into())).collect()
            }
            SearchKind::Company => {
                rows!(CompanyRow).into_iter().filter_map(|r| company_doc(r.into())).collect()
            }
            SearchKind::Task => {
                let mut out = Vec::new();
                for r in rows!(TaskRow) {
                    if let Some(d) = task_doc(Task::try_from(r)?) {
                        out.push(d);
                    }
                }
                out
            }
        };
        docs
    }};
}

enum Bind {
    Id(Uuid),
    Int(i64),
}

fn qualify(columns: &str) -> String {
    // Record columns are unqualified in their constants; the message list is
    // already qualified. Prefixing the record ones keeps one `from … m` shape.
    if columns.starts_with("m.") {
        columns.to_string()
    } else {
        columns.split(',').map(|c| format!("m.{}", c.trim())).collect::<Vec<_>>().join(", ")
    }
}

macro_rules! impl_search_source {
    ($store:ty) => {
        #[async_trait]
        impl SearchSourceStore for $store {
            async fn search_outbox_batch(&self, limit: i64) -> StoreResult<Vec<OutboxEntry>> {
                let rows: Vec<OutboxRow> = sqlx::query_as(
                    "select id, workspace_id, kind, entity_id from search_outbox order by id limit $1",
                )
                .bind(limit.max(1))
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                rows.into_iter()
                    .map(|r| {
                        let kind = SearchKind::parse(&r.kind)
                            .ok_or_else(|| StoreError::Backend(format!("outbox kind {}", r.kind)))?;
                        Ok(OutboxEntry { id: r.id, workspace_id: r.workspace_id, kind, entity_id: r.entity_id })
                    })
                    .collect()
            }

            async fn search_outbox_remove(&self, ids: &[i64]) -> StoreResult<()> {
                // One transaction, so one sync per indexer round however many
                // statements the ids take, and the writer is taken once.
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                for chunk in ids.chunks(IN_CHUNK) {
                    let sql = format!(
                        "delete from search_outbox where id in ({})",
                        placeholders(1, chunk.len())
                    );
                    let mut q = sqlx::query(&sql);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.execute(&mut *tx).await.map_err(backend)?;
                }
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn search_outbox_pending(&self) -> StoreResult<i64> {
                sqlx::query_scalar("select count(*) from search_outbox")
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)
            }

            async fn claim_search_lease(
                &self,
                name: &str,
                owner: Uuid,
                now: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "insert into search_lease (name, owner, lease_until, created_at, updated_at) \
                     values ($1, $2, $3, $4, $4) on conflict (name) do update set owner = excluded.owner, \
                     lease_until = excluded.lease_until, updated_at = excluded.updated_at \
                     where search_lease.owner = excluded.owner or search_lease.lease_until < $4",
                )
                .bind(name)
                .bind(owner)
                .bind(until)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_search_lease(&self, name: &str, owner: Uuid) -> StoreResult<()> {
                sqlx::query("delete from search_lease where name = $1 and owner = $2")
                    .bind(name)
                    .bind(owner)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn search_docs(&self, kind: SearchKind, ids: &[Uuid]) -> StoreResult<Vec<SearchDoc>> {
                // A reader, not the writer the group commit needs: the indexer read
                // these ids from the outbox before, so any read started now sees
                // documents at least that new.
                let (columns, table, live) = source(kind);
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(IN_CHUNK) {
                    let sql = format!(
                        "select {} from {table} where {live} and m.id in ({})",
                        qualify(&columns),
                        placeholders(1, chunk.len())
                    );
                    let binds: Vec<Bind> = chunk.iter().map(|id| Bind::Id(*id)).collect();
                    out.extend(fetch_docs!(&mut *self.read.acquire().await?, kind, &sql, binds.iter()));
                }
                Ok(out)
            }

            async fn search_doc_page(
                &self,
                kind: SearchKind,
                after: Option<Uuid>,
                limit: i64,
            ) -> StoreResult<Vec<SearchDoc>> {
                let (columns, table, live) = source(kind);
                let (cond, binds) = match after {
                    Some(id) => ("and m.id > $2", vec![Bind::Int(limit.max(1)), Bind::Id(id)]),
                    None => ("", vec![Bind::Int(limit.max(1))]),
                };
                let sql = format!(
                    "select {} from {table} where {live} {cond} order by m.id limit $1",
                    qualify(&columns)
                );
                Ok(fetch_docs!(&mut *self.read.acquire().await?, kind, &sql, binds.iter()))
            }

            async fn search_doc_count(&self, kind: SearchKind) -> StoreResult<i64> {
                let (_, table, live) = source(kind);
                sqlx::query_scalar(&format!("select count(*) from {table} where {live}"))
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)
            }
        }
    };
}

impl_search_source!(SqliteStore);
impl_search_source!(PostgresStore);
