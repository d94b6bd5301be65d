//! Funnels (pipelines) and their stages; the deal board of a pipeline.

use artel_core::crm::deal::Deal;
use artel_core::crm::pipeline::{self, default_stages, Pipeline, Stage, StageKind};
use artel_core::ports::crm::{DealFilter, DealSort};
use artel_core::user::User;
use artel_core::{Error, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::http::crm_dto::{BoardColumn, BoardDto, DealDto, MoneySum, PipelineDto, StageDto};
use crate::http::deal_cursor::{self, DealSortParam, SortOrder};
use crate::state::AppState;

const MAX_STAGES: usize = 30;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStage {
    pub name: String,
    /// `#rrggbb`; a neutral grey when omitted.
    pub color: Option<String>,
    /// Default open.
    pub kind: Option<StageKind>,
    /// Where to insert (0 = first); at the end when omitted.
    pub position: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePipeline {
    pub name: String,
    /// Stages left to right; the usual sales stages (in my language) when omitted.
    pub stages: Option<Vec<NewStage>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineUpdate {
    pub name: Option<String>,
    pub archived: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageUpdate {
    pub name: Option<String>,
    pub color: Option<String>,
    pub kind: Option<StageKind>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageOrder {
    /// Every stage of the pipeline, in the new order.
    pub stage_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    pub owner_id: Option<Uuid>,
    pub tag: Option<String>,
    /// Part of the deal title.
    pub text: Option<String>,
    /// How many deals each column carries, 0..=200 (default 50; 0 gives the
    /// column heads alone). Counts and sums always cover the whole column.
    pub per_column: Option<i64>,
}

/// Cards a board column carries unless asked otherwise: a board of thousands
/// of deals opens with what fits on a screen or two, the rest pages in.
const PER_COLUMN: i64 = 50;
const MAX_PER_COLUMN: i64 = 200;

/// Tells the board's watchers to reload its columns.
async fn stages_changed(state: &AppState, workspace: Uuid, pipeline: Uuid) {
    crate::crm::board::record(state, workspace, pipeline, artel_core::event::BoardChange::StagesChanged)
        .await;
}

fn require_admin(user: &User) -> artel_core::Result<()> {
    if user.role.is_admin() {
        Ok(())
    } else {
        Err(Error::forbidden("only admins configure pipelines"))
    }
}

fn pipeline_not_found(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound("pipeline"),
        other => other.into(),
    }
}

fn stage_not_found(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound("stage"),
        other => other.into(),
    }
}

fn new_stage(actor: &User, pipeline: Uuid, s: &NewStage, position: i64) -> artel_core::Result<Stage> {
    let now = chrono::Utc::now();
    Ok(Stage {
        id: Uuid::now_v7(),
        workspace_id: actor.workspace_id,
        pipeline_id: pipeline,
        name: pipeline::name("name", &s.name)?,
        color: pipeline::color(s.color.as_deref().unwrap_or("#8e9aaf"))?,
        kind: s.kind.unwrap_or(StageKind::Open),
        position,
        created_at: now,
        updated_at: now,
    })
}

/// The pipeline every new workspace starts with, named in its owner's language.
pub async fn create_first(state: &AppState, owner: &User) -> artel_core::Result<Pipeline> {
    let name = match owner.language {
        artel_core::user::Language::Ru => "Продажи",
        artel_core::user::Language::En => "Sales",
    };
    create_default(state, owner, name).await
}

/// Creates a pipeline with the default stages in the actor's language.
pub async fn create_default(state: &AppState, actor: &User, name: &str) -> artel_core::Result<Pipeline> {
    let stages: Vec<NewStage> = default_stages(actor.language)
        .into_iter()
        .map(|(name, color, kind)| NewStage {
            name: name.into(),
            color: Some(color.into()),
            kind: Some(kind),
            position: None,
        })
        .collect();
    create(state, actor, name, &stages).await
}

async fn create(
    state: &AppState,
    actor: &User,
    name: &str,
    stages: &[NewStage],
) -> artel_core::Result<Pipeline> {
    if stages.is_empty() || stages.len() > MAX_STAGES {
        return Err(Error::invalid("stages", format!("a pipeline has 1 to {MAX_STAGES} stages")));
    }
    let now = state.clock.now();
    let existing = state.store.list_pipelines(actor.workspace_id, true).await?;
    let pipeline = Pipeline {
        id: Uuid::now_v7(),
        workspace_id: actor.workspace_id,
        name: pipeline::name("name", name)?,
        position: existing.iter().map(|p| p.position + 1).max().unwrap_or(0),
        created_at: now,
        updated_at: now,
        archived_at: None,
    };
    let stages = stages
        .iter()
        .enumerate()
        .map(|(i, s)| new_stage(actor, pipeline.id, s, i64::try_from(i).unwrap_or(0)))
        .collect::<artel_core::Result<Vec<_>>>()?;
    state.store.create_pipeline(&pipeline, &stages).await?;
    Ok(pipeline)
}

/// Pipelines of the workspace with their stages.
#[utoipa::path(get, path = "/pipelines", operation_id = "list_pipelines", tag = "crm", security(("bearer" = [])),
    responses((status = 200, body = Vec<PipelineDto>)))]
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<PipelineDto>>> {
    let ws = auth.user.workspace_id;
    let mut out = Vec::new();
    for p in state.store.list_pipelines(ws, false).await? {
        let stages = state.store.list_stages(ws, p.id).await?;
        out.push(PipelineDto::new(&p, &stages));
    }
    Ok(Json(out))
}

/// Creates a pipeline (admins).
#[utoipa::path(post, path = "/pipelines", tag = "crm", security(("bearer" = [])), request_body = CreatePipeline,
    responses((status = 201, body = PipelineDto), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_pipeline(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreatePipeline>,
) -> ApiResult<(StatusCode, Json<PipelineDto>)> {
    require_admin(&auth.user)?;
    let pipeline = match &req.stages {
        Some(stages) => create(&state, &auth.user, &req.name, stages).await?,
        None => create_default(&state, &auth.user, &req.name).await?,
    };
    let stages = state.store.list_stages(auth.user.workspace_id, pipeline.id).await?;
    Ok((StatusCode::CREATED, Json(PipelineDto::new(&pipeline, &stages))))
}

/// One pipeline with its stages.
#[utoipa::path(get, path = "/pipelines/{id}", operation_id = "get_pipeline", tag = "crm", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 200, body = PipelineDto), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<PipelineDto>> {
    let ws = auth.user.workspace_id;
    let p = state.store.get_pipeline(ws, id).await.map_err(pipeline_not_found)?;
    let stages = state.store.list_stages(ws, id).await?;
    Ok(Json(PipelineDto::new(&p, &stages)))
}

/// Renames, archives or restores a pipeline (admins).
#[utoipa::path(patch, path = "/pipelines/{id}", operation_id = "update_pipeline", tag = "crm", security(("bearer" = [])), request_body = PipelineUpdate,
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 200, body = PipelineDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<PipelineUpdate>,
) -> ApiResult<Json<PipelineDto>> {
    require_admin(&auth.user)?;
    let ws = auth.user.workspace_id;
    let name = req.name.as_deref().map(|n| pipeline::name("name", n)).transpose()?;
    let now = state.clock.now();
    let archived = req.archived.map(|a| a.then_some(now));
    let p = state
        .store
        .update_pipeline(ws, id, name.as_deref(), archived, now)
        .await
        .map_err(pipeline_not_found)?;
    let stages = state.store.list_stages(ws, id).await?;
    Ok(Json(PipelineDto::new(&p, &stages)))
}

/// Adds a stage (admins).
#[utoipa::path(post, path = "/pipelines/{id}/stages", tag = "crm", security(("bearer" = [])), request_body = NewStage,
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 201, body = StageDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_stage(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<NewStage>,
) -> ApiResult<(StatusCode, Json<StageDto>)> {
    require_admin(&auth.user)?;
    let ws = auth.user.workspace_id;
    state.store.get_pipeline(ws, id).await.map_err(pipeline_not_found)?;
    let existing = state.store.list_stages(ws, id).await?;
    if existing.len() >= MAX_STAGES {
        return Err(Error::invalid("stages", format!("a pipeline has at most {MAX_STAGES} stages")).into());
    }
    let end = i64::try_from(existing.len()).unwrap_or(0);
    let position = req.position.unwrap_or(end).clamp(0, end);
    let mut stage = new_stage(&auth.user, id, &req, position)?;
    stage.created_at = state.clock.now();
    stage.updated_at = stage.created_at;
    state.store.create_stage(&stage).await?;
    stages_changed(&state, ws, id).await;
    let stage = state.store.get_stage(ws, stage.id).await?;
    Ok((StatusCode::CREATED, Json(StageDto::from(&stage))))
}

/// Renames, recolours or changes the kind of a stage (admins).
#[utoipa::path(patch, path = "/stages/{id}", tag = "crm", security(("bearer" = [])), request_body = StageUpdate,
    params(("id" = Uuid, Path, description = "Stage id")),
    responses((status = 200, body = StageDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_stage(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<StageUpdate>,
) -> ApiResult<Json<StageDto>> {
    require_admin(&auth.user)?;
    let name = req.name.as_deref().map(|n| pipeline::name("name", n)).transpose()?;
    let color = req.color.as_deref().map(pipeline::color).transpose()?;
    let stage = state
        .store
        .update_stage(
            auth.user.workspace_id,
            id,
            name.as_deref(),
            color.as_deref(),
            req.kind,
            state.clock.now(),
        )
        .await
        .map_err(stage_not_found)?;
    stages_changed(&state, stage.workspace_id, stage.pipeline_id).await;
    Ok(Json(StageDto::from(&stage)))
}

/// Puts the stages in a new order (admins).
#[utoipa::path(put, path = "/pipelines/{id}/stage-order", tag = "crm", security(("bearer" = [])), request_body = StageOrder,
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 200, body = Vec<StageDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn reorder(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<StageOrder>,
) -> ApiResult<Json<Vec<StageDto>>> {
    require_admin(&auth.user)?;
    let ws = auth.user.workspace_id;
    state.store.get_pipeline(ws, id).await.map_err(pipeline_not_found)?;
    let stages =
        state.store.reorder_stages(ws, id, &req.stage_ids, state.clock.now()).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                Error::invalid("stage_ids", "list every stage of the pipeline exactly once")
            }
            other => other.into(),
        })?;
    stages_changed(&state, ws, id).await;
    Ok(Json(stages.iter().map(StageDto::from).collect()))
}

/// Deletes an empty stage (admins); 409 while it holds deals.
#[utoipa::path(delete, path = "/stages/{id}", tag = "crm", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Stage id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn delete_stage(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    require_admin(&auth.user)?;
    let stage = state.store.get_stage(auth.user.workspace_id, id).await.map_err(stage_not_found)?;
    state.store.delete_stage(auth.user.workspace_id, id).await.map_err(|e| match e {
        StoreError::Conflict("last stage") => {
            Error::conflict("last_stage", "a pipeline needs at least one stage")
        }
        StoreError::Conflict(_) => {
            Error::conflict("stage_not_empty", "move the deals out of this stage first")
        }
        other => stage_not_found(other),
    })?;
    stages_changed(&state, stage.workspace_id, stage.pipeline_id).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The board: a pipeline's unarchived deals in columns per stage, with count and
/// sum per column; only deals the caller may see. Each column carries its first
/// `per_column` cards and a cursor to `GET /deals` for the rest. Cards carry
/// their open tasks and their client's names (not for guests).
#[utoipa::path(get, path = "/pipelines/{id}/board", tag = "crm", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Pipeline id"), BoardQuery),
    responses((status = 200, body = BoardDto), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn board(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<BoardQuery>,
) -> ApiResult<Json<BoardDto>> {
    let ws = auth.user.workspace_id;
    let pipeline = state.store.get_pipeline(ws, id).await.map_err(pipeline_not_found)?;
    let stages = state.store.list_stages(ws, id).await?;
    let workspace = state.store.get_workspace(ws).await?;
    let mut filter = DealFilter::for_viewer(&auth.user, workspace.settings.deal_visibility);
    filter.pipeline_id = Some(id);
    filter.owner_id = q.owner_id;
    filter.tag = q.tag.map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty());
    filter.text = q.text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let per_column = q.per_column.unwrap_or(PER_COLUMN);
    if !(0..=MAX_PER_COLUMN).contains(&per_column) {
        return Err(Error::invalid("per_column", format!("must be 0..={MAX_PER_COLUMN}")).into());
    }
    // Column heads count every matching deal in SQL; only the first cards of
    // each column are read, one short indexed query per stage.
    let totals = state.store.deal_totals(ws, &filter).await?;
    let mut pages = Vec::with_capacity(stages.len());
    for stage in &stages {
        if per_column == 0 {
            pages.push((Vec::new(), false));
            continue;
        }
        let mut page = DealFilter {
            stage_id: Some(stage.id),
            sort: DealSort::Board,
            limit: per_column + 1,
            ..filter.clone()
        };
        page.after = None;
        let mut deals = state.store.list_deals(ws, &page).await?;
        let more = deals.len() > usize::try_from(per_column).unwrap_or(usize::MAX);
        deals.truncate(usize::try_from(per_column).unwrap_or(usize::MAX));
        pages.push((deals, more));
    }
    let shown: Vec<Deal> = pages.iter().flat_map(|(d, _)| d.iter().cloned()).collect();
    let ids: Vec<Uuid> = shown.iter().map(|d| d.id).collect();
    let mut tasks = crate::crm::board::tasks_of_many(&state, ws, &ids).await?;
    // Guests see no clients, so their cards carry no client names.
    let names = if auth.user.role == artel_core::user::Role::Guest {
        artel_core::ports::crm::ClientNames::default()
    } else {
        crate::crm::board::client_names(&state, ws, &shown).await?
    };
    let columns = stages
        .iter()
        .zip(pages)
        .map(|(stage, (deals, more))| {
            let heads: Vec<_> = totals.iter().filter(|t| t.stage_id == stage.id).collect();
            let next_cursor = more
                .then(|| deals.last())
                .flatten()
                .map(|last| deal_cursor::encode(DealSortParam::Board, SortOrder::Asc, last, stage.position));
            BoardColumn {
                stage: StageDto::from(stage),
                count: heads.iter().map(|t| t.count).sum(),
                sums: heads
                    .iter()
                    .map(|t| MoneySum { currency: t.currency.clone(), amount_minor: t.amount_minor })
                    .collect(),
                deals: deals
                    .iter()
                    .map(|d| {
                        DealDto::from(d)
                            .with_tasks(Some(tasks.remove(&d.id).unwrap_or_default()))
                            .with_clients(Some(names.of(d)))
                    })
                    .collect(),
                next_cursor,
            }
        })
        .collect();
    Ok(Json(BoardDto { pipeline: PipelineDto::new(&pipeline, &stages), columns }))
}
