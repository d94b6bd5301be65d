//! Incoming hooks: secret URLs that post into a chat (made by the chat's
//! admins) or turn a website form into a contact and a deal (made by workspace
//! admins); and the two public endpoints those URLs point at.

use artel_core::automation::hook::{ChatHook, HookKind};
use artel_core::automation::webhook;
use artel_core::user::Role;
use artel_core::{permissions, Error, StoreError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::tokens::{hash_token, random_token};
use crate::auth::AuthUser;
use crate::automation::hooks;
use crate::automation::outbound;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::http::lead_web;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HookDto {
    pub id: Uuid,
    pub kind: HookKind,
    pub name: String,
    pub chat_id: Option<Uuid>,
    pub pipeline_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Lead hooks: the thank-you page a plain form post is sent on to.
    pub redirect_url: Option<String>,
}

impl From<&ChatHook> for HookDto {
    fn from(h: &ChatHook) -> Self {
        Self {
            id: h.id,
            kind: h.kind,
            name: h.name.clone(),
            chat_id: h.chat_id,
            pipeline_id: h.pipeline_id,
            owner_id: h.owner_id,
            created_by: h.created_by,
            created_at: h.created_at,
            revoked_at: h.revoked_at,
            redirect_url: h.redirect_url.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedHook {
    pub hook: HookDto,
    /// The secret; shown only now.
    pub token: String,
    /// Where to POST (relative when no public URL is configured).
    pub url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHook {
    /// incoming: posts into `chat_id`; lead: website form → contact + deal.
    pub kind: HookKind,
    pub name: String,
    /// The chat an incoming hook posts into.
    pub chat_id: Option<Uuid>,
    /// The pipeline whose first stage a lead's deal starts in (default: the first pipeline).
    pub pipeline_id: Option<Uuid>,
    /// The rep who gets the leads (default: the creator).
    pub owner_id: Option<Uuid>,
    /// Lead hooks: an http(s) thank-you page. A plain HTML form post is answered
    /// with a 303 to it (a form's `_redirect` may pick another page of its origin).
    pub redirect_url: Option<String>,
}

/// Creates an incoming hook. Chat hooks: the chat's owners and admins (and
/// workspace admins); lead hooks: workspace admins.
#[utoipa::path(post, path = "/hooks", operation_id = "create_hook", tag = "integrations", security(("bearer" = [])), request_body = CreateHook,
    responses((status = 201, body = CreatedHook), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateHook>,
) -> ApiResult<(StatusCode, Json<CreatedHook>)> {
    let user = &auth.user;
    let ws = user.workspace_id;
    if user.role == Role::Guest {
        return Err(Error::forbidden("guests cannot create hooks").into());
    }
    let name = webhook::name("name", &req.name)?;
    let redirect_url = match (&req.redirect_url, req.kind) {
        (None, _) => None,
        (Some(_), HookKind::Incoming) => {
            return Err(Error::invalid("redirect_url", "only lead hooks send visitors on").into())
        }
        (Some(raw), HookKind::Lead) => Some(outbound::parse_url("redirect_url", raw)?.to_string()),
    };
    let (chat_id, pipeline_id, owner_id) = match req.kind {
        HookKind::Incoming => {
            let chat_id =
                req.chat_id.ok_or_else(|| Error::invalid("chat_id", "an incoming hook needs a chat"))?;
            if req.pipeline_id.is_some() || req.owner_id.is_some() {
                return Err(Error::invalid("pipeline_id", "only lead hooks take a pipeline or owner").into());
            }
            let chat = state.store.get_chat(ws, chat_id).await?;
            let member = state.store.get_member(ws, chat.id, user.id).await?;
            if !permissions::can_see_chat(user, &chat, member.as_ref()) {
                return Err(Error::NotFound("chat").into());
            }
            permissions::can_manage_chat(user, &chat, member.as_ref())?;
            (Some(chat.id), None, None)
        }
        HookKind::Lead => {
            if !user.role.is_admin() {
                return Err(Error::forbidden("only admins create lead hooks").into());
            }
            if req.chat_id.is_some() {
                return Err(Error::invalid("chat_id", "lead hooks post into each deal's own chat").into());
            }
            if let Some(p) = req.pipeline_id {
                let pipeline = state.store.get_pipeline(ws, p).await.map_err(|e| match e {
                    StoreError::NotFound(_) => Error::invalid("pipeline_id", "no such pipeline"),
                    other => other.into(),
                })?;
                if pipeline.archived_at.is_some() {
                    return Err(Error::invalid("pipeline_id", "the pipeline is archived").into());
                }
            }
            let owner = req.owner_id.unwrap_or(user.id);
            match state.store.get_user(ws, owner).await {
                Ok(u) if u.is_active() && u.role != Role::Guest => {}
                Ok(_) | Err(StoreError::NotFound(_)) => {
                    return Err(Error::invalid("owner_id", "is not an active member of this workspace").into())
                }
                Err(e) => return Err(e.into()),
            }
            (None, req.pipeline_id, Some(owner))
        }
    };
    let token = random_token(match req.kind {
        HookKind::Incoming => "artel_in",
        HookKind::Lead => "artel_lead",
    });
    let hook = ChatHook {
        id: Uuid::now_v7(),
        workspace_id: ws,
        kind: req.kind,
        name,
        chat_id,
        pipeline_id,
        owner_id,
        token_hash: hash_token(&token),
        created_by: Some(user.id),
        created_at: state.clock.now(),
        revoked_at: None,
        redirect_url,
    };
    state.store.create_hook(&hook).await?;
    let path = match req.kind {
        HookKind::Incoming => format!("/api/v1/hooks/in/{token}"),
        HookKind::Lead => format!("/api/v1/hooks/lead/{token}"),
    };
    let url = format!("{}{path}", state.settings.public_url.as_deref().unwrap_or(""));
    Ok((StatusCode::CREATED, Json(CreatedHook { hook: HookDto::from(&hook), token, url })))
}

/// Hooks: admins see all of the workspace's, others the ones they made.
#[utoipa::path(get, path = "/hooks", operation_id = "list_hooks", tag = "integrations", security(("bearer" = [])),
    responses((status = 200, body = Vec<HookDto>), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Vec<HookDto>>> {
    if auth.user.role == Role::Guest {
        return Err(Error::forbidden("guests cannot see hooks").into());
    }
    let all = state.store.list_hooks(auth.user.workspace_id).await?;
    let mine = all.iter().filter(|h| auth.user.role.is_admin() || h.created_by == Some(auth.user.id));
    Ok(Json(mine.map(HookDto::from).collect()))
}

/// Revokes a hook: its URL stops working at once (admins, or whoever made it).
#[utoipa::path(delete, path = "/hooks/{id}", tag = "integrations", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let ws = auth.user.workspace_id;
    let hook = state.store.list_hooks(ws).await?.into_iter().find(|h| h.id == id);
    let hook = hook.ok_or(Error::NotFound("hook"))?;
    if !(auth.user.role.is_admin() || hook.created_by == Some(auth.user.id)) {
        return Err(Error::forbidden("only admins or the hook's creator revoke it").into());
    }
    state.store.revoke_hook(ws, id, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingMessage {
    /// Markdown text, 1–10,000 characters.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostedMessage {
    pub message_id: Uuid,
}

/// Posts a message into the hook's chat, as a bot. The secret URL is the credential.
#[utoipa::path(post, path = "/hooks/in/{token}", tag = "integrations", params(("token" = String, Path)),
    request_body = IncomingMessage,
    responses((status = 201, body = PostedMessage), (status = 404, body = ErrorBody),
              (status = 409, description = "The hook's chat is archived (`chat_archived`)", body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn incoming(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Json(req): Json<IncomingMessage>,
) -> ApiResult<(StatusCode, Json<PostedMessage>)> {
    let hook = hooks::resolve(&state, &token, HookKind::Incoming).await?;
    let message_id = hooks::post_incoming(&state, &hook, &req.text).await?;
    Ok((StatusCode::CREATED, Json(PostedMessage { message_id })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CapturedLead {
    pub contact_id: Uuid,
    /// An existing contact had this phone or e-mail and was used.
    pub contact_reused: bool,
    pub deal_id: Uuid,
}

/// A website form (JSON or `application/x-www-form-urlencoded`: name, phone,
/// email, company, message, utm_*) becomes a contact (reused when the phone or
/// e-mail is known) and a deal in the first stage, with the form in its chat.
/// An `Idempotency-Key` header (or `_idempotency_key` field) makes a resubmission
/// answer with the first lead (200, `Idempotent-Replayed: true`) instead of a
/// second deal. A browser's plain form post to a hook with a thank-you page is
/// answered with 303 to it. Any website's script may call it (CORS).
#[utoipa::path(post, path = "/hooks/lead/{token}", tag = "integrations", params(("token" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Same key, same lead (kept 24 hours)")),
    request_body(content = String, description = "JSON object or form-encoded fields"),
    responses((status = 201, body = CapturedLead), (status = 200, body = CapturedLead, description = "Replayed"),
              (status = 303, description = "Sent on to the hook's thank-you page"),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn lead(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body is too large")
        } else {
            ApiError::bad_request("bad_request", "could not read the request body")
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let hook = hooks::resolve(&state, &token, HookKind::Lead).await?;
    let mut form = match content_type.as_str() {
        "application/json" => {
            let value = serde_json::from_slice(&body)
                .map_err(|_| ApiError::bad_request("malformed_json", "request body is not valid JSON"))?;
            hooks::form_from_json(value)?
        }
        "application/x-www-form-urlencoded" => hooks::form_from_urlencoded(&body)?,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send application/json or application/x-www-form-urlencoded",
            ))
        }
    };
    let redirect = lead_web::redirect_target(&hook, &headers, form.remove("_redirect").as_deref())?;
    let key = lead_web::idempotency_key(&headers, form.remove("_idempotency_key").as_deref())?;
    let (lead, replayed) = match key {
        Some(key) => lead_web::capture_once(&state, &hook, &key, &form).await?,
        None => (hooks::capture_lead(&state, &hook, &form).await?, false),
    };
    Ok(lead_web::answer(&lead, replayed, redirect))
}
