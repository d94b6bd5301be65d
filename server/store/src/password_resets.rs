//! `PasswordResetStore` for both engines.

use artel_core::password_reset::{PasswordReset, PasswordResetId};
use artel_core::ports::store::PasswordResetStore;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::errors::{backend, not_found, on_unique};
use crate::{PostgresStore, SqliteStore};

const RESET_COLUMNS: &str =
    "id, workspace_id, user_id, created_by, token_hash, created_at, expires_at, used_at";

#[derive(sqlx::FromRow)]
struct ResetRow {
    id: Uuid,
    workspace_id: Uuid,
    user_id: Uuid,
    created_by: Uuid,
    token_hash: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
}

impl From<ResetRow> for PasswordReset {
    fn from(r: ResetRow) -> Self {
        PasswordReset {
            id: r.id,
            workspace_id: r.workspace_id,
            user_id: r.user_id,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
            token_hash: r.token_hash,
        }
    }
}

macro_rules! impl_password_reset_store {
    ($store:ty) => {
        #[async_trait]
        impl PasswordResetStore for $store {
            async fn create_password_reset(&self, reset: &PasswordReset) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                // Links handed out earlier die: whoever holds an old one (a forwarded
                // chat message, say) cannot use it after a new one was made.
                sqlx::query(
                    "delete from password_resets where workspace_id = $1 and user_id = $2 and used_at is null",
                )
                .bind(reset.workspace_id)
                .bind(reset.user_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                sqlx::query(
                    "insert into password_resets (id, workspace_id, user_id, created_by, token_hash, \
                     created_at, expires_at, used_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(reset.id)
                .bind(reset.workspace_id)
                .bind(reset.user_id)
                .bind(reset.created_by)
                .bind(&reset.token_hash)
                .bind(reset.created_at)
                .bind(reset.expires_at)
                .bind(reset.used_at)
                .execute(&mut *tx)
                .await
                .map_err(on_unique("password reset"))?;
                tx.commit().await.map_err(backend)
            }

            async fn find_password_reset_by_token_hash(&self, token_hash: &str) -> StoreResult<PasswordReset> {
                let sql = format!("select {RESET_COLUMNS} from password_resets where token_hash = $1");
                let row: ResetRow = sqlx::query_as(&sql)
                    .bind(token_hash)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("password reset"))?;
                Ok(row.into())
            }

            async fn use_password_reset(
                &self,
                workspace: WorkspaceId,
                id: PasswordResetId,
                password_hash: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let user: Option<Uuid> = sqlx::query_scalar(
                    "update password_resets set used_at = $3 \
                     where workspace_id = $1 and id = $2 and used_at is null and expires_at > $3 \
                     returning user_id",
                )
                .bind(workspace)
                .bind(id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                let Some(user) = user else {
                    return Err(StoreError::Conflict("password reset use"));
                };
                let done = sqlx::query(
                    "update users set password_hash = $3, updated_at = $4 \
                     where workspace_id = $1 and id = $2 and deactivated_at is null",
                )
                .bind(workspace)
                .bind(user)
                .bind(password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("user"));
                }
                sqlx::query(
                    "update sessions set revoked_at = $3 \
                     where workspace_id = $1 and user_id = $2 and revoked_at is null",
                )
                .bind(workspace)
                .bind(user)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }
        }
    };
}

impl_password_reset_store!(SqliteStore);
impl_password_reset_store!(PostgresStore);
