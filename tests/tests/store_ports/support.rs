//! Fixtures the stories share: fresh stores, a fixed clock, users, boards,
//! deals, chats and messages.

#![allow(dead_code)]

use std::sync::Arc;

use artel_core::chat::{Chat, ChatKind, ChatMember, MemberRole};
use artel_core::crm::deal::Deal;
use artel_core::crm::pipeline::{Pipeline, Stage, StageKind};
use artel_core::domain_event::Outbox;
use artel_core::message::{Message, MessageKind, NewMessage};
use artel_core::user::{Language, Role, User};
use artel_core::workspace::Workspace;
use artel_core::{Store, StoreError};
use artel_tests::{Backend, Database};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Map;
use uuid::Uuid;

pub async fn open(backend: Backend) -> (Arc<dyn Store>, Database) {
    let db = Database::create(backend).await;
    let store = artel_store::connect(&db.store_config()).await.expect("connect");
    (store, db)
}

/// A second store on the same database: another node of a cluster.
pub async fn second_node(db: &Database) -> Arc<dyn Store> {
    artel_store::connect(&db.store_config()).await.expect("connect second node")
}

pub fn t0() -> DateTime<Utc> {
    // Microsecond precision: both engines must give back exactly what they got.
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::microseconds(123_456)
}

/// `t0` plus `n` seconds.
pub fn at(n: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(n)
}

pub fn user(ws: &Workspace, email: &str, role: Role) -> User {
    User {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        email: email.into(),
        name: format!("Name of {email}"),
        role,
        time_zone: "Europe/Moscow".into(),
        language: Language::Ru,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: t0(),
        updated_at: t0(),
        deactivated_at: None,
        bot: false,
    }
}

/// A workspace with its owner, stored.
pub async fn seeded(store: &Arc<dyn Store>, slug: &str) -> (Workspace, User) {
    let ws = Workspace::new(&format!("WS {slug}"), Some(slug), t0()).expect("workspace");
    let owner = user(&ws, &format!("owner@{slug}.test"), Role::Owner);
    store.create_workspace(&ws, &owner, false).await.expect("create workspace");
    (ws, owner)
}

/// A further member of the workspace, stored.
pub async fn add_user(store: &Arc<dyn Store>, ws: &Workspace, name: &str) -> User {
    let u = user(ws, &format!("{name}@{}.test", ws.slug), Role::Member);
    store.create_user(&u).await.expect("create user");
    u
}

/// A stored pipeline with stages "New", "Talks" (open), "Won", "Lost".
pub async fn board(store: &Arc<dyn Store>, ws: &Workspace, name: &str) -> (Pipeline, Vec<Stage>) {
    let p = Pipeline {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        name: name.into(),
        position: 0,
        created_at: t0(),
        updated_at: t0(),
        archived_at: None,
    };
    let stage = |name: &str, kind, position| Stage {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        pipeline_id: p.id,
        name: name.into(),
        color: "#1e90ff".into(),
        kind,
        position,
        created_at: t0(),
        updated_at: t0(),
    };
    let stages = vec![
        stage("New", StageKind::Open, 0),
        stage("Talks", StageKind::Open, 1),
        stage("Won", StageKind::Won, 2),
        stage("Lost", StageKind::Lost, 3),
    ];
    store.create_pipeline(&p, &stages).await.expect("create pipeline");
    (p, stages)
}

pub fn deal_value(stage: &Stage, owner: &User, title: &str) -> Deal {
    Deal {
        id: Uuid::now_v7(),
        workspace_id: stage.workspace_id,
        title: title.into(),
        amount_minor: 15_000_000,
        currency: "RUB".into(),
        pipeline_id: stage.pipeline_id,
        stage_id: stage.id,
        position: 0,
        owner_id: owner.id,
        participants: Vec::new(),
        contact_id: None,
        company_id: None,
        expected_close_date: None,
        loss_reason: None,
        tags: Vec::new(),
        custom: Map::new(),
        chat_id: None,
        version: 1,
        created_by: owner.id,
        created_at: t0(),
        updated_at: t0(),
        stage_entered_at: t0(),
        closed_at: None,
        archived_at: None,
    }
}

/// Stores a deal as given.
pub async fn put_deal(store: &Arc<dyn Store>, deal: Deal) -> Deal {
    store.create_deal(&deal, &[], &[], &Outbox::default()).await.expect("create deal");
    deal
}

/// Archives a stored deal.
pub async fn archive_deal(store: &Arc<dyn Store>, deal: &Deal, when: DateTime<Utc>) -> Deal {
    let archived =
        Deal { archived_at: Some(when), updated_at: when, version: deal.version + 1, ..deal.clone() };
    store.update_deal(&archived, deal.version, &[], &[], &Outbox::default()).await.expect("archive deal");
    archived
}

/// A public channel owned by `by` with `others` as members, stored.
pub async fn channel(
    store: &Arc<dyn Store>,
    ws: &Workspace,
    by: &User,
    name: &str,
    others: &[&User],
) -> Chat {
    let chat = Chat {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        kind: ChatKind::Channel,
        name: Some(name.into()),
        description: String::new(),
        is_private: false,
        direct_key: None,
        entity: None,
        created_by: by.id,
        created_at: t0(),
        updated_at: t0(),
        archived_at: None,
        last_seq: 0,
        last_activity_at: t0(),
    };
    let member = |u: &User, role| ChatMember {
        chat_id: chat.id,
        user_id: u.id,
        role,
        joined_at: t0(),
        last_read_seq: 0,
    };
    let mut members = vec![member(by, MemberRole::Owner)];
    members.extend(others.iter().map(|u| member(u, MemberRole::Member)));
    store.create_chat(&chat, &members).await.expect("create chat");
    store.get_chat(ws.id, chat.id).await.expect("get chat")
}

pub fn msg(chat: &Chat, author: Option<&User>, body: &str) -> NewMessage {
    NewMessage {
        id: Uuid::now_v7(),
        workspace_id: chat.workspace_id,
        chat_id: chat.id,
        author_id: author.map(|u| u.id),
        kind: if author.is_some() { MessageKind::User } else { MessageKind::System },
        body: body.into(),
        thread_root_id: None,
        client_msg_id: None,
        mentions: Vec::new(),
        mentions_all: false,
        created_at: t0(),
        attachment_ids: Vec::new(),
        author_must_be_member: false,
        notice: None,
    }
}

/// Appends one new message; returns it.
pub async fn send(store: &Arc<dyn Store>, m: NewMessage) -> Message {
    let mut out = store.append_messages(&[m]).await.expect("append");
    out.remove(0).message
}

/// Asserts the exact error (variant and its names).
#[track_caller]
pub fn assert_err<T: std::fmt::Debug>(r: Result<T, StoreError>, expected: StoreError) {
    let err = r.expect_err("an error");
    assert_eq!(format!("{err:?}"), format!("{expected:?}"));
}

/// Sorted copy, for comparing sets of ids.
pub fn sorted<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    let mut v = items.to_vec();
    v.sort();
    v
}

/// An open task by `creator` with nothing else set.
pub fn task_value(creator: &User, title: &str) -> artel_core::crm::task::Task {
    use artel_core::crm::task::{Task, TaskKind, TaskPriority, TaskStatus};
    Task {
        id: Uuid::now_v7(),
        workspace_id: creator.workspace_id,
        title: title.into(),
        description: String::new(),
        creator_id: creator.id,
        assignees: Vec::new(),
        due_at: None,
        due_has_time: true,
        priority: TaskPriority::Normal,
        status: TaskStatus::Open,
        kind: TaskKind::Other,
        entity: None,
        parent_id: None,
        recurrence: None,
        recurrence_day: None,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
        completed_at: None,
    }
}

/// Stores a task as given, with no reminders, history or board changes.
pub async fn put_task(
    store: &Arc<dyn Store>,
    task: artel_core::crm::task::Task,
) -> artel_core::crm::task::Task {
    store.create_task(&task, &[], &[], &[], &Outbox::default()).await.expect("create task");
    task
}
