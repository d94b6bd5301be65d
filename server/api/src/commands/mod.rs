//! Running slash-commands: a message whose text starts with `/` (REST or
//! WebSocket) comes here instead of being posted. The line is parsed in
//! artel-core, then applied as the issuing user, with that user's permissions,
//! through the same CRM services the REST API uses (so history, board events
//! and notices come for free). The result text answers the issuer alone; where
//! there is something for everyone to see, the chat gets a notice (a system
//! message each reader's client words for them); errors answer only the issuer,
//! with the usage line, and change nothing.
//!
//! Every run is stored: a retry with the same `client_msg_id` gets the first
//! answer back instead of running twice, and `/undo` finds the last run and its
//! undo record.

pub mod apply;
pub mod complete;
pub mod context;
pub mod reply;
pub mod resolve;
pub mod undo;

use artel_core::commands::{self as grammar, Command, CommandName, Now};
use artel_core::crm::task;
use artel_core::notice::Notice;
use artel_core::ports::commands::CommandRun;
use artel_core::{Error, StoreError};
use chrono::Duration;
use uuid::Uuid;

use crate::messaging::wire::MessageDto;
use crate::state::AppState;

pub use context::Ctx;
pub use reply::{CommandFailure, CommandResultDto};

/// How long a command can be undone.
pub fn undo_window() -> Duration {
    Duration::minutes(5)
}

/// What applying a command returns.
pub type Outcome = Result<Applied, CommandFailure>;

/// What a command produced, before it is stored and answered.
pub struct Applied {
    /// What happened, in the issuer's language, as markdown whose names and
    /// titles are escaped (`artel_core::markdown::escape`); the issuer gets it
    /// as plain text, the chat as `post`.
    pub text: String,
    /// A notice for everyone in the chat (None when the service already posted
    /// one there, or the command only shows something to the issuer). The
    /// issuer's `text` itself is never posted.
    pub post: Option<Notice>,
    /// The service already told this chat (a notice everyone in it sees).
    pub told: bool,
    /// The record touched or the information asked for.
    pub data: serde_json::Value,
    pub undo: Option<undo::Undo>,
}

/// Runs a command line (the message body after the leading `/`) typed by the
/// context's user in the context's chat. Returns the answer as JSON (the same
/// bytes a retry with the same key gets).
pub async fn run(
    state: &AppState,
    ctx: &Ctx,
    line: &str,
    client_msg_id: Option<&str>,
) -> Result<serde_json::Value, CommandFailure> {
    let now = state.clock.now();
    let run = CommandRun {
        id: Uuid::now_v7(),
        workspace_id: ctx.user.workspace_id,
        user_id: ctx.user.id,
        chat_id: ctx.chat.id,
        client_msg_id: client_msg_id.map(str::to_string),
        command: first_word(line),
        line: line.chars().take(grammar::MAX_LINE_CHARS).collect(),
        outcome: None,
        undo: None,
        created_at: now,
        finished_at: None,
        undone_at: None,
    };
    match state.store.claim_command(&run).await {
        Ok(None) => {}
        Ok(Some(first)) => return replay(ctx, first),
        Err(StoreError::Conflict(_)) => {
            return Err(CommandFailure::plain(Error::conflict(
                "command_in_progress",
                "a command with this client_msg_id is still running",
            )))
        }
        Err(e) => return Err(CommandFailure::plain(e.into())),
    }
    let outcome = execute(state, ctx, line, Now { at: now, tz: task::zone(&ctx.user.time_zone) }).await;
    let applied = match outcome {
        Ok(a) => a,
        Err(failure) => {
            if let Err(e) = state.store.drop_command(run.workspace_id, run.id).await {
                tracing::warn!(error = %e, "could not drop a failed command run");
            }
            return Err(failure);
        }
    };
    let may_post = applied.post.is_some() && ctx.may_post(state).await.map_err(CommandFailure::plain)?;
    let message = match &applied.post {
        Some(notice) if may_post => {
            Some(post_result(state, ctx, notice.clone()).await.map_err(CommandFailure::plain)?)
        }
        _ => None,
    };
    let undo_json = match &applied.undo {
        Some(u) => {
            Some(serde_json::to_value(u).map_err(|e| CommandFailure::plain(Error::Internal(e.to_string())))?)
        }
        None => None,
    };
    let name = CommandName::lookup(&run.command).unwrap_or(CommandName::Help);
    let dto = CommandResultDto {
        id: run.id,
        command: name,
        text: artel_core::markdown::unescape(&applied.text),
        shared: message.is_some() || applied.told,
        message: message.as_ref().map(MessageDto::new),
        undo_until: applied.undo.as_ref().map(|_| now + undo_window()),
        data: applied.data,
    };
    let body =
        serde_json::to_value(&dto).map_err(|e| CommandFailure::plain(Error::Internal(e.to_string())))?;
    state
        .store
        .finish_command(run.workspace_id, run.id, &body, undo_json.as_ref(), state.clock.now())
        .await
        .map_err(|e| CommandFailure::plain(e.into()))?;
    Ok(body)
}

/// The stored answer of an earlier run with the same key.
fn replay(ctx: &Ctx, first: CommandRun) -> Result<serde_json::Value, CommandFailure> {
    if first.chat_id != ctx.chat.id {
        return Err(CommandFailure::plain(Error::conflict(
            "client_msg_id_reused",
            "this client_msg_id was used in another chat",
        )));
    }
    first.outcome.ok_or_else(|| {
        CommandFailure::plain(Error::conflict(
            "command_in_progress",
            "a command with this client_msg_id is still running",
        ))
    })
}

fn first_word(line: &str) -> String {
    let word = line.split_whitespace().next().unwrap_or("");
    CommandName::lookup(word).map_or_else(|| word.chars().take(32).collect(), |n| n.as_str().to_string())
}

/// Parses and applies; nothing is changed when this fails.
async fn execute(state: &AppState, ctx: &Ctx, line: &str, now: Now) -> Result<Applied, CommandFailure> {
    let lang = ctx.user.language;
    let command = grammar::parse(line, now).map_err(|e| CommandFailure::parse(&e, lang))?;
    let name = command.name();
    let result = match command {
        Command::Task(c) => apply::task::run(state, ctx, c, now).await,
        Command::Remind(c) => apply::task::remind(state, ctx, c, now).await,
        Command::Done(c) => apply::done::run(state, ctx, c).await,
        Command::Move(c) => apply::move_deal::run(state, ctx, c).await,
        Command::Deal(c) => apply::deal::run(state, ctx, c).await,
        Command::Assign(c) => apply::assign::run(state, ctx, c).await,
        Command::Client => apply::info::client(state, ctx).await,
        Command::Stages { pipeline } => apply::info::stages(state, ctx, pipeline).await,
        Command::Help { topic } => Ok(apply::info::help(ctx, topic)),
        Command::Undo => undo::last(state, ctx).await,
    };
    result.map_err(|mut failure| {
        if failure.usage.is_none() && failure.error.status.is_client_error() {
            failure.usage = Some(name.usage(lang).to_string());
        }
        failure
    })
}

/// Posts a command's notice for everyone into the issuing chat.
pub async fn post_result(
    state: &AppState,
    ctx: &Ctx,
    notice: Notice,
) -> artel_core::Result<artel_core::message::Message> {
    crate::messaging::system::post(state, &ctx.user, ctx.chat.id, notice).await
}
