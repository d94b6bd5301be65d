//! `HistoryStore` and `EntityChatStore` for both engines, and the in-transaction
//! helpers the other CRM stores share: writing history entries and checking that
//! referenced rows belong to the workspace.

use std::collections::BTreeSet;

use artel_core::crm::entity::EntityRef;
use artel_core::crm::history::{HistoryCursor, HistoryEntry};
use artel_core::ports::crm::{EntityChatStore, HistoryStore};
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

use crate::crm_rows::{bind_args, in_list, Arg, Filter, HistoryRow, HISTORY_COLUMNS};
use crate::errors::{backend, on_unique};
use crate::{PostgresStore, SqliteStore};

/// Tables whose rows a CRM record may point at, checked with `require_in_workspace`.
#[derive(Clone, Copy)]
pub(crate) enum Table {
    Users,
    Contacts,
    Companies,
    Chats,
    Deals,
    Tasks,
}

impl Table {
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Table::Users => ("users", "user"),
            Table::Contacts => ("contacts", "contact"),
            Table::Companies => ("companies", "company"),
            Table::Chats => ("chats", "chat"),
            Table::Deals => ("deals", "deal"),
            Table::Tasks => ("tasks", "task"),
        }
    }
}

macro_rules! impl_history_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// `NotFound(<what>)` unless every id is a row of `table` in the workspace.
            pub(crate) async fn require_in_workspace(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: Table,
                workspace: WorkspaceId,
                ids: impl IntoIterator<Item = Uuid>,
            ) -> StoreResult<()> {
                let unique: BTreeSet<Uuid> = ids.into_iter().collect();
                let (name, what) = table.sql();
                let unique: Vec<Uuid> = unique.into_iter().collect();
                // Chunked: a statement takes a bounded number of parameters.
                for chunk in unique.chunks(500) {
                    let mut f = Filter::default();
                    let ws = f.arg(Arg::Id(workspace));
                    let list = in_list(&mut f, chunk.iter().map(|id| Arg::Id(*id)));
                    let sql = format!("select count(*) from {name} where workspace_id = {ws} and id in ({list})");
                    let n: i64 = bind_args!(sqlx::query_scalar::<_, i64>(&sql), &f.args)
                        .fetch_one(&mut **tx)
                        .await
                        .map_err(backend)?;
                    if usize::try_from(n).ok() != Some(chunk.len()) {
                        return Err(StoreError::NotFound(what));
                    }
                }
                Ok(())
            }

            /// Writes history entries. `workspace` (the record's) overrides the
            /// entries' own when given: a record's history lives in its workspace.
            /// Actors must be users of that workspace (`NotFound("user")`).
            pub(crate) async fn insert_history(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: Option<WorkspaceId>,
                entries: &[HistoryEntry],
            ) -> StoreResult<()> {
                let mut actors: std::collections::BTreeMap<WorkspaceId, BTreeSet<Uuid>> = Default::default();
                for h in entries {
                    if let Some(actor) = h.actor_id {
                        actors.entry(workspace.unwrap_or(h.workspace_id)).or_default().insert(actor);
                    }
                }
                for (ws, ids) in actors {
                    Self::require_in_workspace(tx, Table::Users, ws, ids).await?;
                }
                for h in entries {
                    sqlx::query(
                        "insert into history (id, workspace_id, entity_kind, entity_id, actor_id, at, field, \
                         old_value, new_value) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(h.id)
                    .bind(workspace.unwrap_or(h.workspace_id))
                    .bind(h.entity.kind.as_str())
                    .bind(h.entity.id)
                    .bind(h.actor_id)
                    .bind(h.at)
                    .bind(&h.field)
                    .bind(Json(&h.old))
                    .bind(Json(&h.new))
                    .execute(&mut **tx)
                    .await
                    .map_err(on_unique("history entry"))?;
                }
                Ok(())
            }

            /// Deletes a record's history (the record is being deleted).
            pub(crate) async fn delete_history(
                tx: &mut sqlx::Transaction<'_, $db>,
                workspace: WorkspaceId,
                entity: EntityRef,
            ) -> StoreResult<()> {
                sqlx::query("delete from history where workspace_id = $1 and entity_kind = $2 and entity_id = $3")
                    .bind(workspace)
                    .bind(entity.kind.as_str())
                    .bind(entity.id)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }

        #[async_trait]
        impl HistoryStore for $store {
            async fn append_history(&self, entries: &[HistoryEntry]) -> StoreResult<()> {
                if entries.is_empty() {
                    return Ok(());
                }
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::insert_history(&mut tx, None, entries).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn list_history(
                &self,
                workspace: WorkspaceId,
                entity: EntityRef,
                before: Option<HistoryCursor>,
                limit: i64,
            ) -> StoreResult<Vec<HistoryEntry>> {
                let mut f = Filter::default();
                let ws = f.arg(Arg::Id(workspace));
                let kind = f.arg(Arg::Text(entity.kind.as_str().to_string()));
                let id = f.arg(Arg::Id(entity.id));
                f.and(format!("workspace_id = {ws} and entity_kind = {kind} and entity_id = {id}"));
                match before {
                    Some(HistoryCursor { at, id: Some(id) }) => {
                        let b = f.arg(Arg::Time(at));
                        let b2 = f.arg(Arg::Time(at));
                        let i = f.arg(Arg::Id(id));
                        f.and(format!("(at < {b} or (at = {b2} and id < {i}))"));
                    }
                    Some(HistoryCursor { at, id: None }) => {
                        let b = f.arg(Arg::Time(at));
                        f.and(format!("at < {b}"));
                    }
                    None => {}
                }
                let page = f.page(limit, 0);
                let sql = format!(
                    "select {HISTORY_COLUMNS} from history where {} order by at desc, id desc{page}",
                    f.where_clause()
                );
                let rows: Vec<HistoryRow> = bind_args!(sqlx::query_as(&sql), &f.args)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                rows.into_iter().map(HistoryEntry::try_from).collect()
            }
        }

        #[async_trait]
        impl EntityChatStore for $store {
            async fn chat_for_entity(&self, workspace: WorkspaceId, entity: EntityRef) -> StoreResult<Option<Uuid>> {
                sqlx::query_scalar(
                    "select id from chats where workspace_id = $1 and entity_kind = $2 and entity_id = $3",
                )
                .bind(workspace)
                .bind(entity.kind.as_str())
                .bind(entity.id)
                .fetch_optional(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn last_seq_at_or_before(
                &self,
                workspace: WorkspaceId,
                chat: Uuid,
                at: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Option<i64>> {
                let seq: Option<Option<i64>> = sqlx::query_scalar(
                    "select max(seq) from messages where workspace_id = $1 and chat_id = $2 \
                     and thread_root_id is null and created_at <= $3",
                )
                .bind(workspace)
                .bind(chat)
                .bind(at)
                .fetch_optional(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(seq.flatten())
            }
        }
    };
}

impl_history_store!(SqliteStore, sqlx::Sqlite);
impl_history_store!(PostgresStore, sqlx::Postgres);
