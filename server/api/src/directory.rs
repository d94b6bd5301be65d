//! Whom a user may know of: everyone in the workspace, except that guests know
//! only the people they share a chat with. Every directory-like answer (people
//! completion, presence, person look-ups in commands) filters through here.

use std::collections::BTreeSet;

use artel_core::user::{Role, User};
use artel_core::Result;
use uuid::Uuid;

use crate::state::AppState;

/// The people `user` may see: `None` is everyone in the workspace.
pub async fn known_people(state: &AppState, user: &User) -> Result<Option<BTreeSet<Uuid>>> {
    if user.role != Role::Guest {
        return Ok(None);
    }
    let mut known = BTreeSet::from([user.id]);
    // A guest is in a handful of chats, so one read per chat is cheap.
    for chat in state.store.member_chat_ids(user.workspace_id, user.id).await? {
        known.extend(state.store.list_members(user.workspace_id, chat).await?.into_iter().map(|m| m.user_id));
    }
    Ok(Some(known))
}

/// Whether `known` (from `known_people`) lets its owner see `id`.
pub fn knows(known: &Option<BTreeSet<Uuid>>, id: Uuid) -> bool {
    known.as_ref().is_none_or(|k| k.contains(&id))
}
