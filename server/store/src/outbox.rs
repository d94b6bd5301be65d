//! The outbox, written inside a change's transaction: the domain events it
//! caused and one job per subscriber. A job whose dedupe key exists already is
//! skipped, as `enqueue_job` does.

use artel_core::domain_event::{DomainEvent, Outbox};
use artel_core::StoreResult;
use sqlx::types::Json;

use crate::errors::backend;
use crate::{PostgresStore, SqliteStore};

macro_rules! impl_outbox {
    ($store:ty, $db:ty) => {
        impl $store {
            pub(crate) async fn write_outbox_tx(
                tx: &mut sqlx::Transaction<'_, $db>,
                outbox: &Outbox,
            ) -> StoreResult<()> {
                for event in &outbox.events {
                    sqlx::query(
                        "insert into domain_events (id, workspace_id, kind, payload, created_at) \
                         values ($1, $2, $3, $4, $5)",
                    )
                    .bind(event.id)
                    .bind(event.workspace_id)
                    .bind(event.change.kind())
                    .bind(Json(event))
                    .bind(event.occurred_at)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                }
                for job in &outbox.jobs {
                    sqlx::query(
                        "insert into jobs (id, workspace_id, kind, payload, dedupe_key, run_at, attempts, \
                         max_attempts, status, last_error, created_at, updated_at) \
                         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                         on conflict (dedupe_key) do nothing",
                    )
                    .bind(job.id)
                    .bind(job.workspace_id)
                    .bind(&job.kind)
                    .bind(Json(&job.payload))
                    .bind(&job.dedupe_key)
                    .bind(job.run_at)
                    .bind(job.attempts)
                    .bind(job.max_attempts)
                    .bind(job.status.as_str())
                    .bind(&job.last_error)
                    .bind(job.created_at)
                    .bind(job.updated_at)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                }
                Ok(())
            }

            pub(crate) async fn read_domain_event(&self, id: uuid::Uuid) -> StoreResult<DomainEvent> {
                let row: Json<DomainEvent> =
                    sqlx::query_scalar("select payload from domain_events where id = $1")
                        .bind(id)
                        .fetch_one(&mut *self.write.acquire().await?)
                        .await
                        .map_err(crate::errors::not_found("event"))?;
                Ok(row.0)
            }
        }
    };
}

impl_outbox!(SqliteStore, sqlx::Sqlite);
impl_outbox!(PostgresStore, sqlx::Postgres);
