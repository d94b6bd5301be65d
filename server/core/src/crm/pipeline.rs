//! Funnels: a pipeline is an ordered list of stages a deal moves through.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::validate;
use crate::workspace::WorkspaceId;

pub type PipelineId = Uuid;
pub type StageId = Uuid;

/// Whether a stage is still in play, or the end of the road.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    Open,
    Won,
    Lost,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
        }
    }

    pub fn is_closed(self) -> bool {
        self != StageKind::Open
    }
}

impl std::str::FromStr for StageKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "open" => Ok(StageKind::Open),
            "won" => Ok(StageKind::Won),
            "lost" => Ok(StageKind::Lost),
            other => Err(format!("unknown stage kind {other:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: PipelineId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// Order among the workspace's pipelines.
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub id: StageId,
    pub workspace_id: WorkspaceId,
    pub pipeline_id: PipelineId,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    pub kind: StageKind,
    /// Order within the pipeline, left to right.
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A colour as `#rrggbb`, lower-cased.
pub fn color(raw: &str) -> Result<String> {
    let c = raw.trim().to_ascii_lowercase();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(c)
    } else {
        Err(Error::invalid("color", "must be a colour like #1e90ff"))
    }
}

/// A stage or pipeline name: like any display name.
pub fn name(field: &str, raw: &str) -> Result<String> {
    validate::display_name(field, raw)
}

/// The stages a new pipeline starts with, in the user's language: what most sales
/// teams use, ready to rename.
pub fn default_stages(language: crate::user::Language) -> Vec<(&'static str, &'static str, StageKind)> {
    use crate::user::Language;
    match language {
        Language::Ru => vec![
            ("Новая заявка", "#8e9aaf", StageKind::Open),
            ("Квалификация", "#1e90ff", StageKind::Open),
            ("Переговоры", "#f4a261", StageKind::Open),
            ("Договор", "#9b5de5", StageKind::Open),
            ("Успешно", "#2a9d8f", StageKind::Won),
            ("Закрыто и не реализовано", "#e63946", StageKind::Lost),
        ],
        Language::En => vec![
            ("New lead", "#8e9aaf", StageKind::Open),
            ("Qualification", "#1e90ff", StageKind::Open),
            ("Negotiation", "#f4a261", StageKind::Open),
            ("Contract", "#9b5de5", StageKind::Open),
            ("Won", "#2a9d8f", StageKind::Won),
            ("Lost", "#e63946", StageKind::Lost),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_checked() {
        assert_eq!(color("#1E90FF").ok().as_deref(), Some("#1e90ff"));
        for bad in ["1e90ff", "#1e90f", "#zzzzzz", "red", ""] {
            assert!(color(bad).is_err(), "{bad}");
        }
    }
}
