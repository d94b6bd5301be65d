//! `InviteStore` for both engines.

use artel_core::invite::{Invite, InviteId};
use artel_core::ports::store::InviteStore;
use artel_core::user::User;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::errors::{backend, not_found, on_unique};
use crate::rows::{InviteRow, INVITE_COLUMNS};
use crate::users::{bind_user, INSERT_USER};
use crate::{PostgresStore, SqliteStore};

macro_rules! impl_invite_store {
    ($store:ty) => {
        #[async_trait]
        impl InviteStore for $store {
            async fn create_invite(&self, invite: &Invite) -> StoreResult<()> {
                sqlx::query(
                    "insert into invites (id, workspace_id, role, email, token_hash, created_by, \
                     created_at, updated_at, expires_at, used_at, used_by, revoked_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11)",
                )
                .bind(invite.id)
                .bind(invite.workspace_id)
                .bind(invite.role.as_str())
                .bind(invite.email.as_deref())
                .bind(&invite.token_hash)
                .bind(invite.created_by)
                .bind(invite.created_at)
                .bind(invite.expires_at)
                .bind(invite.used_at)
                .bind(invite.used_by)
                .bind(invite.revoked_at)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(on_unique("invite"))?;
                Ok(())
            }

            async fn get_invite(&self, workspace: WorkspaceId, id: InviteId) -> StoreResult<Invite> {
                let sql = format!("select {INVITE_COLUMNS} from invites where workspace_id = $1 and id = $2");
                let row: InviteRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("invite"))?;
                row.try_into()
            }

            async fn find_invite_by_token_hash(&self, token_hash: &str) -> StoreResult<Invite> {
                let sql = format!("select {INVITE_COLUMNS} from invites where token_hash = $1");
                let row: InviteRow = sqlx::query_as(&sql)
                    .bind(token_hash)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("invite"))?;
                row.try_into()
            }

            async fn list_pending_invites(
                &self,
                workspace: WorkspaceId,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<Invite>> {
                let sql = format!(
                    "select {INVITE_COLUMNS} from invites where workspace_id = $1 and used_at is null \
                     and revoked_at is null and expires_at > $2 order by created_at desc, id desc"
                );
                let rows: Vec<InviteRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(now)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                rows.into_iter().map(Invite::try_from).collect()
            }

            async fn accept_invite(
                &self,
                invite: InviteId,
                user: &User,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                // Insert the user first so the invite's `used_by` can reference it.
                bind_user!(sqlx::query(INSERT_USER), user)
                    .execute(&mut *tx)
                    .await
                    .map_err(on_unique("user"))?;
                let spent = sqlx::query(
                    "update invites set used_at = $3, used_by = $4, updated_at = $3 \
                     where id = $1 and workspace_id = $2 and used_at is null and revoked_at is null \
                     and expires_at > $3",
                )
                .bind(invite)
                .bind(user.workspace_id)
                .bind(now)
                .bind(user.id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if spent.rows_affected() == 0 {
                    return Err(StoreError::Conflict("invite use"));
                }
                tx.commit().await.map_err(backend)
            }

            async fn revoke_invite(
                &self,
                workspace: WorkspaceId,
                id: InviteId,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let done = sqlx::query(
                    "update invites set revoked_at = $3, updated_at = $3 \
                     where workspace_id = $1 and id = $2 and used_at is null and revoked_at is null",
                )
                .bind(workspace)
                .bind(id)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("invite"));
                }
                Ok(())
            }
        }
    };
}

impl_invite_store!(SqliteStore);
impl_invite_store!(PostgresStore);
