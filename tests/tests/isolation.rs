//! Workspaces on one server never see or touch each other's objects.

use artel_tests::{on_every_backend, session_from, Backend, Resp, Session, TestApp, PASSWORD};
use serde_json::json;

/// Two workspaces with an owner and a member each, and a pending invite in each.
struct World {
    app: TestApp,
    a_owner: Session,
    a_member: Session,
    a_invite_id: String,
    b_owner: Session,
    b_member: Session,
    b_invite_id: String,
    b_invite_token: String,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::start(backend).await;
    let a_owner = app.setup_owner().await;
    let a_member = app.invite_user(&a_owner, "member", "member@acme.test").await;
    let b_owner = app.create_workspace("Beta", "beta", "owner@beta.test").await;
    let b_member = app.invite_user(&b_owner, "member", "member@beta.test").await;
    let r = app.post("/invites", Some(&a_owner.access_token), json!({"role": "member"})).await;
    r.expect(201);
    let a_invite_id = r.body["invite"]["id"].as_str().expect("id").to_string();
    let r = app.post("/invites", Some(&b_owner.access_token), json!({"role": "admin"})).await;
    r.expect(201);
    let b_invite_id = r.body["invite"]["id"].as_str().expect("id").to_string();
    let b_invite_token = r.body["token"].as_str().expect("token").to_string();
    assert_ne!(a_owner.workspace_id, b_owner.workspace_id);
    World { app, a_owner, a_member, a_invite_id, b_owner, b_member, b_invite_id, b_invite_token }
}

fn ids(r: &Resp) -> Vec<String> {
    r.body.as_array().expect("array").iter().map(|v| v["id"].as_str().expect("id").to_string()).collect()
}

async fn session_id(app: &TestApp, s: &Session) -> String {
    let r = app.get("/me", &s.access_token).await;
    r.expect(200);
    r.body["session_id"].as_str().expect("session_id").to_string()
}

async fn another_workspaces_objects_are_not_found(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let b_owner_sid = session_id(app, &w.b_owner).await;
    let b_member_sid = session_id(app, &w.b_member).await;
    let before_users = app.get("/users", &w.b_owner.access_token).await;
    before_users.expect(200);

    for actor in [&w.a_owner, &w.a_member] {
        let token = Some(actor.access_token.as_str());
        for user in [w.b_owner.user_id, w.b_member.user_id] {
            app.call("GET", &format!("/users/{user}"), token, None).await.expect_error(404, "not_found");
            for role in ["guest", "owner"] {
                app.call("PATCH", &format!("/users/{user}"), token, Some(json!({"role": role})))
                    .await
                    .expect_error(404, "not_found");
            }
            for action in ["deactivate", "reactivate"] {
                app.call("POST", &format!("/users/{user}/{action}"), token, None)
                    .await
                    .expect_error(404, "not_found");
            }
        }
        for sid in [&b_owner_sid, &b_member_sid] {
            app.call("DELETE", &format!("/me/sessions/{sid}"), token, None)
                .await
                .expect_error(404, "not_found");
        }
    }
    // Only admins get far enough to look invites up; the answer is still "not found".
    app.call("DELETE", &format!("/invites/{}", w.b_invite_id), Some(&w.a_owner.access_token), None)
        .await
        .expect_error(404, "not_found");

    // B is exactly as it was: same users and roles, nobody deactivated, sessions and
    // invite alive.
    let after_users = app.get("/users", &w.b_owner.access_token).await;
    after_users.expect(200);
    assert_eq!(after_users.body, before_users.body);
    for u in after_users.body.as_array().expect("array") {
        assert!(u["deactivated_at"].is_null(), "{u}");
    }
    let r = app.get(&format!("/users/{}", w.b_member.user_id), &w.b_owner.access_token).await;
    r.expect(200);
    assert_eq!(r.body["role"], json!("member"));
    for s in [&w.b_owner, &w.b_member] {
        app.get("/me", &s.access_token).await.expect(200);
    }
    let r = app.get("/me/sessions", &w.b_member.access_token).await;
    r.expect(200);
    assert!(ids(&r).contains(&b_member_sid));
    let r = app.get("/invites", &w.b_owner.access_token).await;
    r.expect(200);
    assert_eq!(ids(&r), vec![w.b_invite_id.clone()]);
    app.post("/invites/lookup", None, json!({"token": w.b_invite_token})).await.expect(200);
    let r = app.post("/auth/refresh", None, json!({"refresh_token": w.b_member.refresh_token})).await;
    r.expect(200);

    // And B's own admin can still do all of it to B's objects.
    let path = format!("/invites/{}", w.b_invite_id);
    app.call("DELETE", &path, Some(&w.b_owner.access_token), None).await.expect(204);
}

async fn lists_never_show_another_workspace(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;

    let r = app.get("/users", &w.a_owner.access_token).await;
    r.expect(200);
    let mut a_users = ids(&r);
    a_users.sort();
    let mut want = vec![w.a_owner.user_id.to_string(), w.a_member.user_id.to_string()];
    want.sort();
    assert_eq!(a_users, want);
    assert!(!r.body.to_string().contains("beta.test"), "{}", r.body);

    let r = app.get("/users", &w.b_member.access_token).await;
    r.expect(200);
    let mut b_users = ids(&r);
    b_users.sort();
    let mut want = vec![w.b_owner.user_id.to_string(), w.b_member.user_id.to_string()];
    want.sort();
    assert_eq!(b_users, want);
    assert!(!r.body.to_string().contains("acme.test"), "{}", r.body);

    let r = app.get("/invites", &w.a_owner.access_token).await;
    r.expect(200);
    assert_eq!(ids(&r), vec![w.a_invite_id.clone()]);
    let r = app.get("/invites", &w.b_owner.access_token).await;
    r.expect(200);
    assert_eq!(ids(&r), vec![w.b_invite_id.clone()]);

    // Sessions lists hold only one's own sessions.
    let r = app.get("/me/sessions", &w.a_owner.access_token).await;
    r.expect(200);
    assert_eq!(ids(&r), vec![session_id(app, &w.a_owner).await]);

    // An invite of B makes a user of B, invisible to A.
    let r = app
        .post(
            "/invites/accept",
            None,
            json!({"token": w.b_invite_token, "name": "New Admin", "email": "new@beta.test", "password": PASSWORD}),
        )
        .await;
    r.expect(201);
    let newcomer = session_from(&r.body);
    assert_eq!(newcomer.workspace_id, w.b_owner.workspace_id);
    assert_eq!(r.body["workspace"]["name"], json!("Beta"));
    let r = app.get("/users", &w.a_owner.access_token).await;
    assert!(!ids(&r).contains(&newcomer.user_id.to_string()));
    // B's new admin manages B only.
    let r = app.get("/users", &newcomer.access_token).await;
    assert_eq!(ids(&r).len(), 3);
    let path = format!("/invites/{}", w.a_invite_id);
    app.call("DELETE", &path, Some(&newcomer.access_token), None).await.expect_error(404, "not_found");
    let path = format!("/users/{}/deactivate", w.a_member.user_id);
    app.call("POST", &path, Some(&newcomer.access_token), None).await.expect_error(404, "not_found");
    app.get("/me", &w.a_member.access_token).await.expect(200);
}

async fn same_email_in_two_workspaces_needs_the_workspace(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let shared = "shared@example.com";
    let in_a = app.invite_user(&w.a_owner, "member", shared).await;
    let in_b = app.invite_user(&w.b_owner, "guest", shared).await;
    assert_ne!(in_a.user_id, in_b.user_id);

    let login = |workspace: Option<&str>, password: &str| {
        let mut body = json!({"email": shared, "password": password});
        if let Some(ws) = workspace {
            body["workspace"] = json!(ws);
        }
        app.post("/auth/login", None, body)
    };

    login(None, PASSWORD).await.expect_error(409, "workspace_required");
    let r = login(Some("beta"), PASSWORD).await;
    r.expect(200);
    assert_eq!(r.body["workspace"]["id"], json!(w.b_owner.workspace_id.to_string()));
    assert_eq!(r.body["user"]["id"], json!(in_b.user_id.to_string()));
    assert_eq!(r.body["user"]["role"], json!("guest"));
    let r = login(Some("acme"), PASSWORD).await;
    r.expect(200);
    assert_eq!(r.body["workspace"]["id"], json!(w.a_owner.workspace_id.to_string()));
    assert_eq!(r.body["user"]["id"], json!(in_a.user_id.to_string()));
    let r = login(Some(" BETA "), PASSWORD).await;
    r.expect(200);
    assert_eq!(r.body["workspace"]["slug"], json!("beta"));
    login(Some("gamma"), PASSWORD).await.expect_error(401, "invalid_credentials");
    login(Some("beta"), "wrong password").await.expect_error(401, "invalid_credentials");

    // Accounts are separate: a new password in B leaves A's password as it was, and
    // then the password alone tells the accounts apart.
    let new = "beta only password";
    let body = json!({"current_password": PASSWORD, "new_password": new});
    app.post("/me/password", Some(&in_b.access_token), body).await.expect(204);
    let r = login(None, new).await;
    r.expect(200);
    assert_eq!(r.body["user"]["id"], json!(in_b.user_id.to_string()));
    let r = login(None, PASSWORD).await;
    r.expect(200);
    assert_eq!(r.body["user"]["id"], json!(in_a.user_id.to_string()));
    login(Some("acme"), new).await.expect_error(401, "invalid_credentials");

    // A deactivation in A does not touch the account in B.
    let path = format!("/users/{}/deactivate", in_a.user_id);
    app.call("POST", &path, Some(&w.a_owner.access_token), None).await.expect(200);
    app.get("/me", &in_a.access_token).await.expect(401);
    login(Some("beta"), new).await.expect(200);
    // A deactivated account answers like a wrong password, whatever the password.
    login(Some("acme"), PASSWORD).await.expect_error(401, "invalid_credentials");
}

on_every_backend!(
    another_workspaces_objects_are_not_found,
    lists_never_show_another_workspace,
    same_email_in_two_workspaces_needs_the_workspace,
);
