//! Tasks: calls, meetings, e-mails and reminders people owe each other, with a
//! due moment, subtasks, reminders and recurrence. Due moments of recurring tasks
//! are computed in a person's own time zone, so "every weekday at 11:00" stays at
//! 11:00 local time across DST changes and "monthly on the 31st" falls on the last
//! day of shorter months.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crm::entity::EntityRef;
use crate::user::UserId;
use crate::workspace::WorkspaceId;

pub type TaskId = Uuid;

macro_rules! str_enum {
    ($name:ident, $what:literal, { $($variant:ident => $text:literal),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err(format!(concat!("unknown ", $what, " {:?}"), other)),
                }
            }
        }
    };
}

str_enum!(TaskPriority, "task priority", {
    Low => "low",
    Normal => "normal",
    High => "high",
    Urgent => "urgent",
});

str_enum!(TaskStatus, "task status", {
    Open => "open",
    InProgress => "in_progress",
    Done => "done",
    Cancelled => "cancelled",
});

str_enum!(TaskKind, "task kind", {
    Call => "call",
    Meeting => "meeting",
    Email => "email",
    Reminder => "reminder",
    Other => "other",
});

str_enum!(Recurrence, "recurrence", {
    Daily => "daily",
    Weekdays => "weekdays",
    Weekly => "weekly",
    Monthly => "monthly",
});

impl TaskStatus {
    /// Open or in progress: still someone's to-do.
    pub fn is_active(self) -> bool {
        matches!(self, TaskStatus::Open | TaskStatus::InProgress)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub workspace_id: WorkspaceId,
    pub title: String,
    pub description: String,
    pub creator_id: UserId,
    pub assignees: Vec<UserId>,
    /// The due moment. For a date-only task (`due_has_time` false) it is that date
    /// at 00:00 UTC: a calendar date, the same wherever the reader is.
    pub due_at: Option<DateTime<Utc>>,
    pub due_has_time: bool,
    pub priority: TaskPriority,
    pub status: TaskStatus,
    pub kind: TaskKind,
    /// The deal, contact or company the task is about.
    pub entity: Option<EntityRef>,
    /// The parent task of a subtask.
    pub parent_id: Option<TaskId>,
    pub recurrence: Option<Recurrence>,
    /// Day of month a monthly series falls on (set by its first completion), so
    /// "monthly on the 31st" comes back to the 31st after a shorter month.
    pub recurrence_day: Option<u32>,
    /// Bumped by every change; writes based on an older version are refused (409).
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl Task {
    pub fn is_assigned_to(&self, user: UserId) -> bool {
        self.assignees.contains(&user)
    }

    /// The calendar date the task is due on, as seen in `tz`.
    pub fn due_date_in(&self, tz: Tz) -> Option<NaiveDate> {
        let due = self.due_at?;
        Some(if self.due_has_time { due.with_timezone(&tz).date_naive() } else { due.date_naive() })
    }
}

/// What a deal's card shows of its tasks: how many are open and which is next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DealTaskSummary {
    /// Open or in-progress tasks of the deal.
    pub open_tasks: i64,
    /// The open task due first (undated ones last).
    pub next_task: Option<NextTask>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NextTask {
    pub id: Uuid,
    pub title: String,
    pub due_at: Option<DateTime<Utc>>,
    pub due_has_time: bool,
}

/// The summary of a deal's tasks (any statuses may be given; only active ones count).
pub fn summarise<'a>(tasks: impl IntoIterator<Item = &'a Task>) -> DealTaskSummary {
    let active: Vec<&Task> = tasks.into_iter().filter(|t| t.status.is_active()).collect();
    let next = active.iter().min_by(|a, b| {
        (a.due_at.is_none(), a.due_at, a.created_at, a.id).cmp(&(
            b.due_at.is_none(),
            b.due_at,
            b.created_at,
            b.id,
        ))
    });
    DealTaskSummary {
        open_tasks: i64::try_from(active.len()).unwrap_or(i64::MAX),
        next_task: next.map(|t| NextTask {
            id: t.id,
            title: t.title.clone(),
            due_at: t.due_at,
            due_has_time: t.due_has_time,
        }),
    }
}

/// A reminder: at `remind_at`, `user_id` is told about the task, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskReminder {
    pub id: Uuid,
    pub task_id: TaskId,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub remind_at: DateTime<Utc>,
    pub fired_at: Option<DateTime<Utc>>,
}

/// Where a task falls in someone's "my tasks" list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Overdue,
    Today,
    Upcoming,
    NoDueDate,
}

/// Buckets an active task for a viewer in time zone `tz` at `now`: timed tasks
/// are overdue once their moment has passed; date-only tasks once their date is
/// before the viewer's today.
pub fn bucket(task: &Task, now: DateTime<Utc>, tz: Tz) -> Bucket {
    let Some(due) = task.due_at else { return Bucket::NoDueDate };
    let today = now.with_timezone(&tz).date_naive();
    let date = task.due_date_in(tz).unwrap_or(today);
    let overdue = if task.due_has_time { due < now } else { date < today };
    if overdue {
        Bucket::Overdue
    } else if date == today {
        Bucket::Today
    } else {
        Bucket::Upcoming
    }
}

/// A local wall-clock time in `tz` as a UTC moment: the earlier one when the
/// clock goes back (ambiguous), and the first moment after the gap when it goes
/// forward (that wall time does not exist).
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return t.with_timezone(&Utc);
    }
    // In a gap: try later wall times, minute by minute (gaps are at most a few hours).
    let mut probe = local;
    for _ in 0..(24 * 60) {
        probe += Duration::minutes(1);
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&local)
}

/// The date one step after `date`.
pub fn next_date(date: NaiveDate, recurrence: Recurrence) -> NaiveDate {
    match recurrence {
        Recurrence::Daily => date + Duration::days(1),
        Recurrence::Weekly => date + Duration::days(7),
        Recurrence::Weekdays => {
            let mut d = date + Duration::days(1);
            while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                d += Duration::days(1);
            }
            d
        }
        Recurrence::Monthly => next_month_on(date, date.day()),
    }
}

/// The `day` of the month after `date`'s, or that month's last day when shorter
/// (the 31st → Feb 28/29).
pub fn next_month_on(date: NaiveDate, day: u32) -> NaiveDate {
    let first = date.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).unwrap_or(date);
    let last =
        first.checked_add_months(Months::new(1)).map(|d| d - Duration::days(1)).map_or(28, |d| d.day());
    first.with_day(day.clamp(1, last)).unwrap_or(first)
}

/// The local date of a due value in `tz` (a date-only value is already a date).
pub fn due_local_date(due: DateTime<Utc>, has_time: bool, tz: Tz) -> NaiveDate {
    if has_time {
        due.with_timezone(&tz).date_naive()
    } else {
        due.date_naive()
    }
}

/// The due moment of the next occurrence of a recurring task. A timed task keeps
/// its local wall-clock time in `tz` (the assignee's or creator's zone); a
/// date-only task moves by calendar date.
/// A monthly series returns to `day` of the month when given.
pub fn next_due(
    due: DateTime<Utc>,
    has_time: bool,
    recurrence: Recurrence,
    tz: Tz,
    day: Option<u32>,
) -> DateTime<Utc> {
    let step = |date: NaiveDate| match (recurrence, day) {
        (Recurrence::Monthly, Some(day)) => next_month_on(date, day),
        _ => next_date(date, recurrence),
    };
    if !has_time {
        let date = step(due.date_naive());
        return Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN));
    }
    let local = due.with_timezone(&tz).naive_local();
    local_to_utc(step(local.date()).and_time(local.time()), tz)
}

/// A task title: trimmed, 1..=300 characters, no control characters.
pub fn title(raw: &str) -> Result<String, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty");
    }
    if t.chars().count() > 300 || t.chars().any(char::is_control) {
        return Err("must be at most 300 characters, without control characters");
    }
    Ok(t.to_string())
}

/// A description: at most 10 000 characters.
pub fn description(raw: &str) -> Result<String, &'static str> {
    let d = raw.trim_end();
    if d.chars().count() > 10_000 {
        return Err("must be at most 10000 characters");
    }
    Ok(d.to_string())
}

/// A due value: an RFC 3339 moment ("2026-11-24T11:00:00+03:00", with time) or a
/// date ("2026-11-24", date only). Returns `(due_at, has_time)`.
pub fn parse_due(raw: &str) -> Result<(DateTime<Utc>, bool), &'static str> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok((t.with_timezone(&Utc), true));
    }
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok((Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)), false));
    }
    Err("must be an RFC 3339 date-time (2026-11-24T11:00:00+03:00) or a date (2026-11-24)")
}

/// The time zone by IANA name, UTC when unknown.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("unambiguous local time").with_timezone(&Utc)
    }

    #[test]
    fn weekdays_skip_the_weekend() {
        let tz: Tz = "Europe/Moscow".parse().expect("known zone");
        // Friday 2026-11-27 11:00 Moscow → Monday 2026-11-30 11:00 Moscow.
        let next = next_due(at(tz, 2026, 11, 27, 11, 0), true, Recurrence::Weekdays, tz, None);
        assert_eq!(next, at(tz, 2026, 11, 30, 11, 0));
    }

    #[test]
    fn monthly_clamps_to_month_end() {
        let tz: Tz = "UTC".parse().expect("known zone");
        let monthly = |t, day| next_due(t, true, Recurrence::Monthly, tz, day);
        assert_eq!(monthly(at(tz, 2027, 1, 31, 9, 0), None), at(tz, 2027, 2, 28, 9, 0));
        assert_eq!(monthly(at(tz, 2028, 1, 31, 9, 0), Some(31)), at(tz, 2028, 2, 29, 9, 0));
        // The series comes back to the 31st after February.
        assert_eq!(monthly(at(tz, 2027, 2, 28, 9, 0), Some(31)), at(tz, 2027, 3, 31, 9, 0));
        assert_eq!(monthly(at(tz, 2027, 3, 31, 9, 0), Some(31)), at(tz, 2027, 4, 30, 9, 0));
        assert_eq!(monthly(at(tz, 2027, 12, 15, 9, 0), Some(15)), at(tz, 2028, 1, 15, 9, 0));
    }

    #[test]
    fn daily_keeps_local_time_across_dst() {
        let tz: Tz = "Europe/Berlin".parse().expect("known zone");
        // DST ends on 2026-10-25: 09:00 stays 09:00 local (08:00 → 09:00 UTC... shifts by an hour).
        let next = next_due(at(tz, 2026, 10, 24, 9, 0), true, Recurrence::Daily, tz, None);
        assert_eq!(next, at(tz, 2026, 10, 25, 9, 0));
        assert_eq!(next - at(tz, 2026, 10, 24, 9, 0), Duration::hours(25));
        // Into a gap (02:30 does not exist on 2026-03-29): the first moment after it.
        let next = next_due(at(tz, 2026, 3, 28, 2, 30), true, Recurrence::Daily, tz, None);
        assert_eq!(next, at(tz, 2026, 3, 29, 3, 0));
    }

    #[test]
    fn due_values_parse() {
        assert!(!parse_due("2026-11-24").expect("date").1);
        assert!(parse_due("2026-11-24T11:00:00+03:00").expect("moment").1);
        assert!(parse_due("tomorrow").is_err());
        assert!(parse_due("2026-02-30").is_err());
    }

    #[test]
    fn buckets_follow_the_viewer_zone() {
        let tz: Tz = "Asia/Vladivostok".parse().expect("known zone");
        let now = at(tz, 2026, 11, 23, 23, 0);
        let mut task = Task {
            id: Uuid::nil(),
            workspace_id: Uuid::nil(),
            title: "t".into(),
            description: String::new(),
            creator_id: Uuid::nil(),
            assignees: vec![],
            due_at: Some(at(tz, 2026, 11, 23, 23, 30)),
            due_has_time: true,
            priority: TaskPriority::Normal,
            status: TaskStatus::Open,
            kind: TaskKind::Other,
            entity: None,
            parent_id: None,
            recurrence: None,
            recurrence_day: None,
            version: 1,
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        assert_eq!(bucket(&task, now, tz), Bucket::Today);
        task.due_at = Some(at(tz, 2026, 11, 24, 0, 30));
        assert_eq!(bucket(&task, now, tz), Bucket::Upcoming);
        task.due_at = Some(at(tz, 2026, 11, 23, 22, 0));
        assert_eq!(bucket(&task, now, tz), Bucket::Overdue);
    }
}
