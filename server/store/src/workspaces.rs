//! `WorkspaceStore` for both engines.

use artel_core::ports::store::WorkspaceStore;
use artel_core::user::User;
use artel_core::workspace::{Workspace, WorkspaceId, WorkspaceSettings};
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::errors::{backend, not_found, on_unique};
use crate::rows::{WorkspaceRow, WORKSPACE_COLUMNS};
use crate::users::INSERT_USER;
use crate::{PostgresStore, SqliteStore};

/// Marker row that makes "first run" a uniqueness rule instead of a racy count.
const FIRST_RUN_KEY: &str = "first_workspace_created";

macro_rules! impl_workspace_store {
    ($store:ty) => {
        #[async_trait]
        impl WorkspaceStore for $store {
            async fn create_workspace(
                &self,
                workspace: &Workspace,
                owner: &User,
                first_run_only: bool,
            ) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let marker = sqlx::query(
                    "insert into server_meta (key, value, created_at) values ($1, $2, $3) \
                     on conflict (key) do nothing",
                )
                .bind(FIRST_RUN_KEY)
                .bind(workspace.id.to_string())
                .bind(workspace.created_at)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if first_run_only && marker.rows_affected() == 0 {
                    return Err(StoreError::Conflict("workspace"));
                }
                sqlx::query(
                    "insert into workspaces (id, name, slug, deal_visibility, phone_region, \
                     default_currency, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(workspace.id)
                .bind(&workspace.name)
                .bind(&workspace.slug)
                .bind(workspace.settings.deal_visibility.as_str())
                .bind(&workspace.settings.phone_region)
                .bind(&workspace.settings.default_currency)
                .bind(workspace.created_at)
                .bind(workspace.updated_at)
                .execute(&mut *tx)
                .await
                .map_err(on_unique("workspace slug"))?;
                crate::users::bind_user!(sqlx::query(INSERT_USER), owner)
                    .execute(&mut *tx)
                    .await
                    .map_err(on_unique("user"))?;
                tx.commit().await.map_err(backend)
            }

            async fn get_workspace(&self, id: WorkspaceId) -> StoreResult<Workspace> {
                let sql = format!("select {WORKSPACE_COLUMNS} from workspaces where id = $1");
                let row: WorkspaceRow = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("workspace"))?;
                row.try_into()
            }

            async fn get_workspace_by_slug(&self, slug: &str) -> StoreResult<Workspace> {
                let sql = format!("select {WORKSPACE_COLUMNS} from workspaces where slug = $1");
                let row: WorkspaceRow = sqlx::query_as(&sql)
                    .bind(slug)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("workspace"))?;
                row.try_into()
            }

            async fn update_workspace(
                &self,
                id: WorkspaceId,
                name: Option<&str>,
                settings: Option<&WorkspaceSettings>,
                now: DateTime<Utc>,
            ) -> StoreResult<Workspace> {
                let done = sqlx::query(
                    "update workspaces set name = coalesce($2, name), \
                     deal_visibility = coalesce($3, deal_visibility), phone_region = coalesce($4, phone_region), \
                     default_currency = coalesce($5, default_currency), updated_at = $6 where id = $1",
                )
                .bind(id)
                .bind(name)
                .bind(settings.map(|s| s.deal_visibility.as_str()))
                .bind(settings.map(|s| s.phone_region.as_str()))
                .bind(settings.map(|s| s.default_currency.as_str()))
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("workspace"));
                }
                let sql = format!("select {WORKSPACE_COLUMNS} from workspaces where id = $1");
                let row: WorkspaceRow = sqlx::query_as(&sql).bind(id).fetch_one(&mut *self.write.acquire().await?).await.map_err(backend)?;
                row.try_into()
            }

            async fn count_workspaces(&self) -> StoreResult<i64> {
                sqlx::query_scalar("select count(*) from workspaces")
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)
            }
        }
    };
}

impl_workspace_store!(SqliteStore);
impl_workspace_store!(PostgresStore);
