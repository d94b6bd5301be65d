//! Middleware on every API request: NUL refused in the path and query (see
//! `text_guard`), and a read run once more when the database dropped its
//! connection.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Unavailable};
use crate::text_guard::{nul_in_query, NUL_REASON};

/// 422 naming the query parameter (or `path`) that decodes to a NUL.
pub async fn refuse_nul_in_uri(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let field = if uri.path().contains("%00") {
        Some("path".to_string())
    } else {
        uri.query().and_then(nul_in_query)
    };
    match field {
        Some(field) => ApiError::from(artel_core::Error::invalid(field, NUL_REASON)).into_response(),
        None => next.run(req).await,
    }
}

/// Runs a bodiless GET or HEAD a second time when the first answered 503
/// `unavailable`: a read changes nothing, and the store has by then replaced
/// the lost connection (`artel_store`'s ping of connections idle since), so a
/// killed connection costs the client nothing. Writes are not replayed here:
/// sends retry in the committer, where their ids make it safe.
pub async fn retry_reads(req: Request, next: Next) -> Response {
    let bodiless = !req.headers().contains_key(header::CONTENT_LENGTH)
        && !req.headers().contains_key(header::TRANSFER_ENCODING);
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    if !read || !bodiless || req.headers().contains_key(header::UPGRADE) {
        return next.run(req).await;
    }
    let (parts, _) = req.into_parts();
    let first = next.clone().run(Request::from_parts(parts.clone(), Body::empty())).await;
    if first.extensions().get::<Unavailable>().is_none() {
        return first;
    }
    tracing::info!(path = %parts.uri.path(), "read lost its database connection: trying again");
    next.run(Request::from_parts(parts, Body::empty())).await
}
