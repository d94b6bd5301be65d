//! Who may do what to whom inside a workspace. Least access by default: every
//! function answers "no" unless a rule says "yes".

use crate::chat::{Chat, ChatKind, ChatMember, MemberRole};
use crate::error::{Error, Result};
use crate::user::{Role, User};

/// Creating and revoking invites: an invite grants at most what the inviter could
/// grant by changing a role (`can_change_role`), or an invite would be a way round it.
/// Checked again when the invite is redeemed, against the inviter as they are then.
pub fn can_invite(actor: &User, role: Role) -> Result<()> {
    if !actor.role.is_admin() || !actor.is_active() {
        return Err(Error::forbidden("only admins can invite people"));
    }
    if actor.role != Role::Owner && role.rank() >= actor.role.rank() {
        return Err(Error::forbidden("only an owner can invite admins and owners"));
    }
    Ok(())
}

/// Seeing pending invites of the workspace.
pub fn can_manage_invites(actor: &User) -> Result<()> {
    if actor.role.is_admin() {
        Ok(())
    } else {
        Err(Error::forbidden("only admins can manage invites"))
    }
}

/// Managing another user (role change, deactivation): an admin acts on members and
/// guests, an owner on anyone; nobody on themselves, so a workspace can never lose
/// its last owner by accident.
pub fn can_manage_user(actor: &User, target: &User) -> Result<()> {
    if !actor.role.is_admin() {
        return Err(Error::forbidden("only admins can manage users"));
    }
    if actor.id == target.id {
        return Err(Error::forbidden("you cannot change your own role or deactivate yourself"));
    }
    if actor.role != Role::Owner && target.role.rank() >= actor.role.rank() {
        return Err(Error::forbidden("only an owner can manage admins and owners"));
    }
    Ok(())
}

/// Changing `target`'s role to `new_role`.
pub fn can_change_role(actor: &User, target: &User, new_role: Role) -> Result<()> {
    can_manage_user(actor, target)?;
    if target.bot && new_role.is_admin() {
        return Err(Error::forbidden("a bot can be a member or a guest"));
    }
    if actor.role != Role::Owner && new_role.rank() >= actor.role.rank() {
        return Err(Error::forbidden("only an owner can grant admin or owner"));
    }
    Ok(())
}

/// Guests see only the people they share chats with; for now that is nobody but
/// themselves, so the directory is closed to them.
pub fn can_list_users(actor: &User) -> Result<()> {
    if actor.role == Role::Guest {
        Err(Error::forbidden("guests cannot list the workspace's users"))
    } else {
        Ok(())
    }
}

// ---- Chats -------------------------------------------------------------------

/// Reading a chat (its messages, members, events): members only. Public channels
/// are visible to non-guest users for browsing, but their content is read after
/// joining, so a removed member stops seeing it at once.
pub fn can_read_chat(member: Option<&ChatMember>) -> Result<()> {
    if member.is_some() {
        Ok(())
    } else {
        Err(Error::forbidden("you are not a member of this chat"))
    }
}

/// Posting: members, while the chat is not archived.
pub fn can_post(chat: &Chat, member: Option<&ChatMember>) -> Result<()> {
    can_read_chat(member)?;
    if chat.is_archived() {
        return Err(archived());
    }
    Ok(())
}

/// Joining by oneself: public channels, for everyone but guests.
pub fn can_join(actor: &User, chat: &Chat) -> Result<()> {
    if chat.kind != ChatKind::Channel || chat.is_private {
        return Err(Error::forbidden("only public channels can be joined; ask a member to add you"));
    }
    if actor.role == Role::Guest {
        return Err(Error::forbidden("guests join chats only when invited"));
    }
    if chat.is_archived() {
        return Err(archived());
    }
    Ok(())
}

/// Every write that meets an archived chat (REST, socket, hooks, bots) gets this
/// one answer: 409 `chat_archived`, not a permission error (unarchiving it helps).
pub fn archived() -> Error {
    Error::conflict("chat_archived", "this chat is archived")
}

/// Whether a non-member may see that the chat exists (name, description).
pub fn can_see_chat(actor: &User, chat: &Chat, member: Option<&ChatMember>) -> bool {
    member.is_some() || (chat.kind == ChatKind::Channel && !chat.is_private && actor.role != Role::Guest)
}

/// Renaming, archiving, adding and removing members, pinning: chat owners and
/// admins, and workspace admins. Direct chats have no managers.
pub fn can_manage_chat(actor: &User, chat: &Chat, member: Option<&ChatMember>) -> Result<()> {
    if chat.kind == ChatKind::Direct {
        return Err(Error::forbidden("direct chats cannot be changed"));
    }
    let chat_admin = member.is_some_and(|m| m.role.is_admin());
    // Workspace admins manage public channels and any chat they are in.
    let public = chat.kind == ChatKind::Channel && !chat.is_private;
    let workspace_admin = actor.role.is_admin() && (member.is_some() || public);
    if chat_admin || workspace_admin {
        Ok(())
    } else {
        Err(Error::forbidden("only the chat's owners and admins can change it"))
    }
}

/// Giving someone `role` in a chat (adding them with it) or removing a member who
/// holds `role`: chat owners and workspace admins act on anyone; a chat admin
/// only on plain members, so nobody takes over or empties a chat above their rank.
pub fn can_act_on_chat_role(
    actor: &User,
    chat: &Chat,
    member: Option<&ChatMember>,
    role: MemberRole,
) -> Result<()> {
    can_manage_chat(actor, chat, member)?;
    let chat_owner = member.is_some_and(|m| m.role == MemberRole::Owner);
    if chat_owner || actor.role.is_admin() || role == MemberRole::Member {
        Ok(())
    } else {
        Err(Error::forbidden("only the chat's owners can make or remove its owners and admins"))
    }
}

/// Adding people to a chat: any member of a group or channel may add (like Slack);
/// guests may not add anyone. Direct chats are fixed.
pub fn can_add_members(actor: &User, chat: &Chat, member: Option<&ChatMember>) -> Result<()> {
    if chat.kind == ChatKind::Direct {
        return Err(Error::forbidden("direct chats have exactly two members"));
    }
    if actor.role == Role::Guest {
        return Err(Error::forbidden("guests cannot add people to chats"));
    }
    can_post(chat, member)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::Language;
    use chrono::Utc;
    use uuid::Uuid;

    fn user(role: Role) -> User {
        User {
            id: Uuid::now_v7(),
            workspace_id: Uuid::nil(),
            email: format!("{role}@example.com"),
            name: role.to_string(),
            role,
            time_zone: "UTC".into(),
            language: Language::En,
            password_hash: String::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            deactivated_at: None,
            bot: false,
        }
    }

    #[test]
    fn members_and_guests_cannot_invite() {
        assert!(can_invite(&user(Role::Member), Role::Guest).is_err());
        assert!(can_invite(&user(Role::Guest), Role::Guest).is_err());
        assert!(can_invite(&user(Role::Admin), Role::Member).is_ok());
        assert!(can_invite(&user(Role::Admin), Role::Admin).is_err());
        assert!(can_invite(&user(Role::Admin), Role::Owner).is_err());
        assert!(can_invite(&user(Role::Owner), Role::Owner).is_ok());
    }

    #[test]
    fn admins_manage_only_lower_roles() {
        let admin = user(Role::Admin);
        assert!(can_change_role(&admin, &user(Role::Member), Role::Guest).is_ok());
        assert!(can_change_role(&admin, &user(Role::Member), Role::Admin).is_err());
        assert!(can_change_role(&admin, &user(Role::Admin), Role::Member).is_err());
        assert!(can_change_role(&admin, &user(Role::Owner), Role::Member).is_err());
        assert!(can_change_role(&admin, &admin, Role::Member).is_err());
    }

    #[test]
    fn owners_manage_everyone_but_themselves() {
        let owner = user(Role::Owner);
        assert!(can_change_role(&owner, &user(Role::Owner), Role::Member).is_ok());
        assert!(can_change_role(&owner, &user(Role::Member), Role::Owner).is_ok());
        assert!(can_change_role(&owner, &owner, Role::Member).is_err());
    }
}
