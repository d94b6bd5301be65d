//! The words of a command line: plain words (or "quoted phrases"), people
//! (`@anna`, or `<@uuid>` as autocomplete inserts them), `#pipeline` tags and
//! `!priority` marks. Every command parser works on these tokens.

use uuid::Uuid;

use crate::commands::error::{CommandError, ErrorCode};
use crate::commands::names::CommandName;
use crate::commands::when::{self, Now, When};
use crate::crm::task::TaskPriority;

/// Most tokens a line may have (the line is bounded too; this bounds the date search).
pub const MAX_TOKENS: usize = 200;

/// Someone named in a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonRef {
    /// `<@uuid>`: exact.
    Id(Uuid),
    /// `@anna`: matched against names and e-mails of the workspace.
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Word { text: String, quoted: bool },
    Person(PersonRef),
    Tag(String),
    Priority(TaskPriority),
}

impl Token {
    fn plain(&self) -> Option<&str> {
        match self {
            Token::Word { text, quoted: false } => Some(text),
            _ => None,
        }
    }
}

/// Splits the arguments of a command into tokens.
pub fn tokenize(args: &str, command: CommandName) -> Result<Vec<Token>, CommandError> {
    let mut tokens = Vec::new();
    let mut rest = args.trim_start();
    while !rest.is_empty() {
        if tokens.len() >= MAX_TOKENS {
            return Err(CommandError::new(ErrorCode::TooLong, Some(command), ""));
        }
        let (token, tail) = if let Some((phrase, tail)) = quoted(rest) {
            (Token::Word { text: phrase.trim().to_string(), quoted: true }, tail)
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (word(&rest[..end], command)?, &rest[end..])
        };
        if !matches!(&token, Token::Word { text, .. } if text.is_empty()) {
            tokens.push(token);
        }
        rest = tail.trim_start();
    }
    Ok(tokens)
}

/// `"…"` or `«…»` at the start of `s`: the phrase and what follows (an unclosed
/// quote runs to the end).
fn quoted(s: &str) -> Option<(&str, &str)> {
    let close = match s.chars().next()? {
        '"' => '"',
        '«' => '»',
        '“' => '”',
        _ => return None,
    };
    let open_len = s.chars().next().map(char::len_utf8).unwrap_or(1);
    let body = &s[open_len..];
    match body.find(close) {
        Some(i) => Some((&body[..i], &body[i + close.len_utf8()..])),
        None => Some((body, "")),
    }
}

fn word(raw: &str, command: CommandName) -> Result<Token, CommandError> {
    if let Some(inner) = raw.strip_prefix("<@").and_then(|r| r.strip_suffix('>')) {
        if let Ok(id) = inner.parse::<Uuid>() {
            return Ok(Token::Person(PersonRef::Id(id)));
        }
    }
    if let Some(name) = raw.strip_prefix('@') {
        let name = name.trim_end_matches([',', '.', ';']);
        if !name.is_empty() {
            return Ok(Token::Person(PersonRef::Name(name.to_string())));
        }
    }
    if let Some(tag) = raw.strip_prefix('#') {
        if !tag.is_empty() {
            return Ok(Token::Tag(tag.replace(['_', '-'], " ")));
        }
    }
    if let Some(mark) = raw.strip_prefix('!') {
        if !mark.is_empty() && mark.chars().all(char::is_alphabetic) {
            return priority(mark)
                .map(Token::Priority)
                .ok_or_else(|| CommandError::new(ErrorCode::BadPriority, Some(command), raw));
        }
    }
    Ok(Token::Word { text: raw.to_string(), quoted: false })
}

/// A priority word in either language.
pub fn priority(word: &str) -> Option<TaskPriority> {
    Some(match word.to_lowercase().as_str() {
        "low" | "низкий" | "низкая" | "низко" => TaskPriority::Low,
        "normal" | "обычный" | "обычная" | "обычно" => TaskPriority::Normal,
        "high" | "высокий" | "высокая" | "важно" | "important" => TaskPriority::High,
        "urgent" | "срочно" | "срочный" | "срочная" | "asap" => TaskPriority::Urgent,
        _ => return None,
    })
}

/// Takes the longest run of plain words that reads as a date (the rightmost of
/// equally long ones) out of `tokens`.
pub fn take_when(tokens: &mut Vec<Token>, now: Now) -> Option<When> {
    let mut best: Option<(usize, usize, When)> = None;
    for start in 0..tokens.len() {
        for len in 1..=when::MAX_WORDS {
            let end = start + len;
            if end > tokens.len() {
                break;
            }
            let Some(words) = tokens[start..end].iter().map(Token::plain).collect::<Option<Vec<&str>>>()
            else {
                break;
            };
            if let Some(w) = when::parse(&words, now) {
                if best.is_none_or(|(_, l, _)| len >= l) {
                    best = Some((start, len, w));
                }
            }
        }
    }
    let (start, len, w) = best?;
    tokens.drain(start..start + len);
    Some(w)
}

/// Takes the date at the very start of `tokens` (the longest such prefix).
pub fn take_leading_when(tokens: &mut Vec<Token>, now: Now) -> Option<When> {
    for len in (1..=when::MAX_WORDS.min(tokens.len())).rev() {
        let Some(words) = tokens[..len].iter().map(Token::plain).collect::<Option<Vec<&str>>>() else {
            continue;
        };
        if let Some(w) = when::parse(&words, now) {
            tokens.drain(..len);
            return Some(w);
        }
    }
    None
}

/// The words left, joined with single spaces.
pub fn text(tokens: &[Token]) -> String {
    tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// People named, in order.
pub fn people(tokens: &[Token]) -> Vec<PersonRef> {
    tokens
        .iter()
        .filter_map(|t| match t {
            Token::Person(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

/// The last priority mark.
pub fn last_priority(tokens: &[Token]) -> Option<TaskPriority> {
    tokens.iter().rev().find_map(|t| match t {
        Token::Priority(p) => Some(*p),
        _ => None,
    })
}

/// The last `#tag`.
pub fn last_tag(tokens: &[Token]) -> Option<String> {
    tokens.iter().rev().find_map(|t| match t {
        Token::Tag(p) => Some(p.clone()),
        _ => None,
    })
}

/// Only plain words (and quoted phrases) are allowed: a command that takes a
/// name refuses stray marks with a clear error.
pub fn only_words(tokens: &[Token], command: CommandName) -> Result<(), CommandError> {
    match tokens.iter().find(|t| !matches!(t, Token::Word { .. })) {
        None => Ok(()),
        Some(t) => Err(CommandError::new(ErrorCode::UnexpectedArgument, Some(command), &describe(t))),
    }
}

fn describe(t: &Token) -> String {
    match t {
        Token::Word { text, .. } => text.clone(),
        Token::Person(PersonRef::Id(id)) => format!("<@{id}>"),
        Token::Person(PersonRef::Name(n)) => format!("@{n}"),
        Token::Tag(t) => format!("#{t}"),
        Token::Priority(p) => format!("!{p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let id = Uuid::now_v7();
        let t =
            tokenize(&format!("call «ООО Ромашка» @anna <@{id}> #sales_2 !high \"x y"), CommandName::Task)
                .expect("tokens");
        assert_eq!(
            t,
            vec![
                Token::Word { text: "call".into(), quoted: false },
                Token::Word { text: "ООО Ромашка".into(), quoted: true },
                Token::Person(PersonRef::Name("anna".into())),
                Token::Person(PersonRef::Id(id)),
                Token::Tag("sales 2".into()),
                Token::Priority(TaskPriority::High),
                Token::Word { text: "x y".into(), quoted: true },
            ]
        );
        let err = tokenize("x !важнее", CommandName::Task).expect_err("bad priority");
        assert_eq!(err.code, ErrorCode::BadPriority);
        // Marks that are not words stay text.
        assert_eq!(tokenize("wow !!! @", CommandName::Task).expect("tokens").len(), 3);
    }
}
