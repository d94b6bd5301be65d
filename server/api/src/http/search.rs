//! `GET /search`: one search box over messages, deals, contacts, companies and
//! tasks, grouped by kind, with highlighted snippets, paginated per kind, and
//! only ever what the searcher may read now (see `search::plan`).

use std::collections::HashMap;

use artel_core::chat::ChatKind;
use artel_core::search::query::{self, QueryError};
use artel_core::search::{IndexHit, SearchError, SearchKind, SearchSort};
use artel_search::analysis::{plain_snippet, snippet, Highlight};
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::search::plan::plan;
use crate::state::AppState;

/// Page size bounds (per kind).
const MAX_LIMIT: i64 = 50;
const DEFAULT_LIMIT: i64 = 20;
/// Deepest page reachable with cursors.
const MAX_OFFSET: usize = 10_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// 1..=500 characters. Operators: from:@user in:#chat deal:"name" stage:name has:file
    /// has:link before:YYYY-MM-DD after:YYYY-MM-DD is:thread "phrase" -word.
    pub q: Option<String>,
    /// Comma-separated: message,deal,contact,company,task (default all).
    pub kinds: Option<String>,
    /// relevance (default) or newest.
    pub sort: Option<String>,
    /// 1..=50 per kind, default 20.
    pub limit: Option<i64>,
    /// `next_cursor` of a previous answer (one kind only).
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// True while the indexer is behind the database.
    pub catching_up: bool,
    /// Kinds with hits, in the order message, deal, contact, company, task.
    pub groups: Vec<SearchGroup>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchGroup {
    pub kind: SearchKind,
    /// Hits of this kind the searcher may see (may be an estimate).
    pub total: u64,
    pub next_cursor: Option<String>,
    pub hits: Vec<SearchHit>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HitEntity {
    /// deal, contact, company or task.
    pub kind: String,
    pub id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: Uuid,
    /// The chat's name for messages; the record's name otherwise.
    pub title: String,
    /// HTML: everything escaped except `<mark>`…`</mark>` around matched words.
    pub snippet: String,
    /// Message time, or the record's last change.
    pub at: DateTime<Utc>,
    /// Messages: the chat and position to jump to.
    pub chat_id: Option<Uuid>,
    pub seq: Option<i64>,
    /// The record itself, or for a message the record its chat belongs to.
    pub entity: Option<HitEntity>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_query", message)
}

fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

fn decode_cursor(c: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok()?;
    let n: usize = std::str::from_utf8(&raw).ok()?.strip_prefix("o:")?.parse().ok()?;
    (n <= MAX_OFFSET).then_some(n)
}

fn search_error(e: SearchError) -> ApiError {
    match e {
        SearchError::Unavailable(cause) => {
            tracing::warn!(%cause, "search backend unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "search_unavailable",
                "search is unavailable; try again shortly",
            )
        }
        SearchError::Backend(cause) => {
            tracing::error!(%cause, "search backend failed");
            ApiError::internal()
        }
    }
}

/// Searches messages and records.
#[utoipa::path(get, path = "/search", tag = "search", operation_id = "search", security(("bearer" = [])),
    params(SearchQuery),
    responses((status = 200, body = SearchResponse), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(req): Query<SearchQuery>,
) -> ApiResult<Json<SearchResponse>> {
    let text = req.q.unwrap_or_default();
    let parsed = query::parse(&text).map_err(|e| match e {
        QueryError::Empty => invalid("q is required"),
        other => invalid(other.to_string()),
    })?;
    let kinds: Vec<SearchKind> = match req.kinds.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => SearchKind::ALL.to_vec(),
        Some(list) => {
            let mut kinds = Vec::new();
            for k in list.split(',').map(str::trim) {
                let kind = SearchKind::parse(k).ok_or_else(|| invalid(format!("unknown kind: {k}")))?;
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
            kinds.sort();
            kinds
        }
    };
    let sort = match req.sort.as_deref() {
        None | Some("relevance") => SearchSort::Relevance,
        Some("newest") => SearchSort::Newest,
        Some(_) => return Err(invalid("sort must be relevance or newest")),
    };
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid(format!("limit must be 1..={MAX_LIMIT}")));
    }
    let limit = limit as usize;
    let offset = match req.cursor.as_deref() {
        None => 0,
        Some(c) => {
            if kinds.len() != 1 {
                return Err(invalid("cursor needs exactly one kind"));
            }
            decode_cursor(c).ok_or_else(|| invalid("bad cursor"))?
        }
    };
    let user = &auth.user;
    let catching_up = state.search.catching_up(&state.store).await.map_err(|e| {
        tracing::error!(error = %e, "reading the search outbox");
        ApiError::internal()
    })?;
    let queries = plan(&state, user, &parsed, &kinds, sort, limit, offset).await?;
    let highlight = Highlight::new(
        parsed.words.iter().chain(parsed.phrases.iter()).map(String::as_str),
        parsed.prefix_last.then(|| parsed.words.last().map(String::as_str)).flatten(),
    );
    let mut chat_titles: HashMap<Uuid, (String, Option<HitEntity>)> = HashMap::new();
    let mut groups = Vec::new();
    for q in queries {
        let found = state.search.index.search(&q).await.map_err(search_error)?;
        if found.hits.is_empty() {
            continue;
        }
        let mut hits = Vec::with_capacity(found.hits.len());
        let n = found.hits.len();
        for IndexHit { doc, .. } in found.hits {
            let (title, entity) = match doc.kind {
                SearchKind::Message => {
                    let Some(chat_id) = doc.chat_id else { continue };
                    if let std::collections::hash_map::Entry::Vacant(slot) = chat_titles.entry(chat_id) {
                        slot.insert(chat_title(&state, user, chat_id).await?);
                    }
                    match chat_titles.get(&chat_id) {
                        Some((t, e)) => {
                            (t.clone(), e.as_ref().map(|e| HitEntity { kind: e.kind.clone(), id: e.id }))
                        }
                        None => continue,
                    }
                }
                kind => (doc.title.clone(), Some(HitEntity { kind: kind.as_str().to_string(), id: doc.id })),
            };
            let snippet = snippet(&doc.text, &highlight)
                .or_else(|| snippet(&doc.title, &highlight))
                .unwrap_or_else(|| plain_snippet(if doc.text.is_empty() { &doc.title } else { &doc.text }));
            hits.push(SearchHit {
                kind: doc.kind,
                id: doc.id,
                title,
                snippet,
                at: doc.at,
                chat_id: if doc.kind == SearchKind::Message { doc.chat_id } else { None },
                seq: doc.seq,
                entity,
            });
        }
        let next = offset + n;
        let next_cursor = (kinds.len() == 1 && (next as u64) < found.total && next <= MAX_OFFSET)
            .then(|| encode_cursor(next));
        groups.push(SearchGroup { kind: q.kind, total: found.total, next_cursor, hits });
    }
    Ok(Json(SearchResponse { catching_up, groups }))
}

/// A chat's display name for the searcher and the record it belongs to.
async fn chat_title(
    state: &AppState,
    user: &artel_core::user::User,
    chat_id: Uuid,
) -> ApiResult<(String, Option<HitEntity>)> {
    let chat = state.store.get_chat(user.workspace_id, chat_id).await?;
    let entity = chat.entity.map(|e| HitEntity { kind: e.kind.as_str().to_string(), id: e.id });
    if let Some(name) = chat.name.clone().filter(|n| !n.is_empty()) {
        return Ok((name, entity));
    }
    if chat.kind == ChatKind::Direct {
        for m in state.store.list_members(user.workspace_id, chat_id).await? {
            if m.user_id != user.id {
                let other = state.store.get_user(user.workspace_id, m.user_id).await?;
                return Ok((other.name, entity));
            }
        }
    }
    Ok((String::new(), entity))
}
