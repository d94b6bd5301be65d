//! Task storage: tasks with their assignees (mirrored for "my tasks"), their
//! history (written in the same transaction), and reminders, which are rows so
//! they survive restarts and fire once across nodes.

use crate::domain_event::Outbox;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::crm::entity::EntityRef;
use crate::crm::history::HistoryEntry;
use crate::crm::task::{Task, TaskId, TaskReminder, TaskStatus};
use crate::event::{BoardAppend, BoardEvent};
use crate::ports::store::StoreResult;
use crate::user::UserId;
use crate::workspace::WorkspaceId;

/// Which deal-linked tasks a restricted viewer sees besides their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealTasks {
    /// None (guests).
    None,
    /// Tasks of deals the viewer owns or takes part in.
    Involved,
    /// Tasks of every deal.
    All,
}

/// Limits a listing to what a non-admin may see: tasks assigned to `user`,
/// tasks `user` created (when `created`), and deal tasks per `deals`.
#[derive(Debug, Clone, Copy)]
pub struct TaskScope {
    pub user: UserId,
    pub created: bool,
    pub deals: DealTasks,
}

/// Which tasks to list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub scope: Option<TaskScope>,
    pub assignee: Option<UserId>,
    pub creator: Option<UserId>,
    pub entity: Option<EntityRef>,
    pub parent: Option<TaskId>,
    /// Tasks of any of these deals (for board cards); no limit on deals when empty.
    pub deals: Vec<Uuid>,
    /// Any of these statuses; all when empty.
    pub statuses: Vec<TaskStatus>,
    /// Due at or after.
    pub due_from: Option<DateTime<Utc>>,
    /// Due before.
    pub due_to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

#[async_trait]
pub trait TaskStore: Send + Sync {
    /// Inserts a task, its reminders, its history entries and the board changes it
    /// causes (its deal's card), in one transaction; returns the board events.
    async fn create_task(
        &self,
        task: &Task,
        reminders: &[TaskReminder],
        history: &[HistoryEntry],
        board: &[BoardAppend],
        outbox: &Outbox,
    ) -> StoreResult<Vec<BoardEvent>>;
    /// Reads a task.
    async fn get_task(&self, workspace: WorkspaceId, id: TaskId) -> StoreResult<Task>;
    /// Replaces the task's row with `task` (version already the new one) if the
    /// stored version is still `expected_version` (`Conflict("task version")`
    /// otherwise); replaces its unfired reminders when `reminders` is given; logs
    /// the board changes in the same transaction.
    async fn update_task(
        &self,
        task: &Task,
        expected_version: i64,
        reminders: Option<&[TaskReminder]>,
        history: &[HistoryEntry],
        board: &[BoardAppend],
        outbox: &Outbox,
    ) -> StoreResult<Vec<BoardEvent>>;
    /// Tasks matching the filter, by due moment (none last), then id.
    async fn list_tasks(&self, workspace: WorkspaceId, filter: &TaskFilter) -> StoreResult<Vec<Task>>;
    /// A task's reminders, by time.
    async fn task_reminders(&self, workspace: WorkspaceId, task: TaskId) -> StoreResult<Vec<TaskReminder>>;
    /// Unfired reminders whose time has come, in every workspace, oldest first.
    async fn due_reminders(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<TaskReminder>>;
    /// Marks a reminder fired if nobody did yet; true for the one caller that did.
    async fn mark_reminder_fired(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool>;
}
