//! Assembling the router and serving it until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::{DataConfig, ServeConfig};
use crate::error;
use crate::http;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP app for a state.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = http::api();
    let openapi = Arc::new(openapi);
    let api = api
        .route(
            "/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.settings.max_json_bytes))
        .layer(axum::middleware::from_fn(crate::edge::retry_reads))
        .layer(axum::middleware::from_fn(crate::edge::refuse_nul_in_uri));
    let app = Router::new().nest("/api/v1", api);
    // The web client answers every path the API does not (see http/web_ui.rs).
    // The mobile client answers under /m/ (see http/web_ui.rs).
    let clients = http::web_ui::Clients {
        web: state.settings.web_dir.clone(),
        mobile: state.settings.mobile_dir.clone(),
    };
    let app = if clients.web.is_some() || clients.mobile.is_some() {
        app.fallback_service(axum::routing::any(http::web_ui::serve).with_state(clients))
    } else {
        app.fallback(error::route_not_found)
    };
    app.with_state(state)
        .layer(CatchPanicLayer::custom(error::panic_response))
        // Outside the panic catcher, so a 500 from a panic gets them too.
        .layer(axum::middleware::from_fn(http::headers::api_headers))
        // Outside the handlers and the panic catcher: every answer worth it, errors
        // and client files included, is gzipped for clients that accept it.
        .layer(crate::compression::layer())
        // Outermost first: give every request an id, log it, echo it back.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let request_id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or("-")
                        .to_string();
                    // Only the path, never the query: tokens must not reach the logs.
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// What the operator should open in a browser: the public URL when one is set,
/// else the listen address; a wildcard address is no URL, so it is explained.
pub fn open_hint(addr: SocketAddr, public_url: Option<&str>) -> String {
    if let Some(url) = public_url.map(|u| u.trim_end_matches('/')).filter(|u| !u.is_empty()) {
        return format!("Open {url} in a browser");
    }
    let port = addr.port();
    match addr.ip() {
        ip if ip.is_unspecified() => format!(
            "Open http://127.0.0.1:{port} in a browser on this machine, or http://<this machine's address>:{port} \
             from another one (listening on all interfaces, {addr}; set --public-url to print the address people use)"
        ),
        std::net::IpAddr::V6(_) => format!("Open http://{addr} in a browser"),
        ip => format!("Open http://{ip}:{port} in a browser"),
    }
}

/// Opens everything the configuration names and serves on `listener` until
/// `shutdown` resolves, then drains in-flight requests.
pub async fn run(
    data: DataConfig,
    serve: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::open_default(&data, &serve).await?;
    run_with(state, listener, shutdown).await
}

/// Serves an already built state (tests inject their own clock).
pub async fn run_with(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let store = state.store.clone();
    tracing::info!(%addr, database = store.engine(), "artel is listening");
    tracing::info!("{}", open_hint(addr, state.settings.public_url.as_deref()));
    match store.count_workspaces().await {
        Ok(0) => tracing::info!(
            "no workspace yet: the first screen at that address creates the workspace and its owner \
             (or run `artel admin create-owner`)"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not count workspaces"),
    }
    if let Some(dir) = &state.settings.mobile_dir {
        tracing::info!(dir = %dir.display(), "serving the mobile client at /m/");
    }
    match &state.settings.web_dir {
        Some(dir) => tracing::info!(dir = %dir.display(), "serving the web client"),
        None => tracing::warn!(
            "no web client built (web/dist is missing): serving the API only; \
             scripts/run.sh builds it, or set --web-dir / ARTEL_WEB_DIR"
        ),
    }
    let search = state.search.clone();
    let app = router(state);
    // Real-time frames are small: do not let Nagle hold them back.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    search.stop();
    // Give the pool a moment to finish what the drained requests started.
    let _ = tokio::time::timeout(Duration::from_secs(5), store.close()).await;
    tracing::info!("artel stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; draining connections");
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::open_hint;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("socket address")
    }

    #[test]
    fn open_hint_prefers_the_public_url_then_the_listen_address() {
        let local = addr("127.0.0.1:8080");
        assert_eq!(open_hint(local, None), "Open http://127.0.0.1:8080 in a browser");
        assert_eq!(
            open_hint(local, Some("https://chat.example.com/")),
            "Open https://chat.example.com in a browser"
        );
        assert_eq!(open_hint(addr("[::1]:9000"), None), "Open http://[::1]:9000 in a browser");
        let any = open_hint(addr("0.0.0.0:8080"), None);
        assert!(any.starts_with("Open http://127.0.0.1:8080 in a browser on this machine"), "{any}");
        assert!(any.contains("all interfaces"), "{any}");
        let any6 = open_hint(addr("[::]:8080"), None);
        assert!(any6.contains("http://127.0.0.1:8080"), "{any6}");
    }
}
