//! `/done`: completes the chat's task, or the issuer's open task of the chat's
//! record (the one whose title fits the text, when given).

use artel_core::commands::done::DoneCommand;
use artel_core::commands::CommandName;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::task::{Task, TaskStatus};
use artel_core::markdown::escape as md;
use artel_core::notice::Notice;
use artel_core::ports::tasks::TaskFilter;
use serde_json::json;

use crate::commands::apply::say;
use crate::commands::apply::task::deal_chat_of;
use crate::commands::reply::CommandFailure;
use crate::commands::undo::Undo;
use crate::commands::{resolve, Applied, Ctx, Outcome};
use crate::crm::{tasks, texts};
use crate::http::tasks::TaskDto;
use crate::state::AppState;

/// Open tasks looked at when picking one by its text.
const CANDIDATES: i64 = 200;

pub async fn run(state: &AppState, ctx: &Ctx, c: DoneCommand) -> Outcome {
    let task = target(state, ctx, c.text.as_deref()).await?;
    let (done, next) = tasks::complete(state, &ctx.user, task.id, task.version).await?;
    let u = &ctx.user;
    let mut text = say(
        u,
        format!("✅ Task “{}” done", md(&done.title)),
        format!("✅ Задача «{}» выполнена", md(&done.title)),
    );
    if let Some(n) = &next {
        if let Some(due) = n.due_at {
            let tz = artel_core::crm::task::zone(&u.time_zone);
            text.push_str(&say(
                u,
                format!("; the next one is due {}", texts::local_moment(due, tz, false)),
                format!(", следующая — {}", texts::local_moment(due, tz, true)),
            ));
        }
    }
    let deal_chat = deal_chat_of(state, &done).await;
    let told = deal_chat == Some(ctx.chat.id);
    let notice = Notice::TaskCompleted {
        task_id: done.id,
        title: done.title.clone(),
        next_due_at: next.as_ref().and_then(|n| n.due_at),
    };
    Ok(Applied {
        post: (!told).then_some(notice),
        told,
        text,
        data: json!({ "task": TaskDto::from(&done), "next_task": next.as_ref().map(TaskDto::from) }),
        undo: Some(Undo::Reopen {
            task_id: done.id,
            version: done.version,
            next_task: next.map(|n| (n.id, n.version)),
        }),
    })
}

async fn target(state: &AppState, ctx: &Ctx, text: Option<&str>) -> Result<Task, CommandFailure> {
    let u = &ctx.user;
    let lang = u.language;
    if let Some(EntityRef { kind: EntityKind::Task, id }) = ctx.entity() {
        if text.is_none() {
            return Ok(tasks::visible(state, u, id).await?);
        }
    }
    let entity = ctx.entity().filter(|e| e.kind != EntityKind::Task);
    if entity.is_none() && text.is_none() {
        return Err(CommandFailure::coded(
            "which_task",
            say(
                u,
                "which task? Write /done <task text>".into(),
                "какую задачу? Напишите /готово <текст задачи>".into(),
            ),
            CommandName::Done,
            lang,
        ));
    }
    let filter = TaskFilter {
        assignee: Some(u.id),
        entity,
        statuses: vec![TaskStatus::Open, TaskStatus::InProgress],
        limit: CANDIDATES,
        ..TaskFilter::default()
    };
    let open =
        state.store.list_tasks(u.workspace_id, &filter).await.map_err(|e| CommandFailure::plain(e.into()))?;
    let found: Vec<&Task> = match text {
        Some(t) => resolve::best(&open, t, |task| vec![task.title.clone()]),
        None => open.iter().collect(),
    };
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(CommandFailure::coded(
            "unknown_task",
            say(u, "you have no such open task here".into(), "у вас нет такой открытой задачи".into()),
            CommandName::Done,
            lang,
        )),
        many => {
            let titles: Vec<String> = many.iter().take(5).map(|t| format!("«{}»", t.title)).collect();
            Err(CommandFailure::coded(
                "ambiguous_task",
                say(
                    u,
                    format!("which one: {}? Write /done <task text>", titles.join(", ")),
                    format!("какую из задач: {}? Напишите /готово <текст задачи>", titles.join(", ")),
                ),
                CommandName::Done,
                lang,
            ))
        }
    }
}
