//! Where a command runs: who typed it, in which chat, and the record that chat
//! belongs to (the default target of `/move`, `/task`, `/assign`, …).

use artel_core::chat::{Chat, ChatId};
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
