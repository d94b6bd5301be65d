//! Search: what gets indexed (`SearchDoc`), what a search asks an index
//! (`IndexQuery`), the `SearchIndex` port that the embedded (tantivy) and the
//! Meilisearch backends implement, and the parser of the search box's language.
//!
//! Permissions are not the index's business: the API turns "who is asking" into
//! filters (chats the searcher is a member of now, deals they may see) and the
//! index only applies them, so both backends answer the same.

pub mod keys;
pub mod query;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a hit is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Message,
    Deal,
    Contact,
    Company,
    Task,
}

impl SearchKind {
    pub const ALL: [SearchKind; 5] =
        [SearchKind::Message, SearchKind::Deal, SearchKind::Contact, SearchKind::Company, SearchKind::Task];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchKind::Message => "message",
            SearchKind::Deal => "deal",
            SearchKind::Contact => "contact",
            SearchKind::Company => "company",
            SearchKind::Task => "task",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One searchable object as the index stores it. Built from the database by the
/// indexer; everything a filter needs is here, names are looked up at query time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub kind: SearchKind,
    pub id: Uuid,
    pub workspace_id: Uuid,
    /// Record name (deal title, contact name…); empty for messages.
    pub title: String,
    /// Message body, or the record's other text (notes, description, address…).
    pub text: String,
    /// Normalised phones and e-mails found in the object (see `keys`).
    pub keys: Vec<String>,
    /// Message time, or the record's `updated_at`.
    pub at: DateTime<Utc>,
    pub chat_id: Option<Uuid>,
    pub seq: Option<i64>,
    pub author_id: Option<Uuid>,
    pub is_thread: bool,
    pub has_file: bool,
    pub has_link: bool,
    /// The deal itself (deals), or the deal a task belongs to.
    pub deal_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    /// Who a record is "theirs" for visibility: deal owner and participants; task
    /// creator and assignees.
    pub people: Vec<Uuid>,
}

/// Records a restricted viewer may see besides those naming them in `people`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DealScope {
    /// Nothing more.
    None,
    /// Anything with a deal (tasks of any deal: deal visibility "all").
    Any,
    /// Records of these deals.
    Ids(Vec<Uuid>),
}

/// Filters an index applies; `None` means "no restriction".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexFilter {
    /// Messages: only in these chats.
    pub chat_ids: Option<Vec<Uuid>>,
    pub author_ids: Option<Vec<Uuid>>,
    /// Deals and tasks: only of these deals.
    pub deal_ids: Option<Vec<Uuid>>,
    pub stage_ids: Option<Vec<Uuid>>,
    /// `at < before`, `at >= after`.
    pub before: Option<DateTime<Utc>>,
    pub after: Option<DateTime<Utc>>,
    pub has_file: bool,
    pub has_link: bool,
    pub is_thread: bool,
    /// Records only visible when `people` holds this user or `DealScope` lets them in.
    pub restrict_to: Option<(Uuid, DealScope)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    #[default]
    Relevance,
    Newest,
}

/// One search of one kind, in one workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexQuery {
    pub workspace_id: Uuid,
    pub kind: SearchKind,
    /// Words that must all match (by stem, either language).
    pub words: Vec<String>,
    /// The word being typed: matches by prefix (or stem).
    pub prefix: Option<String>,
    /// Exact phrases (stems in this order).
    pub phrases: Vec<String>,
    /// Words that must not match.
    pub excluded: Vec<String>,
    /// Phone/e-mail keys (normalised) that must match.
    pub keys: Vec<String>,
    pub filter: IndexFilter,
    pub sort: SearchSort,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexHit {
    pub id: Uuid,
    pub doc: SearchDoc,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexHits {
    /// All matches (may be an estimate).
    pub total: u64,
    pub hits: Vec<IndexHit>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The backend cannot be reached or refused (retry later).
    #[error("search backend unavailable: {0}")]
    Unavailable(String),
    /// Anything else; logged, never shown to clients.
    #[error("search backend: {0}")]
    Backend(String),
}

pub type SearchResult<T> = Result<T, SearchError>;

/// A search backend. Writes are upserts by `(kind, id)`; after `apply` returns,
/// a `search` sees them (committed and visible), which is what lets the indexer
/// say "caught up" only when it is true.
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// "embedded" or "meilisearch", for logs.
    fn name(&self) -> &'static str;
    /// Upserts `docs` and removes `deleted` (kind, id), then makes them visible.
    async fn apply(&self, docs: Vec<SearchDoc>, deleted: Vec<(SearchKind, Uuid)>) -> SearchResult<()>;
    /// Runs one query.
    async fn search(&self, query: &IndexQuery) -> SearchResult<IndexHits>;
    /// Removes everything (before a full reindex).
    async fn clear(&self) -> SearchResult<()>;
    /// Bytes the index takes on disk, when known.
    fn size_on_disk(&self) -> Option<u64> {
        None
    }
}
