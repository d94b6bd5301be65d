//! `artel serve` serves the built web client: files with the right type and cache
//! policy, index.html for client routes, never a file outside the client dir, and
//! never the client for an /api path. The mobile client (a PWA) is served the
//! same way under /m/, its service worker allowed that scope and never cached long.

use std::path::Path;

use artel::config::ServeConfig;
use artel_tests::{on_every_backend, test_serve_config, Backend, TestApp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const INDEX: &str = "<!doctype html><title>Artel</title><div id=root></div>";

fn client_dir(root: &Path) -> std::path::PathBuf {
    let dist = root.join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join("index.html"), INDEX).unwrap();
    std::fs::write(dist.join("assets/app-abc123.js"), "console.log('artel')").unwrap();
    std::fs::write(dist.join("assets/app-abc123.js.gz"), [0x1f, 0x8b, 0, 0]).unwrap();
    // Beside the client dir, not in it: must never be served.
    std::fs::write(root.join("secret.txt"), "top secret").unwrap();
    dist
}

const MOBILE_INDEX: &str = "<!doctype html><title>Artel mobile</title><div id=root></div>";

fn mobile_dir(root: &Path) -> std::path::PathBuf {
    let dist = root.join("mobile-dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join("index.html"), MOBILE_INDEX).unwrap();
    std::fs::write(dist.join("sw.js"), "self.addEventListener('fetch', () => {})").unwrap();
    std::fs::write(dist.join("manifest.webmanifest"), r#"{"name":"Artel","start_url":"/m/"}"#).unwrap();
    std::fs::write(dist.join("assets/m-abc123.js"), "console.log('mobile')").unwrap();
    dist
}

async fn start(backend: Backend, dir: Option<&Path>) -> TestApp {
    TestApp::start_with(backend, ServeConfig { web_dir: dir.map(Path::to_path_buf), ..test_serve_config() })
        .await
}

/// A request sent as raw bytes, so the path reaches the server exactly as written.
async fn raw_get(app: &TestApp, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

async fn serves_files_and_client_routes(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let dist = client_dir(tmp.path());
    let app = start(backend, Some(&dist)).await;
    let root = format!("http://{}", app.addr);
    let http = reqwest::Client::new();

    let index = http.get(format!("{root}/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(index.headers()["cache-control"], "no-cache");
    assert!(index.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    let etag = index.headers()["etag"].clone();
    assert_eq!(index.text().await.unwrap(), INDEX);

    // A client route after a reload gets index.html, revalidated by its ETag.
    let route =
        http.get(format!("{root}/chats/0194f1d2-aaaa-7bbb-8ccc-123456789abc?seq=4")).send().await.unwrap();
    assert_eq!(route.status(), 200);
    assert_eq!(route.text().await.unwrap(), INDEX);
    let again = http.get(format!("{root}/deals/x")).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(again.status(), 304);

    let asset = http.get(format!("{root}/assets/app-abc123.js")).send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(asset.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(asset.headers().get("content-encoding").is_none());
    assert_eq!(asset.text().await.unwrap(), "console.log('artel')");
    let gz = http
        .get(format!("{root}/assets/app-abc123.js"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.bytes().await.unwrap().as_ref(), &[0x1f, 0x8b, 0, 0]);

    // A missing asset is a 404, not index.html.
    let missing = http.get(format!("{root}/assets/app-old.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "route_not_found");

    // Nothing under /api is ever the client.
    for path in ["/api/v1/no-such-thing", "/api/v2/chats", "/api"] {
        let r = http.get(format!("{root}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "route_not_found", "{path}");
    }
    let health = http.get(format!("{root}/api/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    app.stop().await;
}

async fn never_serves_outside_the_client_dir(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let dist = client_dir(tmp.path());
    let app = start(backend, Some(&dist)).await;
    for path in ["/../secret.txt", "/assets/../../secret.txt", "/.%2e/secret.txt", "/%2e%2e/secret.txt"] {
        let resp = raw_get(&app, path).await;
        assert!(!resp.contains("top secret"), "{path} leaked: {resp}");
    }
    let hidden = raw_get(&app, "/.env").await;
    assert!(hidden.starts_with("HTTP/1.1 404"), "{hidden}");
    let http = reqwest::Client::new();
    let post = http.post(format!("http://{}/", app.addr)).body("x").send().await.unwrap();
    assert_eq!(post.status(), 405);
    app.stop().await;
}

async fn without_a_client_only_the_api_answers(backend: Backend) {
    let app = start(backend, None).await;
    let http = reqwest::Client::new();
    let r = http.get(format!("http://{}/", app.addr)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "route_not_found");
    app.stop().await;
}

async fn serves_the_mobile_client_under_m(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let web = client_dir(tmp.path());
    let mobile = mobile_dir(tmp.path());
    let app = TestApp::start_with(
        backend,
        ServeConfig { web_dir: Some(web), mobile_dir: Some(mobile), ..test_serve_config() },
    )
    .await;
    let root = format!("http://{}", app.addr);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let index = http.get(format!("{root}/m/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["cache-control"], "no-cache");
    assert_eq!(index.text().await.unwrap(), MOBILE_INDEX);
    // Its client routes get its index.html, not the web client's.
    for route in ["/m/chats/0194f1d2-aaaa-7bbb-8ccc-123456789abc", "/m/tasks", "/m/deals/x?y=1"] {
        let r = http.get(format!("{root}{route}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{route}");
        assert_eq!(r.text().await.unwrap(), MOBILE_INDEX, "{route}");
    }
    let bare = http.get(format!("{root}/m")).send().await.unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "/m/");
    // The web client still has every other path.
    let web_route = http.get(format!("{root}/chats/x")).send().await.unwrap();
    assert_eq!(web_route.text().await.unwrap(), INDEX);

    let sw = http.get(format!("{root}/m/sw.js")).send().await.unwrap();
    assert_eq!(sw.status(), 200);
    assert_eq!(sw.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(sw.headers()["service-worker-allowed"], "/m/");
    assert_eq!(sw.headers()["cache-control"], "no-cache");
    let manifest = http.get(format!("{root}/m/manifest.webmanifest")).send().await.unwrap();
    assert_eq!(manifest.headers()["content-type"], "application/manifest+json");
    assert_eq!(manifest.headers()["cache-control"], "no-cache");
    assert!(manifest.headers().get("service-worker-allowed").is_none());
    let asset = http.get(format!("{root}/m/assets/m-abc123.js")).send().await.unwrap();
    assert_eq!(asset.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(asset.text().await.unwrap(), "console.log('mobile')");

    let missing = http.get(format!("{root}/m/assets/m-old.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    for path in ["/m/../secret.txt", "/m/%2e%2e/secret.txt", "/m/.env"] {
        let resp = raw_get(&app, path).await;
        assert!(!resp.contains("top secret"), "{path} leaked: {resp}");
        assert!(resp.starts_with("HTTP/1.1 404"), "{path}: {resp}");
    }
    let post = http.post(format!("{root}/m/")).body("x").send().await.unwrap();
    assert_eq!(post.status(), 405);
    app.stop().await;

    // The mobile client alone: /m/ answers, other paths are 404 JSON.
    let app = TestApp::start_with(
        backend,
        ServeConfig { mobile_dir: Some(mobile_dir(tmp.path())), ..test_serve_config() },
    )
    .await;
    let root = format!("http://{}", app.addr);
    assert_eq!(http.get(format!("{root}/m/tasks")).send().await.unwrap().text().await.unwrap(), MOBILE_INDEX);
    let other = http.get(format!("{root}/chats/x")).send().await.unwrap();
    assert_eq!(other.status(), 404);
    app.stop().await;
}

on_every_backend!(
    serves_files_and_client_routes,
    never_serves_outside_the_client_dir,
    without_a_client_only_the_api_answers,
    serves_the_mobile_client_under_m
);
