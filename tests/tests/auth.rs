//! Sign-in, tokens, sessions and sign-in rate limiting, over HTTP.

use artel::config::ServeConfig;
use artel_tests::{on_every_backend, test_serve_config, Backend, Resp, Session, TestApp, PASSWORD};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use uuid::Uuid;

const OWNER: &str = "owner@acme.test";

/// Decodes one base64url JSON part of a JWT (0 = header, 1 = claims).
fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("jwt part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("json")
}

fn b64_json(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"))
}

/// Signs `claims` with HS256 or another algorithm under `kid` with `secret`.
fn sign(alg: Algorithm, kid: &str, claims: &Value, secret: &[u8]) -> String {
    let header = Header { kid: Some(kid.to_string()), ..Header::new(alg) };
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).expect("encode jwt")
}

/// The server's current signing key, read from the data dir (kid, secret bytes).
fn server_key(app: &TestApp) -> (String, Vec<u8>) {
    let text = std::fs::read_to_string(app.data.data_dir.join("jwt-keys.json")).expect("key file");
    let file: Value = serde_json::from_str(&text).expect("key file json");
    let key = &file["keys"][0];
    let secret = URL_SAFE_NO_PAD.decode(key["secret"].as_str().expect("secret")).expect("secret b64");
    (key["kid"].as_str().expect("kid").to_string(), secret)
}

async fn me(app: &TestApp, s: &Session) -> Resp {
    app.get("/me", &s.access_token).await
}

async fn login_raw(app: &TestApp, email: &str, password: &str) -> Resp {
    app.post("/auth/login", None, json!({"email": email, "password": password})).await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Resp {
    app.post("/auth/refresh", None, json!({"refresh_token": refresh_token})).await
}

async fn call_with_auth_header(app: &TestApp, header: &str) -> Resp {
    let resp =
        app.http.get(app.url("/me")).header("authorization", header).send().await.expect("request sent");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    Resp { status, body, headers }
}

async fn wrong_password_and_unknown_user_look_the_same(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.setup_owner().await;

    let wrong = login_raw(&app, OWNER, "not the password").await;
    wrong.expect_error(401, "invalid_credentials");
    let unknown = login_raw(&app, "nobody@acme.test", PASSWORD).await;
    unknown.expect_error(401, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body, "the two failures must be indistinguishable");

    // Malformed addresses and empty passwords are answered the same way.
    login_raw(&app, "not-an-email", PASSWORD).await.expect_error(401, "invalid_credentials");
    login_raw(&app, OWNER, "").await.expect_error(401, "invalid_credentials");
    // A workspace slug that does not exist hides the account too.
    app.post("/auth/login", None, json!({"email": OWNER, "password": PASSWORD, "workspace": "nope"}))
        .await
        .expect_error(401, "invalid_credentials");
}

async fn email_is_matched_case_and_whitespace_insensitively(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;

    for email in ["OWNER@ACME.TEST", "  Owner@Acme.Test  ", "\towner@acme.test\n"] {
        let r = login_raw(&app, email, PASSWORD).await;
        r.expect(200);
        assert_eq!(r.body["user"]["id"], json!(owner.user_id.to_string()), "login as {email:?}");
        assert_eq!(r.body["user"]["email"], json!(OWNER));
        assert_eq!(r.body["token_type"], json!("Bearer"));
        assert_eq!(r.body["expires_in"], json!(900));
    }
    // The workspace slug is matched the same way.
    let r = app
        .post("/auth/login", None, json!({"email": OWNER, "password": PASSWORD, "workspace": " ACME "}))
        .await;
    r.expect(200);
    // The password, though, is exact.
    login_raw(&app, OWNER, &PASSWORD.to_uppercase()).await.expect_error(401, "invalid_credentials");
    login_raw(&app, OWNER, &format!(" {PASSWORD}")).await.expect_error(401, "invalid_credentials");
}

async fn expired_access_token_is_rejected_and_refresh_renews_it(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    me(&app, &owner).await.expect(200);

    app.clock.advance(Duration::seconds(899));
    me(&app, &owner).await.expect(200);

    app.clock.advance(Duration::seconds(2));
    me(&app, &owner).await.expect_error(401, "token_expired");

    let r = refresh(&app, &owner.refresh_token).await;
    r.expect(200);
    let renewed = artel_tests::session_from(&r.body);
    assert_eq!(renewed.user_id, owner.user_id);
    assert_ne!(renewed.access_token, owner.access_token);
    assert_ne!(renewed.refresh_token, owner.refresh_token);
    let r = me(&app, &renewed).await;
    r.expect(200);
    assert_eq!(r.body["user"]["id"], json!(owner.user_id.to_string()));
    // The old access token stays expired; refresh does not revive it.
    me(&app, &owner).await.expect_error(401, "token_expired");
}

async fn token_signed_with_another_key_is_rejected(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let kid = jwt_part(&owner.access_token, 0)["kid"].as_str().expect("kid").to_string();
    let claims = jwt_part(&owner.access_token, 1);
    for field in ["sub", "ws", "sid", "iat", "exp", "iss", "aud"] {
        assert!(!claims[field].is_null(), "claim {field} missing from {claims}");
    }

    // Control: the same claims signed with the server's real key are accepted, so the
    // rejections below are about the key and the algorithm, not the token's shape.
    let (real_kid, real_secret) = server_key(&app);
    assert_eq!(real_kid, kid);
    let genuine = sign(Algorithm::HS256, &kid, &claims, &real_secret);
    app.get("/me", &genuine).await.expect(200);

    let other_secret = format!("{}{}", Uuid::now_v7().simple(), Uuid::now_v7().simple());
    let forged = sign(Algorithm::HS256, &kid, &claims, other_secret.as_bytes());
    app.get("/me", &forged).await.expect_error(401, "invalid_token");

    // The real key but another HMAC algorithm.
    let hs384 = sign(Algorithm::HS384, &kid, &claims, &real_secret);
    app.get("/me", &hs384).await.expect_error(401, "invalid_token");

    // The real key under an unknown kid, and without a kid at all.
    let unknown_kid = sign(Algorithm::HS256, "not-a-kid", &claims, &real_secret);
    app.get("/me", &unknown_kid).await.expect_error(401, "invalid_token");
    let no_kid = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&real_secret),
    )
    .expect("encode");
    app.get("/me", &no_kid).await.expect_error(401, "invalid_token");

    // The real key, but a wrong audience or issuer.
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = json!("someone-else");
    app.get("/me", &sign(Algorithm::HS256, &kid, &wrong_aud, &real_secret))
        .await
        .expect_error(401, "invalid_token");
    let mut wrong_iss = claims.clone();
    wrong_iss["iss"] = json!("someone-else");
    app.get("/me", &sign(Algorithm::HS256, &kid, &wrong_iss, &real_secret))
        .await
        .expect_error(401, "invalid_token");

    // A genuine signature over claims that were edited afterwards.
    let mut parts: Vec<String> = owner.access_token.split('.').map(str::to_string).collect();
    let mut edited = claims.clone();
    edited["exp"] = json!(claims["exp"].as_i64().expect("exp") + 86_400);
    parts[1] = b64_json(&edited);
    app.get("/me", &parts.join(".")).await.expect_error(401, "invalid_token");

    // The genuine token still works.
    me(&app, &owner).await.expect(200);
}

async fn alg_none_token_is_rejected(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let kid = jwt_part(&owner.access_token, 0)["kid"].clone();
    let claims = jwt_part(&owner.access_token, 1);

    for alg in ["none", "None", "NONE"] {
        let header = json!({"alg": alg, "typ": "JWT", "kid": kid});
        let unsigned = format!("{}.{}.", b64_json(&header), b64_json(&claims));
        app.get("/me", &unsigned).await.expect_error(401, "invalid_token");
        // With the genuine signature pasted on, it must still fail.
        let sig = owner.access_token.rsplit('.').next().expect("signature");
        let pasted = format!("{}.{}.{sig}", b64_json(&header), b64_json(&claims));
        app.get("/me", &pasted).await.expect_error(401, "invalid_token");
    }
    me(&app, &owner).await.expect(200);
}

async fn missing_or_garbage_authorization_is_rejected(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;

    app.call("GET", "/me", None, None).await.expect_error(401, "unauthenticated");
    app.call("GET", "/users", None, None).await.expect_error(401, "unauthenticated");
    app.call("POST", "/auth/logout", None, None).await.expect_error(401, "unauthenticated");

    let long = "a".repeat(10_000);
    let cases = [
        "Bearer garbage".to_string(),
        "Bearer ".to_string(),
        "Bearer a.b.c".to_string(),
        "Bearer ....".to_string(),
        format!("Bearer {long}"),
        format!("Basic {}", URL_SAFE_NO_PAD.encode(format!("{OWNER}:{PASSWORD}"))),
        owner.access_token.clone(),
        format!("Token {}", owner.access_token),
        format!("Bearer {}", owner.refresh_token),
        format!("Bearer {}x", owner.access_token),
    ];
    for header in &cases {
        let r = call_with_auth_header(&app, header).await;
        r.expect_error(401, "invalid_token");
    }
    // The well-formed header works, in either spelling of the scheme.
    call_with_auth_header(&app, &format!("Bearer {}", owner.access_token)).await.expect(200);
    call_with_auth_header(&app, &format!("bearer {}", owner.access_token)).await.expect(200);
}

async fn refresh_rotates_and_reuse_kills_the_family(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let other_device = app.login(OWNER, None).await;

    let r1 = refresh(&app, &owner.refresh_token).await;
    r1.expect(200);
    let s1 = artel_tests::session_from(&r1.body);
    assert_ne!(s1.refresh_token, owner.refresh_token);
    me(&app, &s1).await.expect(200);
    // Rotation keeps the session: the same session id before and after.
    let sid0 = me(&app, &owner).await.body["session_id"].clone();
    assert_eq!(me(&app, &s1).await.body["session_id"], sid0);

    let r2 = refresh(&app, &s1.refresh_token).await;
    r2.expect(200);
    let s2 = artel_tests::session_from(&r2.body);
    me(&app, &s2).await.expect(200);

    // Someone replays the first refresh token: the whole family dies.
    refresh(&app, &owner.refresh_token).await.expect_error(401, "refresh_token_reused");
    refresh(&app, &s2.refresh_token).await.expect_error(401, "invalid_refresh_token");
    me(&app, &s2).await.expect_error(401, "session_revoked");
    me(&app, &s1).await.expect_error(401, "session_revoked");
    me(&app, &owner).await.expect_error(401, "session_revoked");

    // The user's other session is untouched.
    me(&app, &other_device).await.expect(200);
    refresh(&app, &other_device.refresh_token).await.expect(200);

    // Garbage refresh tokens.
    refresh(&app, "art_rt_doesnotexist").await.expect_error(401, "invalid_refresh_token");
    refresh(&app, "").await.expect_error(401, "invalid_refresh_token");
    refresh(&app, &"x".repeat(10_000)).await.expect_error(401, "invalid_refresh_token");
    refresh(&app, &other_device.access_token).await.expect_error(401, "invalid_refresh_token");
}

async fn logout_ends_only_this_session(backend: Backend) {
    let app = TestApp::start(backend).await;
    let first = app.setup_owner().await;
    let second = app.login(OWNER, None).await;

    app.call("POST", "/auth/logout", Some(&first.access_token), None).await.expect(204);
    me(&app, &first).await.expect_error(401, "session_revoked");
    refresh(&app, &first.refresh_token).await.expect_error(401, "invalid_refresh_token");
    // Logging out again with the dead token is refused.
    app.call("POST", "/auth/logout", Some(&first.access_token), None)
        .await
        .expect_error(401, "session_revoked");

    me(&app, &second).await.expect(200);
    refresh(&app, &second.refresh_token).await.expect(200);
}

async fn logout_all_ends_every_session(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let a = app.login(OWNER, None).await;
    let b = app.login(OWNER, None).await;

    app.call("POST", "/auth/logout-all", Some(&a.access_token), None).await.expect(204);
    for s in [&owner, &a, &b] {
        me(&app, s).await.expect_error(401, "session_revoked");
        refresh(&app, &s.refresh_token).await.expect_error(401, "invalid_refresh_token");
    }
    // Other users keep their sessions.
    me(&app, &member).await.expect(200);
    // Signing in again works.
    let fresh = app.login(OWNER, None).await;
    me(&app, &fresh).await.expect(200);
    let r = app.get("/me/sessions", &fresh.access_token).await;
    r.expect(200);
    assert_eq!(r.body.as_array().expect("array").len(), 1, "only the new session is live: {}", r.body);
}

async fn deactivated_user_is_locked_out_at_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let m1 = app.invite_user(&owner, "member", "member@acme.test").await;
    let m2 = app.login("member@acme.test", None).await;
    me(&app, &m1).await.expect(200);
    me(&app, &m2).await.expect(200);

    let path = format!("/users/{}/deactivate", m1.user_id);
    let r = app.call("POST", &path, Some(&owner.access_token), None).await;
    r.expect(200);
    assert!(r.body["deactivated_at"].is_string(), "{}", r.body);

    for s in [&m1, &m2] {
        let r = me(&app, s).await;
        r.expect(401);
        assert!(["account_deactivated", "session_revoked"].contains(&r.code()), "unexpected code {}", r.body);
        refresh(&app, &s.refresh_token).await.expect(401);
    }
    // The right password of a deactivated account answers exactly as a wrong one,
    // and counts as a failed attempt: nothing tells whether the password was right.
    for password in [PASSWORD, "wrong password", PASSWORD, "wrong password"] {
        login_raw(&app, "member@acme.test", password).await.expect_error(401, "invalid_credentials");
    }

    let path = format!("/users/{}/reactivate", m1.user_id);
    let r = app.call("POST", &path, Some(&owner.access_token), None).await;
    r.expect(200);
    assert!(r.body["deactivated_at"].is_null(), "{}", r.body);

    let again = app.login("member@acme.test", None).await;
    me(&app, &again).await.expect(200);
    // The sessions ended by the deactivation stay ended.
    me(&app, &m1).await.expect_error(401, "session_revoked");
    me(&app, &m2).await.expect_error(401, "session_revoked");
}

async fn account_rate_limit_locks_then_expires(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.setup_owner().await;

    // A success clears the count.
    for _ in 0..4 {
        login_raw(&app, OWNER, "wrong password").await.expect_error(401, "invalid_credentials");
    }
    app.login(OWNER, None).await;

    for _ in 0..5 {
        login_raw(&app, OWNER, "wrong password").await.expect_error(401, "invalid_credentials");
    }
    let r = login_raw(&app, OWNER, PASSWORD).await;
    r.expect_error(429, "rate_limited");
    let retry: u64 = r
        .headers
        .get("retry-after")
        .expect("Retry-After header")
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    // Spelling the address differently does not get around the lock.
    login_raw(&app, " OWNER@acme.test", PASSWORD).await.expect_error(429, "rate_limited");

    // Another account from the same address is not locked.
    app.post("/auth/login", None, json!({"email": "someone@acme.test", "password": "x"}))
        .await
        .expect_error(401, "invalid_credentials");

    app.clock.advance(Duration::seconds(600));
    login_raw(&app, OWNER, PASSWORD).await.expect_error(429, "rate_limited");
    app.clock.advance(Duration::seconds(301));
    let r = login_raw(&app, OWNER, PASSWORD).await;
    r.expect(200);
}

async fn ip_rate_limit_counts_across_accounts(backend: Backend) {
    let app =
        TestApp::start_with(backend, ServeConfig { login_max_failures_per_ip: 3, ..test_serve_config() })
            .await;
    app.setup_owner().await;

    for email in ["a@acme.test", "b@acme.test", "c@acme.test"] {
        login_raw(&app, email, "wrong password").await.expect_error(401, "invalid_credentials");
    }
    let r = login_raw(&app, "d@acme.test", "wrong password").await;
    r.expect_error(429, "rate_limited");
    assert!(r.headers.get("retry-after").is_some(), "429 without Retry-After");
    // Even the right password of an untouched account is refused from this address.
    login_raw(&app, OWNER, PASSWORD).await.expect_error(429, "rate_limited");

    app.clock.advance(Duration::seconds(901));
    login_raw(&app, OWNER, PASSWORD).await.expect(200);
}

async fn password_is_rehashed_with_new_parameters(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let user = app.state.store.get_user(owner.workspace_id, owner.user_id).await.expect("user");
    assert!(user.password_hash.starts_with("$argon2id$"), "{}", user.password_hash);
    assert!(user.password_hash.contains("m=1024"), "{}", user.password_hash);
    let db = app.stop().await;

    let app = TestApp::start_on(db, ServeConfig { argon2_memory_kib: 2048, ..test_serve_config() }).await;
    // The signing key lives in the data dir: tokens from before the restart still verify.
    me(&app, &owner).await.expect(200);
    app.login(OWNER, None).await;
    let user = app.state.store.get_user(owner.workspace_id, owner.user_id).await.expect("user");
    assert!(user.password_hash.contains("m=2048"), "not rehashed: {}", user.password_hash);
    // The new hash verifies, and is left alone from now on.
    app.login(OWNER, None).await;
    let again = app.state.store.get_user(owner.workspace_id, owner.user_id).await.expect("user");
    assert_eq!(again.password_hash, user.password_hash);
    login_raw(&app, OWNER, "wrong password").await.expect_error(401, "invalid_credentials");
}

async fn change_password_revokes_other_sessions(backend: Backend) {
    let app = TestApp::start(backend).await;
    let current = app.setup_owner().await;
    let other = app.login(OWNER, None).await;
    const NEW: &str = "a brand new passphrase";

    let change = |cur: &str, new: &str| json!({"current_password": cur, "new_password": new});
    app.post("/me/password", Some(&current.access_token), change("wrong password", NEW))
        .await
        .expect_error(403, "forbidden");
    let r = app.post("/me/password", Some(&current.access_token), change(PASSWORD, "short")).await;
    r.expect_error(422, "invalid_input");
    // Failed attempts changed nothing.
    me(&app, &other).await.expect(200);
    login_raw(&app, OWNER, PASSWORD).await.expect(200);

    app.post("/me/password", Some(&current.access_token), change(PASSWORD, NEW)).await.expect(204);
    me(&app, &current).await.expect(200);
    me(&app, &other).await.expect_error(401, "session_revoked");
    refresh(&app, &other.refresh_token).await.expect(401);
    login_raw(&app, OWNER, PASSWORD).await.expect_error(401, "invalid_credentials");
    login_raw(&app, OWNER, NEW).await.expect(200);
    // The current session keeps refreshing.
    refresh(&app, &current.refresh_token).await.expect(200);
}

async fn sessions_are_listed_and_revoked_one_by_one(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s1 = app.setup_owner().await;
    let s2 = app.login(OWNER, None).await;
    let s3 = app.login(OWNER, None).await;
    let member = app.invite_user(&s1, "member", "member@acme.test").await;
    let sid = |r: &Resp| r.body["session_id"].as_str().expect("session_id").to_string();
    let id1 = sid(&me(&app, &s1).await);
    let id2 = sid(&me(&app, &s2).await);
    let id3 = sid(&me(&app, &s3).await);

    let r = app.get("/me/sessions", &s1.access_token).await;
    r.expect(200);
    let list = r.body.as_array().expect("array");
    let ids: Vec<&str> = list.iter().map(|s| s["id"].as_str().expect("id")).collect();
    assert_eq!(list.len(), 3, "{}", r.body);
    for id in [&id1, &id2, &id3] {
        assert!(ids.contains(&id.as_str()), "{id} missing from {ids:?}");
    }
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == json!(true)).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], json!(id1));
    assert_eq!(current[0]["ip"], json!("127.0.0.1"));

    app.call("DELETE", &format!("/me/sessions/{id2}"), Some(&s1.access_token), None).await.expect(204);
    me(&app, &s2).await.expect_error(401, "session_revoked");
    refresh(&app, &s2.refresh_token).await.expect(401);
    me(&app, &s1).await.expect(200);
    me(&app, &s3).await.expect(200);
    let r = app.get("/me/sessions", &s3.access_token).await;
    r.expect(200);
    let ids: Vec<&str> =
        r.body.as_array().expect("array").iter().map(|s| s["id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&id2.as_str()));

    // Unknown ids and other people's sessions are not found, and stay alive.
    let unknown = Uuid::now_v7();
    app.call("DELETE", &format!("/me/sessions/{unknown}"), Some(&s1.access_token), None)
        .await
        .expect_error(404, "not_found");
    let member_sid = sid(&me(&app, &member).await);
    app.call("DELETE", &format!("/me/sessions/{member_sid}"), Some(&s1.access_token), None)
        .await
        .expect_error(404, "not_found");
    me(&app, &member).await.expect(200);
    app.call("DELETE", &format!("/me/sessions/{id1}"), Some(&member.access_token), None)
        .await
        .expect_error(404, "not_found");
    me(&app, &s1).await.expect(200);

    // Revoking the current session signs this device out.
    app.call("DELETE", &format!("/me/sessions/{id3}"), Some(&s3.access_token), None).await.expect(204);
    me(&app, &s3).await.expect_error(401, "session_revoked");
}

on_every_backend!(
    wrong_password_and_unknown_user_look_the_same,
    email_is_matched_case_and_whitespace_insensitively,
    expired_access_token_is_rejected_and_refresh_renews_it,
    token_signed_with_another_key_is_rejected,
    alg_none_token_is_rejected,
    missing_or_garbage_authorization_is_rejected,
    refresh_rotates_and_reuse_kills_the_family,
    logout_ends_only_this_session,
    logout_all_ends_every_session,
    deactivated_user_is_locked_out_at_once,
    account_rate_limit_locks_then_expires,
    ip_rate_limit_counts_across_accounts,
    password_is_rehashed_with_new_parameters,
    change_password_revokes_other_sessions,
    sessions_are_listed_and_revoked_one_by_one,
);
