//! Answers are gzipped for clients that accept it: JSON lists and the web
//! client's files shrink, while stored attachments go out byte for byte, tiny
//! answers stay plain, and a WebSocket upgraded by a browser (which always sends
//! `Accept-Encoding`) still works.

use std::io::Read;
use std::path::Path;

use artel::config::ServeConfig;
use artel_tests::ws_client::WsClient;
use artel_tests::{test_serve_config, Backend, Session, TestApp};
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// What a browser sends.
const BROWSER_ENCODINGS: &str = "gzip, deflate, br, zstd";

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("valid gzip");
    out
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// GET with the given `Accept-Encoding` (none when `None`); the raw response.
async fn get(app: &TestApp, url: &str, token: Option<&str>, encoding: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(e) = encoding {
        req = req.header("accept-encoding", e);
    }
    req.send().await.expect("request sent")
}

async fn many_chats(app: &TestApp, owner: &Session, n: usize) {
    for i in 0..n {
        app.post(
            "/chats",
            Some(&owner.access_token),
            json!({"kind": "channel", "name": format!("sales-{i:03}"), "description": "Leads from the website form"}),
        )
        .await
        .expect(201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lists_are_gzipped_for_clients_that_accept_it() {
    let app = TestApp::start(Backend::Sqlite).await;
    let owner = app.setup_owner().await;
    many_chats(&app, &owner, 40).await;
    let url = app.url("/chats");
    let token = Some(owner.access_token.as_str());

    let plain = get(&app, &url, token, None).await;
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "content-encoding"), "");
    let plain = plain.bytes().await.expect("body");

    let zipped = get(&app, &url, token, Some(BROWSER_ENCODINGS)).await;
    assert_eq!(zipped.status(), 200);
    assert_eq!(header(&zipped, "content-encoding"), "gzip");
    assert!(header(&zipped, "vary").to_ascii_lowercase().contains("accept-encoding"));
    assert_eq!(header(&zipped, "content-type"), "application/json");
    // The API's own headers survive the compressor.
    assert_eq!(header(&zipped, "cache-control"), "no-store");
    let zipped = zipped.bytes().await.expect("body");
    assert!(zipped.len() * 3 < plain.len(), "{} gzipped vs {} plain bytes", zipped.len(), plain.len());
    let unzipped = gunzip(&zipped);
    let list: Value = serde_json::from_slice(&unzipped).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(41), "40 channels and #general");
    assert_eq!(unzipped, plain.to_vec(), "the same answer, only compressed");

    // An encoding the server does not speak gets the plain answer.
    let br = get(&app, &url, token, Some("br")).await;
    assert_eq!(header(&br, "content-encoding"), "");
    assert_eq!(br.bytes().await.expect("body"), plain);

    // A tiny answer is not worth a gzip header.
    let health = get(&app, &app.url("/health"), None, Some("gzip")).await;
    assert_eq!(health.status(), 200);
    assert_eq!(header(&health, "content-encoding"), "");
    // Errors are JSON like any other answer: still correct, compressed or not.
    let missing = get(&app, &app.url("/chats/not-a-uuid"), token, Some("gzip")).await;
    assert_eq!(missing.status().as_u16() / 100, 4);
    let enc = header(&missing, "content-encoding").to_string();
    let bytes = missing.bytes().await.expect("body");
    let body: Value = serde_json::from_slice(&if enc == "gzip" { gunzip(&bytes) } else { bytes.to_vec() })
        .expect("json error");
    assert!(body["error"]["code"].is_string(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_sent_exactly_as_stored() {
    let app = TestApp::start(Backend::Sqlite).await;
    let owner = app.setup_owner().await;
    let chat =
        app.post("/chats", Some(&owner.access_token), json!({"kind": "channel", "name": "files"})).await;
    chat.expect(201);
    let chat = chat.body["id"].as_str().expect("chat id").to_string();
    // Text gzip would shrink a lot: it must still go out as stored.
    let text = "Договор поставки №17, приложение 2.\n".repeat(400).into_bytes();
    let up = app
        .call_raw(
            "POST",
            &format!("/chats/{chat}/attachments?filename=contract.txt"),
            Some(&owner.access_token),
            Some("application/octet-stream"),
            text.clone(),
        )
        .await;
    up.expect(201);
    assert_eq!(up.body["content_type"], "text/plain; charset=utf-8");
    let id = up.body["id"].as_str().expect("id");

    let down =
        get(&app, &app.url(&format!("/attachments/{id}")), Some(&owner.access_token), Some("gzip")).await;
    assert_eq!(down.status(), 200);
    assert_eq!(header(&down, "content-encoding"), "");
    assert_eq!(header(&down, "content-length"), text.len().to_string());
    assert!(header(&down, "etag").len() > 2);
    assert_eq!(down.bytes().await.expect("body").to_vec(), text, "byte for byte");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_socket_upgrade_is_not_compressed() {
    let app = TestApp::start(Backend::Sqlite).await;
    let owner = app.setup_owner().await;
    many_chats(&app, &owner, 3).await;
    let mut req = app.ws_url().into_client_request().expect("request");
    req.headers_mut().insert("accept-encoding", HeaderValue::from_static(BROWSER_ENCODINGS));
    let (mut socket, resp) = tokio_tungstenite::connect_async(req).await.expect("upgrade");
    assert_eq!(resp.status().as_u16(), 101);
    assert!(resp.headers().get("content-encoding").is_none());
    let auth = json!({"type": "auth", "token": owner.access_token});
    socket.send(Message::Text(auth.to_string().into())).await.expect("send auth");
    let mut ws = WsClient { socket, ready: Value::Null };
    let ready = ws.next().await;
    assert_eq!(ready["type"], "ready", "{ready}");
    assert_eq!(ready["chats"].as_array().map(Vec::len), Some(4));
    ws.send_json(json!({"type": "ping"})).await;
    ws.next_where(|f| f["type"] == "pong").await;
}

/// A built client whose files are past the size where gzip starts.
struct Files {
    index: String,
    css: String,
    js: String,
}

fn files() -> Files {
    Files {
        index: format!(
            "<!doctype html><title>Artel</title>{}<div id=root></div><script src=/assets/app-abc123.js></script>",
            "<link rel=preload href=/assets/app-abc123.css as=style>".repeat(30)
        ),
        css: ".board{display:flex;gap:8px}.card{padding:8px;border:1px solid #ddd}\n".repeat(30),
        js: "console.log('artel');\n".repeat(100),
    }
}

fn client_dir(root: &Path, f: &Files) -> std::path::PathBuf {
    let dist = root.join("dist");
    std::fs::create_dir_all(dist.join("assets")).expect("dist");
    std::fs::write(dist.join("index.html"), &f.index).expect("index");
    std::fs::write(dist.join("assets/app-abc123.css"), &f.css).expect("css");
    std::fs::write(dist.join("assets/app-abc123.js"), &f.js).expect("js");
    // What the build writes beside each text asset.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, f.js.as_bytes()).expect("gzip");
    std::fs::write(dist.join("assets/app-abc123.js.gz"), gz.finish().expect("gzip")).expect("js.gz");
    dist
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_clients_files_are_gzipped_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let f = files();
    let dist = client_dir(tmp.path(), &f);
    let app = TestApp::start_with(
        Backend::Sqlite,
        ServeConfig { web_dir: Some(dist.clone()), ..test_serve_config() },
    )
    .await;
    let root = format!("http://{}", app.addr);

    // A prebuilt .gz goes out as it is, not gzipped a second time.
    let js = get(&app, &format!("{root}/assets/app-abc123.js"), None, Some(BROWSER_ENCODINGS)).await;
    assert_eq!(header(&js, "content-encoding"), "gzip");
    let bytes = js.bytes().await.expect("body");
    assert_eq!(bytes.to_vec(), std::fs::read(dist.join("assets/app-abc123.js.gz")).expect("gz"));
    assert_eq!(gunzip(&bytes), f.js.as_bytes());

    // Files without one are gzipped on the way out.
    for (path, text) in [("/assets/app-abc123.css", &f.css), ("/", &f.index)] {
        let r = get(&app, &format!("{root}{path}"), None, Some(BROWSER_ENCODINGS)).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-encoding"), "gzip", "{path}");
        assert_eq!(gunzip(&r.bytes().await.expect("body")), text.as_bytes(), "{path}");
        let plain = get(&app, &format!("{root}{path}"), None, None).await;
        assert_eq!(header(&plain, "content-encoding"), "", "{path}");
        assert_eq!(&plain.text().await.expect("body"), text, "{path}");
    }
}
