//! Clients: contacts (people) and companies, with phones normalised so the same
//! number written two ways is recognised as a duplicate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::user::UserId;
use crate::workspace::WorkspaceId;

pub type ContactId = Uuid;
pub type CompanyId = Uuid;

/// Most phones, e-mails and tags one record holds.
pub const MAX_LIST_ITEMS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;
pub const MAX_NOTES_CHARS: usize = 20_000;
pub const MAX_FIELD_CHARS: usize = 500;

/// A phone as entered, and its E.164 form used for matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Phone {
    /// As the user typed it.
    pub raw: String,
    /// E.164, e.g. "+79161234567".
    pub e164: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub phones: Vec<Phone>,
    pub emails: Vec<String>,
    pub position: Option<String>,
    pub company_id: Option<CompanyId>,
    pub address: Option<String>,
    pub tags: Vec<String>,
    pub owner_id: Option<UserId>,
    pub source: Option<String>,
    pub notes: String,
    pub custom: serde_json::Map<String, serde_json::Value>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub id: CompanyId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub phones: Vec<Phone>,
    pub emails: Vec<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub tags: Vec<String>,
    pub owner_id: Option<UserId>,
    pub source: Option<String>,
    pub notes: String,
    pub custom: serde_json::Map<String, serde_json::Value>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// Normalises a phone number to E.164. Numbers without a country code are read as
/// numbers of `default_region` (ISO 3166 alpha-2, e.g. "RU"), so `8 (916) 123-45-67`,
/// `+7 916 123 45 67` and `9161234567` are the same number.
pub fn phone(raw: &str, default_region: &str) -> Result<Phone> {
    let trimmed = raw.trim();
    let invalid = || Error::invalid("phones", format!("{trimmed:?} is not a phone number"));
    if trimmed.is_empty() || trimmed.chars().count() > 40 {
        return Err(invalid());
    }
    let region = default_region.parse::<phonenumber::country::Id>().ok();
    let parsed = phonenumber::parse(region, trimmed).map_err(|_| invalid())?;
    if !phonenumber::is_valid(&parsed) {
        return Err(invalid());
    }
    let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
    Ok(Phone { raw: trimmed.to_string(), e164 })
}

/// Normalises a list of phones, dropping repeats of the same number.
pub fn phones(raw: &[String], default_region: &str) -> Result<Vec<Phone>> {
    if raw.len() > MAX_LIST_ITEMS {
        return Err(Error::invalid("phones", format!("at most {MAX_LIST_ITEMS}")));
    }
    let mut out: Vec<Phone> = Vec::with_capacity(raw.len());
    for r in raw {
        let p = phone(r, default_region)?;
        if !out.iter().any(|q| q.e164 == p.e164) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Canonical e-mails, without repeats.
pub fn emails(raw: &[String]) -> Result<Vec<String>> {
    if raw.len() > MAX_LIST_ITEMS {
        return Err(Error::invalid("emails", format!("at most {MAX_LIST_ITEMS}")));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for r in raw {
        let e = crate::validate::email(r)
            .map_err(|_| Error::invalid("emails", format!("{r:?} is not an e-mail address")))?;
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Tags: trimmed, lower-cased, 1..=50 characters, no repeats.
pub fn tags(raw: &[String]) -> Result<Vec<String>> {
    if raw.len() > MAX_LIST_ITEMS {
        return Err(Error::invalid("tags", format!("at most {MAX_LIST_ITEMS}")));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for r in raw {
        let t = r.trim().to_lowercase();
        if t.is_empty() || t.chars().count() > MAX_TAG_CHARS || t.chars().any(char::is_control) {
            return Err(Error::invalid("tags", format!("{r:?} is not a tag (1-{MAX_TAG_CHARS} characters)")));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// An optional short text field (position, address, source, website): trimmed,
/// empty becomes `None`, bounded.
pub fn short_text(field: &str, raw: Option<&str>) -> Result<Option<String>> {
    let Some(v) = raw.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.chars().count() > MAX_FIELD_CHARS {
        return Err(Error::invalid(field, format!("must be at most {MAX_FIELD_CHARS} characters")));
    }
    Ok(Some(v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_phones_in_any_format_match() {
        let forms =
            ["8 (916) 123-45-67", "+7 916 123 45 67", "+79161234567", "9161234567", "8-916-123-45-67"];
        for f in forms {
            assert_eq!(phone(f, "RU").map(|p| p.e164).ok().as_deref(), Some("+79161234567"), "{f}");
        }
        assert_eq!(phone("+1 (415) 555-2671", "RU").map(|p| p.e164).ok().as_deref(), Some("+14155552671"));
        for bad in ["", "abc", "123", "+7 916"] {
            assert!(phone(bad, "RU").is_err(), "{bad}");
        }
        let list = phones(&["8 916 123 45 67".into(), "+79161234567".into()], "RU").ok().unwrap_or_default();
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn tags_and_emails_are_canonical() {
        assert_eq!(
            tags(&[" VIP ".into(), "vip".into(), "Опт".into()]).ok(),
            Some(vec!["vip".into(), "опт".into()])
        );
        assert!(tags(&["".into()]).is_err());
        assert_eq!(emails(&["A@B.ru".into(), "a@b.ru".into()]).ok(), Some(vec!["a@b.ru".into()]));
        assert!(emails(&["nope".into()]).is_err());
    }
}
