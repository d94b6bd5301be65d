//! Cluster mode for real: two `artel` server processes sharing one Postgres
//! database and one Redis. Messages sent on one node reach sockets on the other,
//! in order; what is sent while Redis restarts arrives once it is back; a client
//! resumes on the other node from its cursor. `fault_cluster.rs` measures the
//! faults closely.

use std::time::{Duration, Instant};

use artel_tests::cluster_node::Node;
use artel_tests::redis_server::RedisServer;
use artel_tests::ws_client::WsClient;
use artel_tests::{Backend, Database, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

/// Collects `event` frames of `chat` until `count` arrived; returns their seqs.
async fn seqs(ws: &mut WsClient, chat: Uuid, count: usize) -> Vec<i64> {
    let mut out = Vec::new();
    while out.len() < count {
        let ev = ws.next_event().await;
        if ev["chat_id"] == chat.to_string() {
            out.push(ev["seq"].as_i64().unwrap());
        }
    }
    out
}

fn consecutive(seqs: &[i64]) -> bool {
    seqs.windows(2).all(|w| w[1] == w[0] + 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_in_order_and_heal_lost_publishes() {
    let db = Database::create(Backend::Postgres).await;
    let pg = db.postgres_url.clone().expect("postgres url");
    let mut redis = RedisServer::start();
    let mut a = Node::start(&pg, &redis.url());
    let mut b = Node::start(&pg, &redis.url());
    a.wait_ready().await;
    b.wait_ready().await;

    let owner = a
        .post("/setup", None, json!({"workspace_name": "Acme", "name": "Olga", "email": "owner@acme.test", "password": PASSWORD}))
        .await;
    let owner_token = owner["access_token"].as_str().unwrap().to_string();
    let invite = a.post("/invites", Some(&owner_token), json!({"role": "member"})).await;
    // Bob signs up and signs in on the other node: the nodes share everything.
    let bob = b
        .post(
            "/invites/accept",
            None,
            json!({"token": invite["token"], "name": "Bob", "email": "bob@acme.test", "password": PASSWORD}),
        )
        .await;
    let bob_token = bob["access_token"].as_str().unwrap().to_string();
    let chat = a
        .post(
            "/chats",
            Some(&owner_token),
            json!({"kind": "group", "name": "deal", "member_ids": [bob["user"]["id"]]}),
        )
        .await;
    let chat: Uuid = chat["id"].as_str().unwrap().parse().unwrap();

    let mut owner_ws = WsClient::connect(&a.ws, &owner_token, &[]).await;
    let bob_id = bob["user"]["id"].as_str().unwrap().to_string();
    owner_ws.send_json(json!({"type": "presence_sub", "user_ids": [bob_id]})).await;
    let mut bob_ws = WsClient::connect(&b.ws, &bob_token, &[]).await;
    // Presence crosses nodes: bob's socket on B shows him online to the owner on A.
    owner_ws
        .next_where(|f| {
            f["type"] == "ephemeral"
                && f["event"]["type"] == "presence_changes"
                && f["event"]["entries"].as_array().is_some_and(|entries| {
                    entries.iter().any(|e| e["user_id"] == bob_id.as_str() && e["status"] == "online")
                })
        })
        .await;

    // Boards are live across nodes too: bob watches on B, a deal made on A appears.
    let pipelines: Value = reqwest::Client::new()
        .get(format!("{}/pipelines", b.base))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pipeline = pipelines[0]["id"].as_str().unwrap().to_string();
    bob_ws.send_json(json!({"type": "watch_board", "pipeline_id": pipeline})).await;
    bob_ws.next_where(|f| f["type"] == "watching").await;
    a.post(
        "/deals",
        Some(&owner_token),
        json!({"title": "Cluster deal", "participants": [bob["user"]["id"]]}),
    )
    .await;
    let card = bob_ws.next_where(|f| f["type"] == "board_event").await;
    assert_eq!(card["change"]["deal"]["title"], "Cluster deal");
    // A manager watching on B sees a card moved on A within the same second.
    let deal_id = card["change"]["deal"]["id"].as_str().unwrap().to_string();
    let target_stage = pipelines[0]["stages"][2]["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    a.post(
        &format!("/deals/{deal_id}/move"),
        Some(&owner_token),
        json!({"version": 1, "stage_id": target_stage}),
    )
    .await;
    let moved = bob_ws
        .next_where(|f| {
            f["type"] == "board_event" && f["change"]["deal"]["stage_id"] == target_stage.as_str()
        })
        .await;
    let took = started.elapsed();
    // Printed, not asserted tightly: timing is measured, and a loaded CI machine
    // must not fail a story that is about delivery. "Within a second" is the goal.
    println!("board move reached the other node in {took:?}");
    assert!(took < Duration::from_secs(5), "the move took {took:?} to reach the other node");
    assert_eq!(moved["seq"], card["seq"].as_i64().unwrap() + 1, "gap-free across nodes");
    // The deal's own chat appeared for bob too; skip its events below.
    let deal_chat = card["change"]["deal"]["chat_id"].as_str().unwrap().to_string();
    while let Some(f) = bob_ws.try_next(Duration::from_millis(300)).await {
        assert!(f["type"] != "event" || f["chat_id"] == deal_chat.as_str(), "unexpected {f}");
    }
    while let Some(f) = owner_ws.try_next(Duration::from_millis(300)).await {
        assert!(f["type"] != "event" || f["chat_id"] == deal_chat.as_str(), "unexpected {f}");
    }

    // Live across nodes, in order, both directions.
    for i in 0..20 {
        owner_ws.send_message(chat, &format!("from A #{i}"), &format!("a{i}")).await;
    }
    let on_b = seqs(&mut bob_ws, chat, 20).await;
    assert!(consecutive(&on_b), "{on_b:?}");
    bob_ws.send_message(chat, "from B", "b0").await;
    let on_a = seqs(&mut owner_ws, chat, 21).await;
    assert!(consecutive(&on_a), "{on_a:?}");
    assert_eq!(on_a.last(), Some(&(on_b[19] + 1)));
    // Bob's socket sees his own message too.
    assert_eq!(seqs(&mut bob_ws, chat, 1).await, vec![on_b[19] + 1]);

    // Redis restarts: what is sent meanwhile reaches bob once Redis is back
    // (the nodes queue their publishes, and bob's node catches up from the
    // database when it resubscribes), before and without any later message.
    redis.restart();
    for i in 0..3 {
        a.post(
            &format!("/chats/{chat}/messages"),
            Some(&owner_token),
            json!({"body": format!("during restart {i}")}),
        )
        .await;
    }
    let mut received = seqs(&mut bob_ws, chat, 3).await;
    a.post(&format!("/chats/{chat}/messages"), Some(&owner_token), json!({"body": "after restart"})).await;
    received.extend(seqs(&mut bob_ws, chat, 1).await);
    let last_before = on_a[20];
    assert_eq!(received[0], last_before + 1, "the first lost message comes first: {received:?}");
    assert!(consecutive(&received), "gap-free after repair: {received:?}");

    // Bob moves to node A and resumes from his cursor: exactly what he missed.
    let cursor = *received.last().unwrap();
    drop(bob_ws);
    for i in 0..3 {
        a.post(
            &format!("/chats/{chat}/messages"),
            Some(&owner_token),
            json!({"body": format!("while away {i}")}),
        )
        .await;
    }
    // Each post answered after its commit, so node B reads the same last_seq.
    let last = reqwest::Client::new()
        .get(format!("{}/chats/{chat}", b.base))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["last_seq"]
        .as_i64()
        .unwrap();
    let mut bob_ws = WsClient::connect(&a.ws, &bob_token, &[(chat, cursor)]).await;
    let replayed = seqs(&mut bob_ws, chat, (last - cursor) as usize).await;
    assert_eq!(replayed, ((cursor + 1)..=last).collect::<Vec<_>>());
    // Nothing repeated after the replay: the next event is the next message.
    a.post(&format!("/chats/{chat}/messages"), Some(&owner_token), json!({"body": "marker"})).await;
    assert_eq!(seqs(&mut bob_ws, chat, 1).await, vec![last + 1]);
}
