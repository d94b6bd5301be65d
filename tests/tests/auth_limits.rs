//! Sign-in and password-change limits under concurrency: each attempt is counted
//! before its password is hashed, so a burst of parallel attempts gets exactly
//! the limit's worth of answers and 429 for the rest.

use std::collections::BTreeMap;

use artel_tests::{on_every_backend, Backend, Resp, TestApp, PASSWORD};
use futures_util::future::join_all;
use serde_json::json;

const OWNER: &str = "owner@acme.test";

/// Answers by status, e.g. {401: 30, 429: 98}.
fn tally(answers: &[Resp]) -> BTreeMap<u16, usize> {
    let mut out = BTreeMap::new();
    for r in answers {
        if r.status >= 400 {
            r.expect(r.status);
        }
        *out.entry(r.status).or_insert(0) += 1;
    }
    out
}

fn assert_retry_after(answers: &[Resp]) {
    for r in answers.iter().filter(|r| r.status == 429) {
        r.expect_error(429, "rate_limited");
        let secs: u64 = r
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("429 with Retry-After in seconds");
        assert!(secs >= 1, "Retry-After {secs}");
    }
}

async fn flood_of_unknown_emails_from_one_address_gets_exactly_the_limit(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.setup_owner().await;
    let limit = app.state.settings.login_max_failures_per_ip;
    assert_eq!(limit, 30, "the default per-address limit");

    let answers = join_all((0..128).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/auth/login",
                None,
                json!({"email": format!("nobody{i}@acme.test"), "password": "guess"}),
            )
            .await
        }
    }))
    .await;
    assert_eq!(tally(&answers), BTreeMap::from([(401, 30), (429, 98)]));
    for r in answers.iter().filter(|r| r.status == 401) {
        r.expect_error(401, "invalid_credentials");
    }
    assert_retry_after(&answers);
    // Even the right password is refused from this address now.
    let r = app.post("/auth/login", None, json!({"email": OWNER, "password": PASSWORD})).await;
    r.expect_error(429, "rate_limited");
}

async fn concurrent_wrong_passwords_for_one_account_get_exactly_the_limit(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.setup_owner().await;

    let answers = join_all(
        (0..16).map(|_| app.post("/auth/login", None, json!({"email": OWNER, "password": "wrong password"}))),
    )
    .await;
    assert_eq!(tally(&answers), BTreeMap::from([(401, 5), (429, 11)]));
    assert_retry_after(&answers);
    let r = app.post("/auth/login", None, json!({"email": OWNER, "password": PASSWORD})).await;
    r.expect_error(429, "rate_limited");
}

async fn password_change_is_limited_while_others_sign_in(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let change = |cur: &str| json!({"current_password": cur, "new_password": "a brand new passphrase"});

    // Concurrent guesses with a stolen token: exactly the account limit is checked.
    let answers = join_all(
        (0..16).map(|_| app.post("/me/password", Some(&member.access_token), change("wrong password"))),
    )
    .await;
    assert_eq!(tally(&answers), BTreeMap::from([(403, 5), (429, 11)]));
    assert_retry_after(&answers);
    // One after another, still refused; the right password too, until the window passes.
    app.post("/me/password", Some(&member.access_token), change("another guess"))
        .await
        .expect_error(429, "rate_limited");
    app.post("/me/password", Some(&member.access_token), change(PASSWORD))
        .await
        .expect_error(429, "rate_limited");

    // Meanwhile everybody else signs in as usual, the guessed account too.
    app.login(OWNER, None).await;
    app.login("member@acme.test", None).await;
    app.post("/me/password", Some(&owner.access_token), change(PASSWORD)).await.expect(204);

    app.clock.advance(chrono::Duration::seconds(901));
    let fresh = app.login("member@acme.test", None).await;
    app.post("/me/password", Some(&fresh.access_token), change(PASSWORD)).await.expect(204);
}

on_every_backend!(
    flood_of_unknown_emails_from_one_address_gets_exactly_the_limit,
    concurrent_wrong_passwords_for_one_account_get_exactly_the_limit,
    password_change_is_limited_while_others_sign_in,
);
