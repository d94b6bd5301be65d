//! Web Push for clients: the VAPID public key, my push subscriptions (one per
//! device), my notification settings, and muting a chat.

use artel_core::push::{self as rules, Dnd, KindSwitches, NotificationSettings, PushSubscription};
use artel_core::Error;
use artel_push::endpoint::ResolveError;
use axum::extract::State;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::http::chats::load_chat;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PushKeyDto {
    /// base64url, uncompressed P-256 point, no padding (the applicationServerKey).
    pub public_key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

/// The browser's `PushSubscription.toJSON()`, plus an optional device label.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewSubscription {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
    /// A label for the device, at most 100 characters. Other fields browsers
    /// send (`expirationTime`) are ignored.
    pub device: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionDto {
    pub id: Uuid,
    pub endpoint: String,
    pub device: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&PushSubscription> for SubscriptionDto {
    fn from(s: &PushSubscription) -> Self {
        Self {
            id: s.id,
            endpoint: s.endpoint.clone(),
            device: s.device.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionList {
    pub items: Vec<SubscriptionDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DndDto {
    /// "HH:MM" in my time zone.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettingsDto {
    /// Send pushes without the message text.
    pub hide_text: bool,
    /// Do-not-disturb hours, or null.
    pub dnd: Option<DndDto>,
    pub kinds: KindSwitches,
}

impl From<&NotificationSettings> for NotificationSettingsDto {
    fn from(s: &NotificationSettings) -> Self {
        Self {
            hide_text: s.hide_text,
            dnd: s.dnd.map(|d| DndDto { from: Dnd::format(d.from), to: Dnd::format(d.to) }),
            kinds: s.kinds,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteRequest {
    pub muted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MuteDto {
    pub chat_id: Uuid,
    pub muted: bool,
}

/// The server's VAPID public key, for `pushManager.subscribe`.
#[utoipa::path(get, path = "/push/key", tag = "push", operation_id = "push_key", security(("bearer" = [])),
    responses((status = 200, body = PushKeyDto), (status = 401, body = crate::error::ErrorBody)))]
pub async fn key(State(state): State<AppState>, _auth: AuthUser) -> ApiResult<Json<PushKeyDto>> {
    Ok(Json(PushKeyDto { public_key: state.push.sender.public_key() }))
}

fn decode_key(field: &'static str, value: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD
        .decode(value.trim().trim_end_matches('='))
        .map_err(|_| Error::invalid(field, "must be base64url"))
}

/// Registers this device's push subscription (201), or refreshes it (200).
#[utoipa::path(post, path = "/push/subscriptions", tag = "push", operation_id = "push_subscribe",
    security(("bearer" = [])), request_body = NewSubscription,
    responses((status = 201, body = SubscriptionDto), (status = 200, body = SubscriptionDto),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<NewSubscription>,
) -> ApiResult<(StatusCode, Json<SubscriptionDto>)> {
    let url = artel_push::endpoint::parse(&req.endpoint, state.push_allow_http_loopback)
        .map_err(|reason| Error::invalid("endpoint", reason))?;
    // The name is resolved now as well as at each delivery, so a host that only
    // leads inside (`localhost.`, a name pointing at 10.x) is refused at once.
    artel_push::endpoint::resolve(&url, state.push_allow_http_loopback).await.map_err(|e| match e {
        ResolveError::Refused(m) | ResolveError::Unresolvable(m) => Error::invalid("endpoint", m),
    })?;
    let p256dh = decode_key("keys.p256dh", &req.keys.p256dh)?;
    let auth_secret = decode_key("keys.auth", &req.keys.auth)?;
    rules::check_keys(&p256dh, &auth_secret).map_err(|(field, reason)| Error::invalid(field, reason))?;
    let device = match req.device.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) if d.chars().count() > rules::MAX_DEVICE_CHARS || d.chars().any(char::is_control) => {
            return Err(Error::invalid("device", "must be at most 100 printable characters").into())
        }
        other => other.map(str::to_string),
    };
    let now = state.clock.now();
    let sub = PushSubscription {
        id: Uuid::now_v7(),
        workspace_id: auth.user.workspace_id,
        user_id: auth.user.id,
        endpoint: url.to_string(),
        p256dh: URL_SAFE_NO_PAD.encode(&p256dh),
        auth: URL_SAFE_NO_PAD.encode(&auth_secret),
        device,
        created_at: now,
        updated_at: now,
    };
    let (stored, created) = state.store.upsert_subscription(&sub).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(SubscriptionDto::from(&stored))))
}

/// My push subscriptions.
#[utoipa::path(get, path = "/push/subscriptions", tag = "push", operation_id = "push_subscriptions",
    security(("bearer" = [])), responses((status = 200, body = SubscriptionList)))]
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<SubscriptionList>> {
    let subs = state.store.list_subscriptions(auth.user.workspace_id, auth.user.id).await?;
    Ok(Json(SubscriptionList { items: subs.iter().map(SubscriptionDto::from).collect() }))
}

/// Removes one of my subscriptions (someone else's is 404).
#[utoipa::path(delete, path = "/push/subscriptions/{id}", tag = "push", operation_id = "push_unsubscribe",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "Subscription id")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    state.store.delete_subscription(auth.user.workspace_id, auth.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My notification settings.
#[utoipa::path(get, path = "/me/notifications", tag = "push", operation_id = "get_notification_settings",
    security(("bearer" = [])), responses((status = 200, body = NotificationSettingsDto)))]
pub async fn get_settings(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<NotificationSettingsDto>> {
    let s = state.store.notification_settings(auth.user.workspace_id, auth.user.id).await?;
    Ok(Json(NotificationSettingsDto::from(&s)))
}

/// Replaces my notification settings.
#[utoipa::path(put, path = "/me/notifications", tag = "push", operation_id = "put_notification_settings",
    security(("bearer" = [])), request_body = NotificationSettingsDto,
    responses((status = 200, body = NotificationSettingsDto), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<NotificationSettingsDto>,
) -> ApiResult<Json<NotificationSettingsDto>> {
    let dnd = match &req.dnd {
        Some(d) => Some(Dnd::parse(&d.from, &d.to).map_err(|(field, reason)| Error::invalid(field, reason))?),
        None => None,
    };
    let settings = NotificationSettings { hide_text: req.hide_text, dnd, kinds: req.kinds };
    state
        .store
        .set_notification_settings(auth.user.workspace_id, auth.user.id, &settings, state.clock.now())
        .await?;
    Ok(Json(NotificationSettingsDto::from(&settings)))
}

/// Mutes or unmutes a chat for me: no pushes about it (members only).
#[utoipa::path(put, path = "/chats/{id}/mute", tag = "push", operation_id = "mute_chat",
    security(("bearer" = [])), request_body = MuteRequest, params(("id" = Uuid, Path, description = "Chat id")),
    responses((status = 200, body = MuteDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn mute(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<MuteRequest>,
) -> ApiResult<Json<MuteDto>> {
    let (_, member) = load_chat(&state, &auth.user, id).await?;
    artel_core::permissions::can_read_chat(member.as_ref())?;
    state
        .store
        .set_chat_muted(auth.user.workspace_id, id, auth.user.id, req.muted, state.clock.now())
        .await?;
    Ok(Json(MuteDto { chat_id: id, muted: req.muted }))
}
