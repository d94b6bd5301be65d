//! Stage automation rules (admins): per stage, a trigger and an action.

use artel_core::automation::rule::{self, Action, Assignee, StageRule, Trigger, MAX_RULES_PER_STAGE};
use artel_core::crm::pipeline::Stage;
use artel_core::user::{Role, User};
use artel_core::{Error, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::tokens::random_token;
use crate::auth::AuthUser;
use crate::automation::outbound::{self, TargetError};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    pub trigger: Trigger,
    pub action: Action,
    pub active: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Signing secret of `call_webhook` requests, shown only in the answer that
    /// creates the rule. Each call carries
    /// `X-Artel-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&StageRule> for RuleDto {
    fn from(r: &StageRule) -> Self {
        Self {
            id: r.id,
            pipeline_id: r.pipeline_id,
            stage_id: r.stage_id,
            trigger: r.trigger,
            action: r.action.clone(),
            active: r.active,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            secret: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    pub trigger: Trigger,
    pub action: Action,
    /// Default true.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRule {
    pub trigger: Option<Trigger>,
    pub action: Option<Action>,
    pub active: Option<bool>,
}

fn admin(user: &User) -> Result<(), Error> {
    if user.role.is_admin() {
        Ok(())
    } else {
        Err(Error::forbidden("only admins configure automation"))
    }
}

/// The stage, if it is in that pipeline of the caller's workspace.
async fn stage_of(state: &AppState, user: &User, pipeline: Uuid, stage: Uuid) -> Result<Stage, Error> {
    let s = state.store.get_stage(user.workspace_id, stage).await.map_err(|e| match e {
        StoreError::NotFound(_) => Error::NotFound("stage"),
        other => other.into(),
    })?;
    if s.pipeline_id != pipeline {
        return Err(Error::NotFound("stage"));
    }
    Ok(s)
}

/// Checks the references an action makes.
async fn check_action(state: &AppState, user: &User, stage: &Stage, action: &Action) -> Result<(), Error> {
    let ws = user.workspace_id;
    let person = |field: &'static str, id: Uuid| async move {
        match state.store.get_user(ws, id).await {
            Ok(u) if u.is_active() && u.role != Role::Guest => Ok(()),
            Ok(_) | Err(StoreError::NotFound(_)) => {
                Err(Error::invalid(field, "is not an active member of this workspace"))
            }
            Err(e) => Err(e.into()),
        }
    };
    match action {
        Action::CreateTask { assignee: Assignee::User { user_id }, .. } => {
            person("action.assignee.user_id", *user_id).await
        }
        Action::CreateTask { .. } | Action::PostMessage { .. } => Ok(()),
        Action::SetOwner { user_id } => person("action.user_id", *user_id).await,
        Action::MoveToStage { stage_id } => {
            if *stage_id == stage.id {
                return Err(Error::invalid("action.stage_id", "must be another stage"));
            }
            match state.store.get_stage(ws, *stage_id).await {
                Ok(_) => Ok(()),
                Err(StoreError::NotFound(_)) => Err(Error::invalid("action.stage_id", "no such stage")),
                Err(e) => Err(e.into()),
            }
        }
        Action::CallWebhook { url } => {
            let url = outbound::parse_url("action.url", url)?;
            let settings = state.store.integration_settings(ws).await?;
            match outbound::resolve(&url, settings.allow_private_targets).await {
                Ok(_) => Ok(()),
                Err(TargetError::Refused(m) | TargetError::Unresolvable(m)) => {
                    Err(Error::invalid("action.url", m))
                }
            }
        }
    }
}

/// A stage's automation rules (admins).
#[utoipa::path(get, path = "/pipelines/{id}/stages/{stage_id}/rules", operation_id = "list_stage_rules", tag = "automation",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("stage_id" = Uuid, Path)),
    responses((status = 200, body = Vec<RuleDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((pipeline, stage)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<Vec<RuleDto>>> {
    admin(&auth.user)?;
    let stage = stage_of(&state, &auth.user, pipeline, stage).await?;
    let rules = state.store.list_rules(auth.user.workspace_id, stage.id).await?;
    Ok(Json(rules.iter().map(RuleDto::from).collect()))
}

/// Adds a rule to a stage (admins). Triggers: deal_entered_stage,
/// deal_idle_in_stage {days}, deal_task_overdue. Actions: create_task, post_message,
/// set_owner, move_to_stage, call_webhook.
#[utoipa::path(post, path = "/pipelines/{id}/stages/{stage_id}/rules", operation_id = "create_stage_rule", tag = "automation",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("stage_id" = Uuid, Path)), request_body = CreateRule,
    responses((status = 201, body = RuleDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((pipeline, stage)): Path<(Uuid, Uuid)>,
    Json(req): Json<CreateRule>,
) -> ApiResult<(StatusCode, Json<RuleDto>)> {
    admin(&auth.user)?;
    let stage = stage_of(&state, &auth.user, pipeline, stage).await?;
    rule::check(&req.trigger, &req.action)?;
    check_action(&state, &auth.user, &stage, &req.action).await?;
    if state.store.list_rules(auth.user.workspace_id, stage.id).await?.len() >= MAX_RULES_PER_STAGE {
        return Err(Error::conflict("too_many_rules", "a stage has at most 20 rules").into());
    }
    let now = state.clock.now();
    let r = StageRule {
        id: Uuid::now_v7(),
        workspace_id: auth.user.workspace_id,
        pipeline_id: stage.pipeline_id,
        stage_id: stage.id,
        trigger: req.trigger,
        action: req.action,
        active: req.active.unwrap_or(true),
        created_by: auth.user.id,
        created_at: now,
        updated_at: now,
        secret: random_token("whsec"),
    };
    state.store.create_rule(&r).await?;
    let dto = RuleDto { secret: Some(r.secret.clone()), ..RuleDto::from(&r) };
    Ok((StatusCode::CREATED, Json(dto)))
}

/// The rule, if it is on that stage.
async fn rule_of(
    state: &AppState,
    user: &User,
    pipeline: Uuid,
    stage: Uuid,
    id: Uuid,
) -> Result<(Stage, StageRule), Error> {
    let stage = stage_of(state, user, pipeline, stage).await?;
    let r = state.store.get_rule(user.workspace_id, id).await?;
    if r.stage_id != stage.id {
        return Err(Error::NotFound("rule"));
    }
    Ok((stage, r))
}

/// Changes a rule (admins); it then acts as the admin who changed it.
#[utoipa::path(patch, path = "/pipelines/{id}/stages/{stage_id}/rules/{rule_id}", operation_id = "update_stage_rule", tag = "automation",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("stage_id" = Uuid, Path), ("rule_id" = Uuid, Path)),
    request_body = UpdateRule,
    responses((status = 200, body = RuleDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((pipeline, stage, id)): Path<(Uuid, Uuid, Uuid)>,
    Json(req): Json<UpdateRule>,
) -> ApiResult<Json<RuleDto>> {
    admin(&auth.user)?;
    let (stage, mut r) = rule_of(&state, &auth.user, pipeline, stage, id).await?;
    if let Some(t) = req.trigger {
        r.trigger = t;
    }
    if let Some(a) = req.action {
        r.action = a;
    }
    if let Some(a) = req.active {
        r.active = a;
    }
    rule::check(&r.trigger, &r.action)?;
    check_action(&state, &auth.user, &stage, &r.action).await?;
    r.created_by = auth.user.id;
    r.updated_at = state.clock.now();
    state.store.update_rule(&r).await?;
    Ok(Json(RuleDto::from(&r)))
}

/// Deletes a rule (admins); its queued runs are skipped.
#[utoipa::path(delete, path = "/pipelines/{id}/stages/{stage_id}/rules/{rule_id}", operation_id = "delete_stage_rule", tag = "automation",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("stage_id" = Uuid, Path), ("rule_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((pipeline, stage, id)): Path<(Uuid, Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    admin(&auth.user)?;
    rule_of(&state, &auth.user, pipeline, stage, id).await?;
    state.store.delete_rule(auth.user.workspace_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
