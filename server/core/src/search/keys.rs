//! Phones and e-mails in one canonical form, so "+7 (999) 123-45-67",
//! "8 999 123 45 67" and "79991234567" all find each other, and so do
//! "Anna@Example.com" and "anna@example.com". The same functions run when a
//! document is indexed and when a query is parsed.

/// Digits a phone must have to count as one (short numbers are too ambiguous).
const MIN_PHONE_DIGITS: usize = 10;
const MAX_PHONE_DIGITS: usize = 15;

/// The key of a phone: its last ten digits, prefixed so it never collides with a
/// word ("tel:9991234567"). Ten digits drop the country code (and the Russian
/// trunk "8"), which is what people vary when they type a number.
pub fn phone_key(digits: &str) -> Option<String> {
    let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
    if !(MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len()) {
        return None;
    }
    Some(format!("tel:{}", &digits[digits.len() - 10..]))
}

/// The key of an e-mail address, or `None` if `s` is not one.
pub fn email_key(s: &str) -> Option<String> {
    let s = s.trim_matches(|c: char| !c.is_alphanumeric());
    let (local, domain) = s.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && s.chars().all(|c| c.is_alphanumeric() || "@.+-_".contains(c));
    ok.then(|| format!("mail:{}", s.to_lowercase()))
}

/// Characters that may appear inside a written phone number.
fn phone_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | '.' | ' ' | '\u{a0}')
}

/// Every phone and e-mail key in free text.
pub fn extract(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for word in text.split_whitespace() {
        if word.contains('@') {
            if let Some(k) = email_key(word) {
                keys.push(k);
            }
        }
    }
    // Phones: maximal runs of phone characters holding enough digits.
    let mut run = String::new();
    let flush = |run: &mut String, keys: &mut Vec<String>| {
        if let Some(k) = phone_key(run) {
            keys.push(k);
        }
        run.clear();
    };
    for c in text.chars() {
        if phone_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut keys);
        }
    }
    flush(&mut run, &mut keys);
    keys.sort();
    keys.dedup();
    keys
}

/// Whether the text holds a web link (has:link).
pub fn has_link(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("http://") || lower.contains("https://") || lower.contains("www.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_in_any_format_give_one_key() {
        let want = Some("tel:9991234567".to_string());
        for p in ["+7 (999) 123-45-67", "8 999 123 45 67", "79991234567", "+7.999.123.45.67", "9991234567"] {
            assert_eq!(phone_key(p), want, "{p}");
        }
        assert_eq!(phone_key("12345"), None);
    }

    #[test]
    fn keys_are_found_in_text() {
        let keys = extract("Звоните +7 (999) 123-45-67 или пишите Anna@Example.com.");
        assert_eq!(keys, vec!["mail:anna@example.com".to_string(), "tel:9991234567".to_string()]);
        assert!(extract("в 2026 году").is_empty());
    }
}
