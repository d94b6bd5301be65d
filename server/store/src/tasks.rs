//! `TaskStore` for both engines. A task's assignees are mirrored in
//! `task_assignees` (same transaction as the row) so "my tasks" is an index
//! lookup; reminders are rows, fired by a conditional update so each fires once.

use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::HistoryEntry;
use artel_core::crm::task::{Task, TaskId, TaskReminder};
use artel_core::domain_event::Outbox;
use artel_core::event::{BoardAppend, BoardEvent};
use artel_core::ports::tasks::{DealTasks, TaskFilter, TaskStore};
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use crate::crm_rows::{bind_args, in_list, Arg, Filter};
use crate::errors::{backend, not_found, on_unique};
use crate::history::Table;
use crate::rows::prefixed;
use crate::{PostgresStore, SqliteStore};

pub(crate) const TASK_COLUMNS: &str = "id, workspace_id, title, description, creator_id, assignees, due_at, \
     due_has_time, priority, status, kind, entity_kind, entity_id, parent_id, recurrence, recurrence_day, \
     version, created_at, updated_at, completed_at";

const REMINDER_COLUMNS: &str = "id, task_id, workspace_id, user_id, remind_at, fired_at";

#[derive(sqlx::FromRow)]
pub(crate) struct TaskRow {
    id: Uuid,
    workspace_id: Uuid,
    title: String,
    description: String,
    creator_id: Uuid,
    assignees: Json<Vec<Uuid>>,
    due_at: Option<DateTime<Utc>>,
    due_has_time: bool,
    priority: String,
    status: String,
    kind: String,
    entity_kind: Option<String>,
    entity_id: Option<Uuid>,
    parent_id: Option<Uuid>,
    recurrence: Option<String>,
    recurrence_day: Option<i64>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl TryFrom<TaskRow> for Task {
    type Error = StoreError;
    fn try_from(r: TaskRow) -> Result<Self, StoreError> {
        let entity = match (r.entity_kind, r.entity_id) {
            (Some(kind), Some(id)) => {
                Some(EntityRef { kind: kind.parse().map_err(StoreError::Backend)?, id })
            }
            _ => None,
        };
        Ok(Task {
            id: r.id,
            workspace_id: r.workspace_id,
            title: r.title,
            description: r.description,
            creator_id: r.creator_id,
            assignees: r.assignees.0,
            due_at: r.due_at,
            due_has_time: r.due_has_time,
            priority: r.priority.parse().map_err(StoreError::Backend)?,
            status: r.status.parse().map_err(StoreError::Backend)?,
            kind: r.kind.parse().map_err(StoreError::Backend)?,
            entity,
            parent_id: r.parent_id,
            recurrence: r.recurrence.map(|s| s.parse()).transpose().map_err(StoreError::Backend)?,
            recurrence_day: r.recurrence_day.and_then(|d| u32::try_from(d).ok()),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            completed_at: r.completed_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ReminderRow {
    id: Uuid,
    task_id: Uuid,
    workspace_id: Uuid,
    user_id: Uuid,
    remind_at: DateTime<Utc>,
    fired_at: Option<DateTime<Utc>>,
}

impl From<ReminderRow> for TaskReminder {
    fn from(r: ReminderRow) -> Self {
        TaskReminder {
            id: r.id,
            task_id: r.task_id,
            workspace_id: r.workspace_id,
            user_id: r.user_id,
            remind_at: r.remind_at,
            fired_at: r.fired_at,
        }
    }
}

macro_rules! impl_task_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Checks the record a task is about is of the task's workspace.
            async fn check_task_entity(tx: &mut sqlx::Transaction<'_, $db>, task: &Task) -> StoreResult<()> {
                let Some(entity) = task.entity else { return Ok(()) };
                let table = match entity.kind {
                    EntityKind::Deal => Table::Deals,
                    EntityKind::Contact => Table::Contacts,
                    EntityKind::Company => Table::Companies,
                    EntityKind::Task => Table::Tasks,
                };
                Self::require_in_workspace(tx, table, task.workspace_id, [entity.id]).await
            }

            /// Checks the people and the parent are of the task's workspace.
            async fn check_task_refs(tx: &mut sqlx::Transaction<'_, $db>, task: &Task) -> StoreResult<()> {
                let ws = task.workspace_id;
                let mut people = task.assignees.clone();
                people.push(task.creator_id);
                Self::require_in_workspace(tx, Table::Users, ws, people).await?;
                if let Some(parent) = task.parent_id {
                    let n: i64 = sqlx::query_scalar("select count(*) from tasks where workspace_id = $1 and id = $2")
                        .bind(ws)
                        .bind(parent)
                        .fetch_one(&mut **tx)
                        .await
                        .map_err(backend)?;
                    if n == 0 {
                        return Err(StoreError::NotFound("parent task"));
                    }
                }
                Ok(())
            }

            async fn write_assignees(tx: &mut sqlx::Transaction<'_, $db>, task: &Task) -> StoreResult<()> {
                sqlx::query("delete from task_assignees where task_id = $1")
                    .bind(task.id)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                let mut seen = std::collections::BTreeSet::new();
                for user in &task.assignees {
                    if !seen.insert(*user) {
                        continue;
                    }
                    sqlx::query("insert into task_assignees (task_id, user_id) values ($1, $2)")
                        .bind(task.id)
                        .bind(*user)
                        .execute(&mut **tx)
                        .await
                        .map_err(backend)?;
                }
                Ok(())
            }

            async fn insert_reminders(
                tx: &mut sqlx::Transaction<'_, $db>,
                task: &Task,
                reminders: &[TaskReminder],
            ) -> StoreResult<()> {
                Self::require_in_workspace(tx, Table::Users, task.workspace_id, reminders.iter().map(|r| r.user_id))
                    .await?;
                for r in reminders {
                    sqlx::query(
                        "insert into task_reminders (id, task_id, workspace_id, user_id, remind_at, fired_at) \
                         values ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(r.id)
                    .bind(task.id)
                    .bind(task.workspace_id)
                    .bind(r.user_id)
                    .bind(r.remind_at)
                    .bind(r.fired_at)
                    .execute(&mut **tx)
                    .await
                    .map_err(on_unique("task reminder"))?;
                }
                Ok(())
            }
        }

        #[async_trait]
        impl TaskStore for $store {
            async fn create_task(
                &self,
                task: &Task,
                reminders: &[TaskReminder],
                history: &[HistoryEntry],
                board: &[BoardAppend],
                outbox: &Outbox,
            ) -> StoreResult<Vec<BoardEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::lock_boards_tx(&mut tx, task.workspace_id, board).await?;
                Self::check_task_refs(&mut tx, task).await?;
                Self::check_task_entity(&mut tx, task).await?;
                sqlx::query(
                    "insert into tasks (id, workspace_id, title, description, creator_id, assignees, due_at, \
                     due_has_time, priority, status, kind, entity_kind, entity_id, parent_id, recurrence, \
                     recurrence_day, version, created_at, updated_at, completed_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                     $19, $20)",
                )
                .bind(task.id)
                .bind(task.workspace_id)
                .bind(&task.title)
                .bind(&task.description)
                .bind(task.creator_id)
                .bind(Json(&task.assignees))
                .bind(task.due_at)
                .bind(task.due_has_time)
                .bind(task.priority.as_str())
                .bind(task.status.as_str())
                .bind(task.kind.as_str())
                .bind(task.entity.map(|e| e.kind.as_str()))
                .bind(task.entity.map(|e| e.id))
                .bind(task.parent_id)
                .bind(task.recurrence.map(|r| r.as_str()))
                .bind(task.recurrence_day.map(i64::from))
                .bind(task.version)
                .bind(task.created_at)
                .bind(task.updated_at)
                .bind(task.completed_at)
                .execute(&mut *tx)
                .await
                .map_err(on_unique("task"))?;
                Self::write_assignees(&mut tx, task).await?;
                Self::insert_reminders(&mut tx, task, reminders).await?;
                Self::insert_history(&mut tx, Some(task.workspace_id), history).await?;
                let events = Self::append_board_tx(&mut tx, task.workspace_id, board, task.updated_at).await?;
                Self::write_outbox_tx(&mut tx, outbox).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(events)
            }

            async fn get_task(&self, workspace: WorkspaceId, id: TaskId) -> StoreResult<Task> {
                let sql = format!("select {TASK_COLUMNS} from tasks where workspace_id = $1 and id = $2");
                let row: TaskRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("task"))?;
                row.try_into()
            }

            async fn update_task(
                &self,
                task: &Task,
                expected_version: i64,
                reminders: Option<&[TaskReminder]>,
                history: &[HistoryEntry],
                board: &[BoardAppend],
                outbox: &Outbox,
            ) -> StoreResult<Vec<BoardEvent>> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                Self::lock_boards_tx(&mut tx, task.workspace_id, board).await?;
                // A record the task is moved to must be of its workspace; one it
                // stays with may be gone meanwhile (deleting a deal keeps its tasks).
                let stored: Option<(Option<String>, Option<Uuid>)> =
                    sqlx::query_as("select entity_kind, entity_id from tasks where workspace_id = $1 and id = $2")
                        .bind(task.workspace_id)
                        .bind(task.id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                let Some(stored) = stored else { return Err(StoreError::NotFound("task")) };
                Self::check_task_refs(&mut tx, task).await?;
                let new_entity = task.entity.map(|e| (Some(e.kind.as_str().to_string()), Some(e.id)));
                if new_entity.is_some() && Some(stored) != new_entity {
                    Self::check_task_entity(&mut tx, task).await?;
                }
                let done = sqlx::query(
                    "update tasks set title = $4, description = $5, assignees = $6, due_at = $7, \
                     due_has_time = $8, priority = $9, status = $10, kind = $11, entity_kind = $12, \
                     entity_id = $13, parent_id = $14, recurrence = $15, version = $16, updated_at = $17, \
                     completed_at = $18, recurrence_day = $19 \
                     where id = $1 and workspace_id = $2 and version = $3",
                )
                .bind(task.id)
                .bind(task.workspace_id)
                .bind(expected_version)
                .bind(&task.title)
                .bind(&task.description)
                .bind(Json(&task.assignees))
                .bind(task.due_at)
                .bind(task.due_has_time)
                .bind(task.priority.as_str())
                .bind(task.status.as_str())
                .bind(task.kind.as_str())
                .bind(task.entity.map(|e| e.kind.as_str()))
                .bind(task.entity.map(|e| e.id))
                .bind(task.parent_id)
                .bind(task.recurrence.map(|r| r.as_str()))
                .bind(task.version)
                .bind(task.updated_at)
                .bind(task.completed_at)
                .bind(task.recurrence_day.map(i64::from))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    let exists: i64 =
                        sqlx::query_scalar("select count(*) from tasks where workspace_id = $1 and id = $2")
                            .bind(task.workspace_id)
                            .bind(task.id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(backend)?;
                    return Err(if exists == 0 {
                        StoreError::NotFound("task")
                    } else {
                        StoreError::Conflict("task version")
                    });
                }
                Self::write_assignees(&mut tx, task).await?;
                if let Some(reminders) = reminders {
                    sqlx::query("delete from task_reminders where task_id = $1 and fired_at is null")
                        .bind(task.id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    Self::insert_reminders(&mut tx, task, reminders).await?;
                }
                Self::insert_history(&mut tx, Some(task.workspace_id), history).await?;
                let events = Self::append_board_tx(&mut tx, task.workspace_id, board, task.updated_at).await?;
                Self::write_outbox_tx(&mut tx, outbox).await?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(events)
            }

            async fn list_tasks(&self, workspace: WorkspaceId, filter: &TaskFilter) -> StoreResult<Vec<Task>> {
                let mut f = Filter::default();
                let ws = f.arg(Arg::Id(workspace));
                f.and(format!("t.workspace_id = {ws}"));
                if let Some(scope) = filter.scope {
                    let u = f.arg(Arg::Id(scope.user));
                    let mut any = vec![format!(
                        "exists (select 1 from task_assignees ta where ta.task_id = t.id and ta.user_id = {u})"
                    )];
                    if scope.created {
                        any.push(format!("t.creator_id = {u}"));
                    }
                    match scope.deals {
                        DealTasks::None => {}
                        DealTasks::All => any.push("t.entity_kind = 'deal'".to_string()),
                        DealTasks::Involved => any.push(format!(
                            "(t.entity_kind = 'deal' and exists (select 1 from deal_people dp \
                             where dp.deal_id = t.entity_id and dp.user_id = {u}))"
                        )),
                    }
                    f.and(format!("({})", any.join(" or ")));
                }
                if let Some(a) = filter.assignee {
                    let a = f.arg(Arg::Id(a));
                    f.and(format!(
                        "exists (select 1 from task_assignees ta2 where ta2.task_id = t.id and ta2.user_id = {a})"
                    ));
                }
                if let Some(c) = filter.creator {
                    let c = f.arg(Arg::Id(c));
                    f.and(format!("t.creator_id = {c}"));
                }
                if let Some(e) = filter.entity {
                    let k = f.arg(Arg::Text(e.kind.as_str().to_string()));
                    let id = f.arg(Arg::Id(e.id));
                    f.and(format!("t.entity_kind = {k} and t.entity_id = {id}"));
                }
                if !filter.deals.is_empty() {
                    let list = in_list(&mut f, filter.deals.iter().map(|id| Arg::Id(*id)));
                    f.and(format!("t.entity_kind = 'deal' and t.entity_id in ({list})"));
                }
                if let Some(p) = filter.parent {
                    let p = f.arg(Arg::Id(p));
                    f.and(format!("t.parent_id = {p}"));
                }
                if !filter.statuses.is_empty() {
                    let list = in_list(&mut f, filter.statuses.iter().map(|s| Arg::Text(s.as_str().to_string())));
                    f.and(format!("t.status in ({list})"));
                }
                if let Some(from) = filter.due_from {
                    let a = f.arg(Arg::Time(from));
                    f.and(format!("t.due_at >= {a}"));
                }
                if let Some(to) = filter.due_to {
                    let a = f.arg(Arg::Time(to));
                    f.and(format!("t.due_at < {a}"));
                }
                let page = f.page(filter.limit, filter.offset);
                let sql = format!(
                    "select {} from tasks t where {} \
                     order by case when t.due_at is null then 1 else 0 end, t.due_at, t.id{page}",
                    prefixed(TASK_COLUMNS, "t"),
                    f.where_clause()
                );
                let rows: Vec<TaskRow> =
                    bind_args!(sqlx::query_as(&sql), &f.args).fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?;
                rows.into_iter().map(Task::try_from).collect()
            }

            async fn task_reminders(&self, workspace: WorkspaceId, task: TaskId) -> StoreResult<Vec<TaskReminder>> {
                let sql = format!(
                    "select {REMINDER_COLUMNS} from task_reminders where workspace_id = $1 and task_id = $2 \
                     order by remind_at, id"
                );
                let rows: Vec<ReminderRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(task)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(rows.into_iter().map(TaskReminder::from).collect())
            }

            async fn due_reminders(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<TaskReminder>> {
                let sql = format!(
                    "select {REMINDER_COLUMNS} from task_reminders where fired_at is null and remind_at <= $1 \
                     order by remind_at, id limit $2"
                );
                let rows: Vec<ReminderRow> = sqlx::query_as(&sql)
                    .bind(now)
                    .bind(limit.max(1))
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(rows.into_iter().map(TaskReminder::from).collect())
            }

            async fn mark_reminder_fired(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
                let done = sqlx::query("update task_reminders set fired_at = $2 where id = $1 and fired_at is null")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

impl_task_store!(SqliteStore, sqlx::Sqlite);
impl_task_store!(PostgresStore, sqlx::Postgres);
