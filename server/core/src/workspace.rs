//! Workspace: the tenant. Every row of every other table belongs to exactly one.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{validate, Result};

pub type WorkspaceId = Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    /// URL-safe short name, unique on the server; used to pick a workspace at sign-in.
    pub slug: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Workspace {
    /// Builds a new workspace after checking its name and slug.
    pub fn new(name: &str, slug: Option<&str>, now: DateTime<Utc>) -> Result<Self> {
        let name = validate::display_name("workspace_name", name)?;
        let slug = match slug {
            Some(s) => validate::slug("workspace_slug", s)?,
            None => validate::slugify(&name),
        };
        Ok(Self { id: Uuid::now_v7(), name, slug, created_at: now, updated_at: now })
    }
}
