//! Notices in record chats, and the chats kept in step with their records
//! (members, name, archive state). A notice is posted under a key made of the
//! event id and what it tells (`client_msg_id`), so a second run finds the first
//! notice instead of posting another; the chat updates bring the chat to the
//! record's state and so are idempotent by nature.

use artel_core::crm::entity::EntityKind;
use artel_core::domain_event::{Change, DomainEvent};
use artel_core::notice::Notice;

use artel_core::crm::deal::Deal;
use artel_core::StoreError;

use crate::automation::jobs::JobError;
use crate::crm::{deal_chat, deals, record_chat, tasks};
use crate::events::became_done;
use crate::messaging::system;
use crate::state::AppState;

/// The key of the notice `what` of `event`.
pub fn key(event: &DomainEvent, what: &str) -> String {
    format!("ev:{}:{what}", event.id)
}

pub async fn on(state: &AppState, event: &DomainEvent) -> Result<(), JobError> {
    let actor = super::actor(state, event).await?;
    let actor = &actor;
    match &event.change {
        Change::DealCreated { deal, stage } => {
            if let Some(chat) = deal.chat_id {
                let notice = deals::created_notice(state, actor, deal, &stage.name).await?;
                system::post_keyed(state, actor, chat, notice, Some(key(event, "created"))).await?;
            }
            // Created straight into a won or lost stage: its chat starts archived.
            if deal.closed_at.is_some() {
                if let Some(now) = current_deal(state, deal).await? {
                    deal_chat::sync(state, actor, deal, &now, now.closed_at.is_some()).await?;
                }
            }
        }
        Change::DealUpdated { before, after, moved, .. } => {
            if let Some(chat) = after.chat_id {
                if let Some(moved) = moved {
                    let (from, to) = &**moved;
                    let notice = deals::moved_notice(after, from, to);
                    system::post_keyed(state, actor, chat, notice, Some(key(event, "moved"))).await?;
                }
                if before.owner_id != after.owner_id {
                    let owner = state.store.get_user(after.workspace_id, after.owner_id).await?;
                    let notice = Notice::OwnerChanged {
                        record: EntityKind::Deal,
                        record_id: after.id,
                        title: after.title.clone(),
                        owner_id: owner.id,
                        owner_name: owner.name,
                    };
                    system::post_keyed(state, actor, chat, notice, Some(key(event, "owner"))).await?;
                }
                if let Some(now) = current_deal(state, after).await? {
                    deal_chat::sync(state, actor, before, &now, now.closed_at.is_some()).await?;
                }
                let archived = after.archived_at.is_some();
                if before.archived_at.is_some() != archived {
                    let notice =
                        Notice::DealArchived { deal_id: after.id, title: after.title.clone(), archived };
                    system::post_keyed(state, actor, chat, notice, Some(key(event, "archived"))).await?;
                }
            }
            if before.people() != after.people() {
                if let Some(now) = current_deal(state, after).await? {
                    record_chat::deal_people_changed(state, actor, &now).await?;
                }
            }
        }
        Change::TaskCreated { task } => {
            tasks::tell_deal(state, actor, task, None, key(event, "created")).await?;
        }
        Change::TaskUpdated { before, after, next_due_at } => {
            match state.store.get_task(after.workspace_id, after.id).await {
                Ok(now) => record_chat::task_changed(state, actor, before, &now).await?,
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
            if became_done(before, after) {
                tasks::tell_deal(state, actor, after, Some(*next_due_at), key(event, "done")).await?;
            }
        }
    }
    Ok(())
}

/// The deal as it is now. Chats are brought to the record's current state, not
/// to the event's: a job run late (after a retry) must not undo a later change.
async fn current_deal(state: &AppState, deal: &Deal) -> Result<Option<Deal>, JobError> {
    match state.store.get_deal(deal.workspace_id, deal.id).await {
        Ok(d) => Ok(Some(d)),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
