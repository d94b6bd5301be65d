//! The indexer: drains the search outbox into the backend. Notes are deleted
//! only after the backend applied them (committed and visible), so a crash or
//! an outage loses nothing — the notes wait and are retried with backoff while
//! sends go on. Draining is idempotent (each note is re-read from the current
//! rows), and in a cluster a lease row keeps it to one node at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use artel_core::search::{SearchError, SearchIndex, SearchKind};
use artel_core::Store;
use chrono::Utc;
use uuid::Uuid;

use super::Search;

/// Notes per round.
const BATCH: i64 = 1000;
/// How often an idle indexer looks for new notes.
const IDLE_POLL: Duration = Duration::from_millis(50);
/// Least time from one round's start to the next while notes keep coming (unless
/// a round was full, i.e. the indexer is catching up). Every round commits: on the
/// embedded index a new segment, a fresh writer arena and later a merge; on
/// Meilisearch a task; on SQLite a write transaction that removes the notes. That
/// cost is per round, not per note, so under steady sends rounds of a quarter
/// second's notes cost a fraction of rounds taken back to back (which took a
/// large share of the server's CPU under steady sends), and search still lags
/// sends by well under a second.
const ROUND_EVERY: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The drain lease: held this long, renewed well before it runs out.
const LEASE: chrono::Duration = chrono::Duration::seconds(15);
const LEASE_RENEW: chrono::Duration = chrono::Duration::seconds(5);
const LEASE_NAME: &str = "search";

/// Starts the indexer task.
pub fn start(store: Arc<dyn Store>, search: Arc<Search>) {
    tokio::spawn(run(store, search));
}

async fn run(store: Arc<dyn Store>, search: Arc<Search>) {
    let node = Uuid::now_v7();
    if search.needs_rebuild {
        if let Err(e) = super::reindex::rebuild(&store, &search, |_, _| {}).await {
            tracing::warn!(error = %e, "search: initial rebuild failed; the outbox still feeds the index");
        }
    }
    let mut backoff = Duration::from_millis(100);
    let mut lease_renewed: Option<chrono::DateTime<Utc>> = None;
    loop {
        if search.stopped.load(Ordering::SeqCst) {
            if let Err(e) = store.release_search_lease(LEASE_NAME, node).await {
                tracing::debug!(error = %e, "search: releasing the indexer lease");
            }
            return;
        }
        // Leases use wall-clock time whatever clock the app runs on.
        let now = Utc::now();
        if lease_renewed.is_none_or(|at| now - at > LEASE_RENEW) {
            match store.claim_search_lease(LEASE_NAME, node, now, now + LEASE).await {
                Ok(true) => lease_renewed = Some(now),
                Ok(false) => {
                    lease_renewed = None;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "search: cannot claim the indexer lease");
                    lease_renewed = None;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
        }
        let round = std::time::Instant::now();
        let pass = search.passes.start();
        let drained = drain_once(&store, &search).await;
        search.passes.finished_up_to(pass);
        match drained {
            Ok(0) => {
                backoff = Duration::from_millis(100);
                tokio::time::sleep(IDLE_POLL).await;
            }
            Ok(n) => {
                backoff = Duration::from_millis(100);
                if (n as i64) < BATCH {
                    tokio::time::sleep(ROUND_EVERY.saturating_sub(round.elapsed())).await;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "search: indexing failed; will retry");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Applies one batch of notes; returns how many were applied.
pub async fn drain_once(store: &Arc<dyn Store>, search: &Search) -> anyhow::Result<usize> {
    let batch = store.search_outbox_batch(BATCH).await?;
    if batch.is_empty() {
        return Ok(0);
    }
    if search.suspended.load(Ordering::SeqCst) {
        return Err(SearchError::Unavailable("indexing is suspended".into()).into());
    }
    let mut by_kind: BTreeMap<SearchKind, BTreeSet<Uuid>> = BTreeMap::new();
    for n in &batch {
        by_kind.entry(n.kind).or_default().insert(n.entity_id);
    }
    apply(store, search.index.as_ref(), by_kind).await?;
    let ids: Vec<i64> = batch.iter().map(|n| n.id).collect();
    store.search_outbox_remove(&ids).await?;
    Ok(ids.len())
}

/// Re-reads these objects and upserts or removes each in the index.
async fn apply(
    store: &Arc<dyn Store>,
    index: &dyn SearchIndex,
    by_kind: BTreeMap<SearchKind, BTreeSet<Uuid>>,
) -> anyhow::Result<()> {
    let mut docs = Vec::new();
    let mut deleted = Vec::new();
    for (kind, ids) in by_kind {
        let ids: Vec<Uuid> = ids.into_iter().collect();
        let found = store.search_docs(kind, &ids).await?;
        let present: BTreeSet<Uuid> = found.iter().map(|d| d.id).collect();
        deleted.extend(ids.into_iter().filter(|id| !present.contains(id)).map(|id| (kind, id)));
        docs.extend(found);
    }
    index.apply(docs, deleted).await?;
    Ok(())
}
