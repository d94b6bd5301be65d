//! Why a command line could not be read, in the issuer's language, with the
//! usage line to show next to it.

use crate::commands::names::{all_usage, CommandName};
use crate::user::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    UnknownCommand,
    MissingArgument,
    BadDate,
    BadPriority,
    BadAmount,
    UnexpectedArgument,
    TooLong,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UnknownCommand => "unknown_command",
            ErrorCode::MissingArgument => "missing_argument",
            ErrorCode::BadDate => "bad_date",
            ErrorCode::BadPriority => "bad_priority",
            ErrorCode::BadAmount => "bad_amount",
            ErrorCode::UnexpectedArgument => "unexpected_argument",
            ErrorCode::TooLong => "command_too_long",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    pub code: ErrorCode,
    /// The command, when the name was understood.
    pub command: Option<CommandName>,
    /// The word at fault (or what was missing).
    pub detail: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, command: Option<CommandName>, detail: &str) -> Self {
        Self { code, command, detail: detail.chars().take(100).collect() }
    }

    /// A sentence for the issuer.
    pub fn message(&self, lang: Language) -> String {
        let d = &self.detail;
        match (self.code, lang) {
            (ErrorCode::UnknownCommand, Language::En) => {
                format!("unknown command /{d}; type //{d} to send it as text")
            }
            (ErrorCode::UnknownCommand, Language::Ru) => {
                format!("нет такой команды: /{d}; чтобы отправить как текст, напишите //{d}")
            }
            (ErrorCode::MissingArgument, Language::En) => format!("missing {d}"),
            (ErrorCode::MissingArgument, Language::Ru) => format!("не хватает: {d}"),
            (ErrorCode::BadDate, Language::En) => format!("cannot read the date or time {d:?}"),
            (ErrorCode::BadDate, Language::Ru) => format!("не удалось разобрать дату или время {d:?}"),
            (ErrorCode::BadPriority, Language::En) => {
                format!("unknown priority {d}; use !low, !normal, !high or !urgent")
            }
            (ErrorCode::BadPriority, Language::Ru) => {
                format!("неизвестный приоритет {d}; есть !низкий, !обычный, !высокий, !срочно")
            }
            (ErrorCode::BadAmount, Language::En) => format!("cannot read the amount {d:?}"),
            (ErrorCode::BadAmount, Language::Ru) => format!("не удалось разобрать сумму {d:?}"),
            (ErrorCode::UnexpectedArgument, Language::En) => format!("unexpected {d:?}"),
            (ErrorCode::UnexpectedArgument, Language::Ru) => format!("лишнее: {d:?}"),
            (ErrorCode::TooLong, Language::En) => "the command is too long".to_string(),
            (ErrorCode::TooLong, Language::Ru) => "слишком длинная команда".to_string(),
        }
    }

    /// The usage of the command, or of every command when it was not understood.
    pub fn usage(&self, lang: Language) -> String {
        match self.command {
            Some(c) => c.usage(lang).to_string(),
            None => all_usage(lang),
        }
    }
}
