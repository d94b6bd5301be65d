//! `/remind <when> <text>` (`/напомнить`): a reminder for the issuer, kept as a
//! task of kind "reminder" that fires over the socket at that moment. A date
//! without a time reminds at 09:00 the issuer's time.

use crate::commands::error::{CommandError, ErrorCode};
use crate::commands::grammar::{self, Token};
use crate::commands::names::CommandName;
use crate::commands::when::{Now, When};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemindCommand {
    pub when: When,
    pub text: String,
}

pub fn parse(mut tokens: Vec<Token>, now: Now) -> Result<RemindCommand, CommandError> {
    let err = |code, d: &str| CommandError::new(code, Some(CommandName::Remind), d);
    grammar::only_words(&tokens, CommandName::Remind)?;
    if tokens.is_empty() {
        return Err(err(ErrorCode::MissingArgument, "when"));
    }
    let when = match grammar::take_leading_when(&mut tokens, now) {
        Some(w) => w,
        // "/remind send the contract tomorrow" reads too.
        None => grammar::take_when(&mut tokens, now).ok_or_else(|| {
            let first: Vec<String> =
                grammar::text(&tokens).split_whitespace().take(3).map(String::from).collect();
            err(ErrorCode::BadDate, &first.join(" "))
        })?,
    };
    let text = grammar::text(&tokens);
    if text.is_empty() {
        return Err(err(ErrorCode::MissingArgument, "text"));
    }
    Ok(RemindCommand { when, text })
}
