//! `JobStore`: enqueue with dedupe keys, claims under leases, and the outcomes
//! only the lease owner may record. Two nodes racing for the same queue claim
//! every job exactly once.

use std::collections::HashMap;
use std::sync::Arc;

use artel_core::automation::job::{Job, JobStatus};
use artel_core::{Store, StoreError};
use artel_tests::{on_every_backend, Backend};
use serde_json::json;
use uuid::Uuid;

use crate::support::{assert_err, at, open, second_node, seeded, t0};

fn job(ws: Uuid, key: Option<&str>, run_at: i64) -> Job {
    Job::new(
        ws,
        "webhook_delivery",
        json!({"n": run_at, "text": "привет"}),
        key.map(Into::into),
        at(run_at),
        3,
        t0(),
    )
}

async fn enqueue_and_dedupe(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, _) = seeded(&store, "alpha").await;
    let (b, _) = seeded(&store, "beta").await;

    let first = job(a.id, Some("wh:1:e1"), 0);
    assert!(store.enqueue_job(&first).await.unwrap());
    assert_eq!(store.get_job(first.id).await.unwrap(), first, "round trip is exact");

    // The same key again does nothing, whatever the rest says, and from any workspace
    // (keys carry the ids of what they are about).
    let again = Job { payload: json!({"other": true}), ..job(a.id, Some("wh:1:e1"), 5) };
    assert!(!store.enqueue_job(&again).await.unwrap());
    assert!(!store.enqueue_job(&job(b.id, Some("wh:1:e1"), 0)).await.unwrap());
    assert_err(store.get_job(again.id).await, StoreError::NotFound("job"));
    assert_eq!(store.get_job(first.id).await.unwrap(), first, "the first stays as it was");

    // Jobs without a key never clash.
    let (k1, k2) = (job(a.id, None, 0), job(a.id, None, 0));
    assert!(store.enqueue_job(&k1).await.unwrap());
    assert!(store.enqueue_job(&k2).await.unwrap());
    assert_eq!(store.get_job(k2.id).await.unwrap().dedupe_key, None);
    assert_err(store.get_job(Uuid::now_v7()).await, StoreError::NotFound("job"));

    // By key prefix: the workspace's only, oldest first, the prefix taken literally
    // (no LIKE wildcards), case and characters exactly.
    let mut later = job(a.id, Some("wh:2:e1"), 0);
    later.created_at = at(10);
    later.updated_at = at(10);
    let wildcard = job(a.id, Some("w%:x"), 0);
    let cyrillic = job(a.id, Some("сделка:1"), 0);
    let other_ws = job(b.id, Some("wh:3:e1"), 0);
    for j in [&later, &wildcard, &cyrillic, &other_ws] {
        assert!(store.enqueue_job(j).await.unwrap());
    }
    let ids = |jobs: Vec<Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    assert_eq!(ids(store.jobs_by_key_prefix(a.id, "wh:").await.unwrap()), vec![first.id, later.id]);
    assert_eq!(ids(store.jobs_by_key_prefix(a.id, "wh:2").await.unwrap()), vec![later.id]);
    assert_eq!(ids(store.jobs_by_key_prefix(a.id, "w%").await.unwrap()), vec![wildcard.id]);
    assert_eq!(ids(store.jobs_by_key_prefix(a.id, "WH:").await.unwrap()), Vec::<Uuid>::new());
    assert_eq!(ids(store.jobs_by_key_prefix(a.id, "сделка").await.unwrap()), vec![cyrillic.id]);
    assert_eq!(ids(store.jobs_by_key_prefix(b.id, "wh:").await.unwrap()), vec![other_ws.id]);
    assert_eq!(ids(store.jobs_by_key_prefix(a.id, "nothing").await.unwrap()), Vec::<Uuid>::new());
    // The empty prefix: every keyed job of the workspace (none without a key).
    assert_eq!(store.jobs_by_key_prefix(a.id, "").await.unwrap().len(), 4);
}

async fn claims_leases_and_outcomes(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, _) = seeded(&store, "acme").await;
    let (node, other) = (Uuid::now_v7(), Uuid::now_v7());

    let early = job(ws.id, Some("k:early"), 0);
    let due = job(ws.id, Some("k:due"), 10);
    let future = job(ws.id, Some("k:future"), 100);
    for j in [&future, &due, &early] {
        store.enqueue_job(j).await.unwrap();
    }

    // Nothing is due before its time; a zero limit claims nothing.
    assert!(store.claim_jobs(node, at(-1), at(29), 10).await.unwrap().is_empty());
    assert!(store.claim_jobs(node, at(10), at(40), 0).await.unwrap().is_empty());
    assert_eq!(store.get_job(early.id).await.unwrap().attempts, 0, "an empty claim counts nothing");

    // Due ones (run_at <= now) by run_at, up to the limit, attempt counted.
    let claimed = store.claim_jobs(node, at(10), at(40), 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0],
        Job { attempts: 1, updated_at: at(10), ..early.clone() },
        "the claim returns the job as it now is"
    );
    let claimed = store.claim_jobs(node, at(10), at(40), 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![due.id],
        "a leased job is not claimed again"
    );

    // A lease holds until its end, inclusive, for everyone.
    assert!(store.claim_jobs(other, at(40), at(70), 10).await.unwrap().is_empty());

    // Outcomes: only by the lease owner, only once.
    assert!(!store.finish_job(early.id, other, at(11)).await.unwrap());
    assert!(!store.retry_job(early.id, other, at(50), "no", at(11)).await.unwrap());
    assert!(!store.fail_job(early.id, other, "no", at(11)).await.unwrap());
    assert!(store.finish_job(early.id, node, at(12)).await.unwrap());
    let done = store.get_job(early.id).await.unwrap();
    assert_eq!((done.status, done.attempts, done.updated_at), (JobStatus::Done, 1, at(12)));
    assert!(!store.finish_job(early.id, node, at(13)).await.unwrap(), "done is done");
    assert!(!store.retry_job(early.id, node, at(50), "late", at(13)).await.unwrap());
    assert!(!store.fail_job(early.id, node, "late", at(13)).await.unwrap());
    assert_eq!(store.get_job(early.id).await.unwrap(), done);

    // Retry: released with the error kept, due again at its new time, attempt counted
    // again when claimed. Errors are cut to 500 characters (not bytes).
    let long = "ошибка ".repeat(100);
    assert!(store.retry_job(due.id, node, at(60), &long, at(14)).await.unwrap());
    let retried = store.get_job(due.id).await.unwrap();
    assert_eq!(retried.status, JobStatus::Pending);
    assert_eq!(retried.run_at, at(60));
    assert_eq!(retried.last_error.as_deref(), Some(long.chars().take(500).collect::<String>().as_str()));
    assert!(!store.finish_job(due.id, node, at(15)).await.unwrap(), "the retry gave the lease up");
    assert!(store.claim_jobs(other, at(59), at(90), 10).await.unwrap().is_empty());
    let claimed = store.claim_jobs(other, at(60), at(90), 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(), vec![(due.id, 2)]);

    // Fail: given up for good, never claimed again.
    assert!(store.fail_job(due.id, other, "gone", at(61)).await.unwrap());
    let failed = store.get_job(due.id).await.unwrap();
    assert_eq!((failed.status, failed.last_error.as_deref()), (JobStatus::Failed, Some("gone")));

    // A lease that ran out: another node takes the job over and the first loses it.
    let claimed = store.claim_jobs(node, at(100), at(130), 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![future.id]);
    let taken = store.claim_jobs(other, at(131), at(160), 10).await.unwrap();
    assert_eq!(taken.iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(), vec![(future.id, 2)]);
    assert!(!store.finish_job(future.id, node, at(132)).await.unwrap(), "the old owner lost it");
    assert!(!store.fail_job(future.id, node, "x", at(132)).await.unwrap());
    assert!(store.finish_job(future.id, other, at(133)).await.unwrap());

    // A lease that ran out with nobody taking over: the owner may still finish.
    let late = job(ws.id, Some("k:late"), 200);
    store.enqueue_job(&late).await.unwrap();
    assert_eq!(store.claim_jobs(node, at(200), at(230), 10).await.unwrap().len(), 1);
    assert!(store.finish_job(late.id, node, at(300)).await.unwrap());
    assert!(store.claim_jobs(other, at(1000), at(1030), 10).await.unwrap().is_empty(), "nothing left");
}

async fn two_nodes_claim_each_job_once(backend: Backend) {
    let (store, db) = open(backend).await;
    let peer = second_node(&db).await;
    let (ws, _) = seeded(&store, "acme").await;
    const JOBS: usize = 120;
    for i in 0..JOBS {
        store.enqueue_job(&job(ws.id, Some(&format!("race:{i}")), 0)).await.unwrap();
    }

    // Four workers per node, each claiming small batches until the queue is dry.
    async fn drain(nodes: [(Arc<dyn Store>, Uuid); 2], now: i64) -> Vec<(Uuid, Uuid, i64)> {
        let mut tasks = Vec::new();
        for w in 0..8 {
            let (store, owner) = nodes[w % 2].clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let batch = store.claim_jobs(owner, at(now), at(now + 30), 7).await.unwrap();
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch.into_iter().map(|j| (j.id, owner, j.attempts)));
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
    let claims = drain([(store.clone(), n1), (peer.clone(), n2)], 0).await;
    let mut per_job: HashMap<Uuid, usize> = HashMap::new();
    for (id, _, attempts) in &claims {
        *per_job.entry(*id).or_default() += 1;
        assert_eq!(*attempts, 1);
    }
    assert_eq!(per_job.len(), JOBS, "every job was claimed");
    assert!(per_job.values().all(|n| *n == 1), "no job was claimed twice");

    // Nobody finishes: once the leases run out, both nodes race again and each
    // job goes to exactly one of them; only that one may record its outcome.
    let reclaims = drain([(store.clone(), n1), (peer.clone(), n2)], 31).await;
    let owners: HashMap<Uuid, Uuid> = reclaims.iter().map(|(id, owner, _)| (*id, *owner)).collect();
    assert_eq!(reclaims.len(), JOBS, "every job was claimed once more: {}", reclaims.len());
    assert_eq!(owners.len(), JOBS);
    assert!(reclaims.iter().all(|(_, _, attempts)| *attempts == 2));
    for (i, (id, owner)) in owners.iter().enumerate() {
        let (mine, theirs) = if *owner == n1 { (&store, &peer) } else { (&peer, &store) };
        let stranger = if *owner == n1 { n2 } else { n1 };
        assert!(!theirs.finish_job(*id, stranger, at(40)).await.unwrap());
        let ok = match i % 3 {
            0 => mine.finish_job(*id, *owner, at(40)).await.unwrap(),
            1 => mine.retry_job(*id, *owner, at(1000), "later", at(40)).await.unwrap(),
            _ => mine.fail_job(*id, *owner, "never", at(40)).await.unwrap(),
        };
        assert!(ok);
    }
    let statuses: Vec<JobStatus> =
        store.jobs_by_key_prefix(ws.id, "race:").await.unwrap().into_iter().map(|j| j.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == JobStatus::Done).count(), JOBS / 3);
    assert_eq!(statuses.iter().filter(|s| **s == JobStatus::Pending).count(), JOBS / 3);
    assert_eq!(statuses.iter().filter(|s| **s == JobStatus::Failed).count(), JOBS / 3);
}

on_every_backend!(enqueue_and_dedupe, claims_leases_and_outcomes, two_nodes_claim_each_job_once);
