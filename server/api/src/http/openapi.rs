//! The OpenAPI document's frame: title, version, security scheme, server prefix.
//! Paths and schemas are collected from the handlers' `#[utoipa::path]`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Artel API", description = "Team messenger with a CRM inside. All paths are under /api/v1."),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    tags(
        (name = "system", description = "Health and readiness"),
        (name = "setup", description = "First-run setup"),
        (name = "auth", description = "Sign-in, tokens, sign-out"),
        (name = "me", description = "The signed-in user"),
        (name = "users", description = "People of the workspace"),
        (name = "invites", description = "Invitations"),
        (name = "chats", description = "Channels, groups, direct chats and their members"),
        (name = "messages", description = "Messages, threads, reactions, pins, the chat event log"),
        (name = "attachments", description = "Files: upload into a chat, send with a message, download"),
        (name = "realtime", description = "The WebSocket"),
        (name = "workspace", description = "Workspace settings"),
        (name = "crm", description = "Pipelines, stages, deals, their history"),
        (name = "tasks", description = "Tasks: my tasks by due date, subtasks, recurrence, reminders, history"),
        (name = "clients", description = "Contacts and companies: duplicates, history, CSV import and export"),
        (name = "commands", description = "Slash-commands: the list, autocomplete, undo (run one by sending it as a message)"),
        (name = "search", description = "Search over messages and CRM records, permission-filtered"),
        (name = "push", description = "Web Push: the VAPID key, my subscriptions, notification settings, chat mutes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
            ),
        );
    }
}
