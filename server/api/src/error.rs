//! The one mapping from errors to HTTP: every failure leaves as
//! `{"error": {"code": "snake_case", "message": "…"}}` with the right status.
//! Internal causes are logged and replaced by a generic message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use artel_core::Error as DomainError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub retry_after_secs: Option<u64>,
}

/// The error body every endpoint returns on failure.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_credentials`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// The input field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// What a 503 `unavailable` asks a client to wait: a dropped connection is
/// replaced within milliseconds, a restarting database within seconds.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 1;

/// Marks a response whose request failed only because the database was out of
/// reach, so `retry_reads` may run a read again.
#[derive(Debug, Clone, Copy)]
pub struct Unavailable;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, retry_after_secs: None }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 503 `unavailable` with `Retry-After`: the database dropped a connection or
    /// could not be reached; the same request (a send with the same
    /// `client_msg_id`) may be sent again.
    pub fn unavailable() -> Self {
        Self {
            retry_after_secs: Some(UNAVAILABLE_RETRY_AFTER_SECS),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "temporarily unavailable, retry shortly",
            )
        }
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal server error")
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound(what) => ApiError::not_found(what),
            DomainError::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            DomainError::Unauthorized { code, message } => {
                ApiError::new(StatusCode::UNAUTHORIZED, code, message)
            }
            DomainError::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            DomainError::Gone { code, message } => ApiError::new(StatusCode::GONE, code, message),
            DomainError::Invalid { field, reason } => ApiError {
                message: format!("{field} {reason}"),
                field: Some(field),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "")
            },
            DomainError::RateLimited { retry_after_secs } => ApiError {
                retry_after_secs: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many attempts; try again in {retry_after_secs} s"),
                )
            },
            DomainError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::unavailable()
            }
            DomainError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ApiError::internal()
            }
        }
    }
}

impl From<artel_core::StoreError> for ApiError {
    fn from(e: artel_core::StoreError) -> Self {
        DomainError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_string(), message: self.message, field: self.field },
        };
        let unavailable = self.code == "unavailable";
        let mut response = (self.status, axum::Json(body)).into_response();
        if unavailable {
            response.extensions_mut().insert(Unavailable);
        }
        if let Some(secs) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// Answer for paths no route matches.
pub async fn route_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such endpoint")
}

/// Answer for a known path called with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this endpoint")
}

/// A panic in a handler becomes a plain 500 with our error shape; the panic
/// message goes to the log only.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
    ApiError::internal().into_response()
}
