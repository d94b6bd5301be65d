//! A chat's files list (`GET /chats/{id}/files`): what was sent in the chat,
//! newest first and paged, for exactly those who may read its history.

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

/// A real 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00,
    0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01,
    0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// Owner and Bob in a private group; Carol in the workspace, outside it.
struct World {
    app: TestApp,
    owner: Session,
    bob: Session,
    carol: Session,
    chat: Uuid,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let r = app
        .post(
            "/chats",
            Some(&owner.access_token),
            json!({"kind": "group", "name": "deal room", "member_ids": [bob.user_id]}),
        )
        .await;
    r.expect(201);
    let chat = r.body["id"].as_str().expect("chat id").parse().expect("uuid");
    World { app, owner, bob, carol, chat }
}

/// Uploads `bytes` as `name` into the chat; the attachment's id.
async fn upload(app: &TestApp, who: &Session, chat: Uuid, name: &str, bytes: &[u8]) -> String {
    let r = app
        .call_raw(
            "POST",
            &format!("/chats/{chat}/attachments?filename={name}"),
            Some(&who.access_token),
            Some("application/octet-stream"),
            bytes.to_vec(),
        )
        .await;
    r.expect(201);
    r.body["id"].as_str().expect("id").to_string()
}

/// Sends a message with these attachments; the message.
async fn send(app: &TestApp, who: &Session, chat: Uuid, body: Value) -> Value {
    let r = app.post(&format!("/chats/{chat}/messages"), Some(&who.access_token), body).await;
    r.expect(201);
    r.body.clone()
}

async fn files(app: &TestApp, who: &Session, chat: Uuid, query: &str) -> Resp {
    app.get(&format!("/chats/{chat}/files{query}"), &who.access_token).await
}

fn names(page: &Value) -> Vec<&str> {
    page["files"].as_array().expect("files").iter().map(|f| f["filename"].as_str().unwrap_or("")).collect()
}

async fn lists_files_newest_first_with_paging(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;

    // Nothing sent yet: an empty page, no cursor.
    let r = files(app, &w.bob, w.chat, "").await;
    r.expect(200);
    assert_eq!(r.body, json!({"files": [], "next_cursor": null}));

    // Owner sends two files in one message, Bob one alone, then one in a thread
    // reply; a plain message and an upload never sent are not files of the chat.
    let a = upload(app, &w.owner, w.chat, "a.png", PNG).await;
    let b = upload(app, &w.owner, w.chat, "b.pdf", PDF).await;
    let first = send(app, &w.owner, w.chat, json!({"body": "both", "attachment_ids": [a, b]})).await;
    send(app, &w.bob, w.chat, json!({"body": "no files"})).await;
    let c = upload(app, &w.bob, w.chat, "c.pdf", PDF).await;
    let second = send(app, &w.bob, w.chat, json!({"body": "", "attachment_ids": [c]})).await;
    let d = upload(app, &w.owner, w.chat, "d.png", PNG).await;
    send(app, &w.owner, w.chat, json!({"body": "re", "thread_root_id": first["id"], "attachment_ids": [d]}))
        .await;
    upload(app, &w.bob, w.chat, "unsent.png", PNG).await;

    let r = files(app, &w.bob, w.chat, "").await;
    r.expect(200);
    assert_eq!(names(&r.body), ["d.png", "c.pdf", "a.png", "b.pdf"]);
    assert_eq!(r.body["next_cursor"], Value::Null);
    let c_file = &r.body["files"][1];
    assert_eq!(c_file["id"], c.as_str());
    assert_eq!(c_file["content_type"], "application/pdf");
    assert_eq!(c_file["size_bytes"], PDF.len());
    assert_eq!(c_file["url"], format!("/api/v1/attachments/{c}"));
    assert_eq!(c_file["uploader_id"], w.bob.user_id.to_string());
    assert_eq!(c_file["message_id"], second["id"]);
    assert_eq!(c_file["seq"], second["seq"]);
    assert_eq!(c_file["sent_at"], second["created_at"]);
    assert_eq!(r.body["files"][2]["uploader_id"], w.owner.user_id.to_string());
    assert_eq!(r.body["files"][2]["content_type"], "image/png");

    // Pages of one: the same files in the same order, the last page has no cursor;
    // a page may end between two files of one message.
    let mut seen = Vec::new();
    let mut query = "?limit=1".to_string();
    loop {
        let r = files(app, &w.owner, w.chat, &query).await;
        r.expect(200);
        assert_eq!(r.body["files"].as_array().map(Vec::len), Some(1), "{}", r.body);
        seen.push(r.body["files"][0]["filename"].as_str().unwrap_or("").to_string());
        match r.body["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=1&cursor={cursor}"),
            None => break,
        }
        assert!(seen.len() < 10, "paging does not end");
    }
    assert_eq!(seen, ["d.png", "c.pdf", "a.png", "b.pdf"]);
    let r = files(app, &w.owner, w.chat, "?limit=3").await;
    assert_eq!(names(&r.body), ["d.png", "c.pdf", "a.png"]);
    let cursor = r.body["next_cursor"].as_str().expect("more").to_string();
    let r = files(app, &w.owner, w.chat, &format!("?cursor={cursor}")).await;
    assert_eq!(names(&r.body), ["b.pdf"]);
    assert_eq!(r.body["next_cursor"], Value::Null);
}

async fn bad_cursor_or_limit_is_a_400(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=201", "limit"),
        ("?limit=-5", "limit"),
        ("?cursor=nonsense", "cursor"),
        ("?cursor=", "cursor"),
        // Base64 of "o:1" and of "f:-1:0": well-formed, not ours.
        ("?cursor=bzox", "cursor"),
        ("?cursor=ZjotMTow", "cursor"),
    ] {
        let r = files(app, &w.owner, w.chat, query).await;
        r.expect_error(400, "invalid_query");
        assert_eq!(r.body["error"]["field"], field, "{query}");
    }
    for query in ["?limit=many", "?limit=1.5", "?page=2"] {
        files(app, &w.owner, w.chat, query).await.expect(400);
    }
    files(app, &w.owner, w.chat, "?limit=200").await.expect(200);
    let r = app.get("/chats/not-a-uuid/files", &w.owner.access_token).await;
    r.expect(400);
    let r = app.call("GET", &format!("/chats/{}/files", w.chat), None, None).await;
    r.expect(401);
}

async fn only_readers_of_the_chat_see_its_files(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let a = upload(app, &w.owner, w.chat, "secret.pdf", PDF).await;
    send(app, &w.owner, w.chat, json!({"body": "", "attachment_ids": [a]})).await;

    // Outside a private chat it does not exist, as in its history.
    let history = app.get(&format!("/chats/{}/messages", w.chat), &w.carol.access_token).await;
    history.expect_error(404, "not_found");
    files(app, &w.carol, w.chat, "").await.expect_error(404, "not_found");
    // An unknown chat, too.
    files(app, &w.owner, Uuid::now_v7(), "").await.expect_error(404, "not_found");

    // A public channel Carol has not joined: seen but not read (403), as history.
    let r = app
        .post(
            "/chats",
            Some(&w.owner.access_token),
            json!({"kind": "channel", "name": "news", "member_ids": [w.bob.user_id]}),
        )
        .await;
    r.expect(201);
    let channel: Uuid = r.body["id"].as_str().expect("id").parse().expect("uuid");
    let p = upload(app, &w.bob, channel, "open.png", PNG).await;
    send(app, &w.bob, channel, json!({"body": "", "attachment_ids": [p]})).await;
    app.get(&format!("/chats/{channel}/messages"), &w.carol.access_token).await.expect(403);
    files(app, &w.carol, channel, "").await.expect(403);
    // Once she joins she reads them.
    app.call("POST", &format!("/chats/{channel}/join"), Some(&w.carol.access_token), None).await.expect(204);
    assert_eq!(names(&files(app, &w.carol, channel, "").await.body), ["open.png"]);

    // A guest outside the channel: not found.
    let guest = app.invite_user(&w.owner, "guest", "guest@client.test").await;
    files(app, &guest, channel, "").await.expect_error(404, "not_found");

    // Another workspace's owner: not found, whatever the chat.
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    files(app, &other, w.chat, "").await.expect_error(404, "not_found");
    files(app, &other, channel, "").await.expect_error(404, "not_found");
}

async fn a_removed_member_is_refused_at_once(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let a = upload(app, &w.bob, w.chat, "mine.pdf", PDF).await;
    send(app, &w.bob, w.chat, json!({"body": "", "attachment_ids": [a]})).await;
    assert_eq!(names(&files(app, &w.bob, w.chat, "").await.body), ["mine.pdf"]);

    let r = app
        .call(
            "DELETE",
            &format!("/chats/{}/members/{}", w.chat, w.bob.user_id),
            Some(&w.owner.access_token),
            None,
        )
        .await;
    r.expect(204);
    // The same token, the very next request: even their own file is gone from view.
    files(app, &w.bob, w.chat, "").await.expect_error(404, "not_found");
}

async fn a_deleted_messages_files_disappear(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let keep = upload(app, &w.owner, w.chat, "keep.png", PNG).await;
    send(app, &w.owner, w.chat, json!({"body": "keep", "attachment_ids": [keep]})).await;
    let gone = upload(app, &w.bob, w.chat, "gone.pdf", PDF).await;
    let gone_too = upload(app, &w.bob, w.chat, "gone-too.png", PNG).await;
    let m = send(app, &w.bob, w.chat, json!({"body": "oops", "attachment_ids": [gone, gone_too]})).await;
    assert_eq!(names(&files(app, &w.owner, w.chat, "").await.body), ["gone.pdf", "gone-too.png", "keep.png"]);
    let r = files(app, &w.owner, w.chat, "?limit=1").await;
    assert_eq!(names(&r.body), ["gone.pdf"]);
    let cursor = r.body["next_cursor"].as_str().expect("more").to_string();

    let id = m["id"].as_str().unwrap_or("");
    app.call("DELETE", &format!("/messages/{id}"), Some(&w.bob.access_token), None).await.expect(204);
    for who in [&w.owner, &w.bob] {
        let r = files(app, who, w.chat, "").await;
        r.expect(200);
        assert_eq!(names(&r.body), ["keep.png"]);
    }
    // A cursor taken before the deletion pages on past what was deleted.
    let r = files(app, &w.owner, w.chat, &format!("?cursor={cursor}")).await;
    r.expect(200);
    assert_eq!(names(&r.body), ["keep.png"]);
    assert_eq!(r.body["next_cursor"], Value::Null);
}

on_every_backend!(
    lists_files_newest_first_with_paging,
    bad_cursor_or_limit_is_a_400,
    only_readers_of_the_chat_see_its_files,
    a_removed_member_is_refused_at_once,
    a_deleted_messages_files_disappear,
);
