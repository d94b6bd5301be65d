//! Bot API tokens: `Authorization: Bearer artel_bot_…`. A token acts as its bot user
//! with that user's permissions, and only on the routes its scopes open. The route
//! table below is an allow-list: a route not named here is closed to every token,
//! so a new endpoint is never reachable by bots until someone decides it should be.

use std::sync::Arc;

use artel_core::bot::{ApiToken, Scope};
use artel_core::{Error, StoreError};
use axum::http::Method;
use chrono::Duration;

use crate::auth::tokens::{hash_token, plausible};
use crate::auth::AuthUser;
use crate::state::AppState;

/// Every bot token starts with this, so it is recognised without a lookup (and
/// secret scanners can find leaked ones).
pub const PREFIX: &str = "artel_bot";

/// `last_used_at` is written at most this often per token.
const TOUCH_EVERY_SECS: i64 = 60;

pub fn is_bot_token(token: &str) -> bool {
    token.starts_with("artel_bot_")
}

/// What a bot needs to call a route: `None` means bots may not call it at all;
/// `Some(None)` any live token; `Some(Some(scope))` a token with that scope.
pub fn route_scope(method: &Method, path: &str) -> Option<Option<Scope>> {
    use Scope::*;
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let m = method.as_str();
    let scope = match (m, path) {
        ("GET", "/me" | "/users" | "/users/{id}") => None,

        ("GET", "/chats" | "/chats/{id}" | "/chats/{id}/events" | "/chats/{id}/members")
        | ("GET", "/chats/{id}/messages" | "/chats/{id}/pins" | "/attachments/{id}")
        | ("GET", "/chats/{id}/files")
        | ("GET", "/messages/{id}/edits" | "/messages/{id}/thread" | "/messages/{id}/read-by") => {
            Some(MessagesRead)
        }

        ("POST", "/chats/{id}/messages" | "/chats/{id}/attachments" | "/chats/{id}/read")
        | ("POST", "/chats/{id}/join" | "/chats/{id}/leave")
        | ("PATCH" | "DELETE", "/messages/{id}")
        | ("PUT" | "DELETE", "/messages/{id}/reactions/{emoji}" | "/messages/{id}/pin") => {
            Some(MessagesWrite)
        }

        ("GET", "/commands" | "/commands/complete") | ("POST", "/commands/{id}/undo") => Some(CommandsRun),

        ("GET", "/pipelines" | "/pipelines/{id}" | "/pipelines/{id}/board" | "/custom-fields")
        | ("GET", "/deals" | "/deals/{id}" | "/deals/{id}/history" | "/deals/{id}/timeline")
        | ("GET", "/contacts" | "/contacts/{id}" | "/contacts/{id}/history" | "/contacts/{id}/timeline")
        | (
            "GET",
            "/companies" | "/companies/{id}" | "/companies/{id}/history" | "/companies/{id}/timeline",
        )
        | ("GET", "/tasks" | "/tasks/mine" | "/tasks/{id}" | "/tasks/{id}/subtasks")
        | ("GET", "/tasks/{id}/history" | "/tasks/{id}/timeline")
        | ("POST", "/contacts/duplicates" | "/companies/duplicates") => Some(CrmRead),

        ("POST", "/deals" | "/contacts" | "/companies" | "/tasks" | "/chats/entity")
        | ("PATCH", "/deals/{id}" | "/contacts/{id}" | "/companies/{id}" | "/tasks/{id}")
        | ("POST", "/deals/{id}/move" | "/deals/{id}/archive" | "/deals/{id}/restore")
        | ("POST", "/contacts/{id}/archive" | "/contacts/{id}/restore")
        | ("POST", "/companies/{id}/archive" | "/companies/{id}/restore")
        | ("POST", "/tasks/{id}/complete" | "/tasks/{id}/reopen") => Some(CrmWrite),

        _ => return None,
    };
    Some(scope)
}

/// Authenticates a bot token for a request to `method` + `route` (the matched
/// route template). Unknown, revoked and deactivated all answer 401 alike; a live
/// token on a route its scopes do not open answers 403 naming the missing scope.
pub async fn authenticate(
    state: &AppState,
    token: &str,
    method: &Method,
    route: Option<&str>,
) -> Result<AuthUser, Error> {
    let invalid = || Error::unauthorized("invalid_token", "the API token is invalid or revoked");
    if !plausible(token) {
        return Err(invalid());
    }
    let found = match state.store.find_api_token(&hash_token(token)).await {
        Ok(t) => t,
        Err(StoreError::NotFound(_)) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    };
    if !found.is_live() {
        return Err(invalid());
    }
    let user = match state.store.get_user(found.workspace_id, found.user_id).await {
        Ok(u) => u,
        Err(StoreError::NotFound(_)) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    };
    if !user.bot {
        return Err(invalid());
    }
    if !user.is_active() {
        return Err(Error::unauthorized("account_deactivated", "this bot has been deactivated"));
    }
    match route.and_then(|r| route_scope(method, r)) {
        None => return Err(Error::forbidden("API tokens cannot use this endpoint")),
        Some(Some(scope)) if !found.allows(scope) => {
            return Err(Error::forbidden(format!("this API token lacks the {scope} scope")));
        }
        Some(_) => {}
    }
    let now = state.clock.now();
    if let Err(e) =
        state.store.touch_api_token(found.id, now, now - Duration::seconds(TOUCH_EVERY_SECS)).await
    {
        // Bookkeeping only: the request itself goes on.
        tracing::warn!(token = %found.id, error = %e, "could not record API token use");
    }
    Ok(AuthUser { user, session_id: found.id, token: Some(Arc::new(found)) })
}

/// For handlers whose need depends on the body (a message that is a command):
/// people pass; a token must hold `scope`.
pub fn require(auth: &AuthUser, scope: Scope) -> Result<(), Error> {
    match &auth.token {
        Some(t) if !t.allows(scope) => {
            Err(Error::forbidden(format!("this API token lacks the {scope} scope")))
        }
        _ => Ok(()),
    }
}

/// The token's public shape (never the secret).
pub fn describe(t: &ApiToken) -> crate::http::bots::ApiTokenDto {
    crate::http::bots::ApiTokenDto {
        id: t.id,
        bot_id: t.user_id,
        name: t.name.clone(),
        scopes: t.scopes.clone(),
        created_by: t.created_by,
        created_at: t.created_at,
        last_used_at: t.last_used_at,
        revoked_at: t.revoked_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_routes_are_closed_to_tokens() {
        for (m, p) in [
            (Method::POST, "/api/v1/invites"),
            (Method::PATCH, "/api/v1/users/{id}"),
            (Method::POST, "/api/v1/users/{id}/deactivate"),
            (Method::GET, "/api/v1/me/sessions"),
            (Method::POST, "/api/v1/auth/logout"),
            (Method::GET, "/api/v1/webhooks"),
            (Method::GET, "/api/v1/bots"),
            (Method::POST, "/api/v1/bots/{id}/tokens"),
            (Method::DELETE, "/api/v1/deals/{id}"),
            (Method::PATCH, "/api/v1/workspace"),
            (Method::GET, "/api/v1/ws"),
        ] {
            assert_eq!(route_scope(&m, p), None, "{m} {p}");
        }
    }

    #[test]
    fn scopes_open_their_routes() {
        assert_eq!(route_scope(&Method::GET, "/api/v1/me"), Some(None));
        assert_eq!(
            route_scope(&Method::POST, "/api/v1/chats/{id}/messages"),
            Some(Some(Scope::MessagesWrite))
        );
        assert_eq!(route_scope(&Method::GET, "/api/v1/chats/{id}/messages"), Some(Some(Scope::MessagesRead)));
        assert_eq!(route_scope(&Method::POST, "/api/v1/deals/{id}/move"), Some(Some(Scope::CrmWrite)));
        assert_eq!(route_scope(&Method::GET, "/api/v1/deals"), Some(Some(Scope::CrmRead)));
        assert_eq!(route_scope(&Method::GET, "/api/v1/commands/complete"), Some(Some(Scope::CommandsRun)));
    }
}
