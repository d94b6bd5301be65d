//! Bot users and their API tokens. A bot is an ordinary user row flagged `bot`, so
//! chat membership, permissions and history treat it like a person; what differs is
//! how it signs in: with a long-lived API token limited to a few scopes, revocable
//! at any time, instead of a password and a session.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::user::{Role, User, UserId};
use crate::validate;
use crate::workspace::WorkspaceId;

/// Bots get e-mails in a reserved domain (RFC 2606 `.invalid`): the column stays
/// unique and non-null, and no mail can ever reach such an address.
pub const BOT_EMAIL_DOMAIN: &str = "bots.artel.invalid";

/// Most live tokens one bot may hold; rotating means revoking old ones.
pub const MAX_TOKENS_PER_BOT: usize = 20;

/// What a token may do. Every request a token makes must fall under one of its
/// scopes; anything not listed (admin endpoints, sessions, invites, bots) is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    /// Read chats the bot is a member of: lists, history, threads, members.
    #[serde(rename = "messages:read")]
    MessagesRead,
    /// Post, edit and delete its own messages, react, mark read.
    #[serde(rename = "messages:write")]
    MessagesWrite,
    /// Run slash-commands (a message starting with `/`), autocomplete, undo.
    #[serde(rename = "commands:run")]
    CommandsRun,
    /// Read deals, contacts, companies, tasks, pipelines and boards.
    #[serde(rename = "crm:read")]
    CrmRead,
    /// Create and change deals, contacts, companies and tasks.
    #[serde(rename = "crm:write")]
    CrmWrite,
}

impl Scope {
    pub const ALL: [Scope; 5] =
        [Scope::MessagesRead, Scope::MessagesWrite, Scope::CommandsRun, Scope::CrmRead, Scope::CrmWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::MessagesRead => "messages:read",
            Scope::MessagesWrite => "messages:write",
            Scope::CommandsRun => "commands:run",
            Scope::CrmRead => "crm:read",
            Scope::CrmWrite => "crm:write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| format!("unknown scope {s:?}"))
    }
}

/// An API token as stored: only the hash of the secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub name: String,
    pub token_hash: String,
    pub scopes: Vec<Scope>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    pub fn is_live(&self) -> bool {
        self.revoked_at.is_none()
    }

    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// Scopes as asked for: at least one, no repeats, in a stable order.
pub fn scopes(raw: &[Scope]) -> Result<Vec<Scope>> {
    if raw.is_empty() {
        return Err(Error::invalid("scopes", "name at least one scope"));
    }
    Ok(Scope::ALL.into_iter().filter(|s| raw.contains(s)).collect())
}

/// A bot's role: a member or a guest. Bots never administer a workspace: a leaked
/// token must not be able to invite people or change roles.
pub fn role(raw: Option<Role>) -> Result<Role> {
    match raw.unwrap_or(Role::Member) {
        r @ (Role::Member | Role::Guest) => Ok(r),
        _ => Err(Error::invalid("role", "a bot can be a member or a guest")),
    }
}

/// Creating bots and their tokens: admins (and owners) only, never a bot itself.
pub fn can_manage_bots(actor: &User) -> Result<()> {
    if actor.bot || !actor.role.is_admin() {
        return Err(Error::forbidden("only admins can manage bots"));
    }
    Ok(())
}

/// A new bot user: no usable password (the hash is not a PHC string, so every
/// password check fails), a reserved e-mail, the workspace's language.
pub fn new_bot_user(
    workspace: WorkspaceId,
    name: &str,
    role: Role,
    time_zone: &str,
    language: crate::user::Language,
    now: DateTime<Utc>,
) -> Result<User> {
    let name = validate::display_name("name", name)?;
    let id = Uuid::now_v7();
    Ok(User {
        id,
        workspace_id: workspace,
        email: format!("bot-{}@{BOT_EMAIL_DOMAIN}", id.simple()),
        name,
        role,
        time_zone: time_zone.to_string(),
        language,
        password_hash: "!bot".to_string(),
        created_at: now,
        updated_at: now,
        deactivated_at: None,
        bot: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_deduplicated_and_ordered() {
        let got = scopes(&[Scope::CrmWrite, Scope::MessagesRead, Scope::CrmWrite]).expect("valid");
        assert_eq!(got, vec![Scope::MessagesRead, Scope::CrmWrite]);
        assert!(scopes(&[]).is_err());
    }

    #[test]
    fn scope_names_round_trip() {
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).expect("json"), format!("\"{}\"", s.as_str()));
        }
        assert!("admin".parse::<Scope>().is_err());
    }

    #[test]
    fn bots_are_never_admins() {
        assert_eq!(role(None).expect("default"), Role::Member);
        assert_eq!(role(Some(Role::Guest)).expect("guest"), Role::Guest);
        assert!(role(Some(Role::Admin)).is_err());
        assert!(role(Some(Role::Owner)).is_err());
    }
}
