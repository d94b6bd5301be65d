//! A record's chat (deal, task, contact, company) is open exactly to those who
//! may read the record. Membership is what every chat read and every live event
//! checks, so the rule is kept by changing membership when rights change —
//! people unassigned from a task, taken off a deal, demoted, or a workspace
//! narrowing deal visibility to "own" leave the chats of records they lost —
//! rather than by re-reading the record on every read and every delivered event,
//! which would put CRM reads on the messaging hot path.

use artel_core::chat::Chat;
use artel_core::crm::deal::DealVisibility;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::task::Task;
use artel_core::ports::tasks::TaskFilter;
use artel_core::user::{Role, User};
use artel_core::{Result, StoreError};

use crate::state::AppState;

/// Whether `user` may read the record now.
async fn can_read(
    state: &AppState,
    user: &User,
    entity: EntityRef,
    visibility: DealVisibility,
) -> Result<bool> {
    let ws = user.workspace_id;
    Ok(match entity.kind {
        EntityKind::Deal => match state.store.get_deal(ws, entity.id).await {
            Ok(deal) => deal.visible_to(user, visibility),
            Err(StoreError::NotFound(_)) => false,
            Err(e) => return Err(e.into()),
        },
        EntityKind::Task => match state.store.get_task(ws, entity.id).await {
            Ok(task) => crate::crm::tasks::can_see(state, user, &task).await?,
            Err(StoreError::NotFound(_)) => false,
            Err(e) => return Err(e.into()),
        },
        // Every member reads clients; guests none.
        EntityKind::Contact | EntityKind::Company => user.role != Role::Guest,
    })
}

/// Removes `members` (of a record's chat) who may no longer read its record.
/// Deactivated people are left alone: they read nothing while deactivated.
async fn prune_people(state: &AppState, by: &User, chat: &Chat, members: &[uuid::Uuid]) -> Result<()> {
    let Some(entity) = chat.entity else { return Ok(()) };
    let ws = chat.workspace_id;
    let visibility = state.store.get_workspace(ws).await?.settings.deal_visibility;
    let mut events = Vec::new();
    for id in members {
        let user = match state.store.get_user(ws, *id).await {
            Ok(u) => u,
            Err(StoreError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        if user.is_active() && !can_read(state, &user, entity, visibility).await? {
            events.extend(
                state.store.remove_member(ws, chat.id, user.id, Some(by.id), state.clock.now()).await?,
            );
        }
    }
    state.committer.publish(events);
    Ok(())
}

/// Removes everyone from a record's chat who may no longer read the record.
pub async fn prune(state: &AppState, by: &User, chat: &Chat) -> Result<()> {
    let members: Vec<uuid::Uuid> =
        state.store.list_members(chat.workspace_id, chat.id).await?.iter().map(|m| m.user_id).collect();
    prune_people(state, by, chat, &members).await
}

/// After `user`'s role changed: takes them out of the record chats they lost.
pub async fn prune_for_user(state: &AppState, by: &User, user: &User) -> Result<()> {
    for chat_id in state.store.member_chat_ids(user.workspace_id, user.id).await? {
        let chat = state.store.get_chat(user.workspace_id, chat_id).await?;
        if chat.entity.is_some() {
            prune_people(state, by, &chat, &[user.id]).await?;
        }
    }
    Ok(())
}

/// After the workspace narrowed deal visibility: only members' rights depend on
/// it (admins see every deal, guests only their own either way).
pub async fn prune_workspace(state: &AppState, by: &User) -> Result<()> {
    for user in state.store.list_users(by.workspace_id).await? {
        if user.role == Role::Member && user.is_active() {
            prune_for_user(state, by, &user).await?;
        }
    }
    Ok(())
}

/// A task's chat after the task changed: new assignees join (as on a deal's
/// chat), people who lost the task leave.
pub async fn task_changed(state: &AppState, by: &User, before: &Task, after: &Task) -> Result<()> {
    let ws = after.workspace_id;
    let entity = EntityRef { kind: EntityKind::Task, id: after.id };
    let Some(chat_id) = state.store.chat_for_entity(ws, entity).await? else { return Ok(()) };
    let now = state.clock.now();
    let mut events = Vec::new();
    for user in &after.assignees {
        if !before.assignees.contains(user) {
            let role = artel_core::chat::MemberRole::Member;
            events.extend(state.store.add_member(ws, chat_id, *user, role, Some(by.id), now).await?);
        }
    }
    state.committer.publish(events);
    if before.assignees != after.assignees || before.entity != after.entity {
        let chat = state.store.get_chat(ws, chat_id).await?;
        prune(state, by, &chat).await?;
    }
    Ok(())
}

/// After a deal's people changed: its tasks' chats lose those who saw a task only
/// through the deal.
pub async fn deal_people_changed(
    state: &AppState,
    by: &User,
    deal: &artel_core::crm::deal::Deal,
) -> Result<()> {
    let filter = TaskFilter { deals: vec![deal.id], limit: 0, ..TaskFilter::default() };
    for task in state.store.list_tasks(deal.workspace_id, &filter).await? {
        let entity = EntityRef { kind: EntityKind::Task, id: task.id };
        if let Some(chat_id) = state.store.chat_for_entity(deal.workspace_id, entity).await? {
            let chat = state.store.get_chat(deal.workspace_id, chat_id).await?;
            prune(state, by, &chat).await?;
        }
    }
    Ok(())
}
