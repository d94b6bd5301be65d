//! Lists "by name" (people, bots, public channels) come in the same order on both
//! engines, whatever the names' case or script: SQL's `lower()` does not fold
//! the same letters on SQLite and Postgres, so the store sorts these itself.

use artel_core::user::User;
use artel_tests::{on_every_backend, Backend};

use crate::support::{add_user, at, channel, open, seeded};

async fn names_sort_alike_on_both_engines(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "alpha").await;
    store
        .update_profile(
            ws.id,
            owner.id,
            &artel_core::user::ProfileUpdate { name: Some("Ольга".into()), ..Default::default() },
            at(1),
        )
        .await
        .unwrap();
    let mut people = vec![owner.id];
    for name in ["яков", "Анна", "boris", "Борис", "Alice"] {
        let u = add_user(&store, &ws, &format!("u{}", people.len())).await;
        store
            .update_profile(
                ws.id,
                u.id,
                &artel_core::user::ProfileUpdate { name: Some(name.into()), ..Default::default() },
                at(1),
            )
            .await
            .unwrap();
        people.push(u.id);
    }
    let names = |v: Vec<User>| v.into_iter().map(|u| u.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.list_users(ws.id).await.unwrap()),
        ["Alice", "boris", "Анна", "Борис", "Ольга", "яков"]
    );
    // Deactivated people go last, in the same order among themselves.
    store.set_deactivated(ws.id, people[2], Some(at(2)), at(2)).await.unwrap();
    store.set_deactivated(ws.id, people[5], Some(at(2)), at(2)).await.unwrap();
    assert_eq!(
        names(store.list_users(ws.id).await.unwrap()),
        ["boris", "Борис", "Ольга", "яков", "Alice", "Анна"]
    );

    for name in ["продажи", "Офис", "general", "Zoo", "архив"] {
        channel(&store, &ws, &owner, name, &[]).await;
    }
    let channels: Vec<String> =
        store.list_public_channels(ws.id).await.unwrap().into_iter().filter_map(|c| c.name).collect();
    assert_eq!(channels, ["general", "Zoo", "архив", "Офис", "продажи"]);
}

on_every_backend!(names_sort_alike_on_both_engines);
