//! Chats bound to CRM records: opened on demand for contacts and companies, the
//! deal's own chat for deals; chat lists say what each chat is about.

use artel_tests::{on_every_backend, Backend, TestApp};
use serde_json::json;

async fn client_chats_open_on_demand(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let anna = app.invite_user(&owner, "member", "anna@acme.test").await;
    let guest = app.invite_user(&owner, "guest", "guest@client.test").await;
    let other = app.create_workspace("Beta", "beta", "owner@beta.test").await;

    let contact = app
        .post(
            "/contacts",
            Some(&owner.access_token),
            json!({"name": "Иван Петров", "owner_id": anna.user_id}),
        )
        .await;
    contact.expect(201);
    let id = contact.body["id"].as_str().unwrap().to_string();
    let body = json!({"kind": "contact", "id": id});

    let first = app.post("/chats/entity", Some(&owner.access_token), body.clone()).await;
    first.expect(201);
    assert_eq!(first.body["entity"]["kind"], "contact");
    assert_eq!(first.body["entity"]["id"], id.as_str());
    assert_eq!(first.body["name"], "Иван Петров");
    let chat = first.body["id"].as_str().unwrap().to_string();

    // The record's owner is in it from the start; opening again gives the same chat.
    let members = app.get(&format!("/chats/{chat}/members"), &anna.access_token).await;
    members.expect(200);
    assert_eq!(members.body.as_array().unwrap().len(), 2);
    let again = app.post("/chats/entity", Some(&anna.access_token), body.clone()).await;
    again.expect(200);
    assert_eq!(again.body["id"], chat.as_str());

    // Chat lists show what the chat is about.
    let mine = app.get("/chats", &anna.access_token).await;
    let row =
        mine.body.as_array().unwrap().iter().find(|c| c["chat"]["id"] == chat.as_str()).expect("listed");
    assert_eq!(row["chat"]["entity"]["kind"], "contact");

    app.post("/chats/entity", Some(&guest.access_token), body.clone()).await.expect_error(403, "forbidden");
    app.post("/chats/entity", Some(&other.access_token), body.clone()).await.expect_error(404, "not_found");
    app.post(
        "/chats/entity",
        Some(&owner.access_token),
        json!({"kind": "contact", "id": uuid::Uuid::now_v7()}),
    )
    .await
    .expect_error(404, "not_found");
    app.post("/chats/entity", Some(&owner.access_token), json!({"kind": "planet", "id": id}))
        .await
        .expect(422);
    app.post("/chats/entity", Some(&owner.access_token), json!({"kind": "contact"})).await.expect(422);
}

async fn deal_chat_is_joined_by_whoever_sees_the_deal(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let anna = app.invite_user(&owner, "member", "anna@acme.test").await;
    let deal = app.post("/deals", Some(&owner.access_token), json!({"title": "Поставка"})).await;
    deal.expect(201);
    let body = json!({"kind": "deal", "id": deal.body["id"]});
    let r = app.post("/chats/entity", Some(&anna.access_token), body.clone()).await;
    r.expect(200);
    assert_eq!(r.body["id"], deal.body["chat_id"]);
    assert_eq!(r.body["entity"]["kind"], "deal");
    // Anna is now a member and reads the deal's discussion.
    app.get(&format!("/chats/{}/messages", deal.body["chat_id"].as_str().unwrap()), &anna.access_token)
        .await
        .expect(200);
    // Under "own" visibility a member not on the deal cannot open it.
    app.call("PATCH", "/workspace", Some(&owner.access_token), Some(json!({"deal_visibility": "own"})))
        .await
        .expect(200);
    let boris = app.invite_user(&owner, "member", "boris@acme.test").await;
    app.post("/chats/entity", Some(&boris.access_token), body).await.expect_error(404, "not_found");
}

on_every_backend!(client_chats_open_on_demand, deal_chat_is_joined_by_whoever_sees_the_deal);
