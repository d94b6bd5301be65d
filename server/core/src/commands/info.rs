//! The commands that only show something, answered to the issuer alone:
//! `/client` (`/клиент`), `/stages [#pipeline]` (`/этапы`), `/help [command]`
//! (`/помощь`), and `/undo` (`/отменить`), which takes no arguments either.

use crate::commands::error::{CommandError, ErrorCode};
use crate::commands::grammar::{self, Token};
use crate::commands::names::CommandName;

/// Refuses arguments for commands that take none.
pub fn no_arguments(tokens: &[Token], command: CommandName) -> Result<(), CommandError> {
    match tokens.first() {
        None => Ok(()),
        Some(_) => {
            let text = grammar::text(tokens);
            Err(CommandError::new(ErrorCode::UnexpectedArgument, Some(command), &text))
        }
    }
}

/// `/stages`: the pipeline named (`#sales` or plain words), if any.
pub fn stages(tokens: Vec<Token>) -> Result<Option<String>, CommandError> {
    if let Some(tag) = grammar::last_tag(&tokens) {
        return Ok(Some(tag));
    }
    grammar::only_words(&tokens, CommandName::Stages)?;
    let text = grammar::text(&tokens);
    Ok((!text.is_empty()).then_some(text))
}

/// `/help`: the command asked about, if any.
pub fn help(tokens: Vec<Token>) -> Result<Option<CommandName>, CommandError> {
    let text = grammar::text(&tokens);
    let word = text.trim().trim_start_matches('/');
    if word.is_empty() {
        return Ok(None);
    }
    CommandName::lookup(word)
        .map(Some)
        .ok_or_else(|| CommandError::new(ErrorCode::UnknownCommand, Some(CommandName::Help), word))
}
