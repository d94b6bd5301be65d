//! `PushStore`: browser subscriptions, notification settings, chat mutes, focus
//! rows, and the delivery queue (folding bursts per subscription and tag,
//! claims under leases, outcomes only by the lease owner). Two nodes racing for
//! the queue send every delivery exactly once.

use std::collections::HashMap;
use std::sync::Arc;

use artel_core::push::{
    Dnd, KindSwitches, NotificationSettings, PushKind, PushSubscription, QueueStatus, QueuedPush,
};
use artel_core::user::User;
use artel_core::{Store, StoreError};
use artel_tests::{on_every_backend, Backend};
use uuid::Uuid;

use crate::support::{add_user, assert_err, at, channel, msg, open, second_node, seeded, send, sorted};

fn sub(u: &User, endpoint: &str, created: i64) -> PushSubscription {
    PushSubscription {
        id: Uuid::now_v7(),
        workspace_id: u.workspace_id,
        user_id: u.id,
        endpoint: format!("https://push.example/{endpoint}"),
        p256dh: format!("p256dh-{endpoint}"),
        auth: format!("auth-{endpoint}"),
        device: Some("Firefox on Linux".into()),
        created_at: at(created),
        updated_at: at(created),
    }
}

fn push(s: &PushSubscription, tag: &str, title: &str, run_at: i64) -> QueuedPush {
    QueuedPush {
        id: Uuid::now_v7(),
        workspace_id: s.workspace_id,
        user_id: s.user_id,
        subscription_id: s.id,
        tag: tag.into(),
        kind: PushKind::Mention,
        title: title.into(),
        body: format!("Текст: {title}"),
        url: format!("/chats/{tag}"),
        count: 1,
        status: QueueStatus::Pending,
        run_at: at(run_at),
        attempts: 0,
        last_status: None,
        last_error: None,
        created_at: at(run_at),
        sent_at: None,
    }
}

async fn subscriptions_upsert_move_and_delete(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (_b, stranger) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;

    let laptop = sub(&ann, "laptop", 0);
    assert_eq!(store.upsert_subscription(&laptop).await.unwrap(), (laptop.clone(), true));
    let phone = sub(&ann, "phone", 5);
    store.upsert_subscription(&phone).await.unwrap();

    // The same endpoint of the same user: new keys on the existing row.
    let renewed = PushSubscription {
        id: Uuid::now_v7(),
        p256dh: "new-key".into(),
        auth: "new-auth".into(),
        device: None,
        created_at: at(10),
        updated_at: at(10),
        ..laptop.clone()
    };
    let expected = PushSubscription {
        p256dh: "new-key".into(),
        auth: "new-auth".into(),
        device: None,
        updated_at: at(10),
        ..laptop.clone()
    };
    assert_eq!(store.upsert_subscription(&renewed).await.unwrap(), (expected.clone(), false));
    assert_eq!(store.list_subscriptions(a.id, ann.id).await.unwrap(), vec![expected.clone(), phone.clone()]);

    // The browser changes hands: the old account loses it, with its queued pushes.
    store.enqueue_push(&push(&phone, "chat:x", "for ann", 0)).await.unwrap();
    let taken = PushSubscription { endpoint: phone.endpoint.clone(), ..sub(&owner, "other", 20) };
    assert_eq!(store.upsert_subscription(&taken).await.unwrap(), (taken.clone(), true));
    assert_eq!(store.list_subscriptions(a.id, ann.id).await.unwrap(), vec![expected.clone()]);
    assert!(store.list_pushes(a.id, ann.id).await.unwrap().is_empty());
    // Even into another workspace.
    let moved = PushSubscription { endpoint: phone.endpoint.clone(), ..sub(&stranger, "x", 30) };
    assert!(store.upsert_subscription(&moved).await.unwrap().1);
    assert!(store.list_subscriptions(a.id, owner.id).await.unwrap().is_empty());
    assert!(store.list_subscriptions(a.id, stranger.id).await.unwrap().is_empty(), "listed by workspace");

    // Deleting: only the user's own, in their workspace.
    assert_err(
        store.delete_subscription(a.id, owner.id, laptop.id).await,
        StoreError::NotFound("subscription"),
    );
    assert_err(
        store.delete_subscription(moved.workspace_id, ann.id, laptop.id).await,
        StoreError::NotFound("subscription"),
    );
    assert_eq!(store.list_subscriptions(a.id, ann.id).await.unwrap().len(), 1);
    store.delete_subscription(a.id, ann.id, laptop.id).await.unwrap();
    assert_err(
        store.delete_subscription(a.id, ann.id, laptop.id).await,
        StoreError::NotFound("subscription"),
    );
    assert!(store.list_subscriptions(a.id, ann.id).await.unwrap().is_empty());

    // Pruning (the push service said gone): with the queue rows; unknown ids are fine.
    store.enqueue_push(&push(&moved, "chat:y", "for stranger", 0)).await.unwrap();
    assert_eq!(store.list_pushes(moved.workspace_id, stranger.id).await.unwrap().len(), 1);
    store.prune_subscription(moved.id).await.unwrap();
    store.prune_subscription(moved.id).await.unwrap();
    assert!(store.list_subscriptions(moved.workspace_id, stranger.id).await.unwrap().is_empty());
    assert!(store.list_pushes(moved.workspace_id, stranger.id).await.unwrap().is_empty());
}

async fn settings_mutes_and_focus(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;

    // Settings: defaults until set, then exactly what was set, per user.
    assert_eq!(store.notification_settings(a.id, ann.id).await.unwrap(), NotificationSettings::default());
    let quiet = NotificationSettings {
        hide_text: true,
        dnd: Some(Dnd::parse("22:00", "08:30").unwrap()),
        kinds: KindSwitches { thread: false, deal_assigned: false, ..KindSwitches::default() },
    };
    store.set_notification_settings(a.id, ann.id, &quiet, at(1)).await.unwrap();
    assert_eq!(store.notification_settings(a.id, ann.id).await.unwrap(), quiet);
    let all_day = NotificationSettings {
        hide_text: false,
        dnd: Some(Dnd::parse("00:00", "00:00").unwrap()),
        kinds: KindSwitches::default(),
    };
    store.set_notification_settings(a.id, ann.id, &all_day, at(2)).await.unwrap();
    assert_eq!(store.notification_settings(a.id, ann.id).await.unwrap(), all_day);
    assert_eq!(store.notification_settings(a.id, owner.id).await.unwrap(), NotificationSettings::default());
    // Another workspace neither reads nor writes them.
    assert_eq!(store.notification_settings(b.id, ann.id).await.unwrap(), NotificationSettings::default());
    assert_err(
        store.set_notification_settings(b.id, ann.id, &quiet, at(3)).await,
        StoreError::NotFound("user"),
    );
    assert_err(
        store.set_notification_settings(b.id, owner.id, &quiet, at(3)).await,
        StoreError::NotFound("user"),
    );
    assert_eq!(store.notification_settings(a.id, ann.id).await.unwrap(), all_day);
    assert_eq!(store.notification_settings(a.id, owner.id).await.unwrap(), NotificationSettings::default());

    // Mutes: idempotent both ways, read per chat and per user.
    let general = channel(&store, &a, &owner, "general", &[&ann]).await;
    let sales = channel(&store, &a, &owner, "sales", &[&ann]).await;
    let elsewhere = channel(&store, &b, &stranger, "elsewhere", &[]).await;
    for _ in 0..2 {
        store.set_chat_muted(a.id, general.id, ann.id, true, at(4)).await.unwrap();
    }
    store.set_chat_muted(a.id, general.id, owner.id, true, at(4)).await.unwrap();
    store.set_chat_muted(a.id, sales.id, ann.id, true, at(4)).await.unwrap();
    assert_eq!(sorted(&store.chat_muted_by(a.id, general.id).await.unwrap()), sorted(&[ann.id, owner.id]));
    assert_eq!(sorted(&store.chats_muted_by(a.id, ann.id).await.unwrap()), sorted(&[general.id, sales.id]));
    store.set_chat_muted(a.id, general.id, owner.id, false, at(5)).await.unwrap();
    store.set_chat_muted(a.id, general.id, owner.id, false, at(5)).await.unwrap();
    assert_eq!(store.chat_muted_by(a.id, general.id).await.unwrap(), vec![ann.id]);
    assert!(store.chats_muted_by(a.id, owner.id).await.unwrap().is_empty());
    // Through another workspace: nothing seen, muting refused, unmuting changes nothing.
    assert!(store.chat_muted_by(b.id, general.id).await.unwrap().is_empty());
    assert!(store.chats_muted_by(b.id, ann.id).await.unwrap().is_empty());
    assert_err(
        store.set_chat_muted(b.id, general.id, owner.id, true, at(6)).await,
        StoreError::NotFound("chat"),
    );
    assert_err(
        store.set_chat_muted(b.id, elsewhere.id, owner.id, true, at(6)).await,
        StoreError::NotFound("chat"),
    );
    assert_err(
        store.set_chat_muted(a.id, elsewhere.id, stranger.id, true, at(6)).await,
        StoreError::NotFound("chat"),
    );
    store.set_chat_muted(b.id, general.id, ann.id, false, at(6)).await.unwrap();
    assert_eq!(store.chat_muted_by(a.id, general.id).await.unwrap(), vec![ann.id]);
    // The refused mute left nothing behind that would swallow the real one.
    store.set_chat_muted(a.id, general.id, owner.id, true, at(7)).await.unwrap();
    assert_eq!(sorted(&store.chat_muted_by(a.id, general.id).await.unwrap()), sorted(&[ann.id, owner.id]));

    // Focus: per socket, live until (not at) its expiry, one entry per user.
    let (c1, c2, c3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    store.set_focus(c1, a.id, ann.id, Some(general.id), at(60)).await.unwrap();
    store.set_focus(c2, a.id, ann.id, Some(general.id), at(30)).await.unwrap();
    store.set_focus(c3, a.id, owner.id, Some(sales.id), at(60)).await.unwrap();
    assert_eq!(store.focused_users(a.id, general.id, at(10)).await.unwrap(), vec![ann.id]);
    assert_eq!(store.focused_users(a.id, general.id, at(59)).await.unwrap(), vec![ann.id]);
    assert!(store.focused_users(a.id, general.id, at(60)).await.unwrap().is_empty());
    assert_eq!(store.focused_users(a.id, sales.id, at(10)).await.unwrap(), vec![owner.id]);
    // Re-pointed and forgotten sockets.
    store.set_focus(c1, a.id, ann.id, Some(sales.id), at(90)).await.unwrap();
    assert_eq!(sorted(&store.focused_users(a.id, sales.id, at(61)).await.unwrap()), vec![ann.id]);
    assert!(store.focused_users(a.id, general.id, at(31)).await.unwrap().is_empty());
    store.set_focus(c1, a.id, ann.id, None, at(90)).await.unwrap();
    store.set_focus(Uuid::now_v7(), a.id, ann.id, None, at(90)).await.unwrap();
    assert_eq!(store.focused_users(a.id, sales.id, at(50)).await.unwrap(), vec![owner.id]);
    // Another workspace: sees nothing, and cannot point a socket at a chat or user of A.
    assert!(store.focused_users(b.id, sales.id, at(50)).await.unwrap().is_empty());
    assert_err(
        store.set_focus(Uuid::now_v7(), b.id, ann.id, Some(general.id), at(90)).await,
        StoreError::NotFound("chat"),
    );
    assert_err(
        store.set_focus(Uuid::now_v7(), b.id, stranger.id, Some(general.id), at(90)).await,
        StoreError::NotFound("chat"),
    );
    assert_err(
        store.set_focus(c3, b.id, stranger.id, Some(elsewhere.id), at(90)).await,
        StoreError::NotFound("chat"),
    );
    assert_eq!(store.focused_users(a.id, sales.id, at(50)).await.unwrap(), vec![owner.id], "c3 is still A's");
    assert!(store.focused_users(b.id, general.id, at(50)).await.unwrap().is_empty());
    // Expired focus rows go with the housekeeping.
    store.prune_pushes(at(100)).await.unwrap();
    assert!(store.focused_users(a.id, sales.id, at(0)).await.unwrap().is_empty());
}

async fn queue_folds_claims_and_outcomes(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, _owner) = seeded(&store, "alpha").await;
    let (b, _stranger) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;
    let bob = add_user(&store, &a, "bob").await;
    let laptop = sub(&ann, "laptop", 0);
    let phone = sub(&ann, "phone", 0);
    store.upsert_subscription(&laptop).await.unwrap();
    store.upsert_subscription(&phone).await.unwrap();
    let (node, other) = (Uuid::now_v7(), Uuid::now_v7());
    let ids = |pushes: &[QueuedPush]| pushes.iter().map(|p| p.id).collect::<Vec<_>>();

    // A burst for one subscription and tag folds into the pending row: counts add
    // up, the newest text and kind win, the first row's id and time stay.
    let p1 = push(&laptop, "chat:1", "one", 0);
    store.enqueue_push(&p1).await.unwrap();
    assert_eq!(store.list_pushes(a.id, ann.id).await.unwrap(), vec![p1.clone()]);
    let p2 = QueuedPush { kind: PushKind::Direct, count: 2, ..push(&laptop, "chat:1", "two", 5) };
    store.enqueue_push(&p2).await.unwrap();
    let folded = QueuedPush {
        count: 3,
        kind: PushKind::Direct,
        title: p2.title.clone(),
        body: p2.body.clone(),
        url: p2.url.clone(),
        ..p1.clone()
    };
    assert_eq!(store.list_pushes(a.id, ann.id).await.unwrap(), vec![folded.clone()]);
    // Another tag, another device: rows of their own.
    let p3 = push(&laptop, "chat:2", "later", 100);
    let p4 = push(&phone, "chat:1", "phone", 0);
    store.enqueue_push(&p3).await.unwrap();
    store.enqueue_push(&p4).await.unwrap();
    assert_eq!(ids(&store.list_pushes(a.id, ann.id).await.unwrap()), vec![p1.id, p4.id, p3.id]);
    assert!(store.list_pushes(a.id, bob.id).await.unwrap().is_empty());
    assert!(store.list_pushes(b.id, ann.id).await.unwrap().is_empty());

    // Claims: due ones by time, up to the limit (none for a zero limit), as sending.
    assert!(store.claim_pushes(node, at(10), at(40), at(-50), 0).await.unwrap().is_empty());
    let claimed = store.claim_pushes(node, at(10), at(40), at(-50), 1).await.unwrap();
    let sending =
        QueuedPush { status: QueueStatus::Sending, attempts: 1, sent_at: Some(at(10)), ..folded.clone() };
    assert_eq!(claimed, vec![sending.clone()]);
    let claimed = store.claim_pushes(node, at(10), at(40), at(-50), 10).await.unwrap();
    assert_eq!(ids(&claimed), vec![p4.id], "not due and leased ones wait");
    assert!(
        store.claim_pushes(other, at(40), at(70), at(-50), 10).await.unwrap().is_empty(),
        "a lease holds to its end"
    );
    assert_eq!(store.last_push_at(laptop.id, "chat:1").await.unwrap(), Some(at(10)));
    assert_eq!(store.last_push_at(laptop.id, "chat:2").await.unwrap(), None);
    assert_eq!(store.last_push_at(phone.id, "chat:1").await.unwrap(), Some(at(10)));

    // A notification arriving while its tag is being sent gets a row of its own,
    // which waits out the collapse window after the send.
    let p5 = push(&laptop, "chat:1", "three", 11);
    store.enqueue_push(&p5).await.unwrap();
    assert!(!store.finish_push(p1.id, other, 201, at(12)).await.unwrap());
    assert!(store.finish_push(p1.id, node, 201, at(12)).await.unwrap());
    assert!(!store.finish_push(p1.id, node, 201, at(12)).await.unwrap(), "sent is sent");
    assert!(!store.retry_push(p1.id, node, at(50), None, "x", at(12)).await.unwrap());
    assert!(!store.fail_push(p1.id, node, None, "x", at(12)).await.unwrap());
    let sent = store.list_pushes(a.id, ann.id).await.unwrap().remove(0);
    assert_eq!(sent, QueuedPush { status: QueueStatus::Sent, last_status: Some(201), ..sending.clone() });
    assert!(
        store.claim_pushes(node, at(20), at(50), at(-10), 10).await.unwrap().is_empty(),
        "within the window"
    );
    let claimed = store.claim_pushes(node, at(20), at(50), at(10), 10).await.unwrap();
    assert_eq!(ids(&claimed), vec![p5.id], "the window starts at the last send: not after it");

    // Retry: folded into a newer pending row of the tag when there is one, by the
    // owner only; otherwise back to pending with the status and error.
    let p6 = QueuedPush { count: 4, ..push(&laptop, "chat:1", "four", 21) };
    store.enqueue_push(&p6).await.unwrap();
    assert!(!store.retry_push(p5.id, other, at(100), Some(503), "busy", at(22)).await.unwrap());
    assert!(!store.retry_push(p1.id, node, at(100), Some(503), "busy", at(22)).await.unwrap());
    let count = |pushes: Vec<QueuedPush>, id| pushes.into_iter().find(|p| p.id == id).map(|p| p.count);
    assert_eq!(
        count(store.list_pushes(a.id, ann.id).await.unwrap(), p6.id),
        Some(4),
        "a refused retry adds nothing"
    );
    assert!(store.retry_push(p5.id, node, at(100), Some(503), "busy", at(22)).await.unwrap());
    let now = store.list_pushes(a.id, ann.id).await.unwrap();
    assert_eq!(ids(&now), vec![p1.id, p4.id, p6.id, p3.id], "the retried row is folded away");
    assert_eq!(count(now, p6.id), Some(5));
    let long = "ошибка ".repeat(100);
    assert!(!store.retry_push(p4.id, other, at(50), Some(429), "slow", at(23)).await.unwrap());
    assert!(store.retry_push(p4.id, node, at(50), Some(429), &long, at(23)).await.unwrap());
    let retried = store.list_pushes(a.id, ann.id).await.unwrap().into_iter().find(|p| p.id == p4.id).unwrap();
    assert_eq!(
        retried,
        QueuedPush {
            status: QueueStatus::Pending,
            run_at: at(50),
            attempts: 1,
            last_status: Some(429),
            last_error: Some(long.chars().take(500).collect()),
            sent_at: Some(at(10)),
            ..p4.clone()
        }
    );
    assert!(store
        .claim_pushes(other, at(49), at(80), at(-100), 10)
        .await
        .unwrap()
        .iter()
        .all(|p| p.id != p4.id));
    let again = store.claim_pushes(other, at(50), at(80), at(0), 10).await.unwrap();
    assert!(
        again.iter().any(|p| p.id == p4.id && p.attempts == 2),
        "its own last send does not hold it back"
    );

    // Fail: by the owner only, for good.
    assert!(!store.fail_push(p4.id, node, Some(400), "bad", at(51)).await.unwrap());
    assert!(store.fail_push(p4.id, other, Some(400), "bad", at(51)).await.unwrap());
    let failed = store.list_pushes(a.id, ann.id).await.unwrap().into_iter().find(|p| p.id == p4.id).unwrap();
    assert_eq!(
        (failed.status, failed.last_status, failed.last_error.as_deref()),
        (QueueStatus::Failed, Some(400), Some("bad"))
    );

    // A lease that ran out is taken over; the old owner can record nothing.
    let mine = store.claim_pushes(node, at(100), at(130), at(0), 10).await.unwrap();
    assert!(mine.iter().any(|p| p.id == p3.id));
    let taken = store.claim_pushes(other, at(131), at(160), at(0), 10).await.unwrap();
    assert!(taken.iter().any(|p| p.id == p3.id && p.attempts == 2 && p.sent_at == Some(at(131))));
    assert!(!store.finish_push(p3.id, node, 201, at(132)).await.unwrap());
    assert!(!store.retry_push(p3.id, node, at(200), None, "x", at(132)).await.unwrap());
    assert!(store.finish_push(p3.id, other, 201, at(133)).await.unwrap());

    // Housekeeping: sent and failed rows last changed before the cut go.
    let left = |pushes: Vec<QueuedPush>| pushes.into_iter().map(|p| (p.id, p.status)).collect::<Vec<_>>();
    let before = left(store.list_pushes(a.id, ann.id).await.unwrap());
    assert_eq!(store.prune_pushes(at(12)).await.unwrap(), 0, "strictly before");
    assert_eq!(store.prune_pushes(at(52)).await.unwrap(), 2);
    let after = left(store.list_pushes(a.id, ann.id).await.unwrap());
    assert_eq!(after, before.into_iter().filter(|(id, _)| *id != p1.id && *id != p4.id).collect::<Vec<_>>());
}

async fn badge_and_thread_participants(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, _) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;
    let bob = add_user(&store, &a, "bob").await;
    let general = channel(&store, &a, &owner, "general", &[&ann, &bob]).await;
    let sales = channel(&store, &a, &owner, "sales", &[&ann]).await;
    let quiet = channel(&store, &a, &owner, "quiet", &[&ann]).await;

    assert_eq!(store.unread_chat_count(a.id, ann.id).await.unwrap(), 0);
    let root = send(&store, msg(&general, Some(&owner), "root")).await;
    send(&store, msg(&general, Some(&bob), "more")).await;
    send(&store, msg(&sales, None, "a system line counts")).await;
    send(&store, msg(&quiet, Some(&ann), "my own does not")).await;
    let reply = |author: &artel_core::user::User, body: &str| {
        let mut m = msg(&general, Some(author), body);
        m.thread_root_id = Some(root.id);
        m
    };
    send(&store, reply(&bob, "first reply")).await;
    send(&store, reply(&ann, "second reply")).await;
    send(&store, reply(&bob, "third reply")).await;
    assert_eq!(store.unread_chat_count(a.id, ann.id).await.unwrap(), 2, "general and sales");
    assert_eq!(
        store.unread_chat_count(a.id, owner.id).await.unwrap(),
        3,
        "general (bob), sales (system), quiet (ann)"
    );
    assert_eq!(store.unread_chat_count(b.id, ann.id).await.unwrap(), 0);
    let sales_seq = store.get_chat(a.id, sales.id).await.unwrap().last_seq;
    store.mark_read(a.id, sales.id, ann.id, sales_seq).await.unwrap();
    assert_eq!(store.unread_chat_count(a.id, ann.id).await.unwrap(), 1);
    // Deleted messages are not unread.
    let only = send(&store, msg(&quiet, Some(&owner), "oops")).await;
    assert_eq!(store.unread_chat_count(a.id, ann.id).await.unwrap(), 2);
    store.delete_message(a.id, only.id, at(5)).await.unwrap();
    assert_eq!(store.unread_chat_count(a.id, ann.id).await.unwrap(), 1);

    // A thread's people: its root's author and everyone who replied, once each.
    assert_eq!(
        sorted(&store.thread_participants(a.id, root.id).await.unwrap()),
        sorted(&[owner.id, bob.id, ann.id])
    );
    let lonely = send(&store, msg(&general, Some(&bob), "no replies")).await;
    assert_eq!(store.thread_participants(a.id, lonely.id).await.unwrap(), vec![bob.id]);
    let system = send(&store, msg(&general, None, "system")).await;
    assert!(store.thread_participants(a.id, system.id).await.unwrap().is_empty());
    assert!(store.thread_participants(b.id, root.id).await.unwrap().is_empty());
    assert!(store.thread_participants(a.id, Uuid::now_v7()).await.unwrap().is_empty());
}

async fn two_nodes_send_each_push_once(backend: Backend) {
    let (store, db) = open(backend).await;
    let peer = second_node(&db).await;
    let (ws, _) = seeded(&store, "acme").await;
    let ann = add_user(&store, &ws, "ann").await;
    const PUSHES: usize = 60;
    for i in 0..PUSHES {
        let s = sub(&ann, &format!("device-{i}"), 0);
        store.upsert_subscription(&s).await.unwrap();
        store.enqueue_push(&push(&s, "chat:1", "hello", 0)).await.unwrap();
    }

    async fn drain(nodes: [(Arc<dyn Store>, Uuid); 2], now: i64) -> Vec<(Uuid, Uuid, i64)> {
        let mut tasks = Vec::new();
        for w in 0..8 {
            let (store, owner) = nodes[w % 2].clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let batch =
                        store.claim_pushes(owner, at(now), at(now + 30), at(now - 60), 5).await.unwrap();
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch.into_iter().map(|p| (p.id, owner, p.attempts)));
                }
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    }
    let (n1, n2) = (Uuid::now_v7(), Uuid::now_v7());
    let nodes = || [(store.clone(), n1), (peer.clone(), n2)];
    let claims = drain(nodes(), 0).await;
    let mut per_push: HashMap<Uuid, usize> = HashMap::new();
    for (id, _, attempts) in &claims {
        *per_push.entry(*id).or_default() += 1;
        assert_eq!(*attempts, 1);
    }
    assert_eq!(per_push.len(), PUSHES);
    assert!(per_push.values().all(|n| *n == 1), "no push was claimed twice");

    // Leases run out unanswered: both race again, each push goes to one of them.
    let reclaims = drain(nodes(), 31).await;
    let owners: HashMap<Uuid, Uuid> = reclaims.iter().map(|(id, owner, _)| (*id, *owner)).collect();
    assert_eq!((reclaims.len(), owners.len()), (PUSHES, PUSHES));
    for (id, owner) in &owners {
        let stranger = if *owner == n1 { n2 } else { n1 };
        assert!(!store.finish_push(*id, stranger, 201, at(40)).await.unwrap());
        assert!(peer.finish_push(*id, *owner, 201, at(40)).await.unwrap());
    }
    let pushes = store.list_pushes(ws.id, ann.id).await.unwrap();
    assert!(pushes.iter().all(|p| p.status == QueueStatus::Sent && p.attempts == 2));
    assert_eq!(store.last_push_at(pushes[0].subscription_id, "chat:1").await.unwrap(), Some(at(31)));
}

on_every_backend!(
    subscriptions_upsert_move_and_delete,
    settings_mutes_and_focus,
    queue_folds_claims_and_outcomes,
    badge_and_thread_participants,
    two_nodes_send_each_push_once,
);
