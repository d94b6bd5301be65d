//! `CustomFieldStore`: the definitions of custom fields per record kind (keys
//! unique per kind and workspace), their order, and edits of the editable parts.

use artel_core::crm::custom_field::{FieldDef, FieldKind};
use artel_core::crm::entity::EntityKind;
use artel_core::StoreError;
use artel_tests::{on_every_backend, Backend};
use uuid::Uuid;

use crate::support::{assert_err, at, open, seeded};

fn def(ws: Uuid, entity: EntityKind, key: &str, kind: FieldKind, position: i64) -> FieldDef {
    FieldDef {
        id: Uuid::now_v7(),
        workspace_id: ws,
        entity,
        key: key.into(),
        label: format!("Поле {key}"),
        kind,
        options: Vec::new(),
        multiple: false,
        required: false,
        position,
        created_at: at(position),
    }
}

async fn definitions_round_trip_and_order(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, _) = seeded(&store, "alpha").await;
    let (b, _) = seeded(&store, "beta").await;
    assert!(store.list_custom_fields(a.id, None).await.unwrap().is_empty());

    let budget = def(a.id, EntityKind::Deal, "budget", FieldKind::Money, 2);
    let source = FieldDef {
        options: vec!["Сайт".into(), "Звонок".into(), "Выставка".into()],
        multiple: true,
        required: true,
        ..def(a.id, EntityKind::Deal, "source", FieldKind::List, 1)
    };
    let ab = def(a.id, EntityKind::Deal, "ab", FieldKind::Text, 2);
    let a_b = def(a.id, EntityKind::Deal, "a_b", FieldKind::Number, 2);
    let birthday = def(a.id, EntityKind::Contact, "birthday", FieldKind::Date, 0);
    let site = def(a.id, EntityKind::Company, "site", FieldKind::Link, 5);
    let manager = def(a.id, EntityKind::Company, "manager", FieldKind::User, 9);
    for d in [&budget, &source, &ab, &a_b, &birthday, &site, &manager] {
        store.create_custom_field(d).await.unwrap();
    }
    // A key once per kind and workspace; an id once.
    assert_err(
        store.create_custom_field(&def(a.id, EntityKind::Deal, "budget", FieldKind::Text, 0)).await,
        StoreError::Conflict("custom field"),
    );
    assert_err(
        store.create_custom_field(&FieldDef { key: "other".into(), ..budget.clone() }).await,
        StoreError::Conflict("custom field"),
    );
    let contact_budget = def(a.id, EntityKind::Contact, "budget", FieldKind::Money, 1);
    store.create_custom_field(&contact_budget).await.unwrap();
    let theirs = def(b.id, EntityKind::Deal, "budget", FieldKind::Money, 0);
    store.create_custom_field(&theirs).await.unwrap();

    // One kind: by position, then key (bytewise: "a_b" before "ab").
    let keys = |defs: Vec<FieldDef>| defs.into_iter().map(|d| d.key).collect::<Vec<_>>();
    assert_eq!(
        keys(store.list_custom_fields(a.id, Some(EntityKind::Deal)).await.unwrap()),
        ["source", "a_b", "ab", "budget"]
    );
    assert_eq!(
        store.list_custom_fields(a.id, Some(EntityKind::Deal)).await.unwrap()[0],
        source,
        "round trip is exact"
    );
    assert_eq!(
        keys(store.list_custom_fields(a.id, Some(EntityKind::Contact)).await.unwrap()),
        ["birthday", "budget"]
    );
    assert!(store.list_custom_fields(a.id, Some(EntityKind::Task)).await.unwrap().is_empty());
    // Every kind: grouped by kind, then as above.
    assert_eq!(
        keys(store.list_custom_fields(a.id, None).await.unwrap()),
        ["site", "manager", "birthday", "budget", "source", "a_b", "ab", "budget"]
    );
    assert_eq!(store.list_custom_fields(b.id, None).await.unwrap(), vec![theirs.clone()]);

    assert_eq!(store.get_custom_field(a.id, manager.id).await.unwrap(), manager);
    assert_err(store.get_custom_field(b.id, manager.id).await, StoreError::NotFound("custom field"));
    assert_err(store.get_custom_field(a.id, Uuid::now_v7()).await, StoreError::NotFound("custom field"));
}

async fn definitions_edit_and_delete(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, _) = seeded(&store, "alpha").await;
    let (b, _) = seeded(&store, "beta").await;
    let source = FieldDef {
        options: vec!["Сайт".into()],
        ..def(a.id, EntityKind::Deal, "source", FieldKind::List, 1)
    };
    store.create_custom_field(&source).await.unwrap();

    // Label, options, multiple, required and position change; key, kinds and
    // creation time do not.
    let edited = FieldDef {
        label: "Источник".into(),
        options: vec!["Сайт".into(), "Реклама".into()],
        multiple: true,
        required: true,
        position: 7,
        key: "renamed".into(),
        kind: FieldKind::Text,
        entity: EntityKind::Company,
        created_at: at(99),
        ..source.clone()
    };
    store.update_custom_field(&edited).await.unwrap();
    let expected = FieldDef {
        key: source.key.clone(),
        kind: source.kind,
        entity: source.entity,
        created_at: source.created_at,
        ..edited.clone()
    };
    assert_eq!(store.get_custom_field(a.id, source.id).await.unwrap(), expected);
    // Emptying the options is an edit like any other.
    let emptied = FieldDef { options: vec![], ..expected.clone() };
    store.update_custom_field(&emptied).await.unwrap();
    assert_eq!(store.get_custom_field(a.id, source.id).await.unwrap(), emptied);
    // Not through another workspace, not for what is not there.
    assert_err(
        store
            .update_custom_field(&FieldDef { workspace_id: b.id, label: "x".into(), ..source.clone() })
            .await,
        StoreError::NotFound("custom field"),
    );
    assert_err(
        store.update_custom_field(&def(a.id, EntityKind::Deal, "ghost", FieldKind::Text, 0)).await,
        StoreError::NotFound("custom field"),
    );
    assert_eq!(store.get_custom_field(a.id, source.id).await.unwrap(), emptied);

    assert_err(store.delete_custom_field(b.id, source.id).await, StoreError::NotFound("custom field"));
    store.delete_custom_field(a.id, source.id).await.unwrap();
    assert_err(store.delete_custom_field(a.id, source.id).await, StoreError::NotFound("custom field"));
    assert!(store.list_custom_fields(a.id, None).await.unwrap().is_empty());
    // The key is free again.
    store.create_custom_field(&def(a.id, EntityKind::Deal, "source", FieldKind::Text, 0)).await.unwrap();
}

on_every_backend!(definitions_round_trip_and_order, definitions_edit_and_delete);
