//! Extractors that answer bad input in our error shape instead of axum's plain text:
//! malformed JSON → 400, wrong shape / unknown or missing fields → 422, wrong content
//! type → 415, oversize body → 413, malformed path or query → 400.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// JSON body extractor and responder.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let (code, message) = match &r {
            JsonRejection::JsonSyntaxError(_) => {
                ("malformed_json", "request body is not valid JSON".to_string())
            }
            JsonRejection::JsonDataError(e) => ("invalid_body", body_error_text(&e.body_text())),
            JsonRejection::MissingJsonContentType(_) => {
                ("unsupported_media_type", "expected Content-Type: application/json".to_string())
            }
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "request body is too large".to_string())
            }
            _ => ("bad_request", "could not read the request body".to_string()),
        };
        ApiError::new(r.status(), code, message)
    }
}

/// serde's message without axum's prefix, e.g. "unknown field `foo`, expected …".
fn body_error_text(text: &str) -> String {
    let text =
        text.strip_prefix("Failed to deserialize the JSON body into the target type: ").unwrap_or(text);
    format!("request body does not match: {text}")
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
