//! `EmbeddedSearch`: a tantivy index in the data directory (single node). Every
//! `apply` commits and reloads the searcher before returning, so "applied" means
//! "a search sees it" — the indexer relies on that to report `catching_up`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use artel_core::search::{
    DealScope, IndexHit, IndexHits, IndexQuery, SearchDoc, SearchError, SearchIndex, SearchKind,
    SearchResult, SearchSort,
};
use async_trait::async_trait;
use tantivy::directory::MmapDirectory;
use tantivy::fastfield::AliveBitSet;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EnableScoring, Occur, PhraseQuery, Query, RangeQuery,
    RegexQuery, Scorer, TermQuery, TermSetQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::{
    DocAddress, DocId, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, SegmentReader,
    TantivyDocument, Term, TERMINATED,
};
use uuid::Uuid;

use crate::analysis::{self, PLAIN, STEMMED};

/// Writer heap: small, the machine is shared with the database.
const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;
/// A writer unused this long is closed (merges finished, lock released).
const WRITER_IDLE: Duration = Duration::from_secs(2);
/// Shortest typed prefix expanded over the dictionary (one letter would match half of it).
const MIN_PREFIX_CHARS: usize = 2;
/// A typed prefix matching at most this many dictionary words is searched as
/// those words (ranked with block skipping); beyond, by a regex over the
/// dictionary, which visits every hit.
const MAX_PREFIX_TERMS: usize = 32;

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
        // FAST: the chat restriction is checked per hit from the column.
        chat: b.add_text_field("chat", STRING | FAST),
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

    fn set(&self, field: Field, ids: &[Uuid]) -> Box<dyn Query> {
        Box::new(TermSetQuery::new(ids.iter().map(|id| Term::from_field_text(field, &id.to_string()))))
    }

    fn stem_term(&self, stem: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(self.f.content, stem), IndexRecordOption::WithFreqs))
    }

    /// The query's two halves, or `None` when a filter can match nothing (an empty
    /// id list). `searcher` expands a typed prefix over the dictionary.
    fn build(&self, q: &IndexQuery, searcher: &Searcher) -> SearchResult<Option<Built>> {
        let f = self.f;
        let mut filters: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, self.term(f.workspace, &q.workspace_id.to_string())),
            (Occur::Must, self.term(f.kind, q.kind.as_str())),
        ];
        let mut text: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in &q.words {
            for stem in analysis::stems(word) {
                text.push((Occur::Must, self.stem_term(&stem)));
            }
        }
        if let Some(prefix) = &q.prefix {
            let mut plain = analysis::plain_words(prefix);
            if let Some(last) = plain.pop() {
                for w in plain {
                    text.push((Occur::Must, self.stem_term(&analysis::stem_word(&w))));
                }
                let exact = self.stem_term(&analysis::stem_word(&last));
                if last.chars().count() >= MIN_PREFIX_CHARS {
                    let mut any = vec![(Occur::Should, exact)];
                    match self.prefix_terms(searcher, &last)? {
                        // A few words: each one a term, so the ranking can skip blocks.
                        Some(words) => any.extend(words.iter().map(|w| {
                            let term = Term::from_field_text(f.plain, w);
                            (
                                Occur::Should,
                                Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                            )
                        })),
                        None => {
                            // Dictionary words are alphanumeric: nothing to escape.
                            let by_prefix =
                                RegexQuery::from_pattern(&format!("{last}.*"), f.plain).map_err(err)?;
                            any.push((
                                Occur::Should,
                                Box::new(ConstScoreQuery::new(Box::new(by_prefix), 0.5)),
                            ));
                        }
                    }
                    text.push((Occur::Must, Box::new(BooleanQuery::new(any))));
                } else {
                    text.push((Occur::Must, exact));
                }
            }
        }
        for phrase in &q.phrases {
            let stems = analysis::stems(phrase);
            match stems.len() {
                0 => {}
                1 => text.push((Occur::Must, self.stem_term(&stems[0]))),
                _ => text.push((
                    Occur::Must,
                    Box::new(PhraseQuery::new(
                        stems.iter().map(|s| Term::from_field_text(f.content, s)).collect(),
                    )),
                )),
            }
        }
        for key in &q.keys {
            text.push((Occur::Must, self.term(f.keys, key)));
        }
        let scored = !text.is_empty();
        for word in &q.excluded {
            for stem in analysis::stems(word) {
                filters.push((Occur::MustNot, self.stem_term(&stem)));
            }
        }
        let fl = &q.filter;
        for (ids, field) in [(&fl.author_ids, f.author), (&fl.deal_ids, f.deal), (&fl.stage_ids, f.stage)] {
            if let Some(ids) = ids {
                if ids.is_empty() {
                    return Ok(None);
                }
                filters.push((Occur::Must, self.set(field, ids)));
            }
        }
        let chats = match &fl.chat_ids {
            Some(ids) if ids.is_empty() => return Ok(None),
            Some(ids) => Some(ids.iter().map(|id| id.to_string()).collect::<Vec<_>>()),
            None => None,
        };
        if fl.before.is_some() || fl.after.is_some() {
            let lower = fl.after.map_or(Bound::Unbounded, |t| {
                Bound::Included(Term::from_field_i64(f.at, t.timestamp_micros()))
            });
            let upper = fl.before.map_or(Bound::Unbounded, |t| {
                Bound::Excluded(Term::from_field_i64(f.at, t.timestamp_micros()))
            });
            filters.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        for (on, flag) in [(fl.has_file, "file"), (fl.has_link, "link"), (fl.is_thread, "thread")] {
            if on {
                filters.push((Occur::Must, self.term(f.flags, flag)));
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
            filters.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        // A single required clause is used as it is: a lone term (or a union of
        // terms) is what tantivy ranks with block-max WAND.
        let text: Box<dyn Query> = if text.len() == 1 && text[0].0 == Occur::Must {
            text.pop().map(|(_, q)| q).ok_or_else(|| err("no text clause"))?
        } else if text.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(text))
        };
        Ok(Some(Built { filter: Box::new(BooleanQuery::new(filters)), chats, text, scored }))
    }

    /// The dictionary words starting with `prefix`, when there are at most
    /// `MAX_PREFIX_TERMS` of them (over all segments); `None` when there are more.
    fn prefix_terms(&self, searcher: &Searcher, prefix: &str) -> SearchResult<Option<Vec<String>>> {
        let mut words: Vec<String> = Vec::new();
        for reader in searcher.segment_readers() {
            let index = reader.inverted_index(self.f.plain).map_err(err)?;
            let mut stream = index.terms().range().ge(prefix.as_bytes()).into_stream().map_err(err)?;
            while stream.advance() {
                let key = stream.key();
                if !key.starts_with(prefix.as_bytes()) {
                    break;
                }
                let word = String::from_utf8_lossy(key).into_owned();
                if !words.contains(&word) {
                    if words.len() == MAX_PREFIX_TERMS {
                        return Ok(None);
                    }
                    words.push(word);
                }
            }
        }
        Ok(Some(words))
    }

    fn search(&self, q: &IndexQuery) -> SearchResult<IndexHits> {
        let searcher = self.reader.searcher();
        let (total, ranked) = self.ranked(q, &searcher)?;
        let mut hits = Vec::with_capacity(ranked.len());
        for (_, addr) in ranked {
            let stored: TantivyDocument = searcher.doc(addr).map_err(err)?;
            let json = stored.get_first(self.f.doc).and_then(|v| v.as_str()).unwrap_or_default();
            let doc: SearchDoc = serde_json::from_str(json).map_err(err)?;
            hits.push(IndexHit { id: doc.id, doc });
        }
        Ok(IndexHits { total, hits })
    }

    /// The total (exact, or estimated past `EXACT_COUNT_PER_SEGMENT` per segment)
    /// and the page's hits with their keys, best first.
    fn ranked(&self, q: &IndexQuery, searcher: &Searcher) -> SearchResult<(u64, Vec<(f64, DocAddress)>)> {
        let Some(built) = self.build(q, searcher)? else {
            return Ok((0, Vec::new()));
        };
        let wanted = q.offset + q.limit.max(1);
        let by_score = q.sort == SearchSort::Relevance && built.scored;
        let text = built.text.weight(EnableScoring::enabled_from_searcher(searcher)).map_err(err)?;
        let filter = built.filter.weight(EnableScoring::disabled_from_searcher(searcher)).map_err(err)?;
        // Text and filters as one query: tantivy's intersection is led by its
        // rarest part, so a narrow filter or a rare word keeps the first pass short.
        let both = BooleanQuery::new(vec![
            (Occur::Must, built.text.box_clone()),
            (Occur::Must, built.filter.box_clone()),
        ])
        .weight(EnableScoring::disabled_from_searcher(searcher))
        .map_err(err)?;
        let mut total = 0u64;
        let mut top = TopK::new(wanted);
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let ord = ord as u32;
            let chats = ChatFilter::new(reader, built.chats.as_deref())?;
            let alive = reader.alive_bitset();
            let passes = |doc: DocId| alive.is_none_or(|a| a.is_alive(doc)) && chats.admits(doc);
            // First pass: the segment's hits, up to EXACT_COUNT_PER_SEGMENT of them.
            let mut docs = both.scorer(reader, 1.0).map_err(err)?;
            let mut hits: Vec<DocId> = Vec::new();
            let mut doc = docs.doc();
            while doc != TERMINATED && hits.len() < EXACT_COUNT_PER_SEGMENT {
                if passes(doc) {
                    hits.push(doc);
                }
                doc = docs.advance();
            }
            // Skip the hits that did not pass, to stop at the next one that does.
            while doc != TERMINATED && !passes(doc) {
                doc = docs.advance();
            }
            let complete = doc == TERMINATED;
            if complete || !by_score {
                // All of the segment's hits are in `hits` (or, newest first, every
                // one is visited anyway for its time): rank them directly.
                let at = reader.fast_fields().i64("at").map_err(err)?;
                let mut scorer = if by_score { Some(text.scorer(reader, 1.0).map_err(err)?) } else { None };
                let mut rank = |doc: DocId| -> f64 {
                    match scorer.as_mut() {
                        Some(s) => {
                            if s.doc() < doc {
                                s.seek(doc);
                            }
                            f64::from(s.score())
                        }
                        None => at.first(doc).unwrap_or(i64::MIN) as f64,
                    }
                };
                for &hit in &hits {
                    top.offer(rank(hit), ord, hit);
                }
                total += hits.len() as u64;
                while doc != TERMINATED {
                    if passes(doc) {
                        top.offer(rank(doc), ord, doc);
                        total += 1;
                    }
                    doc = docs.advance();
                }
            } else {
                // A broad word: estimate the count from how far into the segment
                // the exact count got, and rank only hits that could enter the
                // top (block-max WAND when the text is terms), checking the
                // filters of each by seeking.
                let seen = hits.len() as u64 + 1;
                total += (seen * u64::from(reader.max_doc())).div_ceil(u64::from(doc) + 1).max(seen);
                let mut pass =
                    Filter { docs: filter.scorer(reader, 1.0).map_err(err)?, chats: &chats, alive };
                text.for_each_pruning(top.threshold(), reader, &mut |doc, score| {
                    if pass.admits(doc) {
                        top.offer(f64::from(score), ord, doc);
                    }
                    top.threshold()
                })
                .map_err(err)?;
            }
        }
        Ok((total, top.into_sorted().into_iter().skip(q.offset).collect()))
    }
}

/// A query split for ranking: `text` is scored, `filter` (and the chat list) only
/// decides which hits count.
struct Built {
    filter: Box<dyn Query>,
    /// Chats a message must be in (ids as indexed), when restricted.
    chats: Option<Vec<String>>,
    text: Box<dyn Query>,
    /// Whether `text` ranks anything (words, prefix, phrases, keys).
    scored: bool,
}

/// Messages' chat restriction in one segment: the allowed chats' ordinals in the
/// segment's `chat` column, so a hit is checked with one column read instead of the
/// whole list's postings being gathered up front.
struct ChatFilter {
    /// `None`: no restriction. A segment without a `chat` column has no message
    /// in any chat, so nothing passes.
    allowed: Option<(Option<tantivy::columnar::Column<u64>>, HashSet<u64>)>,
}

impl ChatFilter {
    fn new(reader: &SegmentReader, chats: Option<&[String]>) -> SearchResult<Self> {
        let Some(chats) = chats else { return Ok(Self { allowed: None }) };
        let mut ords = HashSet::new();
        let Some(column) = reader.fast_fields().str("chat").map_err(err)? else {
            return Ok(Self { allowed: Some((None, ords)) });
        };
        for chat in chats {
            if let Some(ord) = column.dictionary().term_ord(chat.as_bytes()).map_err(err)? {
                ords.insert(ord);
            }
        }
        Ok(Self { allowed: Some((Some(column.ords().clone()), ords)) })
    }

    fn admits(&self, doc: DocId) -> bool {
        match &self.allowed {
            None => true,
            Some((column, ords)) => {
                column.as_ref().and_then(|c| c.first(doc)).is_some_and(|ord| ords.contains(&ord))
            }
        }
    }
}

/// Everything a hit must pass besides its text, for docs offered in ascending order.
struct Filter<'a> {
    docs: Box<dyn Scorer>,
    chats: &'a ChatFilter,
    alive: Option<&'a AliveBitSet>,
}

impl Filter<'_> {
    fn admits(&mut self, doc: DocId) -> bool {
        if self.alive.is_some_and(|a| !a.is_alive(doc)) {
            return false;
        }
        let mut at = self.docs.doc();
        if at < doc {
            at = self.docs.seek(doc);
        }
        at == doc && self.chats.admits(doc)
    }
}

/// Hits counted exactly in a segment; past this, the segment's count is
/// extrapolated from how far into its doc ids the count got ("may be an
/// estimate", as Meilisearch's `estimatedTotalHits`), and the ranking visits only
/// hits that can enter the page. A word in half of a million messages then costs
/// a few blocks instead of every hit.
const EXACT_COUNT_PER_SEGMENT: usize = 1_000;

/// The best `k` hits so far (highest key first; ties to the lower address).
struct TopK {
    k: usize,
    heap: BinaryHeap<Reverse<Ranked>>,
}

/// A hit's key (score, or time for newest first; `f64` holds microsecond
/// timestamps exactly) and address.
#[derive(PartialEq)]
struct Ranked(f64, DocAddress);

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then_with(|| other.1.cmp(&self.1))
    }
}

impl TopK {
    fn new(k: usize) -> Self {
        Self { k, heap: BinaryHeap::with_capacity(k + 1) }
    }

    /// Hits scoring at or below this cannot enter (tantivy's pruning threshold).
    fn threshold(&self) -> Score {
        if self.heap.len() < self.k {
            Score::MIN
        } else {
            self.heap.peek().map_or(Score::MIN, |Reverse(r)| r.0 as Score)
        }
    }

    fn offer(&mut self, key: f64, segment: u32, doc: DocId) {
        if self.k == 0 {
            return;
        }
        let ranked = Ranked(key, DocAddress::new(segment, doc));
        if self.heap.len() < self.k {
            self.heap.push(Reverse(ranked));
        } else if self.heap.peek().is_some_and(|Reverse(min)| ranked > *min) {
            self.heap.pop();
            self.heap.push(Reverse(ranked));
        }
    }

    fn into_sorted(self) -> Vec<(f64, DocAddress)> {
        let mut all: Vec<Ranked> = self.heap.into_iter().map(|Reverse(r)| r).collect();
        all.sort_by(|a, b| b.cmp(a));
        all.into_iter().map(|Ranked(s, a)| (s, a)).collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use artel_core::search::IndexFilter;
    use chrono::{TimeZone, Utc};
    use tantivy::collector::{Count, TopDocs};

    const WORDS: &[&str] = &[
        "договор",
        "договора",
        "договоров",
        "счёт",
        "оплата",
        "meeting",
        "meetings",
        "invoice",
        "завтра",
        "доставка",
    ];

    /// A small deterministic generator (no dependency needed for a test).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn message(ws: Uuid, chat: Uuid, text: String, at: i64) -> SearchDoc {
        SearchDoc {
            kind: SearchKind::Message,
            id: Uuid::now_v7(),
            workspace_id: ws,
            title: String::new(),
            text,
            keys: Vec::new(),
            at: Utc.timestamp_opt(1_700_000_000 + at, 0).single().expect("a valid time"),
            chat_id: Some(chat),
            seq: Some(at),
            author_id: None,
            is_thread: false,
            has_file: false,
            has_link: false,
            deal_id: None,
            stage_id: None,
            people: Vec::new(),
        }
    }

    /// Several segments of generated messages in 6 chats of one workspace, plus
    /// another workspace's messages, some deleted.
    fn fixture(per_segment: usize) -> (EmbeddedSearch, Uuid, Vec<Uuid>) {
        let index = EmbeddedSearch::in_memory().expect("index");
        let inner = &index.inner;
        let (ws, other) = (Uuid::now_v7(), Uuid::now_v7());
        let chats: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
        let mut rng = Lcg(42);
        let mut at = 0;
        for _ in 0..4 {
            let docs: Vec<SearchDoc> = (0..per_segment)
                .map(|_| {
                    at += 1;
                    let n = 1 + rng.next(12) as usize;
                    let text: Vec<&str> =
                        (0..n).map(|_| WORDS[rng.next(WORDS.len() as u64) as usize]).collect();
                    let owner = if rng.next(10) == 0 { other } else { ws };
                    message(owner, chats[rng.next(6) as usize], text.join(" "), at)
                })
                .collect();
            let gone: Vec<(SearchKind, Uuid)> = docs.iter().step_by(17).map(|d| (d.kind, d.id)).collect();
            inner.apply(&docs, &[]).expect("apply");
            inner.apply(&[], &gone).expect("delete");
        }
        (index, ws, chats)
    }

    fn query(
        ws: Uuid,
        words: &[&str],
        prefix: Option<&str>,
        chats: Option<Vec<Uuid>>,
        sort: SearchSort,
    ) -> IndexQuery {
        IndexQuery {
            workspace_id: ws,
            kind: SearchKind::Message,
            words: words.iter().map(|w| w.to_string()).collect(),
            prefix: prefix.map(str::to_string),
            phrases: Vec::new(),
            excluded: Vec::new(),
            keys: Vec::new(),
            filter: IndexFilter { chat_ids: chats, ..IndexFilter::default() },
            sort,
            limit: 20,
            offset: 0,
        }
    }

    /// What tantivy's own collectors answer for the same query, everything in
    /// one boolean query and every hit visited: the ranking must be the same.
    fn reference(inner: &Inner, q: &IndexQuery) -> (usize, Vec<f64>) {
        let searcher = inner.reader.searcher();
        let built = inner.build(q, &searcher).expect("build").expect("query");
        let mut all: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, built.text), (Occur::Must, Box::new(ConstScoreQuery::new(built.filter, 0.0)))];
        if let Some(chats) = &q.filter.chat_ids {
            all.push((Occur::Must, Box::new(ConstScoreQuery::new(inner.set(inner.f.chat, chats), 0.0))));
        }
        let top = TopDocs::with_limit(q.limit).and_offset(q.offset).order_by_score();
        let (n, docs) = searcher.search(&BooleanQuery::new(all), &(Count, top)).expect("search");
        (n, docs.into_iter().map(|(s, _)| f64::from(s)).collect())
    }

    #[test]
    fn pruned_ranking_matches_a_full_scan() {
        let (index, ws, chats) = fixture(400);
        let inner = &index.inner;
        let searcher = inner.reader.searcher();
        let cases = [
            query(ws, &["договор"], None, None, SearchSort::Relevance),
            query(ws, &[], Some("догов"), None, SearchSort::Relevance),
            query(ws, &[], Some("meet"), Some(chats[..2].to_vec()), SearchSort::Relevance),
            query(ws, &["счёт"], Some("завт"), Some(chats.clone()), SearchSort::Relevance),
            query(ws, &["оплата", "invoice"], None, Some(vec![chats[3]]), SearchSort::Relevance),
        ];
        for q in &cases {
            let (total, ranked) = inner.ranked(q, &searcher).expect("ranked");
            let (want_total, want) = reference(inner, q);
            assert!(want_total > 20, "{q:?}: the case must have more hits than a page");
            assert_eq!(total, want_total as u64, "{q:?}: exact total below the cap");
            let got: Vec<f64> = ranked.iter().map(|(s, _)| *s).collect();
            assert_eq!(got.len(), want.len(), "{q:?}");
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-4, "{q:?}: scores {got:?} vs {want:?}");
            }
            for (_, addr) in &ranked {
                let stored: TantivyDocument = searcher.doc(*addr).expect("doc");
                let doc: SearchDoc = serde_json::from_str(
                    stored.get_first(inner.f.doc).and_then(|v| v.as_str()).expect("stored doc"),
                )
                .expect("doc json");
                assert_eq!(doc.workspace_id, ws, "never another workspace's message");
                if let Some(allowed) = &q.filter.chat_ids {
                    assert!(
                        doc.chat_id.is_some_and(|c| allowed.contains(&c)),
                        "never a chat outside the filter"
                    );
                }
            }
        }
    }

    #[test]
    fn newest_first_is_ordered_by_time_and_pages() {
        let (index, ws, chats) = fixture(300);
        let inner = &index.inner;
        let searcher = inner.reader.searcher();
        let mut q = query(ws, &["договор"], None, Some(chats[..3].to_vec()), SearchSort::Newest);
        let (total, first) = inner.ranked(&q, &searcher).expect("ranked");
        q.offset = 20;
        let (_, second) = inner.ranked(&q, &searcher).expect("ranked");
        let keys: Vec<f64> = first.iter().chain(&second).map(|(k, _)| *k).collect();
        assert_eq!(keys.len(), 40);
        assert!(keys.windows(2).all(|w| w[0] > w[1]), "strictly newest first across pages: {keys:?}");
        let (want_total, _) = reference(inner, &q);
        assert_eq!(total, want_total as u64);
    }

    #[test]
    fn counts_past_the_cap_are_estimated_closely() {
        // 3,000 per segment: the commonest words pass the exact count in each.
        let (index, ws, _) = fixture(3_000);
        let inner = &index.inner;
        let searcher = inner.reader.searcher();
        let q = query(ws, &["договор"], None, None, SearchSort::Relevance);
        let (estimate, ranked) = inner.ranked(&q, &searcher).expect("ranked");
        let (exact, _) = reference(inner, &q);
        assert!(exact > 4 * EXACT_COUNT_PER_SEGMENT, "the case must pass the cap: {exact}");
        let error = (estimate as f64 - exact as f64).abs() / exact as f64;
        assert!(error < 0.1, "estimate {estimate} vs exact {exact}");
        assert_eq!(ranked.len(), 20);
    }

    #[test]
    fn a_prefix_with_many_words_still_matches_them_all() {
        let index = EmbeddedSearch::in_memory().expect("index");
        let ws = Uuid::now_v7();
        let chat = Uuid::now_v7();
        let docs: Vec<SearchDoc> = (0..MAX_PREFIX_TERMS as i64 + 8)
            .map(|i| message(ws, chat, format!("word zq{i:03}x"), i))
            .collect();
        index.inner.apply(&docs, &[]).expect("apply");
        let searcher = index.inner.reader.searcher();
        let q = query(ws, &[], Some("zq"), None, SearchSort::Relevance);
        let (total, _) = index.inner.ranked(&q, &searcher).expect("ranked");
        assert_eq!(total, docs.len() as u64, "past MAX_PREFIX_TERMS the regex still finds every word");
    }
}
