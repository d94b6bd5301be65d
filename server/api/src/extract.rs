//! Extractors that answer bad input in our error shape instead of axum's plain text:
//! malformed JSON → 400, wrong shape / unknown or missing fields → 422, wrong content
//! type → 415, oversize body → 413, malformed path or query → 400, a NUL in any
//! string of the body → 422 naming it (`text_guard`).

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::Request;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// JSON body extractor and responder. The body is parsed in two steps so the
/// answer says what was wrong: not JSON at all → 400 `malformed_json`; JSON of the
/// wrong shape (unknown, missing or mistyped fields) → 422 `invalid_body`, with
/// `field` naming the mistyped one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body is too large")
            } else {
                ApiError::bad_request("bad_request", "could not read the request body")
            }
        })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| ApiError::bad_request("malformed_json", "request body is not valid JSON"))?;
        if let Some(field) = crate::text_guard::nul_in_value(&value) {
            return Err(artel_core::Error::invalid(field, crate::text_guard::NUL_REASON).into());
        }
        // The path of the value at fault ("amount_minor", "participants[0]") becomes
        // the error's `field`, so a mistyped field (a fractional amount, a date that
        // does not parse) is named like any other invalid input.
        let parsed = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let mut err = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("request body does not match: {}", e.inner()),
            );
            if path != "." {
                err.field = Some(path);
            }
            err
        })?;
        Ok(Json(parsed))
    }
}

/// `application/json` or `application/<something>+json`, any parameters.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Path parameters extractor.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::bad_request("invalid_path", format!("malformed path parameter: {}", r.body_text()))
    }
}

/// Query string extractor.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", r.body_text())
    }
}

/// Where the request comes from: the peer address, or with `--trust-proxy-headers`
/// the last address of `X-Forwarded-For` (the one our proxy appended; earlier
/// entries are client-supplied). Used for rate limiting and session lists.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let forwarded = if state.settings.trust_proxy_headers {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        } else {
            None
        };
        let ip = forwarded.or(peer).map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(300).collect());
        Ok(Self { ip, user_agent })
    }
}

/// Largest page any list endpoint returns.
pub const MAX_PAGE: i64 = 200;

/// A page size: `default` when absent, else 1..=`MAX_PAGE` (422 naming `limit`).
pub fn page_limit(raw: Option<i64>, default: i64) -> artel_core::Result<i64> {
    match raw {
        None => Ok(default),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(artel_core::Error::invalid("limit", format!("must be between 1 and {MAX_PAGE}"))),
    }
}

/// For PATCH bodies: tells "field absent" (leave as is) from "field: null" (clear it).
/// Use with `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Ok(Some(<Option<T> as serde::Deserialize>::deserialize(d)?))
}
