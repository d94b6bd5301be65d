//! The search box's language: free words, `"phrases"`, `-excluded` words and the
//! operators `from:@user in:#chat deal:"name" stage:name has:file has:link
//! before:YYYY-MM-DD after:YYYY-MM-DD is:thread`. Anything that is not a known
//! operator with a valid value is text; an unbalanced quote quotes to the end.
//! The only errors are an empty or over-long query and an impossible date.

use chrono::NaiveDate;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most terms (words, phrases, operators) in one query.
pub const MAX_TERMS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedQuery {
    /// Plain words (the last one is also matched as a prefix when `prefix_last`).
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    pub excluded: Vec<String>,
    /// Phone / e-mail keys (see `keys`).
    pub keys: Vec<String>,
    pub from: Vec<String>,
    pub in_chats: Vec<String>,
    pub deals: Vec<String>,
    pub stages: Vec<String>,
    pub has_file: bool,
    pub has_link: bool,
    pub is_thread: bool,
    pub before: Option<NaiveDate>,
    pub after: Option<NaiveDate>,
    /// The query ends inside a word: the user is still typing it.
    pub prefix_last: bool,
}

impl ParsedQuery {
    /// Whether any operator only messages can satisfy is present.
    pub fn message_only(&self) -> bool {
        !self.from.is_empty() || !self.in_chats.is_empty() || self.has_file || self.has_link || self.is_thread
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the query is empty")]
    Empty,
    #[error("the query is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
    #[error("the query has more than {MAX_TERMS} terms")]
    TooManyTerms,
    #[error("{0}: expected a date as YYYY-MM-DD")]
    BadDate(&'static str),
}

/// One lexical piece: a bare token or a quoted string, with an optional
/// `-` before it and an optional `op:` prefix.
#[derive(Debug)]
struct Piece {
    negated: bool,
    op: Option<String>,
    value: String,
    quoted: bool,
}

fn lex(input: &str) -> Vec<Piece> {
    let chars: Vec<char> = input.chars().collect();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut negated = false;
        if chars[i] == '-' && i + 1 < chars.len() && !chars[i + 1].is_whitespace() {
            negated = true;
            i += 1;
        }
        // An operator: letters then ':' then a value.
        let mut op = None;
        let start = i;
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii_alphabetic() {
            j += 1;
        }
        if j > start
            && j < chars.len()
            && chars[j] == ':'
            && j + 1 < chars.len()
            && !chars[j + 1].is_whitespace()
        {
            op = Some(chars[start..j].iter().collect::<String>().to_ascii_lowercase());
            i = j + 1;
        }
        if chars[i] == '"' {
            // Quoted: to the closing quote, or to the end when unbalanced.
            let from = i + 1;
            let mut k = from;
            while k < chars.len() && chars[k] != '"' {
                k += 1;
            }
            let value: String = chars[from..k].iter().collect();
            pieces.push(Piece { negated, op, value, quoted: true });
            i = (k + 1).min(chars.len());
        } else {
            let from = i;
            let mut k = from;
            while k < chars.len() && !chars[k].is_whitespace() {
                k += 1;
            }
            let value: String = chars[from..k].iter().collect();
            pieces.push(Piece { negated, op, value, quoted: false });
            i = k;
        }
    }
    pieces
}

fn date(op: &'static str, value: &str) -> Result<NaiveDate, QueryError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| QueryError::BadDate(op))
}

/// Strips one leading sigil (`@`, `#`) from an operator's value.
fn name(value: &str, sigil: char) -> String {
    value.strip_prefix(sigil).unwrap_or(value).trim().to_string()
}

fn is_phone_piece(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | '.'))
}

/// Parses a query. Never panics, whatever the input.
pub fn parse(input: &str) -> Result<ParsedQuery, QueryError> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    if input.trim().is_empty() {
        return Err(QueryError::Empty);
    }
    let pieces = lex(input);
    if pieces.len() > MAX_TERMS {
        return Err(QueryError::TooManyTerms);
    }
    let mut q = ParsedQuery::default();
    let mut text: Vec<(bool, String, bool)> = Vec::new(); // (negated, value, quoted)
    for p in pieces {
        let op = p.op.as_deref();
        let value = p.value.trim();
        let known = match (op, p.negated) {
            (Some("from"), false) if !name(value, '@').is_empty() => {
                q.from.push(name(value, '@'));
                true
            }
            (Some("in"), false) if !name(value, '#').is_empty() => {
                q.in_chats.push(name(value, '#'));
                true
            }
            (Some("deal"), false) if !value.is_empty() => {
                q.deals.push(value.to_string());
                true
            }
            (Some("stage"), false) if !value.is_empty() => {
                q.stages.push(value.to_string());
                true
            }
            (Some("has"), false) if value.eq_ignore_ascii_case("file") => {
                q.has_file = true;
                true
            }
            (Some("has"), false) if value.eq_ignore_ascii_case("link") => {
                q.has_link = true;
                true
            }
            (Some("is"), false) if value.eq_ignore_ascii_case("thread") => {
                q.is_thread = true;
                true
            }
            (Some("before"), false) => {
                q.before = Some(date("before", value)?);
                true
            }
            (Some("after"), false) => {
                q.after = Some(date("after", value)?);
                true
            }
            _ => false,
        };
        if !known {
            // Unknown operators are text: "foo:bar" searches for foo and bar.
            let value = match p.op {
                Some(op) => format!("{op}:{}", p.value),
                None => p.value,
            };
            text.push((p.negated, value, p.quoted));
        }
    }
    q.prefix_last = input.chars().last().is_some_and(|c| !c.is_whitespace() && c != '"');
    // Runs of phone-looking pieces ("+7 (999) 123-45-67") become one phone key.
    let mut i = 0;
    while i < text.len() {
        let (negated, value, quoted) = &text[i];
        if !negated && !quoted && is_phone_piece(value) {
            let mut j = i;
            let mut joined = String::new();
            while j < text.len() && !text[j].0 && !text[j].2 && is_phone_piece(&text[j].1) {
                joined.push_str(&text[j].1);
                j += 1;
            }
            if let Some(key) = super::keys::phone_key(&joined) {
                q.keys.push(key);
                if j == text.len() {
                    q.prefix_last = false;
                }
                i = j;
                continue;
            }
        }
        if *quoted {
            if !value.trim().is_empty() {
                if *negated {
                    q.excluded.extend(value.split_whitespace().map(str::to_string));
                } else {
                    q.phrases.push(value.trim().to_string());
                }
            }
            if i + 1 == text.len() {
                q.prefix_last = false;
            }
        } else if *negated {
            q.excluded.push(value.clone());
        } else if let Some(key) = super::keys::email_key(value) {
            q.keys.push(key);
            if i + 1 == text.len() {
                q.prefix_last = false;
            }
        } else {
            q.words.push(value.clone());
        }
        i += 1;
    }
    // The prefix applies only to a trailing plain word.
    if q.prefix_last {
        let last_is_word =
            text.last().is_some_and(|(neg, v, quoted)| !neg && !quoted && q.words.last() == Some(v));
        q.prefix_last = last_is_word;
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> ParsedQuery {
        match parse(s) {
            Ok(q) => q,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn operators_are_parsed() {
        let q = p(
            r#"договор from:@anna in:#sales deal:"Pumps for Acme" stage:won has:file has:link is:thread before:2026-12-01 after:2026-01-02 "точная фраза" -спам"#,
        );
        assert_eq!(q.words, vec!["договор"]);
        assert_eq!(q.from, vec!["anna"]);
        assert_eq!(q.in_chats, vec!["sales"]);
        assert_eq!(q.deals, vec!["Pumps for Acme"]);
        assert_eq!(q.stages, vec!["won"]);
        assert!(q.has_file && q.has_link && q.is_thread);
        assert_eq!(q.before, NaiveDate::from_ymd_opt(2026, 12, 1));
        assert_eq!(q.after, NaiveDate::from_ymd_opt(2026, 1, 2));
        assert_eq!(q.phrases, vec!["точная фраза"]);
        assert_eq!(q.excluded, vec!["спам"]);
        assert!(!q.prefix_last);
        assert!(q.message_only());
    }

    #[test]
    fn unknown_operators_and_bad_quotes_are_text() {
        let q = p("color:red has:cat");
        assert_eq!(q.words, vec!["color:red", "has:cat"]);
        let q = p(r#"hello "unbalanced quote"#);
        assert_eq!(q.words, vec!["hello"]);
        assert_eq!(q.phrases, vec!["unbalanced quote"]);
        let q = p(r#"""#);
        assert!(q.words.is_empty() && q.phrases.is_empty());
    }

    #[test]
    fn prefix_applies_to_a_trailing_word() {
        assert!(p("догов").prefix_last);
        assert!(!p("догов ").prefix_last);
        assert!(!p("from:@anna").prefix_last);
    }

    #[test]
    fn phones_and_emails_become_keys() {
        let q = p("+7 (999) 123-45-67 Anna@Example.com");
        assert_eq!(q.keys, vec!["tel:9991234567", "mail:anna@example.com"]);
        assert!(q.words.is_empty());
    }

    #[test]
    fn errors() {
        assert_eq!(parse("   "), Err(QueryError::Empty));
        assert_eq!(parse(&"a".repeat(501)), Err(QueryError::TooLong));
        assert_eq!(parse(&"a ".repeat(65)), Err(QueryError::TooManyTerms));
        assert_eq!(parse("before:2026-13-01"), Err(QueryError::BadDate("before")));
        assert!(parse(&"я".repeat(500)).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn no_input_panics(s in "\\PC{0,600}") {
            let _ = parse(&s);
        }

        #[test]
        fn operator_soup_never_panics(parts in proptest::collection::vec(
            prop_oneof![
                Just("from:".to_string()), Just("in:#".to_string()), Just("\"".to_string()),
                Just("-".to_string()), Just(":".to_string()), Just(" ".to_string()),
                Just("deal:\"".to_string()), Just("before:".to_string()), Just("+7(".to_string()),
                "[a-zа-я0-9@#.:-]{0,8}",
            ], 0..40)) {
            let _ = parse(&parts.concat());
        }
    }
}
