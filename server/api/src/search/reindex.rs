//! Full rebuild of the index from the database: `artel reindex`, and the
//! first start with an empty embedded index. Changes made meanwhile still go
//! through the outbox, so the index converges after the rebuild.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use artel_core::search::SearchKind;
use artel_core::Store;

use super::Search;

/// Documents read and written per round.
const PAGE: i64 = 5000;

/// Clears the index and writes every live document again. `progress(kind,
/// documents written so far of that kind)` after each page.
pub async fn rebuild(
    store: &Arc<dyn Store>,
    search: &Search,
    mut progress: impl FnMut(SearchKind, u64),
) -> anyhow::Result<u64> {
    search.reindexing.store(true, Ordering::SeqCst);
    let result = async {
        search.index.clear().await?;
        let mut total = 0u64;
        for kind in SearchKind::ALL {
            let mut after = None;
            let mut done = 0u64;
            loop {
                let docs = store.search_doc_page(kind, after, PAGE).await?;
                let Some(last) = docs.last() else { break };
                after = Some(last.id);
                let n = docs.len() as u64;
                search.index.apply(docs, Vec::new()).await?;
                done += n;
                progress(kind, done);
            }
            total += done;
        }
        anyhow::Ok(total)
    }
    .await;
    search.reindexing.store(false, Ordering::SeqCst);
    result
}

/// `artel reindex`: rebuilds with a progress bar per kind.
pub async fn run_cli(
    data: &crate::config::DataConfig,
    config: &crate::config::SearchConfig,
) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    let store = artel_store::connect(&data.store_config()).await?;
    let search = Search::open(data, config).await.map_err(|e| {
        e.context("the embedded index is locked while `artel serve` runs on this data dir: stop it first")
    })?;
    let style = ProgressStyle::with_template("{prefix:>8} [{bar:40}] {pos}/{len} {per_sec} {eta}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let mut bars = Vec::new();
    for kind in SearchKind::ALL {
        let count = store.search_doc_count(kind).await?;
        let bar = ProgressBar::new(u64::try_from(count).unwrap_or(0)).with_style(style.clone());
        bar.set_prefix(kind.as_str());
        bars.push((kind, bar));
    }
    let started = std::time::Instant::now();
    let total = rebuild(&store, &search, |kind, done| {
        if let Some((_, bar)) = bars.iter().find(|(k, _)| *k == kind) {
            bar.set_position(done);
        }
    })
    .await?;
    for (_, bar) in &bars {
        bar.finish();
    }
    // What was indexed now is current; notes written before are redundant.
    loop {
        let batch = store.search_outbox_batch(1000).await?;
        if batch.is_empty() {
            break;
        }
        let applied = super::indexer::drain_once(&store, &search).await?;
        if applied == 0 {
            break;
        }
    }
    let size = search.index.size_on_disk().map(|b| format!(", index {:.1} MiB", b as f64 / 1048576.0));
    println!(
        "reindexed {total} documents in {:.1} s{}",
        started.elapsed().as_secs_f64(),
        size.unwrap_or_default()
    );
    store.close().await;
    Ok(())
}
