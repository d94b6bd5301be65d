//! Undo: each changing command stores how to revert it. `/undo` (or
//! `POST /commands/{id}/undo`) reverts the issuer's last command within five
//! minutes, based on the version the command left: if someone changed the
//! record since, the undo is refused (409) rather than overwrite their change.

use artel_core::commands::CommandName;
use artel_core::crm::client::{Company, Contact};
use artel_core::crm::deal::DealPatch;
use artel_core::crm::entity::EntityKind;
use artel_core::crm::task::TaskStatus;
use artel_core::ports::commands::CommandRun;
use artel_core::user::User;
use artel_core::{Error, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::commands::apply::say;
use crate::commands::reply::CommandFailure;
use crate::commands::{undo_window, Applied, Ctx, Outcome};
use crate::crm::clients::{self, ClientPatch, ClientRecord};
use crate::crm::{deals, tasks};
use crate::state::AppState;
use artel_core::notice::Notice;

/// How to revert one command.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Undo {
    /// `/task`, `/remind`: cancel the task.
    CancelTask { task_id: Uuid, version: i64 },
    /// `/deal`: archive the deal.
    ArchiveDeal { deal_id: Uuid, version: i64 },
    /// `/move`: back to the stage it came from.
    MoveDeal { deal_id: Uuid, version: i64, stage_id: Uuid },
    /// `/assign` on a deal: the previous owner and participants (a new owner
    /// who was a participant stops being one, so both changed). Runs stored
    /// before participants were kept have none and restore the owner only.
    DealOwner {
        deal_id: Uuid,
        version: i64,
        owner_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        participants: Option<Vec<Uuid>>,
    },
    /// `/assign` on a task: the previous assignees.
    TaskAssignees { task_id: Uuid, version: i64, assignees: Vec<Uuid> },
    /// `/assign` on a contact or company: the previous owner, unless the owner
    /// was changed again since (clients carry no version; the owner is all the
    /// undo writes, so it is all it checks).
    ClientOwner { kind: EntityKind, id: Uuid, owner_id: Uuid, previous: Option<Uuid> },
    /// `/done`: reopen, and cancel the next occurrence it spawned.
    Reopen { task_id: Uuid, version: i64, next_task: Option<(Uuid, i64)> },
}

/// `/undo`: the issuer's latest undoable command.
pub async fn last(state: &AppState, ctx: &Ctx) -> Outcome {
    let u = &ctx.user;
    let since = state.clock.now() - undo_window();
    let run = state
        .store
        .last_undoable_command(u.workspace_id, u.id, since)
        .await
        .map_err(|e| CommandFailure::plain(e.into()))?
        .ok_or_else(|| {
            CommandFailure::coded(
                "nothing_to_undo",
                say(
                    u,
                    "nothing to undo: no command of yours in the last 5 minutes".into(),
                    "нечего отменять: за последние 5 минут вы не выполняли команд".into(),
                ),
                CommandName::Undo,
                u.language,
            )
        })?;
    revert(state, u, &run).await
}

/// A run of `user` by id, still undoable (404 for others' runs, 409 when
/// too late or already undone).
pub async fn find(state: &AppState, user: &User, id: Uuid) -> Result<CommandRun, CommandFailure> {
    let run = match state.store.get_command(user.workspace_id, id).await {
        Ok(r) if r.user_id == user.id => r,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(Error::NotFound("command").into()),
        Err(e) => return Err(CommandFailure::plain(e.into())),
    };
    if run.undone_at.is_some() {
        return Err(Error::conflict("already_undone", "this command was already undone").into());
    }
    if run.undo.is_none() || run.finished_at.is_none() {
        return Err(Error::conflict("not_undoable", "this command changed nothing that can be undone").into());
    }
    if run.created_at < state.clock.now() - undo_window() {
        return Err(Error::conflict("undo_expired", "commands can be undone within 5 minutes").into());
    }
    Ok(run)
}

/// Reverts a run: marks it undone first (so two undos cannot both revert),
/// and clears the mark again when the revert is refused.
pub async fn revert(state: &AppState, user: &User, run: &CommandRun) -> Outcome {
    let undo: Undo = run
        .undo
        .clone()
        .ok_or_else(|| CommandFailure::plain(Error::conflict("not_undoable", "nothing to undo")))
        .and_then(|v| {
            serde_json::from_value(v).map_err(|e| CommandFailure::plain(Error::Internal(e.to_string())))
        })?;
    let now = state.clock.now();
    if !state
        .store
        .mark_command_undone(user.workspace_id, run.id, now)
        .await
        .map_err(|e| CommandFailure::plain(e.into()))?
    {
        return Err(Error::conflict("already_undone", "this command was already undone").into());
    }
    match apply(state, user, &undo).await {
        Ok(data) => {
            let line: String = run.line.chars().take(80).collect();
            let text = say(user, format!("↩️ Undone: /{line}"), format!("↩️ Отменено: /{line}"));
            // Whoever saw the command's notice sees it undone.
            let shared = run.outcome.as_ref().is_some_and(|o| !o["message"].is_null() || o["shared"] == true);
            let post = shared.then_some(Notice::CommandUndone { line });
            Ok(Applied { post, told: false, text, data, undo: None })
        }
        Err(e) => {
            if let Err(e) = state.store.unmark_command_undone(user.workspace_id, run.id).await {
                tracing::warn!(error = %e, "could not clear an undo mark");
            }
            Err(match e {
                Error::Conflict { code: "stale_version", .. } => Error::conflict(
                    "changed_since",
                    "the record was changed after the command; undo refused so that change is kept",
                ),
                other => other,
            }
            .into())
        }
    }
}

async fn apply(state: &AppState, user: &User, undo: &Undo) -> artel_core::Result<serde_json::Value> {
    match undo {
        Undo::CancelTask { task_id, version } => {
            let patch =
                tasks::TaskPatch { status: Some(TaskStatus::Cancelled), ..tasks::TaskPatch::default() };
            let (task, _) = tasks::update(state, user, *task_id, *version, patch).await?;
            Ok(json!({ "task_id": task.id, "status": task.status }))
        }
        Undo::ArchiveDeal { deal_id, version } => {
            let deal = deals::set_archived(state, user, *deal_id, *version, true).await?;
            Ok(json!({ "deal_id": deal.id, "archived_at": deal.archived_at }))
        }
        Undo::MoveDeal { deal_id, version, stage_id } => {
            let deal = deals::move_to(state, user, *deal_id, *version, *stage_id, None).await?;
            Ok(json!({ "deal_id": deal.id, "stage_id": deal.stage_id }))
        }
        Undo::DealOwner { deal_id, version, owner_id, participants } => {
            let patch = DealPatch {
                owner_id: Some(*owner_id),
                participants: participants.clone(),
                ..DealPatch::default()
            };
            let deal = deals::update(state, user, *deal_id, *version, patch).await?;
            Ok(json!({ "deal_id": deal.id, "owner_id": deal.owner_id }))
        }
        Undo::TaskAssignees { task_id, version, assignees } => {
            let patch =
                tasks::TaskPatch { assignees: Some(assignees.clone()), ..tasks::TaskPatch::default() };
            let (task, _) = tasks::update(state, user, *task_id, *version, patch).await?;
            Ok(json!({ "task_id": task.id, "assignees": task.assignees }))
        }
        Undo::ClientOwner { kind, id, owner_id, previous } => match kind {
            EntityKind::Contact => client_owner::<Contact>(state, user, *id, *owner_id, *previous).await,
            EntityKind::Company => client_owner::<Company>(state, user, *id, *owner_id, *previous).await,
            other => Err(Error::Internal(format!("a client owner undo for a {other}"))),
        },
        Undo::Reopen { task_id, version, next_task } => {
            let task = tasks::reopen(state, user, *task_id, *version).await?;
            if let Some((next, next_version)) = next_task {
                let patch =
                    tasks::TaskPatch { status: Some(TaskStatus::Cancelled), ..tasks::TaskPatch::default() };
                tasks::update(state, user, *next, *next_version, patch).await?;
            }
            Ok(json!({ "task_id": task.id, "status": task.status }))
        }
    }
}

/// Puts a client's previous owner back if the owner is still the one the
/// command set.
async fn client_owner<T: ClientRecord>(
    state: &AppState,
    user: &User,
    id: Uuid,
    set: Uuid,
    previous: Option<Uuid>,
) -> artel_core::Result<serde_json::Value> {
    let current: T = clients::get(state, user, id).await?;
    if current.fields().owner_id != Some(set) {
        return Err(Error::conflict("stale_version", "the owner was changed since"));
    }
    let patch = ClientPatch { owner_id: Some(previous), ..ClientPatch::default() };
    let after = clients::update::<T>(state, user, id, patch).await?.record;
    Ok(json!({ "id": after.id(), "kind": T::KIND, "owner_id": after.fields().owner_id }))
}
