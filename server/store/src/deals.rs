//! `DealStore` for both engines. A deal's owner and participants are mirrored in
//! `deal_people` and its tags in `deal_tags` (same transaction as the row), so
//! "deals I am on" and tag filters are index lookups rather than JSON scans.

use artel_core::crm::deal::{Deal, DealId};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::HistoryEntry;
use artel_core::crm::pipeline::StageId;
use artel_core::domain_event::Outbox;
use artel_core::event::{BoardAppend, BoardEvent};
use artel_core::ports::crm::{DealAfter, DealFilter, DealSort, DealSortValue, DealStore, DealTotal};
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

use crate::crm_rows::{bind_args, contains_pattern, lower, tag_set, Arg, DealRow, Filter, DEAL_COLUMNS};
use crate::errors::{backend, not_found, on_unique};
use crate::history::Table;
use crate::rows::prefixed;
use crate::{PostgresStore, SqliteStore};

/// The `order by` of a deal list, adding to `f` the condition that starts the
/// page after `filter.after`. Each order ends with the id, so it is total and
/// the keyset condition names exactly the deals after the cursor.
fn deal_order(f: &mut Filter, filter: &DealFilter) -> StoreResult<String> {
    let (dir, op) = if filter.descending { (" desc", "<") } else { ("", ">") };
    let bad = || StoreError::Invalid { field: "cursor", reason: "does not fit the sort" };
    // Deals without a close date come last in both directions: sorting by
    // "has none" first is portable (no `nulls last`), and false < true in both engines.
    let order = match filter.sort {
        DealSort::Board => format!("s.position{dir}, d.position{dir}, d.id{dir}"),
        DealSort::UpdatedAt => format!("d.updated_at{dir}, d.id{dir}"),
        DealSort::CreatedAt => format!("d.created_at{dir}, d.id{dir}"),
        DealSort::Amount => format!("d.amount_minor{dir}, d.id{dir}"),
        DealSort::CloseDate => {
            format!("d.expected_close_date is null, d.expected_close_date{dir}, d.id{dir}")
        }
        DealSort::Title => format!("d.title_lower{dir}, d.id{dir}"),
    };
    let Some(DealAfter { value, id }) = &filter.after else { return Ok(order) };
    // Row values compare left to right in both engines; ids are 16-byte values
    // compared bytewise in both.
    let condition = match (filter.sort, value) {
        (DealSort::Board, DealSortValue::Board { stage_position, position }) => {
            let (a, b, c) =
                (f.arg(Arg::Int(*stage_position)), f.arg(Arg::Int(*position)), f.arg(Arg::Id(*id)));
            format!("(s.position, d.position, d.id) {op} ({a}, {b}, {c})")
        }
        (DealSort::UpdatedAt, DealSortValue::Time(t)) => {
            let (a, b) = (f.arg(Arg::Time(*t)), f.arg(Arg::Id(*id)));
            format!("(d.updated_at, d.id) {op} ({a}, {b})")
        }
        (DealSort::CreatedAt, DealSortValue::Time(t)) => {
            let (a, b) = (f.arg(Arg::Time(*t)), f.arg(Arg::Id(*id)));
            format!("(d.created_at, d.id) {op} ({a}, {b})")
        }
        (DealSort::Amount, DealSortValue::Amount(n)) => {
            let (a, b) = (f.arg(Arg::Int(*n)), f.arg(Arg::Id(*id)));
            format!("(d.amount_minor, d.id) {op} ({a}, {b})")
        }
        (DealSort::Title, DealSortValue::Text(t)) => {
            let (a, b) = (f.arg(Arg::Text(t.clone())), f.arg(Arg::Id(*id)));
            format!("(d.title_lower, d.id) {op} ({a}, {b})")
        }
        (DealSort::CloseDate, DealSortValue::Date(Some(day))) => {
            let (a, b, c) = (f.arg(Arg::Date(*day)), f.arg(Arg::Date(*day)), f.arg(Arg::Id(*id)));
            format!(
                "(d.expected_close_date is null or d.expected_close_date {op} {a} \
                 or (d.expected_close_date = {b} and d.id {op} {c}))"
            )
        }
        (DealSort::CloseDate, DealSortValue::Date(None)) => {
            let a = f.arg(Arg::Id(*id));
            format!("(d.expected_close_date is null and d.id {op} {a})")
        }
        _ => return Err(bad()),
    };
    f.and(condition);
    Ok(order)
}

/// The `where` of a deal list or its totals: the workspace and every filter
/// except the order and the page.
fn deal_conditions(workspace: WorkspaceId, filter: &DealFilter) -> Filter {
    let mut f = Filter::default();
    let ws = f.arg(Arg::Id(workspace));
    f.and(format!("d.workspace_id = {ws}"));
    if let Some(p) = filter.pipeline_id {
        let p = f.arg(Arg::Id(p));
        f.and(format!("d.pipeline_id = {p}"));
    }
    if let Some(s) = filter.stage_id {
        let s = f.arg(Arg::Id(s));
        f.and(format!("d.stage_id = {s}"));
    }
    if let Some(o) = filter.owner_id {
        let o = f.arg(Arg::Id(o));
        f.and(format!("d.owner_id = {o}"));
    }
    if let Some(u) = filter.involving {
        let u = f.arg(Arg::Id(u));
        f.and(format!("exists (select 1 from deal_people dp where dp.deal_id = d.id and dp.user_id = {u})"));
    }
    if let Some(tag) = &filter.tag {
        let t = f.arg(Arg::Text(lower(tag)));
        f.and(format!("exists (select 1 from deal_tags dt where dt.deal_id = d.id and dt.tag = {t})"));
    }
    if let Some(text) = filter.text.as_deref().map(lower).filter(|t| !t.is_empty()) {
        let p = f.arg(Arg::Text(contains_pattern(&text)));
        f.and(format!("d.title_lower like {p} escape '\\'"));
    }
    if let Some(c) = filter.contact_id {
        let c = f.arg(Arg::Id(c));
        f.and(format!("d.contact_id = {c}"));
    }
    if let Some(c) = filter.company_id {
        let c = f.arg(Arg::Id(c));
        f.and(format!("d.company_id = {c}"));
    }
    if !filter.include_archived {
        f.and("d.archived_at is null".to_string());
    }
    f
}

macro_rules! impl_deal_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Checks everything the deal points at is in its workspace: the stage (and
            /// that it is a stage of the deal's pipeline), the people, client and chat.
            async fn check_deal_refs(tx: &mut sqlx::Transaction<'_, $db>, deal: &Deal) -> StoreResult<()> {
                let ws = deal.workspace_id;
                let pipeline: Option<Uuid> =
                    sqlx::query_scalar("select pipeline_id from stages where workspace_id = $1 and id = $2")
                        .bind(ws)
                        .bind(deal.stage_id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(backend)?;
                match pipeline {
                    None => return Err(StoreError::NotFound("stage")),
                    Some(p) if p != deal.pipeline_id => {
                        return Err(StoreError::Invalid {
                            field: "stage_id",
                            reason: "is not a stage of the deal's pipeline",
                        })
                    }
                    Some(_) => {}
                }
                let mut people = deal.people();
                people.push(deal.created_by);
                Self::require_in_workspace(tx, Table::Users, ws, people).await?;
                Self::require_in_workspace(tx, Table::Contacts, ws, deal.contact_id).await?;
                Self::require_in_workspace(tx, Table::Companies, ws, deal.company_id).await?;
                Self::require_in_workspace(tx, Table::Chats, ws, deal.chat_id).await?;
                Ok(())
            }

            /// Rewrites the deal's `deal_people` and `deal_tags` rows.
            async fn write_deal_links(tx: &mut sqlx::Transaction<'_, $db>, deal: &Deal) -> StoreResult<()> {
                sqlx::query("delete from deal_people where deal_id = $1")
                    .bind(deal.id)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                sqlx::query("delete from deal_tags where deal_id = $1")
                    .bind(deal.id)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                for user in deal.people() {
                    sqlx::query("insert into deal_people (deal_id, user_id) values ($1, $2)")
                        .bind(deal.id)
                        .bind(user)
                        .execute(&mut **tx)
                        .await
                        .map_err(backend)?;
                }
                for tag in tag_set(&deal.tags) {
                    sqlx::query("insert into deal_tags (deal_id, tag) values ($1, $2)")
                        .bind(deal.id)
                        .bind(tag)
                        .execute(&mut **tx)
                        .await
                        .map_err(backend)?;
                }
                Ok(())
            }
        }

        #[async_trait]
        impl DealStore for $store {
            async fn create_deal(
                &self,
                deal: &Deal,
                history: &[HistoryEntry],
                board: &[BoardAppend],
                outbox: &Outbox,
            ) -> StoreResult<Vec<BoardEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::lock_boards_tx(&mut tx, deal.workspace_id, board).await?;
                Self::check_deal_refs(&mut tx, deal).await?;
                sqlx::query(
                    "insert into deals (id, workspace_id, title, title_lower, amount_minor, currency, \
                     pipeline_id, stage_id, position, owner_id, participants, contact_id, company_id, \
                     expected_close_date, loss_reason, tags, custom, chat_id, version, created_by, \
                     created_at, updated_at, stage_entered_at, closed_at, archived_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                     $18, $19, $20, $21, $22, $23, $24, $25)",
                )
                .bind(deal.id)
                .bind(deal.workspace_id)
                .bind(&deal.title)
                .bind(lower(&deal.title))
                .bind(deal.amount_minor)
                .bind(&deal.currency)
                .bind(deal.pipeline_id)
                .bind(deal.stage_id)
                .bind(deal.position)
                .bind(deal.owner_id)
                .bind(Json(&deal.participants))
                .bind(deal.contact_id)
                .bind(deal.company_id)
                .bind(deal.expected_close_date)
                .bind(deal.loss_reason.as_deref())
                .bind(Json(&deal.tags))
                .bind(Json(&deal.custom))
                .bind(deal.chat_id)
                .bind(deal.version)
                .bind(deal.created_by)
                .bind(deal.created_at)
                .bind(deal.updated_at)
                .bind(deal.stage_entered_at)
                .bind(deal.closed_at)
                .bind(deal.archived_at)
                .execute(&mut *tx)
                .await
                .map_err(on_unique("deal"))?;
                Self::write_deal_links(&mut tx, deal).await?;
                Self::insert_history(&mut tx, Some(deal.workspace_id), history).await?;
                let events = Self::append_board_tx(&mut tx, deal.workspace_id, board, deal.updated_at).await?;
                Self::write_outbox_tx(&mut tx, outbox).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(events)
            }

            async fn get_deal(&self, workspace: WorkspaceId, id: DealId) -> StoreResult<Deal> {
                let sql = format!("select {DEAL_COLUMNS} from deals where workspace_id = $1 and id = $2");
                let row: DealRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("deal"))?;
                Ok(row.into())
            }

            async fn update_deal(
                &self,
                deal: &Deal,
                expected_version: i64,
                history: &[HistoryEntry],
                board: &[BoardAppend],
                outbox: &Outbox,
            ) -> StoreResult<Vec<BoardEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::lock_boards_tx(&mut tx, deal.workspace_id, board).await?;
                let stored: Option<i64> =
                    sqlx::query_scalar("select version from deals where workspace_id = $1 and id = $2")
                        .bind(deal.workspace_id)
                        .bind(deal.id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                match stored {
                    None => return Err(StoreError::NotFound("deal")),
                    Some(v) if v != expected_version => return Err(StoreError::Conflict("deal version")),
                    Some(_) => {}
                }
                Self::check_deal_refs(&mut tx, deal).await?;
                // The version check is repeated by the update itself: a concurrent writer
                // that committed after the read above makes it match no row.
                let done = sqlx::query(
                    "update deals set title = $4, title_lower = $5, amount_minor = $6, currency = $7, \
                     pipeline_id = $8, stage_id = $9, position = $10, owner_id = $11, participants = $12, \
                     contact_id = $13, company_id = $14, expected_close_date = $15, loss_reason = $16, \
                     tags = $17, custom = $18, chat_id = $19, version = $20, updated_at = $21, \
                     stage_entered_at = $22, closed_at = $23, archived_at = $24 \
                     where id = $1 and workspace_id = $2 and version = $3",
                )
                .bind(deal.id)
                .bind(deal.workspace_id)
                .bind(expected_version)
                .bind(&deal.title)
                .bind(lower(&deal.title))
                .bind(deal.amount_minor)
                .bind(&deal.currency)
                .bind(deal.pipeline_id)
                .bind(deal.stage_id)
                .bind(deal.position)
                .bind(deal.owner_id)
                .bind(Json(&deal.participants))
                .bind(deal.contact_id)
                .bind(deal.company_id)
                .bind(deal.expected_close_date)
                .bind(deal.loss_reason.as_deref())
                .bind(Json(&deal.tags))
                .bind(Json(&deal.custom))
                .bind(deal.chat_id)
                .bind(deal.version)
                .bind(deal.updated_at)
                .bind(deal.stage_entered_at)
                .bind(deal.closed_at)
                .bind(deal.archived_at)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    let exists: i64 =
                        sqlx::query_scalar("select count(*) from deals where workspace_id = $1 and id = $2")
                            .bind(deal.workspace_id)
                            .bind(deal.id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(backend)?;
                    return Err(if exists == 0 {
                        StoreError::NotFound("deal")
                    } else {
                        StoreError::Conflict("deal version")
                    });
                }
                Self::write_deal_links(&mut tx, deal).await?;
                Self::insert_history(&mut tx, Some(deal.workspace_id), history).await?;
                let events = Self::append_board_tx(&mut tx, deal.workspace_id, board, deal.updated_at).await?;
                Self::write_outbox_tx(&mut tx, outbox).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(events)
            }

            async fn list_deals(&self, workspace: WorkspaceId, filter: &DealFilter) -> StoreResult<Vec<Deal>> {
                let mut f = deal_conditions(workspace, filter);
                let order = deal_order(&mut f, filter)?;
                let page = f.page(filter.limit, filter.offset);
                let sql = format!(
                    "select {} from deals d join stages s on s.id = d.stage_id where {} \
                     order by {order}{page}",
                    prefixed(DEAL_COLUMNS, "d"),
                    f.where_clause()
                );
                let rows: Vec<DealRow> =
                    bind_args!(sqlx::query_as(&sql), &f.args).fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?;
                Ok(rows.into_iter().map(Deal::from).collect())
            }

            async fn deal_totals(&self, workspace: WorkspaceId, filter: &DealFilter) -> StoreResult<Vec<DealTotal>> {
                let f = deal_conditions(workspace, filter);
                // The sum is cast back to a 64-bit integer: Postgres sums bigints
                // as numeric. Amounts are bounded (MAX_AMOUNT_MINOR), so a column
                // holds thousands of deals at the largest amount before it overflows.
                let sql = format!(
                    "select d.stage_id, d.currency, count(*), cast(sum(d.amount_minor) as bigint) \
                     from deals d where {} group by d.stage_id, d.currency order by d.stage_id, d.currency",
                    f.where_clause()
                );
                let rows: Vec<(Uuid, String, i64, i64)> =
                    bind_args!(sqlx::query_as(&sql), &f.args).fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?;
                Ok(rows
                    .into_iter()
                    .map(|(stage_id, currency, count, amount_minor)| DealTotal { stage_id, currency, count, amount_minor })
                    .collect())
            }

            async fn stage_positions(
                &self,
                workspace: WorkspaceId,
                stage: StageId,
            ) -> StoreResult<Vec<(DealId, i64)>> {
                let rows: Vec<(Uuid, i64)> = sqlx::query_as(
                    "select id, position from deals \
                     where workspace_id = $1 and stage_id = $2 and archived_at is null \
                     order by position, id",
                )
                .bind(workspace)
                .bind(stage)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                if rows.is_empty() {
                    let n: i64 = sqlx::query_scalar("select count(*) from stages where workspace_id = $1 and id = $2")
                        .bind(workspace)
                        .bind(stage)
                        .fetch_one(&mut *self.read.acquire().await?)
                        .await
                        .map_err(backend)?;
                    if n == 0 {
                        return Err(StoreError::NotFound("stage"));
                    }
                }
                Ok(rows)
            }

            async fn set_positions(&self, workspace: WorkspaceId, positions: &[(DealId, i64)]) -> StoreResult<()> {
                if positions.is_empty() {
                    return Ok(());
                }
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                for (id, position) in positions {
                    let done = sqlx::query("update deals set position = $3 where workspace_id = $1 and id = $2")
                        .bind(workspace)
                        .bind(id)
                        .bind(position)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("deal"));
                    }
                }
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn delete_deal(
                &self,
                workspace: WorkspaceId,
                id: DealId,
                board: &[BoardAppend],
                now: chrono::DateTime<chrono::Utc>,
            ) -> StoreResult<Vec<BoardEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::lock_boards_tx(&mut tx, workspace, board).await?;
                let done = sqlx::query("delete from deals where workspace_id = $1 and id = $2")
                    .bind(workspace)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("deal"));
                }
                Self::delete_history(&mut tx, workspace, EntityRef { kind: EntityKind::Deal, id }).await?;
                let events = Self::append_board_tx(&mut tx, workspace, board, now).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(events)
            }
        }
    };
}

impl_deal_store!(SqliteStore, sqlx::Sqlite);
impl_deal_store!(PostgresStore, sqlx::Postgres);
