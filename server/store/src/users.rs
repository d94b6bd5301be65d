//! `UserStore` for both engines.

use artel_core::ports::store::UserStore;
use artel_core::user::{ProfileUpdate, Role, User, UserId};
use artel_core::workspace::WorkspaceId;
use artel_core::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::errors::{backend, not_found, on_unique};
use crate::rows::{sort_people, users, UserRow, USER_COLUMNS};
use crate::{PostgresStore, SqliteStore};

pub(crate) const INSERT_USER: &str = "insert into users (id, workspace_id, email, name, role, \
     time_zone, language, password_hash, created_at, updated_at, deactivated_at, bot) \
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/// Binds a `User` to `INSERT_USER`'s parameters (used by workspace creation and
/// invite acceptance too, inside their transactions).
macro_rules! bind_user {
    ($query:expr, $user:expr) => {{
        let u: &User = $user;
        $query
            .bind(u.id)
            .bind(u.workspace_id)
            .bind(&u.email)
            .bind(&u.name)
            .bind(u.role.as_str())
            .bind(&u.time_zone)
            .bind(u.language.as_str())
            .bind(&u.password_hash)
            .bind(u.created_at)
            .bind(u.updated_at)
            .bind(u.deactivated_at)
            .bind(u.bot)
    }};
}
pub(crate) use bind_user;

macro_rules! impl_user_store {
    ($store:ty) => {
        impl $store {
            async fn fetch_user(&self, workspace: WorkspaceId, id: UserId) -> StoreResult<User> {
                let sql = format!("select {USER_COLUMNS} from users where workspace_id = $1 and id = $2");
                let row: UserRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.write.acquire().await?)
                    .await
                    .map_err(not_found("user"))?;
                row.try_into()
            }
        }

        #[async_trait]
        impl UserStore for $store {
            async fn create_user(&self, user: &User) -> StoreResult<()> {
                bind_user!(sqlx::query(INSERT_USER), user)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(on_unique("user"))?;
                Ok(())
            }

            async fn get_user(&self, workspace: WorkspaceId, id: UserId) -> StoreResult<User> {
                let sql = format!("select {USER_COLUMNS} from users where workspace_id = $1 and id = $2");
                let row: UserRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("user"))?;
                row.try_into()
            }

            async fn find_users_by_email(&self, email: &str) -> StoreResult<Vec<User>> {
                let sql = format!("select {USER_COLUMNS} from users where email = $1 order by created_at");
                let rows: Vec<UserRow> =
                    sqlx::query_as(&sql).bind(email).fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?;
                users(rows)
            }

            async fn list_users(&self, workspace: WorkspaceId) -> StoreResult<Vec<User>> {
                let sql = format!("select {USER_COLUMNS} from users where workspace_id = $1");
                let rows: Vec<UserRow> =
                    sqlx::query_as(&sql).bind(workspace).fetch_all(&mut *self.read.acquire().await?).await.map_err(backend)?;
                let mut people = users(rows)?;
                sort_people(&mut people);
                Ok(people)
            }

            async fn update_profile(
                &self,
                workspace: WorkspaceId,
                id: UserId,
                change: &ProfileUpdate,
                now: DateTime<Utc>,
            ) -> StoreResult<User> {
                let done = sqlx::query(
                    "update users set name = coalesce($3, name), time_zone = coalesce($4, time_zone), \
                     language = coalesce($5, language), updated_at = $6 \
                     where workspace_id = $1 and id = $2",
                )
                .bind(workspace)
                .bind(id)
                .bind(change.name.as_deref())
                .bind(change.time_zone.as_deref())
                .bind(change.language.map(|l| l.as_str()))
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(artel_core::StoreError::NotFound("user"));
                }
                self.fetch_user(workspace, id).await
            }

            async fn set_password_hash(
                &self,
                workspace: WorkspaceId,
                id: UserId,
                hash: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let done = sqlx::query(
                    "update users set password_hash = $3, updated_at = $4 where workspace_id = $1 and id = $2",
                )
                .bind(workspace)
                .bind(id)
                .bind(hash)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(artel_core::StoreError::NotFound("user"));
                }
                Ok(())
            }

            async fn set_role(
                &self,
                workspace: WorkspaceId,
                id: UserId,
                role: Role,
                now: DateTime<Utc>,
            ) -> StoreResult<User> {
                let done = sqlx::query(
                    "update users set role = $3, updated_at = $4 where workspace_id = $1 and id = $2",
                )
                .bind(workspace)
                .bind(id)
                .bind(role.as_str())
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(artel_core::StoreError::NotFound("user"));
                }
                self.fetch_user(workspace, id).await
            }

            async fn set_deactivated(
                &self,
                workspace: WorkspaceId,
                id: UserId,
                at: Option<DateTime<Utc>>,
                now: DateTime<Utc>,
            ) -> StoreResult<User> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let done = sqlx::query(
                    "update users set deactivated_at = $3, updated_at = $4 where workspace_id = $1 and id = $2",
                )
                .bind(workspace)
                .bind(id)
                .bind(at)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(artel_core::StoreError::NotFound("user"));
                }
                if at.is_some() {
                    sqlx::query(
                        "update sessions set revoked_at = $3 \
                         where workspace_id = $1 and user_id = $2 and revoked_at is null",
                    )
                    .bind(workspace)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)?;
                drop(writer);
                self.fetch_user(workspace, id).await
            }
        }
    };
}

impl_user_store!(SqliteStore);
impl_user_store!(PostgresStore);
