//! `/move <stage>` in a deal's chat, `/move <deal> <stage>` anywhere (`/этап`).
//! Deal titles and stage names have spaces, so the parser keeps the words and
//! says where the deal ends when the issuer did (`"Big deal" won`,
//! `Big deal -> won`); otherwise the server tries each cut against real deals
//! and stages.

use crate::commands::error::{CommandError, ErrorCode};
use crate::commands::grammar::{self, Token};
use crate::commands::names::CommandName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveCommand {
    pub words: Vec<String>,
    /// Words before this index name the deal, the rest the stage.
    pub split: Option<usize>,
}

impl MoveCommand {
    /// All the words: the stage, in a deal's chat.
    pub fn whole(&self) -> String {
        self.words.join(" ")
    }

    /// Every `(deal, stage)` reading: the explicit one, or each cut.
    pub fn readings(&self) -> Vec<(String, String)> {
        let cut = |i: usize| (self.words[..i].join(" "), self.words[i..].join(" "));
        match self.split {
            Some(i) => vec![cut(i)],
            None => (1..self.words.len()).map(cut).collect(),
        }
    }
}

pub fn parse(tokens: Vec<Token>) -> Result<MoveCommand, CommandError> {
    grammar::only_words(&tokens, CommandName::Move)?;
    let mut words = Vec::new();
    let mut split = None;
    for (i, t) in tokens.iter().enumerate() {
        let Token::Word { text, quoted } = t else { continue };
        if !quoted && matches!(text.as_str(), "->" | "→" | ">" | "=>") {
            split = Some(words.len());
            continue;
        }
        words.push(text.clone());
        if *quoted && i == 0 && tokens.len() > 1 {
            split = Some(1);
        }
    }
    if words.is_empty() {
        return Err(CommandError::new(ErrorCode::MissingArgument, Some(CommandName::Move), "stage"));
    }
    if split.is_some_and(|s| s == 0 || s >= words.len()) {
        return Err(CommandError::new(ErrorCode::MissingArgument, Some(CommandName::Move), "deal or stage"));
    }
    Ok(MoveCommand { words, split })
}
