//! `MeiliSearch`: the index in a Meilisearch server (cluster mode), over its REST
//! API with the reqwest client the server already has (meilisearch-sdk would add
//! a second HTTP stack and its own async runtime glue for four endpoints).
//!
//! Meilisearch has no Russian stemming, so every document also carries `stems`:
//! its words through the same analyzer as the embedded index, and queries search
//! stems too. Typo tolerance and prefix search on the last word are Meilisearch's
//! own. Writes wait for their task to finish, so `apply` returning means visible.

use std::time::Duration;

use artel_core::search::{
    DealScope, IndexHit, IndexHits, IndexQuery, SearchDoc, SearchError, SearchIndex, SearchKind,
    SearchResult, SearchSort,
};
use async_trait::async_trait;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::analysis;

/// The API key: never printed.
#[derive(Clone)]
struct Key(String);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(***)")
    }
}

#[derive(Debug, Clone)]
pub struct MeiliSearch {
    http: reqwest::Client,
    url: String,
    key: Option<Key>,
    index: String,
}

/// How long a write task may take before `apply` gives up (it is retried).
const TASK_TIMEOUT: Duration = Duration::from_secs(60);

fn unavailable(e: reqwest::Error) -> SearchError {
    // Never the URL with credentials: reqwest errors carry only the URL, and
    // the key travels in a header.
    SearchError::Unavailable(e.without_url().to_string())
}

fn uid(kind: SearchKind, id: Uuid) -> String {
    format!("{}-{id}", kind.as_str())
}

/// A filter string value (ids and keys only: no quotes inside).
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace(['"', '\\'], ""))
}

fn in_list(attr: &str, ids: &[Uuid]) -> String {
    format!("{attr} IN [{}]", ids.iter().map(|i| quoted(&i.to_string())).collect::<Vec<_>>().join(", "))
}

impl MeiliSearch {
    /// Connects, creates the index if needed and applies its settings.
    pub async fn connect(url: &str, key: Option<String>, index: &str) -> SearchResult<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| SearchError::Backend(e.to_string()))?;
        let me =
            Self { http, url: url.trim_end_matches('/').to_string(), key: key.map(Key), index: index.into() };
        me.configure().await?;
        Ok(me)
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.url));
        match &self.key {
            Some(k) => r.bearer_auth(&k.0),
            None => r,
        }
    }

    async fn send(&self, r: reqwest::RequestBuilder) -> SearchResult<Value> {
        let resp = r.send().await.map_err(unavailable)?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_server_error() {
            return Err(SearchError::Unavailable(format!("meilisearch answered {status}")));
        }
        if !status.is_success() {
            let msg = body["message"].as_str().unwrap_or("").to_string();
            return Err(SearchError::Backend(format!("meilisearch answered {status}: {msg}")));
        }
        Ok(body)
    }

    /// Waits until an enqueued task has finished.
    async fn wait(&self, task: &Value) -> SearchResult<()> {
        let Some(id) = task["taskUid"].as_u64() else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let t = self.send(self.req(reqwest::Method::GET, &format!("/tasks/{id}"))).await?;
            match t["status"].as_str() {
                Some("succeeded") => return Ok(()),
                Some("failed") | Some("canceled") => {
                    let msg = t["error"]["message"].as_str().unwrap_or("").to_string();
                    // Creating an index that exists is fine.
                    if t["error"]["code"] == "index_already_exists" {
                        return Ok(());
                    }
                    return Err(SearchError::Backend(format!("meilisearch task {id} failed: {msg}")));
                }
                _ => {}
            }
            if started.elapsed() > TASK_TIMEOUT {
                return Err(SearchError::Unavailable(format!("meilisearch task {id} still running")));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    async fn configure(&self) -> SearchResult<()> {
        let t = self
            .send(
                self.req(reqwest::Method::POST, "/indexes")
                    .json(&json!({"uid": self.index, "primaryKey": "uid"})),
            )
            .await?;
        self.wait(&t).await?;
        let settings = json!({
            "searchableAttributes": ["title", "text", "stems"],
            "filterableAttributes": ["workspace_id", "kind", "chat_id", "author_id", "deal_id", "stage_id",
                                     "people", "keys", "flags", "at"],
            "sortableAttributes": ["at"],
            "displayedAttributes": ["uid", "doc"],
            "typoTolerance": {
                "enabled": true,
                "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
                "disableOnAttributes": ["stems"]
            },
            "pagination": {"maxTotalHits": 10000}
        });
        let t = self
            .send(
                self.req(reqwest::Method::PATCH, &format!("/indexes/{}/settings", self.index))
                    .json(&settings),
            )
            .await?;
        self.wait(&t).await
    }

    fn document(d: &SearchDoc) -> SearchResult<Value> {
        let mut flags = Vec::new();
        for (on, flag) in [
            (d.has_file, "file"),
            (d.has_link, "link"),
            (d.is_thread, "thread"),
            (d.deal_id.is_some(), "deal"),
        ] {
            if on {
                flags.push(flag);
            }
        }
        let stems = analysis::stems(&format!("{}\n{}", d.title, d.text)).join(" ");
        Ok(json!({
            "uid": uid(d.kind, d.id),
            "kind": d.kind.as_str(),
            "workspace_id": d.workspace_id,
            "title": d.title,
            "text": d.text,
            "stems": stems,
            "keys": d.keys,
            "at": d.at.timestamp_micros(),
            "chat_id": d.chat_id,
            "author_id": d.author_id,
            "deal_id": d.deal_id,
            "stage_id": d.stage_id,
            "people": d.people,
            "flags": flags,
            "doc": serde_json::to_string(d).map_err(|e| SearchError::Backend(e.to_string()))?,
        }))
    }

    /// The filter expression, or `None` when it can match nothing.
    fn filter(q: &IndexQuery) -> Option<Vec<String>> {
        let mut parts = vec![
            format!("workspace_id = {}", quoted(&q.workspace_id.to_string())),
            format!("kind = {}", quoted(q.kind.as_str())),
        ];
        let fl = &q.filter;
        for (ids, attr) in [
            (&fl.chat_ids, "chat_id"),
            (&fl.author_ids, "author_id"),
            (&fl.deal_ids, "deal_id"),
            (&fl.stage_ids, "stage_id"),
        ] {
            if let Some(ids) = ids {
                if ids.is_empty() {
                    return None;
                }
                parts.push(in_list(attr, ids));
            }
        }
        for key in &q.keys {
            parts.push(format!("keys = {}", quoted(key)));
        }
        if let Some(t) = fl.before {
            parts.push(format!("at < {}", t.timestamp_micros()));
        }
        if let Some(t) = fl.after {
            parts.push(format!("at >= {}", t.timestamp_micros()));
        }
        for (on, flag) in [(fl.has_file, "file"), (fl.has_link, "link"), (fl.is_thread, "thread")] {
            if on {
                parts.push(format!("flags = {}", quoted(flag)));
            }
        }
        if let Some((user, scope)) = &fl.restrict_to {
            let me = format!("people = {}", quoted(&user.to_string()));
            parts.push(match scope {
                DealScope::Any => format!("({me} OR flags = \"deal\")"),
                DealScope::Ids(ids) if !ids.is_empty() => format!("({me} OR {})", in_list("deal_id", ids)),
                _ => me,
            });
        }
        Some(parts)
    }

    /// The `q` string: stems of the words (matched against `stems`), phrases as
    /// typed, excluded words, and the word being typed last (Meilisearch
    /// matches the last word by prefix).
    fn q(q: &IndexQuery) -> String {
        let mut out: Vec<String> = q.words.iter().flat_map(|w| analysis::stems(w)).collect();
        for p in &q.phrases {
            out.push(format!("\"{}\"", p.replace('"', " ")));
        }
        for w in &q.excluded {
            out.extend(analysis::plain_words(w).into_iter().map(|w| format!("-{w}")));
        }
        if let Some(p) = &q.prefix {
            out.extend(analysis::plain_words(p));
        }
        out.join(" ")
    }
}

#[async_trait]
impl SearchIndex for MeiliSearch {
    fn name(&self) -> &'static str {
        "meilisearch"
    }

    async fn apply(&self, docs: Vec<SearchDoc>, deleted: Vec<(SearchKind, Uuid)>) -> SearchResult<()> {
        if !deleted.is_empty() {
            let ids: Vec<String> = deleted.iter().map(|(k, id)| uid(*k, *id)).collect();
            let t = self
                .send(
                    self.req(
                        reqwest::Method::POST,
                        &format!("/indexes/{}/documents/delete-batch", self.index),
                    )
                    .json(&ids),
                )
                .await?;
            self.wait(&t).await?;
        }
        if !docs.is_empty() {
            let body = docs.iter().map(Self::document).collect::<SearchResult<Vec<_>>>()?;
            let t = self
                .send(
                    self.req(reqwest::Method::POST, &format!("/indexes/{}/documents", self.index))
                        .json(&body),
                )
                .await?;
            self.wait(&t).await?;
        }
        Ok(())
    }

    async fn search(&self, query: &IndexQuery) -> SearchResult<IndexHits> {
        let Some(filter) = Self::filter(query) else {
            return Ok(IndexHits::default());
        };
        let q = Self::q(query);
        let mut body = json!({
            "q": q,
            "filter": filter,
            "limit": query.limit.max(1),
            "offset": query.offset,
            "matchingStrategy": "all",
            "attributesToRetrieve": ["doc"],
        });
        if query.sort == SearchSort::Newest || q.is_empty() {
            body["sort"] = json!(["at:desc"]);
        }
        let r = self
            .send(self.req(reqwest::Method::POST, &format!("/indexes/{}/search", self.index)).json(&body))
            .await?;
        let mut hits = Vec::new();
        for h in r["hits"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let doc: SearchDoc = serde_json::from_str(h["doc"].as_str().unwrap_or_default())
                .map_err(|e| SearchError::Backend(format!("stored document: {e}")))?;
            hits.push(IndexHit { id: doc.id, doc });
        }
        Ok(IndexHits { total: r["estimatedTotalHits"].as_u64().unwrap_or(hits.len() as u64), hits })
    }

    async fn clear(&self) -> SearchResult<()> {
        let t = self
            .send(self.req(reqwest::Method::DELETE, &format!("/indexes/{}/documents", self.index)))
            .await?;
        self.wait(&t).await
    }
}
