//! `TaskStore`: tasks with their assignees, reminders, history and board events
//! written together; optimistic versions; the task list's filters; reminders
//! that fire once across nodes.

use std::sync::Arc;

use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::HistoryEntry;
use artel_core::crm::task::{Recurrence, Task, TaskKind, TaskPriority, TaskReminder, TaskStatus};
use artel_core::domain_event::Outbox;
use artel_core::event::{BoardAppend, BoardChange};
use artel_core::ports::tasks::{DealTasks, TaskFilter, TaskScope};
use artel_core::user::User;
use artel_core::{Store, StoreError};
use artel_tests::{on_every_backend, Backend};
use futures_util::future::join_all;
use serde_json::json;
use uuid::Uuid;

use crate::support::{
    add_user, assert_err, at, board, deal_value, open, put_deal, put_task, second_node, seeded, task_value,
};

fn reminder(t: &Task, u: &User, when: i64) -> TaskReminder {
    TaskReminder {
        id: Uuid::now_v7(),
        task_id: t.id,
        workspace_id: t.workspace_id,
        user_id: u.id,
        remind_at: at(when),
        fired_at: None,
    }
}

fn history(t: &Task, by: &User, when: i64, field: &str) -> HistoryEntry {
    HistoryEntry {
        id: Uuid::now_v7(),
        workspace_id: t.workspace_id,
        entity: EntityRef { kind: EntityKind::Task, id: t.id },
        actor_id: Some(by.id),
        at: at(when),
        field: field.into(),
        old: json!(null),
        new: json!("новое"),
    }
}

fn ids(tasks: &[Task]) -> Vec<Uuid> {
    tasks.iter().map(|t| t.id).collect()
}

async fn list(store: &Arc<dyn Store>, ws: Uuid, filter: TaskFilter) -> Vec<Uuid> {
    ids(&store
        .list_tasks(ws, &TaskFilter { limit: if filter.limit == 0 { 100 } else { filter.limit }, ..filter })
        .await
        .unwrap())
}

async fn tasks_round_trip_refs_and_versions(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;
    let bob = add_user(&store, &a, "bob").await;
    let (p, stages) = board(&store, &a, "Sales").await;
    let deal = put_deal(&store, deal_value(&stages[0], &owner, "Поставка")).await;
    let (_, their_stages) = board(&store, &b, "Theirs").await;
    let their_deal = put_deal(&store, deal_value(&their_stages[0], &stranger, "theirs")).await;

    // Everything at once: the row, reminders, history and the deal card's event.
    let task = Task {
        description: "Обсудить условия\nи сроки".into(),
        assignees: vec![ann.id, bob.id, ann.id],
        due_at: Some(at(3600)),
        priority: TaskPriority::High,
        status: TaskStatus::InProgress,
        kind: TaskKind::Call,
        entity: Some(EntityRef { kind: EntityKind::Deal, id: deal.id }),
        recurrence: Some(Recurrence::Monthly),
        recurrence_day: Some(31),
        ..task_value(&owner, "Позвонить")
    };
    let reminders = [reminder(&task, &bob, 3000), reminder(&task, &ann, 1800)];
    let created = history(&task, &owner, 0, "created");
    let card = BoardAppend {
        pipeline_id: p.id,
        change: BoardChange::DealUpserted { deal: Box::new(deal.clone()), tasks: None, clients: None },
    };
    let events = store
        .create_task(
            &task,
            &reminders,
            std::slice::from_ref(&created),
            std::slice::from_ref(&card),
            &Outbox::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| (e.pipeline_id, e.seq, e.change.clone())).collect::<Vec<_>>(),
        vec![(p.id, 1, card.change.clone())]
    );
    assert_eq!(store.get_task(a.id, task.id).await.unwrap(), task, "round trip is exact");
    assert_eq!(
        store.task_reminders(a.id, task.id).await.unwrap(),
        vec![reminders[1].clone(), reminders[0].clone()]
    );
    let task_ref = EntityRef { kind: EntityKind::Task, id: task.id };
    assert_eq!(store.list_history(a.id, task_ref, None, 50).await.unwrap(), vec![created.clone()]);
    // Duplicated assignees are one assignment.
    assert_eq!(
        list(&store, a.id, TaskFilter { assignee: Some(ann.id), ..TaskFilter::default() }).await,
        vec![task.id]
    );

    // Refused, with nothing written: the same id, people or parent or record of
    // another workspace.
    assert_err(
        store.create_task(&task, &[], &[], std::slice::from_ref(&card), &Outbox::default()).await,
        StoreError::Conflict("task"),
    );
    assert_eq!(store.board_last_seq(a.id, p.id).await.unwrap(), 1);
    let stray = |t: Task| {
        let store = store.clone();
        async move { store.create_task(&t, &[], &[], &[], &Outbox::default()).await }
    };
    assert_err(
        stray(Task { assignees: vec![stranger.id], ..task_value(&owner, "x") }).await,
        StoreError::NotFound("user"),
    );
    assert_err(
        stray(Task { creator_id: stranger.id, ..task_value(&owner, "x") }).await,
        StoreError::NotFound("user"),
    );
    let their_task = put_task(&store, task_value(&stranger, "theirs")).await;
    assert_err(
        stray(Task { parent_id: Some(their_task.id), ..task_value(&owner, "x") }).await,
        StoreError::NotFound("parent task"),
    );
    assert_err(
        stray(Task { parent_id: Some(Uuid::now_v7()), ..task_value(&owner, "x") }).await,
        StoreError::NotFound("parent task"),
    );
    assert_err(
        stray(Task {
            entity: Some(EntityRef { kind: EntityKind::Deal, id: their_deal.id }),
            ..task_value(&owner, "x")
        })
        .await,
        StoreError::NotFound("deal"),
    );
    let lonely = task_value(&owner, "reminder for a stranger");
    assert_err(
        store.create_task(&lonely, &[reminder(&lonely, &stranger, 5)], &[], &[], &Outbox::default()).await,
        StoreError::NotFound("user"),
    );
    assert_err(store.get_task(a.id, lonely.id).await, StoreError::NotFound("task"));
    assert_err(store.get_task(b.id, task.id).await, StoreError::NotFound("task"));

    // Updates: from the version read only; reminders replaced when given (fired
    // ones stay), kept when not.
    assert!(store.mark_reminder_fired(reminders[1].id, at(1800)).await.unwrap());
    let v2 = Task {
        title: "Перезвонить".into(),
        assignees: vec![bob.id],
        version: 2,
        updated_at: at(10),
        ..task.clone()
    };
    assert_err(
        store.update_task(&v2, 7, None, &[], &[], &Outbox::default()).await,
        StoreError::Conflict("task version"),
    );
    assert_err(
        store
            .update_task(&Task { workspace_id: b.id, ..v2.clone() }, 1, None, &[], &[], &Outbox::default())
            .await,
        StoreError::NotFound("task"),
    );
    assert_err(
        store
            .update_task(&Task { id: Uuid::now_v7(), ..v2.clone() }, 1, None, &[], &[], &Outbox::default())
            .await,
        StoreError::NotFound("task"),
    );
    assert_err(
        store
            .update_task(
                &Task { assignees: vec![stranger.id], ..v2.clone() },
                1,
                None,
                &[],
                &[],
                &Outbox::default(),
            )
            .await,
        StoreError::NotFound("user"),
    );
    assert_eq!(store.get_task(a.id, task.id).await.unwrap(), task, "nothing changed");
    let retitled = history(&task, &owner, 10, "title");
    let events = store
        .update_task(
            &v2,
            1,
            None,
            std::slice::from_ref(&retitled),
            std::slice::from_ref(&card),
            &Outbox::default(),
        )
        .await
        .unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2]);
    assert_eq!(store.get_task(a.id, task.id).await.unwrap(), v2);
    assert_eq!(store.task_reminders(a.id, task.id).await.unwrap().len(), 2, "kept");
    assert_eq!(
        list(&store, a.id, TaskFilter { assignee: Some(ann.id), ..TaskFilter::default() }).await,
        Vec::<Uuid>::new()
    );
    assert_eq!(
        list(&store, a.id, TaskFilter { assignee: Some(bob.id), ..TaskFilter::default() }).await,
        vec![task.id]
    );
    assert_eq!(store.list_history(a.id, task_ref, None, 50).await.unwrap(), vec![retitled, created]);
    let v3 = Task { version: 3, updated_at: at(20), ..v2.clone() };
    let fresh = reminder(&task, &owner, 7200);
    store
        .update_task(&v3, 2, Some(std::slice::from_ref(&fresh)), &[], &[], &Outbox::default())
        .await
        .unwrap();
    let fired = TaskReminder { fired_at: Some(at(1800)), ..reminders[1].clone() };
    assert_eq!(store.task_reminders(a.id, task.id).await.unwrap(), vec![fired, fresh]);
    assert!(store.task_reminders(b.id, task.id).await.unwrap().is_empty());
    assert_err(
        store.update_task(&Task { version: 4, ..v3.clone() }, 2, None, &[], &[], &Outbox::default()).await,
        StoreError::Conflict("task version"),
    );

    // Moved to a record of another workspace: refused. Kept on a record deleted
    // meanwhile (deleting a deal keeps its tasks): still editable.
    let v4 = Task { version: 4, updated_at: at(30), ..v3.clone() };
    let moved = Task { entity: Some(EntityRef { kind: EntityKind::Deal, id: their_deal.id }), ..v4.clone() };
    assert_err(
        store.update_task(&moved, 3, None, &[], &[], &Outbox::default()).await,
        StoreError::NotFound("deal"),
    );
    store.delete_deal(a.id, deal.id, &[], at(25)).await.unwrap();
    store.update_task(&v4, 3, None, &[], &[], &Outbox::default()).await.unwrap();
    assert_eq!(store.get_task(a.id, task.id).await.unwrap(), v4);
}

async fn task_lists_filter_and_page(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;
    let bob = add_user(&store, &a, "bob").await;
    let (_, stages) = board(&store, &a, "Sales").await;
    let bobs_deal = put_deal(
        &store,
        artel_core::crm::deal::Deal { participants: vec![ann.id], ..deal_value(&stages[0], &bob, "bob's") },
    )
    .await;
    let owners_deal = put_deal(&store, deal_value(&stages[0], &owner, "owner's")).await;
    let on = |d: &artel_core::crm::deal::Deal| Some(EntityRef { kind: EntityKind::Deal, id: d.id });

    // Due first by moment (undated last), then by id.
    let t_late = put_task(
        &store,
        Task { due_at: Some(at(300)), assignees: vec![ann.id], ..task_value(&owner, "late") },
    )
    .await;
    let t_soon =
        put_task(&store, Task { due_at: Some(at(100)), assignees: vec![bob.id], ..task_value(&ann, "soon") })
            .await;
    let t_undated = put_task(&store, Task { status: TaskStatus::Done, ..task_value(&bob, "undated") }).await;
    let t_deal = put_task(
        &store,
        Task { due_at: Some(at(200)), entity: on(&bobs_deal), ..task_value(&bob, "bob's deal") },
    )
    .await;
    let t_other_deal = put_task(
        &store,
        Task {
            due_at: Some(at(200)),
            entity: on(&owners_deal),
            status: TaskStatus::Cancelled,
            ..task_value(&owner, "owner's deal")
        },
    )
    .await;
    let t_sub = put_task(&store, Task { parent_id: Some(t_late.id), ..task_value(&owner, "subtask") }).await;
    put_task(&store, Task { due_at: Some(at(0)), ..task_value(&stranger, "theirs") }).await;
    let (first_200, second_200) =
        if t_deal.id < t_other_deal.id { (t_deal.id, t_other_deal.id) } else { (t_other_deal.id, t_deal.id) };
    let everything = vec![t_soon.id, first_200, second_200, t_late.id, t_undated.id, t_sub.id];
    assert_eq!(list(&store, a.id, TaskFilter::default()).await, everything);
    assert_eq!(list(&store, b.id, TaskFilter::default()).await.len(), 1);

    // Pages.
    assert_eq!(list(&store, a.id, TaskFilter { limit: 2, ..TaskFilter::default() }).await, everything[..2]);
    assert_eq!(
        list(&store, a.id, TaskFilter { limit: 2, offset: 4, ..TaskFilter::default() }).await,
        everything[4..]
    );
    assert_eq!(
        list(&store, a.id, TaskFilter { limit: 2, offset: 6, ..TaskFilter::default() }).await,
        Vec::<Uuid>::new()
    );

    // Each filter on its own.
    let f = TaskFilter::default;
    assert_eq!(list(&store, a.id, TaskFilter { assignee: Some(ann.id), ..f() }).await, vec![t_late.id]);
    assert_eq!(
        list(&store, a.id, TaskFilter { creator: Some(bob.id), ..f() }).await,
        sort2(t_deal.id, t_undated.id, &everything)
    );
    assert_eq!(list(&store, a.id, TaskFilter { entity: on(&bobs_deal), ..f() }).await, vec![t_deal.id]);
    assert_eq!(
        list(
            &store,
            a.id,
            TaskFilter { entity: Some(EntityRef { kind: EntityKind::Contact, id: bobs_deal.id }), ..f() }
        )
        .await,
        Vec::<Uuid>::new()
    );
    assert_eq!(list(&store, a.id, TaskFilter { parent: Some(t_late.id), ..f() }).await, vec![t_sub.id]);
    assert_eq!(
        list(&store, a.id, TaskFilter { deals: vec![bobs_deal.id, owners_deal.id], ..f() }).await,
        vec![first_200, second_200]
    );
    assert_eq!(
        list(&store, a.id, TaskFilter { statuses: vec![TaskStatus::Done, TaskStatus::Cancelled], ..f() })
            .await,
        vec![t_other_deal.id, t_undated.id]
    );
    assert_eq!(
        list(&store, a.id, TaskFilter { due_from: Some(at(200)), ..f() }).await,
        vec![first_200, second_200, t_late.id]
    );
    assert_eq!(
        list(&store, a.id, TaskFilter { due_to: Some(at(200)), ..f() }).await,
        vec![t_soon.id],
        "due_to is exclusive"
    );
    assert_eq!(
        list(&store, a.id, TaskFilter { due_from: Some(at(100)), due_to: Some(at(300)), ..f() }).await,
        vec![t_soon.id, first_200, second_200]
    );
    // Combined, they all hold.
    assert_eq!(
        list(&store, a.id, TaskFilter { creator: Some(owner.id), statuses: vec![TaskStatus::Open], ..f() })
            .await,
        vec![t_late.id, t_sub.id]
    );

    // What a restricted viewer sees: assigned, created (when asked), and deal tasks per the rule.
    let scope = |user: &User, created: bool, deals: DealTasks| TaskFilter {
        scope: Some(TaskScope { user: user.id, created, deals }),
        ..f()
    };
    assert_eq!(list(&store, a.id, scope(&ann, false, DealTasks::None)).await, vec![t_late.id]);
    assert_eq!(list(&store, a.id, scope(&ann, true, DealTasks::None)).await, vec![t_soon.id, t_late.id]);
    assert_eq!(
        list(&store, a.id, scope(&ann, true, DealTasks::Involved)).await,
        vec![t_soon.id, t_deal.id, t_late.id],
        "ann takes part in bob's deal"
    );
    assert_eq!(
        list(&store, a.id, scope(&ann, false, DealTasks::All)).await,
        vec![first_200, second_200, t_late.id]
    );
    assert_eq!(list(&store, a.id, scope(&owner, false, DealTasks::Involved)).await, vec![t_other_deal.id]);
    assert_eq!(list(&store, b.id, scope(&ann, true, DealTasks::All)).await, Vec::<Uuid>::new());
}

/// The two ids in the order `everything` has them.
fn sort2(x: Uuid, y: Uuid, everything: &[Uuid]) -> Vec<Uuid> {
    everything.iter().copied().filter(|id| *id == x || *id == y).collect()
}

async fn reminders_fire_once(backend: Backend) {
    let (store, db) = open(backend).await;
    let peer = second_node(&db).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let mine = task_value(&owner, "mine");
    let theirs = task_value(&stranger, "theirs");
    let (r1, r2, r3) =
        (reminder(&mine, &owner, 10), reminder(&mine, &owner, 30), reminder(&mine, &owner, 90));
    let r4 = reminder(&theirs, &stranger, 20);
    store
        .create_task(&mine, &[r3.clone(), r1.clone(), r2.clone()], &[], &[], &Outbox::default())
        .await
        .unwrap();
    store.create_task(&theirs, std::slice::from_ref(&r4), &[], &[], &Outbox::default()).await.unwrap();

    // Due ones of every workspace, oldest first, limited; due at their moment.
    assert!(store.due_reminders(at(9), 10).await.unwrap().is_empty());
    assert_eq!(store.due_reminders(at(30), 10).await.unwrap(), vec![r1.clone(), r4.clone(), r2.clone()]);
    assert_eq!(store.due_reminders(at(30), 2).await.unwrap(), vec![r1.clone(), r4.clone()]);

    // Two nodes racing to fire each: exactly one wins each.
    let due = store.due_reminders(at(30), 10).await.unwrap();
    let mut tasks = Vec::new();
    for (i, r) in due.iter().enumerate() {
        for node in 0..4 {
            let s = if node % 2 == 0 { store.clone() } else { peer.clone() };
            let id = r.id;
            tasks.push(tokio::spawn(async move { (i, s.mark_reminder_fired(id, at(31)).await.unwrap()) }));
        }
    }
    let mut wins = [0usize; 3];
    for (i, won) in join_all(tasks).await.into_iter().map(|r| r.unwrap()) {
        wins[i] += usize::from(won);
    }
    assert_eq!(wins, [1, 1, 1]);
    assert!(!store.mark_reminder_fired(r1.id, at(32)).await.unwrap());
    assert!(!store.mark_reminder_fired(Uuid::now_v7(), at(32)).await.unwrap());
    assert_eq!(store.due_reminders(at(100), 10).await.unwrap(), vec![r3.clone()]);
    assert_eq!(
        store.task_reminders(a.id, mine.id).await.unwrap()[0],
        TaskReminder { fired_at: Some(at(31)), ..r1 }
    );
    assert_eq!(store.task_reminders(b.id, theirs.id).await.unwrap()[0].fired_at, Some(at(31)));
}

on_every_backend!(tasks_round_trip_refs_and_versions, task_lists_filter_and_page, reminders_fire_once);
