//! Tasks over REST: create, list (mine, created by me, of a record), "my tasks"
//! in buckets in my time zone, read, edit, complete, reopen, subtasks, history.

use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::task::{
    self, Bucket, Recurrence, Task, TaskKind, TaskPriority, TaskReminder, TaskStatus,
};
use artel_core::ports::tasks::TaskFilter;
use artel_core::Error;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crm::tasks::{self, NewTask, TaskPatch};
use crate::error::ApiResult;
use crate::extract::{double_option, page_limit, Json, Path, Query};
use crate::http::crm_dto::{HistoryDto, HistoryQuery};
use crate::state::AppState;

/// Active tasks "my tasks" looks at.
const MINE_LIMIT: i64 = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReminderDto {
    pub id: Uuid,
    pub user_id: Uuid,
    pub remind_at: DateTime<Utc>,
    pub fired_at: Option<DateTime<Utc>>,
}

impl From<&TaskReminder> for ReminderDto {
    fn from(r: &TaskReminder) -> Self {
        Self { id: r.id, user_id: r.user_id, remind_at: r.remind_at, fired_at: r.fired_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub creator_id: Uuid,
    pub assignees: Vec<Uuid>,
    /// The due moment; for a date-only task, that date at 00:00 UTC.
    pub due_at: Option<DateTime<Utc>>,
    /// False for a date-only task.
    pub due_has_time: bool,
    pub priority: TaskPriority,
    pub status: TaskStatus,
    pub kind: TaskKind,
    pub entity_kind: Option<EntityKind>,
    pub entity_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub recurrence: Option<Recurrence>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Present when one task is returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminders: Option<Vec<ReminderDto>>,
}

impl From<&Task> for TaskDto {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id,
            title: t.title.clone(),
            description: t.description.clone(),
            creator_id: t.creator_id,
            assignees: t.assignees.clone(),
            due_at: t.due_at,
            due_has_time: t.due_has_time,
            priority: t.priority,
            status: t.status,
            kind: t.kind,
            entity_kind: t.entity.map(|e| e.kind),
            entity_id: t.entity.map(|e| e.id),
            parent_id: t.parent_id,
            recurrence: t.recurrence,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            completed_at: t.completed_at,
            reminders: None,
        }
    }
}

async fn detailed(state: &AppState, task: &Task) -> ApiResult<TaskDto> {
    let reminders = state.store.task_reminders(task.workspace_id, task.id).await?;
    let mut dto = TaskDto::from(task);
    dto.reminders = Some(reminders.iter().map(ReminderDto::from).collect());
    Ok(dto)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    pub title: String,
    pub description: Option<String>,
    /// Me when omitted; `[]` for nobody.
    pub assignees: Option<Vec<Uuid>>,
    /// An RFC 3339 moment ("2026-11-24T11:00:00+03:00") or a date ("2026-11-24").
    pub due_at: Option<String>,
    /// Normal when omitted.
    pub priority: Option<TaskPriority>,
    /// Other when omitted.
    pub kind: Option<TaskKind>,
    /// With `entity_id`: the deal, contact or company the task is about.
    pub entity_kind: Option<EntityKind>,
    pub entity_id: Option<Uuid>,
    /// Makes this a subtask of that task.
    pub parent_id: Option<Uuid>,
    pub recurrence: Option<Recurrence>,
    /// Moments to remind the assignees (or me) at.
    #[serde(default)]
    pub reminders: Vec<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    /// The version the change is based on.
    pub version: i64,
    pub title: Option<String>,
    pub description: Option<String>,
    pub assignees: Option<Vec<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Option<String>>,
    pub priority: Option<TaskPriority>,
    /// Done completes the task (a recurring one spawns its next occurrence).
    pub status: Option<TaskStatus>,
    pub kind: Option<TaskKind>,
    /// With `entity_id`; both null unlink the task.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<EntityKind>)]
    pub entity_kind: Option<Option<EntityKind>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub entity_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Recurrence>)]
    pub recurrence: Option<Option<Recurrence>>,
    /// Replaces the reminders not yet fired.
    pub reminders: Option<Vec<DateTime<Utc>>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskVersion {
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompletedTask {
    pub task: TaskDto,
    /// The next occurrence of a recurring task.
    pub next: Option<TaskDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyTasks {
    pub overdue: Vec<TaskDto>,
    pub today: Vec<TaskDto>,
    pub upcoming: Vec<TaskDto>,
    pub no_due_date: Vec<TaskDto>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskView {
    /// Assigned to me.
    My,
    /// Created by me.
    Created,
    /// Of the record named by `entity_kind` and `entity_id`.
    Entity,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    #[param(inline)]
    pub view: Option<TaskView>,
    pub entity_kind: Option<EntityKind>,
    pub entity_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// Comma-separated statuses (open,in_progress,done,cancelled); all when omitted.
    pub status: Option<String>,
    /// Due at or after.
    pub due_from: Option<DateTime<Utc>>,
    /// Due before.
    pub due_to: Option<DateTime<Utc>>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskPageQuery {
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

fn entity(kind: Option<EntityKind>, id: Option<Uuid>) -> artel_core::Result<Option<EntityRef>> {
    match (kind, id) {
        (None, None) => Ok(None),
        (Some(kind), Some(id)) => Ok(Some(EntityRef { kind, id })),
        (None, Some(_)) => Err(Error::invalid("entity_kind", "is required with entity_id")),
        (Some(_), None) => Err(Error::invalid("entity_id", "is required with entity_kind")),
    }
}

fn statuses(raw: Option<&str>) -> artel_core::Result<Vec<TaskStatus>> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|e: String| Error::invalid("status", e)))
        .collect()
}

fn completed(task: &Task, next: Option<&Task>) -> CompletedTask {
    CompletedTask { task: TaskDto::from(task), next: next.map(TaskDto::from) }
}

/// Creates a task.
#[utoipa::path(post, path = "/tasks", operation_id = "create_task", tag = "tasks", security(("bearer" = [])), request_body = CreateTask,
    responses((status = 201, body = TaskDto), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateTask>,
) -> ApiResult<(StatusCode, Json<TaskDto>)> {
    let task = tasks::create(
        &state,
        &auth.user,
        NewTask {
            title: req.title,
            description: req.description,
            assignees: req.assignees,
            due: req.due_at,
            priority: req.priority,
            kind: req.kind,
            entity: entity(req.entity_kind, req.entity_id)?,
            parent_id: req.parent_id,
            recurrence: req.recurrence,
            reminders: req.reminders,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(detailed(&state, &task).await?)))
}

/// Tasks I may see: assigned to me (`view=my`), created by me (`view=created`),
/// of a record (`view=entity`), or all, filtered.
#[utoipa::path(get, path = "/tasks", operation_id = "list_tasks", tag = "tasks", security(("bearer" = [])), params(TaskQuery),
    responses((status = 200, body = Vec<TaskDto>), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<TaskQuery>,
) -> ApiResult<Json<Vec<TaskDto>>> {
    let me = &auth.user;
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(Error::invalid("offset", "must not be negative").into());
    }
    let mut filter = TaskFilter {
        scope: tasks::scope(&state, me).await?,
        assignee: q.assignee_id,
        entity: entity(q.entity_kind, q.entity_id)?,
        statuses: statuses(q.status.as_deref())?,
        due_from: q.due_from,
        due_to: q.due_to,
        limit: page_limit(q.limit, 50)?,
        offset,
        ..TaskFilter::default()
    };
    match q.view {
        None => {}
        Some(TaskView::My) => filter.assignee = Some(me.id),
        Some(TaskView::Created) => filter.creator = Some(me.id),
        Some(TaskView::Entity) if filter.entity.is_none() => {
            return Err(Error::invalid("entity_id", "view=entity needs entity_kind and entity_id").into());
        }
        Some(TaskView::Entity) => {}
    }
    let found = state.store.list_tasks(me.workspace_id, &filter).await?;
    Ok(Json(found.iter().map(TaskDto::from).collect()))
}

/// My open tasks in buckets, by my time zone: overdue, due today, upcoming, undated.
#[utoipa::path(get, path = "/tasks/mine", tag = "tasks", security(("bearer" = [])),
    responses((status = 200, body = MyTasks)))]
pub async fn mine(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<MyTasks>> {
    let me = &auth.user;
    let filter = TaskFilter {
        scope: tasks::scope(&state, me).await?,
        assignee: Some(me.id),
        statuses: vec![TaskStatus::Open, TaskStatus::InProgress],
        limit: MINE_LIMIT,
        ..TaskFilter::default()
    };
    let found = state.store.list_tasks(me.workspace_id, &filter).await?;
    let tz = task::zone(&me.time_zone);
    let now = state.clock.now();
    let mut out = MyTasks { overdue: vec![], today: vec![], upcoming: vec![], no_due_date: vec![] };
    for t in &found {
        let list = match task::bucket(t, now, tz) {
            Bucket::Overdue => &mut out.overdue,
            Bucket::Today => &mut out.today,
            Bucket::Upcoming => &mut out.upcoming,
            Bucket::NoDueDate => &mut out.no_due_date,
        };
        list.push(TaskDto::from(t));
    }
    Ok(Json(out))
}

/// One task, with its reminders.
#[utoipa::path(get, path = "/tasks/{id}", operation_id = "get_task", tag = "tasks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, body = TaskDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<TaskDto>> {
    let task = tasks::visible(&state, &auth.user, id).await?;
    Ok(Json(detailed(&state, &task).await?))
}

/// Edits a task; `version` must be the current one (409 otherwise).
#[utoipa::path(patch, path = "/tasks/{id}", operation_id = "update_task", tag = "tasks", security(("bearer" = [])), request_body = UpdateTask,
    params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, body = TaskDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateTask>,
) -> ApiResult<Json<TaskDto>> {
    let link = match (req.entity_kind, req.entity_id) {
        (None, None) => None,
        (k, i) => Some(entity(k.flatten(), i.flatten())?),
    };
    let patch = TaskPatch {
        title: req.title,
        description: req.description,
        assignees: req.assignees,
        due: req.due_at,
        priority: req.priority,
        status: req.status,
        kind: req.kind,
        entity: link,
        recurrence: req.recurrence,
        reminders: req.reminders,
    };
    let (task, _) = tasks::update(&state, &auth.user, id, req.version, patch).await?;
    Ok(Json(detailed(&state, &task).await?))
}

/// Completes a task; a recurring one gets its next occurrence (returned as `next`).
#[utoipa::path(post, path = "/tasks/{id}/complete", tag = "tasks", security(("bearer" = [])),
    request_body = TaskVersion, params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, body = CompletedTask), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<TaskVersion>,
) -> ApiResult<Json<CompletedTask>> {
    let (task, next) = tasks::complete(&state, &auth.user, id, req.version).await?;
    Ok(Json(completed(&task, next.as_ref())))
}

/// Reopens a done or cancelled task.
#[utoipa::path(post, path = "/tasks/{id}/reopen", tag = "tasks", security(("bearer" = [])),
    request_body = TaskVersion, params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, body = TaskDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn reopen(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<TaskVersion>,
) -> ApiResult<Json<TaskDto>> {
    let task = tasks::reopen(&state, &auth.user, id, req.version).await?;
    Ok(Json(TaskDto::from(&task)))
}

/// The task's subtasks I may see.
#[utoipa::path(get, path = "/tasks/{id}/subtasks", tag = "tasks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id"), TaskPageQuery),
    responses((status = 200, body = Vec<TaskDto>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn subtasks(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<TaskPageQuery>,
) -> ApiResult<Json<Vec<TaskDto>>> {
    tasks::visible(&state, &auth.user, id).await?;
    let filter = TaskFilter {
        scope: tasks::scope(&state, &auth.user).await?,
        parent: Some(id),
        limit: page_limit(q.limit, 50)?,
        ..TaskFilter::default()
    };
    let found = state.store.list_tasks(auth.user.workspace_id, &filter).await?;
    Ok(Json(found.iter().map(TaskDto::from).collect()))
}

/// The task's change history, newest first.
#[utoipa::path(get, path = "/tasks/{id}/history", operation_id = "task_history", tag = "tasks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Task id"), HistoryQuery),
    responses((status = 200, body = Vec<HistoryDto>), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<HistoryDto>>> {
    let (cursor, limit) = (q.cursor()?, q.limit()?);
    tasks::visible(&state, &auth.user, id).await?;
    let entity = EntityRef { kind: EntityKind::Task, id };
    let entries = state.store.list_history(auth.user.workspace_id, entity, cursor, limit).await?;
    Ok(Json(entries.iter().map(HistoryDto::from).collect()))
}
