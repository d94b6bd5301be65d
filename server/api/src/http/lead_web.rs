//! What makes the lead URL usable from a website: an idempotency key so a form
//! sent twice (a retried fetch, an impatient visitor) makes one deal on any node,
//! and a thank-you page for plain HTML forms instead of raw JSON. Redirects go
//! only to the hook's configured page or another page of its origin, so the URL
//! cannot be used to send people anywhere else.

use std::time::Duration;

use artel_core::automation::hook::{self, ChatHook, LeadKey};
use artel_core::Error;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use reqwest::Url;

use crate::automation::hooks::{self as lead_hooks, Form, Lead};
use crate::error::ApiError;
use crate::extract::Json;
use crate::http::hooks::CapturedLead;
use crate::state::AppState;

/// How long a lead's key answers with the same lead.
const KEY_LIFETIME: chrono::Duration = chrono::Duration::hours(24);
/// A claim older than this was left by a request that died; another may take it.
const STALE_CLAIM: chrono::Duration = chrono::Duration::seconds(60);
/// How long a resubmission waits for the first submission to finish.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The key from the `Idempotency-Key` header, else the form's `_idempotency_key`.
pub fn idempotency_key(headers: &HeaderMap, field: Option<&str>) -> Result<Option<String>, Error> {
    if let Some(v) = headers.get(IDEMPOTENCY_KEY) {
        let raw = v.to_str().map_err(|_| Error::invalid("Idempotency-Key", "must be visible ASCII"))?;
        return hook::lead_key("Idempotency-Key", raw).map(Some);
    }
    field.map(|raw| hook::lead_key("_idempotency_key", raw)).transpose()
}

/// Where to send the visitor afterwards, if anywhere: a `_redirect` field must
/// be a page of the origin of the hook's thank-you page; without it, a browser's
/// own form navigation goes to that page, and scripts get JSON.
pub fn redirect_target(
    hook: &ChatHook,
    headers: &HeaderMap,
    field: Option<&str>,
) -> Result<Option<Url>, Error> {
    let configured = hook.redirect_url.as_deref().and_then(|u| Url::parse(u).ok());
    match (field, configured) {
        (Some(_), None) => Err(Error::invalid("_redirect", "this hook has no thank-you page (redirect_url)")),
        (Some(raw), Some(page)) => {
            let wanted =
                Url::parse(raw.trim()).map_err(|_| Error::invalid("_redirect", "is not a valid URL"))?;
            if wanted.origin() != page.origin() {
                return Err(Error::invalid(
                    "_redirect",
                    format!("must be a page of {}", page.origin().ascii_serialization()),
                ));
            }
            Ok(Some(wanted))
        }
        (None, Some(page)) if is_navigation(headers) => Ok(Some(page)),
        (None, _) => Ok(None),
    }
}

/// A browser navigating (an HTML form's submit) rather than a script's fetch.
fn is_navigation(headers: &HeaderMap) -> bool {
    let text =
        |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    match text(HeaderName::from_static("sec-fetch-mode")) {
        Some(mode) => mode == "navigate",
        // Older browsers send no fetch metadata: a page load asks for HTML first.
        None => text(header::ACCEPT).is_some_and(|a| a.starts_with("text/html")),
    }
}

/// Captures the lead once per key: a resubmission gets the first lead (`true`),
/// waiting a little while the first submission is still being saved.
pub async fn capture_once(
    state: &AppState,
    hook: &ChatHook,
    key: &str,
    form: &Form,
) -> Result<(Lead, bool), ApiError> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        let now = state.clock.now();
        let claim = state
            .store
            .claim_lead_key(hook.workspace_id, hook.id, key, now, now - KEY_LIFETIME, now - STALE_CLAIM)
            .await
            .map_err(Error::from)?;
        match claim {
            LeadKey::Done(lead) => return Ok((lead, true)),
            LeadKey::Claimed => {
                let lead = match lead_hooks::capture_lead(state, hook, form).await {
                    Ok(lead) => lead,
                    Err(e) => {
                        if let Err(release) = state.store.release_lead_key(hook.id, key).await {
                            tracing::warn!(error = %release, "could not release a lead key; it expires");
                        }
                        return Err(e.into());
                    }
                };
                // The deal exists: a failure to note it under the key must not turn
                // the visitor's success into an error (the claim goes stale instead).
                if let Err(e) = state.store.finish_lead_key(hook.id, key, &lead).await {
                    tracing::error!(error = %e, hook = %hook.id, "could not record a lead's idempotency key");
                }
                return Ok((lead, false));
            }
            LeadKey::InProgress => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(Error::conflict(
                        "lead_in_progress",
                        "a lead with this idempotency key is still being saved; retry shortly",
                    )
                    .into());
                }
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// 303 to the thank-you page, else the lead as JSON (200 and `Idempotent-Replayed`
/// when it was made by an earlier request).
pub fn answer(lead: &Lead, replayed: bool, redirect: Option<Url>) -> Response {
    if let Some(page) = redirect {
        if let Ok(location) = HeaderValue::from_str(page.as_str()) {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
        }
    }
    let body = CapturedLead {
        contact_id: lead.contact_id,
        contact_reused: lead.contact_reused,
        deal_id: lead.deal_id,
    };
    if replayed {
        (StatusCode::OK, [(REPLAYED, HeaderValue::from_static("true"))], Json(body)).into_response()
    } else {
        (StatusCode::CREATED, Json(body)).into_response()
    }
}
