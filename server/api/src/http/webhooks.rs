//! Outgoing webhooks (admins): subscribe a URL to events, see its delivery log;
//! and the workspace's integration settings (whether private targets are allowed).

use artel_core::automation::webhook::{self, DeliveryOutcome, IntegrationSettings, Webhook, WebhookDelivery};
use artel_core::user::User;
use artel_core::Error;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::tokens::random_token;
use crate::auth::AuthUser;
use crate::automation::outbound::{self, TargetError};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{page_limit, Json, Path, Query};
use crate::state::AppState;

fn admin(user: &User) -> Result<(), Error> {
    if user.role.is_admin() {
        Ok(())
    } else {
        Err(Error::forbidden("only admins manage integrations"))
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSettingsDto {
    /// Let webhooks and automation call loopback and private-network addresses
    /// (a receiver on your own network). Off by default: such targets are refused.
    pub allow_private_targets: bool,
}

/// The workspace's integration settings (admins).
#[utoipa::path(get, path = "/integrations/settings", tag = "integrations", security(("bearer" = [])),
    responses((status = 200, body = IntegrationSettingsDto), (status = 403, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<IntegrationSettingsDto>> {
    admin(&auth.user)?;
    let s = state.store.integration_settings(auth.user.workspace_id).await?;
    Ok(Json(IntegrationSettingsDto { allow_private_targets: s.allow_private_targets }))
}

/// Changes the workspace's integration settings (admins).
#[utoipa::path(put, path = "/integrations/settings", tag = "integrations", security(("bearer" = [])),
    request_body = IntegrationSettingsDto,
    responses((status = 200, body = IntegrationSettingsDto), (status = 403, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<IntegrationSettingsDto>,
) -> ApiResult<Json<IntegrationSettingsDto>> {
    admin(&auth.user)?;
    let settings = IntegrationSettings { allow_private_targets: req.allow_private_targets };
    state.store.set_integration_settings(auth.user.workspace_id, settings, state.clock.now()).await?;
    Ok(Json(req))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Webhook> for WebhookDto {
    fn from(w: &Webhook) -> Self {
        Self {
            id: w.id,
            name: w.name.clone(),
            url: w.url.clone(),
            events: w.events.clone(),
            active: w.active,
            created_by: w.created_by,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    pub webhook: WebhookDto,
    /// Signing secret, shown only now. Each delivery carries
    /// `X-Artel-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">`.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    pub name: String,
    pub url: String,
    /// Any of: message.created, deal.created, deal.moved, deal.won, deal.lost,
    /// task.created, task.done, contact.created.
    pub events: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// The URL, checked: well-formed and (unless allowed) not an internal address.
async fn checked_url(state: &AppState, user: &User, raw: &str) -> Result<String, Error> {
    let url = outbound::parse_url("url", raw)?;
    let settings = state.store.integration_settings(user.workspace_id).await?;
    match outbound::resolve(&url, settings.allow_private_targets).await {
        Ok(_) => Ok(url.to_string()),
        Err(TargetError::Refused(m)) => Err(Error::invalid("url", m)),
        Err(TargetError::Unresolvable(m)) => Err(Error::invalid("url", m)),
    }
}

/// Subscribes a URL to events (admins). The target must be a public address
/// unless the workspace allows private targets.
#[utoipa::path(post, path = "/webhooks", operation_id = "create_webhook", tag = "integrations", security(("bearer" = [])),
    request_body = CreateWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    admin(&auth.user)?;
    let ws = auth.user.workspace_id;
    let name = webhook::name("name", &req.name)?;
    let events = webhook::events(&req.events)?;
    let url = checked_url(&state, &auth.user, &req.url).await?;
    if state.store.list_webhooks(ws).await?.len() >= webhook::MAX_WEBHOOKS {
        return Err(Error::conflict("too_many_webhooks", "a workspace has at most 50 webhooks").into());
    }
    let now = state.clock.now();
    let hook = Webhook {
        id: Uuid::now_v7(),
        workspace_id: ws,
        name,
        url,
        events,
        secret: random_token("whsec"),
        active: true,
        created_by: Some(auth.user.id),
        created_at: now,
        updated_at: now,
    };
    state.store.create_webhook(&hook).await?;
    state.automation.invalidate_webhooks(ws);
    let body = CreatedWebhook { webhook: WebhookDto::from(&hook), secret: hook.secret.clone() };
    Ok((StatusCode::CREATED, Json(body)))
}

/// The workspace's webhooks (admins; secrets are never shown again).
#[utoipa::path(get, path = "/webhooks", operation_id = "list_webhooks", tag = "integrations", security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookDto>), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<WebhookDto>>> {
    admin(&auth.user)?;
    let hooks = state.store.list_webhooks(auth.user.workspace_id).await?;
    Ok(Json(hooks.iter().map(WebhookDto::from).collect()))
}

/// One webhook (admins).
#[utoipa::path(get, path = "/webhooks/{id}", operation_id = "get_webhook", tag = "integrations", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<WebhookDto>> {
    admin(&auth.user)?;
    let hook = state.store.get_webhook(auth.user.workspace_id, id).await?;
    Ok(Json(WebhookDto::from(&hook)))
}

/// Changes a webhook's name, URL, events or pauses it (admins).
#[utoipa::path(patch, path = "/webhooks/{id}", operation_id = "update_webhook", tag = "integrations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateWebhook,
    responses((status = 200, body = WebhookDto), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateWebhook>,
) -> ApiResult<Json<WebhookDto>> {
    admin(&auth.user)?;
    let ws = auth.user.workspace_id;
    let mut hook = state.store.get_webhook(ws, id).await?;
    if let Some(n) = &req.name {
        hook.name = webhook::name("name", n)?;
    }
    if let Some(e) = &req.events {
        hook.events = webhook::events(e)?;
    }
    if let Some(u) = &req.url {
        hook.url = checked_url(&state, &auth.user, u).await?;
    }
    if let Some(a) = req.active {
        hook.active = a;
    }
    hook.updated_at = state.clock.now();
    state.store.update_webhook(&hook).await?;
    state.automation.invalidate_webhooks(ws);
    Ok(Json(WebhookDto::from(&hook)))
}

/// Deletes a webhook and its log; queued deliveries are dropped (admins).
#[utoipa::path(delete, path = "/webhooks/{id}", operation_id = "delete_webhook", tag = "integrations", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    admin(&auth.user)?;
    state.store.delete_webhook(auth.user.workspace_id, id).await?;
    state.automation.invalidate_webhooks(auth.user.workspace_id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event: String,
    /// 1 for the first try, then one more per retry.
    pub attempt: i64,
    /// delivered, failed (retried while attempts remain) or refused (SSRF rules).
    pub outcome: String,
    pub response_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&WebhookDelivery> for DeliveryDto {
    fn from(d: &WebhookDelivery) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            event: d.event.clone(),
            attempt: d.attempt,
            outcome: match d.outcome {
                DeliveryOutcome::Delivered => "delivered",
                DeliveryOutcome::Failed => "failed",
                DeliveryOutcome::Refused => "refused",
            }
            .to_string(),
            response_code: d.response_code,
            duration_ms: d.duration_ms,
            error: d.error.clone(),
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// 1..=200, default 50.
    pub limit: Option<i64>,
}

/// A webhook's delivery log, newest first (admins).
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "integrations", security(("bearer" = [])),
    params(("id" = Uuid, Path), DeliveryQuery),
    responses((status = 200, body = Vec<DeliveryDto>), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<Vec<DeliveryDto>>> {
    admin(&auth.user)?;
    let limit = page_limit(q.limit, 50)?;
    let ws = auth.user.workspace_id;
    state.store.get_webhook(ws, id).await?;
    let log = state.store.list_deliveries(ws, id, limit).await?;
    Ok(Json(log.iter().map(DeliveryDto::from).collect()))
}
