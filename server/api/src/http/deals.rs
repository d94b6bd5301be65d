//! Deals over REST: create, list, read, edit, move on the board, archive,
//! delete (admins), and the deal's history and timeline.

use artel_core::crm::deal::DealPatch;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::ports::crm::{ClientNames, DealFilter};
use artel_core::user::Role;
use artel_core::Error;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crm::deals::{self, NewDeal};
use crate::error::{ApiError, ApiResult};
use crate::extract::{double_option, page_limit, Json, Path, Query};
use crate::http::crm_dto::{DealDto, HistoryDto, HistoryQuery, TimelineItem};
use crate::http::deal_cursor::{self, DealSortParam, SortOrder};
use crate::http::timelines;
use crate::state::AppState;

/// The header naming the next page of `GET /deals`.
const NEXT_CURSOR: HeaderName = HeaderName::from_static("x-next-cursor");

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDeal {
    pub title: String,
    /// Minor units (kopecks, cents); 0 when omitted.
    pub amount_minor: Option<i64>,
    /// ISO 4217; the workspace default when omitted.
    pub currency: Option<String>,
    /// The first pipeline when omitted.
    pub pipeline_id: Option<Uuid>,
    /// The pipeline's first stage when omitted.
    pub stage_id: Option<Uuid>,
    /// Me when omitted.
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub participants: Vec<Uuid>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub expected_close_date: Option<NaiveDate>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom field values by key (see `/custom-fields`).
    #[schema(value_type = Object)]
    #[serde(default)]
    pub custom: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDeal {
    /// The version the change is based on.
    pub version: i64,
    pub title: Option<String>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub owner_id: Option<Uuid>,
    pub participants: Option<Vec<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub contact_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub company_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub expected_close_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub loss_reason: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    /// Custom values to change by key; `null` clears one, keys not sent stay.
    #[schema(value_type = Option<Object>)]
    pub custom: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveDeal {
    pub version: i64,
    pub stage_id: Uuid,
    /// Place in the column, 0 = top (default).
    pub index: Option<usize>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionOnly {
    pub version: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DealQuery {
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub tag: Option<String>,
    pub text: Option<String>,
    #[serde(default)]
    pub include_archived: bool,
    /// The order: `board` (default; stage, then place in the column),
    /// `updated_at`, `created_at`, `amount`, `close_date` (deals without one
    /// last) or `title`; ties go by id.
    #[param(inline)]
    pub sort: Option<DealSortParam>,
    /// Default `desc` for `updated_at`, `created_at` and `amount`, else `asc`.
    #[param(inline)]
    pub order: Option<SortOrder>,
    /// The `x-next-cursor` of the previous page, with the same `sort` and
    /// `order` (400 otherwise); not with `offset`.
    pub cursor: Option<String>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Creates a deal (and its chat).
#[utoipa::path(post, path = "/deals", operation_id = "create_deal", tag = "crm", security(("bearer" = [])), request_body = CreateDeal,
    responses((status = 201, body = DealDto), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateDeal>,
) -> ApiResult<(StatusCode, Json<DealDto>)> {
    let deal = deals::create(
        &state,
        &auth.user,
        NewDeal {
            title: req.title,
            amount_minor: req.amount_minor,
            currency: req.currency,
            pipeline_id: req.pipeline_id,
            stage_id: req.stage_id,
            owner_id: req.owner_id,
            participants: req.participants,
            contact_id: req.contact_id,
            company_id: req.company_id,
            expected_close_date: req.expected_close_date,
            tags: req.tags,
            custom: Some(req.custom),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(DealDto::from(&deal))))
}

/// Deals I may see, filtered and sorted, a page at a time; each carries its
/// open tasks and its client's names (not for guests). When more follow, the answer's
/// `x-next-cursor` header is the `cursor` of the next page.
#[utoipa::path(get, path = "/deals", operation_id = "list_deals", tag = "crm", security(("bearer" = [])), params(DealQuery),
    responses((status = 200, body = Vec<DealDto>, headers(("x-next-cursor" = String,
                 description = "Present when more deals follow: pass it as `cursor` (same sort and order)"))),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<DealQuery>,
) -> ApiResult<(HeaderMap, Json<Vec<DealDto>>)> {
    let ws = state.store.get_workspace(auth.user.workspace_id).await?;
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(Error::invalid("offset", "must not be negative").into());
    }
    let sort = q.sort.unwrap_or_default();
    let order = q.order.unwrap_or_else(|| sort.default_order());
    let after = match q.cursor.as_deref() {
        None => None,
        Some(_) if q.offset.is_some() => {
            return Err(ApiError::bad_request("invalid_query", "cursor and offset do not go together"))
        }
        Some(raw) => Some(deal_cursor::decode(raw, sort, order)?),
    };
    let limit = page_limit(q.limit, 50)?;
    let filter = DealFilter {
        pipeline_id: q.pipeline_id,
        stage_id: q.stage_id,
        owner_id: q.owner_id,
        contact_id: q.contact_id,
        company_id: q.company_id,
        tag: q.tag.map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()),
        text: q.text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
        include_archived: q.include_archived,
        sort: sort.store(),
        descending: order == SortOrder::Desc,
        after,
        // One more than asked: whether a next page exists.
        limit: limit + 1,
        offset,
        ..DealFilter::for_viewer(&auth.user, ws.settings.deal_visibility)
    };
    let ws = auth.user.workspace_id;
    let mut deals = state.store.list_deals(ws, &filter).await?;
    let mut headers = HeaderMap::new();
    if deals.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
        deals.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        if let Some(last) = deals.last() {
            let stage_position = match sort {
                DealSortParam::Board => state.store.get_stage(ws, last.stage_id).await?.position,
                _ => 0,
            };
            let next = deal_cursor::encode(sort, order, last, stage_position);
            if let Ok(v) = HeaderValue::from_str(&next) {
                headers.insert(NEXT_CURSOR, v);
            }
        }
    }
    // Guests see no clients, so their list carries no client names.
    let names = if auth.user.role == Role::Guest {
        ClientNames::default()
    } else {
        crate::crm::board::client_names(&state, ws, &deals).await?
    };
    // Cards of a board column's later pages come from here, so they carry
    // what the board's first cards do.
    let ids: Vec<Uuid> = deals.iter().map(|d| d.id).collect();
    let mut tasks = crate::crm::board::tasks_of_many(&state, ws, &ids).await?;
    let out = deals
        .iter()
        .map(|d| {
            DealDto::from(d)
                .with_tasks(Some(tasks.remove(&d.id).unwrap_or_default()))
                .with_clients(Some(names.of(d)))
        })
        .collect();
    Ok((headers, Json(out)))
}

/// One deal.
#[utoipa::path(get, path = "/deals/{id}", operation_id = "get_deal", tag = "crm", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, body = DealDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<DealDto>> {
    let (deal, _) = deals::visible(&state, &auth.user, id).await?;
    Ok(Json(DealDto::from(&deal)))
}

/// Edits a deal; `version` must be the current one (409 otherwise).
#[utoipa::path(patch, path = "/deals/{id}", operation_id = "update_deal", tag = "crm", security(("bearer" = [])), request_body = UpdateDeal,
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, body = DealDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateDeal>,
) -> ApiResult<Json<DealDto>> {
    let patch = DealPatch {
        title: req.title,
        amount_minor: req.amount_minor,
        currency: req.currency,
        owner_id: req.owner_id,
        participants: req.participants,
        contact_id: req.contact_id,
        company_id: req.company_id,
        expected_close_date: req.expected_close_date,
        loss_reason: req.loss_reason,
        tags: req.tags,
        custom: req.custom,
    };
    let deal = deals::update(&state, &auth.user, id, req.version, patch).await?;
    Ok(Json(DealDto::from(&deal)))
}

/// Moves the card to a stage and a place in its column.
#[utoipa::path(post, path = "/deals/{id}/move", tag = "crm", security(("bearer" = [])), request_body = MoveDeal,
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, body = DealDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn move_deal(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<MoveDeal>,
) -> ApiResult<Json<DealDto>> {
    let deal = deals::move_to(&state, &auth.user, id, req.version, req.stage_id, req.index).await?;
    Ok(Json(DealDto::from(&deal)))
}

/// Archives a deal (its chat is archived too).
#[utoipa::path(post, path = "/deals/{id}/archive", tag = "crm", security(("bearer" = [])), request_body = VersionOnly,
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, body = DealDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<VersionOnly>,
) -> ApiResult<Json<DealDto>> {
    let deal = deals::set_archived(&state, &auth.user, id, req.version, true).await?;
    Ok(Json(DealDto::from(&deal)))
}

/// Restores an archived deal.
#[utoipa::path(post, path = "/deals/{id}/restore", tag = "crm", security(("bearer" = [])), request_body = VersionOnly,
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, body = DealDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<VersionOnly>,
) -> ApiResult<Json<DealDto>> {
    let deal = deals::set_archived(&state, &auth.user, id, req.version, false).await?;
    Ok(Json(DealDto::from(&deal)))
}

/// Deletes a deal for good (admins). Its chat stays, archived, for the record.
#[utoipa::path(delete, path = "/deals/{id}", operation_id = "delete_deal", tag = "crm", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let (deal, _) = deals::visible(&state, &auth.user, id).await?;
    if !auth.user.role.is_admin() {
        return Err(Error::forbidden("only admins delete deals; archive it instead").into());
    }
    let mut changes = Vec::new();
    if deal.archived_at.is_none() {
        let change = artel_core::event::BoardChange::DealRemoved { deal_id: deal.id };
        changes.push(artel_core::event::BoardAppend { pipeline_id: deal.pipeline_id, change });
    }
    let events = state.store.delete_deal(auth.user.workspace_id, id, &changes, state.clock.now()).await?;
    crate::crm::board::publish(&state, events);
    if let Some(chat) = deal.chat_id {
        let now = state.clock.now();
        let patch =
            artel_core::chat::ChatPatch { name: None, description: None, archived_at: Some(Some(now)) };
        if let Ok((_, event)) = state.store.update_chat(auth.user.workspace_id, chat, &patch, now).await {
            state.committer.publish(vec![event]);
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The deal's change history, newest first.
#[utoipa::path(get, path = "/deals/{id}/history", operation_id = "deal_history", tag = "crm", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Deal id"), HistoryQuery),
    responses((status = 200, body = Vec<HistoryDto>), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<HistoryDto>>> {
    let (cursor, limit) = (q.cursor()?, q.limit()?);
    deals::visible(&state, &auth.user, id).await?;
    let entity = EntityRef { kind: EntityKind::Deal, id };
    let entries = state.store.list_history(auth.user.workspace_id, entity, cursor, limit).await?;
    Ok(Json(entries.iter().map(HistoryDto::from).collect()))
}

/// The deal's history merged with its chat's messages, newest first.
#[utoipa::path(get, path = "/deals/{id}/timeline", tag = "crm", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Deal id"), HistoryQuery),
    responses((status = 200, body = Vec<TimelineItem>), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    let (cursor, limit) = (q.cursor()?, q.limit()?);
    let (deal, _) = deals::visible(&state, &auth.user, id).await?;
    let entity = EntityRef { kind: EntityKind::Deal, id };
    let items =
        timelines::merged(&state, auth.user.workspace_id, entity, deal.chat_id, cursor, limit).await?;
    Ok(Json(items))
}
