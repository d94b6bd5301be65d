//! The `Store` contract: one story per area, run against SQLite and Postgres.
//! Whatever one engine does, the other must do too.

use std::sync::Arc;

use artel_core::invite::Invite;
use artel_core::ports::store::{RateDecision, RateLimit};
use artel_core::session::{RefreshToken, RotateOutcome, Session};
use artel_core::user::{Language, ProfileUpdate, Role, User};
use artel_core::workspace::Workspace;
use artel_core::{Store, StoreError};
use artel_tests::{on_every_backend, Backend, Database};
use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::future::join_all;
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

fn workspace(name: &str, slug: &str) -> Workspace {
    Workspace::new(name, Some(slug), t0()).expect("workspace")
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
    let ws = workspace(&format!("WS {slug}"), slug);
    let owner = user(&ws, &format!("owner@{slug}.test"), Role::Owner);
    store.create_workspace(&ws, &owner, false).await.expect("create workspace");
    (ws, owner)
}

fn session(user: &User, now: DateTime<Utc>) -> Session {
    Session {
        id: Uuid::now_v7(),
        workspace_id: user.workspace_id,
        user_id: user.id,
        user_agent: Some("test-agent".into()),
        ip: Some("127.0.0.1".into()),
        created_at: now,
        last_used_at: now,
        expires_at: now + Duration::days(30),
        revoked_at: None,
    }
}

fn token(session: &Session, hash: &str) -> RefreshToken {
    RefreshToken {
        id: Uuid::now_v7(),
        session_id: session.id,
        token_hash: hash.into(),
        created_at: session.created_at,
        expires_at: session.expires_at,
    }
}

fn invite(ws: &Workspace, by: &User, hash: &str, role: Role) -> Invite {
    Invite {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        role,
        email: None,
        created_by: by.id,
        created_at: t0(),
        expires_at: t0() + Duration::hours(24),
        used_at: None,
        used_by: None,
        revoked_at: None,
        token_hash: hash.into(),
    }
}

async fn workspaces_and_first_run(backend: Backend) {
    let (store, _db) = open(backend).await;
    assert_eq!(store.count_workspaces().await.unwrap(), 0);

    let ws = workspace("Acme", "acme");
    let owner = user(&ws, "owner@acme.test", Role::Owner);
    store.create_workspace(&ws, &owner, true).await.expect("first run");
    assert_eq!(store.get_workspace(ws.id).await.unwrap(), ws, "round trip is exact");
    assert_eq!(store.get_workspace_by_slug("acme").await.unwrap().id, ws.id);
    assert_eq!(store.get_user(ws.id, owner.id).await.unwrap(), owner);

    // First-run creation is closed once a workspace exists; the CLI path is not.
    let second = workspace("Beta", "beta");
    let err =
        store.create_workspace(&second, &user(&second, "o@beta.test", Role::Owner), true).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("workspace")), "{err:?}");
    assert!(matches!(store.get_workspace(second.id).await, Err(StoreError::NotFound(_))));
    store.create_workspace(&second, &user(&second, "o@beta.test", Role::Owner), false).await.unwrap();
    assert_eq!(store.count_workspaces().await.unwrap(), 2);

    // Slugs are unique, and a failed creation leaves no half (no owner row).
    let dup = workspace("Acme again", "acme");
    let dup_owner = user(&dup, "x@acme.test", Role::Owner);
    let err = store.create_workspace(&dup, &dup_owner, false).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("workspace slug")), "{err:?}");
    assert!(store.find_users_by_email("x@acme.test").await.unwrap().is_empty());
}

async fn first_run_is_race_free(backend: Backend) {
    let (store, _db) = open(backend).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let ws = workspace(&format!("Race {i}"), &format!("race-{i}"));
            let owner = user(&ws, "owner@race.test", Role::Owner);
            store.create_workspace(&ws, &owner, true).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Conflict("workspace")) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(ok, 1, "exactly one concurrent first-run setup wins");
    assert_eq!(store.count_workspaces().await.unwrap(), 1);
}

async fn users_are_scoped_to_their_workspace(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, a_owner) = seeded(&store, "alpha").await;
    let (b, _b_owner) = seeded(&store, "beta").await;

    let member = user(&a, "member@x.test", Role::Member);
    store.create_user(&member).await.unwrap();
    let err = store.create_user(&user(&a, "member@x.test", Role::Guest)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("user")), "{err:?}");
    // The same address may have an account in another workspace.
    let other = user(&b, "member@x.test", Role::Member);
    store.create_user(&other).await.unwrap();
    assert_eq!(store.find_users_by_email("member@x.test").await.unwrap().len(), 2);

    // Reads and writes through the wrong workspace find nothing and change nothing.
    assert!(matches!(store.get_user(b.id, member.id).await, Err(StoreError::NotFound("user"))));
    let later = t0() + Duration::hours(1);
    assert!(matches!(
        store.set_role(b.id, member.id, Role::Admin, later).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.set_deactivated(b.id, member.id, Some(later), later).await,
        Err(StoreError::NotFound(_))
    ));
    let rename = ProfileUpdate { name: Some("Hacked".into()), ..Default::default() };
    assert!(matches!(
        store.update_profile(b.id, member.id, &rename, later).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.get_user(a.id, member.id).await.unwrap(), member);

    let listed: Vec<Uuid> = store.list_users(a.id).await.unwrap().iter().map(|u| u.id).collect();
    assert!(listed.contains(&a_owner.id) && listed.contains(&member.id));
    assert!(!listed.contains(&other.id));
}

async fn user_updates(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let member = user(&ws, "m@acme.test", Role::Member);
    store.create_user(&member).await.unwrap();
    let later = t0() + Duration::minutes(5);

    let change = ProfileUpdate {
        name: None,
        time_zone: Some("Asia/Yekaterinburg".into()),
        language: Some(Language::En),
    };
    let updated = store.update_profile(ws.id, member.id, &change, later).await.unwrap();
    assert_eq!(updated.name, member.name, "unset fields stay");
    assert_eq!(updated.time_zone, "Asia/Yekaterinburg");
    assert_eq!(updated.language, Language::En);
    assert_eq!(updated.updated_at, later);

    assert_eq!(store.set_role(ws.id, member.id, Role::Admin, later).await.unwrap().role, Role::Admin);
    store.set_password_hash(ws.id, member.id, "new-hash", later).await.unwrap();
    assert_eq!(store.get_user(ws.id, member.id).await.unwrap().password_hash, "new-hash");

    // Deactivation revokes every session in the same step; reactivation does not revive them.
    let s1 = session(&member, t0());
    let s2 = session(&member, t0());
    let keep = session(&owner, t0());
    store.create_session(&s1, &token(&s1, "h1")).await.unwrap();
    store.create_session(&s2, &token(&s2, "h2")).await.unwrap();
    store.create_session(&keep, &token(&keep, "h3")).await.unwrap();
    let off = store.set_deactivated(ws.id, member.id, Some(later), later).await.unwrap();
    assert_eq!(off.deactivated_at, Some(later));
    assert_eq!(store.get_session(s1.id).await.unwrap().revoked_at, Some(later));
    assert_eq!(store.get_session(s2.id).await.unwrap().revoked_at, Some(later));
    assert_eq!(store.get_session(keep.id).await.unwrap().revoked_at, None);
    let on = store.set_deactivated(ws.id, member.id, None, later).await.unwrap();
    assert!(on.is_active());
    assert!(store.list_sessions(ws.id, member.id, later).await.unwrap().is_empty());

    // Deactivated users sort after active ones.
    store.set_deactivated(ws.id, member.id, Some(later), later).await.unwrap();
    let order: Vec<Uuid> = store.list_users(ws.id).await.unwrap().iter().map(|u| u.id).collect();
    assert_eq!(order, vec![owner.id, member.id]);
}

async fn refresh_tokens_rotate_and_detect_reuse(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let s = session(&owner, t0());
    store.create_session(&s, &token(&s, "first")).await.unwrap();
    assert_eq!(store.get_session(s.id).await.unwrap(), s);

    let now = t0() + Duration::minutes(20);
    let exp = now + Duration::days(30);
    match store.rotate_refresh_token("first", "second", exp, now).await.unwrap() {
        RotateOutcome::Rotated(rotated) => {
            assert_eq!(rotated.id, s.id);
            assert_eq!(rotated.last_used_at, now);
        }
        other => panic!("expected rotation, got {other:?}"),
    }
    assert_eq!(store.rotate_refresh_token("unknown", "x", exp, now).await.unwrap(), RotateOutcome::Invalid);
    // "first" is spent: presenting it again revokes the family, "second" included.
    assert_eq!(
        store.rotate_refresh_token("first", "third", exp, now).await.unwrap(),
        RotateOutcome::Reused(s.id)
    );
    assert!(store.get_session(s.id).await.unwrap().revoked_at.is_some());
    assert_eq!(
        store.rotate_refresh_token("second", "fourth", exp, now).await.unwrap(),
        RotateOutcome::Invalid
    );
    assert!(store.list_sessions(ws.id, owner.id, now).await.unwrap().is_empty());

    // An expired session cannot be refreshed.
    let old = session(&owner, t0());
    store.create_session(&old, &token(&old, "old")).await.unwrap();
    let much_later = t0() + Duration::days(31);
    assert_eq!(
        store.rotate_refresh_token("old", "new", much_later + Duration::days(30), much_later).await.unwrap(),
        RotateOutcome::Invalid
    );
}

async fn concurrent_refresh_rotates_once(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (_ws, owner) = seeded(&store, "acme").await;
    let s = session(&owner, t0());
    store.create_session(&s, &token(&s, "shared")).await.unwrap();
    let now = t0() + Duration::minutes(1);
    let mut tasks = Vec::new();
    for i in 0..5 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.rotate_refresh_token("shared", &format!("next-{i}"), now + Duration::days(1), now).await
        }));
    }
    let mut rotated = 0;
    for t in tasks {
        if let RotateOutcome::Rotated(_) = t.await.unwrap().unwrap() {
            rotated += 1;
        }
    }
    assert_eq!(rotated, 1, "one token, one rotation");
}

async fn sessions_list_and_revoke(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, a_owner) = seeded(&store, "alpha").await;
    let (b, b_owner) = seeded(&store, "beta").await;
    let s1 = session(&a_owner, t0());
    let s2 = session(&a_owner, t0() + Duration::seconds(1));
    let sb = session(&b_owner, t0());
    for (s, h) in [(&s1, "a1"), (&s2, "a2"), (&sb, "b1")] {
        store.create_session(s, &token(s, h)).await.unwrap();
    }
    let now = t0() + Duration::minutes(1);
    let listed: Vec<Uuid> =
        store.list_sessions(a.id, a_owner.id, now).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, vec![s2.id, s1.id], "newest first");

    // Another workspace's session cannot be revoked through this user.
    assert!(matches!(store.revoke_session(a.id, a_owner.id, sb.id, now).await, Err(StoreError::NotFound(_))));
    assert!(store.get_session(sb.id).await.unwrap().revoked_at.is_none());

    store.revoke_session(a.id, a_owner.id, s1.id, now).await.unwrap();
    assert_eq!(store.list_sessions(a.id, a_owner.id, now).await.unwrap().len(), 1);
    assert_eq!(store.revoke_user_sessions(a.id, a_owner.id, now).await.unwrap(), 1);
    assert!(store.list_sessions(a.id, a_owner.id, now).await.unwrap().is_empty());
    assert_eq!(store.list_sessions(b.id, b_owner.id, now).await.unwrap().len(), 1);
}

async fn invites_are_used_once(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (other_ws, other_owner) = seeded(&store, "other").await;
    let inv = invite(&ws, &owner, "inv-1", Role::Member);
    store.create_invite(&inv).await.unwrap();
    assert_eq!(store.get_invite(ws.id, inv.id).await.unwrap(), inv);
    assert_eq!(store.find_invite_by_token_hash("inv-1").await.unwrap().id, inv.id);
    assert!(matches!(store.get_invite(other_ws.id, inv.id).await, Err(StoreError::NotFound(_))));
    let now = t0() + Duration::minutes(1);
    assert_eq!(store.list_pending_invites(ws.id, now).await.unwrap().len(), 1);
    assert!(store.list_pending_invites(other_ws.id, now).await.unwrap().is_empty());

    let newbie = user(&ws, "new@acme.test", Role::Member);
    store.accept_invite(inv.id, &newbie, now).await.unwrap();
    let used = store.get_invite(ws.id, inv.id).await.unwrap();
    assert_eq!((used.used_at, used.used_by), (Some(now), Some(newbie.id)));
    assert_eq!(store.get_user(ws.id, newbie.id).await.unwrap().role, Role::Member);
    assert!(store.list_pending_invites(ws.id, now).await.unwrap().is_empty());

    // Second use: refused, and no second user appears.
    let again = user(&ws, "again@acme.test", Role::Member);
    let err = store.accept_invite(inv.id, &again, now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("invite use")), "{err:?}");
    assert!(matches!(store.get_user(ws.id, again.id).await, Err(StoreError::NotFound(_))));

    // Expired and revoked invites cannot be used either.
    let expiring = invite(&ws, &owner, "inv-2", Role::Guest);
    store.create_invite(&expiring).await.unwrap();
    let late = t0() + Duration::hours(25);
    let err =
        store.accept_invite(expiring.id, &user(&ws, "late@acme.test", Role::Guest), late).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("invite use")), "{err:?}");
    let revoked = invite(&ws, &owner, "inv-3", Role::Guest);
    store.create_invite(&revoked).await.unwrap();
    assert!(matches!(store.revoke_invite(other_ws.id, revoked.id, now).await, Err(StoreError::NotFound(_))));
    store.revoke_invite(ws.id, revoked.id, now).await.unwrap();
    assert!(matches!(store.revoke_invite(ws.id, revoked.id, now).await, Err(StoreError::NotFound(_))));
    let err = store.accept_invite(revoked.id, &user(&ws, "r@acme.test", Role::Guest), now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    // An invite whose e-mail is taken in the workspace leaves the invite usable.
    let fresh = invite(&ws, &owner, "inv-4", Role::Member);
    store.create_invite(&fresh).await.unwrap();
    let dup = user(&ws, "new@acme.test", Role::Member);
    assert!(matches!(store.accept_invite(fresh.id, &dup, now).await, Err(StoreError::Conflict("user"))));
    assert!(store.get_invite(ws.id, fresh.id).await.unwrap().used_at.is_none());
    let _ = other_owner;
}

async fn rate_limits_hold_exactly_across_nodes(backend: Backend) {
    let (store, db) = open(backend).await;
    // A second store on the same database: another node of a cluster.
    let other = artel_store::connect(&db.store_config()).await.expect("second node");
    let t = t0();
    let since = t - Duration::minutes(1);
    let limit = |bucket, max| RateLimit { bucket, max, since };

    // 100 racing hits from two nodes against a limit of 60: exactly 60 counted.
    let decisions = join_all((0..100).map(|i| {
        let s = if i % 2 == 0 { store.clone() } else { other.clone() };
        async move { s.take_rate_limit(&[limit("hook:a", 60)], t).await.expect("take") }
    }))
    .await;
    let taken = decisions.iter().filter(|d| **d == RateDecision::Taken).count();
    assert_eq!(taken, 60, "{decisions:?}");
    assert!(decisions
        .iter()
        .all(|d| *d == RateDecision::Taken || *d == RateDecision::Refused { limit: 0, oldest: t }));
    assert_eq!(other.rate_limit_hits("hook:a", since).await.expect("hits"), (60, Some(t)));

    // All or none: when the second limit is full, the first counts nothing.
    let both = [limit("login:email:x", 5), limit("login:ip:1", 1)];
    assert_eq!(store.take_rate_limit(&both, t).await.expect("take"), RateDecision::Taken);
    let refused = store.take_rate_limit(&both, t + Duration::seconds(1)).await.expect("take");
    assert_eq!(refused, RateDecision::Refused { limit: 1, oldest: t });
    assert_eq!(store.rate_limit_hits("login:email:x", since).await.expect("hits").0, 1);

    // Refund takes back one hit, clear all of a bucket's.
    store.refund_rate_limit("login:ip:1").await.expect("refund");
    assert_eq!(store.rate_limit_hits("login:ip:1", since).await.expect("hits").0, 0);
    store.clear_rate_limit("hook:a").await.expect("clear");
    assert_eq!(store.rate_limit_hits("hook:a", since).await.expect("hits").0, 0);

    // A sliding window: hits at or before `since` no longer count.
    let later = t + Duration::seconds(61);
    let window = [RateLimit { bucket: "login:email:x", max: 1, since: t }];
    assert_eq!(other.take_rate_limit(&window, later).await.expect("take"), RateDecision::Taken);
    assert_eq!(other.rate_limit_hits("login:email:x", since).await.expect("hits"), (1, Some(later)));
    assert_eq!(store.prune_rate_limits(later).await.expect("prune"), 1);
    assert_eq!(store.rate_limit_hits("login:email:x", since).await.expect("hits").0, 0);
    other.close().await;
    store.close().await;
}

async fn engine_and_ping(backend: Backend) {
    let (store, _db) = open(backend).await;
    store.ping().await.unwrap();
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(store.engine(), expected);
    // Migrations are idempotent: opening again on the same database works.
    let again = artel_store::connect(&_db.store_config()).await.expect("reopen");
    again.ping().await.unwrap();
    again.close().await;
    store.close().await;
}

on_every_backend!(
    workspaces_and_first_run,
    first_run_is_race_free,
    users_are_scoped_to_their_workspace,
    user_updates,
    refresh_tokens_rotate_and_detect_reuse,
    concurrent_refresh_rotates_once,
    sessions_list_and_revoke,
    invites_are_used_once,
    rate_limits_hold_exactly_across_nodes,
    engine_and_ping,
);
