//! `/done [task text]` (`/готово`): completes the chat's task, or the issuer's
//! open task of the chat's record (the one matching the text when given).

use crate::commands::error::CommandError;
use crate::commands::grammar::{self, Token};
use crate::commands::names::CommandName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneCommand {
    pub text: Option<String>,
}

pub fn parse(tokens: Vec<Token>) -> Result<DoneCommand, CommandError> {
    grammar::only_words(&tokens, CommandName::Done)?;
    let text = grammar::text(&tokens);
    Ok(DoneCommand { text: (!text.is_empty()).then_some(text) })
}
