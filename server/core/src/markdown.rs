//! Quoting people's words inside the messages Artel writes (system notices,
//! command results, lead summaries): a deal title or a name is text, so the
//! markdown characters in it are escaped and cannot become a link, raw HTML,
//! emphasis or a heading in the rendered message.

/// Characters that start markdown inside a line: links and images, emphasis,
/// code, strike-through, raw HTML, autolinks, entities, tables, headings.
const SPECIAL: &[char] = &['\\', '`', '*', '_', '~', '[', ']', '<', '>', '!', '#', '|', '&'];

/// `s` as literal markdown text: specials backslash-escaped, a leading block
/// marker escaped, line breaks folded to spaces (a value never opens a block).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    // Digits at the start: "1." or "1)" would open an ordered list.
    let mut leading_digits = true;
    for (i, c) in s.chars().enumerate() {
        if c.is_control() {
            out.push(' ');
            leading_digits = false;
            continue;
        }
        let opens_block =
            (i == 0 && matches!(c, '-' | '+' | '=')) || (leading_digits && i > 0 && matches!(c, '.' | ')'));
        if SPECIAL.contains(&c) || opens_block {
            out.push('\\');
        }
        leading_digits = leading_digits && c.is_ascii_digit();
        out.push(c);
    }
    out
}

/// Several lines of someone's text (a website form's message), each escaped and
/// kept on its own line with a hard break.
pub fn escape_lines(s: &str) -> String {
    s.lines().map(|l| escape(l.trim_start())).collect::<Vec<_>>().join("  \n")
}

/// What a reader sees of markdown source written with `escape`d values: each
/// backslash escape gives its character (CommonMark: any ASCII punctuation).
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if next.is_ascii_punctuation() {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_a_value_is_quoted() {
        assert_eq!(escape("[win](https://evil.example)"), "\\[win\\](https://evil.example)");
        assert_eq!(escape("<https://evil.example>"), "\\<https://evil.example\\>");
        assert_eq!(
            escape("**big** _deal_ `x` ~~y~~ # | &amp;"),
            "\\*\\*big\\*\\* \\_deal\\_ \\`x\\` \\~\\~y\\~\\~ \\# \\| \\&amp;"
        );
        assert_eq!(escape("- item"), "\\- item");
        assert_eq!(escape("12. item"), "12\\. item");
        assert_eq!(escape("==="), "\\===");
        assert_eq!(escape_lines("hi\n  # no heading\n1) no list"), "hi  \n\\# no heading  \n1\\) no list");
        assert_eq!(escape("a\nb"), "a b");
        assert_eq!(escape("Сделка (№5) a-b 1.5"), "Сделка (№5) a-b 1.5");
    }

    #[test]
    fn unescape_gives_the_value_back() {
        for s in ["[x](y)", "a\\*b", "back\\slash", "\\", "plain", "«ёлка» <b> & ! #1", "-x", "+y"] {
            assert_eq!(unescape(&escape(s)), s, "{s}");
        }
    }
}
