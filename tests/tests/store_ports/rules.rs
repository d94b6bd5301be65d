//! `RuleStore`: stage automation rules, and the two sweeps the time-based
//! triggers run (deals idle in a stage, overdue tasks of a stage's deals).

use artel_core::automation::rule::{Action, Assignee, StageRule, Trigger};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::task::TaskStatus;
use artel_core::user::User;
use artel_core::StoreError;
use artel_tests::{on_every_backend, Backend};
use uuid::Uuid;

use crate::support::{
    add_user, archive_deal, assert_err, at, board, deal_value, open, put_deal, put_task, seeded, task_value,
};

fn rule(stage: &artel_core::crm::pipeline::Stage, by: &User, trigger: Trigger, created: i64) -> StageRule {
    StageRule {
        id: Uuid::now_v7(),
        workspace_id: stage.workspace_id,
        pipeline_id: stage.pipeline_id,
        stage_id: stage.id,
        trigger,
        action: Action::CreateTask {
            title: "Позвонить по {deal}".into(),
            assignee: Assignee::DealOwner,
            due_in_hours: Some(4),
        },
        active: true,
        created_by: by.id,
        created_at: at(created),
        updated_at: at(created),
        secret: format!("whsec_{}", Uuid::now_v7().simple()),
    }
}

async fn rules_round_trip(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;
    let (_, stages) = board(&store, &a, "Sales").await;
    let (_, their_stages) = board(&store, &b, "Theirs").await;
    let (new, talks) = (&stages[0], &stages[1]);

    let entered = rule(new, &owner, Trigger::DealEnteredStage, 10);
    let idle = StageRule {
        action: Action::PostMessage { text: "{deal} застряла".into() },
        ..rule(new, &owner, Trigger::DealIdleInStage { days: 3 }, 5)
    };
    let moving = StageRule {
        action: Action::MoveToStage { stage_id: talks.id },
        ..rule(new, &ann, Trigger::DealTaskOverdue, 20)
    };
    let elsewhere = StageRule {
        action: Action::SetOwner { user_id: ann.id },
        ..rule(talks, &owner, Trigger::DealEnteredStage, 0)
    };
    let theirs = StageRule {
        action: Action::CallWebhook { url: "https://x.example".into() },
        ..rule(&their_stages[0], &stranger, Trigger::DealEnteredStage, 0)
    };
    for r in [&entered, &idle, &moving, &elsewhere, &theirs] {
        store.create_rule(r).await.unwrap();
    }
    assert!(store.create_rule(&entered).await.is_err(), "an id is stored once");

    assert_eq!(store.get_rule(a.id, idle.id).await.unwrap(), idle, "round trip is exact");
    assert_eq!(
        store.list_rules(a.id, new.id).await.unwrap(),
        vec![idle.clone(), entered.clone(), moving.clone()]
    );
    assert_eq!(store.list_rules(a.id, talks.id).await.unwrap(), vec![elsewhere.clone()]);
    assert!(store.list_rules(a.id, stages[2].id).await.unwrap().is_empty());
    assert!(store.list_rules(b.id, new.id).await.unwrap().is_empty());
    assert_err(store.get_rule(b.id, idle.id).await, StoreError::NotFound("rule"));
    assert_err(store.get_rule(a.id, Uuid::now_v7()).await, StoreError::NotFound("rule"));

    // Update: trigger, action, active flag, author and time; not its place or secret.
    let changed = StageRule {
        trigger: Trigger::DealIdleInStage { days: 7 },
        action: Action::CreateTask {
            title: "t".into(),
            assignee: Assignee::User { user_id: ann.id },
            due_in_hours: None,
        },
        active: false,
        created_by: ann.id,
        updated_at: at(30),
        stage_id: talks.id,
        secret: "ignored".into(),
        ..idle.clone()
    };
    store.update_rule(&changed).await.unwrap();
    let expected = StageRule { stage_id: idle.stage_id, secret: idle.secret.clone(), ..changed.clone() };
    assert_eq!(store.get_rule(a.id, idle.id).await.unwrap(), expected);
    assert_err(
        store.update_rule(&StageRule { workspace_id: b.id, ..idle.clone() }).await,
        StoreError::NotFound("rule"),
    );
    assert_err(
        store.update_rule(&rule(new, &owner, Trigger::DealEnteredStage, 0)).await,
        StoreError::NotFound("rule"),
    );
    assert_eq!(store.get_rule(a.id, idle.id).await.unwrap(), expected);

    // The sweeps' view: active rules of a trigger kind in every workspace, oldest first.
    let by_kind = |rules: Vec<StageRule>| rules.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let entered_rules = by_kind(store.active_rules_by_trigger("deal_entered_stage", 10).await.unwrap());
    assert_eq!(entered_rules.len(), 3);
    assert!(
        entered_rules.contains(&theirs.id)
            && entered_rules.contains(&elsewhere.id)
            && entered_rules.contains(&entered.id)
    );
    assert_eq!(*entered_rules.last().unwrap(), entered.id, "created last");
    assert_eq!(store.active_rules_by_trigger("deal_entered_stage", 1).await.unwrap().len(), 1);
    assert!(
        store.active_rules_by_trigger("deal_idle_in_stage", 10).await.unwrap().is_empty(),
        "the idle rule is off now"
    );
    store.update_rule(&StageRule { active: true, updated_at: at(31), ..expected.clone() }).await.unwrap();
    assert_eq!(
        by_kind(store.active_rules_by_trigger("deal_idle_in_stage", 10).await.unwrap()),
        vec![idle.id]
    );
    assert_eq!(
        by_kind(store.active_rules_by_trigger("deal_task_overdue", 10).await.unwrap()),
        vec![moving.id]
    );
    assert!(store.active_rules_by_trigger("no_such_trigger", 10).await.unwrap().is_empty());

    // Delete: in its workspace only.
    assert_err(store.delete_rule(b.id, entered.id).await, StoreError::NotFound("rule"));
    store.delete_rule(a.id, entered.id).await.unwrap();
    assert_err(store.delete_rule(a.id, entered.id).await, StoreError::NotFound("rule"));
    assert_err(store.get_rule(a.id, entered.id).await, StoreError::NotFound("rule"));
    assert_eq!(store.list_rules(a.id, new.id).await.unwrap().len(), 2);
}

async fn idle_deals_and_overdue_tasks(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let (_, stages) = board(&store, &a, "Sales").await;
    let (_, their_stages) = board(&store, &b, "Theirs").await;
    let (new, talks) = (&stages[0], &stages[1]);
    let entered_at =
        |d: artel_core::crm::deal::Deal, n: i64| artel_core::crm::deal::Deal { stage_entered_at: at(n), ..d };

    let oldest = put_deal(&store, entered_at(deal_value(new, &owner, "oldest"), -300)).await;
    let older = put_deal(&store, entered_at(deal_value(new, &owner, "older"), -200)).await;
    let fresh = put_deal(&store, entered_at(deal_value(new, &owner, "fresh"), 0)).await;
    let archived = put_deal(&store, entered_at(deal_value(new, &owner, "archived"), -400)).await;
    archive_deal(&store, &archived, at(1)).await;
    let other_stage = put_deal(&store, entered_at(deal_value(talks, &owner, "talks"), -500)).await;
    let theirs = put_deal(&store, entered_at(deal_value(&their_stages[0], &stranger, "theirs"), -500)).await;

    // Idle: entered at or before the cut, not archived, oldest first, limited.
    let idle = |v: Vec<(Uuid, chrono::DateTime<chrono::Utc>)>| v;
    assert_eq!(
        idle(store.deals_idle_in_stage(a.id, new.id, at(-100), 10).await.unwrap()),
        vec![(oldest.id, at(-300)), (older.id, at(-200))]
    );
    assert_eq!(
        store.deals_idle_in_stage(a.id, new.id, at(-200), 10).await.unwrap().len(),
        2,
        "at the cut counts"
    );
    assert_eq!(
        store.deals_idle_in_stage(a.id, new.id, at(-201), 10).await.unwrap(),
        vec![(oldest.id, at(-300))]
    );
    assert_eq!(
        store.deals_idle_in_stage(a.id, new.id, at(10), 1).await.unwrap(),
        vec![(oldest.id, at(-300))]
    );
    assert_eq!(store.deals_idle_in_stage(a.id, new.id, at(10), 10).await.unwrap().len(), 3);
    assert_eq!(
        store.deals_idle_in_stage(a.id, talks.id, at(10), 10).await.unwrap(),
        vec![(other_stage.id, at(-500))]
    );
    assert!(store.deals_idle_in_stage(b.id, new.id, at(10), 10).await.unwrap().is_empty());
    assert!(store.deals_idle_in_stage(a.id, their_stages[0].id, at(10), 10).await.unwrap().is_empty());
    assert_eq!(
        store.deals_idle_in_stage(b.id, their_stages[0].id, at(10), 10).await.unwrap(),
        vec![(theirs.id, at(-500))]
    );

    // Overdue: open or in-progress tasks of the stage's live deals past their due
    // moment (strictly), earliest due first.
    let deal_task =
        |deal: &artel_core::crm::deal::Deal, title: &str, due: Option<i64>, status: TaskStatus| {
            let creator = if deal.workspace_id == a.id { &owner } else { &stranger };
            artel_core::crm::task::Task {
                entity: Some(EntityRef { kind: EntityKind::Deal, id: deal.id }),
                due_at: due.map(at),
                status,
                ..task_value(creator, title)
            }
        };
    let late = put_task(&store, deal_task(&oldest, "late", Some(50), TaskStatus::Open)).await;
    let later = put_task(&store, deal_task(&fresh, "in progress", Some(70), TaskStatus::InProgress)).await;
    put_task(&store, deal_task(&older, "done", Some(10), TaskStatus::Done)).await;
    put_task(&store, deal_task(&older, "cancelled", Some(10), TaskStatus::Cancelled)).await;
    put_task(&store, deal_task(&older, "no due date", None, TaskStatus::Open)).await;
    put_task(&store, deal_task(&older, "not yet", Some(200), TaskStatus::Open)).await;
    put_task(&store, deal_task(&archived, "archived deal", Some(10), TaskStatus::Open)).await;
    let talks_task =
        put_task(&store, deal_task(&other_stage, "other stage", Some(10), TaskStatus::Open)).await;
    put_task(&store, deal_task(&theirs, "theirs", Some(10), TaskStatus::Open)).await;
    put_task(&store, artel_core::crm::task::Task { due_at: Some(at(10)), ..task_value(&owner, "no deal") })
        .await;

    assert_eq!(
        store.overdue_deal_tasks(a.id, new.id, at(100), 10).await.unwrap(),
        vec![(late.id, oldest.id, at(50)), (later.id, fresh.id, at(70))]
    );
    assert_eq!(
        store.overdue_deal_tasks(a.id, new.id, at(70), 10).await.unwrap(),
        vec![(late.id, oldest.id, at(50))],
        "due at now is not overdue yet"
    );
    assert_eq!(store.overdue_deal_tasks(a.id, new.id, at(100), 1).await.unwrap().len(), 1);
    assert_eq!(
        store.overdue_deal_tasks(a.id, talks.id, at(100), 10).await.unwrap(),
        vec![(talks_task.id, other_stage.id, at(10))]
    );
    assert!(store.overdue_deal_tasks(b.id, new.id, at(100), 10).await.unwrap().is_empty());
    assert!(store.overdue_deal_tasks(a.id, their_stages[0].id, at(100), 10).await.unwrap().is_empty());
    assert_eq!(store.overdue_deal_tasks(b.id, their_stages[0].id, at(100), 10).await.unwrap().len(), 1);
}

on_every_backend!(rules_round_trip, idle_deals_and_overdue_tasks);
