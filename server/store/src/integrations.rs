//! `IntegrationStore` for both engines: integration settings, webhooks and their
//! delivery log, incoming hooks (looked up by the hash of their secret).

use artel_core::automation::hook::ChatHook;
use artel_core::automation::webhook::{IntegrationSettings, Webhook, WebhookDelivery};
use artel_core::ports::automation::IntegrationStore;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use crate::errors::{backend, not_found, on_unique};
use crate::{PostgresStore, SqliteStore};

const WEBHOOK_COLUMNS: &str =
    "id, workspace_id, name, url, events, secret, active, created_by, created_at, updated_at";
const DELIVERY_COLUMNS: &str = "id, workspace_id, webhook_id, event_id, event, attempt, outcome, \
     response_code, duration_ms, error, created_at";
const HOOK_COLUMNS: &str = "id, workspace_id, kind, name, chat_id, pipeline_id, owner_id, token_hash, \
     created_by, created_at, revoked_at, redirect_url";

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: Uuid,
    workspace_id: Uuid,
    name: String,
    url: String,
    events: Json<Vec<String>>,
    secret: String,
    active: bool,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id,
            workspace_id: r.workspace_id,
            name: r.name,
            url: r.url,
            events: r.events.0,
            secret: r.secret,
            active: r.active,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    workspace_id: Uuid,
    webhook_id: Uuid,
    event_id: Uuid,
    event: String,
    attempt: i64,
    outcome: String,
    response_code: Option<i64>,
    duration_ms: i64,
    error: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<DeliveryRow> for WebhookDelivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
        Ok(WebhookDelivery {
            id: r.id,
            workspace_id: r.workspace_id,
            webhook_id: r.webhook_id,
            event_id: r.event_id,
            event: r.event,
            attempt: r.attempt,
            outcome: r.outcome.parse().map_err(StoreError::Backend)?,
            response_code: r.response_code,
            duration_ms: r.duration_ms,
            error: r.error,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct HookRow {
    id: Uuid,
    workspace_id: Uuid,
    kind: String,
    name: String,
    chat_id: Option<Uuid>,
    pipeline_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    token_hash: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    redirect_url: Option<String>,
}

impl TryFrom<HookRow> for ChatHook {
    type Error = StoreError;
    fn try_from(r: HookRow) -> Result<Self, StoreError> {
        Ok(ChatHook {
            id: r.id,
            workspace_id: r.workspace_id,
            kind: r.kind.parse().map_err(StoreError::Backend)?,
            name: r.name,
            chat_id: r.chat_id,
            pipeline_id: r.pipeline_id,
            owner_id: r.owner_id,
            token_hash: r.token_hash,
            created_by: r.created_by,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            redirect_url: r.redirect_url,
        })
    }
}

macro_rules! impl_integration_store {
    ($store:ty) => {
        #[async_trait]
        impl IntegrationStore for $store {
            async fn integration_settings(&self, workspace: WorkspaceId) -> StoreResult<IntegrationSettings> {
                let allow: Option<bool> = sqlx::query_scalar(
                    "select allow_private_targets from integration_settings where workspace_id = $1",
                )
                .bind(workspace)
                .fetch_optional(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(IntegrationSettings { allow_private_targets: allow.unwrap_or(false) })
            }

            async fn set_integration_settings(
                &self,
                workspace: WorkspaceId,
                settings: IntegrationSettings,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "insert into integration_settings (workspace_id, allow_private_targets, updated_at) \
                     values ($1, $2, $3) on conflict (workspace_id) do update \
                     set allow_private_targets = excluded.allow_private_targets, updated_at = excluded.updated_at",
                )
                .bind(workspace)
                .bind(settings.allow_private_targets)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn create_webhook(&self, w: &Webhook) -> StoreResult<()> {
                sqlx::query(&format!(
                    "insert into webhooks ({WEBHOOK_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(w.id)
                .bind(w.workspace_id)
                .bind(&w.name)
                .bind(&w.url)
                .bind(Json(&w.events))
                .bind(&w.secret)
                .bind(w.active)
                .bind(w.created_by)
                .bind(w.created_at)
                .bind(w.updated_at)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(on_unique("webhook"))?;
                Ok(())
            }

            async fn get_webhook(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<Webhook> {
                let row: WebhookRow = sqlx::query_as(&format!(
                    "select {WEBHOOK_COLUMNS} from webhooks where workspace_id = $1 and id = $2"
                ))
                .bind(workspace)
                .bind(id)
                .fetch_one(&mut *self.read.acquire().await?)
                .await
                .map_err(not_found("webhook"))?;
                Ok(row.into())
            }

            async fn list_webhooks(&self, workspace: WorkspaceId) -> StoreResult<Vec<Webhook>> {
                let rows: Vec<WebhookRow> = sqlx::query_as(&format!(
                    "select {WEBHOOK_COLUMNS} from webhooks where workspace_id = $1 order by created_at, id"
                ))
                .bind(workspace)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(rows.into_iter().map(Webhook::from).collect())
            }

            async fn update_webhook(&self, w: &Webhook) -> StoreResult<()> {
                let done = sqlx::query(
                    "update webhooks set name = $3, url = $4, events = $5, active = $6, updated_at = $7 \
                     where workspace_id = $1 and id = $2",
                )
                .bind(w.workspace_id)
                .bind(w.id)
                .bind(&w.name)
                .bind(&w.url)
                .bind(Json(&w.events))
                .bind(w.active)
                .bind(w.updated_at)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("webhook"));
                }
                Ok(())
            }

            async fn delete_webhook(&self, workspace: WorkspaceId, id: Uuid) -> StoreResult<()> {
                let done = sqlx::query("delete from webhooks where workspace_id = $1 and id = $2")
                    .bind(workspace)
                    .bind(id)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("webhook"));
                }
                Ok(())
            }

            async fn record_delivery(&self, d: &WebhookDelivery) -> StoreResult<()> {
                sqlx::query(&format!(
                    "insert into webhook_deliveries ({DELIVERY_COLUMNS}) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind(d.id)
                .bind(d.workspace_id)
                .bind(d.webhook_id)
                .bind(d.event_id)
                .bind(&d.event)
                .bind(d.attempt)
                .bind(d.outcome.as_str())
                .bind(d.response_code)
                .bind(d.duration_ms)
                .bind(&d.error)
                .bind(d.created_at)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn list_deliveries(
                &self,
                workspace: WorkspaceId,
                webhook: Uuid,
                limit: i64,
            ) -> StoreResult<Vec<WebhookDelivery>> {
                let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
                    "select {DELIVERY_COLUMNS} from webhook_deliveries where workspace_id = $1 \
                     and webhook_id = $2 order by created_at desc, id desc limit $3"
                ))
                .bind(workspace)
                .bind(webhook)
                .bind(limit.max(1))
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                rows.into_iter().map(WebhookDelivery::try_from).collect()
            }

            async fn create_hook(&self, h: &ChatHook) -> StoreResult<()> {
                sqlx::query(&format!(
                    "insert into chat_hooks ({HOOK_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                ))
                .bind(h.id)
                .bind(h.workspace_id)
                .bind(h.kind.as_str())
                .bind(&h.name)
                .bind(h.chat_id)
                .bind(h.pipeline_id)
                .bind(h.owner_id)
                .bind(&h.token_hash)
                .bind(h.created_by)
                .bind(h.created_at)
                .bind(h.revoked_at)
                .bind(&h.redirect_url)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(on_unique("hook"))?;
                Ok(())
            }

            async fn find_hook_by_token_hash(&self, token_hash: &str) -> StoreResult<ChatHook> {
                let row: HookRow =
                    sqlx::query_as(&format!("select {HOOK_COLUMNS} from chat_hooks where token_hash = $1"))
                        .bind(token_hash)
                        .fetch_one(&mut *self.read.acquire().await?)
                        .await
                        .map_err(not_found("hook"))?;
                row.try_into()
            }

            async fn list_hooks(&self, workspace: WorkspaceId) -> StoreResult<Vec<ChatHook>> {
                let rows: Vec<HookRow> = sqlx::query_as(&format!(
                    "select {HOOK_COLUMNS} from chat_hooks where workspace_id = $1 order by created_at, id"
                ))
                .bind(workspace)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                rows.into_iter().map(ChatHook::try_from).collect()
            }

            async fn revoke_hook(&self, workspace: WorkspaceId, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
                let done = sqlx::query(
                    "update chat_hooks set revoked_at = coalesce(revoked_at, $3) where workspace_id = $1 and id = $2",
                )
                .bind(workspace)
                .bind(id)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("hook"));
                }
                Ok(())
            }
        }
    };
}

impl_integration_store!(SqliteStore);
impl_integration_store!(PostgresStore);
