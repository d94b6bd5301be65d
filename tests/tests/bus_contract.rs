//! The `Bus` contract, run against `LocalBus` and `RedisBus` (a real Redis at
//! `ARTEL_TEST_REDIS_URL`, default redis://127.0.0.1:6379). Each test uses its own
//! channel so tests running in parallel do not hear each other.

use std::sync::Arc;
use std::time::Duration;

use artel_core::chat::{ChatKind, MemberRole};
use artel_core::event::{Audience, ChatChange, ChatEvent, Envelope, Ephemeral, Payload};
use artel_core::ports::bus::Delivery;
use artel_core::{Bus, Subscription};
use chrono::Utc;
use uuid::Uuid;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Local,
    Redis,
}

fn redis_url() -> String {
    std::env::var("ARTEL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

/// Two "nodes" on one fabric: for Local the same bus twice, for Redis two
/// independent connections on one channel.
async fn pair(kind: Kind) -> (Arc<dyn Bus>, Arc<dyn Bus>) {
    let channel = format!("artel-test-{}", Uuid::now_v7().simple());
    match kind {
        Kind::Local => {
            let bus: Arc<dyn Bus> = Arc::new(artel_bus::LocalBus::new());
            (bus.clone(), bus)
        }
        Kind::Redis => {
            let url = redis_url();
            let a = artel_bus::RedisBus::connect(&url, &channel).await.unwrap_or_else(|e| {
                panic!("Redis is needed at {url}: {e}. The README's test command starts it.")
            });
            let b = artel_bus::RedisBus::connect(&url, &channel).await.expect("second node");
            (Arc::new(a), Arc::new(b))
        }
    }
}

fn chat_event(chat: Uuid, seq: i64) -> Envelope {
    Envelope::chat(ChatEvent {
        workspace_id: Uuid::nil(),
        chat_id: chat,
        seq,
        created_at: Utc::now(),
        change: ChatChange::MemberAdded { user_id: Uuid::now_v7(), role: MemberRole::Member, by: None },
    })
}

async fn next(sub: &mut Subscription) -> Envelope {
    tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .expect("envelope within 5 s")
        .expect("bus open")
}

async fn nothing_more(sub: &mut Subscription) {
    let got = tokio::time::timeout(Duration::from_millis(200), sub.recv()).await;
    assert!(got.is_err(), "unexpected envelope: {got:?}");
}

async fn every_node_hears_every_publish(kind: Kind) {
    let (a, b) = pair(kind).await;
    let mut on_a = a.subscribe().await.unwrap();
    let mut on_b = b.subscribe().await.unwrap();
    let e1 = chat_event(Uuid::now_v7(), 1);
    let e2 = Envelope {
        id: Uuid::now_v7(),
        workspace_id: Uuid::nil(),
        audience: Audience::Users { user_ids: vec![Uuid::now_v7()] },
        payload: Payload::Ephemeral {
            event: Ephemeral::Typing { chat_id: Uuid::now_v7(), user_id: Uuid::now_v7() },
        },
    };
    a.publish(&e1).await.unwrap();
    b.publish(&e2).await.unwrap();
    for sub in [&mut on_a, &mut on_b] {
        let got = [next(sub).await, next(sub).await];
        assert!(got.contains(&e1) && got.contains(&e2), "both envelopes, intact: {got:?}");
        nothing_more(sub).await;
    }
}

async fn one_publisher_keeps_its_order(kind: Kind) {
    let (a, b) = pair(kind).await;
    let mut sub = b.subscribe().await.unwrap();
    let chat = Uuid::now_v7();
    for seq in 1..=200 {
        a.publish(&chat_event(chat, seq)).await.unwrap();
    }
    for seq in 1..=200 {
        match next(&mut sub).await.payload {
            Payload::Chat { event } => assert_eq!(event.seq, seq),
            other => panic!("unexpected {other:?}"),
        }
    }
}

async fn a_batch_arrives_whole_and_in_order(kind: Kind) {
    let (a, b) = pair(kind).await;
    let mut on_a = a.subscribe().await.unwrap();
    let mut on_b = b.subscribe().await.unwrap();
    let chat = Uuid::now_v7();
    // More than one Redis message carries (256), then a single publish and an
    // empty batch: the order holds across all of them.
    let batch: Vec<Envelope> = (1..=300).map(|seq| chat_event(chat, seq)).collect();
    a.publish_all(&batch).await.unwrap();
    a.publish_all(&[]).await.unwrap();
    a.publish(&chat_event(chat, 301)).await.unwrap();
    a.publish_all(&[chat_event(chat, 302)]).await.unwrap();
    for sub in [&mut on_a, &mut on_b] {
        for seq in 1..=302 {
            let got = next(sub).await;
            match &got.payload {
                Payload::Chat { event } => assert_eq!(event.seq, seq),
                other => panic!("unexpected {other:?}"),
            }
            if let Some(sent) = batch.get(seq as usize - 1) {
                assert_eq!(&got, sent, "intact");
            }
        }
        nothing_more(sub).await;
    }
}

async fn subscribers_hear_only_later_publishes(kind: Kind) {
    let (a, _b) = pair(kind).await;
    // Delivery is asynchronous (through Redis and back): wait until an earlier
    // subscriber has the first envelope, so it is truly in the past.
    let mut early = a.subscribe().await.unwrap();
    let first = chat_event(Uuid::now_v7(), 1);
    a.publish(&first).await.unwrap();
    assert_eq!(next(&mut early).await, first);
    let mut late = a.subscribe().await.unwrap();
    nothing_more(&mut late).await;
    let e = chat_event(Uuid::now_v7(), 2);
    a.publish(&e).await.unwrap();
    assert_eq!(next(&mut late).await, e);
}

/// A subscriber that falls more than the buffer behind is told so, then goes on
/// with what is still there: it never silently misses envelopes.
async fn a_lagging_subscriber_is_told_of_the_gap(kind: Kind) {
    let (a, _b) = pair(kind).await;
    let mut sub = a.subscribe().await.unwrap();
    let chat = Uuid::now_v7();
    let extra = 10;
    let batch: Vec<Envelope> =
        (1..=(artel_bus::SUBSCRIBER_BUFFER + extra) as i64).map(|seq| chat_event(chat, seq)).collect();
    a.publish_all(&batch).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), sub.next_item()).await.expect("an item");
    assert_eq!(first, Some(Delivery::Gap));
    let after = next(&mut sub).await;
    assert_eq!(after, batch[extra], "then the oldest envelope still buffered");
}

async fn kinds_are_named(kind: Kind) {
    let (a, _) = pair(kind).await;
    let expected = match kind {
        Kind::Local => "local",
        Kind::Redis => "redis",
    };
    assert_eq!(a.kind(), expected);
    let _ = ChatKind::Channel;
}

macro_rules! on_every_bus {
    ($($name:ident),* $(,)?) => {
        mod local { $( #[tokio::test] async fn $name() { super::$name(super::Kind::Local).await } )* }
        mod redis { $( #[tokio::test] async fn $name() { super::$name(super::Kind::Redis).await } )* }
    };
}

on_every_bus!(
    every_node_hears_every_publish,
    one_publisher_keeps_its_order,
    a_batch_arrives_whole_and_in_order,
    subscribers_hear_only_later_publishes,
    a_lagging_subscriber_is_told_of_the_gap,
    kinds_are_named
);

/// Two nodes on a private Redis this test may stop.
async fn private_pair(
    server: &artel_tests::redis_server::RedisServer,
) -> (artel_bus::RedisBus, artel_bus::RedisBus) {
    let a = artel_bus::RedisBus::connect(&server.url(), "artel-fault").await.expect("node a");
    let b = artel_bus::RedisBus::connect(&server.url(), "artel-fault").await.expect("node b");
    (a, b)
}

/// Redis is down: a node's own subscribers still get what it publishes, at
/// once and in order (its sockets must not wait for Redis), and publishing
/// does not fail.
#[tokio::test]
async fn a_node_hears_itself_while_redis_is_down() {
    let mut server = artel_tests::redis_server::RedisServer::start();
    let (a, _b) = private_pair(&server).await;
    let mut sub = a.subscribe().await.unwrap();
    server.stop();
    let chat = Uuid::now_v7();
    let (e1, e2, e3) = (chat_event(chat, 1), chat_event(chat, 2), chat_event(chat, 3));
    a.publish(&e1).await.expect("publishing while Redis is down is not an error");
    a.publish_all(&[e2.clone(), e3.clone()]).await.expect("nor is publishing a batch");
    for expected in [e1, e2, e3] {
        assert_eq!(next(&mut sub).await, expected);
    }
}

/// What a node publishes while Redis is down reaches the other node once Redis
/// is back, or the other node is told it may have missed it (a gap, after which
/// the hub reads the store); either way nothing arrives twice or out of order,
/// and publishing works again without anyone's help.
#[tokio::test]
async fn an_outage_ends_in_delivery_or_a_gap_on_the_other_node() {
    let mut server = artel_tests::redis_server::RedisServer::start();
    let (a, b) = private_pair(&server).await;
    let mut sub = b.subscribe().await.unwrap();
    server.stop();
    let chat = Uuid::now_v7();
    let sent: Vec<Envelope> = (1..=6).map(|seq| chat_event(chat, seq)).collect();
    for e in &sent[..5] {
        a.publish(e).await.expect("publishing while Redis is down is not an error");
    }
    server.restart();
    let mut items = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let item = tokio::time::timeout_at(deadline, sub.next_item())
            .await
            .unwrap_or_else(|_| panic!("no gap and no delivery after Redis came back: {items:?}"))
            .expect("bus open");
        let gap = item == Delivery::Gap;
        items.push(item);
        if gap {
            break;
        }
    }
    // After the gap, this node is subscribed again: the next publish arrives.
    a.publish(&sent[5]).await.unwrap();
    loop {
        let item = tokio::time::timeout_at(deadline, sub.next_item())
            .await
            .unwrap_or_else(|_| panic!("no delivery after the gap: {items:?}"))
            .expect("bus open");
        let last = item == Delivery::Envelope(sent[5].clone());
        items.push(item);
        if last {
            break;
        }
    }
    let envelopes: Vec<&Envelope> = items
        .iter()
        .filter_map(|i| match i {
            Delivery::Envelope(e) => Some(e),
            Delivery::Gap => None,
        })
        .collect();
    let mut expected = sent.iter();
    for e in &envelopes {
        assert!(expected.any(|s| s == *e), "in order and once: {envelopes:?}");
    }
}

/// A node that goes away (a crash, kill -9) may take envelopes it had not yet
/// published: the others are told, so their hubs catch up from the store.
#[tokio::test]
async fn a_node_leaving_is_a_gap_for_the_others() {
    let server = artel_tests::redis_server::RedisServer::start();
    let (a, b) = private_pair(&server).await;
    let mut sub = b.subscribe().await.unwrap();
    // Both nodes are live on the channel (a round trip through a), and b's
    // watcher has counted them both.
    let e = chat_event(Uuid::now_v7(), 1);
    a.publish(&e).await.unwrap();
    assert_eq!(next(&mut sub).await, e);
    tokio::time::timeout(Duration::from_secs(5), b.nodes_counted(2)).await.expect("b counts two nodes");
    drop(a);
    let item = tokio::time::timeout(Duration::from_secs(5), sub.next_item()).await.expect("a gap within 5 s");
    assert_eq!(item, Some(Delivery::Gap));
}

/// Redis restarts. The bus reconnects by itself; what is published after the
/// restart arrives again.
#[tokio::test]
async fn redis_bus_recovers_after_redis_restart() {
    let mut server = artel_tests::redis_server::RedisServer::start();
    let a = artel_bus::RedisBus::connect(&server.url(), "artel-restart").await.expect("node a");
    let b = artel_bus::RedisBus::connect(&server.url(), "artel-restart").await.expect("node b");
    let mut sub = b.subscribe().await.unwrap();
    let chat = Uuid::now_v7();
    a.publish(&chat_event(chat, 1)).await.unwrap();
    assert!(matches!(next(&mut sub).await.payload, Payload::Chat { .. }));

    server.restart();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut seq = 1;
    loop {
        seq += 1;
        a.publish(&chat_event(chat, seq)).await.unwrap();
        if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), sub.recv()).await {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no delivery after Redis restarted");
    }
}
