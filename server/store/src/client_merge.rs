//! Merging two clients of one kind (`ClientStore::merge_clients`), written once
//! for contacts and companies and stamped out for both engines. Everything that
//! pointed at the merged-away client is re-pointed in the transaction that
//! deletes it, so no link is left dangling and no half-merge is ever visible.
//!
//! Lock order (Postgres), the one deal writes use: the boards of the deals that
//! move, then the two clients (in id order), then deal, task, contact and chat
//! rows. The deals are read before their boards are locked; if by then another
//! deal of the client sits on a board not locked, the attempt is rolled back and
//! made again (rare: a deal linked or moved meanwhile).

use std::collections::BTreeSet;

use artel_core::crm::deal::Deal;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::HistoryEntry;
use artel_core::event::{BoardAppend, BoardChange, ChatChange};
use artel_core::ports::crm::{ClientMerge, MergeOutcome};
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::clients::Kind;
use crate::crm_rows::{DealRow, DEAL_COLUMNS};
use crate::errors::backend;
use crate::{PostgresStore, SqliteStore};

/// Attempts before a merge whose deals keep changing boards gives up.
const ATTEMPTS: usize = 3;

/// The field of the entry a merged-away client leaves under its id.
pub(crate) const MERGED_INTO: &str = "merged_into";

/// The deals column pointing at a client of this kind.
fn deal_column(kind: Kind) -> &'static str {
    match kind {
        Kind::Contact => "contact_id",
        Kind::Company => "company_id",
    }
}

/// A history entry written by the merge about a record it re-pointed.
fn moved_entry(m: &ClientMerge<'_>, entity: EntityRef, field: &str, old: Value, new: Value) -> HistoryEntry {
    HistoryEntry {
        id: Uuid::now_v7(),
        workspace_id: m.into.workspace_id(),
        entity,
        actor_id: Some(m.actor),
        at: m.at,
        field: field.to_string(),
        old,
        new,
    }
}

macro_rules! impl_client_merge {
    ($store:ty, $db:ty, $lock:expr) => {
        impl $store {
            pub(crate) async fn merge(&self, m: &ClientMerge<'_>) -> StoreResult<MergeOutcome> {
                if m.into.id() == m.from {
                    return Err(StoreError::Invalid { field: "from_id", reason: "is the record itself" });
                }
                for _ in 0..ATTEMPTS {
                    if let Some(outcome) = self.merge_once(m).await? {
                        return Ok(outcome);
                    }
                }
                Err(StoreError::Conflict("client links"))
            }

            /// One attempt; `None` when a deal of `from` turned up on a board
            /// that was not locked (nothing is written then).
            async fn merge_once(&self, m: &ClientMerge<'_>) -> StoreResult<Option<MergeOutcome>> {
                let kind = Kind::of(m.into);
                let ws = m.into.workspace_id();
                let (into, from) = (m.into.id(), m.from);
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;

                let boards: BTreeSet<Uuid> =
                    Self::deals_of(&mut tx, kind, ws, from).await?.iter().map(|d| d.pipeline_id).collect();
                let boards: Vec<Uuid> = boards.into_iter().collect();
                Self::lock_pipelines_tx(&mut tx, ws, &boards).await?;
                // Both clients, in id order, locked until the end: no deal can be
                // linked to `from` meanwhile (its foreign key waits for the lock).
                let (first, second) = if into < from { (into, from) } else { (from, into) };
                for id in [first, second] {
                    let sql = format!("select id from {} where workspace_id = $1 and id = $2{}", kind.table(), $lock);
                    let found: Option<Uuid> =
                        sqlx::query_scalar(&sql).bind(ws).bind(id).fetch_optional(&mut *tx).await.map_err(backend)?;
                    if found.is_none() {
                        return Err(StoreError::NotFound(kind.as_str()));
                    }
                }
                let deals = Self::deals_of(&mut tx, kind, ws, from).await?;
                if deals.iter().any(|d| boards.binary_search(&d.pipeline_id).is_err()) {
                    return Ok(None);
                }

                Self::rewrite_client(&mut tx, m.into).await?;
                // `from`'s history becomes the survivor's before the merge adds its own.
                sqlx::query(
                    "update history set entity_id = $4 \
                     where workspace_id = $1 and entity_kind = $2 and entity_id = $3",
                )
                .bind(ws)
                .bind(kind.as_str())
                .bind(from)
                .bind(into)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;

                let mut outcome = MergeOutcome::default();
                let mut history: Vec<HistoryEntry> = m.history.to_vec();
                let mut board = Vec::new();
                let column = deal_column(kind);
                for mut deal in deals {
                    let sql = format!(
                        "update deals set {column} = $3, version = version + 1, updated_at = $4 \
                         where workspace_id = $1 and id = $2"
                    );
                    sqlx::query(&sql)
                        .bind(ws)
                        .bind(deal.id)
                        .bind(into)
                        .bind(m.at)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    match kind {
                        Kind::Contact => deal.contact_id = Some(into),
                        Kind::Company => deal.company_id = Some(into),
                    }
                    deal.version += 1;
                    deal.updated_at = m.at;
                    let entity = EntityRef { kind: EntityKind::Deal, id: deal.id };
                    history.push(moved_entry(m, entity, column, json!(from), json!(into)));
                    outcome.deals.push(deal.id);
                    if deal.archived_at.is_none() {
                        let tasks = m.deal_tasks.get(&deal.id).cloned();
                        // The card names its client as it is after the merge.
                        let mut names = [None, None];
                        for (slot, (table, id)) in
                            names.iter_mut().zip([("contacts", deal.contact_id), ("companies", deal.company_id)])
                        {
                            if let Some(id) = id {
                                let sql = format!("select name from {table} where workspace_id = $1 and id = $2");
                                *slot = sqlx::query_scalar::<_, String>(&sql)
                                    .bind(ws)
                                    .bind(id)
                                    .fetch_optional(&mut *tx)
                                    .await
                                    .map_err(backend)?;
                            }
                        }
                        let [contact_name, company_name] = names;
                        let clients = Some(artel_core::crm::deal::DealClients { contact_name, company_name });
                        board.push(BoardAppend {
                            pipeline_id: deal.pipeline_id,
                            change: BoardChange::DealUpserted { deal: Box::new(deal), tasks, clients },
                        });
                    }
                }

                let tasks: Vec<Uuid> = sqlx::query_scalar(
                    "select id from tasks where workspace_id = $1 and entity_kind = $2 and entity_id = $3 \
                     order by id",
                )
                .bind(ws)
                .bind(kind.as_str())
                .bind(from)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
                if !tasks.is_empty() {
                    sqlx::query(
                        "update tasks set entity_id = $4, version = version + 1, updated_at = $5 \
                         where workspace_id = $1 and entity_kind = $2 and entity_id = $3",
                    )
                    .bind(ws)
                    .bind(kind.as_str())
                    .bind(from)
                    .bind(into)
                    .bind(m.at)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                for id in &tasks {
                    let entity = EntityRef { kind: EntityKind::Task, id: *id };
                    let (old, new) = (kind.entity(from), kind.entity(into));
                    history.push(moved_entry(m, entity, "entity", json!(old), json!(new)));
                }
                outcome.tasks = tasks;

                match kind {
                    Kind::Company => {
                        let people: Vec<Uuid> = sqlx::query_scalar(
                            "select id from contacts where workspace_id = $1 and company_id = $2 order by id",
                        )
                        .bind(ws)
                        .bind(from)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(backend)?;
                        sqlx::query(
                            "update contacts set company_id = $3, updated_at = $4 \
                             where workspace_id = $1 and company_id = $2",
                        )
                        .bind(ws)
                        .bind(from)
                        .bind(into)
                        .bind(m.at)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                        for id in &people {
                            let entity = EntityRef { kind: EntityKind::Contact, id: *id };
                            history.push(moved_entry(m, entity, "company_id", json!(from), json!(into)));
                        }
                        outcome.contacts = people;
                    }
                    Kind::Contact => {
                        // A resubmitted website form answers with the contact it made.
                        sqlx::query(
                            "update lead_keys set contact_id = $3 where workspace_id = $1 and contact_id = $2",
                        )
                        .bind(ws)
                        .bind(from)
                        .bind(into)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    }
                }

                if let Some((event, archived)) =
                    Self::merge_chats(&mut tx, m, kind, ws).await?
                {
                    outcome.chat_events.push(event);
                    outcome.archived_chat = archived;
                }

                Self::delete_client_keys(&mut tx, kind, ws, from).await?;
                let sql = format!("delete from {} where workspace_id = $1 and id = $2", kind.table());
                sqlx::query(&sql).bind(ws).bind(from).execute(&mut *tx).await.map_err(backend)?;
                // Links to `from` (in messages, notices, bookmarks) find the survivor through this.
                history.push(moved_entry(m, kind.entity(from), MERGED_INTO, Value::Null, json!(into)));
                Self::insert_history(&mut tx, Some(ws), &history).await?;
                outcome.board = Self::append_board_tx(&mut tx, ws, &board, m.at).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(Some(outcome))
            }

            /// Deals pointing at the client, archived ones too.
            async fn deals_of(
                tx: &mut sqlx::Transaction<'_, $db>,
                kind: Kind,
                ws: WorkspaceId,
                client: Uuid,
            ) -> StoreResult<Vec<Deal>> {
                let sql = format!(
                    "select {DEAL_COLUMNS} from deals where workspace_id = $1 and {} = $2 order by id",
                    deal_column(kind)
                );
                let rows: Vec<DealRow> =
                    sqlx::query_as(&sql).bind(ws).bind(client).fetch_all(&mut **tx).await.map_err(backend)?;
                Ok(rows.into_iter().map(Deal::from).collect())
            }

            /// `from`'s chat becomes the survivor's (named after it) when the
            /// survivor has none; otherwise it is archived, bound to `from`'s id
            /// still, so what links to it finds the survivor. Returns its
            /// `ChatUpdated` event, and its id when archived.
            async fn merge_chats(
                tx: &mut sqlx::Transaction<'_, $db>,
                m: &ClientMerge<'_>,
                kind: Kind,
                ws: WorkspaceId,
            ) -> StoreResult<Option<(artel_core::event::ChatEvent, Option<Uuid>)>> {
                let chat_of = |id: Uuid| {
                    sqlx::query_scalar::<_, Uuid>(
                        "select id from chats where workspace_id = $1 and entity_kind = $2 and entity_id = $3",
                    )
                    .bind(ws)
                    .bind(kind.as_str())
                    .bind(id)
                };
                let Some(old) = chat_of(m.from).fetch_optional(&mut **tx).await.map_err(backend)? else {
                    return Ok(None);
                };
                let survivor = chat_of(m.into.id()).fetch_optional(&mut **tx).await.map_err(backend)?;
                let name = match m.into {
                    artel_core::ports::crm::ClientRef::Contact(c) => c.name.as_str(),
                    artel_core::ports::crm::ClientRef::Company(c) => c.name.as_str(),
                };
                let seq: i64 = if survivor.is_none() {
                    sqlx::query_scalar(
                        "update chats set entity_id = $3, name = $4, updated_at = $5, last_seq = last_seq + 1 \
                         where workspace_id = $1 and id = $2 returning last_seq",
                    )
                    .bind(ws)
                    .bind(old)
                    .bind(m.into.id())
                    .bind(name)
                    .bind(m.at)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(backend)?
                } else {
                    sqlx::query_scalar(
                        "update chats set archived_at = coalesce(archived_at, $3), updated_at = $3, \
                         last_seq = last_seq + 1 where workspace_id = $1 and id = $2 returning last_seq",
                    )
                    .bind(ws)
                    .bind(old)
                    .bind(m.at)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(backend)?
                };
                let chat = Self::chat_in_tx(tx, ws, old).await?;
                let event =
                    Self::record_event(tx, ws, old, seq, m.at, ChatChange::ChatUpdated { chat }, None).await?;
                Ok(Some((event, survivor.map(|_| old))))
            }

            pub(crate) async fn merge_target(
                &self,
                workspace: WorkspaceId,
                client: EntityRef,
            ) -> StoreResult<Option<Uuid>> {
                let found: Option<sqlx::types::Json<Value>> = sqlx::query_scalar(
                    "select new_value from history where workspace_id = $1 and entity_kind = $2 \
                     and entity_id = $3 and field = $4 order by at desc, id desc limit 1",
                )
                .bind(workspace)
                .bind(client.kind.as_str())
                .bind(client.id)
                .bind(MERGED_INTO)
                .fetch_optional(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(found.and_then(|v| v.0.as_str().and_then(|s| s.parse().ok())))
            }
        }
    };
}

// SQLite has one writer at a time: the transaction itself is the lock.
impl_client_merge!(SqliteStore, sqlx::Sqlite, "");
impl_client_merge!(PostgresStore, sqlx::Postgres, " for update");
