//! `SessionStore` for both engines: sessions are refresh-token families.

use artel_core::ports::store::SessionStore;
use artel_core::session::{RefreshToken, RotateOutcome, Session, SessionId};
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::errors::{backend, not_found, on_unique};
use crate::rows::{SessionRow, SESSION_COLUMNS};
use crate::{PostgresStore, SqliteStore};

const INSERT_TOKEN: &str = "insert into refresh_tokens (id, session_id, token_hash, created_at, expires_at) \
     values ($1, $2, $3, $4, $5)";

macro_rules! impl_session_store {
    ($store:ty) => {
        #[async_trait]
        impl SessionStore for $store {
            async fn create_session(&self, session: &Session, token: &RefreshToken) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                sqlx::query(
                    "insert into sessions (id, workspace_id, user_id, user_agent, ip, created_at, \
                     last_used_at, expires_at, revoked_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(session.id)
                .bind(session.workspace_id)
                .bind(session.user_id)
                .bind(session.user_agent.as_deref())
                .bind(session.ip.as_deref())
                .bind(session.created_at)
                .bind(session.last_used_at)
                .bind(session.expires_at)
                .bind(session.revoked_at)
                .execute(&mut *tx)
                .await
                .map_err(on_unique("session"))?;
                sqlx::query(INSERT_TOKEN)
                    .bind(token.id)
                    .bind(session.id)
                    .bind(&token.token_hash)
                    .bind(token.created_at)
                    .bind(token.expires_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(on_unique("refresh token"))?;
                tx.commit().await.map_err(backend)
            }

            async fn get_session(&self, id: SessionId) -> StoreResult<Session> {
                let sql = format!("select {SESSION_COLUMNS} from sessions where id = $1");
                let row: SessionRow = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("session"))?;
                Ok(row.into())
            }

            async fn rotate_refresh_token(
                &self,
                token_hash: &str,
                next_hash: &str,
                next_expires_at: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> StoreResult<RotateOutcome> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let token: Option<(Uuid, Uuid, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
                    "select id, session_id, expires_at, used_at from refresh_tokens where token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                let Some((token_id, session_id, expires_at, used_at)) = token else {
                    return Ok(RotateOutcome::Invalid);
                };
                let revoke_family = "update sessions set revoked_at = $2 where id = $1 and revoked_at is null";
                if used_at.is_some() {
                    sqlx::query(revoke_family).bind(session_id).bind(now).execute(&mut *tx).await.map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    drop(writer);
                    return Ok(RotateOutcome::Reused(session_id));
                }
                let sql = format!("select {SESSION_COLUMNS} from sessions where id = $1");
                let session: Session = sqlx::query_as::<_, SessionRow>(&sql)
                    .bind(session_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?
                    .into();
                if expires_at <= now || !session.is_live(now) {
                    return Ok(RotateOutcome::Invalid);
                }
                // The conditional update is the real check: of two concurrent
                // refreshes with one token, only one can flip `used_at`.
                let spent = sqlx::query(
                    "update refresh_tokens set used_at = $2 where id = $1 and used_at is null",
                )
                .bind(token_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if spent.rows_affected() == 0 {
                    sqlx::query(revoke_family).bind(session_id).bind(now).execute(&mut *tx).await.map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    drop(writer);
                    return Ok(RotateOutcome::Reused(session_id));
                }
                sqlx::query(INSERT_TOKEN)
                    .bind(Uuid::now_v7())
                    .bind(session_id)
                    .bind(next_hash)
                    .bind(now)
                    .bind(next_expires_at.min(session.expires_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(on_unique("refresh token"))?;
                sqlx::query("update sessions set last_used_at = $2 where id = $1")
                    .bind(session_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(RotateOutcome::Rotated(Session { last_used_at: now, ..session }))
            }

            async fn list_sessions(
                &self,
                workspace: WorkspaceId,
                user: UserId,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<Session>> {
                let sql = format!(
                    "select {SESSION_COLUMNS} from sessions where workspace_id = $1 and user_id = $2 \
                     and revoked_at is null and expires_at > $3 order by created_at desc"
                );
                let rows: Vec<SessionRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(user)
                    .bind(now)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(rows.into_iter().map(Session::from).collect())
            }

            async fn revoke_session(
                &self,
                workspace: WorkspaceId,
                user: UserId,
                id: SessionId,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let done = sqlx::query(
                    "update sessions set revoked_at = coalesce(revoked_at, $4) \
                     where workspace_id = $1 and user_id = $2 and id = $3",
                )
                .bind(workspace)
                .bind(user)
                .bind(id)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("session"));
                }
                Ok(())
            }

            async fn revoke_user_sessions(
                &self,
                workspace: WorkspaceId,
                user: UserId,
                now: DateTime<Utc>,
            ) -> StoreResult<u64> {
                let done = sqlx::query(
                    "update sessions set revoked_at = $3 \
                     where workspace_id = $1 and user_id = $2 and revoked_at is null",
                )
                .bind(workspace)
                .bind(user)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected())
            }
        }
    };
}

impl_session_store!(SqliteStore);
impl_session_store!(PostgresStore);
