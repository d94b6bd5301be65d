//! Onboarding: the default channel a new workspace gets and every new member joins,
//! and password resets an admin hands out (no e-mail relay). Store contract and
//! HTTP API, on SQLite and Postgres.

use std::sync::Arc;

use artel_core::chat::{Chat, ChatKind, ChatMember, MemberRole};
use artel_core::password_reset::PasswordReset;
use artel_core::session::{RefreshToken, Session as StoredSession};
use artel_core::user::{Language, Role, User};
use artel_core::workspace::Workspace;
use artel_core::{Clock, Store, StoreError};
use artel_tests::{on_every_backend, Backend, Database, Resp, Session, TestApp, PASSWORD};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

const NEW_PASSWORD: &str = "a brand new passphrase";

// ---- store contract ----

async fn open(backend: Backend) -> (Arc<dyn Store>, Database) {
    let db = Database::create(backend).await;
    let store = artel_store::connect(&db.store_config()).await.expect("connect");
    (store, db)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap() + Duration::microseconds(123_456)
}

fn user(ws: &Workspace, email: &str, role: Role) -> User {
    User {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        email: email.into(),
        name: format!("Name of {email}"),
        role,
        time_zone: "Europe/Moscow".into(),
        language: Language::Ru,
        password_hash: "old-hash".into(),
        created_at: t0(),
        updated_at: t0(),
        deactivated_at: None,
        bot: false,
    }
}

async fn seeded(store: &Arc<dyn Store>, slug: &str) -> (Workspace, User) {
    let ws = Workspace::new(&format!("WS {slug}"), Some(slug), t0()).expect("workspace");
    let owner = user(&ws, &format!("owner@{slug}.test"), Role::Owner);
    store.create_workspace(&ws, &owner, false).await.expect("create workspace");
    (ws, owner)
}

async fn channel(store: &Arc<dyn Store>, ws: &Workspace, by: &User, name: &str) -> Chat {
    let chat = Chat {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        kind: ChatKind::Channel,
        name: Some(name.into()),
        description: String::new(),
        is_private: false,
        direct_key: None,
        entity: None,
        created_by: by.id,
        created_at: t0(),
        updated_at: t0(),
        archived_at: None,
        last_seq: 0,
        last_activity_at: t0(),
    };
    let owner = ChatMember {
        chat_id: chat.id,
        user_id: by.id,
        role: MemberRole::Owner,
        joined_at: t0(),
        last_read_seq: 0,
    };
    store.create_chat(&chat, &[owner]).await.expect("create chat");
    chat
}

async fn default_chats_are_per_workspace(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner_a) = seeded(&store, "alpha").await;
    let (b, owner_b) = seeded(&store, "beta").await;
    assert!(store.default_chats(a.id).await.unwrap().is_empty(), "a workspace starts with none");

    let general = channel(&store, &a, &owner_a, "general").await;
    let later = channel(&store, &a, &owner_a, "news").await;
    store.add_default_chat(a.id, general.id, t0()).await.unwrap();
    // Marking twice changes nothing.
    store.add_default_chat(a.id, general.id, t0() + Duration::seconds(5)).await.unwrap();
    store.add_default_chat(a.id, later.id, t0() + Duration::seconds(1)).await.unwrap();
    assert_eq!(store.default_chats(a.id).await.unwrap(), vec![general.id, later.id], "oldest first");

    // Another workspace's chat cannot be marked, and marks do not leak across.
    let theirs = channel(&store, &b, &owner_b, "general").await;
    let err = store.add_default_chat(a.id, theirs.id, t0()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound("chat")), "{err:?}");
    assert!(store.default_chats(b.id).await.unwrap().is_empty());
}

fn reset_for(target: &User, by: &User, hash: &str, now: DateTime<Utc>) -> PasswordReset {
    PasswordReset::new(target.workspace_id, target.id, by.id, hash.into(), now)
}

async fn password_resets_are_used_once(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "alpha").await;
    let member = user(&ws, "member@alpha.test", Role::Member);
    store.create_user(&member).await.unwrap();
    let session = StoredSession {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        user_id: member.id,
        user_agent: None,
        ip: None,
        created_at: t0(),
        last_used_at: t0(),
        expires_at: t0() + Duration::days(30),
        revoked_at: None,
    };
    let refresh = RefreshToken {
        id: Uuid::now_v7(),
        session_id: session.id,
        token_hash: "refresh-hash".into(),
        created_at: t0(),
        expires_at: session.expires_at,
    };
    store.create_session(&session, &refresh).await.unwrap();

    let first = reset_for(&member, &owner, "hash-1", t0());
    store.create_password_reset(&first).await.unwrap();
    let found = store.find_password_reset_by_token_hash("hash-1").await.unwrap();
    assert_eq!(found, first, "stored exactly as given");
    assert_eq!(found.expires_at, t0() + Duration::hours(24));

    // A newer link replaces the unused older one.
    let second = reset_for(&member, &owner, "hash-2", t0() + Duration::minutes(1));
    store.create_password_reset(&second).await.unwrap();
    let gone = store.find_password_reset_by_token_hash("hash-1").await.unwrap_err();
    assert!(matches!(gone, StoreError::NotFound(_)), "{gone:?}");

    let now = t0() + Duration::minutes(2);
    store.use_password_reset(ws.id, second.id, "new-hash", now).await.unwrap();
    let after = store.get_user(ws.id, member.id).await.unwrap();
    assert_eq!(after.password_hash, "new-hash");
    assert!(store.list_sessions(ws.id, member.id, now).await.unwrap().is_empty(), "signed out everywhere");
    assert_eq!(store.find_password_reset_by_token_hash("hash-2").await.unwrap().used_at, Some(now));

    // Used: a second use changes nothing.
    let again = store.use_password_reset(ws.id, second.id, "other-hash", now).await.unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
    assert_eq!(store.get_user(ws.id, member.id).await.unwrap().password_hash, "new-hash");

    // Expired: refused at its expiry instant.
    let third = reset_for(&member, &owner, "hash-3", now);
    store.create_password_reset(&third).await.unwrap();
    let late = store.use_password_reset(ws.id, third.id, "late-hash", third.expires_at).await.unwrap_err();
    assert!(matches!(late, StoreError::Conflict(_)), "{late:?}");

    // Only within its own workspace.
    let (other, _) = seeded(&store, "beta").await;
    let fourth = reset_for(&member, &owner, "hash-4", now);
    store.create_password_reset(&fourth).await.unwrap();
    let wrong = store.use_password_reset(other.id, fourth.id, "x", now).await.unwrap_err();
    assert!(matches!(wrong, StoreError::Conflict(_)), "{wrong:?}");
    assert_eq!(store.get_user(ws.id, member.id).await.unwrap().password_hash, "new-hash");
}

// ---- HTTP API ----

async fn chat_names(app: &TestApp, who: &Session) -> Vec<String> {
    let r = app.get("/chats", &who.access_token).await;
    r.expect(200);
    r.body
        .as_array()
        .expect("chat list")
        .iter()
        .filter_map(|c| c["chat"]["name"].as_str().or(c["name"].as_str()).map(str::to_string))
        .collect()
}

async fn new_workspaces_get_a_default_channel(backend: Backend) {
    let app = TestApp::start(backend).await;
    // First-run setup, Russian owner: "общий".
    let owner = app.setup_owner().await;
    assert_eq!(chat_names(&app, &owner).await, vec!["общий".to_string()]);
    let r = app.get("/chats/browse", &owner.access_token).await;
    r.expect(200);
    let general = r.body.as_array().unwrap().iter().find(|c| c["name"] == json!("общий")).expect("public");
    assert_eq!(general["kind"], json!("channel"));
    assert_eq!(general["is_private"], json!(false));
    let general_id = general["id"].as_str().unwrap().to_string();

    // Every new member lands in it; a guest does not (guests join only when added).
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    assert_eq!(chat_names(&app, &member).await, vec!["общий".to_string()]);
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    assert_eq!(chat_names(&app, &admin).await, vec!["общий".to_string()]);
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;
    assert!(chat_names(&app, &guest).await.is_empty());
    let r = app.get(&format!("/chats/{general_id}/members"), &owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body.as_array().unwrap().len(), 3, "owner, member and admin: {}", r.body);

    // A channel archived since is not joined, and the invite still works.
    app.call(
        "PATCH",
        &format!("/chats/{general_id}"),
        Some(&owner.access_token),
        Some(json!({"archived": true})),
    )
    .await
    .expect(200);
    let late = app.invite_user(&owner, "member", "late@acme.test").await;
    assert!(chat_names(&app, &late).await.is_empty());

    // `artel admin create-owner` (English owner): "general", in that workspace only.
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    assert_eq!(chat_names(&app, &other).await, vec!["general".to_string()]);
    let theirs = app.invite_user(&other, "member", "member@beta.test").await;
    assert_eq!(chat_names(&app, &theirs).await, vec!["general".to_string()]);
    assert_eq!(chat_names(&app, &member).await, vec!["общий".to_string()]);
}

async fn make_reset(app: &TestApp, actor: &Session, target: Uuid) -> Resp {
    app.call("POST", &format!("/users/{target}/password-reset"), Some(&actor.access_token), None).await
}

fn token_of(r: &Resp) -> String {
    r.body["token"].as_str().expect("reset token").to_string()
}

async fn use_reset(app: &TestApp, token: &str, password: &str) -> Resp {
    app.post("/password-resets/use", None, json!({"token": token, "new_password": password})).await
}

async fn lookup(app: &TestApp, token: &str) -> Resp {
    app.post("/password-resets/lookup", None, json!({"token": token})).await
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Resp {
    app.post("/auth/login", None, json!({"email": email, "password": password})).await
}

fn assert_error_shape(r: &Resp, status: u16, code: &str) {
    r.expect_error(status, code);
    let error = r.body["error"].as_object().expect("error object");
    assert!(!error["message"].as_str().unwrap().is_empty(), "{}", r.body);
}

async fn admin_resets_a_password(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;

    let r = make_reset(&app, &owner, member.user_id).await;
    r.expect(201);
    let token = token_of(&r);
    assert!(token.starts_with("art_pwr_"), "{token}");
    assert_eq!(r.body["url"], json!(format!("/reset/{token}")));
    assert_eq!(r.body["user_id"], json!(member.user_id));
    let expires: DateTime<Utc> = r.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires - app.clock.now(), Duration::hours(24));

    let r = lookup(&app, &token).await;
    r.expect(200);
    assert_eq!(r.body["email"], json!("member@acme.test"));
    assert_eq!(r.body["name"], json!("User member@acme.test"));
    assert_eq!(r.body["workspace_name"], json!("Acme"));

    // The password rules of sign-up apply; a refused try leaves the link usable.
    let r = use_reset(&app, &token, "short").await;
    assert_error_shape(&r, 422, "invalid_input");
    assert_eq!(r.body["error"]["field"], json!("new_password"));

    use_reset(&app, &token, NEW_PASSWORD).await.expect(204);
    // Every session of the person is gone; the old password no longer works.
    assert_error_shape(&app.get("/me", &member.access_token).await, 401, "session_revoked");
    assert_error_shape(&sign_in(&app, "member@acme.test", PASSWORD).await, 401, "invalid_credentials");
    sign_in(&app, "member@acme.test", NEW_PASSWORD).await.expect(200);

    // Used once, dead after.
    assert_error_shape(&use_reset(&app, &token, "yet another passphrase").await, 410, "reset_used");
    assert_error_shape(&lookup(&app, &token).await, 410, "reset_used");
    sign_in(&app, "member@acme.test", NEW_PASSWORD).await.expect(200);
}

async fn who_may_reset_whom(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let admin2 = app.invite_user(&owner, "admin", "admin2@acme.test").await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let other = app.invite_user(&owner, "member", "other@acme.test").await;

    // A member resets nobody.
    assert_error_shape(&make_reset(&app, &member, other.user_id).await, 403, "forbidden");
    // An admin does not reset an owner or another admin; nobody resets themselves.
    assert_error_shape(&make_reset(&app, &admin, owner.user_id).await, 403, "forbidden");
    assert_error_shape(&make_reset(&app, &admin, admin2.user_id).await, 403, "forbidden");
    assert_error_shape(&make_reset(&app, &admin, admin.user_id).await, 403, "forbidden");
    assert_error_shape(&make_reset(&app, &owner, owner.user_id).await, 403, "forbidden");
    // An admin resets a member; an owner resets an admin.
    make_reset(&app, &admin, member.user_id).await.expect(201);
    make_reset(&app, &owner, admin2.user_id).await.expect(201);

    // Someone of another workspace does not exist here.
    let beta = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    assert_error_shape(&make_reset(&app, &beta, member.user_id).await, 404, "not_found");
    assert_error_shape(&make_reset(&app, &owner, beta.user_id).await, 404, "not_found");
    assert_error_shape(&make_reset(&app, &owner, Uuid::now_v7()).await, 404, "not_found");

    // A deactivated person: no new link, and a link made before stops working.
    let r = make_reset(&app, &owner, other.user_id).await;
    r.expect(201);
    let before = token_of(&r);
    app.call("POST", &format!("/users/{}/deactivate", other.user_id), Some(&owner.access_token), None)
        .await
        .expect(200);
    assert_error_shape(&make_reset(&app, &owner, other.user_id).await, 409, "user_deactivated");
    assert_error_shape(&use_reset(&app, &before, NEW_PASSWORD).await, 410, "reset_revoked");
    assert_error_shape(&lookup(&app, &before).await, 410, "reset_revoked");

    // A link dies with its maker's right to make it (the admin demoted).
    let r = make_reset(&app, &admin, member.user_id).await;
    r.expect(201);
    let by_admin = token_of(&r);
    app.call(
        "PATCH",
        &format!("/users/{}", admin.user_id),
        Some(&owner.access_token),
        Some(json!({"role": "member"})),
    )
    .await
    .expect(200);
    assert_error_shape(&use_reset(&app, &by_admin, NEW_PASSWORD).await, 410, "reset_revoked");
    sign_in(&app, "member@acme.test", PASSWORD).await.expect(200);
}

async fn reset_links_expire_and_are_replaced(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;

    // A newer link replaces the older one.
    let old = token_of(&make_reset(&app, &owner, member.user_id).await);
    let new = token_of(&make_reset(&app, &owner, member.user_id).await);
    assert_error_shape(&lookup(&app, &old).await, 404, "not_found");
    lookup(&app, &new).await.expect(200);

    // 24 hours later it has expired.
    app.clock.advance(Duration::hours(24));
    assert_error_shape(&lookup(&app, &new).await, 410, "reset_expired");
    assert_error_shape(&use_reset(&app, &new, NEW_PASSWORD).await, 410, "reset_expired");
    sign_in(&app, "member@acme.test", PASSWORD).await.expect(200);
}

async fn reset_links_reject_bad_input(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let token = token_of(&make_reset(&app, &owner, member.user_id).await);

    for bad in ["", "art_pwr_nope", &"x".repeat(500), "with space"] {
        assert_error_shape(&lookup(&app, bad).await, 404, "not_found");
        assert_error_shape(&use_reset(&app, bad, NEW_PASSWORD).await, 404, "not_found");
    }
    let too_long = "x".repeat(2000);
    let r = use_reset(&app, &token, &too_long).await;
    assert_error_shape(&r, 422, "invalid_input");
    assert_eq!(r.body["error"]["field"], json!("new_password"));
    // Unknown and missing fields are refused with our error shape.
    let r = app.post("/password-resets/use", None, json!({"token": token})).await;
    assert!(r.status == 400 || r.status == 422, "{}", r.body);
    r.expect(r.status);
    let r = app
        .post("/password-resets/use", None, json!({"token": token, "new_password": NEW_PASSWORD, "x": 1}))
        .await;
    assert!(r.status == 400 || r.status == 422, "{}", r.body);
    r.expect(r.status);
    // The link is still good after all that.
    use_reset(&app, &token, NEW_PASSWORD).await.expect(204);
}

async fn guessing_reset_links_is_rate_limited(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let token = token_of(&make_reset(&app, &owner, member.user_id).await);
    // A real link does not count against the address.
    for _ in 0..3 {
        lookup(&app, &token).await.expect(200);
    }
    let per_ip = i64::from(artel::config::ServeConfig::default().login_max_failures_per_ip);
    for i in 0..per_ip {
        let r = lookup(&app, &format!("art_pwr_guess{i}")).await;
        assert_error_shape(&r, 404, "not_found");
    }
    let r = use_reset(&app, &token, NEW_PASSWORD).await;
    assert_error_shape(&r, 429, "rate_limited");
    assert!(r.headers.get("retry-after").is_some(), "{:?}", r.headers);
    // The limit passes with its window.
    app.clock.advance(Duration::seconds(901));
    use_reset(&app, &token, NEW_PASSWORD).await.expect(204);
}

on_every_backend!(
    default_chats_are_per_workspace,
    password_resets_are_used_once,
    new_workspaces_get_a_default_channel,
    admin_resets_a_password,
    who_may_reset_whom,
    reset_links_expire_and_are_replaced,
    reset_links_reject_bad_input,
    guessing_reset_links_is_rate_limited,
);
