//! The hub's catch-up reads where many chats and boards stand in one go
//! (`chat_last_seqs`, `board_last_seqs`), on SQLite and Postgres alike: exactly
//! the asked ids of the asked workspace, at their current seq.

use std::collections::HashMap;

use artel_tests::{on_every_backend, Backend, TestApp};
use serde_json::json;
use uuid::Uuid;

async fn last_seqs_of_many_chats_and_boards(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    let mut chats = Vec::new();
    for i in 0..3 {
        let r = app
            .post("/chats", Some(&owner.access_token), json!({"kind": "group", "name": format!("c{i}")}))
            .await;
        r.expect(201);
        let chat: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
        for n in 0..i {
            app.post(
                &format!("/chats/{chat}/messages"),
                Some(&owner.access_token),
                json!({"body": format!("m{n}")}),
            )
            .await
            .expect(201);
        }
        let last =
            app.get(&format!("/chats/{chat}"), &owner.access_token).await.body["last_seq"].as_i64().unwrap();
        chats.push((chat, last));
    }
    let r = app.post("/chats", Some(&other.access_token), json!({"kind": "group", "name": "theirs"})).await;
    let theirs: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
    let pipeline: Uuid =
        app.get("/pipelines", &owner.access_token).await.body[0]["id"].as_str().unwrap().parse().unwrap();
    for title in ["one", "two"] {
        app.post("/deals", Some(&owner.access_token), json!({"title": title})).await.expect(201);
    }

    let store = &app.state.store;
    let mut asked: Vec<Uuid> = chats.iter().map(|(id, _)| *id).collect();
    asked.extend([theirs, pipeline, Uuid::now_v7()]);
    let got: HashMap<Uuid, i64> =
        store.chat_last_seqs(owner.workspace_id, &asked).await.unwrap().into_iter().collect();
    assert_eq!(got, chats.iter().copied().collect(), "this workspace's chats only, at their last seq");

    let boards = store.board_last_seqs(owner.workspace_id, &asked).await.unwrap();
    let board_last = store.board_last_seq(owner.workspace_id, pipeline).await.unwrap();
    assert!(board_last >= 2, "two deals made two board events");
    assert_eq!(boards, vec![(pipeline, board_last)]);
    assert!(store.board_last_seqs(other.workspace_id, &[pipeline]).await.unwrap().is_empty());
    assert!(store.chat_last_seqs(owner.workspace_id, &[]).await.unwrap().is_empty());

    // More ids than one statement binds on SQLite.
    let many: Vec<Uuid> = (0..1200).map(|_| Uuid::now_v7()).chain([chats[2].0]).collect();
    assert_eq!(store.chat_last_seqs(owner.workspace_id, &many).await.unwrap(), vec![chats[2]]);
}

on_every_backend!(last_seqs_of_many_chats_and_boards);
