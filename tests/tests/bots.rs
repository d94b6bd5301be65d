//! Bot users with scoped, revocable API tokens, on both backends: a bot posts and
//! runs commands as itself; scopes and the route allow-list close everything else;
//! revocation and deactivation stop a token at once; only admins manage bots; bad
//! input gets a clear 4xx.

use artel_tests::{on_every_backend, Backend, Session, TestApp};
use serde_json::{json, Value};

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

async fn create_bot(app: &TestApp, admin: &Session, name: &str) -> String {
    let r = app.post("/bots", tok(admin), json!({"name": name})).await;
    r.expect(201);
    assert_eq!(r.body["bot"], true);
    assert_eq!(r.body["role"], "member");
    id_of(&r.body)
}

/// Issues a token and returns (token id, secret).
async fn issue(app: &TestApp, admin: &Session, bot: &str, scopes: &[&str]) -> (String, String) {
    let r =
        app.post(&format!("/bots/{bot}/tokens"), tok(admin), json!({"name": "sync", "scopes": scopes})).await;
    r.expect(201);
    let secret = r.body["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("artel_bot_"), "{secret}");
    (id_of(&r.body), secret)
}

async fn channel_with(app: &TestApp, owner: &Session, name: &str, member: &str) -> String {
    let r = app.post("/chats", tok(owner), json!({"kind": "channel", "name": name})).await;
    r.expect(201);
    let chat = id_of(&r.body);
    app.post(&format!("/chats/{chat}/members"), tok(owner), json!({"user_id": member})).await.expect(204);
    chat
}

async fn a_bot_posts_and_runs_commands_as_itself(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bot = create_bot(&app, &owner, "CRM sync").await;
    let (_, secret) =
        issue(&app, &owner, &bot, &["messages:read", "messages:write", "commands:run", "crm:read"]).await;
    let chat = channel_with(&app, &owner, "leads", &bot).await;

    let me = app.get("/me", &secret).await;
    me.expect(200);
    assert_eq!(me.body["user"]["id"].as_str().or(me.body["id"].as_str()), Some(bot.as_str()), "{}", me.body);

    let r = app
        .post(
            &format!("/chats/{chat}/messages"),
            Some(&secret),
            json!({"body": "New lead from the website", "client_msg_id": "bot-1"}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["author_id"], bot.as_str());
    // A retry with the same key is the same message.
    app.post(
        &format!("/chats/{chat}/messages"),
        Some(&secret),
        json!({"body": "New lead from the website", "client_msg_id": "bot-1"}),
    )
    .await
    .expect(200);

    let history = app.get(&format!("/chats/{chat}/messages"), &owner.access_token).await;
    history.expect(200);
    let bodies: Vec<&str> =
        history.body.as_array().expect("messages").iter().filter_map(|m| m["body"].as_str()).collect();
    assert_eq!(bodies.iter().filter(|b| **b == "New lead from the website").count(), 1, "{bodies:?}");

    // A command runs as the bot: the task is the bot's.
    let r = app
        .post(&format!("/chats/{chat}/messages"), Some(&secret), json!({"body": "/task call the client"}))
        .await;
    r.expect(200);
    let tasks = app.get("/tasks", &secret).await;
    tasks.expect(200);
    assert!(tasks.body.to_string().contains("call the client"), "{}", tasks.body);

    // People see it is a bot.
    let users = app.get("/users", &owner.access_token).await;
    users.expect(200);
    let listed = users
        .body
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == bot.as_str())
        .expect("bot listed")
        .clone();
    assert_eq!(listed["bot"], true);
    let bots = app.get("/bots", &owner.access_token).await;
    bots.expect(200);
    assert_eq!(bots.body.as_array().expect("bots").len(), 1);

    // Use is recorded; the secret is never listed.
    let list = app.get(&format!("/bots/{bot}/tokens"), &owner.access_token).await;
    list.expect(200);
    assert!(list.body[0]["last_used_at"].is_string(), "{}", list.body);
    assert!(!list.body.to_string().contains(&secret));
    assert!(list.body[0].get("secret").is_none());

    // An archived chat refuses a bot as it refuses a person: 409 chat_archived.
    app.call("PATCH", &format!("/chats/{chat}"), tok(&owner), Some(json!({"archived": true})))
        .await
        .expect(200);
    app.post(&format!("/chats/{chat}/messages"), Some(&secret), json!({"body": "late"}))
        .await
        .expect_error(409, "chat_archived");
    app.stop().await;
}

async fn scopes_and_the_allow_list_close_everything_else(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bot = create_bot(&app, &owner, "Notifier").await;
    let (_, write_only) = issue(&app, &owner, &bot, &["messages:write"]).await;
    let chat = channel_with(&app, &owner, "alerts", &bot).await;

    app.post(&format!("/chats/{chat}/messages"), Some(&write_only), json!({"body": "disk 91% full"}))
        .await
        .expect(201);
    // Missing scopes: 403 naming the scope, nothing changed.
    let r = app.get(&format!("/chats/{chat}/messages"), &write_only).await;
    r.expect_error(403, "forbidden");
    assert!(r.body["error"]["message"].as_str().expect("message").contains("messages:read"));
    app.post(&format!("/chats/{chat}/messages"), Some(&write_only), json!({"body": "/task sneaky"}))
        .await
        .expect_error(403, "forbidden");
    app.get("/deals", &write_only).await.expect_error(403, "forbidden");
    app.post("/deals", Some(&write_only), json!({"title": "x"})).await.expect_error(403, "forbidden");
    let tasks = app.get("/tasks", &owner.access_token).await;
    assert!(!tasks.body.to_string().contains("sneaky"), "a refused command changed nothing");

    // Routes no scope opens: admin work, sessions, bots, the socket.
    let (_, all) = issue(
        &app,
        &owner,
        &bot,
        &["messages:read", "messages:write", "commands:run", "crm:read", "crm:write"],
    )
    .await;
    app.post("/invites", Some(&all), json!({"email": "x@example.com", "role": "admin"}))
        .await
        .expect_error(403, "forbidden");
    app.post("/bots", Some(&all), json!({"name": "clone"})).await.expect_error(403, "forbidden");
    app.get("/me/sessions", &all).await.expect_error(403, "forbidden");
    app.call("PATCH", "/workspace", Some(&all), Some(json!({"name": "pwned"})))
        .await
        .expect_error(403, "forbidden");
    app.post(&format!("/users/{bot}/deactivate"), Some(&all), json!({})).await.expect_error(403, "forbidden");

    // The bot's own permissions still apply: a private group it is not in is hidden.
    let r = app.post("/chats", tok(&owner), json!({"kind": "group", "name": "board"})).await;
    r.expect(201);
    let private = id_of(&r.body);
    app.get(&format!("/chats/{private}/messages"), &all).await.expect_error(404, "not_found");
    app.post(&format!("/chats/{private}/messages"), Some(&all), json!({"body": "hi"}))
        .await
        .expect_error(404, "not_found");

    // crm:write opens record changes, as the bot.
    let r = app.post("/deals", Some(&all), json!({"title": "From the bot"})).await;
    r.expect(201);
    assert_eq!(r.body["owner_id"], bot.as_str());
    app.stop().await;
}

async fn revocation_and_deactivation_stop_tokens_at_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let bot = create_bot(&app, &owner, "Importer").await;
    let (token_id, secret) = issue(&app, &owner, &bot, &["crm:read"]).await;
    let (_, other) = issue(&app, &owner, &bot, &["crm:read"]).await;
    app.get("/deals", &secret).await.expect(200);

    app.call("DELETE", &format!("/bots/{bot}/tokens/{token_id}"), tok(&owner), None).await.expect(204);
    app.get("/deals", &secret).await.expect_error(401, "invalid_token");
    // Idempotent, and the other token still works.
    app.call("DELETE", &format!("/bots/{bot}/tokens/{token_id}"), tok(&owner), None).await.expect(204);
    app.get("/deals", &other).await.expect(200);
    let list = app.get(&format!("/bots/{bot}/tokens"), &owner.access_token).await;
    list.expect(200);
    let revoked = list
        .body
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["id"] == token_id.as_str())
        .expect("listed")
        .clone();
    assert!(revoked["revoked_at"].is_string());

    // Deactivating the bot stops every token; reactivating brings them back.
    app.post(&format!("/users/{bot}/deactivate"), tok(&owner), json!({})).await.expect(200);
    app.get("/deals", &other).await.expect_error(401, "account_deactivated");
    app.post(&format!("/bots/{bot}/tokens"), tok(&owner), json!({"name": "n", "scopes": ["crm:read"]}))
        .await
        .expect_error(409, "bot_deactivated");
    app.post(&format!("/users/{bot}/reactivate"), tok(&owner), json!({})).await.expect(200);
    app.get("/deals", &other).await.expect(200);

    // Garbage and look-alike tokens.
    app.get("/deals", "artel_bot_not-a-real-token").await.expect_error(401, "invalid_token");
    app.get("/deals", &format!("artel_bot_{}", "x".repeat(500))).await.expect_error(401, "invalid_token");
    app.stop().await;
}

async fn only_admins_manage_bots_and_bad_input_is_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@example.com").await;
    let guest = app.invite_user(&owner, "guest", "guest@example.com").await;
    let other = app.create_workspace("Other", "other", "boss@other.example").await;
    let bot = create_bot(&app, &owner, "Helper").await;

    for s in [&member, &guest] {
        app.post("/bots", tok(s), json!({"name": "mine"})).await.expect_error(403, "forbidden");
        app.get("/bots", &s.access_token).await.expect_error(403, "forbidden");
        app.post(&format!("/bots/{bot}/tokens"), tok(s), json!({"name": "t", "scopes": ["crm:read"]}))
            .await
            .expect_error(403, "forbidden");
    }
    // Another workspace's admin cannot see or touch it.
    app.get(&format!("/bots/{bot}/tokens"), &other.access_token).await.expect_error(404, "not_found");
    app.post(&format!("/bots/{bot}/tokens"), tok(&other), json!({"name": "t", "scopes": ["crm:read"]}))
        .await
        .expect_error(404, "not_found");
    app.call("PATCH", &format!("/bots/{bot}"), tok(&other), Some(json!({"name": "x"})))
        .await
        .expect_error(404, "not_found");
    // A person is not a bot.
    app.post(
        &format!("/bots/{}/tokens", member.user_id),
        tok(&owner),
        json!({"name": "t", "scopes": ["crm:read"]}),
    )
    .await
    .expect_error(404, "not_found");

    // Bad input.
    app.post("/bots", tok(&owner), json!({"name": "  "})).await.expect_error(422, "invalid_input");
    app.post("/bots", tok(&owner), json!({"name": "Root", "role": "admin"}))
        .await
        .expect_error(422, "invalid_input");
    app.post("/bots", tok(&owner), json!({"name": "x", "extra": 1})).await.expect_error(422, "invalid_body");
    app.post(&format!("/bots/{bot}/tokens"), tok(&owner), json!({"name": "t", "scopes": []}))
        .await
        .expect_error(422, "invalid_input");
    app.post(&format!("/bots/{bot}/tokens"), tok(&owner), json!({"name": "t", "scopes": ["root"]}))
        .await
        .expect_error(422, "invalid_body");
    app.post("/bots/not-a-uuid/tokens", tok(&owner), json!({"name": "t", "scopes": ["crm:read"]}))
        .await
        .expect_error(400, "invalid_path");
    // Bots are never promoted to admin.
    app.call("PATCH", &format!("/users/{bot}"), tok(&owner), Some(json!({"role": "admin"})))
        .await
        .expect_error(403, "forbidden");
    // Renaming works and is checked.
    let r = app.call("PATCH", &format!("/bots/{bot}"), tok(&owner), Some(json!({"name": "Helper 2"}))).await;
    r.expect(200);
    assert_eq!(r.body["name"], "Helper 2");
    // A bot cannot sign in with a password.
    let email = app.get(&format!("/users/{bot}"), &owner.access_token).await.body["email"]
        .as_str()
        .expect("email")
        .to_string();
    app.post("/auth/login", None, json!({"email": email, "password": "!bot"}))
        .await
        .expect_error(401, "invalid_credentials");

    // At most 20 live tokens per bot.
    for _ in 0..20 {
        issue(&app, &owner, &bot, &["crm:read"]).await;
    }
    app.post(&format!("/bots/{bot}/tokens"), tok(&owner), json!({"name": "t", "scopes": ["crm:read"]}))
        .await
        .expect_error(422, "invalid_input");
    app.stop().await;
}

on_every_backend!(
    a_bot_posts_and_runs_commands_as_itself,
    scopes_and_the_allow_list_close_everything_else,
    revocation_and_deactivation_stop_tokens_at_once,
    only_admins_manage_bots_and_bad_input_is_refused,
);
