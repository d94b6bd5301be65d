//! Search as the server runs it: the backend the configuration names, the
//! indexer that drains the outbox into it, `artel reindex`, and turning a
//! searcher's query into permission-filtered index queries (`plan`).

pub mod indexer;
pub mod plan;
pub mod reindex;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use artel_core::search::SearchIndex;
use artel_core::Store;
use artel_search::{EmbeddedSearch, MeiliSearch};

use crate::config::{DataConfig, SearchConfig};

/// The search backend and the indexer's shared flags.
pub struct Search {
    pub index: Arc<dyn SearchIndex>,
    /// A full rebuild is running (search is catching up meanwhile).
    pub reindexing: AtomicBool,
    /// Indexing paused (maintenance, tests): the indexer behaves exactly as
    /// during a backend outage — it retries and nothing is lost.
    pub suspended: AtomicBool,
    /// The server stopped: the indexer finishes its round and exits.
    pub stopped: AtomicBool,
    /// The embedded index was created empty at start-up: rebuild it first.
    pub(crate) needs_rebuild: bool,
    /// The indexer's drain rounds, for "a whole round ran after my change".
    pub passes: crate::passes::Passes,
}

impl Search {
    /// Opens the backend: Meilisearch when configured, else the embedded index
    /// in `<data_dir>/search`.
    pub async fn open(data: &DataConfig, config: &SearchConfig) -> anyhow::Result<Self> {
        let (index, needs_rebuild): (Arc<dyn SearchIndex>, bool) =
            match config.meili_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                Some(url) => {
                    let key = config.meili_key.as_ref().map(|k| k.expose().to_string());
                    let meili = MeiliSearch::connect(url, key, &config.meili_index)
                        .await
                        .context("connecting to Meilisearch (MEILI_URL)")?;
                    tracing::info!(index = %config.meili_index, "search: Meilisearch");
                    (Arc::new(meili), false)
                }
                None => {
                    let dir = data.data_dir.join("search");
                    let dir2 = dir.clone();
                    let (embedded, fresh) = tokio::task::spawn_blocking(move || EmbeddedSearch::open(&dir2))
                        .await?
                        .with_context(|| format!("opening the search index in {}", dir.display()))?;
                    tracing::info!(dir = %dir.display(), "search: embedded index");
                    (Arc::new(embedded), fresh)
                }
            };
        Ok(Self {
            index,
            reindexing: AtomicBool::new(false),
            suspended: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            needs_rebuild,
            passes: crate::passes::Passes::default(),
        })
    }

    /// Whether the index is behind the database: notes wait in the outbox or a
    /// rebuild runs. The indexer deletes a note only after the index applied it
    /// and a search sees it, so `false` means "a search now sees every change
    /// committed before this call".
    pub async fn catching_up(&self, store: &Arc<dyn Store>) -> anyhow::Result<bool> {
        if self.reindexing.load(Ordering::SeqCst) {
            return Ok(true);
        }
        Ok(store.search_outbox_pending().await? > 0)
    }

    /// Stops the indexer (server shutdown).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Pauses or resumes indexing.
    pub fn set_suspended(&self, suspended: bool) {
        self.suspended.store(suspended, Ordering::SeqCst);
    }
}
