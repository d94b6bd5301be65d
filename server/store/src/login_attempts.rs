//! `LoginAttemptStore` for both engines.

use artel_core::ports::store::LoginAttemptStore;
use artel_core::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::errors::backend;
use crate::{PostgresStore, SqliteStore};

macro_rules! impl_login_attempt_store {
    ($store:ty) => {
        #[async_trait]
        impl LoginAttemptStore for $store {
            async fn record_login_failure(&self, email: &str, ip: &str, at: DateTime<Utc>) -> StoreResult<()> {
                sqlx::query("insert into login_failures (email, ip, created_at) values ($1, $2, $3)")
                    .bind(email)
                    .bind(ip)
                    .bind(at)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn login_failures_for_email(
                &self,
                email: &str,
                since: DateTime<Utc>,
            ) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
                sqlx::query_as(
                    "select count(*), min(created_at) from login_failures where email = $1 and created_at > $2",
                )
                .bind(email)
                .bind(since)
                .fetch_one(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn login_failures_for_ip(
                &self,
                ip: &str,
                since: DateTime<Utc>,
            ) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
                sqlx::query_as(
                    "select count(*), min(created_at) from login_failures where ip = $1 and created_at > $2",
                )
                .bind(ip)
                .bind(since)
                .fetch_one(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn clear_login_failures(&self, email: &str) -> StoreResult<()> {
                sqlx::query("delete from login_failures where email = $1")
                    .bind(email)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn prune_login_failures(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                let done = sqlx::query("delete from login_failures where created_at < $1")
                    .bind(before)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(done.rows_affected())
            }
        }
    };
}

impl_login_attempt_store!(SqliteStore);
impl_login_attempt_store!(PostgresStore);
