//! `RateLimitStore` for both engines: a log of hits per bucket. `take` checks and
//! counts in one transaction under a lock per bucket (Postgres: an advisory lock,
//! taken in bucket order so two takes never wait on each other in a cycle;
//! SQLite: its single writer), so a limit holds however many requests race for it.

use artel_core::ports::store::{RateDecision, RateLimit, RateLimitStore};
use artel_core::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::errors::backend;
use crate::{PostgresStore, SqliteStore};

macro_rules! impl_rate_limit_store {
    ($store:ty, $lock:expr) => {
        #[async_trait]
        impl RateLimitStore for $store {
            async fn take_rate_limit(
                &self,
                limits: &[RateLimit<'_>],
                at: DateTime<Utc>,
            ) -> StoreResult<RateDecision> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let lock: Option<&str> = $lock;
                if let Some(lock) = lock {
                    let mut buckets: Vec<&str> = limits.iter().map(|l| l.bucket).collect();
                    buckets.sort_unstable();
                    buckets.dedup();
                    for bucket in buckets {
                        sqlx::query(lock).bind(bucket).execute(&mut *tx).await.map_err(backend)?;
                    }
                }
                for (i, limit) in limits.iter().enumerate() {
                    sqlx::query("delete from rate_limit_hits where bucket = $1 and created_at <= $2")
                        .bind(limit.bucket)
                        .bind(limit.since)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    let (count, oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
                        "select count(*), min(created_at) from rate_limit_hits where bucket = $1",
                    )
                    .bind(limit.bucket)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
                    if count >= limit.max {
                        tx.rollback().await.map_err(backend)?;
                        return Ok(RateDecision::Refused { limit: i, oldest: oldest.unwrap_or(at) });
                    }
                }
                for limit in limits {
                    sqlx::query("insert into rate_limit_hits (bucket, created_at) values ($1, $2)")
                        .bind(limit.bucket)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)?;
                Ok(RateDecision::Taken)
            }

            async fn rate_limit_hits(
                &self,
                bucket: &str,
                since: DateTime<Utc>,
            ) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
                sqlx::query_as(
                    "select count(*), min(created_at) from rate_limit_hits where bucket = $1 and created_at > $2",
                )
                .bind(bucket)
                .bind(since)
                .fetch_one(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn refund_rate_limit(&self, bucket: &str) -> StoreResult<()> {
                sqlx::query(
                    "delete from rate_limit_hits where id = \
                     (select id from rate_limit_hits where bucket = $1 order by created_at desc, id desc limit 1)",
                )
                .bind(bucket)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn clear_rate_limit(&self, bucket: &str) -> StoreResult<()> {
                sqlx::query("delete from rate_limit_hits where bucket = $1")
                    .bind(bucket)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn prune_rate_limits(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                let done = sqlx::query("delete from rate_limit_hits where created_at <= $1")
                    .bind(before)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(done.rows_affected())
            }
        }
    };
}

impl_rate_limit_store!(SqliteStore, None);
impl_rate_limit_store!(PostgresStore, Some("select pg_advisory_xact_lock(hashtextextended($1, 0))"));
