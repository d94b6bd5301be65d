//! `/task <text> [@person] [when] [!priority]` (`/задача`): a task for the
//! people named (the issuer when nobody is), linked to the chat's record.

use crate::commands::error::{CommandError, ErrorCode};
use crate::commands::grammar::{self, PersonRef, Token};
use crate::commands::names::CommandName;
use crate::commands::when::{Now, When};
use crate::crm::task::TaskPriority;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCommand {
    pub title: String,
    pub assignees: Vec<PersonRef>,
    pub due: Option<When>,
    pub priority: Option<TaskPriority>,
}

pub fn parse(mut tokens: Vec<Token>, now: Now) -> Result<TaskCommand, CommandError> {
    let due = grammar::take_when(&mut tokens, now);
    let title = grammar::text(&tokens);
    if title.trim().is_empty() {
        return Err(CommandError::new(ErrorCode::MissingArgument, Some(CommandName::Task), "text"));
    }
    if let Some(tag) = grammar::last_tag(&tokens) {
        return Err(CommandError::new(
            ErrorCode::UnexpectedArgument,
            Some(CommandName::Task),
            &format!("#{tag}"),
        ));
    }
    Ok(TaskCommand {
        title,
        assignees: grammar::people(&tokens),
        due,
        priority: grammar::last_priority(&tokens),
    })
}
