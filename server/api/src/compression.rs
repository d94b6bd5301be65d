//! gzip for answers worth it: a first load of a big workspace is mostly JSON
//! lists (chats, deals, clients), which shrink several times over. Only text is
//! compressed; stored files go out exactly as uploaded (their `ETag` is the
//! content's hash, and most are compressed formats already), and a WebSocket
//! upgrade or an empty answer is never touched.

use axum::body::HttpBody;
use axum::http::{header, Response, StatusCode};
use tower_http::compression::predicate::{And, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

/// Marks a response whose body is a stored file, to be sent byte for byte
/// (attachment downloads): a text file would otherwise pass `Compressible`.
#[derive(Clone, Copy, Debug)]
pub struct StoredFile;

/// The layer: gzip when the client accepts it, for what `Compressible` allows.
/// Answers already encoded (the web client's prebuilt `.gz` files) and ranges
/// are left alone by the layer itself.
pub fn layer() -> CompressionLayer<And<SizeAbove, Compressible>> {
    CompressionLayer::new().gzip(true).compress_when(SizeAbove::new(MIN_BYTES).and(Compressible))
}

/// Smaller answers go plain: they fit in one TCP packet either way, so gzip
/// would cost CPU (and its 18 bytes of framing) without saving a round trip.
/// Bodies of unknown length (streams) are compressed.
const MIN_BYTES: u16 = 1024;

/// Text answers with a body, not marked as stored files.
#[derive(Clone, Copy, Debug)]
pub struct Compressible;

impl Predicate for Compressible {
    fn should_compress<B>(&self, response: &Response<B>) -> bool
    where
        B: HttpBody,
    {
        let status = response.status();
        // 101 hands the connection to the WebSocket; 204 and 304 have no body.
        if status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED
        {
            return false;
        }
        if response.extensions().get::<StoredFile>().is_some() {
            return false;
        }
        let content_type =
            response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        is_text(content_type)
    }
}

/// JSON, JavaScript, CSS, HTML, CSV, SVG and the like. Not event streams (each
/// event must reach the client when sent, not when a gzip block fills), and not
/// images, archives, fonts or octet streams, which gzip cannot shrink.
fn is_text(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "text/event-stream" {
        return false;
    }
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(essence.as_str(), "application/json" | "application/javascript" | "application/xml")
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn response(status: StatusCode, content_type: &str) -> Response<Body> {
        let mut r = Response::new(Body::from(vec![b'x'; 4096]));
        *r.status_mut() = status;
        if let Ok(v) = content_type.parse() {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    }

    #[test]
    fn text_compresses_files_and_streams_do_not() {
        for ct in [
            "application/json",
            "text/javascript; charset=utf-8",
            "text/css; charset=utf-8",
            "text/html; charset=utf-8",
            "text/csv; charset=utf-8",
            "image/svg+xml",
            "application/manifest+json",
        ] {
            assert!(Compressible.should_compress(&response(StatusCode::OK, ct)), "{ct}");
        }
        for ct in [
            "image/png",
            "application/octet-stream",
            "application/pdf",
            "font/woff2",
            "text/event-stream",
            "",
        ] {
            assert!(!Compressible.should_compress(&response(StatusCode::OK, ct)), "{ct}");
        }
    }

    #[test]
    fn upgrades_empty_answers_and_stored_files_are_left_alone() {
        for status in [StatusCode::SWITCHING_PROTOCOLS, StatusCode::NO_CONTENT, StatusCode::NOT_MODIFIED] {
            assert!(!Compressible.should_compress(&response(status, "application/json")), "{status}");
        }
        let mut file = response(StatusCode::OK, "text/plain; charset=utf-8");
        file.extensions_mut().insert(StoredFile);
        assert!(!Compressible.should_compress(&file));
    }
}
