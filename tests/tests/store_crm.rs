//! The CRM storage contract: pipelines and stages, deals, contacts and companies,
//! change history and record chats, run against SQLite and Postgres. Whatever one
//! engine does, the other must do too; nothing of one workspace is visible or
//! changeable from another.

use std::sync::Arc;

use artel_core::chat::{Chat, ChatKind, ChatMember, MemberRole};
use artel_core::crm::client::{phones, Company, Contact};
use artel_core::crm::deal::Deal;
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::{HistoryCursor, HistoryEntry};
use artel_core::crm::pipeline::{Pipeline, Stage, StageKind};
use artel_core::domain_event::Outbox;
use artel_core::event::{BoardAppend, BoardChange};
use artel_core::ports::crm::{ClientFilter, ClientSort, DealFilter};
use artel_core::user::{Language, Role, User};
use artel_core::workspace::Workspace;
use artel_core::{Store, StoreError};
use artel_tests::{on_every_backend, Backend, Database};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{json, Map, Value};
use uuid::Uuid;

async fn open(backend: Backend) -> (Arc<dyn Store>, Database) {
    let db = Database::create(backend).await;
    let store = artel_store::connect(&db.store_config()).await.expect("connect");
    (store, db)
}

fn t0() -> DateTime<Utc> {
    // Microsecond precision: both engines must give back exactly what they got.
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::microseconds(123_456)
}

/// `t0` plus `n` seconds.
fn at(n: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(n)
}

fn user(ws: &Workspace, email: &str, role: Role) -> User {
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
async fn seeded(store: &Arc<dyn Store>, slug: &str) -> (Workspace, User) {
    let ws = Workspace::new(&format!("WS {slug}"), Some(slug), t0()).expect("workspace");
    let owner = user(&ws, &format!("owner@{slug}.test"), Role::Owner);
    store.create_workspace(&ws, &owner, false).await.expect("create workspace");
    (ws, owner)
}

/// A further member of the workspace, stored.
async fn add_user(store: &Arc<dyn Store>, ws: &Workspace, name: &str) -> User {
    let u = user(ws, &format!("{name}@{}.test", ws.slug), Role::Member);
    store.create_user(&u).await.expect("create user");
    u
}

fn pipeline_value(ws: &Workspace, name: &str, position: i64) -> Pipeline {
    Pipeline {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        name: name.into(),
        position,
        created_at: t0(),
        updated_at: t0(),
        archived_at: None,
    }
}

fn stage_value(p: &Pipeline, name: &str, kind: StageKind, position: i64) -> Stage {
    Stage {
        id: Uuid::now_v7(),
        workspace_id: p.workspace_id,
        pipeline_id: p.id,
        name: name.into(),
        color: "#1e90ff".into(),
        kind,
        position,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// A stored pipeline with stages "New", "Talks" (open), "Won", "Lost".
async fn board(store: &Arc<dyn Store>, ws: &Workspace, name: &str, position: i64) -> (Pipeline, Vec<Stage>) {
    let p = pipeline_value(ws, name, position);
    let stages = vec![
        stage_value(&p, "New", StageKind::Open, 0),
        stage_value(&p, "Talks", StageKind::Open, 1),
        stage_value(&p, "Won", StageKind::Won, 2),
        stage_value(&p, "Lost", StageKind::Lost, 3),
    ];
    store.create_pipeline(&p, &stages).await.expect("create pipeline");
    (p, stages)
}

fn deal_value(stage: &Stage, owner: &User, title: &str, position: i64) -> Deal {
    Deal {
        id: Uuid::now_v7(),
        workspace_id: stage.workspace_id,
        title: title.into(),
        amount_minor: 15_000_000,
        currency: "RUB".into(),
        pipeline_id: stage.pipeline_id,
        stage_id: stage.id,
        position,
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

async fn put_deal(store: &Arc<dyn Store>, deal: Deal) -> Deal {
    store.create_deal(&deal, &[], &[], &Outbox::default()).await.expect("create deal");
    deal
}

fn contact_value(ws: &Workspace, by: &User, name: &str, raw_phones: &[&str], emails: &[&str]) -> Contact {
    let raw: Vec<String> = raw_phones.iter().map(|p| p.to_string()).collect();
    Contact {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        name: name.into(),
        phones: phones(&raw, "RU").expect("phones"),
        emails: emails.iter().map(|e| e.to_string()).collect(),
        position: None,
        company_id: None,
        address: None,
        tags: Vec::new(),
        owner_id: None,
        source: None,
        notes: String::new(),
        custom: Map::new(),
        created_by: by.id,
        created_at: t0(),
        updated_at: t0(),
        archived_at: None,
    }
}

fn company_value(ws: &Workspace, by: &User, name: &str, raw_phones: &[&str], emails: &[&str]) -> Company {
    let raw: Vec<String> = raw_phones.iter().map(|p| p.to_string()).collect();
    Company {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        name: name.into(),
        phones: phones(&raw, "RU").expect("phones"),
        emails: emails.iter().map(|e| e.to_string()).collect(),
        website: None,
        address: None,
        tags: Vec::new(),
        owner_id: None,
        source: None,
        notes: String::new(),
        custom: Map::new(),
        created_by: by.id,
        created_at: t0(),
        updated_at: t0(),
        archived_at: None,
    }
}

fn entry(
    ws: &Workspace,
    entity: EntityRef,
    actor: Option<&User>,
    when: DateTime<Utc>,
    field: &str,
    old: Value,
    new: Value,
) -> HistoryEntry {
    HistoryEntry {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        entity,
        actor_id: actor.map(|u| u.id),
        at: when,
        field: field.into(),
        old,
        new,
    }
}

fn deal_ref(d: &Deal) -> EntityRef {
    EntityRef { kind: EntityKind::Deal, id: d.id }
}

fn e164(raw: &str) -> String {
    phones(&[raw.to_string()], "RU").expect("phone")[0].e164.clone()
}

fn all_deals() -> DealFilter {
    DealFilter { include_archived: true, ..DealFilter::default() }
}

fn titles(deals: &[Deal]) -> Vec<&str> {
    deals.iter().map(|d| d.title.as_str()).collect()
}

fn names<T: HasName>(items: &[T]) -> Vec<&str> {
    items.iter().map(HasName::name).collect()
}

trait HasName {
    fn name(&self) -> &str;
}
impl HasName for Contact {
    fn name(&self) -> &str {
        &self.name
    }
}
impl HasName for Company {
    fn name(&self) -> &str {
        &self.name
    }
}

#[track_caller]
fn assert_err<T: std::fmt::Debug>(r: Result<T, StoreError>, expected: StoreError) {
    let err = r.expect_err("an error");
    assert_eq!(format!("{err:?}"), format!("{expected:?}"));
}

async fn pipelines_and_stages(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;

    // Creation with stages; exact round trips; listing by position.
    let (sales, stages) = board(&store, &ws, "Sales", 1).await;
    let (hiring, _) = board(&store, &ws, "Hiring", 0).await;
    assert_eq!(store.get_pipeline(ws.id, sales.id).await.unwrap(), sales);
    assert_eq!(store.list_stages(ws.id, sales.id).await.unwrap(), stages);
    assert_eq!(store.get_stage(ws.id, stages[2].id).await.unwrap(), stages[2]);
    let listed = store.list_pipelines(ws.id, false).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.id).collect::<Vec<_>>(), vec![hiring.id, sales.id]);
    assert_err(store.create_pipeline(&sales, &[]).await, StoreError::Conflict("pipeline"));

    // Rename, archive, restore.
    let renamed = store.update_pipeline(ws.id, sales.id, Some("B2B sales"), None, at(1)).await.unwrap();
    assert_eq!((renamed.name.as_str(), renamed.archived_at, renamed.updated_at), ("B2B sales", None, at(1)));
    let archived = store.update_pipeline(ws.id, sales.id, None, Some(Some(at(2))), at(2)).await.unwrap();
    assert_eq!((archived.name.as_str(), archived.archived_at), ("B2B sales", Some(at(2))));
    assert_eq!(store.list_pipelines(ws.id, false).await.unwrap(), vec![hiring.clone()]);
    assert_eq!(store.list_pipelines(ws.id, true).await.unwrap().len(), 2);
    let restored = store.update_pipeline(ws.id, sales.id, None, Some(None), at(3)).await.unwrap();
    assert_eq!(restored.archived_at, None);
    assert_eq!(store.get_pipeline(ws.id, sales.id).await.unwrap(), restored);
    assert_err(
        store.update_pipeline(ws.id, Uuid::now_v7(), Some("x"), None, at(3)).await,
        StoreError::NotFound("pipeline"),
    );

    // A new stage at position 1 shifts the ones at or after it; past the end appends.
    let proposal = stage_value(&sales, "Proposal", StageKind::Open, 1);
    store.create_stage(&proposal).await.unwrap();
    let tail = stage_value(&sales, "Archive", StageKind::Lost, 99);
    store.create_stage(&tail).await.unwrap();
    let now = store.list_stages(ws.id, sales.id).await.unwrap();
    assert_eq!(
        now.iter().map(|s| (s.name.as_str(), s.position)).collect::<Vec<_>>(),
        vec![("New", 0), ("Proposal", 1), ("Talks", 2), ("Won", 3), ("Lost", 4), ("Archive", 5)]
    );
    assert_err(store.create_stage(&proposal).await, StoreError::Conflict("stage"));
    let orphan = Stage { pipeline_id: Uuid::now_v7(), id: Uuid::now_v7(), ..proposal.clone() };
    assert_err(store.create_stage(&orphan).await, StoreError::NotFound("pipeline"));

    // Update: rename, recolour, re-kind; untouched fields stay.
    let s = store.update_stage(ws.id, proposal.id, Some("Offer"), None, None, at(4)).await.unwrap();
    assert_eq!(
        (s.name.as_str(), s.color.as_str(), s.kind, s.updated_at),
        ("Offer", "#1e90ff", StageKind::Open, at(4))
    );
    let s = store
        .update_stage(ws.id, proposal.id, None, Some("#ff0000"), Some(StageKind::Won), at(5))
        .await
        .unwrap();
    assert_eq!(
        (s.name.as_str(), s.color.as_str(), s.kind, s.position),
        ("Offer", "#ff0000", StageKind::Won, 1)
    );
    assert_eq!(store.get_stage(ws.id, proposal.id).await.unwrap(), s);
    assert_err(
        store.update_stage(ws.id, Uuid::now_v7(), Some("x"), None, None, at(5)).await,
        StoreError::NotFound("stage"),
    );

    // Reorder: exactly the pipeline's stages, each once.
    let mut order: Vec<Uuid> = now.iter().map(|s| s.id).collect();
    order.reverse();
    let reordered = store.reorder_stages(ws.id, sales.id, &order, at(6)).await.unwrap();
    assert_eq!(reordered.iter().map(|s| s.id).collect::<Vec<_>>(), order);
    assert_eq!(reordered.iter().map(|s| s.position).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(store.list_stages(ws.id, sales.id).await.unwrap(), reordered);
    let missing = &order[1..];
    assert_err(
        store.reorder_stages(ws.id, sales.id, missing, at(7)).await,
        StoreError::Conflict("stage order"),
    );
    let mut twice = order.clone();
    twice[0] = twice[1];
    assert_err(
        store.reorder_stages(ws.id, sales.id, &twice, at(7)).await,
        StoreError::Conflict("stage order"),
    );
    let mut foreign = order.clone();
    foreign[0] = Uuid::now_v7();
    assert_err(
        store.reorder_stages(ws.id, sales.id, &foreign, at(7)).await,
        StoreError::Conflict("stage order"),
    );
    let mut extra = order.clone();
    extra.push(Uuid::now_v7());
    assert_err(
        store.reorder_stages(ws.id, sales.id, &extra, at(7)).await,
        StoreError::Conflict("stage order"),
    );
    assert_err(
        store.reorder_stages(ws.id, Uuid::now_v7(), &order, at(7)).await,
        StoreError::NotFound("pipeline"),
    );
    assert_eq!(
        store.list_stages(ws.id, sales.id).await.unwrap(),
        reordered,
        "failed reorders change nothing"
    );
    order.reverse();
    store.reorder_stages(ws.id, sales.id, &order, at(8)).await.unwrap();

    // Delete closes the gap; not while deals (archived too) are in it; never the last.
    store.delete_stage(ws.id, proposal.id).await.unwrap();
    let now = store.list_stages(ws.id, sales.id).await.unwrap();
    assert_eq!(
        now.iter().map(|s| (s.name.as_str(), s.position)).collect::<Vec<_>>(),
        vec![("New", 0), ("Talks", 1), ("Won", 2), ("Lost", 3), ("Archive", 4)]
    );
    assert_err(store.delete_stage(ws.id, proposal.id).await, StoreError::NotFound("stage"));
    assert_err(store.get_stage(ws.id, proposal.id).await, StoreError::NotFound("stage"));
    let d = Deal { archived_at: Some(at(9)), ..deal_value(&stages[1], &owner, "Parked", 0) };
    put_deal(&store, d.clone()).await;
    assert_err(store.delete_stage(ws.id, stages[1].id).await, StoreError::Conflict("stage has deals"));
    store.delete_deal(ws.id, d.id, &[], Utc::now()).await.unwrap();
    for s in &now[1..] {
        store.delete_stage(ws.id, s.id).await.unwrap();
    }
    let left = store.list_stages(ws.id, sales.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].position, 0);
    assert_err(store.delete_stage(ws.id, left[0].id).await, StoreError::Conflict("last stage"));

    assert_err(store.get_pipeline(ws.id, Uuid::now_v7()).await, StoreError::NotFound("pipeline"));
    assert_err(store.list_stages(ws.id, Uuid::now_v7()).await, StoreError::NotFound("pipeline"));
}

async fn deals_round_trip_and_versions(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (other_ws, other_owner) = seeded(&store, "other").await;
    let ann = add_user(&store, &ws, "ann").await;
    let bob = add_user(&store, &ws, "bob").await;
    let (p, stages) = board(&store, &ws, "Sales", 0).await;
    let (p2, stages2) = board(&store, &ws, "Partners", 1).await;
    let company = company_value(&ws, &owner, "Romashka LLC", &[], &[]);
    store.create_company(&company, &[]).await.unwrap();
    let contact = contact_value(&ws, &owner, "Ivan", &[], &[]);
    store.create_contact(&contact, &[]).await.unwrap();

    let mut custom = Map::new();
    custom.insert("budget".into(), json!(12.5));
    custom.insert("source".into(), json!({"utm": "ads", "ids": [1, 2]}));
    let deal = Deal {
        participants: vec![ann.id, bob.id],
        contact_id: Some(contact.id),
        company_id: Some(company.id),
        expected_close_date: NaiveDate::from_ymd_opt(2027, 2, 28),
        loss_reason: Some("n/a".into()),
        tags: vec!["vip".into(), "опт".into()],
        custom,
        ..deal_value(&stages[0], &owner, "Поставка бетона", 0)
    };
    let created =
        entry(&ws, deal_ref(&deal), Some(&owner), t0(), "created", Value::Null, json!({"title": deal.title}));
    store.create_deal(&deal, std::slice::from_ref(&created), &[], &Outbox::default()).await.unwrap();
    assert_eq!(store.get_deal(ws.id, deal.id).await.unwrap(), deal, "round trip is exact");
    assert_eq!(store.list_history(ws.id, deal_ref(&deal), None, 10).await.unwrap(), vec![created.clone()]);
    assert_err(store.create_deal(&deal, &[], &[], &Outbox::default()).await, StoreError::Conflict("deal"));

    // References must exist in the workspace; the stage must be the pipeline's.
    let bad = Deal { id: Uuid::now_v7(), stage_id: stages2[0].id, ..deal.clone() };
    assert_err(
        store.create_deal(&bad, &[], &[], &Outbox::default()).await,
        StoreError::Invalid { field: "stage_id", reason: "is not a stage of the deal's pipeline" },
    );
    let bad = Deal { id: Uuid::now_v7(), stage_id: Uuid::now_v7(), ..deal.clone() };
    assert_err(store.create_deal(&bad, &[], &[], &Outbox::default()).await, StoreError::NotFound("stage"));
    let bad = Deal { id: Uuid::now_v7(), participants: vec![other_owner.id], ..deal.clone() };
    assert_err(store.create_deal(&bad, &[], &[], &Outbox::default()).await, StoreError::NotFound("user"));
    let bad = Deal { id: Uuid::now_v7(), owner_id: other_owner.id, ..deal.clone() };
    assert_err(store.create_deal(&bad, &[], &[], &Outbox::default()).await, StoreError::NotFound("user"));
    let bad = Deal { id: Uuid::now_v7(), contact_id: Some(Uuid::now_v7()), ..deal.clone() };
    assert_err(store.create_deal(&bad, &[], &[], &Outbox::default()).await, StoreError::NotFound("contact"));
    let bad = Deal { id: Uuid::now_v7(), company_id: Some(Uuid::now_v7()), ..deal.clone() };
    assert_err(store.create_deal(&bad, &[], &[], &Outbox::default()).await, StoreError::NotFound("company"));
    let bad = Deal { id: Uuid::now_v7(), chat_id: Some(Uuid::now_v7()), ..deal.clone() };
    assert_err(store.create_deal(&bad, &[], &[], &Outbox::default()).await, StoreError::NotFound("chat"));
    let foreign_actor =
        entry(&ws, deal_ref(&deal), Some(&other_owner), t0(), "created", Value::Null, Value::Null);
    let bad = Deal { id: Uuid::now_v7(), ..deal.clone() };
    assert_err(
        store.create_deal(&bad, &[foreign_actor], &[], &Outbox::default()).await,
        StoreError::NotFound("user"),
    );
    assert_err(store.get_deal(ws.id, bad.id).await, StoreError::NotFound("deal"));
    assert_eq!(
        store.list_deals(ws.id, &all_deals()).await.unwrap().len(),
        1,
        "failed creations leave nothing"
    );
    assert_eq!(store.list_deals(other_ws.id, &all_deals()).await.unwrap().len(), 0);

    // Update with the expected version; stale and unknown writes are refused.
    let moved = Deal {
        title: "Поставка бетона М300".into(),
        pipeline_id: p2.id,
        stage_id: stages2[2].id,
        participants: vec![bob.id],
        tags: vec!["new".into()],
        contact_id: None,
        expected_close_date: None,
        closed_at: Some(at(10)),
        stage_entered_at: at(10),
        updated_at: at(10),
        version: 2,
        ..deal.clone()
    };
    let change = entry(
        &ws,
        deal_ref(&deal),
        Some(&ann),
        at(10),
        "stage_id",
        json!(stages[0].id),
        json!(stages2[2].id),
    );
    store.update_deal(&moved, 1, std::slice::from_ref(&change), &[], &Outbox::default()).await.unwrap();
    assert_eq!(store.get_deal(ws.id, deal.id).await.unwrap(), moved);
    assert_eq!(store.list_history(ws.id, deal_ref(&deal), None, 10).await.unwrap(), vec![change, created]);
    let stale = Deal { title: "Lost update".into(), version: 2, ..deal.clone() };
    assert_err(
        store.update_deal(&stale, 1, &[], &[], &Outbox::default()).await,
        StoreError::Conflict("deal version"),
    );
    let unknown = Deal { id: Uuid::now_v7(), version: 2, ..deal.clone() };
    assert_err(
        store.update_deal(&unknown, 1, &[], &[], &Outbox::default()).await,
        StoreError::NotFound("deal"),
    );
    let bad = Deal { version: 3, stage_id: stages[0].id, ..moved.clone() };
    assert_err(
        store.update_deal(&bad, 2, &[], &[], &Outbox::default()).await,
        StoreError::Invalid { field: "stage_id", reason: "is not a stage of the deal's pipeline" },
    );
    assert_eq!(store.get_deal(ws.id, deal.id).await.unwrap(), moved, "refused updates change nothing");

    // deal_people and deal_tags follow the row.
    let on = |u: &User| DealFilter { involving: Some(u.id), ..all_deals() };
    assert_eq!(store.list_deals(ws.id, &on(&ann)).await.unwrap().len(), 0, "ann left the deal");
    assert_eq!(store.list_deals(ws.id, &on(&bob)).await.unwrap().len(), 1);
    assert_eq!(store.list_deals(ws.id, &on(&owner)).await.unwrap().len(), 1, "the owner is on it");
    let tagged = |t: &str| DealFilter { tag: Some(t.into()), ..all_deals() };
    assert_eq!(store.list_deals(ws.id, &tagged("vip")).await.unwrap().len(), 0);
    assert_eq!(store.list_deals(ws.id, &tagged("NEW")).await.unwrap().len(), 1);

    // Concurrent updates from the same version: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..4 {
        let store = store.clone();
        let d = Deal { title: format!("Racer {i}"), version: 3, ..moved.clone() };
        tasks.push(tokio::spawn(async move { store.update_deal(&d, 2, &[], &[], &Outbox::default()).await }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StoreError::Conflict("deal version")) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(store.get_deal(ws.id, deal.id).await.unwrap().version, 3);

    // Delete removes the deal and its history.
    store.delete_deal(ws.id, deal.id, &[], Utc::now()).await.unwrap();
    assert_err(store.get_deal(ws.id, deal.id).await, StoreError::NotFound("deal"));
    assert!(store.list_history(ws.id, deal_ref(&deal), None, 10).await.unwrap().is_empty());
    assert_err(store.delete_deal(ws.id, deal.id, &[], Utc::now()).await, StoreError::NotFound("deal"));
    let _ = p;
}

async fn deal_lists_and_positions(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let ann = add_user(&store, &ws, "ann").await;
    let bob = add_user(&store, &ws, "bob").await;
    let (p, s) = board(&store, &ws, "Sales", 0).await;
    let (p2, s2) = board(&store, &ws, "Partners", 1).await;
    let contact = contact_value(&ws, &owner, "Ivan", &[], &[]);
    store.create_contact(&contact, &[]).await.unwrap();
    let company = company_value(&ws, &owner, "Romashka", &[], &[]);
    store.create_company(&company, &[]).await.unwrap();

    // Stage 1 ("Talks") holds two cards, stage 0 three, listed out of order.
    let d_talks_b = put_deal(&store, deal_value(&s[1], &ann, "Talks B", 20)).await;
    let d_new_c = put_deal(
        &store,
        Deal {
            tags: vec!["vip".into()],
            contact_id: Some(contact.id),
            ..deal_value(&s[0], &owner, "New C 100%", 30)
        },
    )
    .await;
    let d_new_a = put_deal(
        &store,
        Deal {
            participants: vec![bob.id],
            company_id: Some(company.id),
            ..deal_value(&s[0], &owner, "New A Договор", 10)
        },
    )
    .await;
    let d_talks_a = put_deal(&store, deal_value(&s[1], &bob, "Talks A", 10)).await;
    let d_new_b = put_deal(
        &store,
        Deal { tags: vec!["vip".into(), "x".into()], ..deal_value(&s[0], &ann, "New B", 20) },
    )
    .await;
    let d_archived =
        put_deal(&store, Deal { archived_at: Some(at(1)), ..deal_value(&s[0], &owner, "Old", 5) }).await;
    let d_partner = put_deal(&store, deal_value(&s2[2], &owner, "Partner deal", 0)).await;

    let list = |f: DealFilter| {
        let store = store.clone();
        let ws = ws.id;
        async move { store.list_deals(ws, &f).await.unwrap() }
    };
    // By stage position, then card position, then id; archived only when asked.
    assert_eq!(
        titles(&list(DealFilter { pipeline_id: Some(p.id), ..DealFilter::default() }).await),
        vec!["New A Договор", "New B", "New C 100%", "Talks A", "Talks B"]
    );
    assert_eq!(
        titles(
            &list(DealFilter { pipeline_id: Some(p.id), include_archived: true, ..DealFilter::default() })
                .await
        ),
        vec!["Old", "New A Договор", "New B", "New C 100%", "Talks A", "Talks B"]
    );
    assert_eq!(
        titles(&list(DealFilter { pipeline_id: Some(p2.id), ..DealFilter::default() }).await),
        vec!["Partner deal"]
    );
    assert_eq!(
        titles(&list(DealFilter { stage_id: Some(s[1].id), ..DealFilter::default() }).await),
        vec!["Talks A", "Talks B"]
    );
    assert_eq!(
        titles(&list(DealFilter { owner_id: Some(ann.id), ..DealFilter::default() }).await),
        vec!["New B", "Talks B"]
    );
    assert_eq!(
        titles(&list(DealFilter { involving: Some(bob.id), ..DealFilter::default() }).await),
        vec!["New A Договор", "Talks A"],
        "owned or taking part"
    );
    assert_eq!(
        titles(&list(DealFilter { tag: Some("VIP".into()), ..DealFilter::default() }).await),
        vec!["New B", "New C 100%"]
    );
    assert_eq!(
        titles(&list(DealFilter { text: Some("договор".into()), ..DealFilter::default() }).await),
        vec!["New A Договор"]
    );
    assert_eq!(
        titles(&list(DealFilter { text: Some("TALKS".into()), ..DealFilter::default() }).await),
        vec!["Talks A", "Talks B"]
    );
    assert_eq!(
        titles(&list(DealFilter { text: Some("0%".into()), ..DealFilter::default() }).await),
        vec!["New C 100%"],
        "wildcards are literal"
    );
    assert!(list(DealFilter { text: Some("_".into()), ..DealFilter::default() }).await.is_empty());
    assert_eq!(
        titles(&list(DealFilter { contact_id: Some(contact.id), ..DealFilter::default() }).await),
        vec!["New C 100%"]
    );
    assert_eq!(
        titles(&list(DealFilter { company_id: Some(company.id), ..DealFilter::default() }).await),
        vec!["New A Договор"]
    );
    assert_eq!(
        titles(
            &list(DealFilter {
                owner_id: Some(owner.id),
                tag: Some("vip".into()),
                pipeline_id: Some(p.id),
                ..DealFilter::default()
            })
            .await
        ),
        vec!["New C 100%"],
        "filters combine"
    );
    // Paging; limit <= 0 is no limit.
    let f = DealFilter { pipeline_id: Some(p.id), limit: 2, offset: 1, ..DealFilter::default() };
    assert_eq!(titles(&list(f).await), vec!["New B", "New C 100%"]);
    let f = DealFilter { pipeline_id: Some(p.id), limit: 0, offset: 3, ..DealFilter::default() };
    assert_eq!(titles(&list(f).await), vec!["Talks A", "Talks B"]);
    assert_eq!(list(DealFilter::default()).await.len(), 6);

    // Positions of the unarchived cards of a column; rewriting them keeps versions.
    assert_eq!(
        store.stage_positions(ws.id, s[0].id).await.unwrap(),
        vec![(d_new_a.id, 10), (d_new_b.id, 20), (d_new_c.id, 30)]
    );
    assert!(store.stage_positions(ws.id, s[3].id).await.unwrap().is_empty());
    assert_err(store.stage_positions(ws.id, Uuid::now_v7()).await, StoreError::NotFound("stage"));
    store.set_positions(ws.id, &[(d_new_c.id, 1), (d_new_a.id, 2), (d_new_b.id, 3)]).await.unwrap();
    assert_eq!(
        store.stage_positions(ws.id, s[0].id).await.unwrap(),
        vec![(d_new_c.id, 1), (d_new_a.id, 2), (d_new_b.id, 3)]
    );
    let c = store.get_deal(ws.id, d_new_c.id).await.unwrap();
    assert_eq!((c.version, c.updated_at), (1, t0()), "positions are not content");
    // One unknown deal and nothing is rewritten.
    assert_err(
        store.set_positions(ws.id, &[(d_new_c.id, 7), (Uuid::now_v7(), 8)]).await,
        StoreError::NotFound("deal"),
    );
    assert_eq!(store.stage_positions(ws.id, s[0].id).await.unwrap()[0], (d_new_c.id, 1));
    store.set_positions(ws.id, &[]).await.unwrap();
    let _ = (d_talks_a, d_talks_b, d_archived, d_partner);
}

async fn clients_round_trip_and_duplicates(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (other_ws, other_owner) = seeded(&store, "other").await;
    let ann = add_user(&store, &ws, "ann").await;

    let mut custom = Map::new();
    custom.insert("inn".into(), json!("7701234567"));
    let company = Company {
        website: Some("https://romashka.example".into()),
        address: Some("Moscow".into()),
        tags: vec!["opt".into()],
        owner_id: Some(ann.id),
        source: Some("site".into()),
        notes: "Big one".into(),
        custom: custom.clone(),
        ..company_value(&ws, &owner, "ООО Ромашка", &["+7 495 123-45-67"], &["info@romashka.example"])
    };
    store.create_company(&company, &[]).await.unwrap();
    assert_eq!(store.get_company(ws.id, company.id).await.unwrap(), company, "round trip is exact");
    assert_err(store.create_company(&company, &[]).await, StoreError::Conflict("company"));

    let contact = Contact {
        position: Some("CEO".into()),
        company_id: Some(company.id),
        address: Some("Tverskaya 1".into()),
        tags: vec!["vip".into()],
        owner_id: Some(ann.id),
        source: Some("form".into()),
        notes: "Call after 11".into(),
        custom,
        archived_at: Some(at(5)),
        ..contact_value(
            &ws,
            &owner,
            "Иван Петров",
            &["8 (916) 123-45-67", "+1 415 555 2671"],
            &["ivan@example.com"],
        )
    };
    let created = entry(
        &ws,
        EntityRef { kind: EntityKind::Contact, id: contact.id },
        Some(&owner),
        t0(),
        "created",
        Value::Null,
        json!("Иван Петров"),
    );
    store.create_contact(&contact, std::slice::from_ref(&created)).await.unwrap();
    assert_eq!(store.get_contact(ws.id, contact.id).await.unwrap(), contact, "round trip is exact");
    assert_eq!(contact.phones[0].e164, "+79161234567");

    // Duplicates: the same phone written another way, e-mail in another case;
    // archived ones too; never another workspace's.
    let dups = store.find_contact_duplicates(ws.id, &[e164("+7 916 123 45 67")], &[]).await.unwrap();
    assert_eq!(dups, vec![contact.clone()]);
    let dups = store.find_contact_duplicates(ws.id, &[], &["IVAN@example.com".into()]).await.unwrap();
    assert_eq!(names(&dups), vec!["Иван Петров"]);
    let dups = store.find_contact_duplicates(ws.id, &[e164("9161234500")], &["x@y.z".into()]).await.unwrap();
    assert!(dups.is_empty());
    assert!(store.find_contact_duplicates(ws.id, &[], &[]).await.unwrap().is_empty());
    assert!(store
        .find_contact_duplicates(other_ws.id, &[e164("89161234567")], &[])
        .await
        .unwrap()
        .is_empty());

    let dups = store.find_company_duplicates(ws.id, Some("  ооо РОМАШКА "), &[], &[]).await.unwrap();
    assert_eq!(dups, vec![company.clone()]);
    let dups = store.find_company_duplicates(ws.id, Some("Ромашка"), &[], &[]).await.unwrap();
    assert!(dups.is_empty(), "the name must match exactly");
    let dups = store.find_company_duplicates(ws.id, None, &[e164("8 495 1234567")], &[]).await.unwrap();
    assert_eq!(names(&dups), vec!["ООО Ромашка"]);
    let dups = store
        .find_company_duplicates(ws.id, Some("Other"), &[], &["Info@Romashka.example".into()])
        .await
        .unwrap();
    assert_eq!(names(&dups), vec!["ООО Ромашка"]);
    assert!(store.find_company_duplicates(ws.id, None, &[], &[]).await.unwrap().is_empty());
    assert!(store
        .find_company_duplicates(other_ws.id, Some("ООО Ромашка"), &[], &[])
        .await
        .unwrap()
        .is_empty());

    // Updates replace the row and its keys, and write history.
    let changed = Contact {
        name: "Иван Сидоров".into(),
        phones: phones(&["+7 903 000 11 22".into()], "RU").unwrap(),
        emails: vec!["sidorov@example.com".into()],
        tags: vec!["lead".into()],
        company_id: None,
        archived_at: None,
        updated_at: at(6),
        ..contact.clone()
    };
    let change = entry(
        &ws,
        EntityRef { kind: EntityKind::Contact, id: contact.id },
        Some(&ann),
        at(6),
        "name",
        json!("Иван Петров"),
        json!("Иван Сидоров"),
    );
    store.update_contact(&changed, std::slice::from_ref(&change)).await.unwrap();
    assert_eq!(store.get_contact(ws.id, contact.id).await.unwrap(), changed);
    assert!(store
        .find_contact_duplicates(ws.id, &[e164("89161234567")], &["ivan@example.com".into()])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.find_contact_duplicates(ws.id, &[e164("89030001122")], &[]).await.unwrap().len(), 1);
    let contact_ref = EntityRef { kind: EntityKind::Contact, id: contact.id };
    assert_eq!(store.list_history(ws.id, contact_ref, None, 0).await.unwrap(), vec![change, created]);

    let renamed =
        Company { name: "АО Ромашка".into(), phones: vec![], updated_at: at(7), ..company.clone() };
    store.update_company(&renamed, &[]).await.unwrap();
    assert_eq!(store.get_company(ws.id, company.id).await.unwrap(), renamed);
    assert!(store
        .find_company_duplicates(ws.id, Some("ооо ромашка"), &[e164("84951234567")], &[])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.find_company_duplicates(ws.id, Some("ао ромашка"), &[], &[]).await.unwrap().len(), 1);

    // References must be the workspace's; unknown records are NotFound.
    let bad = Contact { id: Uuid::now_v7(), company_id: Some(Uuid::now_v7()), ..contact.clone() };
    assert_err(store.create_contact(&bad, &[]).await, StoreError::NotFound("company"));
    let bad = Contact { id: Uuid::now_v7(), owner_id: Some(other_owner.id), ..contact.clone() };
    assert_err(store.create_contact(&bad, &[]).await, StoreError::NotFound("user"));
    let bad = Company { id: Uuid::now_v7(), created_by: other_owner.id, ..company.clone() };
    assert_err(store.create_company(&bad, &[]).await, StoreError::NotFound("user"));
    assert_err(
        store.update_contact(&Contact { id: Uuid::now_v7(), ..contact.clone() }, &[]).await,
        StoreError::NotFound("contact"),
    );
    assert_err(
        store.update_company(&Company { id: Uuid::now_v7(), ..company.clone() }, &[]).await,
        StoreError::NotFound("company"),
    );
    assert_err(store.get_contact(ws.id, Uuid::now_v7()).await, StoreError::NotFound("contact"));
    assert_err(store.get_company(ws.id, Uuid::now_v7()).await, StoreError::NotFound("company"));
}

async fn client_lists(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let ann = add_user(&store, &ws, "ann").await;
    let acme = company_value(&ws, &owner, "Acme", &[], &[]);
    store.create_company(&acme, &[]).await.unwrap();

    let people = [
        // name, phones, emails, tags, owner, created (s), updated (s), archived, company
        (
            "Борис",
            vec!["+7 916 111 22 33"],
            vec!["boris@mail.ru"],
            vec!["vip"],
            Some(&ann),
            10,
            50,
            false,
            true,
        ),
        ("анна", vec![], vec!["anna@corp.example"], vec![], None, 20, 40, false, false),
        ("Вера 50%", vec!["8 903 555 66 77"], vec![], vec!["vip", "opt"], Some(&owner), 30, 30, false, true),
        ("Dmitry", vec![], vec!["d@example.com"], vec!["opt"], Some(&ann), 40, 20, false, false),
        ("Ёжик", vec![], vec![], vec![], None, 50, 10, true, false),
    ];
    let mut ids = Vec::new();
    for (name, ph, em, tags, own, created, updated, archived, in_acme) in people {
        let c = Contact {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            owner_id: own.map(|u| u.id),
            created_at: at(created),
            updated_at: at(updated),
            archived_at: archived.then(|| at(60)),
            company_id: in_acme.then_some(acme.id),
            ..contact_value(&ws, &owner, name, &ph, &em)
        };
        store.create_contact(&c, &[]).await.unwrap();
        ids.push(c.id);
    }
    let list = |f: ClientFilter| {
        let store = store.clone();
        let ws = ws.id;
        async move {
            let (items, total) = store.list_contacts(ws, &f).await.unwrap();
            (items.into_iter().map(|c| c.name).collect::<Vec<_>>(), total)
        }
    };
    let f = ClientFilter::default;
    let v = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();

    // Sorting (names are compared lower-cased, byte order on both engines).
    assert_eq!(list(f()).await, (v(&["Dmitry", "анна", "Борис", "Вера 50%"]), 4));
    assert_eq!(
        list(ClientFilter { sort: ClientSort::NameDesc, ..f() }).await.0,
        v(&["Вера 50%", "Борис", "анна", "Dmitry"])
    );
    assert_eq!(
        list(ClientFilter { sort: ClientSort::CreatedAsc, ..f() }).await.0,
        v(&["Борис", "анна", "Вера 50%", "Dmitry"])
    );
    assert_eq!(
        list(ClientFilter { sort: ClientSort::CreatedDesc, ..f() }).await.0,
        v(&["Dmitry", "Вера 50%", "анна", "Борис"])
    );
    assert_eq!(
        list(ClientFilter { sort: ClientSort::UpdatedDesc, ..f() }).await.0,
        v(&["Борис", "анна", "Вера 50%", "Dmitry"])
    );
    assert_eq!(
        list(ClientFilter { include_archived: true, ..f() }).await,
        (v(&["Dmitry", "анна", "Борис", "Вера 50%", "Ёжик"]), 5)
    );

    // Paging: the total is the whole match.
    assert_eq!(list(ClientFilter { limit: 2, ..f() }).await, (v(&["Dmitry", "анна"]), 4));
    assert_eq!(list(ClientFilter { limit: 2, offset: 2, ..f() }).await, (v(&["Борис", "Вера 50%"]), 4));
    assert_eq!(list(ClientFilter { limit: 2, offset: 4, ..f() }).await, (v(&[]), 4));
    assert_eq!(list(ClientFilter { offset: 3, ..f() }).await, (v(&["Вера 50%"]), 4));

    // Filters.
    assert_eq!(list(ClientFilter { owner_id: Some(ann.id), ..f() }).await, (v(&["Dmitry", "Борис"]), 2));
    assert_eq!(list(ClientFilter { tag: Some("VIP".into()), ..f() }).await, (v(&["Борис", "Вера 50%"]), 2));
    assert_eq!(list(ClientFilter { tag: Some("opt".into()), limit: 1, ..f() }).await, (v(&["Dmitry"]), 2));
    assert_eq!(
        list(ClientFilter { text: Some("АНН".into()), ..f() }).await,
        (v(&["анна"]), 1),
        "name, any case"
    );
    assert_eq!(
        list(ClientFilter { text: Some("mail.RU".into()), ..f() }).await,
        (v(&["Борис"]), 1),
        "e-mail"
    );
    assert_eq!(
        list(ClientFilter { text: Some("555-66".into()), ..f() }).await,
        (v(&["Вера 50%"]), 1),
        "phone digits"
    );
    assert_eq!(list(ClientFilter { text: Some("(916) 111".into()), ..f() }).await, (v(&["Борис"]), 1));
    assert_eq!(list(ClientFilter { text: Some("3".into()), ..f() }).await.1, 0, "too few digits for a phone");
    assert_eq!(list(ClientFilter { text: Some("50%".into()), ..f() }).await, (v(&["Вера 50%"]), 1));
    assert_eq!(list(ClientFilter { text: Some("%".into()), ..f() }).await.1, 1, "wildcards are literal");
    assert_eq!(list(ClientFilter { text: Some("example".into()), ..f() }).await, (v(&["Dmitry", "анна"]), 2));
    assert_eq!(
        list(ClientFilter { created_from: Some(at(20)), created_to: Some(at(40)), ..f() }).await,
        (v(&["анна", "Вера 50%"]), 2),
        "from inclusive, to exclusive"
    );
    assert_eq!(list(ClientFilter { company_id: Some(acme.id), ..f() }).await, (v(&["Борис", "Вера 50%"]), 2));
    assert_eq!(
        list(ClientFilter {
            tag: Some("opt".into()),
            owner_id: Some(owner.id),
            text: Some("вер".into()),
            ..f()
        })
        .await,
        (v(&["Вера 50%"]), 1)
    );
    assert_eq!(list(ClientFilter { text: Some("ёжик".into()), include_archived: true, ..f() }).await.1, 1);

    // Companies: the same filters and sorting.
    let mut companies = Vec::new();
    for (i, (name, tags, email)) in [
        ("Zeta", vec!["opt"], "z@zeta.example"),
        ("beta", vec![], "info@beta.example"),
        ("Гамма", vec!["opt"], "g@g.example"),
    ]
    .into_iter()
    .enumerate()
    {
        let c = Company {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            created_at: at(100 + i as i64),
            updated_at: at(100 + i as i64),
            ..company_value(&ws, &owner, name, &[], &[email])
        };
        store.create_company(&c, &[]).await.unwrap();
        companies.push(c);
    }
    let list_co = |f: ClientFilter| {
        let store = store.clone();
        let ws = ws.id;
        async move {
            let (items, total) = store.list_companies(ws, &f).await.unwrap();
            (items.into_iter().map(|c| c.name).collect::<Vec<_>>(), total)
        }
    };
    assert_eq!(list_co(f()).await, (v(&["Acme", "beta", "Zeta", "Гамма"]), 4));
    assert_eq!(
        list_co(ClientFilter { sort: ClientSort::CreatedDesc, limit: 2, ..f() }).await,
        (v(&["Гамма", "beta"]), 4)
    );
    assert_eq!(list_co(ClientFilter { tag: Some("opt".into()), ..f() }).await, (v(&["Zeta", "Гамма"]), 2));
    assert_eq!(list_co(ClientFilter { text: Some("BETA".into()), ..f() }).await, (v(&["beta"]), 1));
    assert_eq!(list_co(ClientFilter { text: Some("g@g".into()), ..f() }).await, (v(&["Гамма"]), 1));
    assert_eq!(
        list_co(ClientFilter { created_from: Some(at(101)), ..f() }).await,
        (v(&["beta", "Гамма"]), 2)
    );
    let archived = Company { archived_at: Some(at(200)), updated_at: at(200), ..companies[0].clone() };
    store.update_company(&archived, &[]).await.unwrap();
    assert_eq!(list_co(f()).await.1, 3);
    assert_eq!(
        list_co(ClientFilter { include_archived: true, sort: ClientSort::UpdatedDesc, ..f() }).await.0[0],
        "Zeta"
    );
    let _ = ids;
}

async fn deleting_clients_unlinks(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (_, s) = board(&store, &ws, "Sales", 0).await;
    let company = company_value(&ws, &owner, "Acme", &["+7 495 000 00 01"], &["hi@acme.example"]);
    store
        .create_company(
            &company,
            &[entry(
                &ws,
                EntityRef { kind: EntityKind::Company, id: company.id },
                None,
                t0(),
                "created",
                Value::Null,
                Value::Null,
            )],
        )
        .await
        .unwrap();
    let contact = Contact {
        company_id: Some(company.id),
        ..contact_value(&ws, &owner, "Ivan", &["+7 916 000 00 01"], &["ivan@acme.example"])
    };
    let contact_ref = EntityRef { kind: EntityKind::Contact, id: contact.id };
    store
        .create_contact(
            &contact,
            &[entry(&ws, contact_ref, Some(&owner), t0(), "created", Value::Null, Value::Null)],
        )
        .await
        .unwrap();
    let deal = put_deal(
        &store,
        Deal {
            contact_id: Some(contact.id),
            company_id: Some(company.id),
            ..deal_value(&s[0], &owner, "Deal", 0)
        },
    )
    .await;

    // Deleting the company unlinks its contacts and deals and forgets its keys and history.
    store.delete_company(ws.id, company.id).await.unwrap();
    assert_err(store.get_company(ws.id, company.id).await, StoreError::NotFound("company"));
    assert_eq!(store.get_contact(ws.id, contact.id).await.unwrap().company_id, None);
    let d = store.get_deal(ws.id, deal.id).await.unwrap();
    assert_eq!((d.company_id, d.contact_id), (None, Some(contact.id)));
    assert_eq!(d.version, 2, "the unlink is a change of the deal");
    let company_ref = EntityRef { kind: EntityKind::Company, id: company.id };
    assert!(store.list_history(ws.id, company_ref, None, 0).await.unwrap().is_empty());
    assert!(store
        .find_company_duplicates(
            ws.id,
            Some("Acme"),
            &[e164("+7 495 000 00 01")],
            &["hi@acme.example".into()]
        )
        .await
        .unwrap()
        .is_empty());
    assert_err(store.delete_company(ws.id, company.id).await, StoreError::NotFound("company"));

    // Deleting the contact unlinks its deals.
    store.delete_contact(ws.id, contact.id).await.unwrap();
    assert_err(store.get_contact(ws.id, contact.id).await, StoreError::NotFound("contact"));
    let d = store.get_deal(ws.id, deal.id).await.unwrap();
    assert_eq!((d.contact_id, d.version), (None, 3));
    assert!(store.list_history(ws.id, contact_ref, None, 0).await.unwrap().is_empty());
    assert!(store
        .find_contact_duplicates(ws.id, &[e164("+7 916 000 00 01")], &["ivan@acme.example".into()])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .list_contacts(ws.id, &ClientFilter { include_archived: true, ..ClientFilter::default() })
            .await
            .unwrap()
            .1,
        0
    );
    assert_err(store.delete_contact(ws.id, contact.id).await, StoreError::NotFound("contact"));
}

async fn import_is_all_or_nothing(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;

    let co1 = company_value(&ws, &owner, "Alpha", &["+7 495 111 11 11"], &[]);
    let co2 = company_value(&ws, &owner, "Beta", &[], &["b@beta.example"]);
    let c1 =
        Contact { company_id: Some(co1.id), ..contact_value(&ws, &owner, "Anna", &["89161110000"], &[]) };
    let c2 = Contact {
        tags: vec!["import".into()],
        ..contact_value(&ws, &owner, "Boris", &[], &["boris@x.example"])
    };
    let c3 = Contact { company_id: Some(co2.id), ..contact_value(&ws, &owner, "Vera", &[], &[]) };
    let history: Vec<HistoryEntry> = [c1.id, c2.id, c3.id]
        .iter()
        .map(|id| {
            entry(
                &ws,
                EntityRef { kind: EntityKind::Contact, id: *id },
                Some(&owner),
                t0(),
                "created",
                Value::Null,
                json!("import"),
            )
        })
        .collect();
    store
        .import_clients(&[c1.clone(), c2.clone(), c3.clone()], &[co1.clone(), co2.clone()], &history)
        .await
        .unwrap();
    assert_eq!(store.get_contact(ws.id, c1.id).await.unwrap(), c1);
    assert_eq!(store.get_company(ws.id, co2.id).await.unwrap(), co2);
    assert_eq!(store.list_contacts(ws.id, &ClientFilter::default()).await.unwrap().1, 3);
    assert_eq!(store.list_companies(ws.id, &ClientFilter::default()).await.unwrap().1, 2);
    assert_eq!(
        store
            .list_contacts(ws.id, &ClientFilter { tag: Some("import".into()), ..ClientFilter::default() })
            .await
            .unwrap()
            .1,
        1
    );
    assert_eq!(
        store.find_contact_duplicates(ws.id, &[e164("+7 916 111 00 00")], &[]).await.unwrap().len(),
        1
    );
    let c2_ref = EntityRef { kind: EntityKind::Contact, id: c2.id };
    assert_eq!(store.list_history(ws.id, c2_ref, None, 10).await.unwrap(), vec![history[1].clone()]);

    // A batch with a repeated primary key fails as a whole.
    let co3 = company_value(&ws, &owner, "Gamma", &[], &["g@gamma.example"]);
    let d1 = contact_value(&ws, &owner, "Dmitry", &["+7 903 222 33 44"], &[]);
    let d2 = Contact { name: "Dmitry again".into(), ..d1.clone() };
    let h = entry(
        &ws,
        EntityRef { kind: EntityKind::Contact, id: d1.id },
        Some(&owner),
        t0(),
        "created",
        Value::Null,
        Value::Null,
    );
    assert_err(
        store.import_clients(&[d1.clone(), d2], std::slice::from_ref(&co3), std::slice::from_ref(&h)).await,
        StoreError::Conflict("contact"),
    );
    assert_err(store.get_contact(ws.id, d1.id).await, StoreError::NotFound("contact"));
    assert_err(store.get_company(ws.id, co3.id).await, StoreError::NotFound("company"));
    assert!(store.find_contact_duplicates(ws.id, &[e164("89032223344")], &[]).await.unwrap().is_empty());
    assert!(store
        .find_company_duplicates(ws.id, Some("gamma"), &[], &["g@gamma.example".into()])
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_history(ws.id, EntityRef { kind: EntityKind::Contact, id: d1.id }, None, 10)
        .await
        .unwrap()
        .is_empty());
    // So does one clashing with a stored record, or with a bad reference.
    assert_err(
        store.import_clients(std::slice::from_ref(&d1), std::slice::from_ref(&co1), &[]).await,
        StoreError::Conflict("company"),
    );
    let orphan =
        Contact { company_id: Some(Uuid::now_v7()), ..contact_value(&ws, &owner, "Orphan", &[], &[]) };
    assert_err(store.import_clients(&[d1.clone(), orphan], &[], &[]).await, StoreError::NotFound("company"));
    assert_err(store.get_contact(ws.id, d1.id).await, StoreError::NotFound("contact"));
    assert_eq!(store.list_contacts(ws.id, &ClientFilter::default()).await.unwrap().1, 3);
    store.import_clients(&[], &[], &[]).await.unwrap();
}

async fn history_pages_newest_first(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let ann = add_user(&store, &ws, "ann").await;
    let thing = EntityRef { kind: EntityKind::Deal, id: Uuid::now_v7() };
    let other = EntityRef { kind: EntityKind::Contact, id: thing.id };

    let e1 =
        entry(&ws, thing, Some(&owner), at(1), "created", Value::Null, json!({"title": "A", "n": [1, 2.5]}));
    let e2 = entry(&ws, thing, Some(&ann), at(2), "amount_minor", json!(100), json!(250));
    let e3 = entry(&ws, thing, None, at(2), "custom.budget", json!("x"), Value::Null);
    let e4 = entry(&ws, thing, Some(&ann), at(3), "title", json!("A"), json!("Б"));
    let noise = entry(&ws, other, Some(&owner), at(4), "created", Value::Null, Value::Null);
    store.append_history(&[e2.clone(), e4.clone(), noise.clone()]).await.unwrap();
    store.append_history(&[e1.clone(), e3.clone()]).await.unwrap();
    store.append_history(&[]).await.unwrap();

    // Newest first; same time → larger id first.
    assert_eq!(
        store.list_history(ws.id, thing, None, 10).await.unwrap(),
        vec![e4.clone(), e3.clone(), e2.clone(), e1.clone()]
    );
    assert_eq!(store.list_history(ws.id, thing, None, 2).await.unwrap(), vec![e4.clone(), e3.clone()]);
    assert_eq!(store.list_history(ws.id, thing, None, 0).await.unwrap().len(), 4, "no limit");
    // A bare time bound is exclusive.
    let time = |t| Some(HistoryCursor { at: t, id: None });
    assert_eq!(
        store.list_history(ws.id, thing, time(at(3)), 10).await.unwrap(),
        vec![e3.clone(), e2.clone(), e1.clone()]
    );
    assert_eq!(store.list_history(ws.id, thing, time(at(2)), 10).await.unwrap(), vec![e1.clone()]);
    assert!(store.list_history(ws.id, thing, time(at(1)), 10).await.unwrap().is_empty());
    // An `(at, id)` cursor continues right after the last entry seen, even when
    // the page ends between two entries of the same moment (e3 | e2).
    let after = |e: &HistoryEntry| Some(HistoryCursor { at: e.at, id: Some(e.id) });
    let first = store.list_history(ws.id, thing, None, 2).await.unwrap();
    assert_eq!(first, vec![e4.clone(), e3.clone()]);
    let second = store.list_history(ws.id, thing, after(&first[1]), 2).await.unwrap();
    assert_eq!(second, vec![e2.clone(), e1.clone()], "nothing skipped at the page boundary");
    assert!(store.list_history(ws.id, thing, after(&second[1]), 2).await.unwrap().is_empty());
    assert_eq!(store.list_history(ws.id, thing, after(&e4), 1).await.unwrap(), vec![e3.clone()]);
    assert_eq!(store.list_history(ws.id, other, None, 10).await.unwrap(), vec![noise]);

    // Actors must be the workspace's; a failed append writes nothing.
    let (_, stranger) = seeded(&store, "other").await;
    let ok = entry(&ws, thing, Some(&owner), at(9), "x", Value::Null, Value::Null);
    let bad = entry(&ws, thing, Some(&stranger), at(9), "y", Value::Null, Value::Null);
    assert_err(store.append_history(&[ok, bad]).await, StoreError::NotFound("user"));
    assert_eq!(store.list_history(ws.id, thing, None, 0).await.unwrap().len(), 4);
    assert_err(store.append_history(std::slice::from_ref(&e4)).await, StoreError::Conflict("history entry"));
}

async fn chats_bound_to_records(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (other_ws, _) = seeded(&store, "other").await;
    let record = EntityRef { kind: EntityKind::Deal, id: Uuid::now_v7() };
    assert_eq!(store.chat_for_entity(ws.id, record).await.unwrap(), None);

    let chat = Chat {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        kind: ChatKind::Group,
        name: Some("Deal chat".into()),
        description: String::new(),
        is_private: true,
        direct_key: None,
        entity: Some(record),
        created_by: owner.id,
        created_at: t0(),
        updated_at: t0(),
        archived_at: None,
        last_seq: 0,
        last_activity_at: t0(),
    };
    let member = ChatMember {
        chat_id: chat.id,
        user_id: owner.id,
        role: MemberRole::Owner,
        joined_at: t0(),
        last_read_seq: 0,
    };
    store.create_chat(&chat, &[member]).await.unwrap();
    assert_eq!(store.chat_for_entity(ws.id, record).await.unwrap(), Some(chat.id));
    assert_eq!(
        store.chat_for_entity(ws.id, EntityRef { kind: EntityKind::Contact, id: record.id }).await.unwrap(),
        None
    );
    assert_eq!(store.chat_for_entity(other_ws.id, record).await.unwrap(), None);

    // A deal may point at its chat; only at one of its own workspace.
    let (_, s) = board(&store, &ws, "Sales", 0).await;
    let deal = Deal { id: record.id, chat_id: Some(chat.id), ..deal_value(&s[0], &owner, "With chat", 0) };
    put_deal(&store, deal.clone()).await;
    assert_eq!(store.get_deal(ws.id, deal.id).await.unwrap().chat_id, Some(chat.id));
}

async fn workspaces_are_isolated(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, a_owner) = seeded(&store, "alpha").await;
    let (b, b_owner) = seeded(&store, "beta").await;
    let (p, s) = board(&store, &a, "Sales", 0).await;
    let company = company_value(&a, &a_owner, "Acme", &["+7 495 000 00 01"], &["hi@acme.example"]);
    store.create_company(&company, &[]).await.unwrap();
    let contact = Contact {
        tags: vec!["vip".into()],
        ..contact_value(&a, &a_owner, "Ivan", &["+7 916 000 00 01"], &["ivan@acme.example"])
    };
    store.create_contact(&contact, &[]).await.unwrap();
    let deal =
        put_deal(&store, Deal { contact_id: Some(contact.id), ..deal_value(&s[0], &a_owner, "Secret", 0) })
            .await;
    let h = entry(&a, deal_ref(&deal), Some(&a_owner), t0(), "created", Value::Null, Value::Null);
    store.append_history(std::slice::from_ref(&h)).await.unwrap();

    // Reads from B see nothing of A.
    assert_err(store.get_pipeline(b.id, p.id).await, StoreError::NotFound("pipeline"));
    assert!(store.list_pipelines(b.id, true).await.unwrap().is_empty());
    assert_err(store.list_stages(b.id, p.id).await, StoreError::NotFound("pipeline"));
    assert_err(store.get_stage(b.id, s[0].id).await, StoreError::NotFound("stage"));
    assert_err(store.get_deal(b.id, deal.id).await, StoreError::NotFound("deal"));
    assert!(store.list_deals(b.id, &all_deals()).await.unwrap().is_empty());
    assert!(store
        .list_deals(b.id, &DealFilter { pipeline_id: Some(p.id), ..all_deals() })
        .await
        .unwrap()
        .is_empty());
    assert_err(store.stage_positions(b.id, s[0].id).await, StoreError::NotFound("stage"));
    assert_err(store.get_contact(b.id, contact.id).await, StoreError::NotFound("contact"));
    assert_err(store.get_company(b.id, company.id).await, StoreError::NotFound("company"));
    let everything = ClientFilter { include_archived: true, ..ClientFilter::default() };
    assert_eq!(store.list_contacts(b.id, &everything).await.unwrap(), (vec![], 0));
    assert_eq!(store.list_companies(b.id, &everything).await.unwrap(), (vec![], 0));
    assert_eq!(
        store
            .list_contacts(b.id, &ClientFilter { text: Some("ivan".into()), ..everything.clone() })
            .await
            .unwrap()
            .1,
        0
    );
    assert_eq!(
        store
            .list_contacts(b.id, &ClientFilter { tag: Some("vip".into()), ..everything.clone() })
            .await
            .unwrap()
            .1,
        0
    );
    assert!(store
        .find_contact_duplicates(b.id, &[e164("+7 916 000 00 01")], &["ivan@acme.example".into()])
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .find_company_duplicates(b.id, Some("Acme"), &[e164("+7 495 000 00 01")], &["hi@acme.example".into()])
        .await
        .unwrap()
        .is_empty());
    assert!(store.list_history(b.id, deal_ref(&deal), None, 10).await.unwrap().is_empty());

    // Writes from B cannot touch A's records.
    assert_err(
        store.update_pipeline(b.id, p.id, Some("Hacked"), Some(Some(at(1))), at(1)).await,
        StoreError::NotFound("pipeline"),
    );
    let sneaky = Stage { id: Uuid::now_v7(), workspace_id: b.id, ..s[0].clone() };
    assert_err(store.create_stage(&sneaky).await, StoreError::NotFound("pipeline"));
    assert_err(
        store.update_stage(b.id, s[0].id, Some("Hacked"), None, None, at(1)).await,
        StoreError::NotFound("stage"),
    );
    let order: Vec<Uuid> = s.iter().rev().map(|x| x.id).collect();
    assert_err(store.reorder_stages(b.id, p.id, &order, at(1)).await, StoreError::NotFound("pipeline"));
    assert_err(store.delete_stage(b.id, s[3].id).await, StoreError::NotFound("stage"));
    let b_deal =
        Deal { workspace_id: b.id, id: Uuid::now_v7(), ..deal_value(&s[0], &b_owner, "Into A's stage", 0) };
    assert_err(store.create_deal(&b_deal, &[], &[], &Outbox::default()).await, StoreError::NotFound("stage"));
    let hijack =
        Deal { workspace_id: b.id, owner_id: b_owner.id, created_by: b_owner.id, version: 2, ..deal.clone() };
    assert_err(
        store.update_deal(&hijack, 1, &[], &[], &Outbox::default()).await,
        StoreError::NotFound("deal"),
    );
    assert_err(store.set_positions(b.id, &[(deal.id, 99)]).await, StoreError::NotFound("deal"));
    assert_err(store.delete_deal(b.id, deal.id, &[], Utc::now()).await, StoreError::NotFound("deal"));
    let c_hijack =
        Contact { workspace_id: b.id, created_by: b_owner.id, name: "Hacked".into(), ..contact.clone() };
    assert_err(store.update_contact(&c_hijack, &[]).await, StoreError::NotFound("contact"));
    let co_hijack =
        Company { workspace_id: b.id, created_by: b_owner.id, name: "Hacked".into(), ..company.clone() };
    assert_err(store.update_company(&co_hijack, &[]).await, StoreError::NotFound("company"));
    assert_err(store.delete_contact(b.id, contact.id).await, StoreError::NotFound("contact"));
    assert_err(store.delete_company(b.id, company.id).await, StoreError::NotFound("company"));
    let b_contact =
        Contact { company_id: Some(company.id), ..contact_value(&b, &b_owner, "Linked", &[], &[]) };
    assert_err(store.create_contact(&b_contact, &[]).await, StoreError::NotFound("company"));
    let b_deal2 = {
        let (_, bs) = board(&store, &b, "B sales", 0).await;
        Deal { contact_id: Some(contact.id), ..deal_value(&bs[0], &b_owner, "B deal", 0) }
    };
    assert_err(
        store.create_deal(&b_deal2, &[], &[], &Outbox::default()).await,
        StoreError::NotFound("contact"),
    );
    assert_err(store.import_clients(&[b_contact], &[], &[]).await, StoreError::NotFound("company"));

    // A is exactly as it was.
    assert_eq!(store.get_pipeline(a.id, p.id).await.unwrap(), p);
    assert_eq!(store.list_stages(a.id, p.id).await.unwrap(), s);
    assert_eq!(store.get_deal(a.id, deal.id).await.unwrap(), deal);
    assert_eq!(store.get_contact(a.id, contact.id).await.unwrap(), contact);
    assert_eq!(store.get_company(a.id, company.id).await.unwrap(), company);
    assert_eq!(store.list_history(a.id, deal_ref(&deal), None, 10).await.unwrap(), vec![h]);
    assert_eq!(store.find_contact_duplicates(a.id, &[e164("+7 916 000 00 01")], &[]).await.unwrap().len(), 1);
}

/// Board events are written in the transaction of the change they describe: a
/// committed change always has its event, a failed one leaves neither.
async fn board_events_commit_with_their_change(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (p, stages) = board(&store, &ws, "Sales", 0).await;
    let (p2, stages2) = board(&store, &ws, "Partners", 1).await;
    let upsert = |d: &Deal| BoardAppend {
        pipeline_id: d.pipeline_id,
        change: BoardChange::DealUpserted { deal: Box::new(d.clone()), tasks: None, clients: None },
    };
    let seqs = |events: &[artel_core::event::BoardEvent]| {
        events.iter().map(|e| (e.pipeline_id, e.seq)).collect::<Vec<_>>()
    };

    // Created with its event: the store hands back what it logged.
    let deal = deal_value(&stages[0], &owner, "Atomic", 0);
    let events = store.create_deal(&deal, &[], &[upsert(&deal)], &Outbox::default()).await.unwrap();
    assert_eq!(seqs(&events), vec![(p.id, 1)]);
    assert_eq!(events[0].change, upsert(&deal).change);
    assert_eq!(store.board_events_since(ws.id, p.id, 0, 10).await.unwrap(), events);

    // The same id again: no deal, no event.
    assert_err(
        store.create_deal(&deal, &[], &[upsert(&deal)], &Outbox::default()).await,
        StoreError::Conflict("deal"),
    );
    assert_eq!(store.board_last_seq(ws.id, p.id).await.unwrap(), 1);

    // An event that cannot be logged takes the deal and its history down with it,
    // and undoes the seq already taken on the other board of the same write.
    let lost = deal_value(&stages[0], &owner, "Never", 1);
    let created = entry(&ws, deal_ref(&lost), Some(&owner), t0(), "created", Value::Null, json!({}));
    let nowhere = BoardAppend { pipeline_id: Uuid::now_v7(), change: BoardChange::StagesChanged };
    assert_err(
        store.create_deal(&lost, &[created], &[upsert(&lost), nowhere.clone()], &Outbox::default()).await,
        StoreError::NotFound("pipeline"),
    );
    assert_err(store.get_deal(ws.id, lost.id).await, StoreError::NotFound("deal"));
    assert!(store.list_history(ws.id, deal_ref(&lost), None, 0).await.unwrap().is_empty());
    assert_eq!(store.board_last_seq(ws.id, p.id).await.unwrap(), 1);
    assert_eq!(store.board_events_since(ws.id, p.id, 0, 10).await.unwrap().len(), 1);

    // A stale or invalid update logs nothing.
    let moved = Deal { version: 2, stage_id: stages[1].id, ..deal.clone() };
    assert_err(
        store.update_deal(&moved, 7, &[], &[upsert(&moved)], &Outbox::default()).await,
        StoreError::Conflict("deal version"),
    );
    let wrong = Deal { version: 2, stage_id: stages2[0].id, ..deal.clone() };
    assert!(matches!(
        store.update_deal(&wrong, 1, &[], &[upsert(&wrong)], &Outbox::default()).await,
        Err(StoreError::Invalid { field: "stage_id", .. })
    ));
    let change = entry(&ws, deal_ref(&deal), Some(&owner), at(1), "title", json!("Atomic"), json!("x"));
    assert_err(
        store
            .update_deal(
                &moved,
                1,
                std::slice::from_ref(&change),
                &[upsert(&moved), nowhere.clone()],
                &Outbox::default(),
            )
            .await,
        StoreError::NotFound("pipeline"),
    );
    assert_eq!(store.get_deal(ws.id, deal.id).await.unwrap(), deal, "rolled back");
    assert!(!store.list_history(ws.id, deal_ref(&deal), None, 0).await.unwrap().contains(&change));
    assert_eq!(store.board_last_seq(ws.id, p.id).await.unwrap(), 1);

    // Moving to another pipeline logs on both boards at once.
    let across = Deal { version: 2, pipeline_id: p2.id, stage_id: stages2[0].id, ..deal.clone() };
    let removed = BoardAppend { pipeline_id: p.id, change: BoardChange::DealRemoved { deal_id: deal.id } };
    let mut events =
        store.update_deal(&across, 1, &[], &[removed, upsert(&across)], &Outbox::default()).await.unwrap();
    events.sort_by_key(|e| e.pipeline_id);
    assert_eq!(seqs(&events), vec![(p.id, 2), (p2.id, 1)]);
    assert_eq!(store.get_deal(ws.id, deal.id).await.unwrap(), across);

    // Deleting: an unknown deal logs nothing; a deleted one logs its removal.
    let gone = BoardAppend { pipeline_id: p2.id, change: BoardChange::DealRemoved { deal_id: deal.id } };
    assert_err(
        store.delete_deal(ws.id, Uuid::now_v7(), std::slice::from_ref(&gone), at(5)).await,
        StoreError::NotFound("deal"),
    );
    assert_eq!(store.board_last_seq(ws.id, p2.id).await.unwrap(), 1);
    let events = store.delete_deal(ws.id, deal.id, &[gone], at(5)).await.unwrap();
    assert_eq!(seqs(&events), vec![(p2.id, 2)]);
    assert_eq!(events[0].created_at, at(5));

    // Another workspace's board cannot be written through this one's deal.
    let (other_ws, _) = seeded(&store, "other").await;
    let (theirs, _) = board(&store, &other_ws, "Theirs", 0).await;
    let sneaky = deal_value(&stages[0], &owner, "Sneaky", 2);
    let foreign = BoardAppend { pipeline_id: theirs.id, change: BoardChange::StagesChanged };
    assert_err(
        store.create_deal(&sneaky, &[], &[foreign], &Outbox::default()).await,
        StoreError::NotFound("pipeline"),
    );
    assert_eq!(store.board_last_seq(other_ws.id, theirs.id).await.unwrap(), 0);
    assert_err(store.get_deal(ws.id, sneaky.id).await, StoreError::NotFound("deal"));

    // Concurrent writes to one board still number it without gaps or repeats.
    let mut writers = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        let d = deal_value(&stages[1], &owner, &format!("Rush {i}"), 100 + i);
        let append = upsert(&d);
        writers.push(tokio::spawn(
            async move { store.create_deal(&d, &[], &[append], &Outbox::default()).await },
        ));
    }
    for w in writers {
        assert_eq!(w.await.unwrap().unwrap().len(), 1);
    }
    let log = store.board_events_since(ws.id, p.id, 0, 100).await.unwrap();
    assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=10).collect::<Vec<i64>>());
}

/// `client_names`: contacts' and companies' names by id in one read (more ids
/// than one statement takes are read in chunks), archived ones too, nothing of
/// another workspace, unknown ids left out.
async fn client_names_by_id(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (other, stranger) = seeded(&store, "other").await;
    let contacts: Vec<Contact> =
        (0..1100).map(|i| contact_value(&ws, &owner, &format!("Контакт {i}"), &[], &[])).collect();
    let mut archived = company_value(&ws, &owner, "ООО Архив", &[], &[]);
    archived.archived_at = Some(at(1));
    let companies = vec![company_value(&ws, &owner, "ООО Ромашка", &[], &[]), archived];
    store.import_clients(&contacts, &companies, &[]).await.expect("import");
    let theirs = contact_value(&other, &stranger, "Чужой", &[], &[]);
    let their_company = company_value(&other, &stranger, "Чужая", &[], &[]);
    store
        .import_clients(std::slice::from_ref(&theirs), std::slice::from_ref(&their_company), &[])
        .await
        .unwrap();

    let mut want_contacts: Vec<Uuid> = contacts.iter().map(|c| c.id).collect();
    want_contacts.push(theirs.id);
    want_contacts.push(Uuid::now_v7());
    want_contacts.push(contacts[0].id); // asked twice
    let want_companies = vec![companies[0].id, companies[1].id, their_company.id, contacts[1].id];
    let names = store.client_names(ws.id, &want_contacts, &want_companies).await.expect("names");
    assert_eq!(names.contacts.len(), 1100);
    assert_eq!(names.contacts[&contacts[1099].id], "Контакт 1099");
    assert!(!names.contacts.contains_key(&theirs.id), "another workspace's contact");
    assert_eq!(names.companies.len(), 2, "{:?}", names.companies);
    assert_eq!(names.companies[&companies[0].id], "ООО Ромашка");
    assert_eq!(names.companies[&companies[1].id], "ООО Архив");
    let none = store.client_names(ws.id, &[], &[]).await.unwrap();
    assert!(none.contacts.is_empty() && none.companies.is_empty());
    let only = store.client_names(ws.id, &[], &[companies[0].id]).await.unwrap();
    assert!(only.contacts.is_empty());
    assert_eq!(only.companies.len(), 1);
}

on_every_backend!(
    pipelines_and_stages,
    deals_round_trip_and_versions,
    deal_lists_and_positions,
    clients_round_trip_and_duplicates,
    client_lists,
    deleting_clients_unlinks,
    import_is_all_or_nothing,
    history_pages_newest_first,
    chats_bound_to_records,
    workspaces_are_isolated,
    board_events_commit_with_their_change,
    client_names_by_id,
);
