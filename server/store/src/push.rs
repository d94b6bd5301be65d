//! `PushStore` for both engines: subscriptions, notification settings, chat
//! mutes, focus rows and the push delivery queue. The queue is claimed like the
//! job queue (a conditional update per row, so one node sends each); a burst for
//! one subscription and tag folds into the single pending row (a partial unique
//! index makes that an upsert).

use artel_core::chat::ChatId;
use artel_core::ports::push::PushStore;
use artel_core::push::{Dnd, KindSwitches, NotificationSettings, PushSubscription, QueuedPush};
use artel_core::user::UserId;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

use crate::errors::{backend, not_found};
use crate::{PostgresStore, SqliteStore};

/// A pending delivery is due only outside its collapse window: no other push of
/// the same subscription and tag went out after the window's start (`$3`).
const OUTSIDE_WINDOW: &str = "not exists (select 1 from push_queue o \
     where o.subscription_id = push_queue.subscription_id and o.tag = push_queue.tag \
     and o.id <> push_queue.id and o.sent_at > $3)";
const SUB_COLUMNS: &str = "id, workspace_id, user_id, endpoint, p256dh, auth, device, created_at, updated_at";
const QUEUE_COLUMNS: &str = "id, workspace_id, user_id, subscription_id, tag, kind, payload, count, status, \
     run_at, attempts, last_status, last_error, created_at, sent_at";

#[derive(sqlx::FromRow)]
struct SubRow {
    id: Uuid,
    workspace_id: Uuid,
    user_id: Uuid,
    endpoint: String,
    p256dh: String,
    auth: String,
    device: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<SubRow> for PushSubscription {
    fn from(r: SubRow) -> Self {
        PushSubscription {
            id: r.id,
            workspace_id: r.workspace_id,
            user_id: r.user_id,
            endpoint: r.endpoint,
            p256dh: r.p256dh,
            auth: r.auth,
            device: r.device,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The text part of a queued push, kept as JSON.
#[derive(Serialize, Deserialize)]
struct Text {
    title: String,
    body: String,
    url: String,
}

#[derive(sqlx::FromRow)]
struct QueueRow {
    id: Uuid,
    workspace_id: Uuid,
    user_id: Uuid,
    subscription_id: Uuid,
    tag: String,
    kind: String,
    payload: Json<Text>,
    count: i64,
    status: String,
    run_at: DateTime<Utc>,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl TryFrom<QueueRow> for QueuedPush {
    type Error = StoreError;
    fn try_from(r: QueueRow) -> Result<Self, StoreError> {
        let text = r.payload.0;
        Ok(QueuedPush {
            id: r.id,
            workspace_id: r.workspace_id,
            user_id: r.user_id,
            subscription_id: r.subscription_id,
            tag: r.tag,
            kind: r.kind.parse().map_err(StoreError::Backend)?,
            title: text.title,
            body: text.body,
            url: text.url,
            count: r.count,
            status: r.status.parse().map_err(StoreError::Backend)?,
            run_at: r.run_at,
            attempts: r.attempts,
            last_status: r.last_status,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    hide_text: bool,
    dnd_from: Option<String>,
    dnd_to: Option<String>,
    kinds: Json<KindSwitches>,
}

fn short(error: &str) -> String {
    error.chars().take(500).collect()
}

macro_rules! impl_push_store {
    ($store:ty) => {
        #[async_trait]
        impl PushStore for $store {
            async fn upsert_subscription(&self, sub: &PushSubscription) -> StoreResult<(PushSubscription, bool)> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                let existing: Option<SubRow> =
                    sqlx::query_as(&format!("select {SUB_COLUMNS} from push_subscriptions where endpoint = $1"))
                        .bind(&sub.endpoint)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                if let Some(row) = existing {
                    if row.user_id == sub.user_id && row.workspace_id == sub.workspace_id {
                        let row: SubRow = sqlx::query_as(&format!(
                            "update push_subscriptions set p256dh = $2, auth = $3, device = $4, updated_at = $5 \
                             where id = $1 returning {SUB_COLUMNS}"
                        ))
                        .bind(row.id)
                        .bind(&sub.p256dh)
                        .bind(&sub.auth)
                        .bind(&sub.device)
                        .bind(sub.updated_at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(backend)?;
                        tx.commit().await.map_err(backend)?;
                        drop(writer);
                        return Ok((row.into(), false));
                    }
                    // The browser now belongs to someone else: the old account must
                    // not get pushes on it any more.
                    sqlx::query("delete from push_subscriptions where id = $1")
                        .bind(row.id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                sqlx::query(&format!(
                    "insert into push_subscriptions ({SUB_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                ))
                .bind(sub.id)
                .bind(sub.workspace_id)
                .bind(sub.user_id)
                .bind(&sub.endpoint)
                .bind(&sub.p256dh)
                .bind(&sub.auth)
                .bind(&sub.device)
                .bind(sub.created_at)
                .bind(sub.updated_at)
                .execute(&mut *tx)
                .await
                .map_err(crate::errors::on_unique("subscription"))?;
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok((sub.clone(), true))
            }

            async fn list_subscriptions(
                &self,
                workspace: WorkspaceId,
                user: UserId,
            ) -> StoreResult<Vec<PushSubscription>> {
                let rows: Vec<SubRow> = sqlx::query_as(&format!(
                    "select {SUB_COLUMNS} from push_subscriptions where workspace_id = $1 and user_id = $2 \
                     order by created_at, id"
                ))
                .bind(workspace)
                .bind(user)
                .fetch_all(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn delete_subscription(&self, workspace: WorkspaceId, user: UserId, id: Uuid) -> StoreResult<()> {
                let done = sqlx::query(
                    "delete from push_subscriptions where id = $1 and workspace_id = $2 and user_id = $3",
                )
                .bind(id)
                .bind(workspace)
                .bind(user)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("subscription"));
                }
                Ok(())
            }

            async fn prune_subscription(&self, id: Uuid) -> StoreResult<()> {
                sqlx::query("delete from push_subscriptions where id = $1")
                    .bind(id)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn notification_settings(
                &self,
                workspace: WorkspaceId,
                user: UserId,
            ) -> StoreResult<NotificationSettings> {
                let row: Option<SettingsRow> = sqlx::query_as(
                    "select hide_text, dnd_from, dnd_to, kinds from notification_settings \
                     where workspace_id = $1 and user_id = $2",
                )
                .bind(workspace)
                .bind(user)
                .fetch_optional(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                let Some(row) = row else { return Ok(NotificationSettings::default()) };
                let dnd = match (row.dnd_from.as_deref(), row.dnd_to.as_deref()) {
                    (Some(f), Some(t)) => Dnd::parse(f, t).ok(),
                    _ => None,
                };
                Ok(NotificationSettings { hide_text: row.hide_text, dnd, kinds: row.kinds.0 })
            }

            async fn set_notification_settings(
                &self,
                workspace: WorkspaceId,
                user: UserId,
                settings: &NotificationSettings,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                // Only for a user of the workspace, and only that workspace's row.
                let done = sqlx::query(
                    "insert into notification_settings \
                     (user_id, workspace_id, hide_text, dnd_from, dnd_to, kinds, created_at, updated_at) \
                     select $1, $2, $3, $4, $5, $6, $7, $7 \
                     where exists (select 1 from users where id = $1 and workspace_id = $2) \
                     on conflict (user_id) do update set \
                     hide_text = excluded.hide_text, dnd_from = excluded.dnd_from, dnd_to = excluded.dnd_to, \
                     kinds = excluded.kinds, updated_at = excluded.updated_at \
                     where notification_settings.workspace_id = excluded.workspace_id",
                )
                .bind(user)
                .bind(workspace)
                .bind(settings.hide_text)
                .bind(settings.dnd.map(|d| Dnd::format(d.from)))
                .bind(settings.dnd.map(|d| Dnd::format(d.to)))
                .bind(Json(&settings.kinds))
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("user"));
                }
                Ok(())
            }

            async fn set_chat_muted(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                user: UserId,
                muted: bool,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                if muted {
                    // Only a chat and a user of the workspace; an existing mute is
                    // kept as it is (the no-op update tells it from a refusal).
                    let done = sqlx::query(
                        "insert into chat_mutes (chat_id, user_id, workspace_id, created_at) \
                         select $1, $2, $3, $4 \
                         where exists (select 1 from chats where id = $1 and workspace_id = $3) \
                         and exists (select 1 from users where id = $2 and workspace_id = $3) \
                         on conflict (chat_id, user_id) do update set created_at = chat_mutes.created_at \
                         where chat_mutes.workspace_id = excluded.workspace_id",
                    )
                    .bind(chat)
                    .bind(user)
                    .bind(workspace)
                    .bind(now)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound("chat"));
                    }
                } else {
                    sqlx::query("delete from chat_mutes where chat_id = $1 and user_id = $2 and workspace_id = $3")
                        .bind(chat)
                        .bind(user)
                        .bind(workspace)
                        .execute(&mut *self.write.acquire().await?)
                        .await
                        .map_err(backend)?;
                }
                Ok(())
            }

            async fn chat_muted_by(&self, workspace: WorkspaceId, chat: ChatId) -> StoreResult<Vec<UserId>> {
                sqlx::query_scalar("select user_id from chat_mutes where chat_id = $1 and workspace_id = $2")
                    .bind(chat)
                    .bind(workspace)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)
            }

            async fn chats_muted_by(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Vec<ChatId>> {
                sqlx::query_scalar("select chat_id from chat_mutes where user_id = $1 and workspace_id = $2")
                    .bind(user)
                    .bind(workspace)
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)
            }

            async fn set_focus(
                &self,
                conn: Uuid,
                workspace: WorkspaceId,
                user: UserId,
                chat: Option<ChatId>,
                expires_at: DateTime<Utc>,
            ) -> StoreResult<()> {
                match chat {
                    Some(chat) => {
                        // Only a chat and a user of the workspace, and only the
                        // socket's own row.
                        let done = sqlx::query(
                            "insert into push_focus (conn_id, workspace_id, user_id, chat_id, expires_at) \
                             select $1, $2, $3, $4, $5 \
                             where exists (select 1 from chats where id = $4 and workspace_id = $2) \
                             and exists (select 1 from users where id = $3 and workspace_id = $2) \
                             on conflict (conn_id) do update set \
                             chat_id = excluded.chat_id, expires_at = excluded.expires_at \
                             where push_focus.workspace_id = excluded.workspace_id \
                             and push_focus.user_id = excluded.user_id",
                        )
                        .bind(conn)
                        .bind(workspace)
                        .bind(user)
                        .bind(chat)
                        .bind(expires_at)
                        .execute(&mut *self.write.acquire().await?)
                        .await
                        .map_err(backend)?;
                        if done.rows_affected() == 0 {
                            return Err(StoreError::NotFound("chat"));
                        }
                    }
                    None => {
                        sqlx::query("delete from push_focus where conn_id = $1")
                            .bind(conn)
                            .execute(&mut *self.write.acquire().await?)
                            .await
                            .map_err(backend)?;
                    }
                }
                Ok(())
            }

            async fn focused_users(
                &self,
                workspace: WorkspaceId,
                chat: ChatId,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<UserId>> {
                sqlx::query_scalar(
                    "select distinct user_id from push_focus where workspace_id = $1 and chat_id = $2 \
                     and expires_at > $3",
                )
                .bind(workspace)
                .bind(chat)
                .bind(now)
                .fetch_all(&mut *self.read.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn thread_participants(&self, workspace: WorkspaceId, root: Uuid) -> StoreResult<Vec<UserId>> {
                let ids: Vec<Option<Uuid>> = sqlx::query_scalar(
                    "select distinct author_id from messages where workspace_id = $1 \
                     and (id = $2 or thread_root_id = $2) and author_id is not null",
                )
                .bind(workspace)
                .bind(root)
                .fetch_all(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(ids.into_iter().flatten().collect())
            }

            async fn enqueue_push(&self, p: &QueuedPush) -> StoreResult<()> {
                let text = Text { title: p.title.clone(), body: p.body.clone(), url: p.url.clone() };
                sqlx::query(
                    "insert into push_queue (id, workspace_id, user_id, subscription_id, tag, kind, payload, \
                     count, status, run_at, attempts, created_at, updated_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, 0, $10, $10) \
                     on conflict (subscription_id, tag) where status = 'pending' do update set \
                     count = push_queue.count + excluded.count, kind = excluded.kind, \
                     payload = excluded.payload, updated_at = excluded.updated_at",
                )
                .bind(p.id)
                .bind(p.workspace_id)
                .bind(p.user_id)
                .bind(p.subscription_id)
                .bind(&p.tag)
                .bind(p.kind.as_str())
                .bind(Json(&text))
                .bind(p.count)
                .bind(p.run_at)
                .bind(p.created_at)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn last_push_at(&self, subscription: Uuid, tag: &str) -> StoreResult<Option<DateTime<Utc>>> {
                let at: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
                    "select sent_at from push_queue where subscription_id = $1 and tag = $2 \
                     and sent_at is not null order by sent_at desc limit 1",
                )
                .bind(subscription)
                .bind(tag)
                .fetch_optional(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(at.flatten())
            }

            async fn claim_pushes(
                &self,
                owner: Uuid,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                window_start: DateTime<Utc>,
                limit: i64,
            ) -> StoreResult<Vec<QueuedPush>> {
                // Nothing asked for, nothing leased: a claim counts an attempt.
                if limit <= 0 {
                    return Ok(Vec::new());
                }
                let ids: Vec<Uuid> = sqlx::query_scalar(&format!(
                    "select id from push_queue where (status = 'pending' and run_at <= $1 and {OUTSIDE_WINDOW}) \
                     or (status = 'sending' and lease_until < $1) order by run_at, id limit $2"
                ))
                .bind(now)
                .bind(limit)
                .bind(window_start)
                .fetch_all(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                let mut claimed = Vec::with_capacity(ids.len());
                for id in ids {
                    let row: Option<QueueRow> = sqlx::query_as(&format!(
                        "update push_queue set status = 'sending', lease_owner = $2, lease_until = $3, \
                         attempts = attempts + 1, sent_at = $4, updated_at = $4 where id = $1 \
                         and ((status = 'pending' and run_at <= $4 and {OUTSIDE_WINDOW}) \
                           or (status = 'sending' and lease_until < $4)) \
                         returning {QUEUE_COLUMNS}",
                        OUTSIDE_WINDOW = OUTSIDE_WINDOW.replace("$3", "$5")
                    ))
                    .bind(id)
                    .bind(owner)
                    .bind(lease_until)
                    .bind(now)
                    .bind(window_start)
                    .fetch_optional(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                    if let Some(row) = row {
                        claimed.push(row.try_into()?);
                    }
                }
                Ok(claimed)
            }

            async fn finish_push(&self, id: Uuid, owner: Uuid, status: u16, now: DateTime<Utc>) -> StoreResult<bool> {
                let done = sqlx::query(
                    "update push_queue set status = 'sent', lease_owner = null, lease_until = null, \
                     last_status = $3, last_error = null, updated_at = $4 \
                     where id = $1 and lease_owner = $2 and status = 'sending'",
                )
                .bind(id)
                .bind(owner)
                .bind(i64::from(status))
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn retry_push(
                &self,
                id: Uuid,
                owner: Uuid,
                run_at: DateTime<Utc>,
                status: Option<u16>,
                error: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let mut writer = self.write.acquire().await?;
                let mut tx = sqlx::Connection::begin(&mut *writer).await.map_err(backend)?;
                // A newer notification with the same tag may be pending already:
                // fold this one's count into it instead of queuing both. The
                // delivery is taken out first, in the statement that checks the
                // lease, so only its owner folds it, and only once.
                let folded: Option<(i64, Uuid, String)> = sqlx::query_as(
                    "delete from push_queue where id = $1 and lease_owner = $2 and status = 'sending' \
                     and exists (select 1 from push_queue p where p.status = 'pending' \
                       and p.subscription_id = push_queue.subscription_id and p.tag = push_queue.tag) \
                     returning count, subscription_id, tag",
                )
                .bind(id)
                .bind(owner)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                let done = if let Some((count, subscription, tag)) = folded {
                    sqlx::query(
                        "update push_queue set count = count + $1, updated_at = $2 \
                         where status = 'pending' and subscription_id = $3 and tag = $4",
                    )
                    .bind(count)
                    .bind(now)
                    .bind(subscription)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    true
                } else {
                    let put_back = sqlx::query(
                        "update push_queue set status = 'pending', run_at = $3, last_status = $4, last_error = $5, \
                         lease_owner = null, lease_until = null, updated_at = $6 \
                         where id = $1 and lease_owner = $2 and status = 'sending'",
                    )
                    .bind(id)
                    .bind(owner)
                    .bind(run_at)
                    .bind(status.map(i64::from))
                    .bind(short(error))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    put_back.rows_affected() == 1
                };
                tx.commit().await.map_err(backend)?;
                drop(writer);
                Ok(done)
            }

            async fn fail_push(
                &self,
                id: Uuid,
                owner: Uuid,
                status: Option<u16>,
                error: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "update push_queue set status = 'failed', last_status = $3, last_error = $4, \
                     lease_owner = null, lease_until = null, updated_at = $5 \
                     where id = $1 and lease_owner = $2 and status = 'sending'",
                )
                .bind(id)
                .bind(owner)
                .bind(status.map(i64::from))
                .bind(short(error))
                .bind(now)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn list_pushes(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Vec<QueuedPush>> {
                let rows: Vec<QueueRow> = sqlx::query_as(&format!(
                    "select {QUEUE_COLUMNS} from push_queue where workspace_id = $1 and user_id = $2 \
                     order by created_at, id"
                ))
                .bind(workspace)
                .bind(user)
                .fetch_all(&mut *self.write.acquire().await?)
                .await
                .map_err(not_found("push"))?;
                rows.into_iter().map(QueuedPush::try_from).collect()
            }

            async fn unread_chat_count(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<i64> {
                sqlx::query_scalar(
                    "select count(distinct m.chat_id) from chat_members m join messages msg \
                     on msg.chat_id = m.chat_id where m.workspace_id = $1 and m.user_id = $2 \
                     and msg.workspace_id = $1 and msg.thread_root_id is null and msg.deleted_at is null \
                     and msg.seq > m.last_read_seq and (msg.author_id is null or msg.author_id <> $2)",
                )
                .bind(workspace)
                .bind(user)
                .fetch_one(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)
            }

            async fn prune_pushes(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                let done = sqlx::query(
                    "delete from push_queue where status in ('sent', 'failed') and updated_at < $1",
                )
                .bind(before)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                sqlx::query("delete from push_focus where expires_at < $1")
                    .bind(before)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                Ok(done.rows_affected())
            }
        }
    };
}

impl_push_store!(SqliteStore);
impl_push_store!(PostgresStore);
