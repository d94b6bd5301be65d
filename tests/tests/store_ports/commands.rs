//! `CommandStore`: slash-command runs claimed by the issuer's idempotency key,
//! their outcomes replayed to retries, and `/undo`'s view of the last run.

use artel_core::chat::Chat;
use artel_core::ports::commands::CommandRun;
use artel_core::user::User;
use artel_core::StoreError;
use artel_tests::{on_every_backend, Backend};
use futures_util::future::join_all;
use serde_json::json;
use uuid::Uuid;

use crate::support::{add_user, assert_err, at, channel, open, seeded};

fn run(by: &User, chat: &Chat, key: Option<&str>, created: i64) -> CommandRun {
    CommandRun {
        id: Uuid::now_v7(),
        workspace_id: by.workspace_id,
        user_id: by.id,
        chat_id: chat.id,
        client_msg_id: key.map(Into::into),
        command: "task".into(),
        line: "task Позвонить клиенту @ann завтра".into(),
        outcome: None,
        undo: None,
        created_at: at(created),
        finished_at: None,
        undone_at: None,
    }
}

async fn runs_are_claimed_once_per_key(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;
    let general = channel(&store, &a, &owner, "general", &[&ann]).await;
    let elsewhere = channel(&store, &b, &stranger, "elsewhere", &[]).await;

    let first = run(&owner, &general, Some("k1"), 0);
    assert_eq!(store.claim_command(&first).await.unwrap(), None, "new: the caller runs it");
    assert_eq!(store.get_command(a.id, first.id).await.unwrap(), first, "round trip is exact");
    // A retry with the key gets the first run (still under way here).
    let retry = run(&owner, &general, Some("k1"), 5);
    assert_eq!(store.claim_command(&retry).await.unwrap(), Some(first.clone()));
    assert_err(store.get_command(a.id, retry.id).await, StoreError::NotFound("command"));
    // Keys are per issuer and per workspace; runs without a key never clash.
    assert_eq!(store.claim_command(&run(&ann, &general, Some("k1"), 0)).await.unwrap(), None);
    assert_eq!(store.claim_command(&run(&stranger, &elsewhere, Some("k1"), 0)).await.unwrap(), None);
    let (loose1, loose2) = (run(&owner, &general, None, 0), run(&owner, &general, None, 0));
    assert_eq!(store.claim_command(&loose1).await.unwrap(), None);
    assert_eq!(store.claim_command(&loose2).await.unwrap(), None);
    assert_err(store.claim_command(&loose1).await, StoreError::Conflict("command run"));
    assert_err(store.get_command(b.id, first.id).await, StoreError::NotFound("command"));
    assert_err(store.get_command(a.id, Uuid::now_v7()).await, StoreError::NotFound("command"));

    // Finished: the outcome is what a retry replays from then on.
    let outcome = json!({"type": "task_created", "title": "Позвонить клиенту", "n": 1.5});
    let undo = json!({"type": "delete_task", "task_id": Uuid::now_v7()});
    store.finish_command(a.id, first.id, &outcome, Some(&undo), at(1)).await.unwrap();
    let finished = CommandRun {
        outcome: Some(outcome.clone()),
        undo: Some(undo.clone()),
        finished_at: Some(at(1)),
        ..first.clone()
    };
    assert_eq!(
        store.claim_command(&run(&owner, &general, Some("k1"), 9)).await.unwrap(),
        Some(finished.clone())
    );
    // Another workspace changes nothing.
    store.finish_command(b.id, first.id, &json!({"hijacked": true}), None, at(2)).await.unwrap();
    store.drop_command(b.id, first.id).await.unwrap();
    assert_eq!(store.get_command(a.id, first.id).await.unwrap(), finished);

    // Dropped (failed without changing anything): the key is free again.
    let failing = run(&owner, &general, Some("k2"), 10);
    store.claim_command(&failing).await.unwrap();
    store.drop_command(a.id, failing.id).await.unwrap();
    store.drop_command(a.id, failing.id).await.unwrap();
    assert_err(store.get_command(a.id, failing.id).await, StoreError::NotFound("command"));
    let again = run(&owner, &general, Some("k2"), 11);
    assert_eq!(store.claim_command(&again).await.unwrap(), None);

    // Many retries at once: one runs, the rest get that run.
    let racers = join_all((0..8).map(|i| {
        let store = store.clone();
        let r = run(&ann, &general, Some("burst"), i);
        tokio::spawn(async move { store.claim_command(&r).await })
    }))
    .await;
    let results: Vec<Option<CommandRun>> = racers.into_iter().map(|r| r.unwrap().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_none()).count(), 1, "{results:?}");
    let winners: std::collections::HashSet<Uuid> = results.iter().flatten().map(|r| r.id).collect();
    assert_eq!(winners.len(), 1, "every retry sees the same run");
}

async fn undo_finds_the_last_undoable_run(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, _) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;
    let general = channel(&store, &a, &owner, "general", &[&ann]).await;
    let undo = json!({"type": "delete_task"});
    let done = |r: &CommandRun, undo: Option<&serde_json::Value>| {
        let store = store.clone();
        let (ws, id) = (r.workspace_id, r.id);
        let undo = undo.cloned();
        async move { store.finish_command(ws, id, &json!({"ok": true}), undo.as_ref(), at(50)).await.unwrap() }
    };

    assert_eq!(store.last_undoable_command(a.id, owner.id, at(0)).await.unwrap(), None);
    let old = run(&owner, &general, Some("old"), 0);
    let undoable = run(&owner, &general, Some("undoable"), 10);
    let no_undo = run(&owner, &general, Some("no-undo"), 20);
    let unfinished = run(&owner, &general, Some("unfinished"), 30);
    let anns = run(&ann, &general, Some("anns"), 40);
    for r in [&old, &undoable, &no_undo, &unfinished, &anns] {
        store.claim_command(r).await.unwrap();
    }
    done(&old, Some(&undo)).await;
    done(&undoable, Some(&undo)).await;
    done(&no_undo, None).await;
    done(&anns, Some(&undo)).await;

    // The issuer's latest finished run with an undo record, created since the cut.
    let last = store.last_undoable_command(a.id, owner.id, at(0)).await.unwrap().unwrap();
    assert_eq!(last.id, undoable.id);
    assert_eq!(last.undo, Some(undo.clone()));
    assert_eq!(
        store.last_undoable_command(a.id, owner.id, at(10)).await.unwrap().map(|r| r.id),
        Some(undoable.id),
        "at the cut counts"
    );
    assert_eq!(store.last_undoable_command(a.id, owner.id, at(11)).await.unwrap(), None);
    assert_eq!(store.last_undoable_command(a.id, ann.id, at(0)).await.unwrap().map(|r| r.id), Some(anns.id));
    assert_eq!(store.last_undoable_command(b.id, owner.id, at(0)).await.unwrap(), None);

    // Marked undone once (a concurrent second undo loses); then the one before is next.
    assert!(
        !store.mark_command_undone(b.id, undoable.id, at(60)).await.unwrap(),
        "not through another workspace"
    );
    assert!(store.mark_command_undone(a.id, undoable.id, at(60)).await.unwrap());
    assert!(!store.mark_command_undone(a.id, undoable.id, at(61)).await.unwrap());
    assert_eq!(store.get_command(a.id, undoable.id).await.unwrap().undone_at, Some(at(60)));
    assert_eq!(store.last_undoable_command(a.id, owner.id, at(0)).await.unwrap().map(|r| r.id), Some(old.id));
    // The revert failed: the mark comes off and the run is undoable again.
    store.unmark_command_undone(b.id, undoable.id).await.unwrap();
    assert_eq!(
        store.get_command(a.id, undoable.id).await.unwrap().undone_at,
        Some(at(60)),
        "not through another workspace"
    );
    store.unmark_command_undone(a.id, undoable.id).await.unwrap();
    assert_eq!(store.get_command(a.id, undoable.id).await.unwrap().undone_at, None);
    assert_eq!(
        store.last_undoable_command(a.id, owner.id, at(0)).await.unwrap().map(|r| r.id),
        Some(undoable.id)
    );
    let ws = a.id;
    let racers = join_all((0..6).map(|_| {
        let store = store.clone();
        let id = undoable.id;
        tokio::spawn(async move { store.mark_command_undone(ws, id, at(70)).await.unwrap() })
    }))
    .await;
    assert_eq!(racers.into_iter().filter(|r| *r.as_ref().unwrap()).count(), 1, "one undo wins");
}

on_every_backend!(runs_are_claimed_once_per_key, undo_finds_the_last_undoable_run);
