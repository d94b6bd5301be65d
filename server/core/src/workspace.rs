//! Workspace: the tenant. Every row of every other table belongs to exactly one.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::crm::deal::DealVisibility;
use crate::{validate, Result};

pub type WorkspaceId = Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    /// URL-safe short name, unique on the server; used to pick a workspace at sign-in.
    pub slug: String,
    pub settings: WorkspaceSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Workspace-wide choices an owner or admin makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceSettings {
    /// Whether members see all deals or only their own.
    pub deal_visibility: DealVisibility,
    /// Country whose numbering applies to phones written without a country code (ISO 3166 alpha-2).
    pub phone_region: String,
    /// Currency of new deals unless given (ISO 4217).
    pub default_currency: String,
}

impl Default for WorkspaceSettings {
    fn default() -> Self {
        Self {
            deal_visibility: DealVisibility::All,
            phone_region: "RU".into(),
            default_currency: "RUB".into(),
        }
    }
}

/// A phone region code the phone library knows, upper-cased.
pub fn phone_region(raw: &str) -> Result<String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && code.parse::<phonenumber::country::Id>().is_ok() {
        Ok(code)
    } else {
        Err(crate::Error::invalid("phone_region", "must be an ISO 3166 country code such as RU"))
    }
}

impl Workspace {
    /// Builds a new workspace after checking its name and slug.
    pub fn new(name: &str, slug: Option<&str>, now: DateTime<Utc>) -> Result<Self> {
        let name = validate::display_name("workspace_name", name)?;
        let slug = match slug {
            Some(s) => validate::slug("workspace_slug", s)?,
            None => validate::slugify(&name),
        };
        Ok(Self {
            id: Uuid::now_v7(),
            name,
            slug,
            settings: WorkspaceSettings::default(),
            created_at: now,
            updated_at: now,
        })
    }
}
