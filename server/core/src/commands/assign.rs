//! `/assign @person` (`/назначить`): the person becomes responsible for the
//! chat's deal (its owner) or task (its assignee).

use crate::commands::error::{CommandError, ErrorCode};
use crate::commands::grammar::{PersonRef, Token};
use crate::commands::names::CommandName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignCommand {
    pub person: PersonRef,
}

pub fn parse(tokens: Vec<Token>) -> Result<AssignCommand, CommandError> {
    let err = |code, d: &str| CommandError::new(code, Some(CommandName::Assign), d);
    match tokens.as_slice() {
        [] => Err(err(ErrorCode::MissingArgument, "@person")),
        [Token::Person(p)] => Ok(AssignCommand { person: p.clone() }),
        // "/assign anna" works too.
        [Token::Word { text, .. }] => Ok(AssignCommand { person: PersonRef::Name(text.clone()) }),
        [_, extra, ..] | [extra] => Err(err(ErrorCode::UnexpectedArgument, &format!("{extra:?}"))),
    }
}
