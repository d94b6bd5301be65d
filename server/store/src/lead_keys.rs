//! `LeadKeyStore` for both engines: a lead's idempotency key is claimed with an
//! insert that the primary key lets only one request win, so two nodes given the
//! same resubmitted form make one deal.

use artel_core::automation::hook::{LeadKey, LeadRecord};
use artel_core::ports::automation::LeadKeyStore;
use artel_core::workspace::WorkspaceId;
use artel_core::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::errors::backend;
use crate::{PostgresStore, SqliteStore};

#[derive(sqlx::FromRow)]
struct KeyRow {
    contact_id: Option<Uuid>,
    contact_reused: Option<bool>,
    deal_id: Option<Uuid>,
}

macro_rules! impl_lead_key_store {
    ($store:ty) => {
        #[async_trait]
        impl LeadKeyStore for $store {
            async fn claim_lead_key(
                &self,
                workspace: WorkspaceId,
                hook: Uuid,
                key: &str,
                now: DateTime<Utc>,
                expired_before: DateTime<Utc>,
                stale_before: DateTime<Utc>,
            ) -> StoreResult<LeadKey> {
                let mut conn = self.write.acquire().await?;
                sqlx::query(
                    "delete from lead_keys where hook_id = $1 \
                     and (created_at < $2 or (deal_id is null and created_at < $3))",
                )
                .bind(hook)
                .bind(expired_before)
                .bind(stale_before)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                let claimed = sqlx::query(
                    "insert into lead_keys (hook_id, idem_key, workspace_id, created_at) \
                     values ($1, $2, $3, $4) on conflict (hook_id, idem_key) do nothing",
                )
                .bind(hook)
                .bind(key)
                .bind(workspace)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                if claimed.rows_affected() == 1 {
                    return Ok(LeadKey::Claimed);
                }
                let row: Option<KeyRow> = sqlx::query_as(
                    "select contact_id, contact_reused, deal_id from lead_keys \
                     where hook_id = $1 and idem_key = $2",
                )
                .bind(hook)
                .bind(key)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(match row {
                    Some(KeyRow { contact_id: Some(contact_id), contact_reused, deal_id: Some(deal_id) }) => {
                        LeadKey::Done(LeadRecord {
                            contact_id,
                            contact_reused: contact_reused.unwrap_or(false),
                            deal_id,
                        })
                    }
                    // Released between our insert and this read: the caller asks again.
                    _ => LeadKey::InProgress,
                })
            }

            async fn finish_lead_key(&self, hook: Uuid, key: &str, lead: &LeadRecord) -> StoreResult<()> {
                sqlx::query(
                    "update lead_keys set contact_id = $3, contact_reused = $4, deal_id = $5 \
                     where hook_id = $1 and idem_key = $2",
                )
                .bind(hook)
                .bind(key)
                .bind(lead.contact_id)
                .bind(lead.contact_reused)
                .bind(lead.deal_id)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn release_lead_key(&self, hook: Uuid, key: &str) -> StoreResult<()> {
                sqlx::query("delete from lead_keys where hook_id = $1 and idem_key = $2 and deal_id is null")
                    .bind(hook)
                    .bind(key)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }
    };
}

impl_lead_key_store!(SqliteStore);
impl_lead_key_store!(PostgresStore);
