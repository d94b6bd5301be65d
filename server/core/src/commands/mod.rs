//! Slash-commands: a message whose text starts with `/` is a command, typed in
//! any chat in Russian or English. This module reads the line into a typed
//! request (one file per command); the server resolves names against the
//! workspace and applies it as the issuing user, with that user's permissions.
//!
//! Parsing is pure: "now" and the issuer's time zone come in, so dates are
//! tested against a fixed clock in any zone.

pub mod assign;
pub mod deal;
pub mod done;
pub mod error;
pub mod grammar;
pub mod info;
pub mod move_deal;
pub mod names;
pub mod remind;
pub mod task;
pub mod when;

pub use error::{CommandError, ErrorCode};
pub use grammar::PersonRef;
pub use names::CommandName;
pub use when::{Now, When};

/// Longest command line, in characters.
pub const MAX_LINE_CHARS: usize = 2_000;

/// What a message body is.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// Plain text: post it.
    Text,
    /// `//text`: post it as `/text`.
    Literal(&'a str),
    /// A command line (without the leading `/`).
    Command(&'a str),
}

pub fn classify(body: &str) -> Line<'_> {
    if body.starts_with("//") {
        return Line::Literal(&body[1..]);
    }
    match body.strip_prefix('/') {
        Some(rest) => Line::Command(rest),
        None => Line::Text,
    }
}

/// A command, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Task(task::TaskCommand),
    Move(move_deal::MoveCommand),
    Deal(deal::DealCommand),
    Assign(assign::AssignCommand),
    Done(done::DoneCommand),
    Remind(remind::RemindCommand),
    Client,
    Stages { pipeline: Option<String> },
    Help { topic: Option<CommandName> },
    Undo,
}

impl Command {
    pub fn name(&self) -> CommandName {
        match self {
            Command::Task(_) => CommandName::Task,
            Command::Move(_) => CommandName::Move,
            Command::Deal(_) => CommandName::Deal,
            Command::Assign(_) => CommandName::Assign,
            Command::Done(_) => CommandName::Done,
            Command::Remind(_) => CommandName::Remind,
            Command::Client => CommandName::Client,
            Command::Stages { .. } => CommandName::Stages,
            Command::Help { .. } => CommandName::Help,
            Command::Undo => CommandName::Undo,
        }
    }
}

/// Reads a command line (the text after the `/`).
pub fn parse(line: &str, now: Now) -> Result<Command, CommandError> {
    if line.chars().count() > MAX_LINE_CHARS {
        return Err(CommandError::new(ErrorCode::TooLong, None, ""));
    }
    let line = line.trim_end();
    let end = line.find(char::is_whitespace).unwrap_or(line.len());
    let (word, args) = line.split_at(end);
    let name =
        CommandName::lookup(word).ok_or_else(|| CommandError::new(ErrorCode::UnknownCommand, None, word))?;
    let tokens = grammar::tokenize(args, name)?;
    Ok(match name {
        CommandName::Task => Command::Task(task::parse(tokens, now)?),
        CommandName::Move => Command::Move(move_deal::parse(tokens)?),
        CommandName::Deal => Command::Deal(deal::parse(tokens)?),
        CommandName::Assign => Command::Assign(assign::parse(tokens)?),
        CommandName::Done => Command::Done(done::parse(tokens)?),
        CommandName::Remind => Command::Remind(remind::parse(tokens, now)?),
        CommandName::Client => {
            info::no_arguments(&tokens, name)?;
            Command::Client
        }
        CommandName::Stages => Command::Stages { pipeline: info::stages(tokens)? },
        CommandName::Help => Command::Help { topic: info::help(tokens)? },
        CommandName::Undo => {
            info::no_arguments(&tokens, name)?;
            Command::Undo
        }
    })
}

#[cfg(test)]
mod tests;
