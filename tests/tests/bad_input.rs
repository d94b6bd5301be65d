//! Bad input of every kind gets a precise 4xx in the standard error shape, never a 500
//! and never a side effect.

use artel_tests::{on_every_backend, Backend, Resp, Session, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

/// One JSON endpoint and the bodies that exercise it.
struct Endpoint {
    method: &'static str,
    path: String,
    token: Option<String>,
    /// A well-formed body; variants are derived from it.
    valid: Value,
    /// A body without a required field (None when every field is optional).
    missing: Option<Value>,
    /// A body with a field of the wrong JSON type.
    wrong_type: Value,
}

fn endpoints(owner: &Session, member: &Session) -> Vec<Endpoint> {
    let tok = || Some(owner.access_token.clone());
    vec![
        Endpoint {
            method: "POST",
            path: "/setup".into(),
            token: None,
            valid: json!({"workspace_name": "Other", "name": "N", "email": "n@other.test", "password": PASSWORD}),
            missing: Some(json!({"workspace_name": "Other", "email": "n@other.test", "password": PASSWORD})),
            wrong_type: json!({"workspace_name": 42, "name": "N", "email": "n@other.test", "password": PASSWORD}),
        },
        Endpoint {
            method: "POST",
            path: "/auth/login".into(),
            token: None,
            valid: json!({"email": "owner@acme.test", "password": PASSWORD}),
            missing: Some(json!({"email": "owner@acme.test"})),
            wrong_type: json!({"email": ["owner@acme.test"], "password": PASSWORD}),
        },
        Endpoint {
            method: "POST",
            path: "/auth/refresh".into(),
            token: None,
            valid: json!({"refresh_token": owner.refresh_token}),
            missing: Some(json!({})),
            wrong_type: json!({"refresh_token": 12345}),
        },
        Endpoint {
            method: "PATCH",
            path: "/me".into(),
            token: tok(),
            valid: json!({"name": "Renamed"}),
            missing: None,
            wrong_type: json!({"name": {"first": "Olga"}}),
        },
        Endpoint {
            method: "POST",
            path: "/me/password".into(),
            token: tok(),
            valid: json!({"current_password": PASSWORD, "new_password": "another passphrase"}),
            missing: Some(json!({"current_password": PASSWORD})),
            wrong_type: json!({"current_password": true, "new_password": "another passphrase"}),
        },
        Endpoint {
            method: "PATCH",
            path: format!("/users/{}", member.user_id),
            token: tok(),
            valid: json!({"role": "guest"}),
            missing: Some(json!({})),
            wrong_type: json!({"role": {"guest": true}}),
        },
        Endpoint {
            method: "POST",
            path: "/invites".into(),
            token: tok(),
            valid: json!({"role": "member"}),
            missing: Some(json!({"email": "x@acme.test"})),
            wrong_type: json!({"role": "member", "expires_in_hours": "a week"}),
        },
        Endpoint {
            method: "POST",
            path: "/invites/lookup".into(),
            token: None,
            valid: json!({"token": "art_inv_whatever"}),
            missing: Some(json!({})),
            wrong_type: json!({"token": 7}),
        },
        Endpoint {
            method: "POST",
            path: "/invites/accept".into(),
            token: None,
            valid: json!({"token": "art_inv_whatever", "name": "N", "email": "n@acme.test", "password": PASSWORD}),
            missing: Some(json!({"token": "art_inv_whatever", "name": "N", "password": PASSWORD})),
            wrong_type: json!({"token": "art_inv_whatever", "name": "N", "email": "n@acme.test", "password": 12345678}),
        },
    ]
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("json")
}

fn with_field(v: &Value, key: &str, value: Value) -> Value {
    let mut v = v.clone();
    v[key] = value;
    v
}

/// Sends a body larger than the server accepts. The server answers 413 after reading
/// only part of it and closes the connection; when the client is still writing then,
/// the closing can reach it as a reset before it reads the answer. Such transport
/// failures are retried: what is checked is the answer the server gives.
async fn send_oversize(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: Vec<u8>) -> Resp {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut last_error = None;
    for _ in 0..10 {
        // `connection: close`: the server closes this connection after its 413, so
        // the client must not keep it for the next request (which then failed
        // with a broken pipe, now and then, writing to the closed socket).
        let mut req = app
            .http
            .request(method.clone(), app.url(path))
            .header("content-type", "application/json")
            .header("connection", "close");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        match req.body(body.clone()).send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                // The reset can also cut the answer's body short: retry then too.
                match resp.json::<Value>().await {
                    Ok(body) => return Resp { status, body, headers },
                    Err(e) => last_error = Some(e),
                }
            }
            Err(e) => last_error = Some(e),
        }
    }
    panic!("no answer to an oversize {method} {path}: {last_error:?}");
}

/// Asserts a rejection and names the case when it fails.
#[track_caller]
fn check(r: &Resp, status: u16, code: &str, case: &str) {
    assert_eq!(r.status, status, "{case}: body {}", r.body);
    assert!(r.body["error"]["message"].is_string(), "{case}: no message in {}", r.body);
    assert_eq!(r.code(), code, "{case}: body {}", r.body);
}

async fn json_bodies_are_checked_on_every_endpoint(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    const JSON: Option<&str> = Some("application/json");

    for e in endpoints(&owner, &member) {
        let token = e.token.as_deref();
        let name = format!("{} {}", e.method, e.path);
        let raw = |ct: Option<&'static str>, body: Vec<u8>| app.call_raw(e.method, &e.path, token, ct, body);

        // Broken JSON: generic garbage, and the valid body cut short, missing a colon,
        // or followed by more data (so every key seen before the error is a known one).
        let valid = serde_json::to_string(&e.valid).expect("json");
        let mut malformed: Vec<String> = ["", "not json", "{'a': 1}", "{,}", "[", "{\"", "\u{feff}{}"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        malformed.push(valid[..valid.len() / 2].to_string());
        malformed.push(valid[..valid.len() - 1].to_string());
        malformed.push(valid.replacen(':', " ", 1));
        malformed.push(format!("{valid} {{}}"));
        for m in &malformed {
            let r = raw(JSON, m.as_bytes().to_vec()).await;
            check(&r, 400, "malformed_json", &format!("{name} with {m:?}"));
        }

        if let Some(missing) = &e.missing {
            let r = raw(JSON, bytes(missing)).await;
            check(&r, 422, "invalid_body", &format!("{name} missing a field"));
            assert!(
                r.body["error"]["message"].as_str().unwrap_or("").contains("missing field"),
                "{}",
                r.body
            );
        }

        let unknown = with_field(&e.valid, "zzz_unknown", json!(1));
        let r = raw(JSON, bytes(&unknown)).await;
        check(&r, 422, "invalid_body", &format!("{name} with an unknown field"));
        assert!(r.body["error"]["message"].as_str().unwrap_or("").contains("zzz_unknown"), "{}", r.body);
        // Parameters on the media type are fine: the body is what is rejected.
        let r = raw(Some("application/json; charset=utf-8"), bytes(&unknown)).await;
        check(&r, 422, "invalid_body", &format!("{name} with charset and an unknown field"));

        let r = raw(JSON, bytes(&e.wrong_type)).await;
        check(&r, 422, "invalid_body", &format!("{name} with a wrong type"));
        for not_an_object in [json!([]), json!(null), json!("text"), json!(17)] {
            let r = raw(JSON, bytes(&not_an_object)).await;
            check(&r, 422, "invalid_body", &format!("{name} with body {not_an_object}"));
        }

        let r = raw(None, bytes(&e.valid)).await;
        check(&r, 415, "unsupported_media_type", &format!("{name} without a content type"));
        for ct in
            ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "json"]
        {
            let r = raw(Some(ct), bytes(&e.valid)).await;
            check(&r, 415, "unsupported_media_type", &format!("{name} as {ct}"));
        }

        let huge = with_field(&e.valid, "zzz_padding", json!("x".repeat(100 * 1024)));
        let r = send_oversize(&app, e.method, &e.path, token, bytes(&huge)).await;
        check(&r, 413, "payload_too_large", &format!("{name} with a 100 KiB body"));
    }

    // None of it had an effect.
    assert_eq!(app.call("GET", "/setup", None, None).await.body["setup_required"], json!(false));
    let r = app.get("/me", &owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body["user"]["name"], json!("Olga Owner"));
    let r = app.get(&format!("/users/{}", member.user_id), &owner.access_token).await;
    assert_eq!(r.body["role"], json!("member"));
    let r = app.get("/invites", &owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body, json!([]));
    let r = app.get("/me/sessions", &owner.access_token).await;
    assert_eq!(r.body.as_array().expect("array").len(), 1, "no session was started: {}", r.body);
    let r = app.get("/users", &owner.access_token).await;
    assert_eq!(r.body.as_array().expect("array").len(), 2, "no user was created: {}", r.body);
    // The original refresh token was never spent, and the password never changed.
    app.post("/auth/refresh", None, json!({"refresh_token": owner.refresh_token})).await.expect(200);
    app.login("owner@acme.test", None).await;
}

async fn non_uuid_path_params_are_rejected(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token = Some(owner.access_token.as_str());

    for bad in
        ["nope", "123", "0190c0de-0000-7000-8000-00000000000g", "0190c0de00007000800000000000000", "%20"]
    {
        let cases: [(&str, String, Option<Value>); 6] = [
            ("GET", format!("/users/{bad}"), None),
            ("PATCH", format!("/users/{bad}"), Some(json!({"role": "guest"}))),
            ("POST", format!("/users/{bad}/deactivate"), None),
            ("POST", format!("/users/{bad}/reactivate"), None),
            ("DELETE", format!("/invites/{bad}"), None),
            ("DELETE", format!("/me/sessions/{bad}"), None),
        ];
        for (method, path, body) in cases {
            let r = app.call(method, &path, token, body).await;
            check(&r, 400, "invalid_path", &format!("{method} {path}"));
        }
    }
    // Sign-in still comes first: without a token the answer is 401.
    app.call("GET", "/users/nope", None, None).await.expect_error(401, "unauthenticated");
    // A well-formed id that does not exist is a plain 404.
    app.get(&format!("/users/{}", Uuid::now_v7()), &owner.access_token).await.expect_error(404, "not_found");
}

async fn unknown_routes_and_wrong_methods(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token = Some(owner.access_token.as_str());
    let some_id = Uuid::now_v7();

    for path in ["/nope", "/users/x/y/z", &format!("/users/{some_id}/promote"), "/auth", "/me/sessions/a/b"] {
        let r = app.call("GET", path, token, None).await;
        check(&r, 404, "route_not_found", path);
    }
    app.call("POST", "/auth/nope", None, Some(json!({}))).await.expect_error(404, "route_not_found");
    for path in ["/", "/api", "/api/v2/health", "/api/v1/", "/favicon.ico"] {
        let resp = app.http.get(format!("http://{}{path}", app.addr)).send().await.expect("request sent");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let r = Resp { status, body, headers: Default::default() };
        check(&r, 404, "route_not_found", path);
    }

    let wrong: [(&str, String); 10] = [
        ("DELETE", "/setup".into()),
        ("GET", "/auth/login".into()),
        ("PUT", "/me".into()),
        ("DELETE", "/users".into()),
        ("POST", "/health".into()),
        ("PATCH", "/invites".into()),
        ("GET", "/invites/accept".into()),
        ("PUT", format!("/users/{some_id}")),
        ("GET", format!("/users/{some_id}/deactivate")),
        ("POST", "/me/sessions".into()),
    ];
    for (method, path) in wrong {
        let r = app.call(method, &path, token, None).await;
        check(&r, 405, "method_not_allowed", &format!("{method} {path}"));
    }

    // The health endpoints answer without a token.
    let r = app.call("GET", "/health", None, None).await;
    r.expect(200);
    assert_eq!(r.body["status"], json!("ok"));
    let r = app.call("GET", "/ready", None, None).await;
    r.expect(200);
    let engine = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(r.body["database"], json!(engine));
}

async fn overlong_and_odd_values_are_rejected_cleanly(backend: Backend) {
    let app = TestApp::start(backend).await;
    let long_name = "Я".repeat(101);
    let max_name = "Я".repeat(100);
    let setup = |over: Value| {
        let mut body = json!({"workspace_name": "Acme", "name": "Olga", "email": "owner@acme.test", "password": PASSWORD});
        for (k, v) in over.as_object().expect("object") {
            body[k] = v.clone();
        }
        app.post("/setup", None, body)
    };
    let field = |r: &Resp| r.body["error"]["field"].as_str().unwrap_or("").to_string();

    for (over, want) in [
        (json!({"workspace_name": long_name}), "workspace_name"),
        (json!({"name": long_name}), "name"),
        (json!({"name": "x".repeat(60 * 1024)}), "name"),
        (json!({"email": format!("{}@acme.test", "a".repeat(300))}), "email"),
        (json!({"password": "p".repeat(300)}), "password"),
        (json!({"time_zone": "Mars/Base"}), "time_zone"),
        (json!({"time_zone": "x".repeat(10_000)}), "time_zone"),
    ] {
        let r = setup(over.clone()).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(field(&r), want, "setup with {}", over.to_string().chars().take(80).collect::<String>());
    }
    assert_eq!(app.call("GET", "/setup", None, None).await.body["setup_required"], json!(true));
    // Exactly 100 characters (200 bytes) is allowed.
    let r = setup(json!({"workspace_name": max_name, "name": max_name})).await;
    r.expect(201);
    assert_eq!(r.body["user"]["name"], json!(max_name));
    let owner = app.login("owner@acme.test", None).await;
    let token = Some(owner.access_token.as_str());

    let r = app.call("PATCH", "/me", token, Some(json!({"name": long_name}))).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(field(&r), "name");
    app.call("PATCH", "/me", token, Some(json!({"name": max_name}))).await.expect(200);

    // Sign-in with absurd values is just a failed sign-in.
    let login = |email: String, password: String| {
        app.post("/auth/login", None, json!({"email": email, "password": password}))
    };
    login("owner@acme.test".into(), "p".repeat(300)).await.expect_error(401, "invalid_credentials");
    login("owner@acme.test".into(), "p".repeat(60_000)).await.expect_error(401, "invalid_credentials");
    login(format!("{}@acme.test", "a".repeat(300)), PASSWORD.into())
        .await
        .expect_error(401, "invalid_credentials");
    // A NUL no database stores alike is refused at the edge, in any field.
    let r = login("owner@acme.test\u{0}".into(), PASSWORD.into()).await;
    r.expect_error(422, "invalid_input");
    assert_eq!(field(&r), "email");

    let change = |cur: String, new: String| {
        app.post("/me/password", token, json!({"current_password": cur, "new_password": new}))
    };
    change("p".repeat(300), "another passphrase".into()).await.expect_error(403, "forbidden");
    change(PASSWORD.into(), "p".repeat(300)).await.expect_error(422, "invalid_input");

    let r = app
        .post("/invites", token, json!({"role": "member", "email": format!("{}@acme.test", "a".repeat(300))}))
        .await;
    r.expect_error(422, "invalid_input");
    assert_eq!(field(&r), "email");
    app.post("/invites", token, json!({"role": "member", "expires_in_hours": -1}))
        .await
        .expect_error(422, "invalid_body");
    app.post("/invites", token, json!({"role": "member", "expires_in_hours": 1.5}))
        .await
        .expect_error(422, "invalid_body");
    app.post("/invites", token, json!({"role": "member", "expires_in_hours": 1_u64 << 40}))
        .await
        .expect_error(422, "invalid_body");

    let r = app.post("/invites", token, json!({"role": "member"})).await;
    r.expect(201);
    let invite = r.body["token"].as_str().expect("token").to_string();
    let accept = |over: Value| {
        let mut body = json!({"token": invite, "name": "N", "email": "n@acme.test", "password": PASSWORD});
        for (k, v) in over.as_object().expect("object") {
            body[k] = v.clone();
        }
        app.post("/invites/accept", None, body)
    };
    for (over, want) in [
        (json!({"name": long_name}), "name"),
        (json!({"name": "tab\tinside"}), "name"),
        (json!({"email": "a b@acme.test"}), "email"),
        (json!({"password": "p".repeat(300)}), "password"),
        (json!({"password": "1234567"}), "password"),
        (json!({"time_zone": "Mars/Base"}), "time_zone"),
    ] {
        let r = accept(over.clone()).await;
        r.expect_error(422, "invalid_input");
        assert_eq!(field(&r), want, "accept with {over}");
    }
    // After all that the invite is still good.
    accept(json!({})).await.expect(201);
}

/// A number, boolean, array or null where the API wants one of a set of strings
/// (role, language) is valid JSON of the wrong type: 422 invalid_body like any other
/// wrong type, not 400 malformed_json.
async fn wrong_type_for_enum_fields_is_not_malformed_json(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let member = app.invite_user(&owner, "member", "member@acme.test").await;
    let token = Some(owner.access_token.as_str());
    let user_path = format!("/users/{}", member.user_id);

    let mut wrong = Vec::new();
    for value in
        [json!(1), json!(true), json!(["guest"]), json!(null), json!({"guest": 1}), json!("superuser")]
    {
        let cases = [
            ("PATCH", user_path.as_str(), json!({"role": value})),
            ("POST", "/invites", json!({"role": value})),
            ("PATCH", "/me", json!({"language": value})),
        ];
        for (method, path, body) in cases {
            if path == "/me" && value.is_null() {
                continue; // an optional field may be null
            }
            let r = app.call(method, path, token, Some(body.clone())).await;
            r.expect(r.status);
            assert!(r.status < 500, "{method} {path} with {body}: {}", r.body);
            if (r.status, r.code()) != (422, "invalid_body") {
                wrong.push(format!("{method} {path} with {body} -> {} {}", r.status, r.code()));
            }
        }
    }
    assert!(wrong.is_empty(), "wrong-typed enum fields not answered 422 invalid_body:\n{}", wrong.join("\n"));
    let r = app.get(&user_path, &owner.access_token).await;
    assert_eq!(r.body["role"], json!("member"));
}

/// Validation errors carry `field`: "the input field at fault". Clients use it to
/// put the message next to the right form input, so it must be the name of a field
/// of the request the client sent.
async fn validation_errors_name_the_request_field(backend: Backend) {
    let app = TestApp::start(backend).await;
    let r = app
        .post(
            "/setup",
            None,
            json!({"workspace_name": "Acme", "workspace_slug": "Not Valid!", "name": "Olga",
                   "email": "owner@acme.test", "password": PASSWORD}),
        )
        .await;
    r.expect_error(422, "invalid_input");
    let slug_field = r.body["error"]["field"].clone();

    let owner = app.setup_owner().await;
    let r = app
        .post(
            "/me/password",
            Some(&owner.access_token),
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    r.expect_error(422, "invalid_input");
    let password_field = r.body["error"]["field"].clone();

    assert_eq!(
        (slug_field, password_field),
        (json!("workspace_slug"), json!("new_password")),
        "(POST /setup bad workspace_slug, POST /me/password short new_password)"
    );
}

/// Every API answer, errors and fallbacks included, tells the browser not to
/// sniff it and not to keep it; the web client's assets are not under /api.
async fn api_answers_are_neither_sniffed_nor_stored(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let token = Some(owner.access_token.as_str());
    let answers = [
        app.call("GET", "/health", None, None).await,
        app.call("GET", "/me", token, None).await,
        app.call("GET", "/me", None, None).await,
        app.call("GET", "/chats/not-a-uuid", token, None).await,
        app.call("GET", "/no/such/route", token, None).await,
        app.call("DELETE", "/health", None, None).await,
        app.call_raw("POST", "/chats", token, Some("application/json"), b"{".to_vec()).await,
        app.call("POST", "/auth/login", None, Some(json!({"email": "x@y.z", "password": "wrong"}))).await,
        app.call("GET", "/openapi.json", None, None).await,
    ];
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 401, 400, 404, 405, 400, 401, 200]);
    for r in &answers {
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{} {}", r.status, r.body);
        assert_eq!(r.headers["cache-control"], "no-store", "{} {}", r.status, r.body);
    }
}

on_every_backend!(
    api_answers_are_neither_sniffed_nor_stored,
    wrong_type_for_enum_fields_is_not_malformed_json,
    validation_errors_name_the_request_field,
    json_bodies_are_checked_on_every_endpoint,
    non_uuid_path_params_are_rejected,
    unknown_routes_and_wrong_methods,
    overlong_and_odd_values_are_rejected_cleanly,
);
