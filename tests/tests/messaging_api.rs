//! Chats and messages over REST, from outside: creating and finding chats,
//! membership, sending with idempotency keys, history pages, threads, the event
//! log, edits, deletes, reactions, pins, read marks, rendering safety, and that
//! nobody outside a chat (or outside the workspace) can read or touch it.

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

/// One server with a workspace owner and two plain members.
struct World {
    app: TestApp,
    owner: Session,
    bob: Session,
    carol: Session,
    /// The workspace's default channel, which everyone has left.
    default: Uuid,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bob = app.invite_user(&owner, "member", "bob@acme.test").await;
    let carol = app.invite_user(&owner, "member", "carol@acme.test").await;
    // These tests count chats exactly: out of the default channel (onboarding.rs covers it).
    let default = app.leave_default_channel(&owner).await.expect("default channel");
    for who in [&bob, &carol] {
        app.leave_default_channel(who).await;
    }
    World { app, owner, bob, carol, default }
}

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn uuid_of(v: &Value) -> Uuid {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).parse().expect("uuid")
}

fn id(v: &Value) -> Uuid {
    uuid_of(&v["id"])
}

fn arr(r: &Resp) -> Vec<Value> {
    r.body.as_array().unwrap_or_else(|| panic!("not an array: {}", r.body)).clone()
}

fn seqs(msgs: &[Value]) -> Vec<i64> {
    msgs.iter().map(|m| m["seq"].as_i64().expect("seq")).collect()
}

fn ids(items: &[Value]) -> Vec<Uuid> {
    items.iter().map(id).collect()
}

/// Creates a chat (`kind` "channel" or "group") and returns its id.
async fn new_chat(
    app: &TestApp,
    by: &Session,
    kind: &str,
    name: &str,
    private: bool,
    members: &[&Session],
) -> Uuid {
    let member_ids: Vec<Uuid> = members.iter().map(|s| s.user_id).collect();
    let r = app
        .post(
            "/chats",
            tok(by),
            json!({"kind": kind, "name": name, "is_private": private, "member_ids": member_ids}),
        )
        .await;
    r.expect(201);
    id(&r.body)
}

async fn channel(app: &TestApp, by: &Session, name: &str, members: &[&Session]) -> Uuid {
    new_chat(app, by, "channel", name, false, members).await
}

async fn group(app: &TestApp, by: &Session, name: &str, members: &[&Session]) -> Uuid {
    new_chat(app, by, "group", name, true, members).await
}

/// Sends a message (expects 201) and returns it.
async fn send(app: &TestApp, by: &Session, chat: Uuid, body: &str) -> Value {
    let r = app.post(&format!("/chats/{chat}/messages"), tok(by), json!({"body": body})).await;
    r.expect(201);
    r.body
}

async fn send_with(app: &TestApp, by: &Session, chat: Uuid, req: Value) -> Resp {
    app.post(&format!("/chats/{chat}/messages"), tok(by), req).await
}

/// A page of top-level history (`query` is the part after `?`, may be empty).
async fn history(app: &TestApp, by: &Session, chat: Uuid, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/chats/{chat}/messages?{query}"), &by.access_token).await;
    r.expect(200);
    arr(&r)
}

async fn events(app: &TestApp, by: &Session, chat: Uuid, after: i64) -> Vec<Value> {
    let r = app.get(&format!("/chats/{chat}/events?after={after}"), &by.access_token).await;
    r.expect(200);
    arr(&r)
}

/// My chats as GET /chats lists them.
async fn my_chats(app: &TestApp, by: &Session) -> Vec<Value> {
    let r = app.get("/chats", &by.access_token).await;
    r.expect(200);
    arr(&r)
}

/// My summary of one chat (panics when it is not in my list).
async fn summary(app: &TestApp, by: &Session, chat: Uuid) -> Value {
    my_chats(app, by)
        .await
        .into_iter()
        .find(|s| id(&s["chat"]) == chat)
        .unwrap_or_else(|| panic!("chat {chat} not in {}'s list", by.email))
}

/// (user id, role) of the chat's members, as `by` sees them.
async fn members(app: &TestApp, by: &Session, chat: Uuid) -> Vec<(Uuid, String)> {
    let r = app.get(&format!("/chats/{chat}/members"), &by.access_token).await;
    r.expect(200);
    arr(&r).iter().map(|m| (uuid_of(&m["user_id"]), m["role"].as_str().expect("role").to_string())).collect()
}

async fn member_ids(app: &TestApp, by: &Session, chat: Uuid) -> Vec<Uuid> {
    let mut v: Vec<Uuid> = members(app, by, chat).await.into_iter().map(|(u, _)| u).collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<Uuid>) -> Vec<Uuid> {
    v.sort();
    v
}

async fn mark_read(app: &TestApp, by: &Session, chat: Uuid, seq: i64) -> Resp {
    app.post(&format!("/chats/{chat}/read"), tok(by), json!({"seq": seq})).await
}

fn advance(app: &TestApp, secs: i64) {
    app.clock.advance(chrono::Duration::seconds(secs));
}

// ---- Creating chats --------------------------------------------------------------

async fn channels_and_groups_are_created_with_their_members(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let guest = app.invite_user(&w.owner, "guest", "guest@acme.test").await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;

    // Duplicates and the creator in member_ids are harmless.
    let r = app
        .post(
            "/chats",
            tok(&w.owner),
            json!({"kind": "channel", "name": "  sales  ", "description": "deals talk",
                   "member_ids": [w.bob.user_id, w.bob.user_id, w.owner.user_id]}),
        )
        .await;
    r.expect(201);
    let sales = id(&r.body);
    assert_eq!(r.body["kind"], "channel");
    assert_eq!(r.body["name"], "sales", "the name is trimmed");
    assert_eq!(r.body["description"], "deals talk");
    assert_eq!(r.body["is_private"], false);
    assert_eq!(uuid_of(&r.body["created_by"]), w.owner.user_id);
    assert!(r.body["archived_at"].is_null());
    assert!(r.body["direct_user_ids"].is_null());
    assert_eq!(r.body["last_seq"], 1, "creation is the chat's first event");
    let mut expected = vec![(w.owner.user_id, "owner".to_string()), (w.bob.user_id, "member".to_string())];
    expected.sort();
    let mut got = members(app, &w.owner, sales).await;
    got.sort();
    assert_eq!(got, expected, "creator is the owner, the others plain members");

    // A group is private whatever the request says; a channel can be asked to be.
    let r = app
        .post(
            "/chats",
            tok(&w.bob),
            json!({"kind": "group", "name": "lunch", "is_private": false,
                   "member_ids": [w.owner.user_id, w.carol.user_id, guest.user_id]}),
        )
        .await;
    r.expect(201);
    let lunch = id(&r.body);
    assert_eq!(r.body["kind"], "group");
    assert_eq!(r.body["is_private"], true);
    assert_eq!(
        member_ids(app, &w.carol, lunch).await,
        sorted(vec![w.owner.user_id, w.bob.user_id, w.carol.user_id, guest.user_id])
    );
    let roles = members(app, &w.carol, lunch).await;
    assert!(roles.contains(&(w.bob.user_id, "owner".to_string())), "{roles:?}");
    let secret = new_chat(app, &w.owner, "channel", "secret", true, &[]).await;
    let r = app.get(&format!("/chats/{secret}"), &w.owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body["is_private"], true);

    // Everybody sees the chat in their own list, with their own role.
    assert_eq!(summary(app, &w.owner, sales).await["role"], "owner");
    assert_eq!(summary(app, &w.bob, sales).await["role"], "member");
    assert_eq!(summary(app, &w.bob, lunch).await["role"], "owner");
    assert_eq!(summary(app, &guest, lunch).await["role"], "member");
    let r = app.get(&format!("/chats/{sales}"), &w.bob.access_token).await;
    r.expect(200);
    assert_eq!(id(&r.body), sales);

    // Refusals, none of which leaves a chat behind.
    let before = my_chats(app, &w.owner).await.len();
    app.post("/chats", tok(&guest), json!({"kind": "channel", "name": "guests"}))
        .await
        .expect_error(403, "forbidden");
    app.post(
        "/chats",
        tok(&guest),
        json!({"kind": "group", "name": "guests", "member_ids": [w.owner.user_id]}),
    )
    .await
    .expect_error(403, "forbidden");
    for bad_member in [Uuid::now_v7(), other.user_id] {
        let r = app
            .post(
                "/chats",
                tok(&w.owner),
                json!({"kind": "channel", "name": "bad", "member_ids": [w.bob.user_id, bad_member]}),
            )
            .await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "member_ids");
    }
    for name in ["", "   ", &"n".repeat(101), "tab\tname"] {
        let r = app.post("/chats", tok(&w.owner), json!({"kind": "channel", "name": name})).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "name", "{name:?}");
    }
    let r = app
        .post(
            "/chats",
            tok(&w.owner),
            json!({"kind": "channel", "name": "d", "description": "x".repeat(1001)}),
        )
        .await;
    r.expect_error(422, "invalid_input");
    // Direct chats are opened, not created; unknown kinds are not a kind.
    for kind in ["direct", "forum"] {
        app.post("/chats", tok(&w.owner), json!({"kind": kind, "name": "k"}))
            .await
            .expect_error(422, "invalid_body");
    }
    assert_eq!(my_chats(app, &w.owner).await.len(), before, "failed creations left nothing");
    assert!(my_chats(app, &guest).await.iter().all(|s| id(&s["chat"]) == lunch));

    // The limits are inclusive.
    let r = app
        .post(
            "/chats",
            tok(&w.owner),
            json!({"kind": "channel", "name": "n".repeat(100), "description": "x".repeat(1000)}),
        )
        .await;
    r.expect(201);
}

async fn direct_chats_are_opened_once(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let guest = app.invite_user(&w.owner, "guest", "guest@acme.test").await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;

    let r = app.post("/chats/direct", tok(&w.owner), json!({"user_id": w.bob.user_id})).await;
    r.expect(201);
    let dm = id(&r.body);
    assert_eq!(r.body["kind"], "direct");
    assert_eq!(r.body["is_private"], true);
    assert!(r.body["name"].is_null());
    let pair: Vec<Uuid> = r.body["direct_user_ids"].as_array().expect("pair").iter().map(uuid_of).collect();
    assert_eq!(sorted(pair), sorted(vec![w.owner.user_id, w.bob.user_id]));

    // Opening again, from either side, gives the same chat.
    let r = app.post("/chats/direct", tok(&w.owner), json!({"user_id": w.bob.user_id})).await;
    r.expect(200);
    assert_eq!(id(&r.body), dm);
    let r = app.post("/chats/direct", tok(&w.bob), json!({"user_id": w.owner.user_id})).await;
    r.expect(200);
    assert_eq!(id(&r.body), dm);
    let mut got = members(app, &w.bob, dm).await;
    got.sort();
    let mut expected = vec![(w.owner.user_id, "member".to_string()), (w.bob.user_id, "member".to_string())];
    expected.sort();
    assert_eq!(got, expected);
    let dms: Vec<Value> =
        my_chats(app, &w.owner).await.into_iter().filter(|s| s["chat"]["kind"] == "direct").collect();
    assert_eq!(dms.len(), 1, "exactly one direct chat: {dms:?}");

    // A different pair is a different chat.
    let r = app.post("/chats/direct", tok(&w.bob), json!({"user_id": w.carol.user_id})).await;
    r.expect(201);
    assert_ne!(id(&r.body), dm);

    // Not with oneself, nobody, someone of another workspace, or a guest.
    let r = app.post("/chats/direct", tok(&w.owner), json!({"user_id": w.owner.user_id})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], "user_id");
    for user in [other.user_id, Uuid::now_v7()] {
        app.post("/chats/direct", tok(&w.owner), json!({"user_id": user}))
            .await
            .expect_error(422, "invalid_input");
    }
    app.post("/chats/direct", tok(&other), json!({"user_id": w.owner.user_id}))
        .await
        .expect_error(422, "invalid_input");
    app.post("/chats/direct", tok(&w.owner), json!({"user_id": guest.user_id}))
        .await
        .expect_error(403, "forbidden");
    app.post("/chats/direct", tok(&guest), json!({"user_id": w.owner.user_id}))
        .await
        .expect_error(403, "forbidden");

    // A direct chat is fixed: no leaving, renaming or adding people; outsiders do not see it.
    app.call("POST", &format!("/chats/{dm}/leave"), tok(&w.bob), None).await.expect_error(403, "forbidden");
    app.call("DELETE", &format!("/chats/{dm}/members/{}", w.bob.user_id), tok(&w.bob), None)
        .await
        .expect_error(403, "forbidden");
    app.call("PATCH", &format!("/chats/{dm}"), tok(&w.owner), Some(json!({"name": "x"})))
        .await
        .expect_error(403, "forbidden");
    app.post(&format!("/chats/{dm}/members"), tok(&w.owner), json!({"user_id": w.carol.user_id}))
        .await
        .expect_error(403, "forbidden");
    app.get(&format!("/chats/{dm}"), &w.carol.access_token).await.expect_error(404, "not_found");
    send(app, &w.bob, dm, "hi").await;
    assert_eq!(member_ids(app, &w.owner, dm).await, sorted(vec![w.owner.user_id, w.bob.user_id]));
}

async fn chats_are_changed_by_their_managers(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let admin = app.invite_user(&w.owner, "admin", "admin@acme.test").await;
    let public = channel(app, &w.owner, "general", &[&w.bob]).await;
    let grp = group(app, &w.owner, "private", &[&w.bob]).await;
    let patch = |by: &Session, chat: Uuid, body: Value| {
        let token = by.access_token.clone();
        async move { app.call("PATCH", &format!("/chats/{chat}"), Some(&token), Some(body)).await }
    };

    // Plain members may not change a chat.
    patch(&w.bob, public, json!({"name": "mine now"})).await.expect_error(403, "forbidden");
    patch(&w.bob, grp, json!({"archived": true})).await.expect_error(403, "forbidden");

    let r = patch(&w.owner, public, json!({"name": "  renamed ", "description": "about things"})).await;
    r.expect(200);
    assert_eq!(
        (r.body["name"].as_str(), r.body["description"].as_str()),
        (Some("renamed"), Some("about things"))
    );
    let r = app.get(&format!("/chats/{public}"), &w.bob.access_token).await;
    assert_eq!(r.body["name"], "renamed");
    let log = events(app, &w.bob, public, 0).await;
    let last = log.last().expect("event");
    assert_eq!(last["change"]["type"], "chat_updated");
    assert_eq!(last["change"]["chat"]["name"], "renamed");

    for bad in
        [json!({"name": ""}), json!({"name": "n".repeat(101)}), json!({"description": "d".repeat(1001)})]
    {
        patch(&w.owner, public, bad.clone()).await.expect_error(422, "invalid_input");
    }
    assert_eq!(app.get(&format!("/chats/{public}"), &w.bob.access_token).await.body["name"], "renamed");

    // Archiving keeps its first date; unarchiving clears it.
    let r = patch(&w.owner, grp, json!({"archived": true})).await;
    r.expect(200);
    let archived_at = r.body["archived_at"].clone();
    assert!(archived_at.is_string());
    advance(app, 60);
    let r = patch(&w.owner, grp, json!({"archived": true, "description": "old stuff"})).await;
    r.expect(200);
    assert_eq!(r.body["archived_at"], archived_at);
    let r = patch(&w.owner, grp, json!({"archived": false})).await;
    r.expect(200);
    assert!(r.body["archived_at"].is_null());

    // A workspace admin manages public channels without being in them, but still
    // does not read them, and private chats stay invisible.
    let r = patch(&admin, public, json!({"description": "moderated"})).await;
    r.expect(200);
    assert_eq!(r.body["description"], "moderated");
    app.call("DELETE", &format!("/chats/{public}/members/{}", w.bob.user_id), tok(&admin), None)
        .await
        .expect(204);
    app.get(&format!("/chats/{public}/messages"), &admin.access_token).await.expect_error(403, "forbidden");
    patch(&admin, grp, json!({"name": "peek"})).await.expect_error(404, "not_found");
    assert_eq!(app.get(&format!("/chats/{grp}"), &w.bob.access_token).await.body["name"], "private");
}

// ---- My chats, read marks ------------------------------------------------------------

async fn my_chats_are_ordered_by_activity_with_unread_and_mention_counts(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let a = channel(app, &w.owner, "alpha", &[&w.bob]).await;
    advance(app, 1);
    let b = channel(app, &w.owner, "beta", &[&w.bob]).await;
    let order = |list: Vec<Value>| -> Vec<Uuid> {
        list.iter().map(|s| id(&s["chat"])).filter(|c| *c == a || *c == b).collect()
    };
    assert_eq!(order(my_chats(app, &w.bob).await), vec![b, a], "newest first");
    let fresh = summary(app, &w.bob, a).await;
    assert_eq!((fresh["unread_count"].as_i64(), fresh["mention_count"].as_i64()), (Some(0), Some(0)));
    assert!(fresh["last_message"].is_null());

    advance(app, 1);
    let m1 = send(app, &w.owner, a, "hello").await;
    let m2 = send(app, &w.owner, a, &format!("hi <@{}>", w.bob.user_id)).await;
    let m3 = send(app, &w.owner, a, "@all standup in 5").await;
    let _m4 = send(app, &w.owner, a, &format!("ask <@{}>", w.carol.user_id)).await;
    let m5 = send(app, &w.bob, a, &format!("me <@{}> and @all", w.bob.user_id)).await;
    assert_eq!(m2["mentions"], json!([w.bob.user_id]));
    assert_eq!(m3["mentions_all"], true);
    assert_eq!(order(my_chats(app, &w.bob).await), vec![a, b], "activity moves a chat up");

    let s = summary(app, &w.bob, a).await;
    assert_eq!(s["unread_count"], 4, "own messages are never unread: {s}");
    assert_eq!(s["mention_count"], 2, "<@bob> and @all count, <@carol> does not: {s}");
    assert_eq!(id(&s["last_message"]), id(&m5));
    assert_eq!(s["last_read_seq"], 0);
    let s = summary(app, &w.owner, a).await;
    assert_eq!((s["unread_count"].as_i64(), s["mention_count"].as_i64()), (Some(1), Some(1)), "{s}");

    advance(app, 1);
    send(app, &w.owner, b, "later").await;
    assert_eq!(order(my_chats(app, &w.bob).await), vec![b, a]);
    assert_eq!(order(my_chats(app, &w.owner).await), vec![b, a]);

    // Reading up to m2 leaves m3 (@all) and m4 unread.
    let r = mark_read(app, &w.bob, a, m2["seq"].as_i64().expect("seq")).await;
    r.expect(200);
    assert_eq!(r.body["last_read_seq"], m2["seq"]);
    assert_eq!(uuid_of(&r.body["user_id"]), w.bob.user_id);
    let s = summary(app, &w.bob, a).await;
    assert_eq!((s["unread_count"].as_i64(), s["mention_count"].as_i64()), (Some(2), Some(1)), "{s}");
    assert_eq!(s["last_read_seq"], m2["seq"]);

    // The mark never goes back.
    for back in [m1["seq"].as_i64().expect("seq"), 0, -3] {
        let r = mark_read(app, &w.bob, a, back).await;
        r.expect(200);
        assert_eq!(r.body["last_read_seq"], m2["seq"], "read mark moved back to {back}");
    }
    assert_eq!(summary(app, &w.bob, a).await["unread_count"], 2);

    // Past the end means "everything"; the mark stops at the chat's last seq.
    let r = mark_read(app, &w.bob, a, 1_000_000).await;
    r.expect(200);
    let last_seq = app.get(&format!("/chats/{a}"), &w.bob.access_token).await.body["last_seq"].clone();
    assert_eq!(r.body["last_read_seq"], last_seq);
    let s = summary(app, &w.bob, a).await;
    assert_eq!((s["unread_count"].as_i64(), s["mention_count"].as_i64()), (Some(0), Some(0)), "{s}");

    // A deleted message stops being unread.
    let x = send(app, &w.owner, a, "oops").await;
    send(app, &w.owner, a, "fine").await;
    assert_eq!(summary(app, &w.bob, a).await["unread_count"], 2);
    app.call("DELETE", &format!("/messages/{}", id(&x)), tok(&w.owner), None).await.expect(204);
    assert_eq!(summary(app, &w.bob, a).await["unread_count"], 1);

    // Only members have a read mark.
    mark_read(app, &w.carol, a, 1).await.expect_error(403, "forbidden");
    assert!(my_chats(app, &w.carol).await.is_empty());
}

// ---- Browse, join, leave, members -----------------------------------------------------

async fn browse_lists_public_channels_only(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let guest = app.invite_user(&w.owner, "guest", "guest@acme.test").await;
    let public = channel(app, &w.owner, "general", &[]).await;
    let private = new_chat(app, &w.owner, "channel", "board", true, &[]).await;
    let grp = group(app, &w.owner, "friends", &[&w.bob]).await;
    let archived = channel(app, &w.owner, "old", &[]).await;
    app.call("PATCH", &format!("/chats/{archived}"), tok(&w.owner), Some(json!({"archived": true})))
        .await
        .expect(200);
    app.post("/chats/direct", tok(&w.owner), json!({"user_id": w.bob.user_id})).await.expect(201);

    for who in [&w.carol, &w.owner, &w.bob] {
        let r = app.get("/chats/browse", &who.access_token).await;
        r.expect(200);
        let listed: Vec<Uuid> = ids(&arr(&r)).into_iter().filter(|c| *c != w.default).collect();
        assert_eq!(listed, vec![public], "{} browses {}", who.email, r.body);
    }
    app.get("/chats/browse", &guest.access_token).await.expect_error(403, "forbidden");

    // A public channel can be looked at before joining; private ones do not exist for outsiders.
    let r = app.get(&format!("/chats/{public}"), &w.carol.access_token).await;
    r.expect(200);
    assert_eq!(r.body["name"], "general");
    for hidden in [private, grp] {
        app.get(&format!("/chats/{hidden}"), &w.carol.access_token).await.expect_error(404, "not_found");
    }
    app.get(&format!("/chats/{public}"), &guest.access_token).await.expect_error(404, "not_found");
}

async fn joining_and_leaving_public_channels(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let guest = app.invite_user(&w.owner, "guest", "guest@acme.test").await;
    let public = channel(app, &w.owner, "general", &[&w.bob]).await;
    send(app, &w.owner, public, "before carol").await;

    let r = app.call("POST", &format!("/chats/{public}/join"), tok(&w.carol), None).await;
    r.expect(204);
    assert_eq!(
        member_ids(app, &w.owner, public).await,
        sorted(vec![w.owner.user_id, w.bob.user_id, w.carol.user_id])
    );
    assert_eq!(summary(app, &w.carol, public).await["role"], "member");
    assert_eq!(history(app, &w.carol, public, "").await.len(), 1, "a member reads the history");
    let log = events(app, &w.carol, public, 0).await;
    let joined = log.last().expect("an event");
    assert_eq!(joined["change"]["type"], "member_added");
    assert_eq!(uuid_of(&joined["change"]["user_id"]), w.carol.user_id);
    assert_eq!(uuid_of(&joined["change"]["by"]), w.carol.user_id);

    // Joining again changes nothing.
    app.call("POST", &format!("/chats/{public}/join"), tok(&w.carol), None).await.expect(204);
    assert_eq!(events(app, &w.carol, public, 0).await.len(), log.len(), "a second join is not an event");

    // Leaving: gone from my list, the content closed, the channel still visible.
    app.call("POST", &format!("/chats/{public}/leave"), tok(&w.carol), None).await.expect(204);
    assert!(!member_ids(app, &w.owner, public).await.contains(&w.carol.user_id));
    assert!(my_chats(app, &w.carol).await.is_empty());
    app.get(&format!("/chats/{public}/messages"), &w.carol.access_token).await.expect_error(403, "forbidden");
    app.get(&format!("/chats/{public}"), &w.carol.access_token).await.expect(200);
    let log = events(app, &w.owner, public, 0).await;
    assert_eq!(log.last().expect("event")["change"]["type"], "member_removed");
    app.call("POST", &format!("/chats/{public}/leave"), tok(&w.carol), None).await.expect(204);
    assert_eq!(events(app, &w.owner, public, 0).await.len(), log.len(), "leaving twice is one event");

    // Private channels and groups are joined only by being added; to outsiders they
    // do not exist, so the answer is "not found" rather than "forbidden".
    let private = new_chat(app, &w.owner, "channel", "board", true, &[]).await;
    let grp = group(app, &w.owner, "friends", &[]).await;
    for hidden in [private, grp] {
        app.call("POST", &format!("/chats/{hidden}/join"), tok(&w.carol), None)
            .await
            .expect_error(404, "not_found");
        assert_eq!(member_ids(app, &w.owner, hidden).await, vec![w.owner.user_id]);
    }
    // Guests join nothing by themselves.
    app.call("POST", &format!("/chats/{public}/join"), tok(&guest), None)
        .await
        .expect_error(404, "not_found");
    assert!(!member_ids(app, &w.owner, public).await.contains(&guest.user_id));
    // An archived channel takes nobody new.
    app.call("PATCH", &format!("/chats/{public}"), tok(&w.owner), Some(json!({"archived": true})))
        .await
        .expect(200);
    app.call("POST", &format!("/chats/{public}/join"), tok(&w.carol), None)
        .await
        .expect_error(409, "chat_archived");
    assert!(!member_ids(app, &w.owner, public).await.contains(&w.carol.user_id));
    // Unknown chats.
    app.call("POST", &format!("/chats/{}/join", Uuid::now_v7()), tok(&w.carol), None)
        .await
        .expect_error(404, "not_found");
}

async fn members_are_added_and_removed_by_the_right_people(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let dave = app.invite_user(&w.owner, "member", "dave@acme.test").await;
    let guest = app.invite_user(&w.owner, "guest", "guest@acme.test").await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let grp = group(app, &w.owner, "project", &[&w.bob]).await;

    // Any member may add people (as plain members).
    app.post(&format!("/chats/{grp}/members"), tok(&w.bob), json!({"user_id": w.carol.user_id}))
        .await
        .expect(204);
    assert_eq!(
        member_ids(app, &w.owner, grp).await,
        sorted(vec![w.owner.user_id, w.bob.user_id, w.carol.user_id])
    );
    // Adding someone twice changes nothing.
    let n = events(app, &w.owner, grp, 0).await.len();
    app.post(&format!("/chats/{grp}/members"), tok(&w.owner), json!({"user_id": w.carol.user_id}))
        .await
        .expect(204);
    assert_eq!(events(app, &w.owner, grp, 0).await.len(), n);
    // ... but only managers may give a role or remove others.
    app.post(
        &format!("/chats/{grp}/members"),
        tok(&w.bob),
        json!({"user_id": dave.user_id, "role": "admin"}),
    )
    .await
    .expect_error(403, "forbidden");
    app.call("DELETE", &format!("/chats/{grp}/members/{}", w.carol.user_id), tok(&w.bob), None)
        .await
        .expect_error(403, "forbidden");
    assert!(member_ids(app, &w.owner, grp).await.contains(&w.carol.user_id));
    assert!(!member_ids(app, &w.owner, grp).await.contains(&dave.user_id));
    // Nobody from outside the workspace, nobody who does not exist.
    for user in [other.user_id, Uuid::now_v7()] {
        let r = app.post(&format!("/chats/{grp}/members"), tok(&w.owner), json!({"user_id": user})).await;
        r.expect_error(422, "invalid_input");
    }
    // A guest in the chat may not add anyone; a non-member cannot see the group.
    app.post(&format!("/chats/{grp}/members"), tok(&w.owner), json!({"user_id": guest.user_id}))
        .await
        .expect(204);
    app.post(&format!("/chats/{grp}/members"), tok(&guest), json!({"user_id": dave.user_id}))
        .await
        .expect_error(403, "forbidden");
    app.post(&format!("/chats/{grp}/members"), tok(&dave), json!({"user_id": dave.user_id}))
        .await
        .expect_error(404, "not_found");
    app.get(&format!("/chats/{grp}/members"), &dave.access_token).await.expect_error(404, "not_found");

    // The chat's owner removes; removing a non-member is "not found".
    app.call("DELETE", &format!("/chats/{grp}/members/{}", w.carol.user_id), tok(&w.owner), None)
        .await
        .expect(204);
    assert!(!member_ids(app, &w.owner, grp).await.contains(&w.carol.user_id));
    app.call("DELETE", &format!("/chats/{grp}/members/{}", w.carol.user_id), tok(&w.owner), None)
        .await
        .expect_error(404, "not_found");
    // A chat admin made by the owner may remove others too.
    app.post(
        &format!("/chats/{grp}/members"),
        tok(&w.owner),
        json!({"user_id": dave.user_id, "role": "admin"}),
    )
    .await
    .expect(204);
    assert!(members(app, &w.owner, grp).await.contains(&(dave.user_id, "admin".to_string())));
    app.call("DELETE", &format!("/chats/{grp}/members/{}", guest.user_id), tok(&dave), None)
        .await
        .expect(204);
    // Anyone may remove themselves.
    app.call("DELETE", &format!("/chats/{grp}/members/{}", w.bob.user_id), tok(&w.bob), None)
        .await
        .expect(204);
    assert_eq!(member_ids(app, &w.owner, grp).await, sorted(vec![w.owner.user_id, dave.user_id]));
    let kinds: Vec<String> = events(app, &w.owner, grp, 0)
        .await
        .iter()
        .map(|e| e["change"]["type"].as_str().expect("type").to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "chat_updated",
            "member_added",
            "member_added",
            "member_removed",
            "member_added",
            "member_removed",
            "member_removed"
        ]
    );
}

// ---- Sending -------------------------------------------------------------------------

async fn sending_is_idempotent_per_client_msg_id(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = channel(app, &w.owner, "general", &[&w.bob]).await;
    let elsewhere = channel(app, &w.owner, "random", &[&w.bob]).await;

    let r = send_with(app, &w.owner, chat, json!({"body": "hello", "client_msg_id": "c-1"})).await;
    r.expect(201);
    let first = r.body.clone();
    assert_eq!(uuid_of(&first["chat_id"]), chat);
    assert_eq!(uuid_of(&first["author_id"]), w.owner.user_id);
    assert_eq!(first["seq"], 2);
    assert_eq!(first["kind"], "user");
    assert_eq!(first["body"], "hello");
    assert_eq!(first["html"], "<p>hello</p>\n");
    assert_eq!(first["client_msg_id"], "c-1");
    assert_eq!(first["reply_count"], 0);
    assert_eq!(first["reactions"], json!([]));
    for field in ["thread_root_id", "edited_at", "deleted_at", "pinned_at"] {
        assert!(first[field].is_null(), "{field} in {first}");
    }

    // Retries (even with another body) answer 200 with the very same message.
    for body in ["hello", "hello again"] {
        let r = send_with(app, &w.owner, chat, json!({"body": body, "client_msg_id": "c-1"})).await;
        r.expect(200);
        assert_eq!(r.body["id"], first["id"]);
        assert_eq!(r.body["seq"], first["seq"]);
        assert_eq!(r.body["body"], "hello");
    }
    let page = history(app, &w.owner, chat, "").await;
    assert_eq!(ids(&page), vec![id(&first)], "one message in history");
    assert_eq!(events(app, &w.owner, chat, 0).await.len(), 2, "a retry writes no event");

    // The key is per author: Bob's "c-1" is his own message.
    let r = send_with(app, &w.bob, chat, json!({"body": "mine", "client_msg_id": "c-1"})).await;
    r.expect(201);
    assert_ne!(r.body["id"], first["id"]);
    // Reusing a key in another chat is a conflict, not a silent success.
    let r = send_with(app, &w.owner, elsewhere, json!({"body": "hello", "client_msg_id": "c-1"})).await;
    r.expect_error(409, "client_msg_id_reused");
    assert!(history(app, &w.owner, elsewhere, "").await.is_empty());
    // Also from a sender who just posted there (not read again; the commit finds the key).
    send(app, &w.owner, elsewhere, "warm").await;
    let r = send_with(app, &w.owner, elsewhere, json!({"body": "hello", "client_msg_id": "c-1"})).await;
    r.expect_error(409, "client_msg_id_reused");
    assert_eq!(history(app, &w.owner, elsewhere, "").await.len(), 1);

    // Key shape: 1-64 printable ASCII characters.
    for bad in [String::new(), "k".repeat(65), "has space".to_string(), "ключ".to_string()] {
        let r = send_with(app, &w.owner, chat, json!({"body": "x", "client_msg_id": bad})).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "client_msg_id");
    }
    send_with(app, &w.owner, chat, json!({"body": "x", "client_msg_id": "k".repeat(64)})).await.expect(201);
    // Without a key every send is new.
    send(app, &w.owner, chat, "same").await;
    send(app, &w.owner, chat, "same").await;
    assert_eq!(history(app, &w.owner, chat, "").await.len(), 5);
}

async fn sends_are_validated_and_checked(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let public = channel(app, &w.owner, "general", &[&w.bob]).await;
    let grp = group(app, &w.owner, "private", &[&w.bob]).await;

    for body in [String::new(), "   \n\t ".to_string(), "x".repeat(10_001), "я".repeat(10_001)] {
        let r = send_with(app, &w.owner, public, json!({"body": body})).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "body");
    }
    // The limit counts characters, not bytes.
    let long = send(app, &w.owner, public, &"я".repeat(10_000)).await;
    assert_eq!(long["body"].as_str().expect("body").chars().count(), 10_000);
    // A message needs a body (or attachments, which are tested elsewhere).
    app.post(&format!("/chats/{public}/messages"), tok(&w.owner), json!({}))
        .await
        .expect_error(422, "invalid_input");
    send_with(app, &w.owner, public, json!({"body": 42})).await.expect_error(422, "invalid_body");

    // Not a member: a public channel says "forbidden", a private one does not exist.
    send_with(app, &w.carol, public, json!({"body": "let me in"})).await.expect_error(403, "forbidden");
    send_with(app, &w.carol, grp, json!({"body": "let me in"})).await.expect_error(404, "not_found");
    send_with(app, &w.carol, Uuid::now_v7(), json!({"body": "anyone?"})).await.expect_error(404, "not_found");

    // Archived chats take no messages (nor edits) until unarchived, also from
    // someone who posted a moment before (checked again by the commit).
    let before = send(app, &w.bob, grp, "before the archive").await;
    let r = app.call("PATCH", &format!("/chats/{grp}"), tok(&w.owner), Some(json!({"archived": true}))).await;
    r.expect(200);
    assert!(r.body["archived_at"].is_string());
    // One rule, one code for every write that meets an archived chat.
    let m = send_with(app, &w.bob, grp, json!({"body": "too late"})).await;
    m.expect_error(409, "chat_archived");
    assert_eq!(m.body["error"]["message"], "this chat is archived", "{}", m.body);
    send_with(app, &w.bob, grp, json!({"body": "too late", "client_msg_id": "late-1"}))
        .await
        .expect_error(409, "chat_archived");
    let edit_path = format!("/messages/{}", before["id"].as_str().expect("message id"));
    app.call("PATCH", &edit_path, tok(&w.bob), Some(json!({"body": "edited late"})))
        .await
        .expect_error(409, "chat_archived");
    // Over the socket, and through an incoming hook, the same code.
    let mut ws = app.ws(&w.bob.access_token, &[]).await;
    ws.send_message(grp, "too late", "late-ws").await;
    let f = ws.next_where(|f| f["type"] == "error" || f["type"] == "ack").await;
    assert_eq!((f["code"].as_str(), f["ref"].as_str()), (Some("chat_archived"), Some("late-ws")), "{f}");
    let hook =
        app.post("/hooks", tok(&w.owner), json!({"kind": "incoming", "name": "CI", "chat_id": grp})).await;
    hook.expect(201);
    let hook_path = format!("/hooks/in/{}", hook.body["token"].as_str().expect("token"));
    app.post(&hook_path, None, json!({"text": "build green"})).await.expect_error(409, "chat_archived");
    let r =
        app.call("PATCH", &format!("/chats/{grp}"), tok(&w.owner), Some(json!({"archived": false}))).await;
    r.expect(200);
    assert!(r.body["archived_at"].is_null());
    send(app, &w.bob, grp, "back again").await;

    assert_eq!(history(app, &w.owner, public, "").await.len(), 1, "rejected sends stored nothing");
    assert_eq!(history(app, &w.owner, grp, "").await.len(), 2);
}

/// Sends checked at the same moment are read together (`send_checks.rs`); each
/// still gets the answer for its own sender, chat and key: members post, a
/// stranger is refused, unknown and hidden chats are not found, a retry returns
/// the first message.
async fn concurrent_sends_are_each_checked_on_their_own(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let public = channel(app, &w.owner, "general", &[&w.bob]).await;
    let grp = group(app, &w.owner, "private", &[&w.bob]).await;
    let first = send_with(app, &w.bob, public, json!({"body": "first", "client_msg_id": "again"})).await;
    first.expect(201);

    const ROUNDS: usize = 20;
    let mut sends = Vec::new();
    for i in 0..ROUNDS {
        sends.push((201, send_with(app, &w.bob, public, json!({"body": format!("bob {i}")}))));
        sends.push((201, send_with(app, &w.owner, grp, json!({"body": format!("owner {i}")}))));
        sends.push((403, send_with(app, &w.carol, public, json!({"body": "let me in"}))));
        sends.push((404, send_with(app, &w.carol, grp, json!({"body": "let me in"}))));
        sends.push((404, send_with(app, &w.bob, Uuid::now_v7(), json!({"body": "anyone?"}))));
        sends.push((200, send_with(app, &w.bob, public, json!({"body": "first", "client_msg_id": "again"}))));
    }
    let (expected, calls): (Vec<u16>, Vec<_>) = sends.into_iter().unzip();
    let answers = futures_util::future::join_all(calls).await;
    for (want, r) in expected.into_iter().zip(&answers) {
        r.expect(want);
        if want == 200 {
            assert_eq!(r.body["id"], first.body["id"], "a retry gets the first message");
        }
    }
    assert_eq!(history(app, &w.bob, public, "limit=100").await.len(), ROUNDS + 1);
    assert_eq!(history(app, &w.bob, grp, "limit=100").await.len(), ROUNDS);
}

// ---- History ---------------------------------------------------------------------------

async fn history_pages(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = channel(app, &w.owner, "general", &[&w.bob]).await;
    let mut s = Vec::new();
    for i in 0..10 {
        s.push(send(app, &w.owner, chat, &format!("m{i}")).await["seq"].as_i64().expect("seq"));
    }

    let all = history(app, &w.bob, chat, "").await;
    assert_eq!(seqs(&all), s, "latest page, ascending");
    assert_eq!(all[0]["body"], "m0");
    assert_eq!(seqs(&history(app, &w.bob, chat, "limit=3").await), s[7..]);
    assert_eq!(seqs(&history(app, &w.bob, chat, &format!("before={}&limit=2", s[4])).await), s[2..4]);
    assert_eq!(seqs(&history(app, &w.bob, chat, &format!("before={}", s[2])).await), s[..2]);
    assert_eq!(seqs(&history(app, &w.bob, chat, &format!("after={}&limit=2", s[4])).await), s[5..7]);
    assert_eq!(seqs(&history(app, &w.bob, chat, &format!("after={}", s[7])).await), s[8..]);
    assert!(history(app, &w.bob, chat, &format!("after={}", s[9])).await.is_empty());
    assert_eq!(seqs(&history(app, &w.bob, chat, &format!("around={}&limit=4", s[4])).await), s[2..6]);
    assert_eq!(seqs(&history(app, &w.bob, chat, &format!("around={}&limit=5", s[4])).await), s[2..7]);
    assert_eq!(seqs(&history(app, &w.bob, chat, &format!("around={}&limit=4", s[0])).await), s[..4]);
    assert_eq!(seqs(&history(app, &w.bob, chat, &format!("around={}&limit=4", s[9])).await), s[7..]);
    assert_eq!(seqs(&history(app, &w.bob, chat, "limit=200").await), s);
    assert_eq!(seqs(&history(app, &w.bob, chat, "limit=1").await), s[9..]);

    for bad in
        ["limit=0", "limit=201", "limit=-1", "before=3&after=1", "after=1&around=3", "before=1&around=2"]
    {
        let r = app.get(&format!("/chats/{chat}/messages?{bad}"), &w.bob.access_token).await;
        r.expect_error(422, "invalid_input");
    }
    for bad in ["before=x", "limit=ten", "after=1.5", "nope=1"] {
        let r = app.get(&format!("/chats/{chat}/messages?{bad}"), &w.bob.access_token).await;
        r.expect_error(400, "invalid_query");
    }

    // The default page is 50.
    for i in 10..55 {
        s.push(send(app, &w.owner, chat, &format!("m{i}")).await["seq"].as_i64().expect("seq"));
    }
    assert_eq!(seqs(&history(app, &w.bob, chat, "").await), s[5..]);
    assert_eq!(seqs(&history(app, &w.bob, chat, &format!("before={}", s[5])).await), s[..5]);
}

async fn threads(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = group(app, &w.owner, "project", &[&w.bob]).await;
    let other = group(app, &w.owner, "other", &[&w.bob]).await;
    let root = send(app, &w.owner, chat, "root").await;
    let root_id = id(&root);
    let after_root = send(app, &w.owner, chat, "top level").await;

    let r = send_with(app, &w.bob, chat, json!({"body": "reply 1", "thread_root_id": root_id})).await;
    r.expect(201);
    let reply = r.body.clone();
    assert_eq!(uuid_of(&reply["thread_root_id"]), root_id);

    let top = history(app, &w.owner, chat, "").await;
    assert_eq!(ids(&top), vec![root_id, id(&after_root)], "replies stay out of the top level");
    assert_eq!(top[0]["reply_count"], 1);
    assert!(top[0]["last_reply_at"].is_string());
    assert_eq!(top[1]["reply_count"], 0);
    let thread = app.get(&format!("/messages/{root_id}/thread"), &w.owner.access_token).await;
    thread.expect(200);
    assert_eq!(ids(&arr(&thread)), vec![id(&reply)]);

    // Replies go to the first message of a thread, in the same chat, that exists.
    for bad_root in [id(&reply), id(&send(app, &w.owner, other, "elsewhere").await), Uuid::now_v7()] {
        let r = send_with(app, &w.owner, chat, json!({"body": "nested", "thread_root_id": bad_root})).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], "thread_root_id");
    }

    let r2 = send_with(app, &w.owner, chat, json!({"body": "reply 2", "thread_root_id": root_id})).await;
    r2.expect(201);
    let thread = app.get(&format!("/messages/{root_id}/thread"), &w.bob.access_token).await;
    thread.expect(200);
    assert_eq!(ids(&arr(&thread)), vec![id(&reply), id(&r2.body)]);
    assert!(seqs(&arr(&thread))[0] < seqs(&arr(&thread))[1]);
    let thread = app.get(&format!("/messages/{root_id}/thread?limit=1"), &w.bob.access_token).await;
    assert_eq!(ids(&arr(&thread)), vec![id(&r2.body)]);
    assert_eq!(history(app, &w.owner, chat, "").await[0]["reply_count"], 2);
    assert_eq!(history(app, &w.owner, chat, "").await.len(), 2);
    app.get(&format!("/messages/{root_id}/thread?limit=0"), &w.bob.access_token)
        .await
        .expect_error(422, "invalid_input");

    // Outsiders do not see the thread; a deleted root takes no more replies.
    app.get(&format!("/messages/{root_id}/thread"), &w.carol.access_token)
        .await
        .expect_error(404, "not_found");
    app.get(&format!("/messages/{}/thread", Uuid::now_v7()), &w.bob.access_token)
        .await
        .expect_error(404, "not_found");
    app.call("DELETE", &format!("/messages/{root_id}"), tok(&w.owner), None).await.expect(204);
    send_with(app, &w.bob, chat, json!({"body": "late", "thread_root_id": root_id}))
        .await
        .expect_error(422, "invalid_input");
}

// ---- The event log -------------------------------------------------------------------

async fn event_log_is_gap_free_and_names_every_change(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = channel(app, &w.owner, "general", &[&w.bob]).await;
    let owner = &w.owner;
    let bob = &w.bob;
    let call = |by: &Session, method: &'static str, path: String| {
        let token = by.access_token.clone();
        async move {
            app.call(method, &path, Some(&token), None).await.expect(204);
        }
    };

    app.post(&format!("/chats/{chat}/members"), tok(owner), json!({"user_id": w.carol.user_id}))
        .await
        .expect(204);
    let m = send(app, owner, chat, "first").await;
    let mid = id(&m);
    app.call("PATCH", &format!("/messages/{mid}"), tok(owner), Some(json!({"body": "first, edited"})))
        .await
        .expect(200);
    // Each change once, each repeated as a no-op that must not take a seq.
    call(bob, "PUT", format!("/messages/{mid}/reactions/👍")).await;
    call(bob, "PUT", format!("/messages/{mid}/reactions/👍")).await;
    call(owner, "PUT", format!("/messages/{mid}/pin")).await;
    call(owner, "PUT", format!("/messages/{mid}/pin")).await;
    call(owner, "DELETE", format!("/messages/{mid}/pin")).await;
    call(owner, "DELETE", format!("/messages/{mid}/pin")).await;
    call(bob, "DELETE", format!("/messages/{mid}/reactions/👍")).await;
    call(bob, "DELETE", format!("/messages/{mid}/reactions/👍")).await;
    let reply = send_with(app, bob, chat, json!({"body": "secret reply", "thread_root_id": mid})).await;
    reply.expect(201);
    let rid = id(&reply.body);
    call(bob, "DELETE", format!("/messages/{rid}")).await;
    call(owner, "DELETE", format!("/chats/{chat}/members/{}", w.carol.user_id)).await;
    app.call("PATCH", &format!("/chats/{chat}"), tok(owner), Some(json!({"name": "renamed"})))
        .await
        .expect(200);
    call(bob, "POST", format!("/chats/{chat}/join")).await;

    let log = events(app, &w.bob, chat, 0).await;
    let kinds: Vec<&str> = log.iter().map(|e| e["change"]["type"].as_str().expect("type")).collect();
    assert_eq!(
        kinds,
        [
            "chat_updated",
            "member_added",
            "message_created",
            "message_edited",
            "reaction_added",
            "message_pinned",
            "message_unpinned",
            "reaction_removed",
            "message_created",
            "message_deleted",
            "member_removed",
            "chat_updated",
        ]
    );
    let n = log.len() as i64;
    assert_eq!(seqs(&log), (1..=n).collect::<Vec<_>>(), "seqs are 1, 2, 3, … without gaps");
    assert!(log.iter().all(|e| uuid_of(&e["chat_id"]) == chat && e["created_at"].is_string()));
    assert_eq!(app.get(&format!("/chats/{chat}"), &w.bob.access_token).await.body["last_seq"], n);

    // Payloads say what changed.
    assert_eq!(log[0]["change"]["chat"]["name"], "general");
    assert_eq!(uuid_of(&log[1]["change"]["user_id"]), w.carol.user_id);
    assert_eq!(log[1]["change"]["role"], "member");
    assert_eq!(uuid_of(&log[1]["change"]["by"]), w.owner.user_id);
    assert_eq!(id(&log[2]["change"]["message"]), mid);
    assert_eq!(log[2]["seq"], m["seq"]);
    assert_eq!(log[3]["change"]["message"]["body"], "first, edited");
    assert!(log[3]["change"]["message"]["edited_at"].is_string());
    assert_eq!(uuid_of(&log[4]["change"]["message_id"]), mid);
    assert_eq!(uuid_of(&log[4]["change"]["user_id"]), w.bob.user_id);
    assert_eq!(log[4]["change"]["emoji"], "👍");
    assert_eq!(uuid_of(&log[5]["change"]["by"]), w.owner.user_id);
    assert_eq!(uuid_of(&log[7]["change"]["user_id"]), w.bob.user_id);
    assert_eq!(uuid_of(&log[9]["change"]["message_id"]), rid);
    assert_eq!(uuid_of(&log[9]["change"]["thread_root_id"]), mid);
    assert_eq!(uuid_of(&log[10]["change"]["user_id"]), w.carol.user_id);
    assert_eq!(log[11]["change"]["chat"]["name"], "renamed");
    // A deleted message's text is gone from the log too.
    assert_eq!(id(&log[8]["change"]["message"]), rid);
    assert_eq!(log[8]["change"]["message"]["body"], "");
    assert!(log[8]["change"]["message"]["deleted_at"].is_string());
    assert!(!log.iter().any(|e| e.to_string().contains("secret reply")));

    // Reading from a cursor.
    assert_eq!(seqs(&events(app, &w.bob, chat, n - 2).await), vec![n - 1, n]);
    assert!(events(app, &w.bob, chat, n).await.is_empty());
    assert_eq!(seqs(&events(app, &w.bob, chat, -5).await).len() as i64, n);
    let r = app.get(&format!("/chats/{chat}/events?after=0&limit=3"), &w.bob.access_token).await;
    r.expect(200);
    assert_eq!(seqs(&arr(&r)), vec![1, 2, 3]);
    for bad in ["after=0&limit=0", "after=0&limit=201"] {
        app.get(&format!("/chats/{chat}/events?{bad}"), &w.bob.access_token)
            .await
            .expect_error(422, "invalid_input");
    }
    for bad in ["", "after=x", "after=0&nope=1"] {
        app.get(&format!("/chats/{chat}/events?{bad}"), &w.bob.access_token)
            .await
            .expect_error(400, "invalid_query");
    }
}

// ---- Edits, deletes, reactions, pins, read-by ---------------------------------------

async fn edits_by_the_author_keep_a_history(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = group(app, &w.owner, "project", &[&w.bob]).await;
    let m = send(app, &w.bob, chat, "first version").await;
    let mid = id(&m);
    let edit = |by: &Session, body: &str| {
        let (token, body) = (by.access_token.clone(), body.to_string());
        async move {
            app.call("PATCH", &format!("/messages/{mid}"), Some(&token), Some(json!({"body": body}))).await
        }
    };

    // Only the author edits, even the chat's owner may not; outsiders do not see it.
    edit(&w.owner, "hijacked").await.expect_error(403, "forbidden");
    edit(&w.carol, "hijacked").await.expect_error(404, "not_found");

    advance(app, 60);
    let r = edit(&w.bob, "second **version**").await;
    r.expect(200);
    assert_eq!(id(&r.body), mid);
    assert_eq!(r.body["seq"], m["seq"], "an edit keeps the message's place");
    assert_eq!(r.body["body"], "second **version**");
    assert_eq!(r.body["html"], "<p>second <strong>version</strong></p>\n");
    assert!(r.body["edited_at"].is_string());
    assert_ne!(r.body["edited_at"], m["created_at"]);
    let page = history(app, &w.owner, chat, "").await;
    assert_eq!(page[0]["body"], "second **version**");
    assert_eq!(page[0]["edited_at"], r.body["edited_at"]);

    let r = edit(&w.bob, "third").await;
    r.expect(200);
    for who in [&w.bob, &w.owner] {
        let r = app.get(&format!("/messages/{mid}/edits"), &who.access_token).await;
        r.expect(200);
        let bodies: Vec<Value> = arr(&r).iter().map(|e| e["body"].clone()).collect();
        assert_eq!(bodies, [json!("first version"), json!("second **version**")], "oldest first");
        assert!(arr(&r).iter().all(|e| e["replaced_at"].is_string()));
    }
    app.get(&format!("/messages/{mid}/edits"), &w.carol.access_token).await.expect_error(404, "not_found");

    for bad in [String::new(), "  ".to_string(), "x".repeat(10_001)] {
        edit(&w.bob, &bad).await.expect_error(422, "invalid_input");
    }
    assert_eq!(history(app, &w.owner, chat, "").await[0]["body"], "third", "rejected edits changed nothing");

    // Archived: no edits. Deleted: nothing left to edit, and its versions are gone.
    app.call("PATCH", &format!("/chats/{chat}"), tok(&w.owner), Some(json!({"archived": true})))
        .await
        .expect(200);
    edit(&w.bob, "fourth").await.expect_error(409, "chat_archived");
    app.call("PATCH", &format!("/chats/{chat}"), tok(&w.owner), Some(json!({"archived": false})))
        .await
        .expect(200);
    app.call("DELETE", &format!("/messages/{mid}"), tok(&w.bob), None).await.expect(204);
    edit(&w.bob, "fifth").await.expect_error(404, "not_found");
    let r = app.get(&format!("/messages/{mid}/edits"), &w.bob.access_token).await;
    r.expect(200);
    assert_eq!(r.body, json!([]));
    app.call("PATCH", &format!("/messages/{}", Uuid::now_v7()), tok(&w.bob), Some(json!({"body": "x"})))
        .await
        .expect_error(404, "not_found");
}

async fn deletes_leave_tombstones(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let dave = app.invite_user(&w.owner, "member", "dave@acme.test").await;
    let chat = group(app, &w.owner, "project", &[&w.bob, &w.carol]).await;
    app.post(
        &format!("/chats/{chat}/members"),
        tok(&w.owner),
        json!({"user_id": dave.user_id, "role": "admin"}),
    )
    .await
    .expect(204);
    let del = |by: &Session, mid: Uuid| {
        let token = by.access_token.clone();
        async move { app.call("DELETE", &format!("/messages/{mid}"), Some(&token), None).await }
    };

    let m1 = send(app, &w.bob, chat, "my **secret**").await;
    app.call("PUT", &format!("/messages/{}/reactions/👍", id(&m1)), tok(&w.carol), None).await.expect(204);
    advance(app, 5);
    del(&w.bob, id(&m1)).await.expect(204);
    let page = history(app, &w.carol, chat, "").await;
    assert_eq!(page.len(), 1, "the tombstone keeps its place");
    let t = &page[0];
    assert_eq!(id(t), id(&m1));
    assert_eq!(t["seq"], m1["seq"]);
    assert_eq!(t["body"], "");
    assert_eq!(t["html"], "");
    assert!(t["deleted_at"].is_string());
    assert_eq!(t["reactions"], json!([]), "reactions go with the text");
    assert!(!page.iter().any(|m| m.to_string().contains("secret")));
    del(&w.bob, id(&m1)).await.expect_error(404, "not_found");
    // Nothing to react to, pin, or reply to any more.
    app.call("PUT", &format!("/messages/{}/reactions/👍", id(&m1)), tok(&w.carol), None)
        .await
        .expect_error(404, "not_found");
    app.call("PUT", &format!("/messages/{}/pin", id(&m1)), tok(&w.owner), None)
        .await
        .expect_error(404, "not_found");

    // Others' messages: chat owners and admins may delete them, plain members may not.
    let m2 = send(app, &w.bob, chat, "second").await;
    let m3 = send(app, &w.bob, chat, "third").await;
    let m4 = send(app, &w.owner, chat, "owner's").await;
    del(&w.carol, id(&m2)).await.expect_error(403, "forbidden");
    del(&w.bob, id(&m4)).await.expect_error(403, "forbidden");
    del(&w.carol, id(&m4)).await.expect_error(403, "forbidden");
    del(&dave, id(&m2)).await.expect(204);
    del(&w.owner, id(&m3)).await.expect(204);
    // Outsiders do not see the message at all.
    let outsider = app.invite_user(&w.owner, "member", "eve@acme.test").await;
    del(&outsider, id(&m4)).await.expect_error(404, "not_found");
    del(&w.owner, Uuid::now_v7()).await.expect_error(404, "not_found");

    let page = history(app, &w.owner, chat, "").await;
    let deleted: Vec<bool> = page.iter().map(|m| m["deleted_at"].is_string()).collect();
    assert_eq!(deleted, [true, true, true, false]);
    assert_eq!(page[3]["body"], "owner's");
    // The chat list skips tombstones for its preview.
    assert_eq!(id(&summary(app, &w.carol, chat).await["last_message"]), id(&m4));
    del(&w.owner, id(&m4)).await.expect(204);
    assert!(summary(app, &w.carol, chat).await["last_message"].is_null());
}

async fn reactions_are_grouped_and_idempotent(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = group(app, &w.owner, "project", &[&w.bob, &w.carol]).await;
    let m = send(app, &w.owner, chat, "ship it?").await;
    let mid = id(&m);
    let react = |by: &Session, method: &'static str, emoji: &str| {
        let (token, path) = (by.access_token.clone(), format!("/messages/{mid}/reactions/{emoji}"));
        async move { app.call(method, &path, Some(&token), None).await }
    };
    let owner = &w.owner;
    let groups = move || async move {
        let page = history(app, owner, chat, "").await;
        page[0]["reactions"].as_array().expect("reactions").clone()
    };
    let group_of = |groups: &[Value], emoji: &str| groups.iter().find(|g| g["emoji"] == emoji).cloned();

    react(&w.bob, "PUT", "👍").await.expect(204);
    react(&w.bob, "PUT", "👍").await.expect(204);
    let g = groups().await;
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0], json!({"emoji": "👍", "count": 1, "user_ids": [w.bob.user_id]}));

    advance(app, 1);
    react(&w.carol, "PUT", "👍").await.expect(204);
    advance(app, 1);
    react(&w.bob, "PUT", ":tada:").await.expect(204);
    let g = groups().await;
    assert_eq!(g.len(), 2, "{g:?}");
    let thumbs = group_of(&g, "👍").expect("👍 group");
    assert_eq!(thumbs["count"], 2);
    assert_eq!(
        sorted(thumbs["user_ids"].as_array().expect("ids").iter().map(uuid_of).collect()),
        sorted(vec![w.bob.user_id, w.carol.user_id])
    );
    assert_eq!(group_of(&g, ":tada:").expect("tada")["count"], 1);
    assert_eq!(g[0]["emoji"], "👍", "groups in first-reacted order");

    react(&w.bob, "DELETE", "👍").await.expect(204);
    react(&w.bob, "DELETE", "👍").await.expect(204);
    let g = groups().await;
    assert_eq!(
        group_of(&g, "👍").expect("👍"),
        json!({"emoji": "👍", "count": 1, "user_ids": [w.carol.user_id]})
    );
    react(&w.carol, "DELETE", "👍").await.expect(204);
    react(&w.bob, "DELETE", ":tada:").await.expect(204);
    assert!(groups().await.is_empty());

    for bad in ["a%20b", &"x".repeat(33), "%09"] {
        react(&w.bob, "PUT", bad).await.expect_error(422, "invalid_input");
    }
    react(&w.bob, "PUT", &"x".repeat(32)).await.expect(204);
    let outsider = app.invite_user(&w.owner, "member", "eve@acme.test").await;
    react(&outsider, "PUT", "👍").await.expect_error(404, "not_found");
    react(&outsider, "DELETE", "👍").await.expect_error(404, "not_found");
    app.call("PUT", &format!("/messages/{}/reactions/👍", Uuid::now_v7()), tok(&w.bob), None)
        .await
        .expect_error(404, "not_found");
}

async fn pins_are_set_by_chat_admins(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = group(app, &w.owner, "project", &[&w.bob]).await;
    let m1 = send(app, &w.bob, chat, "one").await;
    let m2 = send(app, &w.bob, chat, "two").await;
    let pin = |by: &Session, method: &'static str, mid: Uuid| {
        let token = by.access_token.clone();
        async move { app.call(method, &format!("/messages/{mid}/pin"), Some(&token), None).await }
    };
    let pins = |by: &Session| {
        let token = by.access_token.clone();
        async move {
            let r = app.get(&format!("/chats/{chat}/pins"), &token).await;
            r.expect(200);
            arr(&r)
        }
    };

    assert!(pins(&w.bob).await.is_empty());
    pin(&w.bob, "PUT", id(&m1)).await.expect_error(403, "forbidden");
    pin(&w.owner, "PUT", id(&m1)).await.expect(204);
    pin(&w.owner, "PUT", id(&m1)).await.expect(204);
    let p = pins(&w.bob).await;
    assert_eq!(ids(&p), vec![id(&m1)]);
    assert!(p[0]["pinned_at"].is_string());
    advance(app, 1);
    pin(&w.owner, "PUT", id(&m2)).await.expect(204);
    assert_eq!(ids(&pins(&w.bob).await), vec![id(&m2), id(&m1)], "latest pin first");
    assert!(history(app, &w.bob, chat, "").await.iter().all(|m| m["pinned_at"].is_string()));

    pin(&w.bob, "DELETE", id(&m1)).await.expect_error(403, "forbidden");
    pin(&w.owner, "DELETE", id(&m1)).await.expect(204);
    pin(&w.owner, "DELETE", id(&m1)).await.expect(204);
    assert_eq!(ids(&pins(&w.owner).await), vec![id(&m2)]);
    assert!(history(app, &w.bob, chat, "").await[0]["pinned_at"].is_null());
    // Deleting a pinned message unpins it.
    app.call("DELETE", &format!("/messages/{}", id(&m2)), tok(&w.bob), None).await.expect(204);
    assert!(pins(&w.owner).await.is_empty());

    // In a direct chat both people may pin.
    let dm = id(&app.post("/chats/direct", tok(&w.bob), json!({"user_id": w.carol.user_id})).await.body);
    let d = send(app, &w.bob, dm, "remember this").await;
    pin(&w.carol, "PUT", id(&d)).await.expect(204);
    let r = app.get(&format!("/chats/{dm}/pins"), &w.bob.access_token).await;
    assert_eq!(ids(&arr(&r)), vec![id(&d)]);

    // Outsiders see neither the pins nor the message.
    app.get(&format!("/chats/{chat}/pins"), &w.carol.access_token).await.expect_error(404, "not_found");
    pin(&w.carol, "PUT", id(&m1)).await.expect_error(404, "not_found");
    pin(&w.owner, "PUT", Uuid::now_v7()).await.expect_error(404, "not_found");
}

async fn read_by_follows_read_marks(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let dave = app.invite_user(&w.owner, "member", "dave@acme.test").await;
    let chat = group(app, &w.owner, "project", &[&w.bob, &w.carol]).await;
    let m1 = send(app, &w.owner, chat, "one").await;
    let m2 = send(app, &w.owner, chat, "two").await;
    let owner = &w.owner;
    let read_by = move |mid: Uuid| async move {
        let r = app.get(&format!("/messages/{mid}/read-by"), &owner.access_token).await;
        r.expect(200);
        let v: Vec<Uuid> = arr(&r).iter().map(uuid_of).collect();
        v
    };
    let m1_seq = m1["seq"].as_i64().expect("seq");
    let m2 = (id(&m2), m2["seq"].as_i64().expect("seq"));
    let m1 = id(&m1);

    assert!(!read_by(m1).await.contains(&w.bob.user_id));
    mark_read(app, &w.bob, chat, m1_seq).await.expect(200);
    assert!(read_by(m1).await.contains(&w.bob.user_id));
    assert!(!read_by(m2.0).await.contains(&w.bob.user_id));
    assert!(!read_by(m1).await.contains(&w.carol.user_id));
    mark_read(app, &w.carol, chat, m2.1).await.expect(200);
    let r1 = read_by(m1).await;
    assert!(r1.contains(&w.bob.user_id) && r1.contains(&w.carol.user_id), "{r1:?}");
    let r2 = read_by(m2.0).await;
    assert!(r2.contains(&w.carol.user_id) && !r2.contains(&w.bob.user_id), "{r2:?}");
    // Members may ask, outsiders get nothing.
    app.get(&format!("/messages/{m1}/read-by"), &w.bob.access_token).await.expect(200);
    app.get(&format!("/messages/{m1}/read-by"), &dave.access_token).await.expect_error(404, "not_found");
    app.get(&format!("/messages/{}/read-by", Uuid::now_v7()), &w.bob.access_token)
        .await
        .expect_error(404, "not_found");
}

/// A mention is kept in the source as `<@id>` and rendered as inert escaped
/// text (clients turn it into a name): never a tag, never dropped.
async fn mentions_render_as_escaped_text(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = channel(app, &w.owner, "general", &[&w.bob]).await;
    let body = format!("<@{}> call **now**", w.bob.user_id);
    let m = send(app, &w.owner, chat, &body).await;
    let expected = format!("<p>&lt;@{}&gt; call <strong>now</strong></p>\n", w.bob.user_id);
    assert_eq!(m["body"], body.as_str());
    assert_eq!(m["html"], expected.as_str());
    assert_eq!(m["mentions"], json!([w.bob.user_id]));
    assert_eq!(history(app, &w.bob, chat, "").await[0]["html"], expected.as_str());
}

async fn rendered_html_is_safe_end_to_end(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = channel(app, &w.owner, "general", &[&w.bob]).await;
    let attack = "<script>alert(1)</script>[x](javascript:alert(1))";
    // Nothing executable may reach a client: no script element, and no tag carrying a
    // javascript: URL or an event handler. (Inert text may still read
    // "javascript:…": on one line with <script> the whole line is an HTML block, so the
    // link syntax is not a link but escaped text.)
    let check = |m: &Value, source: &str| {
        assert_eq!(m["body"], source, "the source is kept verbatim");
        let html = m["html"].as_str().expect("html").to_lowercase();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert(1)</script"), "script content survived: {html}");
        for tag in tags(&html) {
            assert!(!tag.contains("javascript:") && !tag.contains("data:"), "{tag} in {html}");
            assert!(!tag.contains("onerror") && !tag.contains("onload"), "{tag} in {html}");
        }
    };
    let m = send(app, &w.owner, chat, attack).await;
    check(&m, attack);
    check(&history(app, &w.bob, chat, "").await[0], attack);
    let created =
        events(app, &w.bob, chat, 0).await.into_iter().find(|e| e["change"]["type"] == "message_created");
    check(&created.expect("event")["change"]["message"], attack);

    // On its own line the link is parsed as one, and must lose its URL.
    let split = "<script>alert(1)</script>\n\n[x](javascript:alert(1))";
    let m2 = send(app, &w.owner, chat, split).await;
    check(&m2, split);
    let html = m2["html"].as_str().expect("html").to_lowercase();
    assert!(!html.contains("javascript:"), "{html}");

    let more = "<img src=x onerror=alert(1)> <svg onload=alert(1)> [y](JaVaScRiPt:alert(2)) **fine**";
    let r =
        app.call("PATCH", &format!("/messages/{}", id(&m)), tok(&w.owner), Some(json!({"body": more}))).await;
    r.expect(200);
    check(&r.body, more);
    assert!(r.body["html"].as_str().expect("html").contains("<strong>fine</strong>"));
    check(&history(app, &w.bob, chat, "").await[0], more);
    assert!(!r.body["html"].as_str().expect("html").to_lowercase().contains("javascript:"));
    let s = summary(app, &w.bob, chat).await;
    check(&s["last_message"], split);
}

/// The tags (`<…>`) of an HTML string, lower-cased as given.
fn tags(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start..];
        let end = after.find('>').map_or(after.len(), |e| e + 1);
        out.push(after[..end].to_string());
        rest = &after[end..];
    }
    out
}

// ---- Isolation -----------------------------------------------------------------------

async fn another_workspace_cannot_see_or_touch_chats(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let stranger = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    app.leave_default_channel(&stranger).await;
    let chat = channel(app, &w.owner, "general", &[&w.bob]).await;
    let m = send(app, &w.owner, chat, "internal").await;
    let mid = id(&m);
    send_with(app, &w.bob, chat, json!({"body": "reply", "thread_root_id": mid})).await.expect(201);
    app.call("PUT", &format!("/messages/{mid}/pin"), tok(&w.owner), None).await.expect(204);
    app.call("PUT", &format!("/messages/{mid}/reactions/👍"), tok(&w.bob), None).await.expect(204);
    let log_before = events(app, &w.owner, chat, 0).await;
    let members_before = members(app, &w.owner, chat).await;
    let bob = w.bob.user_id;

    let cases: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/chats/{chat}"), None),
        ("PATCH", format!("/chats/{chat}"), Some(json!({"name": "pwned", "archived": true}))),
        ("POST", format!("/chats/{chat}/join"), None),
        ("POST", format!("/chats/{chat}/leave"), None),
        ("GET", format!("/chats/{chat}/members"), None),
        ("POST", format!("/chats/{chat}/members"), Some(json!({"user_id": stranger.user_id}))),
        ("DELETE", format!("/chats/{chat}/members/{bob}"), None),
        ("POST", format!("/chats/{chat}/read"), Some(json!({"seq": 1}))),
        ("GET", format!("/chats/{chat}/messages"), None),
        ("POST", format!("/chats/{chat}/messages"), Some(json!({"body": "hi", "client_msg_id": "x-1"}))),
        ("GET", format!("/chats/{chat}/events?after=0"), None),
        ("GET", format!("/chats/{chat}/pins"), None),
        ("GET", format!("/messages/{mid}/thread"), None),
        ("PATCH", format!("/messages/{mid}"), Some(json!({"body": "pwned"}))),
        ("DELETE", format!("/messages/{mid}"), None),
        ("GET", format!("/messages/{mid}/edits"), None),
        ("PUT", format!("/messages/{mid}/reactions/👍"), None),
        ("DELETE", format!("/messages/{mid}/reactions/👍"), None),
        ("PUT", format!("/messages/{mid}/pin"), None),
        ("DELETE", format!("/messages/{mid}/pin"), None),
        ("GET", format!("/messages/{mid}/read-by"), None),
    ];
    for (method, path, body) in &cases {
        let r = app.call(method, path, tok(&stranger), body.clone()).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
        assert_eq!(r.code(), "not_found", "{method} {path}: {}", r.body);
        assert!(!r.body.to_string().contains("internal") && !r.body.to_string().contains("general"));
    }
    // Not even in lists, and nothing changed.
    assert!(my_chats(app, &stranger).await.is_empty());
    let r = app.get("/chats/browse", &stranger.access_token).await;
    r.expect(200);
    assert!(!ids(&arr(&r)).contains(&chat));
    assert_eq!(events(app, &w.owner, chat, 0).await, log_before);
    assert_eq!(members(app, &w.owner, chat).await, members_before);
    let page = history(app, &w.owner, chat, "").await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["body"], "internal");
    assert!(page[0]["pinned_at"].is_string());
}

async fn a_removed_member_loses_access_at_once(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let public = channel(app, &w.owner, "general", &[&w.bob]).await;
    let grp = group(app, &w.owner, "project", &[&w.bob]).await;
    let keyed = json!({"body": "bob was here", "client_msg_id": "b-1"});
    let mine = send_with(app, &w.bob, public, keyed.clone()).await;
    mine.expect(201);
    let mine = mine.body;
    let mid = id(&mine);
    let gm = id(&send(app, &w.bob, grp, "bob in the group").await);
    // Bob can read everything while he is in.
    for path in [
        format!("/chats/{public}/messages"),
        format!("/chats/{public}/events?after=0"),
        format!("/chats/{public}/members"),
        format!("/chats/{public}/pins"),
        format!("/messages/{mid}/edits"),
        format!("/chats/{grp}/messages"),
    ] {
        app.get(&path, &w.bob.access_token).await.expect(200);
    }

    for chat in [public, grp] {
        app.call("DELETE", &format!("/chats/{chat}/members/{}", w.bob.user_id), tok(&w.owner), None)
            .await
            .expect(204);
    }

    // The public channel stays visible, its content does not.
    app.get(&format!("/chats/{public}"), &w.bob.access_token).await.expect(200);
    for path in [
        format!("/chats/{public}/messages"),
        format!("/chats/{public}/events?after=0"),
        format!("/chats/{public}/members"),
        format!("/chats/{public}/pins"),
    ] {
        app.get(&path, &w.bob.access_token).await.expect_error(403, "forbidden");
    }
    mark_read(app, &w.bob, public, 1).await.expect_error(403, "forbidden");
    // Bob posted in both a moment ago; the commit refuses him all the same, and
    // the answer is the one a non-member gets (a private chat does not exist).
    // A retry of what he sent before (its ack lost) still gets that message back,
    // though he posted a moment ago and the commit is what finds him removed.
    let retry = send_with(app, &w.bob, public, keyed).await;
    retry.expect(200);
    assert_eq!(retry.body["id"], mine["id"]);
    send_with(app, &w.bob, public, json!({"body": "still here?"})).await.expect_error(403, "forbidden");
    send_with(app, &w.bob, grp, json!({"body": "still here?", "client_msg_id": "late"}))
        .await
        .expect_error(404, "not_found");
    // Added back: he may post again at once.
    app.post(&format!("/chats/{grp}/members"), tok(&w.owner), json!({"user_id": w.bob.user_id}))
        .await
        .expect(204);
    send(app, &w.bob, grp, "back").await;
    app.call("DELETE", &format!("/chats/{grp}/members/{}", w.bob.user_id), tok(&w.owner), None)
        .await
        .expect(204);
    // Messages of a chat one is not in do not exist for one, even one's own.
    for (method, path, body) in [
        ("GET", format!("/messages/{mid}/thread"), None),
        ("GET", format!("/messages/{mid}/edits"), None),
        ("GET", format!("/messages/{mid}/read-by"), None),
        ("PATCH", format!("/messages/{mid}"), Some(json!({"body": "edited after removal"}))),
        ("DELETE", format!("/messages/{mid}"), None),
        ("PUT", format!("/messages/{mid}/reactions/👍"), None),
    ] {
        let r = app.call(method, &path, tok(&w.bob), body).await;
        assert_eq!((r.status, r.code()), (404, "not_found"), "{method} {path}: {}", r.body);
    }
    // The private group vanishes entirely.
    for path in [
        format!("/chats/{grp}"),
        format!("/chats/{grp}/messages"),
        format!("/chats/{grp}/events?after=0"),
        format!("/messages/{gm}/thread"),
    ] {
        app.get(&path, &w.bob.access_token).await.expect_error(404, "not_found");
    }
    assert!(my_chats(app, &w.bob).await.is_empty());
    let page = history(app, &w.owner, public, "").await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["body"], "bob was here", "nothing Bob tried after removal took effect");
}

// ---- Bad input -------------------------------------------------------------------------

async fn bad_input_on_messaging_endpoints(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let chat = channel(app, &w.owner, "general", &[&w.bob]).await;
    let mid = id(&send(app, &w.owner, chat, "hello").await);
    let bob = w.bob.user_id;

    // JSON endpoints: broken JSON is 400, unknown fields or wrong shapes are 422.
    let json_endpoints: Vec<(&str, String, Value)> = vec![
        ("POST", "/chats".into(), json!({"kind": "channel", "name": "x"})),
        ("POST", "/chats/direct".into(), json!({"user_id": bob})),
        ("PATCH", format!("/chats/{chat}"), json!({"name": "x"})),
        ("POST", format!("/chats/{chat}/members"), json!({"user_id": w.carol.user_id})),
        ("POST", format!("/chats/{chat}/read"), json!({"seq": 1})),
        ("POST", format!("/chats/{chat}/messages"), json!({"body": "x"})),
        ("PATCH", format!("/messages/{mid}"), json!({"body": "x"})),
    ];
    for (method, path, valid) in &json_endpoints {
        let raw = |body: Vec<u8>| app.call_raw(method, path, tok(&w.owner), Some("application/json"), body);
        for broken in ["", "{", "{\"body\": ", "not json", "{'a': 1}"] {
            let r = raw(broken.as_bytes().to_vec()).await;
            assert_eq!(
                (r.status, r.code()),
                (400, "malformed_json"),
                "{method} {path} with {broken:?}: {}",
                r.body
            );
        }
        let mut unknown = valid.clone();
        unknown["zzz_unknown"] = json!(1);
        let r = raw(serde_json::to_vec(&unknown).expect("json")).await;
        assert_eq!((r.status, r.code()), (422, "invalid_body"), "{method} {path} unknown field: {}", r.body);
        assert!(r.body["error"]["message"].as_str().unwrap_or("").contains("zzz_unknown"), "{}", r.body);
        for wrong in [json!([]), json!("text"), json!(null)] {
            let r = raw(serde_json::to_vec(&wrong).expect("json")).await;
            assert_eq!(
                (r.status, r.code()),
                (422, "invalid_body"),
                "{method} {path} with {wrong}: {}",
                r.body
            );
        }
        let r =
            app.call_raw(method, path, tok(&w.owner), None, serde_json::to_vec(valid).expect("json")).await;
        assert_eq!(r.status, 415, "{method} {path} without content type: {}", r.body);
    }
    // Wrong types in fields.
    for (method, path, body) in [
        ("POST", "/chats".to_string(), json!({"kind": "channel", "name": 5})),
        ("POST", "/chats/direct".to_string(), json!({"user_id": "not-a-uuid"})),
        ("POST", format!("/chats/{chat}/read"), json!({"seq": "7"})),
        ("POST", format!("/chats/{chat}/messages"), json!({"body": "x", "thread_root_id": "nope"})),
        ("POST", format!("/chats/{chat}/members"), json!({"user_id": bob, "role": "emperor"})),
        ("PATCH", format!("/chats/{chat}"), json!({"archived": "yes"})),
    ] {
        let r = app.call(method, &path, tok(&w.owner), Some(body.clone())).await;
        assert_eq!((r.status, r.code()), (422, "invalid_body"), "{method} {path} {body}: {}", r.body);
    }

    // Every path with an id rejects a malformed one with 400, before anything else.
    let u = Uuid::now_v7();
    let bad_paths: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", "/chats/not-a-uuid".into(), None),
        ("PATCH", "/chats/not-a-uuid".into(), Some(json!({"name": "x"}))),
        ("POST", "/chats/not-a-uuid/join".into(), None),
        ("POST", "/chats/not-a-uuid/leave".into(), None),
        ("GET", "/chats/not-a-uuid/members".into(), None),
        ("POST", "/chats/not-a-uuid/members".into(), Some(json!({"user_id": bob}))),
        ("DELETE", format!("/chats/not-a-uuid/members/{bob}"), None),
        ("DELETE", format!("/chats/{chat}/members/not-a-uuid"), None),
        ("POST", "/chats/not-a-uuid/read".into(), Some(json!({"seq": 1}))),
        ("GET", "/chats/not-a-uuid/messages".into(), None),
        ("POST", "/chats/not-a-uuid/messages".into(), Some(json!({"body": "x"}))),
        ("GET", "/chats/not-a-uuid/events?after=0".into(), None),
        ("GET", "/chats/not-a-uuid/pins".into(), None),
        ("GET", "/chats/123/messages".into(), None),
        ("GET", "/messages/not-a-uuid/thread".into(), None),
        ("PATCH", "/messages/not-a-uuid".into(), Some(json!({"body": "x"}))),
        ("DELETE", "/messages/not-a-uuid".into(), None),
        ("GET", "/messages/not-a-uuid/edits".into(), None),
        ("PUT", "/messages/not-a-uuid/reactions/👍".into(), None),
        ("DELETE", "/messages/not-a-uuid/reactions/👍".into(), None),
        ("PUT", "/messages/not-a-uuid/pin".into(), None),
        ("DELETE", "/messages/not-a-uuid/pin".into(), None),
        ("GET", "/messages/not-a-uuid/read-by".into(), None),
        ("GET", format!("/messages/{u}0/read-by"), None),
    ];
    for (method, path, body) in &bad_paths {
        let r = app.call(method, path, tok(&w.owner), body.clone()).await;
        assert_eq!((r.status, r.code()), (400, "invalid_path"), "{method} {path}: {}", r.body);
        assert!(r.body["error"]["message"].is_string());
    }
    // Every one of them needs a signed-in user.
    for (method, path, body) in &bad_paths {
        let r = app.call(method, path, None, body.clone()).await;
        assert_eq!(r.status, 401, "{method} {path}: {}", r.body);
    }
    for (method, path, _) in &json_endpoints {
        let r = app.call(method, path, None, Some(json!({}))).await;
        assert_eq!(r.status, 401, "{method} {path}: {}", r.body);
    }

    // Nothing above changed the chat.
    let page = history(app, &w.owner, chat, "").await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["body"], "hello");
    assert_eq!(app.get(&format!("/chats/{chat}"), &w.owner.access_token).await.body["name"], "general");
    assert_eq!(member_ids(app, &w.owner, chat).await, sorted(vec![w.owner.user_id, bob]));
}

on_every_backend!(
    mentions_render_as_escaped_text,
    channels_and_groups_are_created_with_their_members,
    direct_chats_are_opened_once,
    chats_are_changed_by_their_managers,
    my_chats_are_ordered_by_activity_with_unread_and_mention_counts,
    browse_lists_public_channels_only,
    joining_and_leaving_public_channels,
    members_are_added_and_removed_by_the_right_people,
    sending_is_idempotent_per_client_msg_id,
    sends_are_validated_and_checked,
    concurrent_sends_are_each_checked_on_their_own,
    history_pages,
    threads,
    event_log_is_gap_free_and_names_every_change,
    edits_by_the_author_keep_a_history,
    deletes_leave_tombstones,
    reactions_are_grouped_and_idempotent,
    pins_are_set_by_chat_admins,
    read_by_follows_read_marks,
    rendered_html_is_safe_end_to_end,
    another_workspace_cannot_see_or_touch_chats,
    a_removed_member_loses_access_at_once,
    bad_input_on_messaging_endpoints,
);
