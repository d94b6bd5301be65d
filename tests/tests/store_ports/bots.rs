//! `BotStore`: bot users and their API tokens (a cap on live tokens held
//! atomically, lookup by the secret's hash, revocation, throttled use marks).

use artel_core::bot::{ApiToken, Scope};
use artel_core::user::{Role, User};
use artel_core::StoreError;
use artel_tests::{on_every_backend, Backend};
use futures_util::future::join_all;
use uuid::Uuid;

use crate::support::{add_user, assert_err, at, open, seeded, user};

fn bot(ws: &artel_core::workspace::Workspace, name: &str) -> User {
    User {
        name: name.into(),
        bot: true,
        ..user(ws, &format!("bot-{}@bots.{}.test", Uuid::now_v7().simple(), ws.slug), Role::Member)
    }
}

fn token(b: &User, by: &User, name: &str, created: i64) -> ApiToken {
    ApiToken {
        id: Uuid::now_v7(),
        workspace_id: b.workspace_id,
        user_id: b.id,
        name: name.into(),
        token_hash: format!("sha256-{}", Uuid::now_v7()),
        scopes: vec![Scope::MessagesRead, Scope::CrmWrite],
        created_by: Some(by.id),
        created_at: at(created),
        last_used_at: None,
        revoked_at: None,
    }
}

async fn bots_are_users_of_their_workspace(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, _) = seeded(&store, "beta").await;

    // Listed active first, then by name whatever its case or script, then id.
    let names = ["Яша", "арбуз", "Бот", "zeta", "Alpha", "Ель"];
    let mut bots = Vec::new();
    for n in names {
        let x = bot(&a, n);
        store.create_bot(&x).await.unwrap();
        bots.push(x);
    }
    let listed = |v: Vec<User>| v.into_iter().map(|u| u.name).collect::<Vec<_>>();
    assert_eq!(listed(store.list_bots(a.id).await.unwrap()), ["Alpha", "zeta", "арбуз", "Бот", "Ель", "Яша"]);
    assert_eq!(store.list_bots(a.id).await.unwrap()[0], bots[4], "round trip is exact");
    store.set_deactivated(a.id, bots[4].id, Some(at(5)), at(5)).await.unwrap();
    assert_eq!(listed(store.list_bots(a.id).await.unwrap()), ["zeta", "арбуз", "Бот", "Ель", "Яша", "Alpha"]);
    assert!(store.list_bots(b.id).await.unwrap().is_empty());
    assert!(!store.list_bots(a.id).await.unwrap().iter().any(|u| u.id == owner.id), "people are not bots");

    // Refused: a person through the bot door, an address taken in the workspace.
    assert!(matches!(
        store.create_bot(&user(&a, "person@x.test", Role::Member)).await,
        Err(StoreError::Backend(_))
    ));
    let twin = User { id: Uuid::now_v7(), ..bots[0].clone() };
    assert_err(store.create_bot(&twin).await, StoreError::Conflict("user"));
    store.create_bot(&User { id: Uuid::now_v7(), workspace_id: b.id, ..bots[0].clone() }).await.unwrap();

    // Renaming: bots of the workspace only.
    let renamed = store.rename_bot(a.id, bots[0].id, "Яков", at(9)).await.unwrap();
    assert_eq!(renamed, User { name: "Яков".into(), updated_at: at(9), ..bots[0].clone() });
    assert_err(store.rename_bot(a.id, owner.id, "Bot?", at(9)).await, StoreError::NotFound("bot"));
    assert_err(store.rename_bot(b.id, bots[1].id, "Hijack", at(9)).await, StoreError::NotFound("bot"));
    assert_err(store.rename_bot(a.id, Uuid::now_v7(), "Nobody", at(9)).await, StoreError::NotFound("bot"));
    assert_eq!(store.get_user(a.id, owner.id).await.unwrap(), owner);
}

async fn tokens_capped_found_revoked_and_touched(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let sync = bot(&a, "sync");
    let other = bot(&a, "other");
    store.create_bot(&sync).await.unwrap();
    store.create_bot(&other).await.unwrap();

    let t1 = token(&sync, &owner, "first", 0);
    let t2 = ApiToken { scopes: vec![], created_by: None, ..token(&sync, &owner, "второй", 10) };
    store.create_api_token(&t1, 2).await.unwrap();
    store.create_api_token(&t2, 2).await.unwrap();
    store.create_api_token(&token(&other, &owner, "theirs", 5), 2).await.unwrap();
    // The cap counts live tokens of that bot.
    let t3 = token(&sync, &owner, "third", 20);
    assert!(matches!(store.create_api_token(&t3, 2).await, Err(StoreError::Invalid { field: "tokens", .. })));
    assert_err(
        store.create_api_token(&token(&sync, &owner, "none allowed", 20), 0).await,
        StoreError::Invalid {
            field: "tokens",
            reason: "this bot holds the most live tokens allowed; revoke one first",
        },
    );
    // Only for a bot of the token's workspace; a secret's hash is unique.
    let person = add_user(&store, &a, "person").await;
    assert_err(store.create_api_token(&token(&person, &owner, "p", 0), 9).await, StoreError::NotFound("bot"));
    assert_err(
        store.create_api_token(&ApiToken { workspace_id: b.id, ..token(&sync, &stranger, "x", 0) }, 9).await,
        StoreError::NotFound("bot"),
    );
    assert_err(
        store.create_api_token(&ApiToken { token_hash: t1.token_hash.clone(), ..t3.clone() }, 9).await,
        StoreError::Conflict("api_token"),
    );

    // Listed newest first, revoked ones too; found by hash from anywhere.
    assert_eq!(store.list_api_tokens(a.id, sync.id).await.unwrap(), vec![t2.clone(), t1.clone()]);
    assert!(store.list_api_tokens(b.id, sync.id).await.unwrap().is_empty());
    assert!(store.list_api_tokens(a.id, person.id).await.unwrap().is_empty());
    assert_eq!(store.find_api_token(&t2.token_hash).await.unwrap(), t2);
    assert_err(store.find_api_token("sha256-unknown").await, StoreError::NotFound("api_token"));

    // Revoking: by the bot's workspace and id only; the first time sticks; the
    // revoked token frees a place under the cap.
    assert_err(store.revoke_api_token(b.id, sync.id, t1.id, at(30)).await, StoreError::NotFound("api_token"));
    assert_err(
        store.revoke_api_token(a.id, other.id, t1.id, at(30)).await,
        StoreError::NotFound("api_token"),
    );
    assert_err(
        store.revoke_api_token(a.id, sync.id, Uuid::now_v7(), at(30)).await,
        StoreError::NotFound("api_token"),
    );
    let revoked = ApiToken { revoked_at: Some(at(30)), ..t1.clone() };
    assert_eq!(store.revoke_api_token(a.id, sync.id, t1.id, at(30)).await.unwrap(), revoked);
    assert_eq!(store.revoke_api_token(a.id, sync.id, t1.id, at(40)).await.unwrap(), revoked);
    assert_eq!(
        store.find_api_token(&t1.token_hash).await.unwrap(),
        revoked,
        "still found, to answer 'revoked'"
    );
    store.create_api_token(&t3, 2).await.unwrap();
    assert_eq!(store.list_api_tokens(a.id, sync.id).await.unwrap(), vec![t3.clone(), t2.clone(), revoked]);

    // Use marks: written only when the last one is older than `not_since`.
    store.touch_api_token(t2.id, at(100), at(40)).await.unwrap();
    assert_eq!(store.find_api_token(&t2.token_hash).await.unwrap().last_used_at, Some(at(100)));
    store.touch_api_token(t2.id, at(130), at(100)).await.unwrap();
    assert_eq!(
        store.find_api_token(&t2.token_hash).await.unwrap().last_used_at,
        Some(at(100)),
        "not older: kept"
    );
    store.touch_api_token(t2.id, at(170), at(101)).await.unwrap();
    assert_eq!(store.find_api_token(&t2.token_hash).await.unwrap().last_used_at, Some(at(170)));
    store.touch_api_token(Uuid::now_v7(), at(170), at(101)).await.unwrap();
    assert_eq!(store.find_api_token(&t3.token_hash).await.unwrap().last_used_at, None);
}

async fn the_token_cap_holds_under_concurrency(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let sync = bot(&a, "sync");
    store.create_bot(&sync).await.unwrap();
    let results = join_all((0..8).map(|i| {
        let store = store.clone();
        let t = token(&sync, &owner, &format!("t{i}"), i);
        tokio::spawn(async move { store.create_api_token(&t, 3).await })
    }))
    .await;
    let ok = results.iter().filter(|r| matches!(r, Ok(Ok(())))).count();
    let capped =
        results.iter().filter(|r| matches!(r, Ok(Err(StoreError::Invalid { field: "tokens", .. })))).count();
    assert_eq!((ok, capped), (3, 5), "{results:?}");
    assert_eq!(store.list_api_tokens(a.id, sync.id).await.unwrap().len(), 3);
}

on_every_backend!(
    bots_are_users_of_their_workspace,
    tokens_capped_found_revoked_and_touched,
    the_token_cap_holds_under_concurrency
);
