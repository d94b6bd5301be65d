//! Who may do what to whom inside a workspace. Least access by default: every
//! function answers "no" unless a rule says "yes".

use crate::error::{Error, Result};
use crate::user::{Role, User};

/// Creating and revoking invites; an invite may not grant more than the inviter has.
pub fn can_invite(actor: &User, role: Role) -> Result<()> {
    if !actor.role.is_admin() {
        return Err(Error::forbidden("only admins can invite people"));
    }
    if role == Role::Owner && actor.role != Role::Owner {
        return Err(Error::forbidden("only an owner can invite another owner"));
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
        }
    }

    #[test]
    fn members_and_guests_cannot_invite() {
        assert!(can_invite(&user(Role::Member), Role::Guest).is_err());
        assert!(can_invite(&user(Role::Guest), Role::Guest).is_err());
        assert!(can_invite(&user(Role::Admin), Role::Admin).is_ok());
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
