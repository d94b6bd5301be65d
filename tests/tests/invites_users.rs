//! First-run setup, invites, the user directory, roles and profiles, over HTTP.

use artel_core::Clock;
use artel_tests::{on_every_backend, session_from, Backend, Resp, Session, TestApp, PASSWORD};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

/// Creates an invite as `admin`; returns the 201 response.
async fn create_invite(app: &TestApp, admin: &Session, body: Value) -> Resp {
    let r = app.post("/invites", Some(&admin.access_token), body).await;
    r.expect(201);
    r
}

fn token_of(r: &Resp) -> String {
    r.body["token"].as_str().expect("invite token").to_string()
}

async fn lookup(app: &TestApp, token: &str) -> Resp {
    app.post("/invites/lookup", None, json!({"token": token})).await
}

async fn accept(app: &TestApp, token: &str, email: &str) -> Resp {
    app.post(
        "/invites/accept",
        None,
        json!({"token": token, "name": "New Person", "email": email, "password": PASSWORD}),
    )
    .await
}

async fn set_role(app: &TestApp, actor: &Session, target: Uuid, role: &str) -> Resp {
    app.call("PATCH", &format!("/users/{target}"), Some(&actor.access_token), Some(json!({"role": role})))
        .await
}

async fn user_action(app: &TestApp, actor: &Session, target: Uuid, action: &str) -> Resp {
    app.call("POST", &format!("/users/{target}/{action}"), Some(&actor.access_token), None).await
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().expect("timestamp").parse().expect("RFC 3339 timestamp")
}

async fn setup_is_open_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let r = app.call("GET", "/setup", None, None).await;
    r.expect(200);
    assert_eq!(r.body, json!({"setup_required": true}));

    // A rejected setup leaves it open.
    let bad =
        json!({"workspace_name": "Acme", "name": "Olga", "email": "owner@acme.test", "password": "short"});
    let r = app.post("/setup", None, bad).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], json!("password"));
    assert_eq!(app.call("GET", "/setup", None, None).await.body["setup_required"], json!(true));

    let owner = app.setup_owner().await;
    let r = app.get("/me", &owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body["user"]["role"], json!("owner"));
    assert_eq!(r.body["user"]["time_zone"], json!("Europe/Moscow"));
    assert_eq!(r.body["user"]["language"], json!("ru"));
    assert_eq!(r.body["workspace"]["name"], json!("Acme"));
    assert_eq!(r.body["workspace"]["slug"], json!("acme"));

    let r = app.call("GET", "/setup", None, None).await;
    r.expect(200);
    assert_eq!(r.body, json!({"setup_required": false}));

    let again = json!({"workspace_name": "Evil Corp", "workspace_slug": "evil", "name": "Mallory",
                       "email": "mallory@evil.test", "password": PASSWORD});
    app.post("/setup", None, again).await.expect_error(409, "already_set_up");
    // Same data as the first time: still refused.
    let same = json!({"workspace_name": "Acme", "name": "Olga Owner", "email": "owner@acme.test",
                      "password": PASSWORD});
    app.post("/setup", None, same).await.expect_error(409, "already_set_up");
    // Nobody was created by the refused attempts.
    app.post("/auth/login", None, json!({"email": "mallory@evil.test", "password": PASSWORD}))
        .await
        .expect_error(401, "invalid_credentials");
    let r = app.get("/users", &owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body.as_array().expect("array").len(), 1);
}

async fn invite_is_created_looked_up_and_accepted(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let now = app.clock.now();

    let r = create_invite(&app, &admin, json!({"role": "member"})).await;
    let token = token_of(&r);
    assert!(r.body["url"].as_str().expect("url").ends_with(&format!("/invite/{token}")), "{}", r.body);
    assert_eq!(r.body["invite"]["role"], json!("member"));
    assert_eq!(r.body["invite"]["created_by"], json!(admin.user_id.to_string()));
    assert!(r.body["invite"]["email"].is_null());
    assert_eq!(time(&r.body["invite"]["expires_at"]), now + Duration::hours(168));
    let invite_id = r.body["invite"]["id"].clone();
    assert!(r.body["invite"].get("token_hash").is_none(), "the hash must not leak: {}", r.body);

    // Pending invites are listed, without their secret.
    let r = app.get("/invites", &owner.access_token).await;
    r.expect(200);
    let list = r.body.as_array().expect("array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], invite_id);
    assert!(!r.body.to_string().contains(&token), "the token must not be listed");

    let r = lookup(&app, &token).await;
    r.expect(200);
    assert_eq!(r.body["workspace_name"], json!("Acme"));
    assert_eq!(r.body["role"], json!("member"));
    assert!(r.body["email"].is_null());
    assert_eq!(time(&r.body["expires_at"]), now + Duration::hours(168));

    let r = app
        .post(
            "/invites/accept",
            None,
            json!({"token": token, "name": "  Ivan Petrov ", "email": " Ivan@Acme.Test", "password": PASSWORD,
                   "time_zone": "Asia/Yekaterinburg", "language": "en"}),
        )
        .await;
    r.expect(201);
    let ivan = session_from(&r.body);
    assert_eq!(r.body["user"]["role"], json!("member"));
    assert_eq!(r.body["user"]["name"], json!("Ivan Petrov"));
    assert_eq!(r.body["user"]["email"], json!("ivan@acme.test"));
    assert_eq!(r.body["user"]["time_zone"], json!("Asia/Yekaterinburg"));
    assert_eq!(r.body["user"]["language"], json!("en"));
    assert_eq!(r.body["workspace"]["name"], json!("Acme"));
    assert_eq!(ivan.workspace_id, owner.workspace_id);

    // The tokens work, and the password signs in.
    let r = app.get("/me", &ivan.access_token).await;
    r.expect(200);
    assert_eq!(r.body["user"]["id"], json!(ivan.user_id.to_string()));
    app.post("/auth/refresh", None, json!({"refresh_token": ivan.refresh_token})).await.expect(200);
    app.login("ivan@acme.test", None).await;

    // A used invite is no longer pending.
    let r = app.get("/invites", &owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body, json!([]));

    // Defaults when accepting without time zone and language.
    let token = token_of(&create_invite(&app, &owner, json!({"role": "guest", "expires_in_hours": 1})).await);
    let r = accept(&app, &token, "guest@acme.test").await;
    r.expect(201);
    assert_eq!(r.body["user"]["role"], json!("guest"));
    assert_eq!(r.body["user"]["time_zone"], json!("Europe/Moscow"));
    assert_eq!(r.body["user"]["language"], json!("ru"));
}

async fn invite_works_only_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token = token_of(&create_invite(&app, &owner, json!({"role": "member"})).await);

    accept(&app, &token, "first@acme.test").await.expect(201);
    accept(&app, &token, "second@acme.test").await.expect_error(410, "invite_used");
    lookup(&app, &token).await.expect_error(410, "invite_used");
    app.post("/auth/login", None, json!({"email": "second@acme.test", "password": PASSWORD}))
        .await
        .expect_error(401, "invalid_credentials");
}

async fn expired_invite_is_gone(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token =
        token_of(&create_invite(&app, &owner, json!({"role": "member", "expires_in_hours": 2})).await);

    app.clock.advance(Duration::minutes(119));
    lookup(&app, &token).await.expect(200);
    app.clock.advance(Duration::minutes(1));
    lookup(&app, &token).await.expect_error(410, "invite_expired");
    accept(&app, &token, "late@acme.test").await.expect_error(410, "invite_expired");

    // Expired invites are not pending any more.
    let owner = app.login("owner@acme.test", None).await;
    let r = app.get("/invites", &owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body, json!([]));

    // The expiry is bounded.
    for hours in [0, 721] {
        let r = app
            .post("/invites", Some(&owner.access_token), json!({"role": "member", "expires_in_hours": hours}))
            .await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], json!("expires_in_hours"));
    }
    create_invite(&app, &owner, json!({"role": "member", "expires_in_hours": 720})).await;
}

async fn revoked_invite_is_gone(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let r = create_invite(&app, &owner, json!({"role": "member"})).await;
    let (token, id) = (token_of(&r), r.body["invite"]["id"].as_str().expect("id").to_string());
    let keep = create_invite(&app, &owner, json!({"role": "guest"})).await;

    app.call("DELETE", &format!("/invites/{id}"), Some(&owner.access_token), None).await.expect(204);
    lookup(&app, &token).await.expect_error(410, "invite_revoked");
    accept(&app, &token, "x@acme.test").await.expect_error(410, "invite_revoked");
    // Revoking twice: there is no pending invite with that id any more.
    app.call("DELETE", &format!("/invites/{id}"), Some(&owner.access_token), None)
        .await
        .expect_error(404, "not_found");

    let r = app.get("/invites", &owner.access_token).await;
    r.expect(200);
    let ids: Vec<&Value> = r.body.as_array().expect("array").iter().map(|i| &i["id"]).collect();
    assert_eq!(ids, vec![&keep.body["invite"]["id"]]);
    lookup(&app, &token_of(&keep)).await.expect(200);

    // A used invite cannot be revoked.
    let used = create_invite(&app, &owner, json!({"role": "member"})).await;
    accept(&app, &token_of(&used), "used@acme.test").await.expect(201);
    let used_id = used.body["invite"]["id"].as_str().expect("id");
    app.call("DELETE", &format!("/invites/{used_id}"), Some(&owner.access_token), None)
        .await
        .expect_error(404, "not_found");
    lookup(&app, &token_of(&used)).await.expect_error(410, "invite_used");
}

async fn invite_for_an_address_rejects_other_addresses(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let r = create_invite(&app, &owner, json!({"role": "member", "email": " Anna@Example.COM "})).await;
    assert_eq!(r.body["invite"]["email"], json!("anna@example.com"));
    let token = token_of(&r);
    let r = lookup(&app, &token).await;
    r.expect(200);
    assert_eq!(r.body["email"], json!("anna@example.com"));

    let r = accept(&app, &token, "boris@example.com").await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], json!("email"));
    app.post("/auth/login", None, json!({"email": "boris@example.com", "password": PASSWORD}))
        .await
        .expect_error(401, "invalid_credentials");

    // The invite is still usable by the right person, however they spell the address.
    lookup(&app, &token).await.expect(200);
    let r = accept(&app, &token, "ANNA@example.com").await;
    r.expect(201);
    assert_eq!(r.body["user"]["email"], json!("anna@example.com"));

    // An invalid restriction is refused up front.
    let r = app
        .post("/invites", Some(&owner.access_token), json!({"role": "member", "email": "not an email"}))
        .await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], json!("email"));
}

async fn invite_for_existing_email_conflicts(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token = token_of(&create_invite(&app, &owner, json!({"role": "member"})).await);

    accept(&app, &token, "owner@acme.test").await.expect_error(409, "email_taken");
    accept(&app, &token, " OWNER@Acme.test").await.expect_error(409, "email_taken");
    // The owner's account is untouched and the invite still usable.
    app.login("owner@acme.test", None).await;
    lookup(&app, &token).await.expect(200);
    accept(&app, &token, "fresh@acme.test").await.expect(201);
}

async fn only_admins_invite_and_only_owners_invite_owners(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;

    for s in [&member, &guest] {
        app.post("/invites", Some(&s.access_token), json!({"role": "guest"}))
            .await
            .expect_error(403, "forbidden");
        app.get("/invites", &s.access_token).await.expect_error(403, "forbidden");
    }
    app.post("/invites", Some(&admin.access_token), json!({"role": "owner"}))
        .await
        .expect_error(403, "forbidden");
    // An admin grants what an admin may grant by a role change: not admin.
    app.post("/invites", Some(&admin.access_token), json!({"role": "admin"}))
        .await
        .expect_error(403, "forbidden");
    for role in ["member", "guest"] {
        create_invite(&app, &admin, json!({"role": role})).await;
    }
    let r = create_invite(&app, &owner, json!({"role": "owner"})).await;
    let owner_invite_id = r.body["invite"]["id"].as_str().expect("id").to_string();
    let r = accept(&app, &token_of(&r), "second-owner@acme.test").await;
    r.expect(201);
    assert_eq!(r.body["user"]["role"], json!("owner"));

    // Revoking follows the same rules.
    let pending = create_invite(&app, &owner, json!({"role": "owner"})).await;
    let pending_id = pending.body["invite"]["id"].as_str().expect("id");
    app.call("DELETE", &format!("/invites/{pending_id}"), Some(&admin.access_token), None)
        .await
        .expect_error(403, "forbidden");
    let m = create_invite(&app, &owner, json!({"role": "member"})).await;
    let m_id = m.body["invite"]["id"].as_str().expect("id");
    app.call("DELETE", &format!("/invites/{m_id}"), Some(&member.access_token), None)
        .await
        .expect_error(403, "forbidden");
    lookup(&app, &token_of(&pending)).await.expect(200);
    lookup(&app, &token_of(&m)).await.expect(200);
    app.call("DELETE", &format!("/invites/{m_id}"), Some(&admin.access_token), None).await.expect(204);
    assert_ne!(owner_invite_id, pending_id);
}

/// An invite carries its sender's rights as they are at redemption: a sender who
/// was deactivated, or demoted below what the invite grants, leaves a dead link.
async fn invites_die_with_their_senders_rights(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let admin2 = app.invite_user(&owner, "admin", "admin2@acme.test").await;
    let by_admin = token_of(&create_invite(&app, &admin, json!({"role": "member"})).await);
    let by_admin2 = token_of(&create_invite(&app, &admin2, json!({"role": "guest"})).await);
    let by_owner = token_of(&create_invite(&app, &owner, json!({"role": "admin"})).await);
    let spare = token_of(&create_invite(&app, &owner, json!({"role": "member"})).await);
    lookup(&app, &by_admin).await.expect(200);
    lookup(&app, &by_admin2).await.expect(200);

    user_action(&app, &owner, admin.user_id, "deactivate").await.expect(200);
    set_role(&app, &owner, admin2.user_id, "member").await.expect(200);
    for token in [&by_admin, &by_admin2] {
        lookup(&app, token).await.expect_error(410, "invite_revoked");
        accept(&app, token, "late@acme.test").await.expect_error(410, "invite_revoked");
    }
    // Nor are they listed as pending.
    let pending = app.get("/invites", &owner.access_token).await;
    pending.expect(200);
    assert_eq!(pending.body.as_array().expect("invites").len(), 2, "{}", pending.body);
    // The owner's admin invite dies when the owner is made an admin (an admin
    // cannot grant admin); the owner's member invite lives on.
    let owner2 = app.invite_user(&owner, "owner", "owner2@acme.test").await;
    set_role(&app, &owner2, owner.user_id, "admin").await.expect(200);
    accept(&app, &by_owner, "would-be-admin@acme.test").await.expect_error(410, "invite_revoked");
    let r = accept(&app, &spare, "late@acme.test").await;
    r.expect(201);
    assert_eq!(r.body["user"]["role"], json!("member"));
}

async fn unknown_invite_token_is_not_found(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let real = token_of(&create_invite(&app, &owner, json!({"role": "member"})).await);

    let mut altered = real.clone();
    let last = altered.pop().expect("char");
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let cases = [
        "art_inv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string(),
        altered,
        String::new(),
        "with spaces inside".to_string(),
        "x".repeat(10_000),
        real.to_uppercase(),
    ];
    for token in &cases {
        lookup(&app, token).await.expect_error(404, "not_found");
        accept(&app, token, "someone@acme.test").await.expect_error(404, "not_found");
    }
    lookup(&app, &real).await.expect(200);
}

async fn guests_cannot_list_users(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;

    app.get("/users", &guest.access_token).await.expect_error(403, "forbidden");
    app.get(&format!("/users/{}", owner.user_id), &guest.access_token).await.expect_error(404, "not_found");
    let r = app.get(&format!("/users/{}", guest.user_id), &guest.access_token).await;
    r.expect(200);
    assert_eq!(r.body["role"], json!("guest"));

    let r = app.get("/users", &member.access_token).await;
    r.expect(200);
    let list = r.body.as_array().expect("array");
    let mut ids: Vec<String> = list.iter().map(|u| u["id"].as_str().expect("id").to_string()).collect();
    ids.sort();
    let mut want: Vec<String> =
        [owner.user_id, member.user_id, guest.user_id].iter().map(Uuid::to_string).collect();
    want.sort();
    assert_eq!(ids, want);
    for u in list {
        assert!(u.get("password_hash").is_none(), "password hash leaked: {u}");
    }
    let r = app.get(&format!("/users/{}", owner.user_id), &member.access_token).await;
    r.expect(200);
    assert_eq!(r.body["email"], json!("owner@acme.test"));
    app.get(&format!("/users/{}", Uuid::now_v7()), &member.access_token).await.expect_error(404, "not_found");
}

async fn role_changes_follow_the_rules(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let admin2 = app.invite_user(&owner, "admin", "admin2@acme.test").await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let member2 = app.invite_user(&owner, "member", "member2@acme.test").await;

    // Admin demotes a member to guest.
    let r = set_role(&app, &admin, member.user_id, "guest").await;
    r.expect(200);
    assert_eq!(r.body["role"], json!("guest"));
    // The new role applies at once to the live session.
    app.get("/users", &member.access_token).await.expect_error(403, "forbidden");
    let r = app.get("/me", &member.access_token).await;
    assert_eq!(r.body["user"]["role"], json!("guest"));
    set_role(&app, &admin, member.user_id, "member").await.expect(200);

    // Admin cannot grant admin or owner, nor touch admins and owners.
    set_role(&app, &admin, member2.user_id, "admin").await.expect_error(403, "forbidden");
    set_role(&app, &admin, member2.user_id, "owner").await.expect_error(403, "forbidden");
    set_role(&app, &admin, admin2.user_id, "member").await.expect_error(403, "forbidden");
    set_role(&app, &admin, owner.user_id, "member").await.expect_error(403, "forbidden");
    // Members cannot change roles at all.
    set_role(&app, &member2, member.user_id, "guest").await.expect_error(403, "forbidden");
    // Nobody changes their own role.
    set_role(&app, &owner, owner.user_id, "admin").await.expect_error(403, "forbidden");
    set_role(&app, &admin, admin.user_id, "member").await.expect_error(403, "forbidden");
    set_role(&app, &member, member.user_id, "admin").await.expect_error(403, "forbidden");

    // None of that changed anything.
    let r = app.get("/users", &owner.access_token).await;
    r.expect(200);
    for u in r.body.as_array().expect("array") {
        let want = match u["email"].as_str().expect("email") {
            "owner@acme.test" => "owner",
            "admin@acme.test" | "admin2@acme.test" => "admin",
            _ => "member",
        };
        assert_eq!(u["role"], json!(want), "{u}");
    }

    // The owner can.
    let r = set_role(&app, &owner, member2.user_id, "admin").await;
    r.expect(200);
    assert_eq!(r.body["role"], json!("admin"));
    assert_eq!(app.get("/me", &member2.access_token).await.body["user"]["role"], json!("admin"));
    set_role(&app, &owner, admin2.user_id, "member").await.expect(200);
    set_role(&app, &owner, member.user_id, "owner").await.expect(200);
    set_role(&app, &member, owner.user_id, "admin").await.expect(200);

    set_role(&app, &member, Uuid::now_v7(), "member").await.expect_error(404, "not_found");
    let r = set_role(&app, &member, admin.user_id, "superuser").await;
    r.expect_error(422, "invalid_body");
}

async fn deactivation_follows_the_rules(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let admin = app.invite_user(&owner, "admin", "admin@acme.test").await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@acme.test").await;

    user_action(&app, &member, guest.user_id, "deactivate").await.expect_error(403, "forbidden");
    user_action(&app, &admin, owner.user_id, "deactivate").await.expect_error(403, "forbidden");
    user_action(&app, &admin, admin.user_id, "deactivate").await.expect_error(403, "forbidden");
    user_action(&app, &owner, owner.user_id, "deactivate").await.expect_error(403, "forbidden");
    for s in [&owner, &admin, &member, &guest] {
        app.get("/me", &s.access_token).await.expect(200);
    }

    let r = user_action(&app, &admin, guest.user_id, "deactivate").await;
    r.expect(200);
    assert!(r.body["deactivated_at"].is_string());
    // Deactivated people stay in the directory, marked.
    let r = app.get(&format!("/users/{}", guest.user_id), &member.access_token).await;
    r.expect(200);
    assert!(r.body["deactivated_at"].is_string());
    user_action(&app, &member, guest.user_id, "reactivate").await.expect_error(403, "forbidden");
    let r = user_action(&app, &admin, guest.user_id, "reactivate").await;
    r.expect(200);
    assert!(r.body["deactivated_at"].is_null());
    user_action(&app, &owner, admin.user_id, "deactivate").await.expect(200);
    app.get("/me", &admin.access_token).await.expect(401);
}

async fn profile_is_updated_and_validated(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let patch = |body: Value| app.call("PATCH", "/me", Some(&owner.access_token), Some(body));

    let r = patch(json!({"name": "  Ольга Иванова  "})).await;
    r.expect(200);
    assert_eq!(r.body["name"], json!("Ольга Иванова"));
    assert_eq!(r.body["time_zone"], json!("Europe/Moscow"));
    assert_eq!(r.body["language"], json!("ru"));

    let r = patch(json!({"time_zone": "Mars/Base"})).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(r.body["error"]["field"], json!("time_zone"));

    let r = patch(json!({"time_zone": "Asia/Vladivostok", "language": "en"})).await;
    r.expect(200);
    assert_eq!(r.body["time_zone"], json!("Asia/Vladivostok"));
    assert_eq!(r.body["language"], json!("en"));
    assert_eq!(r.body["name"], json!("Ольга Иванова"));

    let r = patch(json!({"language": "ru"})).await;
    r.expect(200);
    assert_eq!(r.body["language"], json!("ru"));
    patch(json!({"language": "de"})).await.expect_error(422, "invalid_body");

    for bad_name in ["", "   ", "a\u{0}b"] {
        let r = patch(json!({"name": bad_name})).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(r.body["error"]["field"], json!("name"));
    }
    // A rejected patch changes nothing, not even its valid parts.
    patch(json!({"name": "Should Not Stick", "time_zone": "Mars/Base"})).await.expect(422);

    // An empty patch is a no-op.
    let r = patch(json!({})).await;
    r.expect(200);
    assert_eq!(r.body["name"], json!("Ольга Иванова"));
    assert_eq!(r.body["time_zone"], json!("Asia/Vladivostok"));
    assert_eq!(r.body["language"], json!("ru"));

    // Others see the new profile.
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let r = app.get(&format!("/users/{}", owner.user_id), &member.access_token).await;
    assert_eq!(r.body["name"], json!("Ольга Иванова"));
    // Each person edits only their own profile.
    let r = app.call("PATCH", "/me", Some(&member.access_token), Some(json!({"name": "Member M"}))).await;
    r.expect(200);
    assert_eq!(r.body["id"], json!(member.user_id.to_string()));
    assert_eq!(app.get("/me", &owner.access_token).await.body["user"]["name"], json!("Ольга Иванова"));
}

async fn me_describes_the_signed_in_user(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let r = app.get("/me", &owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body["user"]["id"], json!(owner.user_id.to_string()));
    assert_eq!(r.body["user"]["email"], json!("owner@acme.test"));
    assert_eq!(r.body["user"]["name"], json!("Olga Owner"));
    assert_eq!(r.body["user"]["role"], json!("owner"));
    assert!(r.body["user"]["deactivated_at"].is_null());
    assert_eq!(time(&r.body["user"]["created_at"]), app.clock.now());
    assert_eq!(r.body["workspace"]["id"], json!(owner.workspace_id.to_string()));
    let sid: Uuid = r.body["session_id"].as_str().expect("session_id").parse().expect("uuid");
    assert!(r.body["user"].get("password_hash").is_none(), "password hash leaked: {}", r.body);

    // Another sign-in is another session of the same user.
    let other = app.login("owner@acme.test", None).await;
    let r2 = app.get("/me", &other.access_token).await;
    r2.expect(200);
    assert_eq!(r2.body["user"], r.body["user"]);
    assert_ne!(r2.body["session_id"], json!(sid.to_string()));
}

on_every_backend!(
    setup_is_open_once,
    invite_is_created_looked_up_and_accepted,
    invite_works_only_once,
    expired_invite_is_gone,
    revoked_invite_is_gone,
    invite_for_an_address_rejects_other_addresses,
    invite_for_existing_email_conflicts,
    only_admins_invite_and_only_owners_invite_owners,
    invites_die_with_their_senders_rights,
    unknown_invite_token_is_not_found,
    guests_cannot_list_users,
    role_changes_follow_the_rules,
    deactivation_follows_the_rules,
    profile_is_updated_and_validated,
    me_describes_the_signed_in_user,
);
