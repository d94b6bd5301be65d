//! First contact with the hub: a message sent over one socket reaches the other
//! member live, with an ack to the sender; reconnecting with a cursor replays.

use artel_tests::{on_every_backend, Backend, TestApp};
use serde_json::json;

async fn send_and_receive_live(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let r = app
        .post("/chats", Some(&owner.access_token), json!({"kind": "channel", "name": "sales", "member_ids": [bob.user_id]}))
        .await;
    r.expect(201);
    let chat: uuid::Uuid = r.body["id"].as_str().unwrap().parse().unwrap();

    let mut a = app.ws(&owner.access_token, &[]).await;
    let mut b = app.ws(&bob.access_token, &[]).await;
    a.send_message(chat, "привет **всем**", "m1").await;
    let ack = a.next_where(|f| f["type"] == "ack").await;
    assert_eq!(ack["client_msg_id"], "m1");
    let seq = ack["message"]["seq"].as_i64().unwrap();
    let ev = b.next_event().await;
    assert_eq!(ev["chat_id"], chat.to_string());
    assert_eq!(ev["seq"], seq);
    assert_eq!(ev["change"]["type"], "message_created");
    assert_eq!(ev["change"]["message"]["html"], "<p>привет <strong>всем</strong></p>\n");

    // Bob was offline for the next two; reconnecting with his cursor replays both.
    drop(b);
    app.post(&format!("/chats/{chat}/messages"), Some(&owner.access_token), json!({"body": "two", "client_msg_id": "m2"}))
        .await
        .expect(201);
    app.post(&format!("/chats/{chat}/messages"), Some(&owner.access_token), json!({"body": "three"})).await.expect(201);
    let mut b = app.ws(&bob.access_token, &[(chat, seq)]).await;
    let e2 = b.next_event().await;
    let e3 = b.next_event().await;
    assert_eq!((e2["seq"].as_i64(), e3["seq"].as_i64()), (Some(seq + 1), Some(seq + 2)));
    assert_eq!(e3["change"]["message"]["body"], "three");
}

on_every_backend!(send_and_receive_live);
