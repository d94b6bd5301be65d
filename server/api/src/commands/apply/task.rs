//! `/task` and `/remind`: a task through the task service (history, reminders,
//! the deal chat's notice), plus a card in the chat where it was typed.

use artel_core::commands::remind::RemindCommand;
use artel_core::commands::task::TaskCommand;
use artel_core::commands::{CommandName, Now, When};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::task::{Task, TaskKind, TaskPriority};
use artel_core::markdown::escape as md;
use artel_core::user::Language;
use chrono::{NaiveTime, SecondsFormat};
use serde_json::json;

use crate::commands::apply::say;
use crate::commands::reply::CommandFailure;
use crate::commands::undo::Undo;
use crate::commands::{resolve, Applied, Ctx, Outcome};
use crate::crm::{tasks, texts};
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
    let due = c.due.map(|w| show(w, now, ctx.user.language));
    let text = card(ctx, &task, &who, due.as_deref());
    // The deal's chat already heard of it from the task service.
    let told = deal_chat == Some(ctx.chat.id);
    let post = if told { None } else { Some(tasks::created_notice(state, &ctx.user, &task).await?) };
    Ok(Applied {
        post,
        told,
        text,
        data: json!({ "task": TaskDto::from(&task) }),
        undo: Some(Undo::CancelTask { task_id: task.id, version: task.version }),
    })
}

pub async fn remind(state: &AppState, ctx: &Ctx, c: RemindCommand, now: Now) -> Outcome {
    let at = c.when.moment(now.tz, morning());
    if at <= now.at {
        let shown = show(c.when, now, ctx.user.language);
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
    let shown = show(When::At(at), now, ctx.user.language);
    let text = say(
        &ctx.user,
        format!("I will remind you «{}» at {shown}", md(&task.title)),
        format!("Напомню «{}» {shown}", md(&task.title)),
    );
    // A reminder is personal: nothing is posted for the others.
    Ok(Applied {
        post: None,
        told: false,
        text,
        data: json!({ "task": TaskDto::from(&task) }),
        undo: Some(Undo::CancelTask { task_id: task.id, version: task.version }),
    })
}

/// "24 ноября 2026, 11:00": in the issuer's language and zone, for the issuer.
fn show(w: When, now: Now, lang: Language) -> String {
    let ru = lang == Language::Ru;
    match w {
        When::Date(d) => texts::day(d, ru),
        When::At(t) => texts::local_moment(t, now.tz, ru),
    }
}

fn names(users: &[artel_core::user::User]) -> String {
    users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// The issuer's own answer (never posted): what was set, in their zone.
fn card(ctx: &Ctx, task: &Task, who: &str, due: Option<&str>) -> String {
    let u = &ctx.user;
    let (title, who) = (md(&task.title), md(who));
    let mut en = format!("📋 Task “{title}” set for {who}");
    let mut ru = format!("📋 Задача «{title}», исполнитель — {who}");
    if let Some(d) = due {
        en.push_str(&format!(", due {d}"));
        ru.push_str(&format!(", срок — {d}"));
    }
    if task.priority != TaskPriority::Normal {
        en.push_str(&format!(", {} priority", task.priority));
        ru.push_str(&format!(", приоритет — {}", texts::priority_ru(task.priority)));
    }
    say(u, en, ru)
}

/// The chat of the task's deal, if it has one.
pub async fn deal_chat_of(state: &AppState, task: &Task) -> Option<uuid::Uuid> {
    let Some(EntityRef { kind: EntityKind::Deal, id }) = task.entity else { return None };
    state.store.get_deal(task.workspace_id, id).await.ok().and_then(|d| d.chat_id)
}
