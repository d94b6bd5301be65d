//! What follows a change of rights: a role change or a narrower deal visibility
//! takes people out of the record chats they lost, and tells their open sockets
//! to re-read their rights, so nothing already open keeps the old ones.

use artel_core::crm::deal::DealVisibility;
use artel_core::event::{Audience, Envelope, Ephemeral};
use artel_core::user::User;
use artel_core::Result;

use crate::crm::record_chat;
use crate::state::AppState;

/// After `user`'s role changed (by `by`).
pub async fn role_changed(state: &AppState, by: &User, user: &User) -> Result<()> {
    announce(state, user.workspace_id, Audience::Users { user_ids: vec![user.id] }).await;
    record_chat::prune_for_user(state, by, user).await
}

/// After the workspace's deal visibility went from `from` to `to`.
pub async fn visibility_changed(
    state: &AppState,
    by: &User,
    from: DealVisibility,
    to: DealVisibility,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    announce(state, by.workspace_id, Audience::Workspace).await;
    if to == DealVisibility::Own {
        record_chat::prune_workspace(state, by).await?;
    }
    Ok(())
}

async fn announce(state: &AppState, workspace: uuid::Uuid, audience: Audience) {
    let envelope = Envelope::ephemeral(workspace, audience, Ephemeral::AccessChanged);
    if let Err(e) = state.bus.publish(&envelope).await {
        // The change itself is committed; a socket that misses this keeps its
        // old view of boards until it reconnects.
        tracing::warn!(error = %e, "could not announce a change of rights");
    }
}
