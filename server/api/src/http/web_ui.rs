//! Serves the built web client (web/dist) next to the API, so one `artel serve`
//! gives a working UI, and the mobile client (mobile/dist, a PWA) under /m/.
//! Hashed assets are cached for a year; index.html, the service worker and the
//! manifest are revalidated every time (they name the current assets). Any other
//! path that is not a file gets the client's index.html, so its own routes
//! survive a reload. Nothing under /api is ever answered with a client.

use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error;

/// Where the mobile client is mounted; also its service worker's scope.
const MOBILE_PREFIX: &str = "/m/";

/// The built clients to serve; either may be missing.
#[derive(Clone, Debug)]
pub struct Clients {
    pub web: Option<PathBuf>,
    pub mobile: Option<PathBuf>,
}

/// Where the built web client lives; `None` when there is none to serve.
pub fn resolve_dir(configured: Option<&Path>) -> Option<PathBuf> {
    resolve_dir_or(configured, "web/dist")
}

/// The configured dir, or `default` when it holds an index.html.
pub fn resolve_dir_or(configured: Option<&Path>, default: &str) -> Option<PathBuf> {
    match configured {
        Some(dir) => Some(dir.to_path_buf()),
        None => {
            let default = PathBuf::from(default);
            default.join("index.html").is_file().then_some(default)
        }
    }
}

/// The fallback handler: a file of a client, or its index.html, or a JSON 404 under /api.
pub async fn serve(State(clients): State<Clients>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return error::route_not_found().await.into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return error::method_not_allowed().await.into_response();
    }
    if let Some(dir) = &clients.mobile {
        if path == "/m" {
            return Redirect::permanent(MOBILE_PREFIX).into_response();
        }
        if let Some(rest) = path.strip_prefix("/m/") {
            return serve_from(dir, rest, &headers, &method, true).await;
        }
    }
    match &clients.web {
        Some(dir) => serve_from(dir, path, &headers, &method, false).await,
        None => error::route_not_found().await.into_response(),
    }
}

/// `path` (relative to the client's mount point) from `dir`, or its index.html.
async fn serve_from(dir: &Path, path: &str, headers: &HeaderMap, method: &Method, mobile: bool) -> Response {
    let Some(rel) = safe_relative(path) else {
        return error::route_not_found().await.into_response();
    };
    let candidate = dir.join(&rel);
    if !rel.as_os_str().is_empty() && candidate.is_file() {
        let mut resp = file(&candidate, headers, method, rel.starts_with("assets")).await;
        // The worker lives at /m/sw.js and controls exactly /m/.
        if mobile && rel.as_os_str() == "sw.js" {
            resp.headers_mut().insert("service-worker-allowed", HeaderValue::from_static(MOBILE_PREFIX));
        }
        return resp;
    }
    // A missing file with an extension is a real 404 (an old asset), not a route.
    if rel.extension().is_some() {
        return error::route_not_found().await.into_response();
    }
    file(&dir.join("index.html"), headers, method, false).await
}

/// The request path as a relative path inside the client dir, or `None` when it
/// tries to leave it (`..`, absolute parts, hidden files, backslashes).
fn safe_relative(path: &str) -> Option<PathBuf> {
    let trimmed = path.trim_start_matches('/');
    if trimmed.contains('\\') || trimmed.contains('\0') {
        return None;
    }
    let rel = PathBuf::from(trimmed);
    for c in rel.components() {
        match c {
            Component::Normal(s) if !s.to_string_lossy().starts_with('.') => {}
            _ => return None,
        }
    }
    Some(rel)
}

async fn file(path: &Path, headers: &HeaderMap, method: &Method, immutable: bool) -> Response {
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    // The build writes a .gz beside each text asset; send it to clients that take gzip.
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let (served, gzipped) =
        if accepts_gzip && gz.is_file() { (gz, true) } else { (path.to_path_buf(), false) };
    let meta = match tokio::fs::metadata(&served).await {
        Ok(m) => m,
        Err(_) => return error::route_not_found().await.into_response(),
    };
    let mtime =
        meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs());
    let etag = format!("\"{:x}-{:x}{}\"", meta.len(), mtime, if gzipped { "-gz" } else { "" });
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type(path))
        .header(header::ETAG, &etag)
        .header(header::VARY, "accept-encoding")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(
            header::CACHE_CONTROL,
            if immutable { "public, max-age=31536000, immutable" } else { "no-cache" },
        );
    if gzipped {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
    }
    if path.extension().is_some_and(|e| e == "html") {
        builder = builder.header(header::REFERRER_POLICY, "no-referrer").header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; \
             connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        );
    }
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return builder.status(StatusCode::NOT_MODIFIED).body(Body::empty()).unwrap_or_else(|_| internal());
    }
    let body = if *method == Method::HEAD {
        Body::empty()
    } else {
        match tokio::fs::read(&served).await {
            Ok(bytes) => Body::from(bytes),
            Err(e) => {
                tracing::warn!(error = %e, path = %served.display(), "cannot read web client file");
                return internal();
            }
        }
    };
    builder.header(header::CONTENT_LENGTH, meta.len()).body(body).unwrap_or_else(|_| internal())
}

fn internal() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

fn content_type(path: &Path) -> HeaderValue {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    HeaderValue::from_static(match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    })
}

#[cfg(test)]
mod tests {
    use super::safe_relative;

    #[test]
    fn paths_cannot_leave_the_client_dir() {
        assert!(safe_relative("/../etc/passwd").is_none());
        assert!(safe_relative("/assets/../../x").is_none());
        assert!(safe_relative("/.env").is_none());
        assert!(safe_relative("/a\\b").is_none());
        assert_eq!(
            safe_relative("/assets/app-1.js").as_deref().and_then(|p| p.to_str()),
            Some("assets/app-1.js")
        );
        assert_eq!(safe_relative("/").as_deref().and_then(|p| p.to_str()), Some(""));
    }
}
