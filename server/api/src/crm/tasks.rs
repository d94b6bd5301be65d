//! Task use cases: create, edit, complete (spawning the next occurrence of a
//! recurring task), reopen, and who may see what. Every change bumps the version
//! (stale writes get 409) and records history; tasks of a deal speak up in the
//! deal's chat when created and completed.

use artel_core::crm::deal::DealVisibility;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::{diff, HistoryEntry};
use artel_core::crm::task::{
    self, Recurrence, Task, TaskId, TaskKind, TaskPriority, TaskReminder, TaskStatus,
};
use artel_core::domain_event::{Change, Outbox};
use artel_core::notice::Notice;
use artel_core::ports::tasks::{DealTasks, TaskScope};
use artel_core::user::{Role, User, UserId};
use artel_core::{Error, Result, StoreError};
use chrono::{DateTime, Datelike, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::crm::{board, deals};
use crate::events;
use crate::messaging::system;
use crate::state::AppState;

/// Fields whose changes are bookkeeping, not history.
const NOT_HISTORY: &[&str] =
    &["id", "workspace_id", "version", "updated_at", "created_at", "creator_id", "recurrence_day"];
/// Reminders a task may have.
const MAX_REMINDERS: usize = 10;
/// People a task may be assigned to.
const MAX_ASSIGNEES: usize = 50;

pub struct NewTask {
    pub title: String,
    pub description: Option<String>,
    /// Me when `None`.
    pub assignees: Option<Vec<UserId>>,
    /// RFC 3339 moment or a date.
    pub due: Option<String>,
    pub priority: Option<TaskPriority>,
    pub kind: Option<TaskKind>,
    pub entity: Option<EntityRef>,
    pub parent_id: Option<TaskId>,
    pub recurrence: Option<Recurrence>,
    pub reminders: Vec<DateTime<Utc>>,
}

/// An edit; `None` leaves a field as is.
#[derive(Default)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub assignees: Option<Vec<UserId>>,
    pub due: Option<Option<String>>,
    pub priority: Option<TaskPriority>,
    pub status: Option<TaskStatus>,
    pub kind: Option<TaskKind>,
    pub entity: Option<Option<EntityRef>>,
    pub recurrence: Option<Option<Recurrence>>,
    pub reminders: Option<Vec<DateTime<Utc>>>,
}

/// What a listing is limited to for this viewer (`None`: everything; admins).
pub async fn scope(state: &AppState, user: &User) -> Result<Option<TaskScope>> {
    Ok(match user.role {
        Role::Owner | Role::Admin => None,
        Role::Guest => Some(TaskScope { user: user.id, created: false, deals: DealTasks::None }),
        Role::Member => {
            let ws = state.store.get_workspace(user.workspace_id).await?;
            let deals = match ws.settings.deal_visibility {
                DealVisibility::All => DealTasks::All,
                DealVisibility::Own => DealTasks::Involved,
            };
            Some(TaskScope { user: user.id, created: true, deals })
        }
    })
}

/// Whether `user` may see `task`: admins all; guests tasks assigned to them;
/// members tasks they created or are assigned to, and tasks of deals they see.
pub async fn can_see(state: &AppState, user: &User, task: &Task) -> Result<bool> {
    if task.workspace_id != user.workspace_id {
        return Ok(false);
    }
    Ok(match user.role {
        Role::Owner | Role::Admin => true,
        Role::Guest => task.is_assigned_to(user.id),
        Role::Member => {
            if task.creator_id == user.id || task.is_assigned_to(user.id) {
                true
            } else if let Some(EntityRef { kind: EntityKind::Deal, id }) = task.entity {
                match deals::visible(state, user, id).await {
                    Ok(_) => true,
                    Err(Error::NotFound(_)) => false,
                    Err(e) => return Err(e),
                }
            } else {
                false
            }
        }
    })
}

/// The task if `user` may see it; a task one may not see does not exist (404).
pub async fn visible(state: &AppState, user: &User, id: TaskId) -> Result<Task> {
    let task = state.store.get_task(user.workspace_id, id).await.map_err(not_found)?;
    if !can_see(state, user, &task).await? {
        return Err(Error::NotFound("task"));
    }
    Ok(task)
}

fn not_found(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound("task"),
        other => other.into(),
    }
}

fn no_guests(user: &User) -> Result<()> {
    if user.role == Role::Guest {
        return Err(Error::forbidden("guests can only complete tasks assigned to them"));
    }
    Ok(())
}

fn check_version(task: &Task, expected: i64) -> Result<()> {
    if task.version != expected {
        return Err(stale(task.version, expected));
    }
    Ok(())
}

fn stale(now: i64, given: i64) -> Error {
    Error::conflict(
        "stale_version",
        format!("the task changed meanwhile (version {now} now, {given} given); reload it"),
    )
}

/// Active users of the workspace, without repeats, or a 422 naming the field.
async fn people(state: &AppState, actor: &User, field: &str, ids: &[UserId]) -> Result<Vec<UserId>> {
    if ids.len() > MAX_ASSIGNEES {
        return Err(Error::invalid(field, format!("at most {MAX_ASSIGNEES} people")));
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match state.store.get_user(actor.workspace_id, *id).await {
            Ok(u) if u.is_active() => {
                if !out.contains(&u.id) {
                    out.push(u.id);
                }
            }
            Ok(_) | Err(StoreError::NotFound(_)) => {
                return Err(Error::invalid(field, format!("{id} is not an active user of this workspace")))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// The linked record must exist in the workspace (and a deal be visible to the actor).
async fn check_entity(state: &AppState, actor: &User, entity: EntityRef) -> Result<()> {
    let missing = |what: &str| Error::invalid("entity_id", format!("no such {what} in this workspace"));
    let ws = actor.workspace_id;
    match entity.kind {
        EntityKind::Deal => match deals::visible(state, actor, entity.id).await {
            Ok(_) => Ok(()),
            Err(Error::NotFound(_)) => Err(missing("deal")),
            Err(e) => Err(e),
        },
        EntityKind::Contact => match state.store.get_contact(ws, entity.id).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound(_)) => Err(missing("contact")),
            Err(e) => Err(e.into()),
        },
        EntityKind::Company => match state.store.get_company(ws, entity.id).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound(_)) => Err(missing("company")),
            Err(e) => Err(e.into()),
        },
        EntityKind::Task => Err(Error::invalid("entity_kind", "must be deal, contact or company")),
    }
}

fn due(raw: Option<&str>) -> Result<(Option<DateTime<Utc>>, bool)> {
    match raw {
        None => Ok((None, false)),
        Some(r) => {
            let (at, has_time) = task::parse_due(r).map_err(|e| Error::invalid("due_at", e))?;
            Ok((Some(at), has_time))
        }
    }
}

/// Reminder rows: one per time and person (the assignees, or the creator).
fn reminder_rows(task: &Task, times: &[DateTime<Utc>]) -> Result<Vec<TaskReminder>> {
    if times.len() > MAX_REMINDERS {
        return Err(Error::invalid("reminders", format!("at most {MAX_REMINDERS}")));
    }
    let mut times = times.to_vec();
    times.sort();
    times.dedup();
    let people = if task.assignees.is_empty() { vec![task.creator_id] } else { task.assignees.clone() };
    Ok(times
        .iter()
        .flat_map(|at| {
            people.iter().map(|user| TaskReminder {
                id: Uuid::now_v7(),
                task_id: task.id,
                workspace_id: task.workspace_id,
                user_id: *user,
                remind_at: *at,
                fired_at: None,
            })
        })
        .collect())
}

fn entry(
    task: &Task,
    actor: &User,
    field: &str,
    old: serde_json::Value,
    new: serde_json::Value,
) -> HistoryEntry {
    HistoryEntry {
        id: Uuid::now_v7(),
        workspace_id: task.workspace_id,
        entity: EntityRef { kind: EntityKind::Task, id: task.id },
        actor_id: Some(actor.id),
        at: task.updated_at,
        field: field.to_string(),
        old,
        new,
    }
}

/// Creates a task (with its reminders and a first history entry).
pub async fn create(state: &AppState, actor: &User, input: NewTask) -> Result<Task> {
    if actor.role == Role::Guest {
        return Err(Error::forbidden("guests cannot create tasks"));
    }
    let title = task::title(&input.title).map_err(|e| Error::invalid("title", e))?;
    let description = task::description(input.description.as_deref().unwrap_or(""))
        .map_err(|e| Error::invalid("description", e))?;
    let assignees =
        people(state, actor, "assignees", &input.assignees.unwrap_or_else(|| vec![actor.id])).await?;
    let (due_at, due_has_time) = due(input.due.as_deref())?;
    if input.recurrence.is_some() && due_at.is_none() {
        return Err(Error::invalid("recurrence", "a recurring task needs a due date"));
    }
    if let Some(e) = input.entity {
        check_entity(state, actor, e).await?;
    }
    if let Some(parent) = input.parent_id {
        match visible(state, actor, parent).await {
            Ok(_) => {}
            Err(Error::NotFound(_)) => return Err(Error::invalid("parent_id", "no such task")),
            Err(e) => return Err(e),
        }
    }
    let now = state.clock.now();
    let task = Task {
        id: Uuid::now_v7(),
        workspace_id: actor.workspace_id,
        title,
        description,
        creator_id: actor.id,
        assignees,
        due_at,
        due_has_time,
        priority: input.priority.unwrap_or(TaskPriority::Normal),
        status: TaskStatus::Open,
        kind: input.kind.unwrap_or(TaskKind::Other),
        entity: input.entity,
        parent_id: input.parent_id,
        recurrence: input.recurrence,
        recurrence_day: None,
        version: 1,
        created_at: now,
        updated_at: now,
        completed_at: None,
    };
    let reminders = reminder_rows(&task, &input.reminders)?;
    let created = entry(&task, actor, "created", serde_json::Value::Null, json!({"title": task.title}));
    let changes = board::task_changes(state, None, &task).await;
    // The deal chat's notice, webhooks and pushes follow from the event.
    let outbox = events::outbox_for(state, actor, Change::TaskCreated { task: Box::new(task.clone()) });
    let logged = state.store.create_task(&task, &reminders, &[created], &changes, &outbox).await?;
    board::publish(state, logged);
    events::run_now(state, &outbox).await;
    crate::crm::task_live::tell_assignees(state, actor, &task, &[]).await;
    Ok(task)
}

/// Pushes "assigned to you" to the task's new assignees (not to the actor).
pub(crate) fn push_assigned(state: &AppState, actor: &User, task: &Task, before: &[UserId]) {
    for user in task.assignees.iter().filter(|u| !before.contains(u)) {
        let n = crate::push::planner::record_notification(
            task.workspace_id,
            *user,
            Some(actor.id),
            artel_core::push::PushKind::TaskAssigned,
            &task.title,
            &actor.name,
            task.id,
        );
        if let Some(n) = n {
            state.push.notify(n);
        }
    }
}

/// Applies an edit based on `expected_version`. Setting the status to done
/// completes the task (a recurring one spawns its next occurrence).
pub async fn update(
    state: &AppState,
    actor: &User,
    id: TaskId,
    expected_version: i64,
    patch: TaskPatch,
) -> Result<(Task, Option<Task>)> {
    no_guests(actor)?;
    let before = visible(state, actor, id).await?;
    check_version(&before, expected_version)?;
    let mut after = before.clone();
    if let Some(t) = &patch.title {
        after.title = task::title(t).map_err(|e| Error::invalid("title", e))?;
    }
    if let Some(d) = &patch.description {
        after.description = task::description(d).map_err(|e| Error::invalid("description", e))?;
    }
    if let Some(a) = &patch.assignees {
        after.assignees = people(state, actor, "assignees", a).await?;
    }
    if let Some(d) = &patch.due {
        (after.due_at, after.due_has_time) = due(d.as_deref())?;
    }
    if let Some(p) = patch.priority {
        after.priority = p;
    }
    if let Some(k) = patch.kind {
        after.kind = k;
    }
    if let Some(e) = patch.entity {
        if let Some(e) = e {
            if before.entity != Some(e) {
                check_entity(state, actor, e).await?;
            }
        }
        after.entity = e;
    }
    if let Some(r) = patch.recurrence {
        after.recurrence = r;
    }
    if after.due_at != before.due_at || after.recurrence != before.recurrence {
        after.recurrence_day = None; // the next completion starts the series anew
    }
    if after.recurrence.is_some() && after.due_at.is_none() {
        return Err(Error::invalid("recurrence", "a recurring task needs a due date"));
    }
    let completing = patch.status == Some(TaskStatus::Done) && before.status != TaskStatus::Done;
    if let Some(s) = patch.status {
        set_status(&mut after, s, state.clock.now());
    }
    let reminders = match &patch.reminders {
        Some(times) => Some(reminder_rows(&after, times)?),
        // New assignees get the pending reminders instead of the old ones.
        None if after.assignees != before.assignees => {
            let pending: Vec<DateTime<Utc>> = state
                .store
                .task_reminders(before.workspace_id, before.id)
                .await?
                .into_iter()
                .filter(|r| r.fired_at.is_none())
                .map(|r| r.remind_at)
                .collect();
            Some(reminder_rows(&after, &pending)?)
        }
        None => None,
    };
    let task = save(state, actor, &before, after, reminders).await?;
    crate::crm::task_live::tell_assignees(state, actor, &task, &before.assignees).await;
    let next = if completing { next_occurrence(state, actor, &task).await? } else { None };
    Ok((task, next))
}

fn set_status(task: &mut Task, status: TaskStatus, now: DateTime<Utc>) {
    if task.status == status {
        return;
    }
    task.status = status;
    task.completed_at = (status == TaskStatus::Done).then_some(now);
}

/// Completes a task; a recurring one gets its next occurrence, returned too.
pub async fn complete(
    state: &AppState,
    actor: &User,
    id: TaskId,
    expected_version: i64,
) -> Result<(Task, Option<Task>)> {
    let before = visible(state, actor, id).await?;
    check_version(&before, expected_version)?;
    if before.status == TaskStatus::Done {
        return Ok((before, None));
    }
    let mut after = before.clone();
    set_status(&mut after, TaskStatus::Done, state.clock.now());
    let task = save(state, actor, &before, after, None).await?;
    let next = next_occurrence(state, actor, &task).await?;
    Ok((task, next))
}

/// Reopens a done or cancelled task.
pub async fn reopen(state: &AppState, actor: &User, id: TaskId, expected_version: i64) -> Result<Task> {
    let before = visible(state, actor, id).await?;
    check_version(&before, expected_version)?;
    if before.status.is_active() {
        return Ok(before);
    }
    let mut after = before.clone();
    set_status(&mut after, TaskStatus::Open, state.clock.now());
    save(state, actor, &before, after, None).await
}

/// When a recurring task's next occurrence is due, and the day of the month it
/// keeps to (in the assignee's time zone); None for a one-off task.
async fn next_due(state: &AppState, actor: &User, done: &Task) -> Result<Option<(DateTime<Utc>, u32)>> {
    let (Some(recurrence), Some(due_at)) = (done.recurrence, done.due_at) else { return Ok(None) };
    let zone_owner = done.assignees.first().copied().unwrap_or(done.creator_id);
    let tz = match state.store.get_user(done.workspace_id, zone_owner).await {
        Ok(u) => task::zone(&u.time_zone),
        Err(_) => task::zone(&actor.time_zone),
    };
    let day =
        done.recurrence_day.unwrap_or_else(|| task::due_local_date(due_at, done.due_has_time, tz).day());
    Ok(Some((task::next_due(due_at, done.due_has_time, recurrence, tz, Some(day)), day)))
}

/// A recurring task's next occurrence, created; None for a one-off task.
async fn next_occurrence(state: &AppState, actor: &User, done: &Task) -> Result<Option<Task>> {
    let (Some(recurrence), Some(due_at)) = (done.recurrence, done.due_at) else { return Ok(None) };
    let Some((next_due, day)) = next_due(state, actor, done).await? else { return Ok(None) };
    let now = state.clock.now();
    let next = Task {
        id: Uuid::now_v7(),
        due_at: Some(next_due),
        recurrence_day: (recurrence == Recurrence::Monthly).then_some(day),
        status: TaskStatus::Open,
        version: 1,
        created_at: now,
        updated_at: now,
        completed_at: None,
        ..done.clone()
    };
    let shift = next_due - due_at;
    let reminders: Vec<TaskReminder> = state
        .store
        .task_reminders(done.workspace_id, done.id)
        .await?
        .into_iter()
        .map(|r| TaskReminder {
            id: Uuid::now_v7(),
            task_id: next.id,
            remind_at: r.remind_at + shift,
            fired_at: None,
            ..r
        })
        .collect();
    let created = entry(
        &next,
        actor,
        "created",
        serde_json::Value::Null,
        json!({"title": next.title, "previous": done.id}),
    );
    let changes = board::task_changes(state, None, &next).await;
    let events = state.store.create_task(&next, &reminders, &[created], &changes, &Outbox::default()).await?;
    board::publish(state, events);
    crate::crm::task_live::tell_assignees(state, actor, &next, &[]).await;
    Ok(Some(next))
}

/// Writes the new state (version + 1) with its history.
async fn save(
    state: &AppState,
    actor: &User,
    before: &Task,
    mut after: Task,
    reminders: Option<Vec<TaskReminder>>,
) -> Result<Task> {
    let now = state.clock.now();
    after.version = before.version + 1;
    after.updated_at = now;
    let to_json = |t: &Task| serde_json::to_value(t).map_err(|e| Error::Internal(e.to_string()));
    let mut history = diff(
        after.workspace_id,
        EntityRef { kind: EntityKind::Task, id: after.id },
        Some(actor.id),
        now,
        &to_json(before)?,
        &to_json(&after)?,
        NOT_HISTORY,
    );
    if let Some(new) = &reminders {
        let old: Vec<DateTime<Utc>> = state
            .store
            .task_reminders(before.workspace_id, before.id)
            .await?
            .into_iter()
            .filter(|r| r.fired_at.is_none())
            .map(|r| r.remind_at)
            .collect();
        let times = |v: Vec<DateTime<Utc>>| {
            let mut v = v;
            v.sort();
            v.dedup();
            v
        };
        let (old, new) = (times(old), times(new.iter().map(|r| r.remind_at).collect()));
        if old != new {
            history.push(entry(&after, actor, "reminders", json!(old), json!(new)));
        }
    }
    let changes = board::task_changes(state, Some(before), &after).await;
    // The task's chat, the deal chat's notice of its completion, webhooks and
    // pushes follow from the event.
    let next_due_at = if events::became_done(before, &after) {
        next_due(state, actor, &after).await?.map(|(at, _)| at)
    } else {
        None
    };
    let change =
        Change::TaskUpdated { before: Box::new(before.clone()), after: Box::new(after.clone()), next_due_at };
    let outbox = events::outbox_for(state, actor, change);
    let logged = state
        .store
        .update_task(&after, before.version, reminders.as_deref(), &history, &changes, &outbox)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                Error::conflict("stale_version", "the task changed meanwhile; reload it")
            }
            other => other.into(),
        })?;
    board::publish(state, logged);
    events::run_now(state, &outbox).await;
    Ok(after)
}

/// A task of a deal posts into the deal's chat when created and when completed
/// (`completed` holds the next occurrence's due moment, if it repeats).
pub(crate) async fn tell_deal(
    state: &AppState,
    actor: &User,
    task: &Task,
    completed: Option<Option<DateTime<Utc>>>,
    key: String,
) -> Result<()> {
    let Some(EntityRef { kind: EntityKind::Deal, id }) = task.entity else { return Ok(()) };
    let deal = match state.store.get_deal(task.workspace_id, id).await {
        Ok(d) => d,
        Err(StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if let Some(chat) = deal.chat_id {
        let notice = match completed {
            None => created_notice(state, actor, task).await?,
            Some(next_due_at) => {
                Notice::TaskCompleted { task_id: task.id, title: task.title.clone(), next_due_at }
            }
        };
        system::post_keyed(state, actor, chat, notice, Some(key)).await?;
    }
    Ok(())
}

/// The notice of a new task: who does it (unless the actor alone), when and how urgent.
pub async fn created_notice(state: &AppState, actor: &User, task: &Task) -> Result<Notice> {
    let (assignee_ids, assignee_names) = named(state, actor, &task.assignees).await?;
    Ok(Notice::TaskCreated {
        task_id: task.id,
        title: task.title.clone(),
        assignee_ids,
        assignee_names,
        due_at: task.due_at.filter(|_| task.due_has_time),
        due_date: task.due_at.filter(|_| !task.due_has_time).map(|d| d.date_naive()),
        priority: task.priority,
    })
}

/// Ids and names of the given people, none when it is the actor alone.
pub async fn named(state: &AppState, actor: &User, ids: &[UserId]) -> Result<(Vec<UserId>, Vec<String>)> {
    if ids.is_empty() || ids == [actor.id] {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut names = Vec::with_capacity(ids.len());
    for id in ids {
        names.push(state.store.get_user(actor.workspace_id, *id).await?.name);
    }
    Ok((ids.to_vec(), names))
}
