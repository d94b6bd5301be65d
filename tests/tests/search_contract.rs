//! The `SearchIndex` contract: one story, run against the embedded (tantivy)
//! index and against a real Meilisearch when one is available (`MEILI_URL`, or
//! `meilisearch` on PATH); otherwise the Meilisearch half says plainly that it
//! was skipped.

use std::sync::Arc;
use std::time::Duration;

use artel_core::search::{
    DealScope, IndexFilter, IndexQuery, SearchDoc, SearchIndex, SearchKind, SearchSort,
};
use artel_search::{EmbeddedSearch, MeiliSearch};
use artel_tests::meili::{MeiliServer, MISSING};
use chrono::{TimeZone, Utc};
use uuid::Uuid;

fn doc(kind: SearchKind, ws: Uuid, text: &str, minute: u32) -> SearchDoc {
    SearchDoc {
        kind,
        id: Uuid::now_v7(),
        workspace_id: ws,
        title: String::new(),
        text: text.to_string(),
        keys: artel_core::search::keys::extract(text),
        at: Utc.with_ymd_and_hms(2026, 11, 23, 10, minute, 0).single().expect("time"),
        chat_id: None,
        seq: Some(i64::from(minute)),
        author_id: None,
        is_thread: false,
        has_file: false,
        has_link: artel_core::search::keys::has_link(text),
        deal_id: None,
        stage_id: None,
        people: Vec::new(),
    }
}

fn query(ws: Uuid, kind: SearchKind, words: &[&str]) -> IndexQuery {
    IndexQuery {
        workspace_id: ws,
        kind,
        words: words.iter().map(|w| w.to_string()).collect(),
        prefix: None,
        phrases: Vec::new(),
        excluded: Vec::new(),
        keys: Vec::new(),
        filter: IndexFilter::default(),
        sort: SearchSort::Relevance,
        limit: 20,
        offset: 0,
    }
}

async fn ids(index: &dyn SearchIndex, q: &IndexQuery) -> Vec<Uuid> {
    let mut got: Vec<Uuid> = index.search(q).await.expect("search").hits.into_iter().map(|h| h.id).collect();
    got.sort();
    got
}

fn sorted(mut v: Vec<Uuid>) -> Vec<Uuid> {
    v.sort();
    v
}

/// The story every backend must pass.
async fn story(index: Arc<dyn SearchIndex>) {
    let ws = Uuid::now_v7();
    let other_ws = Uuid::now_v7();
    let chat_a = Uuid::now_v7();
    let chat_b = Uuid::now_v7();
    let alice = Uuid::now_v7();
    let mut a = doc(SearchKind::Message, ws, "Отправил договор клиенту", 1);
    a.chat_id = Some(chat_a);
    a.author_id = Some(alice);
    let mut b = doc(SearchKind::Message, ws, "Два договора подписаны, ссылка https://example.com", 2);
    b.chat_id = Some(chat_b);
    b.is_thread = true;
    let mut c = doc(SearchKind::Message, ws, "Weekly meetings moved; call +7 (916) 123-45-67", 3);
    c.chat_id = Some(chat_a);
    c.has_file = true;
    let mut elsewhere = doc(SearchKind::Message, other_ws, "договор другого пространства", 4);
    elsewhere.chat_id = Some(chat_a);
    let deal_id = Uuid::now_v7();
    let stage = Uuid::now_v7();
    let mut deal = doc(SearchKind::Deal, ws, "поставка насосов", 5);
    deal.title = "Насосы для Акме".into();
    deal.deal_id = Some(deal_id);
    deal.stage_id = Some(stage);
    deal.people = vec![alice];
    let mut task = doc(SearchKind::Task, ws, "позвонить по договору", 6);
    task.title = "Звонок".into();
    task.deal_id = Some(deal_id);
    let docs = vec![a.clone(), b.clone(), c.clone(), elsewhere.clone(), deal.clone(), task.clone()];
    index.clear().await.expect("clear");
    index.apply(docs, Vec::new()).await.expect("apply");

    let m = SearchKind::Message;
    // Morphology, both languages; workspace isolation.
    assert_eq!(ids(&*index, &query(ws, m, &["договоров"])).await, sorted(vec![a.id, b.id]));
    assert_eq!(ids(&*index, &query(ws, m, &["meeting"])).await, vec![c.id]);
    // Prefix of the word being typed.
    let mut q = query(ws, m, &[]);
    q.prefix = Some("догов".into());
    assert_eq!(ids(&*index, &q).await, sorted(vec![a.id, b.id]));
    // Phrase and exclusion.
    let mut q = query(ws, m, &[]);
    q.phrases = vec!["договора подписаны".into()];
    assert_eq!(ids(&*index, &q).await, vec![b.id]);
    let mut q = query(ws, m, &["договор"]);
    q.excluded = vec!["подписаны".into()];
    assert_eq!(ids(&*index, &q).await, vec![a.id]);
    // Keys.
    let mut q = query(ws, m, &[]);
    q.keys = vec!["tel:9161234567".into()];
    assert_eq!(ids(&*index, &q).await, vec![c.id]);
    // Filters.
    let mut q = query(ws, m, &[]);
    q.filter.chat_ids = Some(vec![chat_a]);
    assert_eq!(ids(&*index, &q).await, sorted(vec![a.id, c.id]));
    q.filter.chat_ids = Some(vec![]);
    assert!(ids(&*index, &q).await.is_empty());
    let mut q = query(ws, m, &[]);
    q.filter.author_ids = Some(vec![alice]);
    assert_eq!(ids(&*index, &q).await, vec![a.id]);
    for (f, want) in [
        (IndexFilter { has_file: true, ..IndexFilter::default() }, c.id),
        (IndexFilter { has_link: true, ..IndexFilter::default() }, b.id),
        (IndexFilter { is_thread: true, ..IndexFilter::default() }, b.id),
        (IndexFilter { after: Some(c.at), ..IndexFilter::default() }, c.id),
        (IndexFilter { before: Some(b.at), ..IndexFilter::default() }, a.id),
    ] {
        let mut q = query(ws, m, &[]);
        q.filter = f.clone();
        assert_eq!(ids(&*index, &q).await, vec![want], "{f:?}");
    }
    // Newest first, with paging.
    let mut q = query(ws, m, &[]);
    q.sort = SearchSort::Newest;
    q.limit = 2;
    let page = index.search(&q).await.expect("search");
    assert_eq!(page.total, 3);
    assert_eq!(page.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![c.id, b.id]);
    q.offset = 2;
    assert_eq!(ids(&*index, &q).await, vec![a.id]);
    // Records: stage, deal, visibility restriction.
    let mut q = query(ws, SearchKind::Deal, &["насос"]);
    q.filter.stage_ids = Some(vec![stage]);
    assert_eq!(ids(&*index, &q).await, vec![deal.id]);
    q.filter.restrict_to = Some((Uuid::now_v7(), DealScope::None));
    assert!(ids(&*index, &q).await.is_empty());
    q.filter.restrict_to = Some((alice, DealScope::None));
    assert_eq!(ids(&*index, &q).await, vec![deal.id]);
    let mut q = query(ws, SearchKind::Task, &["договор"]);
    q.filter.restrict_to = Some((Uuid::now_v7(), DealScope::Ids(vec![deal_id])));
    assert_eq!(ids(&*index, &q).await, vec![task.id]);
    q.filter.restrict_to = Some((Uuid::now_v7(), DealScope::Any));
    assert_eq!(ids(&*index, &q).await, vec![task.id]);
    q.filter.restrict_to = Some((Uuid::now_v7(), DealScope::None));
    assert!(ids(&*index, &q).await.is_empty());
    // Title words count.
    assert_eq!(ids(&*index, &query(ws, SearchKind::Deal, &["акме"])).await, vec![deal.id]);

    // Upsert replaces (an edit), delete removes.
    let mut edited = a.clone();
    edited.text = "Новый текст про акт".into();
    index.apply(vec![edited], vec![(m, b.id)]).await.expect("apply");
    assert!(ids(&*index, &query(ws, m, &["договор"])).await.is_empty());
    assert_eq!(ids(&*index, &query(ws, m, &["акт"])).await, vec![a.id]);
    // The stored document comes back whole.
    let hit = index.search(&query(ws, m, &["акт"])).await.expect("search").hits.remove(0);
    assert_eq!(hit.doc.chat_id, Some(chat_a));
    assert_eq!(hit.doc.seq, Some(1));

    index.clear().await.expect("clear");
    assert!(ids(&*index, &query(ws, m, &["акт"])).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_in_memory() {
    story(Arc::new(EmbeddedSearch::in_memory().expect("index"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_on_disk_survives_reopening() {
    let dir = tempfile::tempdir().expect("dir");
    let (index, fresh) = EmbeddedSearch::open(dir.path()).expect("open");
    assert!(fresh);
    let index: Arc<dyn SearchIndex> = Arc::new(index);
    story(index.clone()).await;
    let ws = Uuid::now_v7();
    let d = doc(SearchKind::Message, ws, "сохранённый договор", 1);
    index.apply(vec![d.clone()], Vec::new()).await.expect("apply");
    drop(index);
    // The writer closes when idle; reopening finds the document.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (index, fresh) = EmbeddedSearch::open(dir.path()).expect("reopen");
    assert!(!fresh);
    assert_eq!(ids(&index, &query(ws, SearchKind::Message, &["договоры"])).await, vec![d.id]);
    assert!(index.size_on_disk().unwrap_or(0) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Meilisearch: MEILI_URL or meilisearch on PATH (the test command runs it when it finds one)"]
async fn meilisearch() {
    let server = MeiliServer::start().expect(MISSING);
    let index = MeiliSearch::connect(
        &server.url,
        server.key.clone(),
        &format!("artel_test_{}", Uuid::now_v7().simple()),
    )
    .await
    .expect("connect to meilisearch");
    story(Arc::new(index)).await;
}
