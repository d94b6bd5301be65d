//! `/task` and `/remind`: a task through the task service (history, reminders,
//! the deal chat's notice), plus a card in the chat where it was typed.

use artel_core::commands::remind::RemindCommand;
use artel_core::commands::task::TaskCommand;
use artel_core::commands::{when, CommandName, Now, When};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::task::{Task, TaskKind, TaskPriority};
use artel_core::markdown::escape as md;
use chrono::{NaiveTime, SecondsFormat};
use serde_json::json;

use crate::commands::apply::say;
use crate::commands::reply::CommandFailure;
use crate::commands::undo::Undo;
use crate::commands::{resolve, Applied, Ctx, Outcome};
use crate::crm::tasks;
use crate::http::tasks::TaskDto;
use crate::state::AppState;

/// A date-only reminder rings at this local time.
fn morning() -> NaiveTime {
    NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN)
}

fn due_text(when: When) -> String {
    match when {
        When::Date(d) => d.format("%Y-%m-%d").to_string(),
        When::At(t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

/// The record a task typed in this chat belongs to; in a task's chat, the new
/// task is its subtask.
fn link(ctx: &Ctx) -> (Option<EntityRef>, Option<uuid::Uuid>) {
    match ctx.entity() {
        Some(EntityRef { kind: EntityKind::Task, id }) => (None, Some(id)),
        other => (other, None),
    }
}

pub async fn run(state: &AppState, ctx: &Ctx, c: TaskCommand, now: Now) -> Outcome {
    let mut assignees = Vec::new();
    for who in &c.assignees {
        let user = resolve::person(state, &ctx.user, who, CommandName::Task).await?;
        if !assignees.iter().any(|u: &artel_core::user::User| u.id == user.id) {
            assignees.push(user);
        }
    }
    let (entity, parent_id) = link(ctx);
    let input = tasks::NewTask {
        title: c.title,
        description: None,
        assignees: (!assignees.is_empty()).then(|| assignees.iter().map(|u| u.id).collect()),
        due: c.due.map(due_text),
        priority: c.priority,
        kind: None,
        entity,
        parent_id,
        recurrence: None,
        reminders: Vec::new(),
    };
    let task = tasks::create(state, &ctx.user, input).await?;
    let deal_chat = deal_chat_of(state, &task).await;
    let who = if assignees.is_empty() { ctx.user.name.clone() } else { names(&assignees) };
    let due = c.due.map(|w| show(w, now));
    let text = card(ctx, &task, &who, due.as_deref());
    Ok(Applied {
        // The deal's chat already heard of it from the task service.
        post: (deal_chat != Some(ctx.chat.id)).then(|| text.clone()),
        text,
        data: json!({ "task": TaskDto::from(&task) }),
        undo: Some(Undo::CancelTask { task_id: task.id, version: task.version }),
    })
}

pub async fn remind(state: &AppState, ctx: &Ctx, c: RemindCommand, now: Now) -> Outcome {
    let at = c.when.moment(now.tz, morning());
    if at <= now.at {
        let shown = show(c.when, now);
        return Err(CommandFailure::coded(
            "time_passed",
            say(&ctx.user, format!("{shown} has already passed"), format!("{shown} уже прошло")),
            CommandName::Remind,
            ctx.user.language,
        ));
    }
    // Personal: not linked to the chat's record, so nobody else is told.
    let input = tasks::NewTask {
        title: c.text,
        description: None,
        assignees: Some(vec![ctx.user.id]),
        due: Some(due_text(When::At(at))),
        priority: Some(TaskPriority::Normal),
        kind: Some(TaskKind::Reminder),
        entity: None,
        parent_id: None,
        recurrence: None,
        reminders: vec![at],
    };
    let task = tasks::create(state, &ctx.user, input).await?;
    let shown = show(When::At(at), now);
    let text = say(
        &ctx.user,
        format!("I will remind you «{}» at {shown}", md(&task.title)),
        format!("Напомню «{}» {shown}", md(&task.title)),
    );
    // A reminder is personal: nothing is posted for the others.
    Ok(Applied {
        post: None,
        text,
        data: json!({ "task": TaskDto::from(&task) }),
        undo: Some(Undo::CancelTask { task_id: task.id, version: task.version }),
    })
}

/// "24.11.2026 11:00 (Europe/Moscow)" — the issuer's zone, said, since the
/// card is read in other zones too.
fn show(w: When, now: Now) -> String {
    match w {
        When::Date(_) => when::show(w, now.tz),
        When::At(_) => format!("{} ({})", when::show(w, now.tz), now.tz.name()),
    }
}

fn names(users: &[artel_core::user::User]) -> String {
    users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn card(ctx: &Ctx, task: &Task, who: &str, due: Option<&str>) -> String {
    let u = &ctx.user;
    let (name, title, who) = (md(&u.name), md(&task.title), md(who));
    let mut en = format!("📋 {name} created the task «{title}» for {who}");
    let mut ru = format!("📋 {name} поставил(а) задачу «{title}», исполнитель: {who}");
    if let Some(d) = due {
        en.push_str(&format!(", due {d}"));
        ru.push_str(&format!(", срок {d}"));
    }
    if task.priority != TaskPriority::Normal {
        en.push_str(&format!(", priority {}", task.priority));
        ru.push_str(&format!(", приоритет {}", priority_ru(task.priority)));
    }
    say(u, en, ru)
}

pub fn priority_ru(p: TaskPriority) -> &'static str {
    match p {
        TaskPriority::Low => "низкий",
        TaskPriority::Normal => "обычный",
        TaskPriority::High => "высокий",
        TaskPriority::Urgent => "срочно",
    }
}

/// The chat of the task's deal, if it has one.
pub async fn deal_chat_of(state: &AppState, task: &Task) -> Option<uuid::Uuid> {
    let Some(EntityRef { kind: EntityKind::Deal, id }) = task.entity else { return None };
    state.store.get_deal(task.workspace_id, id).await.ok().and_then(|d| d.chat_id)
}
