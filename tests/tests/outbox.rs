//! The outbox, on both backends: a deal or task change writes its domain event
//! and one job per subscriber in its own transaction. When the process dies
//! right after the commit (here: the change is written through the store and
//! nothing runs its subscribers), the job worker runs them after their grace:
//! the webhook delivery, the stage rule's run and the deal chat's notice all
//! appear, once. Running a subscriber job again changes nothing. A write's own
//! subscriber jobs are done by the time it answers.

use std::time::Duration;

use artel::events::{self, Subscriber};
use artel_core::automation::job::{Job, JobStatus};
use artel_core::crm::deal::Deal;
use artel_core::domain_event::Change;
use artel_core::Clock;
use artel_tests::receiver::Receiver;
use artel_tests::{on_every_backend, Backend, Session, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

fn id(v: &Value) -> Uuid {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not an id: {v}"))
}

async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Setup {
    app: TestApp,
    owner: Session,
    receiver: Receiver,
    stages: Vec<Uuid>,
}

/// An owner, a webhook to a local receiver on every event, and a stage rule on
/// the second stage that posts a message into the deal's chat.
async fn setup(backend: Backend) -> Setup {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let receiver = Receiver::start(&[]).await;
    app.call("PUT", "/integrations/settings", tok(&owner), Some(json!({"allow_private_targets": true})))
        .await
        .expect(200);
    app.post(
        "/webhooks",
        tok(&owner),
        json!({"name": "sink", "url": receiver.url("/hook"), "events": ["deal.created", "deal.moved", "deal.won", "deal.lost", "task.created", "task.done"]}),
    )
    .await
    .expect(201);
    let r = app.get("/pipelines", &owner.access_token).await;
    r.expect(200);
    let pipeline = id(&r.body[0]["id"]);
    let stages: Vec<Uuid> = r.body[0]["stages"].as_array().unwrap().iter().map(|s| id(&s["id"])).collect();
    app.post(
        &format!("/pipelines/{pipeline}/stages/{}/rules", stages[1]),
        tok(&owner),
        json!({"trigger": {"type": "deal_entered_stage"}, "action": {"type": "post_message", "text": "Правило сработало"}}),
    )
    .await
    .expect(201);
    Setup { app, owner, receiver, stages }
}

async fn chat_messages(app: &TestApp, who: &Session, chat: Uuid) -> Vec<Value> {
    let r = app.get(&format!("/chats/{chat}/messages?limit=100"), &who.access_token).await;
    r.expect(200);
    r.body.as_array().unwrap().clone()
}

fn deliveries_of(receiver: &Receiver, event: &str) -> Vec<Value> {
    receiver.received().iter().map(|r| r.json()).filter(|b| b["event"] == event).collect()
}

fn distinct_ids(bodies: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = bodies.iter().map(|b| b["id"].as_str().unwrap_or("").to_string()).collect();
    ids.sort();
    ids.dedup();
    ids
}

async fn subscriber_jobs(app: &TestApp, ws: Uuid, event: Uuid) -> Vec<Job> {
    let mut out = Vec::new();
    for s in events::SUBSCRIBERS {
        out.extend(
            app.state.store.jobs_by_key_prefix(ws, &format!("ev:{}:{event}", s.name())).await.unwrap(),
        );
    }
    out
}

async fn a_change_whose_subscribers_never_ran_gets_them_from_the_worker_once(backend: Backend) {
    let Setup { app, owner, receiver, stages } = setup(backend).await;
    let r = app.post("/deals", tok(&owner), json!({"title": "Поставка", "stage_id": stages[0]})).await;
    r.expect(201);
    let deal_id = id(&r.body["id"]);
    let chat = id(&r.body["chat_id"]);
    let actor = app.state.store.get_user(owner.workspace_id, owner.user_id).await.unwrap();

    // The move as `deals::move_to` writes it, committed, and then the process
    // "dies": nothing runs the subscriber jobs.
    let before: Deal = app.state.store.get_deal(owner.workspace_id, deal_id).await.unwrap();
    let from = app.state.store.get_stage(owner.workspace_id, stages[0]).await.unwrap();
    let to = app.state.store.get_stage(owner.workspace_id, stages[1]).await.unwrap();
    let mut after = before.clone();
    after.stage_id = to.id;
    after.version += 1;
    after.updated_at = app.clock.now();
    after.stage_entered_at = app.clock.now();
    let change = Change::DealUpdated {
        before: Box::new(before.clone()),
        after: Box::new(after.clone()),
        moved: Some(Box::new((from, to))),
        depth: 0,
    };
    let outbox = events::outbox_for(&app.state, &actor, change);
    let event_id = outbox.events[0].id;
    assert_eq!(
        outbox.jobs.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(),
        vec!["event_webhooks", "event_rules", "event_notices"],
        "a move with no new owner needs no push"
    );
    app.state.store.update_deal(&after, before.version, &[], &[], &outbox).await.unwrap();

    // Before the grace ends the worker leaves them alone (the writer runs them).
    app.jobs_drained().await;
    assert!(deliveries_of(&receiver, "deal.moved").is_empty());
    let pending = subscriber_jobs(&app, owner.workspace_id, event_id).await;
    assert_eq!(pending.len(), 3);
    assert!(pending.iter().all(|j| j.status == JobStatus::Pending), "{pending:?}");

    // After it, the worker runs each of them.
    app.clock.advance(chrono::Duration::seconds(6));
    eventually("the moved notice and the rule's message in the deal chat", || async {
        let msgs = chat_messages(&app, &owner, chat).await;
        let moved = msgs.iter().filter(|m| m["notice"]["type"] == "deal_moved").count();
        let rule = msgs.iter().filter(|m| m["body"] == "Правило сработало").count();
        moved == 1 && rule == 1
    })
    .await;
    eventually("the deal.moved delivery", || async { !deliveries_of(&receiver, "deal.moved").is_empty() })
        .await;
    let moved = deliveries_of(&receiver, "deal.moved");
    assert_eq!(distinct_ids(&moved), vec![event_id.to_string()], "the delivery carries the event's id");
    let done = subscriber_jobs(&app, owner.workspace_id, event_id).await;
    assert!(done.iter().all(|j| j.status == JobStatus::Done), "{done:?}");

    // Each subscriber heard it again (a node that died after the effect, before
    // marking its job done): nothing new happens.
    for job in &done {
        events::handle(&app.state, job).await.expect("a second run succeeds");
    }
    app.clock.advance(chrono::Duration::minutes(10));
    app.jobs_drained().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let msgs = chat_messages(&app, &owner, chat).await;
    assert_eq!(msgs.iter().filter(|m| m["notice"]["type"] == "deal_moved").count(), 1);
    assert_eq!(msgs.iter().filter(|m| m["body"] == "Правило сработало").count(), 1);
    assert_eq!(distinct_ids(&deliveries_of(&receiver, "deal.moved")), vec![event_id.to_string()]);
}

async fn a_writes_own_subscribers_are_done_when_it_answers(backend: Backend) {
    let Setup { app, owner, receiver, stages } = setup(backend).await;
    let r = app.post("/deals", tok(&owner), json!({"title": "Окна", "stage_id": stages[0]})).await;
    r.expect(201);
    let deal_id = id(&r.body["id"]);
    let chat = id(&r.body["chat_id"]);
    // The created notice is in the chat as the answer arrives.
    let msgs = chat_messages(&app, &owner, chat).await;
    assert_eq!(msgs.iter().filter(|m| m["notice"]["type"] == "deal_created").count(), 1, "{msgs:?}");

    let r = app
        .post(
            &format!("/deals/{deal_id}/move"),
            tok(&owner),
            json!({"version": r.body["version"], "stage_id": stages[1]}),
        )
        .await;
    r.expect(200);
    let msgs = chat_messages(&app, &owner, chat).await;
    assert_eq!(msgs.iter().filter(|m| m["notice"]["type"] == "deal_moved").count(), 1, "{msgs:?}");

    // A task on the deal, completed: its notices are there at once too.
    let t = app
        .post(
            "/tasks",
            tok(&owner),
            json!({"title": "Позвонить", "entity_kind": "deal", "entity_id": deal_id}),
        )
        .await;
    t.expect(201);
    let task_id = id(&t.body["id"]);
    app.post(&format!("/tasks/{task_id}/complete"), tok(&owner), json!({"version": t.body["version"]}))
        .await
        .expect(200);
    let msgs = chat_messages(&app, &owner, chat).await;
    let kinds: Vec<&str> = msgs.iter().filter_map(|m| m["notice"]["type"].as_str()).collect();
    assert!(kinds.contains(&"task_created") && kinds.contains(&"task_completed"), "{kinds:?}");

    // Every subscriber job of the workspace is done; none is left to the worker.
    let jobs = app.state.store.jobs_by_key_prefix(owner.workspace_id, "ev:").await.unwrap();
    assert!(jobs.len() >= 8, "{} jobs", jobs.len());
    assert!(jobs.iter().all(|j| j.status == JobStatus::Done), "{jobs:?}");
    for event in ["deal.created", "deal.moved", "task.created", "task.done"] {
        eventually(event, || async { deliveries_of(&receiver, event).len() == 1 }).await;
    }
}

/// A subscriber job that names no event, or an unknown kind, is given up at
/// once; one whose event is gone (workspace deleted) is done with nothing to do.
async fn bad_subscriber_jobs_fail_cleanly(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let now = app.clock.now();
    let bad = Job::new(
        owner.workspace_id,
        Subscriber::Notices.job_kind(),
        json!({"event_id": 7}),
        None,
        now,
        3,
        now,
    );
    assert!(matches!(
        events::handle(&app.state, &bad).await,
        Err(artel::automation::jobs::JobError::Fatal(_))
    ));
    let unknown = Job::new(owner.workspace_id, "event_nobody", json!({}), None, now, 3, now);
    assert!(matches!(
        events::handle(&app.state, &unknown).await,
        Err(artel::automation::jobs::JobError::Fatal(_))
    ));
    let gone = Job::new(
        owner.workspace_id,
        Subscriber::Webhooks.job_kind(),
        json!({"event_id": Uuid::now_v7()}),
        None,
        now,
        3,
        now,
    );
    events::handle(&app.state, &gone).await.expect("nothing to do");
}

on_every_backend!(
    a_change_whose_subscribers_never_ran_gets_them_from_the_worker_once,
    a_writes_own_subscribers_are_done_when_it_answers,
    bad_subscriber_jobs_fail_cleanly,
);
