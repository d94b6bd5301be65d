//! Timelines of records: a record's change history merged with its chat's
//! messages, newest first — what a card shows under its fields. The record
//! grants reading its chat here, as membership does for other chats: whoever may
//! see the deal, client or task may read what was said about it.

use artel_core::chat::ChatId;
use artel_core::crm::client::{Company, Contact};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::HistoryCursor;
use artel_core::message::HistoryPage;
use artel_core::workspace::WorkspaceId;
use axum::extract::State;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crm::{clients, tasks};
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::http::crm_dto::{HistoryDto, HistoryQuery, TimelineItem};
use crate::messaging::wire::MessageDto;
use crate::state::AppState;

/// Up to `limit` newest items of the record's history and chat, merged, after
/// `before` in `(at desc, id desc)` order when given.
pub async fn merged(
    state: &AppState,
    workspace: WorkspaceId,
    entity: EntityRef,
    chat: Option<ChatId>,
    before: Option<HistoryCursor>,
    limit: i64,
) -> artel_core::Result<Vec<TimelineItem>> {
    let entries = state.store.list_history(workspace, entity, before, limit).await?;
    let mut items: Vec<TimelineItem> =
        entries.iter().map(|h| TimelineItem::Change { at: h.at, change: HistoryDto::from(h) }).collect();
    if let Some(chat) = chat {
        let messages = messages_before(state, workspace, chat, before, limit).await?;
        items.extend(
            messages.iter().map(|m| TimelineItem::Message { at: m.created_at, message: MessageDto::new(m) }),
        );
    }
    items.sort_by_key(|i| std::cmp::Reverse(key(i)));
    items.truncate(usize::try_from(limit).unwrap_or(50));
    Ok(items)
}

/// The sort key of the timeline (and what a cursor names).
fn key(item: &TimelineItem) -> (DateTime<Utc>, Uuid) {
    match item {
        TimelineItem::Change { at, change } => (*at, change.id),
        TimelineItem::Message { at, message } => (*at, message.id),
    }
}

/// Whether `(at, id)` comes after the cursor in newest-first order.
fn after_cursor(cursor: Option<HistoryCursor>, at: DateTime<Utc>, id: Uuid) -> bool {
    match cursor {
        None => true,
        Some(HistoryCursor { at: c_at, id: Some(c_id) }) => (at, id) < (c_at, c_id),
        Some(HistoryCursor { at: c_at, id: None }) => at < c_at,
    }
}

/// Pages one timeline request may read from its chat.
const MAX_PAGES: usize = 8;

/// Up to `limit` newest top-level messages of the chat past the cursor. Messages
/// are stored in `seq` order, which follows their commit time, so this walks
/// back page by page until it has `limit` messages past the cursor; past the
/// first page whose oldest message is past the cursor, every older one is too.
async fn messages_before(
    state: &AppState,
    workspace: WorkspaceId,
    chat: ChatId,
    before: Option<HistoryCursor>,
    limit: i64,
) -> artel_core::Result<Vec<artel_core::message::Message>> {
    let wanted = usize::try_from(limit).unwrap_or(50);
    let mut out = Vec::new();
    // Jump to the cursor's time first (one indexed max), so a deep cursor costs a
    // page or two, not a walk from the newest message back.
    let mut page = match before {
        None => HistoryPage::Latest,
        Some(c) => match state.store.last_seq_at_or_before(workspace, chat, c.at).await? {
            Some(seq) => HistoryPage::Before(seq + 1),
            None => return Ok(out),
        },
    };
    // Pages never smaller than 50, and a bounded number of them: seq order and
    // commit time agree but for messages committed in the same instant.
    for _ in 0..MAX_PAGES {
        let batch = state.store.history(workspace, chat, None, page, limit.max(50)).await?;
        let Some(oldest) = batch.first().map(|m| m.seq) else { break };
        let full = i64::try_from(batch.len()).unwrap_or(i64::MAX) >= limit.max(50);
        // `history` pages ascend by seq: newest last.
        for m in batch.into_iter().rev() {
            if out.len() >= wanted {
                break;
            }
            if after_cursor(before, m.created_at, m.id) {
                out.push(m);
            }
        }
        if out.len() >= wanted || !full || oldest <= 1 {
            break;
        }
        page = HistoryPage::Before(oldest);
    }
    Ok(out)
}

/// Timeline of a record whose chat (if opened) is found by its entity binding.
async fn of_entity(
    state: &AppState,
    auth: &AuthUser,
    entity: EntityRef,
    q: &HistoryQuery,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    let ws = auth.user.workspace_id;
    let chat = state.store.chat_for_entity(ws, entity).await?;
    Ok(Json(merged(state, ws, entity, chat, q.cursor()?, q.limit()?).await?))
}

/// The contact's history merged with its chat's messages, newest first.
#[utoipa::path(get, path = "/contacts/{id}/timeline", tag = "clients", security(("bearer" = [])),
    operation_id = "contact_timeline",
    params(("id" = Uuid, Path, description = "Contact id"), HistoryQuery),
    responses((status = 200, body = Vec<TimelineItem>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn contact(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    let _: Contact = clients::get(&state, &auth.user, id).await?;
    of_entity(&state, &auth, EntityRef { kind: EntityKind::Contact, id }, &q).await
}

/// The company's history merged with its chat's messages, newest first.
#[utoipa::path(get, path = "/companies/{id}/timeline", tag = "clients", security(("bearer" = [])),
    operation_id = "company_timeline",
    params(("id" = Uuid, Path, description = "Company id"), HistoryQuery),
    responses((status = 200, body = Vec<TimelineItem>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn company(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    let _: Company = clients::get(&state, &auth.user, id).await?;
    of_entity(&state, &auth, EntityRef { kind: EntityKind::Company, id }, &q).await
}

/// The task's history merged with its chat's messages, newest first.
#[utoipa::path(get, path = "/tasks/{id}/timeline", tag = "tasks", security(("bearer" = [])),
    operation_id = "task_timeline",
    params(("id" = Uuid, Path, description = "Task id"), HistoryQuery),
    responses((status = 200, body = Vec<TimelineItem>), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn task(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    tasks::visible(&state, &auth.user, id).await?;
    of_entity(&state, &auth, EntityRef { kind: EntityKind::Task, id }, &q).await
}
