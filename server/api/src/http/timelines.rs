//! Timelines of records: a record's change history merged with its chat's
//! messages, newest first — what a card shows under its fields. The record
//! grants reading its chat here, as membership does for other chats: whoever may
//! see the deal, client or task may read what was said about it.

use artel_core::chat::ChatId;
use artel_core::crm::client::{Company, Contact};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::message::HistoryPage;
use artel_core::workspace::WorkspaceId;
use axum::extract::State;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crm::{clients, tasks};
use crate::error::ApiResult;
use crate::extract::{page_limit, Json, Path, Query};
use crate::http::crm_dto::{HistoryDto, TimelineItem};
use crate::http::deals::PageQuery;
use crate::messaging::wire::MessageDto;
use crate::state::AppState;

/// Up to `limit` newest items of the record's history and chat, merged.
pub async fn merged(
    state: &AppState,
    workspace: WorkspaceId,
    entity: EntityRef,
    chat: Option<ChatId>,
    limit: i64,
) -> artel_core::Result<Vec<TimelineItem>> {
    let entries = state.store.list_history(workspace, entity, None, limit).await?;
    let mut items: Vec<TimelineItem> =
        entries.iter().map(|h| TimelineItem::Change { at: h.at, change: HistoryDto::from(h) }).collect();
    if let Some(chat) = chat {
        let messages = state.store.history(workspace, chat, None, HistoryPage::Latest, limit).await?;
        items.extend(
            messages.iter().map(|m| TimelineItem::Message { at: m.created_at, message: MessageDto::new(m) }),
        );
    }
    items.sort_by_key(|i| std::cmp::Reverse(at(i)));
    items.truncate(usize::try_from(limit).unwrap_or(50));
    Ok(items)
}

fn at(item: &TimelineItem) -> chrono::DateTime<chrono::Utc> {
    match item {
        TimelineItem::Change { at, .. } | TimelineItem::Message { at, .. } => *at,
    }
}

/// Timeline of a record whose chat (if opened) is found by its entity binding.
async fn of_entity(
    state: &AppState,
    auth: &AuthUser,
    entity: EntityRef,
    limit: Option<i64>,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    let ws = auth.user.workspace_id;
    let chat = state.store.chat_for_entity(ws, entity).await?;
    Ok(Json(merged(state, ws, entity, chat, page_limit(limit, 50)?).await?))
}

/// The contact's history merged with its chat's messages, newest first.
#[utoipa::path(get, path = "/contacts/{id}/timeline", tag = "clients", security(("bearer" = [])),
    operation_id = "contact_timeline",
    params(("id" = Uuid, Path, description = "Contact id"), PageQuery),
    responses((status = 200, body = Vec<TimelineItem>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn contact(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    let _: Contact = clients::get(&state, &auth.user, id).await?;
    of_entity(&state, &auth, EntityRef { kind: EntityKind::Contact, id }, q.limit).await
}

/// The company's history merged with its chat's messages, newest first.
#[utoipa::path(get, path = "/companies/{id}/timeline", tag = "clients", security(("bearer" = [])),
    operation_id = "company_timeline",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses((status = 200, body = Vec<TimelineItem>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn company(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    let _: Company = clients::get(&state, &auth.user, id).await?;
    of_entity(&state, &auth, EntityRef { kind: EntityKind::Company, id }, q.limit).await
}

/// The task's history merged with its chat's messages, newest first.
#[utoipa::path(get, path = "/tasks/{id}/timeline", tag = "tasks", security(("bearer" = [])),
    operation_id = "task_timeline",
    params(("id" = Uuid, Path, description = "Task id"), PageQuery),
    responses((status = 200, body = Vec<TimelineItem>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn task(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    tasks::visible(&state, &auth.user, id).await?;
    of_entity(&state, &auth, EntityRef { kind: EntityKind::Task, id }, q.limit).await
}
