//! Where a command runs: who typed it, in which chat, and the record that chat
//! belongs to (the default target of `/move`, `/task`, `/assign`, …).

use artel_core::chat::{Chat, ChatId};
use artel_core::commands::CommandName;
use artel_core::crm::deal::Deal;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::user::User;
use artel_core::{permissions, Error, Result};

use crate::crm::deals;
use crate::http::chats::load_chat;
use crate::state::AppState;

pub struct Ctx {
    pub user: User,
    pub chat: Chat,
}

impl Ctx {
    /// The chat must be one the user may post in: commands are typed like messages.
    pub async fn load(state: &AppState, user: &User, chat_id: ChatId) -> Result<Ctx> {
        let (chat, member) = load_chat(state, user, chat_id).await?;
        permissions::can_post(&chat, member.as_ref())?;
        Ok(Ctx { user: user.clone(), chat })
    }

    /// `load` for a typed line. `/undo` is also taken in the chat where the
    /// command it reverts was typed, when that command itself took the issuer
    /// out (`/assign` away from oneself) or archived the chat (`/move won`):
    /// the command's own effect must not stand in the way of undoing it.
    pub async fn load_for_line(state: &AppState, user: &User, chat_id: ChatId, line: &str) -> Result<Ctx> {
        let refused = match Self::load(state, user, chat_id).await {
            Ok(ctx) => return Ok(ctx),
            Err(
                e
                @ (Error::NotFound(_) | Error::Forbidden(_) | Error::Conflict { code: "chat_archived", .. }),
            ) => e,
            Err(e) => return Err(e),
        };
        let word = line.trim_start_matches('/').split_whitespace().next().unwrap_or("");
        if CommandName::lookup(word) != Some(CommandName::Undo) {
            return Err(refused);
        }
        let since = state.clock.now() - crate::commands::undo_window();
        match state.store.last_undoable_command(user.workspace_id, user.id, since).await? {
            Some(run) if run.chat_id == chat_id => {
                let chat = state.store.get_chat(user.workspace_id, chat_id).await?;
                Ok(Ctx { user: user.clone(), chat })
            }
            _ => Err(refused),
        }
    }

    /// Whether the user may post in the chat now (a result message is posted
    /// only then: an undo may run where the issuer can no longer write).
    pub async fn may_post(&self, state: &AppState) -> Result<bool> {
        let chat = state.store.get_chat(self.user.workspace_id, self.chat.id).await?;
        let member = state.store.get_member(self.user.workspace_id, self.chat.id, self.user.id).await?;
        Ok(permissions::can_post(&chat, member.as_ref()).is_ok())
    }

    pub fn entity(&self) -> Option<EntityRef> {
        self.chat.entity
    }

    /// The chat's deal, when it is a deal's chat and the user may see the deal.
    pub async fn deal(&self, state: &AppState) -> Result<Option<Deal>> {
        match self.chat.entity {
            Some(EntityRef { kind: EntityKind::Deal, id }) => {
                match deals::visible(state, &self.user, id).await {
                    Ok((deal, _)) => Ok(Some(deal)),
                    Err(Error::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            _ => Ok(None),
        }
    }
}
