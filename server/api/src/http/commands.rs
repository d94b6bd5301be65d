//! Slash-commands over REST: the list with usage (for `/help` and pickers),
//! autocomplete while typing, and undo of a command's result. Running one is
//! sending it as a message (`POST /chats/{id}/messages` with a body starting
//! with `/`), handled here too.

use artel_core::commands::CommandName;
use artel_core::Error;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::commands::complete::{self, CommandInfo, Suggestion};
use crate::commands::{self, undo, CommandFailure, CommandResultDto, Ctx};
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::messaging::send::{validate_client_msg_id, SendInput};
use crate::messaging::wire::MessageDto;
use crate::state::AppState;

/// What `POST /chats/{id}/messages` answers with 200: a retried message, or a
/// slash-command's result (it has `command`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SendOutcome {
    Message(MessageDto),
    Command(CommandResultDto),
}

/// A command's send must carry no files; its key is checked like a message's.
pub fn check_send(input: &SendInput) -> artel_core::Result<()> {
    if !input.attachment_ids.is_empty() {
        return Err(Error::invalid("attachment_ids", "a command takes no attachments"));
    }
    if let Some(key) = input.client_msg_id.as_deref() {
        validate_client_msg_id(key)?;
    }
    Ok(())
}

/// Runs a command typed as a message over REST: 200 with its result, or 4xx
/// with the error and the usage line.
pub async fn run_from_send(state: &AppState, auth: &AuthUser, input: &SendInput, line: &str) -> Response {
    let result = match check_send(input) {
        Err(e) => Err(CommandFailure::plain(e)),
        Ok(()) => match Ctx::load_for_line(state, &auth.user, input.chat_id, line).await {
            Err(e) => Err(CommandFailure::plain(e)),
            Ok(ctx) => commands::run(state, &ctx, line, input.client_msg_id.as_deref()).await,
        },
    };
    match result {
        Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        Err(f) => f.into_response(),
    }
}

/// Every command with its usage, in my language.
#[utoipa::path(get, path = "/commands", operation_id = "list_commands", tag = "commands", security(("bearer" = [])),
    responses((status = 200, body = Vec<CommandInfo>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn list(auth: AuthUser) -> Json<Vec<CommandInfo>> {
    Json(complete::command_list(auth.user.language, None::<CommandName>))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompleteQuery {
    /// The chat the line is typed in (its deal's stages come first).
    pub chat_id: Uuid,
    /// The line so far, starting with `/`; at most 2000 characters.
    pub line: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Completions {
    /// Best first.
    pub items: Vec<Suggestion>,
}

/// Suggestions for a partially typed command line: commands, people, stages,
/// pipelines, deals and priorities that fit, ranked.
#[utoipa::path(get, path = "/commands/complete", tag = "commands", security(("bearer" = [])), params(CompleteQuery),
    responses((status = 200, body = Completions), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn complete_line(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<CompleteQuery>,
) -> ApiResult<Json<Completions>> {
    if q.line.chars().count() > artel_core::commands::MAX_LINE_CHARS {
        return Err(Error::invalid("line", "must be at most 2000 characters").into());
    }
    let (chat, member) = crate::http::chats::load_chat(&state, &auth.user, q.chat_id).await?;
    artel_core::permissions::can_read_chat(member.as_ref())?;
    let ctx = Ctx { user: auth.user.clone(), chat };
    Ok(Json(Completions { items: complete::complete(&state, &ctx, &q.line).await? }))
}

/// Undoes one of my commands (the undo action on its result), within 5 minutes
/// and only while the record is as the command left it.
#[utoipa::path(post, path = "/commands/{id}/undo", tag = "commands", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The command's id (`id` of its result)")),
    responses((status = 200, body = CommandResultDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn undo_command(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<CommandResultDto>, CommandFailure> {
    let run = undo::find(&state, &auth.user, id).await?;
    // The command's own effect may have taken the issuer out of its chat or
    // archived it, so the revert does not need the chat; its notice goes there
    // only if the issuer may post there once the revert is done.
    let applied = undo::revert(&state, &auth.user, &run).await?;
    let chat = state.store.get_chat(auth.user.workspace_id, run.chat_id).await.map_err(Error::from)?;
    let ctx = Ctx { user: auth.user.clone(), chat };
    let message = match &applied.post {
        Some(notice) if ctx.may_post(&state).await? => {
            Some(commands::post_result(&state, &ctx, notice.clone()).await?)
        }
        _ => None,
    };
    Ok(Json(CommandResultDto {
        id: run.id,
        command: CommandName::Undo,
        text: applied.text,
        shared: message.is_some(),
        message: message.as_ref().map(MessageDto::new),
        undo_until: None,
        data: applied.data,
    }))
}
