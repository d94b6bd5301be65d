//! What search needs from storage: the outbox that triggers fill in the same
//! transaction as each change, the drain lease, and the current state of
//! searchable objects (for the indexer and for `artel reindex`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ports::store::StoreResult;
use crate::search::{SearchDoc, SearchKind};

/// One "this object changed" note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub workspace_id: Uuid,
    pub kind: SearchKind,
    pub entity_id: Uuid,
}

#[async_trait]
pub trait SearchSourceStore: Send + Sync {
    /// The oldest notes, at most `limit`.
    async fn search_outbox_batch(&self, limit: i64) -> StoreResult<Vec<OutboxEntry>>;
    /// Deletes applied notes.
    async fn search_outbox_remove(&self, ids: &[i64]) -> StoreResult<()>;
    /// How many notes wait (0: the index has everything committed so far).
    async fn search_outbox_pending(&self) -> StoreResult<i64>;
    /// Takes or renews the named drain lease for `owner` until `until`; false
    /// while another owner holds an unexpired one.
    async fn claim_search_lease(
        &self,
        name: &str,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Gives the lease up (clean shutdown), if `owner` holds it.
    async fn release_search_lease(&self, name: &str, owner: Uuid) -> StoreResult<()>;
    /// The current documents of these objects; objects that are gone, deleted
    /// or archived are simply missing (the indexer removes them).
    async fn search_docs(&self, kind: SearchKind, ids: &[Uuid]) -> StoreResult<Vec<SearchDoc>>;
    /// A page of every live document of a kind, by id, after `after` (reindex).
    async fn search_doc_page(
        &self,
        kind: SearchKind,
        after: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<SearchDoc>>;
    /// Rows of a kind (an upper bound of its documents, for progress bars).
    async fn search_doc_count(&self, kind: SearchKind) -> StoreResult<i64>;
}
