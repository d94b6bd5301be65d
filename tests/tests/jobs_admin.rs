//! The dead letters and the queue's figures, on both backends: an admin sees the
//! workspace's failed jobs and runs one again; members, an admin just demoted,
//! and another workspace's admin cannot; bad input is refused; old finished
//! jobs and events are pruned, failed ones and rule-run keys kept.

use artel_core::automation::job::{Job, JobStatus};
use artel_core::Clock;
use artel_tests::{on_every_backend, Backend, Session, TestApp};
use serde_json::json;
use uuid::Uuid;

fn tok(s: &Session) -> Option<&str> {
    Some(s.access_token.as_str())
}

/// A job of `kind` that ran out of attempts.
async fn failed_job(app: &TestApp, ws: Uuid, kind: &str) -> Uuid {
    let now = app.clock.now();
    // Due later, so the worker does not take it before this claim does.
    let later = now + chrono::Duration::hours(1);
    let job = Job::new(ws, kind, json!({}), Some(format!("test:{}", Uuid::now_v7())), later, 1, now);
    assert!(app.state.store.enqueue_job(&job).await.unwrap());
    let node = Uuid::now_v7();
    let claimed =
        app.state.store.claim_jobs_by_id(&[job.id], node, now, now + chrono::Duration::seconds(60)).await;
    assert_eq!(claimed.unwrap().len(), 1);
    assert!(app.state.store.fail_job(job.id, node, "receiver said 410 Gone", now).await.unwrap());
    job.id
}

async fn an_admin_sees_dead_letters_and_runs_one_again(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    // An unknown kind: run again, it fails again at once (and says why).
    let id = failed_job(&app, owner.workspace_id, "no_such_kind").await;

    let stats = app.get("/jobs/stats", &owner.access_token).await;
    stats.expect(200);
    assert_eq!(stats.body["failed"], 1);
    let list = app.get("/jobs", &owner.access_token).await;
    list.expect(200);
    let items = list.body.as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.to_string());
    assert_eq!(items[0]["status"], "failed");
    assert_eq!(items[0]["last_error"], "receiver said 410 Gone");
    assert!(items[0].get("payload").is_none(), "payloads stay on the server");

    let r = app.post(&format!("/jobs/{id}/retry"), tok(&owner), json!({})).await;
    r.expect(200);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["max_attempts"], 2, "one more attempt");
    // Not failed any more: a second retry is a conflict.
    app.post(&format!("/jobs/{id}/retry"), tok(&owner), json!({})).await.expect_error(409, "job_not_failed");
    let pending = app.get("/jobs?status=pending", &owner.access_token).await;
    pending.expect(200);
    assert!(pending.body.as_array().unwrap().iter().any(|j| j["id"] == id.to_string()));

    // The worker runs it; an unknown kind fails for good again, with its reason.
    app.jobs_drained().await;
    let job = app.state.store.get_job(id).await.unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job.last_error.unwrap_or_default().contains("unknown job kind"));
}

async fn only_admins_of_the_workspace_see_jobs(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let id = failed_job(&app, owner.workspace_id, "no_such_kind").await;
    let member = app.invite_user(&owner, "member", "m@acme.test").await;
    let admin = app.invite_user(&owner, "admin", "a@acme.test").await;
    app.get("/jobs", &member.access_token).await.expect_error(403, "forbidden");
    app.get("/jobs/stats", &member.access_token).await.expect_error(403, "forbidden");
    app.post(&format!("/jobs/{id}/retry"), tok(&member), json!({})).await.expect_error(403, "forbidden");
    app.get("/jobs", &admin.access_token).await.expect(200);
    // Demoted: refused with the token they still hold.
    app.call("PATCH", &format!("/users/{}", admin.user_id), tok(&owner), Some(json!({"role": "member"})))
        .await
        .expect(200);
    app.get("/jobs", &admin.access_token).await.expect_error(403, "forbidden");
    app.post(&format!("/jobs/{id}/retry"), tok(&admin), json!({})).await.expect_error(403, "forbidden");

    // Another workspace's admin neither sees nor retries it.
    let other = app.create_workspace("Other", "other", "boss@other.test").await;
    let list = app.get("/jobs", &other.access_token).await;
    list.expect(200);
    assert!(list.body.as_array().unwrap().is_empty());
    assert_eq!(app.get("/jobs/stats", &other.access_token).await.body["failed"], 0);
    app.post(&format!("/jobs/{id}/retry"), tok(&other), json!({})).await.expect_error(404, "not_found");
    assert_eq!(app.state.store.get_job(id).await.unwrap().status, JobStatus::Failed);
}

async fn bad_job_queries_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    app.get("/jobs?status=done", &owner.access_token).await.expect_error(422, "invalid_input");
    app.get("/jobs?limit=0", &owner.access_token).await.expect_error(422, "invalid_input");
    app.get("/jobs?limit=abc", &owner.access_token).await.expect(400);
    app.get("/jobs?colour=red", &owner.access_token).await.expect(400);
    app.post("/jobs/not-an-id/retry", tok(&owner), json!({})).await.expect(400);
    app.post(&format!("/jobs/{}/retry", Uuid::now_v7()), tok(&owner), json!({}))
        .await
        .expect_error(404, "not_found");
}

async fn old_finished_jobs_are_pruned_and_dead_letters_kept(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.setup_owner().await;
    let now = app.clock.now();
    let node = Uuid::now_v7();
    let mut done = Vec::new();
    for kind in ["event_notices", "webhook_delivery", "rule_run"] {
        let due = now + chrono::Duration::hours(1);
        let job = Job::new(owner.workspace_id, kind, json!({}), Some(format!("k:{kind}")), due, 3, now);
        app.state.store.enqueue_job(&job).await.unwrap();
        app.state
            .store
            .claim_jobs_by_id(&[job.id], node, now, now + chrono::Duration::seconds(9))
            .await
            .unwrap();
        app.state.store.finish_job(job.id, node, now).await.unwrap();
        done.push(job.id);
    }
    let failed = failed_job(&app, owner.workspace_id, "event_notices").await;
    let later = now + chrono::Duration::days(8);
    let gone = app.state.store.prune_jobs(&["event_notices", "webhook_delivery"], later).await.unwrap();
    assert!(gone >= 2, "{gone}");
    assert!(app.state.store.get_job(done[0]).await.is_err());
    assert!(app.state.store.get_job(done[1]).await.is_err());
    assert!(app.state.store.get_job(done[2]).await.is_ok(), "rule-run keys are kept");
    assert!(app.state.store.get_job(failed).await.is_ok(), "dead letters are kept");
    // Recent ones stay.
    assert_eq!(
        app.state.store.prune_jobs(&["event_notices"], now - chrono::Duration::days(7)).await.unwrap(),
        0
    );
}

on_every_backend!(
    an_admin_sees_dead_letters_and_runs_one_again,
    only_admins_of_the_workspace_see_jobs,
    bad_job_queries_are_refused,
    old_finished_jobs_are_pruned_and_dead_letters_kept,
);
