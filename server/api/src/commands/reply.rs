//! The answers: a command's result (to the issuer: REST body or a
//! `command_result` frame) and a failure with the usage line.

use artel_core::commands::{CommandError, CommandName};
use artel_core::user::Language;
use artel_core::Error;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::messaging::wire::MessageDto;

/// What a command did, for the issuer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandResultDto {
    /// The run: `POST /commands/{id}/undo` reverts it.
    pub id: Uuid,
    pub command: CommandName,
    /// What happened, in the issuer's language.
    pub text: String,
    /// The notice this command posted to the chat for everyone, if any.
    pub message: Option<MessageDto>,
    /// Whether everyone in the chat sees a notice of what the command did
    /// (posted by the command, or by the record's service in its own chat);
    /// `text` is for the issuer alone either way.
    pub shared: bool,
    /// Until when it can be undone; absent when there is nothing to undo.
    pub undo_until: Option<DateTime<Utc>>,
    /// The record created or changed (`task`, `deal`), or what was asked for
    /// (`stages`, `client`, `commands`).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// A command that was refused: nothing was posted or changed.
#[derive(Debug)]
pub struct CommandFailure {
    pub error: ApiError,
    /// How the command is used (every command's usage when the name was unknown).
    pub usage: Option<String>,
}

/// The error body of a refused command: the usual error plus `usage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandErrorBody {
    pub error: CommandErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommandErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// How to write the command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
}

impl CommandFailure {
    pub fn new(e: Error, usage: &str) -> Self {
        Self { error: ApiError::from(e), usage: Some(usage.to_string()) }
    }

    pub fn plain(e: Error) -> Self {
        Self { error: ApiError::from(e), usage: None }
    }

    /// A line that could not be read: 422 with the parser's code.
    pub fn parse(e: &CommandError, lang: Language) -> Self {
        let error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code.as_str(), e.message(lang));
        Self { error, usage: Some(e.usage(lang)) }
    }

    /// A refusal with its own code (unknown stage, ambiguous deal, …).
    pub fn coded(code: &'static str, message: String, command: CommandName, lang: Language) -> Self {
        Self {
            error: ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message),
            usage: Some(command.usage(lang).to_string()),
        }
    }

    pub fn body(&self) -> CommandErrorBody {
        CommandErrorBody {
            error: CommandErrorDetail {
                code: self.error.code.to_string(),
                message: self.error.message.clone(),
                field: self.error.field.clone(),
                usage: self.usage.clone(),
            },
        }
    }
}

impl From<Error> for CommandFailure {
    fn from(e: Error) -> Self {
        Self::plain(e)
    }
}

impl IntoResponse for CommandFailure {
    fn into_response(self) -> Response {
        if self.error.status.is_server_error() {
            return self.error.into_response();
        }
        (self.error.status, axum::Json(self.body())).into_response()
    }
}
