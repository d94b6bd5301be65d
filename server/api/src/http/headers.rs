//! Headers every API answer carries (errors and fallbacks included): JSON must not
//! be sniffed into something a browser would run, and per-user answers must not
//! be kept by a browser or a shared cache. The lead URL is also answered for
//! scripts of any website (CORS), being a public hook whose secret is the URL.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Where the API lives; the web client's hashed assets outside it keep their own caching.
const API_PREFIX: &str = "/api/";
/// The public lead URL, the one path other websites' scripts may call.
const LEAD_PREFIX: &str = "/api/v1/hooks/lead/";

/// Adds `nosniff` and `no-store` to API answers (unless a handler chose its own
/// caching), and CORS to the lead URL's answers, preflight included.
pub async fn api_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let api = path.starts_with(API_PREFIX);
    let lead = path.starts_with(LEAD_PREFIX);
    if lead && req.method() == Method::OPTIONS {
        return preflight();
    }
    let mut resp = next.run(req).await;
    if api {
        let h = resp.headers_mut();
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    if lead {
        allow_any_origin(&mut resp);
    }
    resp
}

fn allow_any_origin(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("idempotent-replayed, location"),
    );
}

/// A browser asks before a website's script posts JSON or an `Idempotency-Key`:
/// any origin may, without credentials (the secret is in the URL).
fn preflight() -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST, OPTIONS"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type, idempotency-key"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    allow_any_origin(&mut resp);
    resp
}
