//! The chat of a deal: created with the deal (members: owner and participants),
//! kept in step with them, archived when the deal is won or lost and reopened
//! when it moves back to an open stage.

use artel_core::chat::{Chat, ChatKind, ChatMember, ChatPatch, MemberRole};
use artel_core::crm::deal::Deal;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::event::{Audience, Envelope, Ephemeral};
use artel_core::user::User;
use artel_core::{Error, Result};
use uuid::Uuid;

use crate::state::AppState;

/// Creates the deal's chat; returns its id.
pub async fn create(state: &AppState, actor: &User, deal: &Deal) -> Result<Uuid> {
    let now = state.clock.now();
    let chat = Chat {
        id: Uuid::now_v7(),
        workspace_id: deal.workspace_id,
        kind: ChatKind::Group,
        name: Some(deal.title.clone()),
        description: String::new(),
        is_private: true,
        direct_key: None,
        entity: Some(EntityRef { kind: EntityKind::Deal, id: deal.id }),
        created_by: actor.id,
        created_at: now,
        updated_at: now,
        archived_at: None,
        last_seq: 0,
        last_activity_at: now,
    };
    let members: Vec<ChatMember> = deal
        .people()
        .into_iter()
        .map(|user_id| ChatMember {
            chat_id: chat.id,
            user_id,
            role: if user_id == deal.owner_id { MemberRole::Owner } else { MemberRole::Member },
            joined_at: now,
            last_read_seq: 0,
        })
        .collect();
    let event = state.store.create_chat(&chat, &members).await?;
    for m in &members {
        let envelope = Envelope::ephemeral(
            chat.workspace_id,
            Audience::Users { user_ids: vec![m.user_id] },
            Ephemeral::JoinedChat { chat_id: chat.id, user_id: m.user_id },
        );
        if let Err(e) = state.bus.publish(&envelope).await {
            tracing::warn!(error = %e, "could not announce a deal chat");
        }
    }
    state.committer.publish(vec![event]);
    Ok(chat.id)
}

/// Brings the chat's members, name and archive state in line with the deal.
pub async fn sync(state: &AppState, actor: &User, before: &Deal, after: &Deal, closed: bool) -> Result<()> {
    let Some(chat_id) = after.chat_id else { return Ok(()) };
    let ws = after.workspace_id;
    let now = state.clock.now();
    let mut events = Vec::new();
    for user in after.people() {
        if !before.involves(user) {
            let role = if user == after.owner_id { MemberRole::Owner } else { MemberRole::Member };
            events.extend(state.store.add_member(ws, chat_id, user, role, Some(actor.id), now).await?);
        }
    }
    for user in before.people() {
        // People who were on the deal and no longer are leave its chat, unless
        // they are still on it in another capacity.
        if !after.involves(user) {
            events.extend(state.store.remove_member(ws, chat_id, user, Some(actor.id), now).await?);
        }
    }
    let chat = state.store.get_chat(ws, chat_id).await?;
    let rename = (chat.name.as_deref() != Some(after.title.as_str())).then(|| after.title.clone());
    let archive = match (closed || after.archived_at.is_some(), chat.archived_at.is_some()) {
        (true, false) => Some(Some(now)),
        (false, true) => Some(None),
        _ => None,
    };
    if rename.is_some() || archive.is_some() {
        let patch = ChatPatch { name: rename, description: None, archived_at: archive };
        let (_, event) = state.store.update_chat(ws, chat_id, &patch, now).await?;
        events.push(event);
    }
    state.committer.publish(events);
    Ok(())
}

/// A deal's chat is archived exactly while its deal is won, lost or archived, so
/// `archived` may be set on it only to that state (reopening the chat of a won
/// deal would leave a closed deal with a live chat). Other chats take either.
pub async fn check_archive_change(state: &AppState, chat: &Chat, archived: bool) -> Result<()> {
    let Some(EntityRef { kind: EntityKind::Deal, id }) = chat.entity else { return Ok(()) };
    let deal = state.store.get_deal(chat.workspace_id, id).await?;
    let closed = deal.closed_at.is_some() || deal.archived_at.is_some();
    if archived == closed {
        return Ok(());
    }
    let message = if closed {
        "the deal is closed: its chat reopens when the deal moves back to an open stage"
    } else {
        "a deal's chat is archived when the deal is won, lost or archived"
    };
    Err(Error::conflict("chat_follows_deal", message))
}
