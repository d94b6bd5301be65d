//! Web Push ports: `PushSender` (encrypts and delivers one payload to one
//! browser subscription; artel-push implements it on the web-push crate) and
//! `PushStore` (subscriptions, settings, mutes, focus and the delivery queue).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::chat::ChatId;
use crate::ports::store::StoreResult;
use crate::push::{NotificationSettings, PushSubscription, QueuedPush};
use crate::user::UserId;
use crate::workspace::WorkspaceId;

/// Where a payload goes: the subscription's endpoint and keys.
#[derive(Debug, Clone, Copy)]
pub struct PushTarget<'a> {
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

/// What the push service made of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted (2xx).
    Delivered { status: u16 },
    /// 404 / 410: the subscription is gone; prune it.
    Gone { status: u16 },
    /// 429, 5xx, timeouts, connection errors: try again later.
    Retry { status: Option<u16>, error: String, retry_after: Option<Duration> },
    /// Anything else (400, 401, 403, 413, a refused target): retrying will not help.
    Rejected { status: Option<u16>, error: String },
}

#[async_trait]
pub trait PushSender: Send + Sync {
    /// The VAPID public key, base64url (uncompressed P-256 point, no padding).
    fn public_key(&self) -> String;
    /// Encrypts `payload` (aes128gcm) for the target, signs with VAPID and POSTs it.
    async fn send(
        &self,
        target: PushTarget<'_>,
        payload: &[u8],
        ttl_secs: u32,
        topic: Option<&str>,
    ) -> SendOutcome;
}

#[async_trait]
pub trait PushStore: Send + Sync {
    /// Stores a subscription. The same endpoint of the same user updates that row
    /// (keys, device) and returns it with `false`; an endpoint another account had
    /// moves to this user (a new row, `true`).
    async fn upsert_subscription(&self, sub: &PushSubscription) -> StoreResult<(PushSubscription, bool)>;
    /// The user's subscriptions, oldest first.
    async fn list_subscriptions(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> StoreResult<Vec<PushSubscription>>;
    /// Deletes one of the user's subscriptions; `NotFound` otherwise.
    async fn delete_subscription(&self, workspace: WorkspaceId, user: UserId, id: Uuid) -> StoreResult<()>;
    /// Deletes a subscription the push service called gone (with its queue rows).
    async fn prune_subscription(&self, id: Uuid) -> StoreResult<()>;
    /// The user's notification settings (defaults when never set).
    async fn notification_settings(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> StoreResult<NotificationSettings>;
    /// Replaces the user's notification settings; `NotFound("user")` unless the
    /// user is of the workspace.
    async fn set_notification_settings(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        settings: &NotificationSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Mutes or unmutes a chat for a user (both idempotent). Muting is
    /// `NotFound("chat")` unless the chat and the user are of the workspace;
    /// unmuting through another workspace changes nothing.
    async fn set_chat_muted(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        user: UserId,
        muted: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Users who muted the chat.
    async fn chat_muted_by(&self, workspace: WorkspaceId, chat: ChatId) -> StoreResult<Vec<UserId>>;
    /// The chats a user muted (for their chat list, on every device).
    async fn chats_muted_by(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Vec<ChatId>>;
    /// Records which chat a socket shows (until `expires_at`), or forgets it
    /// (`None`). `NotFound("chat")` unless the chat and the user are of the
    /// workspace and the socket is not another user's.
    async fn set_focus(
        &self,
        conn: Uuid,
        workspace: WorkspaceId,
        user: UserId,
        chat: Option<ChatId>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Users with a live socket showing the chat at `now`.
    async fn focused_users(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<UserId>>;
    /// The root's author and everyone who replied in the thread.
    async fn thread_participants(&self, workspace: WorkspaceId, root: Uuid) -> StoreResult<Vec<UserId>>;
    /// Queues a delivery; when a pending one with the same subscription and tag
    /// exists, folds into it instead (count added, text replaced by the newer).
    async fn enqueue_push(&self, push: &QueuedPush) -> StoreResult<()>;
    /// When a push with this tag last went out to the subscription (collapse window).
    async fn last_push_at(&self, subscription: Uuid, tag: &str) -> StoreResult<Option<DateTime<Utc>>>;
    /// Claims up to `limit` due deliveries (pending and due, or sending with an
    /// expired lease) for `owner` until `lease_until`; one claimer per row. A
    /// pending one waits while another push of its subscription and tag went out
    /// after `window_start` (the collapse window), so a delivery queued just as
    /// the previous one was being claimed still folds into the next window.
    async fn claim_pushes(
        &self,
        owner: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        window_start: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<QueuedPush>>;
    /// Marks a claimed delivery sent.
    async fn finish_push(&self, id: Uuid, owner: Uuid, status: u16, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Puts a claimed delivery back for `run_at` (merging into a newer pending one).
    async fn retry_push(
        &self,
        id: Uuid,
        owner: Uuid,
        run_at: DateTime<Utc>,
        status: Option<u16>,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Gives a claimed delivery up.
    async fn fail_push(
        &self,
        id: Uuid,
        owner: Uuid,
        status: Option<u16>,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// The user's deliveries, oldest first (diagnostics and tests).
    async fn list_pushes(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Vec<QueuedPush>>;
    /// Number of chats in which the user has unread messages (the badge).
    async fn unread_chat_count(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<i64>;
    /// Deletes sent and failed deliveries older than `before`, and expired focus rows.
    async fn prune_pushes(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}
