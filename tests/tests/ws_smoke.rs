//! First contact with the hub: a message sent over one socket reaches the other
//! member live, with an ack to the sender; reconnecting with a cursor replays.

use artel_tests::{on_every_backend, Backend, TestApp};
use serde_json::json;

async fn send_and_receive_live(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let r = app
        .post(
            "/chats",
            Some(&owner.access_token),
            json!({"kind": "channel", "name": "sales", "member_ids": [bob.user_id]}),
        )
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
    app.post(
        &format!("/chats/{chat}/messages"),
        Some(&owner.access_token),
        json!({"body": "two", "client_msg_id": "m2"}),
    )
    .await
    .expect(201);
    app.post(&format!("/chats/{chat}/messages"), Some(&owner.access_token), json!({"body": "three"}))
        .await
        .expect(201);
    let mut b = app.ws(&bob.access_token, &[(chat, seq)]).await;
    let e2 = b.next_event().await;
    let e3 = b.next_event().await;
    assert_eq!((e2["seq"].as_i64(), e3["seq"].as_i64()), (Some(seq + 1), Some(seq + 2)));
    assert_eq!(e3["change"]["message"]["body"], "three");
}

/// Signing out closes that session's sockets at once (not when the token expires);
/// "sign out everywhere" closes them all.
async fn sign_out_closes_sockets(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let phone = app.login("owner@acme.test", None).await;
    let laptop_ws = app.ws(&owner.access_token, &[]).await;
    let phone_ws = app.ws(&phone.access_token, &[]).await;
    app.post("/auth/logout", Some(&phone.access_token), json!({})).await.expect(204);
    assert_eq!(phone_ws.closed().await.code, Some(4403));
    // The other session is untouched until "sign out everywhere".
    let mut laptop_ws = laptop_ws;
    laptop_ws.send_json(json!({"type": "ping"})).await;
    laptop_ws.next_where(|f| f["type"] == "pong").await;
    app.post("/auth/logout-all", Some(&owner.access_token), json!({})).await.expect(204);
    assert_eq!(laptop_ws.closed().await.code, Some(4403));
}

/// Deactivating a user closes every socket of every one of their sessions at
/// once, as signing out does (4403); other people's sockets stay.
async fn deactivation_closes_the_users_sockets(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let phone = app.login("bob@acme.test", None).await;
    let laptop_ws = app.ws(&bob.access_token, &[]).await;
    let phone_ws = app.ws(&phone.access_token, &[]).await;
    let mut owner_ws = app.ws(&owner.access_token, &[]).await;
    app.post(&format!("/users/{}/deactivate", bob.user_id), Some(&owner.access_token), json!({}))
        .await
        .expect(200);
    assert_eq!(laptop_ws.closed().await.code, Some(4403));
    assert_eq!(phone_ws.closed().await.code, Some(4403));
    owner_ws.send_json(json!({"type": "ping"})).await;
    owner_ws.next_where(|f| f["type"] == "pong").await;
}

fn is_presence_of(user: uuid::Uuid, status: &'static str) -> impl Fn(&serde_json::Value) -> bool {
    move |f: &serde_json::Value| {
        f["type"] == "ephemeral"
            && f["event"]["type"] == "presence_changes"
            && f["event"]["entries"].as_array().is_some_and(|entries| {
                entries.iter().any(|e| e["user_id"] == user.to_string() && e["status"] == status)
            })
    }
}

/// Presence: online when a socket connects, away on request, offline when the
/// last socket leaves; visible live to sockets that follow the user
/// (`presence_sub`) and through GET /presence.
async fn presence_follows_sockets(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let mut watcher = app.ws(&owner.access_token, &[]).await;
    watcher.send_json(json!({"type": "presence_sub", "user_ids": [bob.user_id, bob.user_id]})).await;
    // The answer: bob's status now, named once.
    let now = watcher.next_where(is_presence_of(bob.user_id, "offline")).await;
    assert_eq!(now["event"]["entries"].as_array().unwrap().len(), 1, "{now}");
    // Changes come in digests (one a second); each step below waits for its
    // digest, so every status shows up in one.
    let mut bob_ws = app.ws(&bob.access_token, &[]).await;
    watcher.next_where(is_presence_of(bob.user_id, "online")).await;
    let listed = app.get("/presence", &owner.access_token).await;
    listed.expect(200);
    assert!(listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["user_id"] == bob.user_id.to_string() && e["status"] == "online"));

    bob_ws.send_json(json!({"type": "presence", "status": "away"})).await;
    watcher.next_where(is_presence_of(bob.user_id, "away")).await;
    // A second socket that is online wins over the away one.
    let bob_phone = app.ws(&bob.access_token, &[]).await;
    watcher.next_where(is_presence_of(bob.user_id, "online")).await;
    drop(bob_phone);
    watcher.next_where(is_presence_of(bob.user_id, "away")).await;
    drop(bob_ws);
    watcher.next_where(is_presence_of(bob.user_id, "offline")).await;
    let listed = app.get("/presence", &owner.access_token).await;
    assert!(!listed.body.as_array().unwrap().iter().any(|e| e["user_id"] == bob.user_id.to_string()));
    // A bad status is an error frame, and the socket stays.
    watcher.send_json(json!({"type": "presence", "status": "invisible"})).await;
    let err = watcher.next_where(|f| f["type"] == "error").await;
    assert_eq!(err["code"], "bad_frame");
}

/// A channel with `owner` alone in it, where markers are posted.
async fn marker_channel(app: &TestApp, owner: &artel_tests::Session) -> uuid::Uuid {
    let r =
        app.post("/chats", Some(&owner.access_token), json!({"kind": "channel", "name": "markers"})).await;
    r.expect(201);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

/// Posts `body` into `chat` and returns every frame `c` got before its event.
/// The marker is a barrier: a presence digest already published reaches the
/// socket before it (one bus, in order), so "none before the marker" is exact.
async fn frames_before_marker(
    app: &TestApp,
    owner: &artel_tests::Session,
    chat: uuid::Uuid,
    body: &str,
    c: &mut artel_tests::ws_client::WsClient,
) -> Vec<serde_json::Value> {
    app.post(&format!("/chats/{chat}/messages"), Some(&owner.access_token), json!({"body": body}))
        .await
        .expect(201);
    let mut before = Vec::new();
    loop {
        let f = c.next().await;
        if f["type"] == "event" && f["change"]["message"]["body"] == body {
            return before;
        }
        before.push(f);
    }
}

/// A socket hears only about the people it follows; a new `presence_sub`
/// replaces the old one, an empty one stops them all. Too many users, or ids that
/// are not ids, are an error frame and change nothing.
async fn presence_reaches_only_followers(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    let markers = marker_channel(&app, &owner).await;
    let mut follower = app.ws(&owner.access_token, &[]).await;
    let mut bystander = app.ws(&carol.access_token, &[]).await;
    follower.send_json(json!({"type": "presence_sub", "user_ids": [bob.user_id]})).await;
    follower.next_where(is_presence_of(bob.user_id, "offline")).await;

    // Bad input first: nothing about the subscription changes.
    let too_many: Vec<uuid::Uuid> = (0..501).map(|_| uuid::Uuid::now_v7()).collect();
    follower.send_json(json!({"type": "presence_sub", "user_ids": too_many})).await;
    let err = follower.next_where(|f| f["type"] == "error").await;
    assert_eq!(err["code"], "bad_frame", "{err}");
    assert!(err["message"].as_str().unwrap().contains("500"), "{err}");
    follower.send_json(json!({"type": "presence_sub", "user_ids": ["not-a-uuid"]})).await;
    let err = follower.next_where(|f| f["type"] == "error").await;
    assert_eq!(err["code"], "bad_frame", "{err}");

    let bob_ws = app.ws(&bob.access_token, &[]).await;
    follower.next_where(is_presence_of(bob.user_id, "online")).await;
    // Carol follows no one: after the digest that told the follower, she has
    // heard nothing (she gets a pong, and nothing before it).
    bystander.send_json(json!({"type": "ping"})).await;
    let first = bystander.next().await;
    assert_eq!(first["type"], "pong", "carol follows no one, yet got {first}");

    // Follow carol instead of bob: bob's changes stop, carol's status comes.
    follower.send_json(json!({"type": "presence_sub", "user_ids": [carol.user_id]})).await;
    let now = follower.next_where(|f| f["event"]["type"] == "presence_changes").await;
    assert!(is_presence_of(carol.user_id, "online")(&now), "{now}");
    assert_eq!(now["event"]["entries"].as_array().unwrap().len(), 1, "{now}");
    drop(bob_ws);
    drop(bystander);
    let next = follower.next_where(|f| f["event"]["type"] == "presence_changes").await;
    assert!(is_presence_of(carol.user_id, "offline")(&next), "only carol's change: {next}");
    assert_eq!(next["event"]["entries"].as_array().unwrap().len(), 1, "bob's is not sent: {next}");

    // An empty list follows no one.
    follower.send_json(json!({"type": "presence_sub", "user_ids": []})).await;
    // Frames are handled in order: after the pong the empty list is in force.
    follower.send_json(json!({"type": "ping"})).await;
    follower.next_where(|f| f["type"] == "pong").await;
    // Bob watches carol: when he hears her come online, the digest that would
    // have told the follower is out.
    let mut witness = app.ws(&bob.access_token, &[]).await;
    witness.send_json(json!({"type": "presence_sub", "user_ids": [carol.user_id]})).await;
    witness.next_where(is_presence_of(carol.user_id, "offline")).await;
    let _carol_again = app.ws(&carol.access_token, &[]).await;
    witness.next_where(is_presence_of(carol.user_id, "online")).await;
    let before = frames_before_marker(&app, &owner, markers, "marker", &mut follower).await;
    assert!(
        before.iter().all(|f| f["event"]["type"] != "presence_changes"),
        "follows no one, yet got {before:?}"
    );
}

/// Presence is per workspace: following a user of another workspace shows them
/// offline, whatever they do there.
async fn presence_stays_in_its_workspace(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    let colleague = app.invite_user(&other, "member", "colleague@other.test").await;
    let markers = marker_channel(&app, &owner).await;
    let mut watcher = app.ws(&owner.access_token, &[]).await;
    watcher.send_json(json!({"type": "presence_sub", "user_ids": [other.user_id]})).await;
    watcher.next_where(is_presence_of(other.user_id, "offline")).await;
    // A colleague in the other workspace follows the same person: when the
    // colleague hears of it, the digest is out.
    let mut witness = app.ws(&colleague.access_token, &[]).await;
    witness.send_json(json!({"type": "presence_sub", "user_ids": [other.user_id]})).await;
    witness.next_where(is_presence_of(other.user_id, "offline")).await;
    let _there = app.ws(&other.access_token, &[]).await;
    witness.next_where(is_presence_of(other.user_id, "online")).await;
    let before = frames_before_marker(&app, &owner, markers, "marker", &mut watcher).await;
    assert!(
        before.iter().all(|f| f["event"]["type"] != "presence_changes"),
        "another workspace's presence leaked: {before:?}"
    );
    let listed = app.get("/presence", &owner.access_token).await;
    assert!(!listed.body.as_array().unwrap().iter().any(|e| e["user_id"] == other.user_id.to_string()));
}

on_every_backend!(
    deactivation_closes_the_users_sockets,
    send_and_receive_live,
    sign_out_closes_sockets,
    presence_follows_sockets,
    presence_reaches_only_followers,
    presence_stays_in_its_workspace
);
