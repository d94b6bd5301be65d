//! Discussion chats of contacts, companies and tasks, created on demand (deals get
//! theirs at creation). The first person to open it and the record's people (a
//! client's owner; a task's creator and assignees) are its members; anyone who may
//! see the record can join later.

use artel_core::chat::{Chat, ChatKind, ChatMember, MemberRole};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::event::{Audience, Envelope, Ephemeral};
use artel_core::user::{Role, User};
use artel_core::{Error, Result, StoreError};
use uuid::Uuid;

use crate::state::AppState;

/// The record's chat, creating it when it has none; the caller becomes a member.
/// Returns the chat and whether it was created now.
pub async fn open(state: &AppState, actor: &User, entity: EntityRef) -> Result<(Chat, bool)> {
    let ws = actor.workspace_id;
    let (title, people_of_record) = match entity.kind {
        EntityKind::Deal => {
            let (deal, _) = crate::crm::deals::visible(state, actor, entity.id).await?;
            let chat = deal.chat_id.ok_or(Error::NotFound("chat"))?;
            // Whoever may see the deal may join its discussion.
            if state.store.get_member(ws, chat, actor.id).await?.is_none() {
                let now = state.clock.now();
                let event = state
                    .store
                    .add_member(ws, chat, actor.id, MemberRole::Member, Some(actor.id), now)
                    .await?;
                state.committer.publish(event.into_iter().collect());
            }
            return Ok((state.store.get_chat(ws, chat).await?, false));
        }
        EntityKind::Contact | EntityKind::Company if actor.role == Role::Guest => {
            return Err(Error::forbidden("guests cannot open client chats"));
        }
        EntityKind::Contact => {
            let c = state.store.get_contact(ws, entity.id).await.map_err(|_| Error::NotFound("contact"))?;
            (c.name, c.owner_id.into_iter().collect::<Vec<_>>())
        }
        EntityKind::Company => {
            let c = state.store.get_company(ws, entity.id).await.map_err(|_| Error::NotFound("company"))?;
            (c.name, c.owner_id.into_iter().collect())
        }
        EntityKind::Task => {
            // Whoever may see the task (creator, assignees, and members who see
            // its deal) may discuss it; creator and assignees are in from the start.
            let t = crate::crm::tasks::visible(state, actor, entity.id).await?;
            let mut people = vec![t.creator_id];
            people.extend(t.assignees.iter().copied());
            (t.title, people)
        }
    };
    let now = state.clock.now();
    if let Some(id) = state.store.chat_for_entity(ws, entity).await? {
        let chat = state.store.get_chat(ws, id).await?;
        if state.store.get_member(ws, id, actor.id).await?.is_none() {
            let event =
                state.store.add_member(ws, id, actor.id, MemberRole::Member, Some(actor.id), now).await?;
            state.committer.publish(event.into_iter().collect());
        }
        return Ok((chat, false));
    }
    let chat = Chat {
        id: Uuid::now_v7(),
        workspace_id: ws,
        kind: ChatKind::Group,
        name: Some(title),
        description: String::new(),
        is_private: true,
        direct_key: None,
        entity: Some(entity),
        created_by: actor.id,
        created_at: now,
        updated_at: now,
        archived_at: None,
        last_seq: 0,
        last_activity_at: now,
    };
    let mut people = vec![actor.id];
    for p in people_of_record {
        if !people.contains(&p) {
            people.push(p);
        }
    }
    let members: Vec<ChatMember> = people
        .iter()
        .map(|&user_id| ChatMember {
            chat_id: chat.id,
            user_id,
            role: if user_id == actor.id { MemberRole::Owner } else { MemberRole::Member },
            joined_at: now,
            last_read_seq: 0,
        })
        .collect();
    match state.store.create_chat(&chat, &members).await {
        Ok(event) => {
            for user in people {
                let envelope = Envelope::ephemeral(
                    ws,
                    Audience::Users { user_ids: vec![user] },
                    Ephemeral::JoinedChat { chat_id: chat.id, user_id: user },
                );
                let _ = state.bus.publish(&envelope).await;
            }
            state.committer.publish(vec![event]);
            Ok((state.store.get_chat(ws, chat.id).await?, true))
        }
        // Someone opened it at the same moment: use theirs.
        Err(StoreError::Conflict(_)) => {
            let id = state.store.chat_for_entity(ws, entity).await?.ok_or(Error::NotFound("chat"))?;
            Box::pin(open(state, actor, entity)).await.or(Ok((state.store.get_chat(ws, id).await?, false)))
        }
        Err(e) => Err(e.into()),
    }
}
