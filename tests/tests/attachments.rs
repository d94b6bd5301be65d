//! Attachments end to end: upload (sniffed type, sanitised name, size limit),
//! sending with a message (REST and WebSocket), downloading with safe headers,
//! and who may do each.

use artel_tests::{on_every_backend, test_serve_config, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

use artel::config::ServeConfig;

/// A real 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00,
    0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01,
    0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
const HTML: &[u8] = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/me')</script></body></html>";
const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><rect/></svg>";

/// Owner, Bob (member of the channel), Carol (in the workspace, not in the channel).
struct World {
    app: TestApp,
    owner: Session,
    bob: Session,
    carol: Session,
    chat: Uuid,
}

async fn world(app: TestApp) -> World {
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let chat =
        create_chat(&app, &owner, json!({"kind": "channel", "name": "sales", "member_ids": [bob.user_id]}))
            .await;
    World { app, owner, bob, carol, chat }
}

async fn create_chat(app: &TestApp, by: &Session, body: Value) -> Uuid {
    let r = app.post("/chats", Some(&by.access_token), body).await;
    r.expect(201);
    r.body["id"].as_str().expect("chat id").parse().expect("uuid")
}

/// `POST /chats/{chat}/attachments[?filename=…]` with raw bytes and a (lying) content type.
async fn upload(
    app: &TestApp,
    who: &Session,
    chat: Uuid,
    filename: Option<&str>,
    ct: &str,
    bytes: &[u8],
) -> Resp {
    let mut req = app
        .http
        .post(app.url(&format!("/chats/{chat}/attachments")))
        .bearer_auth(&who.access_token)
        .header("content-type", ct)
        .body(bytes.to_vec());
    if let Some(name) = filename {
        req = req.query(&[("filename", name)]);
    }
    let resp = req.send().await.expect("upload sent");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = serde_json::from_slice(&resp.bytes().await.expect("body")).unwrap_or(Value::Null);
    Resp { status, body, headers }
}

/// Uploads and returns the new attachment's id.
async fn uploaded(app: &TestApp, who: &Session, chat: Uuid, name: &str, bytes: &[u8]) -> Uuid {
    let r = upload(app, who, chat, Some(name), "application/octet-stream", bytes).await;
    r.expect(201);
    r.body["id"].as_str().expect("id").parse().expect("uuid")
}

/// `GET /attachments/{id}` as raw bytes.
async fn download(app: &TestApp, who: &Session, id: &str) -> reqwest::Response {
    app.http
        .get(app.url(&format!("/attachments/{id}")))
        .bearer_auth(&who.access_token)
        .send()
        .await
        .expect("download sent")
}

/// An upload with `Transfer-Encoding: chunked` (no length known up front), over a
/// plain socket; returns the response's status line ("" if the server hung up first).
async fn chunked_upload(app: &TestApp, who: &Session, chat: Uuid, chunks: &[&[u8]]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/chats/{chat}/attachments?filename=stream.bin HTTP/1.1\r\nHost: {}\r\n\
         Authorization: Bearer {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.addr, who.access_token
    );
    let mut request = head.into_bytes();
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let _ = tcp.write_all(&request).await;
    let mut response = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read_to_end(&mut response)).await;
    assert!(read.is_ok(), "the server answers and closes");
    String::from_utf8_lossy(&response).lines().next().unwrap_or("").to_string()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn send(app: &TestApp, who: &Session, chat: Uuid, body: Value) -> Resp {
    app.post(&format!("/chats/{chat}/messages"), Some(&who.access_token), body).await
}

async fn uploads_are_sniffed_named_and_served_safely(backend: Backend) {
    let w = world(TestApp::start(backend).await).await;
    let app = &w.app;

    // PNG bytes called x.txt and declared text/plain: the bytes decide.
    let r = upload(app, &w.owner, w.chat, Some("x.txt"), "text/plain", PNG).await;
    r.expect(201);
    let png_id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["content_type"], "image/png");
    assert_eq!(r.body["filename"], "x.txt");
    assert_eq!(r.body["size_bytes"], PNG.len());
    assert_eq!(r.body["url"], format!("/api/v1/attachments/{png_id}"));

    // A message of only that file: empty body, and history shows the file.
    let r = send(app, &w.owner, w.chat, json!({"body": "", "attachment_ids": [png_id]})).await;
    r.expect(201);
    assert_eq!(r.body["attachments"][0]["id"], png_id.as_str());
    let r = app.get(&format!("/chats/{}/messages", w.chat), &w.bob.access_token).await;
    r.expect(200);
    let last = r.body.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["body"], "");
    assert_eq!(
        last["attachments"],
        json!([{"id": png_id, "filename": "x.txt", "content_type": "image/png", "size_bytes": PNG.len(),
                "url": format!("/api/v1/attachments/{png_id}")}])
    );

    // A member downloads it: a safe raster image, shown inline.
    let resp = download(app, &w.bob, &png_id).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "content-type"), "image/png");
    assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
    assert_eq!(header(&resp, "content-security-policy"), "sandbox; default-src 'none'");
    assert_eq!(header(&resp, "content-disposition"), "inline; filename=\"x.txt\"; filename*=UTF-8''x.txt");
    let etag = header(&resp, "etag").to_string();
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);
    // Revalidation: same content, 304 without a body.
    let again = app
        .http
        .get(app.url(&format!("/attachments/{png_id}")))
        .bearer_auth(&w.bob.access_token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // HTML and SVG (declared as images) are never rendered: downloads, nosniff, sandboxed.
    for (bytes, name, sniffed) in [(HTML, "page.html", "text/html"), (SVG, "logo.svg", "image/svg+xml")] {
        let r = upload(app, &w.owner, w.chat, Some(name), "image/png", bytes).await;
        r.expect(201);
        assert_eq!(r.body["content_type"], sniffed, "{name}");
        let id = r.body["id"].as_str().unwrap().to_string();
        send(app, &w.owner, w.chat, json!({"body": name, "attachment_ids": [id]})).await.expect(201);
        let resp = download(app, &w.bob, &id).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "content-type"), sniffed);
        assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
        assert_eq!(header(&resp, "content-security-policy"), "sandbox; default-src 'none'");
        assert!(header(&resp, "content-disposition").starts_with("attachment;"), "{name} served inline");
        assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes);
    }

    // Names: no path, no control characters; a default; Unicode kept exactly.
    let r = upload(app, &w.owner, w.chat, Some("../../etc/passwd"), "text/plain", b"root:x:0:0").await;
    r.expect(201);
    assert_eq!(r.body["filename"], "passwd");
    assert_eq!(r.body["content_type"], "text/plain; charset=utf-8");
    let r = upload(app, &w.owner, w.chat, Some("..\\..\\a\u{0007}b.bin"), "text/plain", &[0, 1, 2]).await;
    r.expect(201);
    assert_eq!(
        (r.body["filename"].as_str(), r.body["content_type"].as_str()),
        (Some("ab.bin"), Some("application/octet-stream"))
    );
    let r = upload(app, &w.owner, w.chat, None, "text/plain", b"no name").await;
    r.expect(201);
    assert_eq!(r.body["filename"], "file");
    let r = upload(app, &w.owner, w.chat, Some("отчёт май.pdf"), "text/plain", b"%PDF-1.7\n").await;
    r.expect(201);
    assert_eq!(
        (r.body["filename"].as_str(), r.body["content_type"].as_str()),
        (Some("отчёт май.pdf"), Some("application/pdf"))
    );
    let pdf = r.body["id"].as_str().unwrap().to_string();
    let resp = download(app, &w.owner, &pdf).await;
    assert_eq!(
        header(&resp, "content-disposition"),
        "attachment; filename=\"_____ ___.pdf\"; \
         filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%20%D0%BC%D0%B0%D0%B9.pdf"
    );

    // The file is in the data dir, where the layout says.
    let ws = w.owner.workspace_id;
    let path = app.state.files.path(ws, png_id.parse().unwrap());
    assert!(path.starts_with(app.data.data_dir.join("uploads").join(ws.to_string())), "{}", path.display());
    assert_eq!(std::fs::read(&path).unwrap(), PNG);

    // Bad input.
    let r = upload(app, &w.owner, w.chat, Some("empty"), "text/plain", b"").await;
    r.expect_error(422, "invalid_input");
    let r = app.get("/attachments/not-a-uuid", &w.owner.access_token).await;
    r.expect_error(400, "invalid_path");
    let r = app.http.get(app.url(&format!("/attachments/{png_id}"))).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = upload(app, &w.owner, w.chat, Some("x"), "text/plain", PNG).await;
    r.expect(201);
    let r = app
        .http
        .post(app.url(&format!("/chats/{}/attachments?filename=a&bogus=1", w.chat)))
        .bearer_auth(&w.owner.access_token)
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "unknown query parameters are refused");
}

async fn uploads_have_a_size_limit(backend: Backend) {
    let serve = ServeConfig { max_upload_bytes: 1024, ..test_serve_config() };
    let w = world(TestApp::start_with(backend, serve).await).await;
    let app = &w.app;
    let r = upload(app, &w.owner, w.chat, Some("big.bin"), "application/octet-stream", &[7u8; 2048]).await;
    r.expect_error(413, "payload_too_large");
    let r = upload(app, &w.owner, w.chat, Some("fits.bin"), "application/octet-stream", &[7u8; 1024]).await;
    r.expect(201);
    assert_eq!(r.body["size_bytes"], 1024);

    // Streamed without a length (chunked), the limit holds too; nothing is left behind.
    let status = chunked_upload(app, &w.owner, w.chat, &[&[1u8; 600], &[2u8; 600], &[3u8; 600]]).await;
    assert!(status.is_empty() || status.starts_with("HTTP/1.1 413"), "{status}");
    let status = chunked_upload(app, &w.owner, w.chat, &[&[1u8; 500], &[2u8; 500]]).await;
    assert!(status.starts_with("HTTP/1.1 201"), "{status}");
    let tmp = app.data.data_dir.join("uploads").join("tmp");
    let leftovers = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(leftovers, 0, "unfinished uploads are removed");

    // The JSON limit (64 KiB) does not apply to uploads, and uploads' limit not to JSON.
    let serve = ServeConfig { max_upload_bytes: 200 * 1024, ..test_serve_config() };
    let w = world(TestApp::start_with(backend, serve).await).await;
    let r = upload(&w.app, &w.owner, w.chat, Some("big.bin"), "application/octet-stream", &[9u8; 150 * 1024])
        .await;
    r.expect(201);
    let r = send(&w.app, &w.owner, w.chat, json!({"body": "x".repeat(100 * 1024)})).await;
    r.expect_error(413, "payload_too_large");
}

async fn only_members_upload_and_download(backend: Backend) {
    let w = world(TestApp::start(backend).await).await;
    let app = &w.app;

    // Uploading: a non-member of a public channel is refused; a private chat does
    // not exist for them.
    upload(app, &w.carol, w.chat, Some("x.png"), "image/png", PNG).await.expect_error(403, "forbidden");
    let private =
        create_chat(app, &w.owner, json!({"kind": "group", "name": "board", "member_ids": [w.bob.user_id]}))
            .await;
    upload(app, &w.carol, private, Some("x.png"), "image/png", PNG).await.expect_error(404, "not_found");
    upload(app, &w.carol, Uuid::now_v7(), Some("x.png"), "image/png", PNG)
        .await
        .expect_error(404, "not_found");

    let id = uploaded(app, &w.owner, w.chat, "plan.png", PNG).await.to_string();
    // Until it is sent, only the uploader can fetch it.
    assert_eq!(download(app, &w.owner, &id).await.status(), 200);
    assert_eq!(download(app, &w.bob, &id).await.status(), 404);
    send(app, &w.owner, w.chat, json!({"body": "plan", "attachment_ids": [id]})).await.expect(201);
    assert_eq!(download(app, &w.bob, &id).await.status(), 200);

    // Non-members and other workspaces: not found, with our error shape.
    let resp = download(app, &w.carol, &id).await;
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let stranger = app.create_workspace("Other", "other", "boss@other.test").await;
    assert_eq!(download(app, &stranger, &id).await.status(), 404);
    assert_eq!(download(app, &w.bob, &Uuid::now_v7().to_string()).await.status(), 404);

    // A removed member loses access at once.
    app.call(
        "DELETE",
        &format!("/chats/{}/members/{}", w.chat, w.bob.user_id),
        Some(&w.owner.access_token),
        None,
    )
    .await
    .expect(204);
    assert_eq!(download(app, &w.bob, &id).await.status(), 404);
    upload(app, &w.bob, w.chat, Some("x.png"), "image/png", PNG).await.expect_error(403, "forbidden");

    // An archived chat takes no new files, but its files stay readable.
    app.call(
        "PATCH",
        &format!("/chats/{}", w.chat),
        Some(&w.owner.access_token),
        Some(json!({"archived": true})),
    )
    .await
    .expect(200);
    upload(app, &w.owner, w.chat, Some("x.png"), "image/png", PNG).await.expect_error(409, "chat_archived");
    assert_eq!(download(app, &w.owner, &id).await.status(), 200);
}

async fn messages_link_only_own_unsent_uploads(backend: Backend) {
    let w = world(TestApp::start(backend).await).await;
    let app = &w.app;
    let other = create_chat(
        app,
        &w.owner,
        json!({"kind": "channel", "name": "other", "member_ids": [w.bob.user_id]}),
    )
    .await;
    let bobs = uploaded(app, &w.bob, w.chat, "bob.png", PNG).await;
    let elsewhere = uploaded(app, &w.owner, other, "other.png", PNG).await;
    let mine = uploaded(app, &w.owner, w.chat, "mine.png", PNG).await;
    let before = app.get(&format!("/chats/{}", w.chat), &w.owner.access_token).await.body["last_seq"].clone();

    let refused = [
        json!({"body": "someone else's", "attachment_ids": [bobs]}),
        json!({"body": "another chat's", "attachment_ids": [elsewhere]}),
        json!({"body": "unknown", "attachment_ids": [Uuid::now_v7()]}),
        json!({"body": "twice", "attachment_ids": [mine, mine]}),
        json!({"body": "too many", "attachment_ids": (0..11).map(|_| Uuid::now_v7()).collect::<Vec<_>>()}),
    ];
    for body in refused {
        let r = send(app, &w.owner, w.chat, body.clone()).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "attachment_ids", "{body}");
    }
    // Empty text needs a file.
    let r = send(app, &w.owner, w.chat, json!({"body": "  "})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "body");
    let r = send(app, &w.owner, w.chat, json!({"attachment_ids": []})).await;
    r.expect_error(422, "invalid_input");
    let after = app.get(&format!("/chats/{}", w.chat), &w.owner.access_token).await.body["last_seq"].clone();
    assert_eq!(before, after, "nothing was written");

    // Sent once (no body at all); sending it again is refused, a retry with the
    // same key returns the same message.
    let first = send(app, &w.owner, w.chat, json!({"attachment_ids": [mine], "client_msg_id": "f1"})).await;
    first.expect(201);
    let retry = send(app, &w.owner, w.chat, json!({"attachment_ids": [mine], "client_msg_id": "f1"})).await;
    retry.expect(200);
    assert_eq!(retry.body["id"], first.body["id"]);
    assert_eq!(retry.body["attachments"], first.body["attachments"]);
    let r = send(app, &w.owner, w.chat, json!({"body": "again", "attachment_ids": [mine]})).await;
    r.expect_error(422, "invalid_input");

    // Two concurrent sends of one file (both may pass the early check): exactly one
    // wins; the other is refused, and nobody else's message in the same group
    // commit fails with it.
    let race = uploaded(app, &w.owner, w.chat, "race.png", PNG).await;
    let (x, y, z) = tokio::join!(
        send(app, &w.owner, w.chat, json!({"body": "x", "attachment_ids": [race]})),
        send(app, &w.owner, w.chat, json!({"body": "y", "attachment_ids": [race]})),
        send(app, &w.bob, w.chat, json!({"body": "bystander"})),
    );
    let mut statuses = [x.status, y.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 422], "{} / {}", x.body, y.body);
    z.expect(201);

    // Over the WebSocket: the frame's `attachment_ids`; the other member sees the file live.
    let file = uploaded(app, &w.owner, w.chat, "live.png", PNG).await;
    let mut a = app.ws(&w.owner.access_token, &[]).await;
    let mut b = app.ws(&w.bob.access_token, &[]).await;
    a.send_json(json!({"type": "send", "chat_id": w.chat, "client_msg_id": "ws1", "attachment_ids": [file]}))
        .await;
    let ack = a.next_where(|f| f["type"] == "ack" || f["type"] == "error").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["message"]["attachments"][0]["id"], file.to_string());
    let ev = b.next_where(|f| f["type"] == "event" && f["change"]["type"] == "message_created").await;
    assert_eq!(ev["change"]["message"]["attachments"][0]["filename"], "live.png");
    assert_eq!(ev["change"]["message"]["attachments"][0]["url"], format!("/api/v1/attachments/{file}"));
    // Someone else's upload over the socket: an error with the frame's ref.
    let bobs2 = uploaded(app, &w.bob, w.chat, "b2.png", PNG).await;
    a.send_json(json!({"type": "send", "chat_id": w.chat, "body": "x", "client_msg_id": "ws2", "attachment_ids": [bobs2]}))
        .await;
    let err = a.next_where(|f| f["type"] == "ack" || f["type"] == "error").await;
    assert_eq!((err["type"].as_str(), err["code"].as_str()), (Some("error"), Some("invalid_input")), "{err}");

    // The event log carries them too (gap filling).
    let r = app.get(&format!("/chats/{}/events?after=0", w.chat), &w.bob.access_token).await;
    r.expect(200);
    let with_files = r.body.as_array().unwrap().iter().filter(|e| {
        e["change"]["type"] == "message_created"
            && !e["change"]["message"]["attachments"].as_array().unwrap().is_empty()
    });
    assert_eq!(with_files.count(), 3);

    // Deleting the message deletes its files.
    let msg_id = first.body["id"].as_str().unwrap();
    let path = app.state.files.path(w.owner.workspace_id, mine);
    assert!(path.exists());
    app.call("DELETE", &format!("/messages/{msg_id}"), Some(&w.owner.access_token), None).await.expect(204);
    assert_eq!(download(app, &w.owner, &mine.to_string()).await.status(), 404);
    assert!(!path.exists(), "the file is gone from disk");
    let r = app.get(&format!("/chats/{}/events?after=0", w.chat), &w.bob.access_token).await;
    let created = r.body.as_array().unwrap().iter().find(|e| e["change"]["message"]["id"] == msg_id).cloned();
    assert_eq!(created.unwrap()["change"]["message"]["attachments"], json!([]));
}

on_every_backend!(
    uploads_are_sniffed_named_and_served_safely,
    uploads_have_a_size_limit,
    only_members_upload_and_download,
    messages_link_only_own_unsent_uploads,
);
