//! Text analysis shared by both backends: words are lower-cased, `ё` folded to
//! `е`, and stemmed with the Russian snowball stemmer when they are Cyrillic and
//! the English one otherwise — so `договор` finds `договора`, `договоров` and
//! `meeting` finds `meetings` in mixed-language chats. Also the snippet maker:
//! both backends build snippets here, so they highlight the same words.

use std::borrow::Cow;
use std::collections::HashSet;

use frostem::{Algorithm, Stemmer};
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Name of the stemming analyzer in the tantivy index.
pub const STEMMED: &str = "artel_stem";
/// Name of the lower-casing (prefix) analyzer.
pub const PLAIN: &str = "artel_plain";

fn cyrillic(word: &str) -> bool {
    word.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

/// Folds `ё` to `е` (people write both).
fn fold(word: &str) -> Cow<'_, str> {
    if word.contains('ё') {
        Cow::Owned(word.replace('ё', "е"))
    } else {
        Cow::Borrowed(word)
    }
}

/// The stem of one lower-cased word, in its own language.
pub fn stem_word(word: &str) -> String {
    let word = fold(word);
    let stemmer =
        if cyrillic(&word) { Stemmer::new(Algorithm::Russian) } else { Stemmer::new(Algorithm::English) };
    stemmer.stem(&word).into_owned()
}

/// A token filter: fold and stem each token in its language (Russian for
/// Cyrillic words, English for the rest).
#[derive(Clone, Copy, Default)]
pub struct MixedStemmer {
    stem: bool,
}

impl TokenFilter for MixedStemmer {
    type Tokenizer<T: Tokenizer> = MixedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MixedStemmerFilter<T> {
        MixedStemmerFilter { inner: tokenizer, stem: self.stem }
    }
}

#[derive(Clone)]
pub struct MixedStemmerFilter<T> {
    inner: T,
    stem: bool,
}

impl<T: Tokenizer> Tokenizer for MixedStemmerFilter<T> {
    type TokenStream<'a> = MixedStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MixedStemmerStream { tail: self.inner.token_stream(text), stem: self.stem }
    }
}

pub struct MixedStemmerStream<T> {
    tail: T,
    stem: bool,
}

impl<T: TokenStream> TokenStream for MixedStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        token.text = if self.stem { stem_word(&token.text) } else { fold(&token.text).into_owned() };
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Words longer than this (in bytes) are dropped: base64 blobs, not words.
const MAX_TOKEN_BYTES: usize = 64;

/// The stemming analyzer (index and query side).
pub fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(MixedStemmer { stem: true })
        .build()
}

/// The plain analyzer: lower-cased and folded words, for prefix matching.
pub fn plain_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(MixedStemmer { stem: false })
        .build()
}

/// Tokens of `text` through `analyzer`, with their byte offsets in `text`.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push((t.text.clone(), t.offset_from, t.offset_to));
    }
    out
}

/// Stems of every word of `text`.
pub fn stems(text: &str) -> Vec<String> {
    tokens(&mut stemmed_analyzer(), text).into_iter().map(|t| t.0).collect()
}

/// Plain (lower-cased, folded) words of `text`.
pub fn plain_words(text: &str) -> Vec<String> {
    tokens(&mut plain_analyzer(), text).into_iter().map(|t| t.0).collect()
}

/// What a snippet highlights: words by stem, and the word being typed by prefix.
#[derive(Debug, Default, Clone)]
pub struct Highlight {
    pub stems: HashSet<String>,
    pub prefix: Option<String>,
}

impl Highlight {
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>, prefix: Option<&str>) -> Self {
        let stems = words.into_iter().flat_map(stems).collect();
        let prefix = prefix.and_then(|p| plain_words(p).pop());
        Self { stems, prefix }
    }

    fn matches(&self, stem: &str, plain: &str) -> bool {
        self.stems.contains(stem) || self.prefix.as_deref().is_some_and(|p| plain.starts_with(p))
    }
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Characters of context shown before the first match and in total.
const BEFORE: usize = 60;
const TOTAL: usize = 220;

/// An HTML snippet of `text`: everything escaped, matched words in `<mark>`,
/// cut around the first match with `…` where text was left out. `None` when
/// nothing in `text` matches.
pub fn snippet(text: &str, hl: &Highlight) -> Option<String> {
    let stemmed = tokens(&mut stemmed_analyzer(), text);
    let marks: Vec<(usize, usize)> = stemmed
        .iter()
        .filter(|(stem, from, to)| hl.matches(stem, &fold(&text[*from..*to].to_lowercase())))
        .map(|(_, from, to)| (*from, *to))
        .collect();
    let first = marks.first()?.0;
    Some(cut(text, first, &marks))
}

/// The beginning of `text` as a snippet with nothing marked.
pub fn plain_snippet(text: &str) -> String {
    cut(text, 0, &[])
}

fn cut(text: &str, first: usize, marks: &[(usize, usize)]) -> String {
    // Window in chars, then back to byte offsets on char boundaries.
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let first_char = starts.partition_point(|&b| b < first);
    let from_char = first_char.saturating_sub(BEFORE);
    let to_char = (from_char + TOTAL).min(starts.len());
    let from = starts.get(from_char).copied().unwrap_or(text.len());
    let to = starts.get(to_char).copied().unwrap_or(text.len());
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut pos = from;
    for &(a, b) in marks.iter().filter(|(a, b)| *a >= from && *b <= to) {
        if a < pos {
            continue;
        }
        escape(&text[pos..a], &mut out);
        out.push_str("<mark>");
        escape(&text[a..b], &mut out);
        out.push_str("</mark>");
        pos = b;
    }
    escape(&text[pos..to], &mut out);
    if to < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_and_english_words_stem_in_their_language() {
        assert_eq!(stem_word("договора"), stem_word("договор"));
        assert_eq!(stem_word("договоров"), stem_word("договор"));
        assert_eq!(stem_word("meetings"), stem_word("meeting"));
        assert_eq!(stem_word("ещё"), stem_word("еще"));
    }

    #[test]
    fn snippets_mark_matches_and_escape_the_rest() {
        let hl = Highlight::new(["договор"], None);
        let s = snippet("Отправил <b>договоры</b> & счёт", &hl).unwrap_or_default();
        assert_eq!(s, "Отправил &lt;b&gt;<mark>договоры</mark>&lt;/b&gt; &amp; счёт");
        let hl = Highlight::new([], Some("meet"));
        assert_eq!(snippet("Two meetings today", &hl).unwrap_or_default(), "Two <mark>meetings</mark> today");
        assert!(snippet("nothing here", &hl).is_none());
    }
}
