//! `BotStore` for both engines: bot users (user rows flagged `bot`) and their API
//! tokens, looked up by the SHA-256 of the secret.

use artel_core::bot::{ApiToken, Scope};
use artel_core::ports::bots::BotStore;
use artel_core::user::{User, UserId};
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use crate::errors::{backend, not_found, on_unique};
use crate::rows::{sort_people, users, UserRow, USER_COLUMNS};
use crate::users::{bind_user, INSERT_USER};
use crate::{PostgresStore, SqliteStore};

const TOKEN_COLUMNS: &str =
    "id, workspace_id, user_id, name, token_hash, scopes, created_by, created_at, last_used_at, revoked_at";

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    workspace_id: Uuid,
    user_id: Uuid,
    name: String,
    token_hash: String,
    scopes: Json<Vec<String>>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<Self, StoreError> {
        let scopes = r
            .scopes
            .0
            .iter()
            .map(|s| s.parse::<Scope>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::Backend)?;
        Ok(ApiToken {
            id: r.id,
            workspace_id: r.workspace_id,
            user_id: r.user_id,
            name: r.name,
            token_hash: r.token_hash,
            scopes,
            created_by: r.created_by,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
    }
}

macro_rules! impl_bot_store {
    ($store:ty) => {
        impl $store {
            async fn fetch_bot(&self, workspace: WorkspaceId, id: UserId) -> StoreResult<User> {
                let sql = format!(
                    "select {USER_COLUMNS} from users where workspace_id = $1 and id = $2 and bot = $3"
                );
                let row: UserRow = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .bind(true)
                    .fetch_one(&mut *self.write.acquire().await?)
                    .await
                    .map_err(not_found("bot"))?;
                row.try_into()
            }
        }

        #[async_trait]
        impl BotStore for $store {
            async fn create_bot(&self, user: &User) -> StoreResult<()> {
                if !user.bot {
                    return Err(StoreError::Backend("create_bot called with a non-bot user".into()));
                }
                bind_user!(sqlx::query(INSERT_USER), user)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(on_unique("user"))?;
                Ok(())
            }

            async fn list_bots(&self, workspace: WorkspaceId) -> StoreResult<Vec<User>> {
                let sql = format!("select {USER_COLUMNS} from users where workspace_id = $1 and bot = $2");
                let rows: Vec<UserRow> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(true)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                let mut bots = users(rows)?;
                sort_people(&mut bots);
                Ok(bots)
            }

            async fn rename_bot(
                &self,
                workspace: WorkspaceId,
                bot: UserId,
                name: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<User> {
                let done = sqlx::query(
                    "update users set name = $3, updated_at = $4 \
                     where workspace_id = $1 and id = $2 and bot = $5",
                )
                .bind(workspace)
                .bind(bot)
                .bind(name)
                .bind(now)
                .bind(true)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("bot"));
                }
                self.fetch_bot(workspace, bot).await
            }

            async fn create_api_token(&self, t: &ApiToken, max_live: usize) -> StoreResult<()> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                // Touching the bot's row serialises concurrent token creation for one
                // bot on Postgres (row lock); SQLite has a single writer anyway.
                let bot = sqlx::query(
                    "update users set updated_at = updated_at where workspace_id = $1 and id = $2 and bot = $3",
                )
                .bind(t.workspace_id)
                .bind(t.user_id)
                .bind(true)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if bot.rows_affected() == 0 {
                    return Err(StoreError::NotFound("bot"));
                }
                let live: i64 = sqlx::query_scalar(
                    "select count(*) from api_tokens where workspace_id = $1 and user_id = $2 and revoked_at is null",
                )
                .bind(t.workspace_id)
                .bind(t.user_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                if usize::try_from(live).unwrap_or(usize::MAX) >= max_live {
                    return Err(StoreError::Invalid {
                        field: "tokens",
                        reason: "this bot holds the most live tokens allowed; revoke one first",
                    });
                }
                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                sqlx::query(&format!(
                    "insert into api_tokens ({TOKEN_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(t.id)
                .bind(t.workspace_id)
                .bind(t.user_id)
                .bind(&t.name)
                .bind(&t.token_hash)
                .bind(Json(scopes))
                .bind(t.created_by)
                .bind(t.created_at)
                .bind(t.last_used_at)
                .bind(t.revoked_at)
                .execute(&mut *tx)
                .await
                .map_err(on_unique("api_token"))?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(())
            }

            async fn list_api_tokens(&self, workspace: WorkspaceId, bot: UserId) -> StoreResult<Vec<ApiToken>> {
                let rows: Vec<TokenRow> = sqlx::query_as(&format!(
                    "select {TOKEN_COLUMNS} from api_tokens where workspace_id = $1 and user_id = $2 \
                     order by created_at desc, id desc"
                ))
                .bind(workspace)
                .bind(bot)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)?;
                rows.into_iter().map(ApiToken::try_from).collect()
            }

            async fn find_api_token(&self, token_hash: &str) -> StoreResult<ApiToken> {
                // The write pool: a token revoked a moment ago must not still work on a
                // lagging read connection.
                let row: TokenRow =
                    sqlx::query_as(&format!("select {TOKEN_COLUMNS} from api_tokens where token_hash = $1"))
                        .bind(token_hash)
                        .fetch_one(&mut *self.write.acquire().await?)
                        .await
                        .map_err(not_found("api_token"))?;
                row.try_into()
            }

            async fn revoke_api_token(
                &self,
                workspace: WorkspaceId,
                bot: UserId,
                id: Uuid,
                now: DateTime<Utc>,
            ) -> StoreResult<ApiToken> {
                let done = sqlx::query(
                    "update api_tokens set revoked_at = coalesce(revoked_at, $4) \
                     where workspace_id = $1 and user_id = $2 and id = $3",
                )
                .bind(workspace)
                .bind(bot)
                .bind(id)
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("api_token"));
                }
                let row: TokenRow =
                    sqlx::query_as(&format!("select {TOKEN_COLUMNS} from api_tokens where id = $1"))
                        .bind(id)
                        .fetch_one(&mut *self.write.acquire().await?)
                        .await
                        .map_err(not_found("api_token"))?;
                row.try_into()
            }

            async fn touch_api_token(
                &self,
                id: Uuid,
                now: DateTime<Utc>,
                not_since: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "update api_tokens set last_used_at = $2 \
                     where id = $1 and (last_used_at is null or last_used_at < $3)",
                )
                .bind(id)
                .bind(now)
                .bind(not_since)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(())
            }
        }
    };
}

impl_bot_store!(SqliteStore);
impl_bot_store!(PostgresStore);
