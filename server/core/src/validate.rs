//! Input rules shared by every entry point (HTTP, CLI, later commands): lengths are
//! bounded, text is trimmed, identifiers have one canonical form.

use crate::error::{Error, Result};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Argon2 hashes whatever it gets; the bound keeps a request from making us hash megabytes.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A person's or workspace's display name: trimmed, 1..=100 characters, no control characters.
pub fn display_name(field: &str, raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(field, format!("must be at most {MAX_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(name.to_string())
}

/// Canonical e-mail: trimmed and lower-cased; a light shape check (one `@`, a dot in
/// the domain, no spaces). Real validation is the invite or the login that follows.
pub fn email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(Error::invalid("email", "is too long"));
    }
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid("email", "is not a valid e-mail address"))
    }
}

/// A new password: 8..=256 characters. No composition rules (NIST 800-63B).
pub fn new_password(field: &str, raw: &str) -> Result<()> {
    let n = raw.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(field, format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(Error::invalid(field, format!("must be at most {MAX_PASSWORD_CHARS} characters")));
    }
    Ok(())
}

/// An IANA time zone name such as `Europe/Moscow`, returned in canonical spelling.
pub fn time_zone(raw: &str) -> Result<String> {
    raw.trim()
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| Error::invalid("time_zone", "is not a known IANA time zone (e.g. Europe/Moscow)"))
}

/// A workspace slug: 2..=40 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
pub fn slug(field: &str, raw: &str) -> Result<String> {
    let s = raw.trim().to_lowercase();
    let ok = (2..=40).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s)
    } else {
        Err(Error::invalid(field, "must be 2-40 characters of a-z, 0-9 and '-'"))
    }
}

/// A slug made from a display name; Cyrillic is transliterated so Russian names
/// give readable slugs. Falls back to "workspace" when nothing usable remains.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            _ => match translit(c) {
                Some(t) => out.push_str(t),
                None => {
                    if !out.ends_with('-') && !out.is_empty() {
                        out.push('-');
                    }
                }
            },
        }
    }
    let mut s: String = out.trim_matches('-').chars().take(40).collect();
    while s.ends_with('-') {
        s.pop();
    }
    if s.len() < 2 {
        "workspace".to_string()
    } else {
        s
    }
}

fn translit(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'й' => "i",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ы' => "y",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        'ъ' | 'ь' => "",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_canonical() {
        assert_eq!(email("  Ivan@Example.COM ").ok().as_deref(), Some("ivan@example.com"));
        for bad in ["", "ivan", "ivan@", "@x.ru", "a@b", "a b@x.ru", "a@@x.ru", "a@x.ru."] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn names_are_bounded() {
        assert!(display_name("name", "   ").is_err());
        assert!(display_name("name", &"я".repeat(101)).is_err());
        assert_eq!(display_name("name", " Анна ").ok().as_deref(), Some("Анна"));
        assert!(display_name("name", "a\u{0}b").is_err());
    }

    #[test]
    fn slugs_transliterate_russian() {
        assert_eq!(slugify("ООО Ромашка"), "ooo-romashka");
        assert_eq!(slugify("Acme, Inc."), "acme-inc");
        assert_eq!(slugify("!!!"), "workspace");
        assert!(slug("slug", "-bad").is_err());
        assert_eq!(slug("slug", "Good-1").ok().as_deref(), Some("good-1"));
    }

    #[test]
    fn time_zones_are_iana() {
        assert_eq!(time_zone("Europe/Moscow").ok().as_deref(), Some("Europe/Moscow"));
        assert!(time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn passwords_are_bounded() {
        assert!(new_password("password", "short").is_err());
        assert!(new_password("password", "long enough").is_ok());
        assert!(new_password("password", &"x".repeat(257)).is_err());
    }
}
