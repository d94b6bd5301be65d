//! The OpenAPI document's frame: title, version, security scheme, server prefix.
//! Paths and schemas are collected from the handlers' `#[utoipa::path]`; the
//! WebSocket frames, which no path names, are listed here as components.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Artel API", description = "Team messenger with a CRM inside. All paths are under /api/v1."),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crate::ws::frames::ClientFrame,
        crate::ws::frames::ServerFrame,
    )),
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

/// The answers any operation can give besides its own, stated once rather than
/// on every handler (so the document cannot forget one): a bad path or query
/// parameter (400, 422), a body that is not JSON (400), of the wrong type (415),
/// too big (413) or of the wrong shape (422), a missing or expired token (401), a
/// caller without the right (403), and a database that is briefly unreachable
/// (503, retry after `Retry-After`).
/// Applied to the finished document (`http::api`), after the routes added their paths.
pub struct CommonErrors;

/// The statuses added to an operation, by what it takes.
fn common_statuses(
    has_params: bool,
    has_body: bool,
    secured: bool,
    uses_db: bool,
) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if has_params || has_body {
        out.push(("400", "ErrorBadRequest"));
        out.push(("422", "ErrorInvalid"));
    }
    if has_body {
        out.push(("413", "ErrorTooLarge"));
        out.push(("415", "ErrorMediaType"));
    }
    if secured {
        out.push(("401", "ErrorUnauthorized"));
        // Every signed-in route can refuse someone: a guest, a member without the
        // right, a bot token whose scopes or route allow-list leave it out.
        out.push(("403", "ErrorForbidden"));
    }
    if uses_db {
        out.push(("503", "ErrorUnavailable"));
    }
    out
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let body =
            || ContentBuilder::new().schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))).build();
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, description) in [
            ("ErrorBadRequest", "Malformed request: a body that is not JSON, or a path parameter of the wrong form"),
            ("ErrorInvalid", "Well-formed but invalid input; `field` names the offending field or parameter"),
            ("ErrorTooLarge", "The body is larger than the server accepts"),
            ("ErrorMediaType", "The body's content type is not the one this operation takes"),
            ("ErrorUnauthorized", "No token, or an expired or revoked one"),
            ("ErrorForbidden", "Not allowed for this user's role, this record, or this bot token's scopes"),
            ("ErrorUnavailable", "The database is briefly unreachable: retry after `Retry-After` seconds (sends with the same `client_msg_id`)"),
        ] {
            components
                .responses
                .insert(name.to_owned(), RefOr::T(ResponseBuilder::new().description(description).content("application/json", body()).build()));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let uses_db = path != "/health";
            let shared_params = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                let has_params = shared_params || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let statuses = common_statuses(has_params, op.request_body.is_some(), secured, uses_db);
                for (status, response) in statuses {
                    op.responses.responses.entry(status.to_owned()).or_insert_with(|| {
                        RefOr::Ref(Ref::new(format!("#/components/responses/{response}")))
                    });
                }
            }
        }
    }
}
