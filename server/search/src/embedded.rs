//! `EmbeddedSearch`: a tantivy index in the data directory (single node). Every
//! `apply` commits and reloads the searcher before returning, so "applied" means
//! "a search sees it" — the indexer relies on that to report `catching_up`.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use artel_core::search::{
    DealScope, IndexHit, IndexHits, IndexQuery, SearchDoc, SearchError, SearchIndex, SearchKind,
    SearchResult, SearchSort,
};
use async_trait::async_trait;
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery, RegexQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};
use uuid::Uuid;

use crate::analysis::{self, PLAIN, STEMMED};

/// Writer heap: small, the machine is shared with the database.
const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;
/// A writer unused this long is closed (merges finished, lock released).
const WRITER_IDLE: Duration = Duration::from_secs(2);
/// Shortest typed prefix expanded over the dictionary (one letter would match half of it).
const MIN_PREFIX_CHARS: usize = 2;

#[derive(Clone, Copy)]
struct Fields {
    uid: Field,
    kind: Field,
    workspace: Field,
    chat: Field,
    author: Field,
    deal: Field,
    stage: Field,
    people: Field,
    keys: Field,
    flags: Field,
    content: Field,
    plain: Field,
    at: Field,
    doc: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stemmed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(STEMMED)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let plain = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(PLAIN).set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        uid: b.add_text_field("uid", STRING),
        kind: b.add_text_field("kind", STRING),
        workspace: b.add_text_field("workspace", STRING),
        chat: b.add_text_field("chat", STRING),
        author: b.add_text_field("author", STRING),
        deal: b.add_text_field("deal", STRING),
        stage: b.add_text_field("stage", STRING),
        people: b.add_text_field("people", STRING),
        keys: b.add_text_field("keys", STRING),
        flags: b.add_text_field("flags", STRING),
        content: b.add_text_field("content", stemmed),
        plain: b.add_text_field("plain", plain),
        at: b.add_i64_field("at", INDEXED | FAST),
        doc: b.add_text_field("doc", STORED),
    };
    (b.build(), fields)
}

pub struct EmbeddedSearch {
    inner: Arc<Inner>,
}

/// The writer while one is open, and when it was last used.
type OpenWriter = Option<(IndexWriter<TantivyDocument>, Instant)>;

struct Inner {
    index: Index,
    /// Opened on the first write and closed after `WRITER_IDLE` without one,
    /// so the directory lock is free whenever nothing is being written (a
    /// restarted server or `artel reindex` can take it over).
    writer: Mutex<OpenWriter>,
    reader: IndexReader,
    f: Fields,
    dir: Option<PathBuf>,
}

fn err(e: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(e.to_string())
}

fn uid(kind: SearchKind, id: Uuid) -> String {
    format!("{}:{id}", kind.as_str())
}

impl EmbeddedSearch {
    /// Opens (creating if missing) the index in `dir`. Returns it and whether it
    /// was created just now (then the caller should rebuild it from the database).
    pub fn open(dir: &Path) -> SearchResult<(Self, bool)> {
        std::fs::create_dir_all(dir).map_err(err)?;
        let (schema, f) = schema();
        let mmap = MmapDirectory::open(dir).map_err(err)?;
        let fresh = !Index::exists(&mmap).map_err(err)?;
        let index = match Index::open_or_create(mmap, schema.clone()) {
            Ok(index) => index,
            Err(e) => {
                // An index of an older layout: start over (the caller reindexes).
                tracing::warn!(error = %e, dir = %dir.display(), "search index unreadable; recreating it");
                std::fs::remove_dir_all(dir).map_err(err)?;
                std::fs::create_dir_all(dir).map_err(err)?;
                let index =
                    Index::open_or_create(MmapDirectory::open(dir).map_err(err)?, schema).map_err(err)?;
                return Ok((Self::with_index(index, f, Some(dir.to_path_buf()))?, true));
            }
        };
        Ok((Self::with_index(index, f, Some(dir.to_path_buf()))?, fresh))
    }

    /// An index in memory (tests of the index alone).
    pub fn in_memory() -> SearchResult<Self> {
        let (schema, f) = schema();
        Self::with_index(Index::create_in_ram(schema), f, None)
    }

    fn with_index(index: Index, f: Fields, dir: Option<PathBuf>) -> SearchResult<Self> {
        index.tokenizers().register(STEMMED, analysis::stemmed_analyzer());
        index.tokenizers().register(PLAIN, analysis::plain_analyzer());
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into().map_err(err)?;
        let inner = Arc::new(Inner { index, writer: Mutex::new(None), reader, f, dir });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("search-writer-idle".into())
            .spawn(move || loop {
                std::thread::sleep(WRITER_IDLE / 2);
                let Some(inner) = weak.upgrade() else { return };
                inner.close_if_idle();
            })
            .map_err(err)?;
        Ok(Self { inner })
    }
}

impl Inner {
    fn document(&self, d: &SearchDoc) -> SearchResult<TantivyDocument> {
        let f = self.f;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.uid, uid(d.kind, d.id));
        doc.add_text(f.kind, d.kind.as_str());
        doc.add_text(f.workspace, d.workspace_id.to_string());
        let content = if d.title.is_empty() { d.text.clone() } else { format!("{}\n{}", d.title, d.text) };
        doc.add_text(f.content, &content);
        doc.add_text(f.plain, &content);
        if let Some(c) = d.chat_id {
            doc.add_text(f.chat, c.to_string());
        }
        if let Some(a) = d.author_id {
            doc.add_text(f.author, a.to_string());
        }
        if let Some(deal) = d.deal_id {
            doc.add_text(f.deal, deal.to_string());
            doc.add_text(f.flags, "deal");
        }
        if let Some(s) = d.stage_id {
            doc.add_text(f.stage, s.to_string());
        }
        for p in &d.people {
            doc.add_text(f.people, p.to_string());
        }
        for k in &d.keys {
            doc.add_text(f.keys, k);
        }
        for (on, flag) in [(d.has_file, "file"), (d.has_link, "link"), (d.is_thread, "thread")] {
            if on {
                doc.add_text(f.flags, flag);
            }
        }
        doc.add_i64(f.at, d.at.timestamp_micros());
        doc.add_text(f.doc, serde_json::to_string(d).map_err(err)?);
        Ok(doc)
    }

    fn lock_writer(&self) -> SearchResult<std::sync::MutexGuard<'_, OpenWriter>> {
        let mut guard =
            self.writer.lock().map_err(|_| SearchError::Backend("index writer poisoned".into()))?;
        if guard.is_none() {
            let w = self.index.writer_with_num_threads(1, WRITER_HEAP_BYTES).map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => {
                    SearchError::Unavailable(format!("search index is locked by another writer: {e}"))
                }
                other => err(other),
            })?;
            *guard = Some((w, Instant::now()));
        }
        Ok(guard)
    }

    fn close_if_idle(&self) {
        let Ok(mut guard) = self.writer.lock() else { return };
        if guard.as_ref().is_some_and(|(_, used)| used.elapsed() >= WRITER_IDLE) {
            if let Some((w, _)) = guard.take() {
                // Let running merges finish so segments do not pile up.
                if let Err(e) = w.wait_merging_threads() {
                    tracing::warn!(error = %e, "search index: merge on close failed");
                }
            }
        }
    }

    fn apply(&self, docs: &[SearchDoc], deleted: &[(SearchKind, Uuid)]) -> SearchResult<()> {
        let mut guard = self.lock_writer()?;
        let Some((writer, used)) = guard.as_mut() else {
            return Err(SearchError::Backend("no index writer".into()));
        };
        *used = Instant::now();
        for (kind, id) in deleted {
            writer.delete_term(Term::from_field_text(self.f.uid, &uid(*kind, *id)));
        }
        for d in docs {
            writer.delete_term(Term::from_field_text(self.f.uid, &uid(d.kind, d.id)));
            writer.add_document(self.document(d)?).map_err(err)?;
        }
        writer.commit().map_err(err)?;
        drop(guard);
        self.reader.reload().map_err(err)
    }

    fn clear(&self) -> SearchResult<()> {
        let mut guard = self.lock_writer()?;
        let Some((writer, _)) = guard.as_mut() else {
            return Err(SearchError::Backend("no index writer".into()));
        };
        writer.delete_all_documents().map_err(err)?;
        writer.commit().map_err(err)?;
        drop(guard);
        self.reader.reload().map_err(err)
    }

    fn term(&self, field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
    }

    fn filter(&self, q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
        (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
    }

    fn set(&self, field: Field, ids: &[Uuid]) -> Box<dyn Query> {
        Box::new(TermSetQuery::new(ids.iter().map(|id| Term::from_field_text(field, &id.to_string()))))
    }

    fn stem_term(&self, stem: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(self.f.content, stem), IndexRecordOption::WithFreqs))
    }

    /// The query, or `None` when a filter can match nothing (empty id list).
    fn build(&self, q: &IndexQuery) -> SearchResult<(Option<Box<dyn Query>>, bool)> {
        let f = self.f;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            self.filter(self.term(f.workspace, &q.workspace_id.to_string())),
            self.filter(self.term(f.kind, q.kind.as_str())),
        ];
        let mut scored = false;
        for word in &q.words {
            for stem in analysis::stems(word) {
                clauses.push((Occur::Must, self.stem_term(&stem)));
                scored = true;
            }
        }
        if let Some(prefix) = &q.prefix {
            let mut plain = analysis::plain_words(prefix);
            if let Some(last) = plain.pop() {
                for w in plain {
                    clauses.push((Occur::Must, self.stem_term(&analysis::stem_word(&w))));
                }
                let exact = self.stem_term(&analysis::stem_word(&last));
                if last.chars().count() >= MIN_PREFIX_CHARS {
                    // Dictionary words are alphanumeric: nothing to escape.
                    let pattern = format!("{}.*", last);
                    let by_prefix = RegexQuery::from_pattern(&pattern, f.plain).map_err(err)?;
                    clauses.push((
                        Occur::Must,
                        Box::new(BooleanQuery::new(vec![
                            (Occur::Should, exact),
                            (Occur::Should, Box::new(ConstScoreQuery::new(Box::new(by_prefix), 0.5))),
                        ])),
                    ));
                } else {
                    clauses.push((Occur::Must, exact));
                }
                scored = true;
            }
        }
        for phrase in &q.phrases {
            let stems = analysis::stems(phrase);
            match stems.len() {
                0 => {}
                1 => clauses.push((Occur::Must, self.stem_term(&stems[0]))),
                _ => clauses.push((
                    Occur::Must,
                    Box::new(PhraseQuery::new(
                        stems.iter().map(|s| Term::from_field_text(f.content, s)).collect(),
                    )),
                )),
            }
            scored |= !stems.is_empty();
        }
        for word in &q.excluded {
            for stem in analysis::stems(word) {
                clauses.push((Occur::MustNot, self.stem_term(&stem)));
            }
        }
        for key in &q.keys {
            clauses.push((Occur::Must, self.term(f.keys, key)));
            scored = true;
        }
        let fl = &q.filter;
        for (ids, field) in [
            (&fl.chat_ids, f.chat),
            (&fl.author_ids, f.author),
            (&fl.deal_ids, f.deal),
            (&fl.stage_ids, f.stage),
        ] {
            if let Some(ids) = ids {
                if ids.is_empty() {
                    return Ok((None, scored));
                }
                clauses.push(self.filter(self.set(field, ids)));
            }
        }
        if fl.before.is_some() || fl.after.is_some() {
            let lower = fl.after.map_or(Bound::Unbounded, |t| {
                Bound::Included(Term::from_field_i64(f.at, t.timestamp_micros()))
            });
            let upper = fl.before.map_or(Bound::Unbounded, |t| {
                Bound::Excluded(Term::from_field_i64(f.at, t.timestamp_micros()))
            });
            clauses.push(self.filter(Box::new(RangeQuery::new(lower, upper))));
        }
        for (on, flag) in [(fl.has_file, "file"), (fl.has_link, "link"), (fl.is_thread, "thread")] {
            if on {
                clauses.push(self.filter(self.term(f.flags, flag)));
            }
        }
        if let Some((user, scope)) = &fl.restrict_to {
            let mut any: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Should, self.term(f.people, &user.to_string()))];
            match scope {
                DealScope::None => {}
                DealScope::Any => any.push((Occur::Should, self.term(f.flags, "deal"))),
                DealScope::Ids(ids) if !ids.is_empty() => any.push((Occur::Should, self.set(f.deal, ids))),
                DealScope::Ids(_) => {}
            }
            clauses.push(self.filter(Box::new(BooleanQuery::new(any))));
        }
        Ok((Some(Box::new(BooleanQuery::new(clauses))), scored))
    }

    fn search(&self, q: &IndexQuery) -> SearchResult<IndexHits> {
        let (query, scored) = self.build(q)?;
        let Some(query) = query else {
            return Ok(IndexHits::default());
        };
        let searcher = self.reader.searcher();
        let limit = q.limit.max(1);
        let top = TopDocs::with_limit(limit).and_offset(q.offset);
        let (total, addrs): (usize, Vec<DocAddress>) = if q.sort == SearchSort::Newest || !scored {
            let (total, docs) = searcher
                .search(&*query, &(Count, top.order_by_fast_field::<i64>("at", Order::Desc)))
                .map_err(err)?;
            (total, docs.into_iter().map(|(_, a)| a).collect())
        } else {
            let (total, docs) = searcher.search(&*query, &(Count, top.order_by_score())).map_err(err)?;
            (total, docs.into_iter().map(|(_, a)| a).collect())
        };
        let mut hits = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let stored: TantivyDocument = searcher.doc(addr).map_err(err)?;
            let json = stored.get_first(self.f.doc).and_then(|v| v.as_str()).unwrap_or_default();
            let doc: SearchDoc = serde_json::from_str(json).map_err(err)?;
            hits.push(IndexHit { id: doc.id, doc });
        }
        Ok(IndexHits { total: total as u64, hits })
    }
}

#[async_trait]
impl SearchIndex for EmbeddedSearch {
    fn name(&self) -> &'static str {
        "embedded"
    }

    async fn apply(&self, docs: Vec<SearchDoc>, deleted: Vec<(SearchKind, Uuid)>) -> SearchResult<()> {
        if docs.is_empty() && deleted.is_empty() {
            return Ok(());
        }
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.apply(&docs, &deleted)).await.map_err(err)?
    }

    async fn search(&self, query: &IndexQuery) -> SearchResult<IndexHits> {
        let inner = self.inner.clone();
        let query = query.clone();
        tokio::task::spawn_blocking(move || inner.search(&query)).await.map_err(err)?
    }

    async fn clear(&self) -> SearchResult<()> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.clear()).await.map_err(err)?
    }

    fn size_on_disk(&self) -> Option<u64> {
        let dir = self.inner.dir.as_ref()?;
        let entries = std::fs::read_dir(dir).ok()?;
        Some(entries.filter_map(|e| e.ok()?.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
    }
}

impl std::fmt::Debug for EmbeddedSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedSearch").field("dir", &self.inner.dir).finish()
    }
}
