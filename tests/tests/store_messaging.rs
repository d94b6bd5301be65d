//! The `ChatStore` / `MessageStore` contract: chats, members, read marks, messages,
//! threads, edits, reactions, pins and the gap-free event log, run against SQLite
//! and Postgres. Whatever one engine does, the other must do too.

use std::collections::HashSet;
use std::sync::Arc;

use artel_core::attachment::{Attachment, ChatFileCursor};
use artel_core::chat::{Chat, ChatKind, ChatMember, ChatPatch, MemberRole};
use artel_core::crm::task::TaskPriority;
use artel_core::event::{ChatChange, ChatEvent};
use artel_core::message::{HistoryPage, Message, MessageKind, NewMessage, SendContextRequest};
use artel_core::notice::Notice;
use artel_core::user::{Language, Role, User};
use artel_core::workspace::Workspace;
use artel_core::{Store, StoreError};
use artel_tests::{on_every_backend, Backend, Database};
use chrono::{DateTime, Duration, TimeZone, Utc};
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

fn chat_value(ws: &Workspace, by: &User, kind: ChatKind, name: Option<&str>, private: bool) -> Chat {
    Chat {
        id: Uuid::now_v7(),
        workspace_id: ws.id,
        kind,
        name: name.map(Into::into),
        description: String::new(),
        is_private: private,
        direct_key: None,
        entity: None,
        created_by: by.id,
        created_at: t0(),
        updated_at: t0(),
        archived_at: None,
        last_seq: 0,
        last_activity_at: t0(),
    }
}

fn member(chat: &Chat, user: &User, role: MemberRole) -> ChatMember {
    ChatMember { chat_id: chat.id, user_id: user.id, role, joined_at: t0(), last_read_seq: 0 }
}

/// A public channel owned by `by` with `others` as members, stored.
async fn channel(store: &Arc<dyn Store>, ws: &Workspace, by: &User, name: &str, others: &[&User]) -> Chat {
    let chat = chat_value(ws, by, ChatKind::Channel, Some(name), false);
    let mut members = vec![member(&chat, by, MemberRole::Owner)];
    members.extend(others.iter().map(|u| member(&chat, u, MemberRole::Member)));
    store.create_chat(&chat, &members).await.expect("create chat");
    store.get_chat(ws.id, chat.id).await.expect("get chat")
}

fn msg(chat: &Chat, author: Option<&User>, body: &str) -> NewMessage {
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

/// Appends one message that must be new; returns it.
async fn send(store: &Arc<dyn Store>, m: NewMessage) -> Message {
    let mut out = store.append_messages(&[m]).await.expect("append");
    let appended = out.remove(0);
    let event = appended.event.expect("a new message has an event");
    assert_eq!(event.seq, appended.message.seq, "the message's seq is its event's seq");
    assert_eq!(event.change, ChatChange::MessageCreated { message: appended.message.clone() });
    appended.message
}

fn seqs(events: &[ChatEvent]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

fn bodies(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.body.as_str()).collect()
}

async fn chats_are_created_read_and_updated(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;

    let chat = chat_value(&ws, &owner, ChatKind::Channel, Some("general"), false);
    let event = store
        .create_chat(
            &chat,
            &[member(&chat, &owner, MemberRole::Owner), member(&chat, &anna, MemberRole::Member)],
        )
        .await
        .unwrap();
    let created = Chat { last_seq: 1, ..chat.clone() };
    assert_eq!(event.seq, 1);
    assert_eq!((event.workspace_id, event.chat_id, event.created_at), (ws.id, chat.id, t0()));
    assert_eq!(event.change, ChatChange::ChatUpdated { chat: created.clone() });
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap(), created, "round trip is exact");

    // Rename, re-describe: one event each, the returned chat is the stored one.
    let patch =
        ChatPatch { name: Some("main".into()), description: Some("Everything".into()), archived_at: None };
    let (renamed, ev) = store.update_chat(ws.id, chat.id, &patch, at(10)).await.unwrap();
    assert_eq!(renamed.name.as_deref(), Some("main"));
    assert_eq!(renamed.description, "Everything");
    assert_eq!((renamed.updated_at, renamed.last_seq), (at(10), 2));
    assert_eq!((ev.seq, ev.created_at), (2, at(10)));
    assert_eq!(ev.change, ChatChange::ChatUpdated { chat: renamed.clone() });
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap(), renamed);

    // A patch with only a description keeps the name.
    let patch = ChatPatch { description: Some("".into()), ..Default::default() };
    let (c, _) = store.update_chat(ws.id, chat.id, &patch, at(11)).await.unwrap();
    assert_eq!((c.name.as_deref(), c.description.as_str(), c.last_seq), (Some("main"), "", 3));

    // Browse: public, unarchived channels by name; private and archived ones hidden.
    let zeta = channel(&store, &ws, &owner, "Zeta", &[]).await;
    let alpha = channel(&store, &ws, &owner, "alpha", &[]).await;
    let secret = chat_value(&ws, &owner, ChatKind::Channel, Some("secret"), true);
    store.create_chat(&secret, &[member(&secret, &owner, MemberRole::Owner)]).await.unwrap();
    let group = chat_value(&ws, &owner, ChatKind::Group, Some("group"), true);
    store.create_chat(&group, &[member(&group, &owner, MemberRole::Owner)]).await.unwrap();
    let names = |cs: Vec<Chat>| cs.into_iter().map(|c| c.name.unwrap_or_default()).collect::<Vec<_>>();
    assert_eq!(names(store.list_public_channels(ws.id).await.unwrap()), vec!["alpha", "main", "Zeta"]);

    let archive = ChatPatch { archived_at: Some(Some(at(20))), ..Default::default() };
    let (archived, _) = store.update_chat(ws.id, chat.id, &archive, at(20)).await.unwrap();
    assert_eq!(archived.archived_at, Some(at(20)));
    assert!(archived.is_archived());
    assert_eq!(names(store.list_public_channels(ws.id).await.unwrap()), vec!["alpha", "Zeta"]);
    let unarchive = ChatPatch { archived_at: Some(None), ..Default::default() };
    let (back, _) = store.update_chat(ws.id, chat.id, &unarchive, at(21)).await.unwrap();
    assert_eq!((back.archived_at, back.last_seq), (None, 5));
    assert_eq!(names(store.list_public_channels(ws.id).await.unwrap()), vec!["alpha", "main", "Zeta"]);

    // Every change is in the log, decoded back as it was returned.
    let events = store.events_since(ws.id, chat.id, 0, 100).await.unwrap();
    assert_eq!(seqs(&events), vec![1, 2, 3, 4, 5]);
    assert_eq!(events[0], event);
    assert_eq!(events[1], ev);
    assert!(events.iter().all(|e| matches!(e.change, ChatChange::ChatUpdated { .. })));
    assert_eq!(zeta.last_seq, 1);
    assert_eq!(alpha.last_seq, 1);

    // Unknown chats.
    let nobody = Uuid::now_v7();
    assert!(matches!(store.get_chat(ws.id, nobody).await, Err(StoreError::NotFound("chat"))));
    assert!(matches!(
        store.update_chat(ws.id, nobody, &ChatPatch::default(), at(30)).await,
        Err(StoreError::NotFound("chat"))
    ));

    // A member who is not a user of the workspace is refused, and nothing is left behind.
    let ghost = user(&ws, "ghost@acme.test", Role::Member);
    let lonely = chat_value(&ws, &owner, ChatKind::Group, Some("g2"), true);
    let err = store
        .create_chat(
            &lonely,
            &[member(&lonely, &owner, MemberRole::Owner), member(&lonely, &ghost, MemberRole::Member)],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("user")), "{err:?}");
    assert!(matches!(store.get_chat(ws.id, lonely.id).await, Err(StoreError::NotFound("chat"))));
}

async fn direct_chats_are_unique_per_pair(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (other_ws, other_owner) = seeded(&store, "other").await;
    let anna = add_user(&store, &ws, "anna").await;

    let key = Chat::direct_key_for(anna.id, owner.id);
    assert_eq!(key, Chat::direct_key_for(owner.id, anna.id));
    assert!(store.find_direct_chat(ws.id, &key).await.unwrap().is_none());
    let direct = |ws: &Workspace, by: &User| Chat {
        direct_key: Some(key.clone()),
        entity: None,
        ..chat_value(ws, by, ChatKind::Direct, None, true)
    };
    let dm = direct(&ws, &owner);
    store
        .create_chat(&dm, &[member(&dm, &owner, MemberRole::Member), member(&dm, &anna, MemberRole::Member)])
        .await
        .unwrap();
    let found = store.find_direct_chat(ws.id, &key).await.unwrap().expect("direct chat");
    assert_eq!(found.id, dm.id);
    assert_eq!((found.kind, found.name.clone(), found.last_seq), (ChatKind::Direct, None, 1));

    // The same pair again: refused, whoever starts it, and nothing half-made stays.
    let again = direct(&ws, &anna);
    let err = store.create_chat(&again, &[member(&again, &anna, MemberRole::Member)]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("direct chat")), "{err:?}");
    assert!(matches!(store.get_chat(ws.id, again.id).await, Err(StoreError::NotFound(_))));

    // Keys are per workspace.
    assert!(store.find_direct_chat(other_ws.id, &key).await.unwrap().is_none());
    let elsewhere = direct(&other_ws, &other_owner);
    store.create_chat(&elsewhere, &[member(&elsewhere, &other_owner, MemberRole::Member)]).await.unwrap();
    assert_eq!(store.find_direct_chat(other_ws.id, &key).await.unwrap().unwrap().id, elsewhere.id);
    assert_eq!(store.find_direct_chat(ws.id, &key).await.unwrap().unwrap().id, dm.id);
}

async fn members_join_leave_and_change_roles(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (other_ws, stranger) = seeded(&store, "other").await;
    let anna = add_user(&store, &ws, "anna").await;
    let boris = add_user(&store, &ws, "boris").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    send(&store, msg(&chat, Some(&owner), "before boris")).await; // seq 2

    let ev = store
        .add_member(ws.id, chat.id, boris.id, MemberRole::Admin, Some(owner.id), at(5))
        .await
        .unwrap()
        .expect("added");
    assert_eq!((ev.seq, ev.created_at, ev.chat_id, ev.workspace_id), (3, at(5), chat.id, ws.id));
    assert_eq!(
        ev.change,
        ChatChange::MemberAdded { user_id: boris.id, role: MemberRole::Admin, by: Some(owner.id) }
    );
    let m = store.get_member(ws.id, chat.id, boris.id).await.unwrap().expect("member");
    assert_eq!(
        m,
        ChatMember {
            chat_id: chat.id,
            user_id: boris.id,
            role: MemberRole::Admin,
            joined_at: at(5),
            last_read_seq: 3
        }
    );
    // A newcomer has nothing unread from before joining.
    let mine = store.list_my_chats(ws.id, boris.id).await.unwrap();
    assert_eq!((mine.len(), mine[0].unread_count), (1, 0));

    // Adding again changes nothing and takes no seq.
    assert!(store
        .add_member(ws.id, chat.id, boris.id, MemberRole::Member, None, at(6))
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.get_member(ws.id, chat.id, boris.id).await.unwrap().unwrap().role, MemberRole::Admin);
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, 3);

    let listed: Vec<Uuid> =
        store.list_members(ws.id, chat.id).await.unwrap().iter().map(|m| m.user_id).collect();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[2], boris.id, "by join time");
    assert!(listed[..2].contains(&owner.id) && listed[..2].contains(&anna.id));
    assert_eq!(store.member_chat_ids(ws.id, boris.id).await.unwrap(), vec![chat.id]);
    assert_eq!(
        store.member_chat_names(ws.id, boris.id).await.unwrap(),
        vec![(chat.id, "general".to_string())]
    );
    assert!(
        store.member_chat_names(other_ws.id, boris.id).await.unwrap().is_empty(),
        "scoped to the workspace"
    );

    let m = store.set_member_role(ws.id, chat.id, boris.id, MemberRole::Member).await.unwrap();
    assert_eq!(m.role, MemberRole::Member);
    assert_eq!(store.get_member(ws.id, chat.id, boris.id).await.unwrap().unwrap(), m);

    let ev = store.remove_member(ws.id, chat.id, boris.id, None, at(7)).await.unwrap().expect("removed");
    assert_eq!(ev.seq, 4);
    assert_eq!(ev.change, ChatChange::MemberRemoved { user_id: boris.id, by: None });
    assert!(store.get_member(ws.id, chat.id, boris.id).await.unwrap().is_none());
    assert!(store.member_chat_ids(ws.id, boris.id).await.unwrap().is_empty());
    assert!(store.list_my_chats(ws.id, boris.id).await.unwrap().is_empty());
    assert!(
        store.member_chat_names(ws.id, boris.id).await.unwrap().is_empty(),
        "a removed member's chats are gone"
    );
    assert!(store.remove_member(ws.id, chat.id, boris.id, None, at(8)).await.unwrap().is_none());
    assert!(matches!(
        store.set_member_role(ws.id, chat.id, boris.id, MemberRole::Admin).await,
        Err(StoreError::NotFound("member"))
    ));
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, 4);

    // Users of another workspace cannot be added; unknown chats are NotFound.
    let err =
        store.add_member(ws.id, chat.id, stranger.id, MemberRole::Member, None, at(9)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound("user")), "{err:?}");
    let nobody = Uuid::now_v7();
    assert!(matches!(
        store.add_member(ws.id, nobody, anna.id, MemberRole::Member, None, at(9)).await,
        Err(StoreError::NotFound("chat"))
    ));
    assert!(matches!(
        store.remove_member(ws.id, nobody, anna.id, None, at(9)).await,
        Err(StoreError::NotFound("chat"))
    ));
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, 4, "failed calls take no seq");

    let events = store.events_since(ws.id, chat.id, 2, 10).await.unwrap();
    assert_eq!(seqs(&events), vec![3, 4]);
    let _ = other_ws;
}

async fn seq_is_gap_free_across_mixed_events(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let boris = add_user(&store, &ws, "boris").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await; // 1
    let mut returned: Vec<ChatEvent> = store.events_since(ws.id, chat.id, 0, 10).await.unwrap();

    let appended = store.append_messages(&[msg(&chat, Some(&owner), "hello")]).await.unwrap(); // 2
    let hello = appended[0].message.clone();
    returned.push(appended[0].event.clone().unwrap());
    returned.push(
        store.add_member(ws.id, chat.id, boris.id, MemberRole::Member, None, at(1)).await.unwrap().unwrap(),
    ); // 3
    returned.push(store.add_reaction(ws.id, hello.id, anna.id, "👍", at(2)).await.unwrap().unwrap()); // 4
    assert!(store.add_reaction(ws.id, hello.id, anna.id, "👍", at(2)).await.unwrap().is_none());
    returned.push(store.edit_message(ws.id, hello.id, "hello!", &[], false, at(3)).await.unwrap().1); // 5
    returned.push(store.set_pinned(ws.id, hello.id, owner.id, true, at(4)).await.unwrap().unwrap()); // 6
    assert!(store.set_pinned(ws.id, hello.id, owner.id, true, at(4)).await.unwrap().is_none());
    returned.push(store.set_pinned(ws.id, hello.id, owner.id, false, at(5)).await.unwrap().unwrap()); // 7
    returned.push(store.remove_reaction(ws.id, hello.id, anna.id, "👍", at(6)).await.unwrap().unwrap()); // 8
    assert!(store.remove_reaction(ws.id, hello.id, anna.id, "👍", at(6)).await.unwrap().is_none());
    let second = send(&store, msg(&chat, Some(&anna), "second")).await; // 9
    returned.push(store.events_since(ws.id, chat.id, 8, 1).await.unwrap().remove(0));
    returned.push(store.delete_message(ws.id, second.id, at(7)).await.unwrap().1); // 10
    let patch = ChatPatch { name: Some("renamed".into()), ..Default::default() };
    returned.push(store.update_chat(ws.id, chat.id, &patch, at(8)).await.unwrap().1); // 11
    returned
        .push(store.remove_member(ws.id, chat.id, boris.id, Some(owner.id), at(9)).await.unwrap().unwrap()); // 12
    assert!(store.remove_member(ws.id, chat.id, boris.id, None, at(9)).await.unwrap().is_none());

    assert_eq!(seqs(&returned), (1..=12).collect::<Vec<_>>(), "returned events are numbered without gaps");
    // Deleting scrubbed the content from the deleted message's earlier event.
    if let ChatChange::MessageCreated { message } = &mut returned[8].change {
        message.body.clear();
        message.deleted_at = Some(at(7));
    }
    let stored = store.events_since(ws.id, chat.id, 0, 100).await.unwrap();
    assert_eq!(stored, returned, "the log holds exactly the returned events, decoded, in order");
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, 12);
    assert!(
        matches!(stored[6].change, ChatChange::MessageUnpinned { message_id, by } if message_id == hello.id && by == owner.id)
    );
    assert!(
        matches!(&stored[3].change, ChatChange::ReactionAdded { emoji, user_id, .. } if emoji == "👍" && *user_id == anna.id)
    );
    assert!(
        matches!(stored[9].change, ChatChange::MessageDeleted { message_id, thread_root_id: None } if message_id == second.id)
    );

    // Paging the log.
    assert_eq!(seqs(&store.events_since(ws.id, chat.id, 5, 3).await.unwrap()), vec![6, 7, 8]);
    assert!(store.events_since(ws.id, chat.id, 12, 10).await.unwrap().is_empty());
    assert!(store.events_since(ws.id, chat.id, 0, 0).await.unwrap().is_empty());
}

async fn append_is_idempotent_per_author_key(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let other = channel(&store, &ws, &owner, "other", &[&anna]).await;

    let keyed = |chat: &Chat, author: &User, body: &str, key: &str| NewMessage {
        client_msg_id: Some(key.into()),
        ..msg(chat, Some(author), body)
    };
    // One batch: two chats, a repeated key, a keyless message; results in input order.
    let batch = vec![
        keyed(&chat, &owner, "first", "k1"),
        keyed(&other, &anna, "elsewhere", "ka"),
        keyed(&chat, &owner, "first again", "k1"),
        msg(&chat, Some(&owner), "no key"),
        keyed(&chat, &anna, "anna's k1", "k1"),
    ];
    let out = store.append_messages(&batch).await.unwrap();
    assert_eq!(out.len(), 5);
    assert_eq!(out[0].message.seq, 2);
    assert_eq!((out[0].message.body.as_str(), out[0].message.id), ("first", batch[0].id));
    assert!(out[0].event.is_some());
    assert_eq!((out[1].message.chat_id, out[1].message.seq), (other.id, 2));
    assert_eq!(out[2].message, out[0].message, "a repeated key in one batch yields the first message");
    assert!(out[2].event.is_none());
    assert_eq!((out[3].message.seq, out[3].message.client_msg_id.clone()), (3, None));
    assert_eq!(out[4].message.seq, 4, "keys are per author");
    assert_eq!(out[4].message.author_id, Some(anna.id));
    assert!(matches!(store.get_message(ws.id, batch[2].id).await, Err(StoreError::NotFound("message"))));
    for a in out.iter().filter(|a| a.event.is_some()) {
        assert_eq!(a.event.as_ref().unwrap().seq, a.message.seq);
    }

    // Across batches: the retry returns the stored message and writes nothing.
    let retry = keyed(&chat, &owner, "first, retried", "k1");
    let again = store.append_messages(&[retry.clone(), keyed(&chat, &owner, "fresh", "k2")]).await.unwrap();
    assert_eq!(again[0].message, store.get_message(ws.id, batch[0].id).await.unwrap());
    assert!(again[0].event.is_none());
    assert_eq!(again[1].message.seq, 5, "a duplicate takes no seq");
    assert!(matches!(store.get_message(ws.id, retry.id).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, 5);
    assert_eq!(seqs(&store.events_since(ws.id, chat.id, 0, 100).await.unwrap()), vec![1, 2, 3, 4, 5]);

    // The stored message is returned as it is now (edited), not as the retry says.
    store.edit_message(ws.id, batch[0].id, "edited", &[], false, at(1)).await.unwrap();
    let third = store.append_messages(&[retry]).await.unwrap();
    assert_eq!((third[0].message.body.as_str(), third[0].event.is_none()), ("edited", true));

    // A key is the author's, whatever the chat: the retry finds the message where it is.
    let moved = store.append_messages(&[keyed(&chat, &anna, "elsewhere, retried", "ka")]).await.unwrap();
    assert_eq!(
        (moved[0].message.id, moved[0].message.chat_id, moved[0].event.is_none()),
        (batch[1].id, other.id, true)
    );

    let found = store.find_by_client_msg_id(ws.id, owner.id, "k1").await.unwrap().expect("found");
    assert_eq!(found.id, batch[0].id);
    assert_eq!(found.client_msg_id.as_deref(), Some("k1"));
    assert!(store.find_by_client_msg_id(ws.id, owner.id, "nope").await.unwrap().is_none());
    assert!(store.append_messages(&[]).await.unwrap().is_empty());

    // System messages (no author) are never de-duplicated by key.
    let sys = |body: &str| NewMessage { client_msg_id: Some("sys".into()), ..msg(&chat, None, body) };
    let out = store.append_messages(&[sys("a"), sys("b")]).await.unwrap();
    assert!(out.iter().all(|a| a.event.is_some()));
    assert_ne!(out[0].message.id, out[1].message.id);
}

/// What a send is checked against comes in one read: the chat, the author's
/// membership and the author's earlier message with the key (wherever it went).
async fn send_context_reads_chat_membership_and_key(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (_other_ws, stranger) = seeded(&store, "other").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let other = channel(&store, &ws, &owner, "other", &[]).await;

    let ctx = store.send_context(ws.id, chat.id, anna.id, None).await.unwrap();
    assert_eq!(ctx.chat.map(|c| c.id), Some(chat.id));
    assert!(ctx.member.is_some());
    assert_eq!(ctx.member, store.get_member(ws.id, chat.id, anna.id).await.unwrap());
    assert!(ctx.existing.is_none());
    let ctx = store.send_context(ws.id, other.id, anna.id, Some("k1")).await.unwrap();
    assert!(ctx.chat.is_some() && ctx.member.is_none() && ctx.existing.is_none(), "not a member");

    let keyed = NewMessage { client_msg_id: Some("k1".into()), ..msg(&chat, Some(&anna), "hi") };
    let sent = send(&store, keyed).await;
    for target in [chat.id, other.id, Uuid::now_v7()] {
        let ctx = store.send_context(ws.id, target, anna.id, Some("k1")).await.unwrap();
        assert_eq!(ctx.existing.as_ref(), Some(&sent), "the key is found from any chat id");
    }
    assert!(store.send_context(ws.id, chat.id, owner.id, Some("k1")).await.unwrap().existing.is_none());
    store.remove_member(ws.id, chat.id, anna.id, Some(owner.id), at(3)).await.unwrap();
    assert!(store.send_context(ws.id, chat.id, anna.id, None).await.unwrap().member.is_none(), "removed");
    let ctx = store.send_context(stranger.workspace_id, chat.id, stranger.id, None).await.unwrap();
    assert!(ctx.chat.is_none() && ctx.member.is_none(), "another workspace's chat is not found");
}

/// One batch over more chats and messages than one statement takes, with a
/// thread root and its reply and mentions: every message gets its chat's next
/// seq in batch order, the reply counts, the chats' activity moves forward.
async fn one_batch_spans_many_chats_threads_and_mentions(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let mut chats = Vec::new();
    for i in 0..150 {
        chats.push(channel(&store, &ws, &owner, &format!("c{i}"), &[&anna]).await);
    }
    let root = msg(&chats[0], Some(&owner), "root");
    let reply = NewMessage {
        thread_root_id: Some(root.id),
        created_at: at(700),
        ..msg(&chats[0], Some(&anna), "reply")
    };
    let mut batch = vec![root.clone(), reply];
    for (i, c) in chats.iter().enumerate() {
        batch.push(NewMessage {
            created_at: at(i as i64),
            client_msg_id: Some(format!("k{i}")),
            mentions: vec![owner.id],
            ..msg(c, Some(&anna), "a")
        });
        batch.push(msg(c, Some(&owner), "b"));
    }
    let out = store.append_messages(&batch).await.unwrap();
    assert_eq!(out.len(), batch.len());
    for (a, m) in out.iter().zip(&batch) {
        assert_eq!(a.message.id, m.id);
        assert_eq!(a.event.as_ref().map(|e| e.seq), Some(a.message.seq));
    }
    assert_eq!(out[..4].iter().map(|a| a.message.seq).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
    let first = store.get_chat(ws.id, chats[0].id).await.unwrap();
    assert_eq!((first.last_seq, first.last_activity_at), (5, at(700)));
    for (i, c) in chats.iter().enumerate().skip(1) {
        let stored = store.get_chat(ws.id, c.id).await.unwrap();
        assert_eq!((stored.last_seq, stored.last_activity_at), (3, at(i as i64)));
        assert_eq!(seqs(&store.events_since(ws.id, c.id, 0, 10).await.unwrap()), vec![1, 2, 3]);
    }
    let root_now = store.get_message(ws.id, root.id).await.unwrap();
    assert_eq!((root_now.reply_count, root_now.last_reply_at), (1, Some(at(700))));
    let mine = store.list_my_chats(ws.id, owner.id).await.unwrap();
    assert_eq!(mine.len(), 150);
    assert!(mine.iter().all(|s| s.mention_count == 1), "each chat has one message mentioning me");

    // The same without a thread: on Postgres, a batch of plain messages goes as one
    // statement, which must give the same seqs, events, activity and mentions.
    let mut plain = Vec::new();
    for (i, c) in chats.iter().enumerate() {
        plain.push(NewMessage {
            created_at: at(1000 + i as i64),
            client_msg_id: Some(format!("p{i}")),
            mentions: vec![owner.id, owner.id],
            ..msg(c, Some(&anna), "c")
        });
        plain.push(NewMessage { client_msg_id: Some(format!("p{i}")), ..msg(c, Some(&anna), "repeat") });
        plain.push(msg(c, None, "d"));
    }
    let out = store.append_messages(&plain).await.unwrap();
    for (i, c) in chats.iter().enumerate() {
        let (first, repeat, system) = (&out[3 * i], &out[3 * i + 1], &out[3 * i + 2]);
        let base = if i == 0 { 5 } else { 3 };
        assert_eq!((first.message.seq, system.message.seq), (base + 1, base + 2), "chat {i}");
        assert_eq!(repeat.message, first.message, "a repeated key yields the first message");
        assert!(repeat.event.is_none());
        let stored = store.events_since(ws.id, c.id, base, 10).await.unwrap();
        let returned: Vec<ChatEvent> = [first, system].iter().map(|a| a.event.clone().unwrap()).collect();
        assert_eq!(stored, returned, "chat {i}: the log holds the returned events");
        let chat_now = store.get_chat(ws.id, c.id).await.unwrap();
        assert_eq!((chat_now.last_seq, chat_now.last_activity_at), (base + 2, at(1000 + i as i64)));
    }
    let mine = store.list_my_chats(ws.id, owner.id).await.unwrap();
    assert!(mine.iter().all(|s| s.mention_count == 2), "a repeated mention counts once");
}

async fn concurrent_appends_get_every_seq_once(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let chat = channel(&store, &ws, &owner, "busy", &[]).await;
    const N: i64 = 50;
    let mut tasks = Vec::new();
    for i in 0..N {
        let store = store.clone();
        let m = msg(&chat, Some(&owner), &format!("m{i}"));
        tasks.push(tokio::spawn(async move { store.append_messages(&[m]).await }));
    }
    let mut got = Vec::new();
    for t in tasks {
        let out = t.await.unwrap().expect("append");
        got.push(out[0].message.seq);
        assert_eq!(out[0].event.as_ref().unwrap().seq, out[0].message.seq);
    }
    got.sort_unstable();
    assert_eq!(got, (2..=N + 1).collect::<Vec<_>>(), "every seq once, none skipped");
    let events = store.events_since(ws.id, chat.id, 0, 1000).await.unwrap();
    assert_eq!(seqs(&events), (1..=N + 1).collect::<Vec<_>>());
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, N + 1);
    let history = store.history(ws.id, chat.id, None, HistoryPage::Latest, 1000).await.unwrap();
    assert_eq!(history.iter().map(|m| m.seq).collect::<Vec<_>>(), (2..=N + 1).collect::<Vec<_>>());

    // The same send retried concurrently: exactly one message.
    let key_msg = NewMessage { client_msg_id: Some("retry".into()), ..msg(&chat, Some(&owner), "once") };
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        let m = NewMessage { id: Uuid::now_v7(), ..key_msg.clone() };
        tasks.push(tokio::spawn(async move { store.append_messages(&[m]).await }));
    }
    let mut ids = HashSet::new();
    let mut new = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(out) => {
                ids.insert(out[0].message.id);
                new += usize::from(out[0].event.is_some());
            }
            // Allowed by the port; the caller retries.
            Err(StoreError::Conflict("message")) => {}
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!((ids.len(), new), (1, 1), "one message, one event");
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, N + 2);
}

async fn concurrent_writers_across_chats_do_not_deadlock(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let a = channel(&store, &ws, &owner, "a", &[]).await;
    let b = channel(&store, &ws, &owner, "b", &[]).await;
    let root_a = send(&store, msg(&a, Some(&owner), "root a")).await; // a: 2
    let root_b = send(&store, msg(&b, Some(&owner), "root b")).await; // b: 2
                                                                      // Batches spanning both chats in opposite orders, thread replies, edits,
                                                                      // reactions and pins, all at once.
    const ROUNDS: usize = 12;
    let mut tasks = Vec::new();
    for i in 0..ROUNDS {
        let store = store.clone();
        let (a, b, owner) = (a.clone(), b.clone(), owner.clone());
        let (ra, rb) = (root_a.id, root_b.id);
        let ws_id = ws.id;
        tasks.push(tokio::spawn(async move {
            let reply_a = NewMessage { thread_root_id: Some(ra), ..msg(&a, Some(&owner), &format!("a{i}")) };
            let reply_b = NewMessage { thread_root_id: Some(rb), ..msg(&b, Some(&owner), &format!("b{i}")) };
            let batch = if i % 2 == 0 { vec![reply_a, reply_b] } else { vec![reply_b, reply_a] };
            store.append_messages(&batch).await.expect("append");
            store
                .edit_message(ws_id, ra, &format!("root a v{i}"), &[], false, at(i as i64))
                .await
                .expect("edit");
            store.add_reaction(ws_id, rb, owner.id, &format!("e{i}"), at(i as i64)).await.expect("react");
            store.set_pinned(ws_id, ra, owner.id, i % 2 == 0, at(i as i64)).await.expect("pin");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for chat in [&a, &b] {
        let events = store.events_since(ws.id, chat.id, 0, 1000).await.unwrap();
        let last = store.get_chat(ws.id, chat.id).await.unwrap().last_seq;
        assert_eq!(seqs(&events), (1..=last).collect::<Vec<_>>(), "gap-free in chat {:?}", chat.name);
    }
    assert_eq!(store.get_message(ws.id, root_a.id).await.unwrap().reply_count, ROUNDS as i64);
    assert_eq!(store.get_message(ws.id, root_b.id).await.unwrap().reply_count, ROUNDS as i64);
    assert_eq!(store.message_edits(ws.id, root_a.id).await.unwrap().len(), ROUNDS);
    assert_eq!(store.list_reactions(ws.id, &[root_b.id]).await.unwrap().len(), ROUNDS);
}

async fn unread_and_mention_counts(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let boris = add_user(&store, &ws, "boris").await;
    let quiet = channel(&store, &ws, &owner, "quiet", &[&anna]).await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;

    let mentioning = |body: &str, who: &[&User], all: bool, t: i64| NewMessage {
        mentions: who.iter().map(|u| u.id).collect(),
        mentions_all: all,
        created_at: at(t),
        ..msg(&chat, Some(&owner), body)
    };
    let plain = send(&store, mentioning("plain", &[], false, 1)).await;
    let to_anna = send(&store, mentioning("hi anna", &[&anna, &boris], false, 2)).await;
    send(&store, mentioning("hi all", &[], true, 3)).await;
    send(&store, NewMessage { created_at: at(4), ..msg(&chat, Some(&anna), "anna's own, mentions self") })
        .await;
    send(&store, NewMessage { created_at: at(5), ..msg(&chat, None, "system note") }).await;
    let gone = send(&store, mentioning("deleted, mentions anna", &[&anna], false, 6)).await;
    store.delete_message(ws.id, gone.id, at(7)).await.unwrap();
    let reply = NewMessage {
        thread_root_id: Some(plain.id),
        ..mentioning("reply mentions anna", &[&anna], false, 8)
    };
    send(&store, reply).await;
    let _ = to_anna;

    // Anna: plain, hi anna, hi all, system = 4 unread; hi anna, hi all = 2 mentions.
    let mine = store.list_my_chats(ws.id, anna.id).await.unwrap();
    assert_eq!(
        mine.iter().map(|s| s.chat.id).collect::<Vec<_>>(),
        vec![chat.id, quiet.id],
        "latest activity first"
    );
    let s = &mine[0];
    assert_eq!((s.unread_count, s.mention_count), (4, 2));
    assert_eq!(s.member.user_id, anna.id);
    assert_eq!(s.member.role, MemberRole::Member);
    assert_eq!(s.chat.last_activity_at, at(8));
    assert_eq!(s.chat, store.get_chat(ws.id, chat.id).await.unwrap());
    assert_eq!(
        s.last_message.as_ref().map(|m| m.body.as_str()),
        Some("system note"),
        "newest top-level, not deleted"
    );
    let q = &mine[1];
    assert_eq!((q.unread_count, q.mention_count, q.last_message.clone()), (0, 0, None));

    // Owner: anna's and the system message.
    let own = store.list_my_chats(ws.id, owner.id).await.unwrap();
    assert_eq!((own[0].unread_count, own[0].mention_count), (2, 0));
    // Boris is mentioned but not a member: sees nothing.
    assert!(store.list_my_chats(ws.id, boris.id).await.unwrap().is_empty());

    // Editing the mention away lowers the count.
    store.edit_message(ws.id, to_anna.id, "hi", &[], false, at(9)).await.unwrap();
    let s = &store.list_my_chats(ws.id, anna.id).await.unwrap()[0];
    assert_eq!((s.unread_count, s.mention_count), (4, 1));

    // Reading up to "hi all" (seq 4) leaves anna's own and the system message.
    store.mark_read(ws.id, chat.id, anna.id, 4).await.unwrap();
    let s = &store.list_my_chats(ws.id, anna.id).await.unwrap()[0];
    assert_eq!((s.unread_count, s.mention_count, s.member.last_read_seq), (1, 0, 4));
    let last = store.get_chat(ws.id, chat.id).await.unwrap().last_seq;
    store.mark_read(ws.id, chat.id, anna.id, last).await.unwrap();
    let s = &store.list_my_chats(ws.id, anna.id).await.unwrap()[0];
    assert_eq!((s.unread_count, s.mention_count), (0, 0));

    // New activity in the quiet chat moves it to the top.
    send(&store, NewMessage { created_at: at(100), ..msg(&quiet, Some(&owner), "wake up") }).await;
    let mine = store.list_my_chats(ws.id, anna.id).await.unwrap();
    assert_eq!(mine[0].chat.id, quiet.id);
    assert_eq!((mine[0].unread_count, mine[0].chat.last_activity_at), (1, at(100)));
    // An older timestamp never moves activity backwards.
    send(&store, NewMessage { created_at: at(50), ..msg(&quiet, Some(&owner), "late") }).await;
    assert_eq!(store.get_chat(ws.id, quiet.id).await.unwrap().last_activity_at, at(100));
}

async fn mark_read_clamps_and_never_goes_back(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    for i in 0..4 {
        send(&store, msg(&chat, Some(&owner), &format!("m{i}"))).await;
    } // last_seq = 5

    let m = store.mark_read(ws.id, chat.id, anna.id, -5).await.unwrap();
    assert_eq!(m.last_read_seq, 0, "negative is zero");
    assert_eq!(store.mark_read(ws.id, chat.id, anna.id, 3).await.unwrap().last_read_seq, 3);
    assert_eq!(
        store.mark_read(ws.id, chat.id, anna.id, 2).await.unwrap().last_read_seq,
        3,
        "never backwards"
    );
    assert_eq!(store.mark_read(ws.id, chat.id, anna.id, -1).await.unwrap().last_read_seq, 3);
    let m = store.mark_read(ws.id, chat.id, anna.id, 1_000).await.unwrap();
    assert_eq!(m.last_read_seq, 5, "clamped to the chat's last seq");
    assert_eq!(m, store.get_member(ws.id, chat.id, anna.id).await.unwrap().unwrap());
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, 5, "reading makes no event");

    assert_eq!(store.read_by(ws.id, chat.id, 5).await.unwrap(), vec![anna.id]);
    assert_eq!(store.read_by(ws.id, chat.id, 3).await.unwrap(), vec![anna.id]);
    let all = store.read_by(ws.id, chat.id, 0).await.unwrap();
    assert_eq!(all.len(), 2);
    store.mark_read(ws.id, chat.id, owner.id, 4).await.unwrap();
    let mut r4 = store.read_by(ws.id, chat.id, 4).await.unwrap();
    r4.sort();
    let mut both = vec![owner.id, anna.id];
    both.sort();
    assert_eq!(r4, both);

    let outsider = add_user(&store, &ws, "outsider").await;
    assert!(matches!(
        store.mark_read(ws.id, chat.id, outsider.id, 1).await,
        Err(StoreError::NotFound("member"))
    ));
    assert!(matches!(
        store.mark_read(ws.id, Uuid::now_v7(), anna.id, 1).await,
        Err(StoreError::NotFound("chat"))
    ));
}

async fn history_pages_and_threads(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let chat = channel(&store, &ws, &owner, "general", &[]).await;
    // Top-level t1..t10 with seqs 2..=11, then replies r1..r3 to t3 (12..=14), then t11 (15).
    let mut top = Vec::new();
    for i in 1..=10 {
        top.push(
            send(&store, NewMessage { created_at: at(i), ..msg(&chat, Some(&owner), &format!("t{i}")) })
                .await,
        );
    }
    let root = top[2].clone();
    for i in 1..=3 {
        let r = NewMessage {
            thread_root_id: Some(root.id),
            created_at: at(20 + i),
            ..msg(&chat, Some(&owner), &format!("r{i}"))
        };
        send(&store, r).await;
    }
    top.push(send(&store, msg(&chat, Some(&owner), "t11")).await);
    assert_eq!(top[10].seq, 15);
    store.delete_message(ws.id, top[4].id, at(30)).await.unwrap(); // t5, seq 6

    let page = |p: HistoryPage, limit: i64| {
        let store = store.clone();
        async move { store.history(ws.id, chat.id, None, p, limit).await.unwrap() }
    };
    let latest = page(HistoryPage::Latest, 3).await;
    assert_eq!(bodies(&latest), vec!["t9", "t10", "t11"], "newest, ascending");
    let all = page(HistoryPage::Latest, 100).await;
    assert_eq!(all.len(), 11, "top-level only");
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let tomb = &all[4];
    assert_eq!(
        (tomb.id, tomb.body.as_str(), tomb.deleted_at),
        (top[4].id, "", Some(at(30))),
        "tombstones are kept"
    );

    assert_eq!(bodies(&page(HistoryPage::Before(5), 2).await), vec!["t2", "t3"]); // seqs 3, 4
    assert_eq!(bodies(&page(HistoryPage::Before(2), 5).await), Vec::<&str>::new());
    assert_eq!(bodies(&page(HistoryPage::After(9), 2).await), vec!["t9", "t10"]); // seqs 10, 11 (12.. are replies)
    assert_eq!(bodies(&page(HistoryPage::After(11), 5).await), vec!["t11"]);
    assert_eq!(bodies(&page(HistoryPage::After(0), 2).await), vec!["t1", "t2"]);
    assert_eq!(bodies(&page(HistoryPage::Around(7), 5).await), vec!["t4", "", "t6", "t7", "t8"]); // 5,6 | 7,8,9
                                                                                                  // Fewer than half before: the rest is filled from after.
    assert_eq!(bodies(&page(HistoryPage::Around(3), 6).await), vec!["t1", "t2", "t3", "t4", "", "t6"]);
    assert_eq!(bodies(&page(HistoryPage::Around(15), 4).await), vec!["t9", "t10", "t11"]);
    assert!(page(HistoryPage::Latest, 0).await.is_empty());

    // Threads: only the root's replies, ascending, with the same paging.
    let thread = |p: HistoryPage, limit: i64| {
        let store = store.clone();
        async move { store.history(ws.id, chat.id, Some(root.id), p, limit).await.unwrap() }
    };
    assert_eq!(bodies(&thread(HistoryPage::Latest, 10).await), vec!["r1", "r2", "r3"]);
    assert_eq!(bodies(&thread(HistoryPage::Latest, 2).await), vec!["r2", "r3"]);
    assert_eq!(bodies(&thread(HistoryPage::Before(14), 10).await), vec!["r1", "r2"]);
    assert_eq!(bodies(&thread(HistoryPage::After(12), 10).await), vec!["r2", "r3"]);
    assert!(store
        .history(ws.id, chat.id, Some(top[0].id), HistoryPage::Latest, 10)
        .await
        .unwrap()
        .is_empty());

    // The root carries the thread summary.
    let root_now = store.get_message(ws.id, root.id).await.unwrap();
    assert_eq!((root_now.reply_count, root_now.last_reply_at), (3, Some(at(23))));
    assert_eq!(root.reply_count, 0);
    // Only a top-level message of the same chat can be a root.
    let reply = store.history(ws.id, chat.id, Some(root.id), HistoryPage::Latest, 1).await.unwrap().remove(0);
    let nested = NewMessage { thread_root_id: Some(reply.id), ..msg(&chat, Some(&owner), "nested") };
    assert!(matches!(store.append_messages(&[nested]).await, Err(StoreError::NotFound("message"))));
    let other = channel(&store, &ws, &owner, "other", &[]).await;
    let cross = NewMessage { thread_root_id: Some(root.id), ..msg(&other, Some(&owner), "cross") };
    assert!(matches!(store.append_messages(&[cross]).await, Err(StoreError::NotFound("message"))));
    let dangling =
        NewMessage { thread_root_id: Some(Uuid::now_v7()), ..msg(&chat, Some(&owner), "dangling") };
    let ok = msg(&chat, Some(&owner), "in the failed batch");
    assert!(matches!(
        store.append_messages(&[ok.clone(), dangling]).await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(
        matches!(store.get_message(ws.id, ok.id).await, Err(StoreError::NotFound(_))),
        "the batch is all or nothing"
    );
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, 16);
}

async fn edits_keep_history_and_deletes_leave_tombstones(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let original =
        send(&store, NewMessage { client_msg_id: Some("c1".into()), ..msg(&chat, Some(&owner), "v1") }).await;
    assert!(store.message_edits(ws.id, original.id).await.unwrap().is_empty());

    let (edited, ev) =
        store.edit_message(ws.id, original.id, "v2 <@anna>", &[anna.id], false, at(10)).await.unwrap();
    assert_eq!(
        (edited.body.as_str(), edited.mentions.clone(), edited.edited_at),
        ("v2 <@anna>", vec![anna.id], Some(at(10)))
    );
    assert_eq!((edited.seq, edited.id, edited.created_at), (original.seq, original.id, original.created_at));
    assert_eq!((ev.seq, ev.created_at), (3, at(10)));
    assert_eq!(ev.change, ChatChange::MessageEdited { message: edited.clone() });
    assert_eq!(store.get_message(ws.id, original.id).await.unwrap(), edited);
    let (edited, _) = store.edit_message(ws.id, original.id, "v3", &[], true, at(20)).await.unwrap();
    assert!(edited.mentions_all);
    assert_eq!(
        store.message_edits(ws.id, original.id).await.unwrap(),
        vec![("v1".to_string(), at(10)), ("v2 <@anna>".to_string(), at(20))],
        "earlier bodies, oldest first, with the time each was replaced"
    );

    // Delete: a tombstone in place; its content is gone everywhere, earlier events included.
    store.set_pinned(ws.id, original.id, owner.id, true, at(25)).await.unwrap();
    store.add_reaction(ws.id, original.id, anna.id, "🔥", at(26)).await.unwrap();
    let (tomb, ev) = store.delete_message(ws.id, original.id, at(30)).await.unwrap();
    assert_eq!(ev.change, ChatChange::MessageDeleted { message_id: original.id, thread_root_id: None });
    assert_eq!((ev.seq, ev.created_at), (7, at(30)));
    assert_eq!(
        (tomb.body.as_str(), tomb.deleted_at, tomb.mentions_all, tomb.pinned_at),
        ("", Some(at(30)), false, None)
    );
    assert_eq!(store.get_message(ws.id, original.id).await.unwrap(), tomb);
    assert!(store.message_edits(ws.id, original.id).await.unwrap().is_empty());
    assert!(store.list_reactions(ws.id, &[original.id]).await.unwrap().is_empty());
    assert!(store.list_pinned(ws.id, chat.id).await.unwrap().is_empty());
    for e in store.events_since(ws.id, chat.id, 0, 100).await.unwrap() {
        if let ChatChange::MessageCreated { message } | ChatChange::MessageEdited { message } = &e.change {
            assert_eq!((message.body.as_str(), message.deleted_at), ("", Some(at(30))), "seq {}", e.seq);
        }
    }
    // The idempotency key still points at the tombstone: a retry does not resurrect it.
    let retry = NewMessage { client_msg_id: Some("c1".into()), ..msg(&chat, Some(&owner), "v1") };
    let out = store.append_messages(&[retry]).await.unwrap();
    assert_eq!((out[0].message.id, out[0].event.is_none()), (original.id, true));

    // Deleted is final.
    let last_seq = store.get_chat(ws.id, chat.id).await.unwrap().last_seq;
    assert!(matches!(
        store.delete_message(ws.id, original.id, at(40)).await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(matches!(
        store.edit_message(ws.id, original.id, "zombie", &[], false, at(40)).await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(matches!(
        store.add_reaction(ws.id, original.id, anna.id, "x", at(40)).await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(matches!(
        store.set_pinned(ws.id, original.id, anna.id, true, at(40)).await,
        Err(StoreError::NotFound("message"))
    ));
    assert_eq!(
        store.get_chat(ws.id, chat.id).await.unwrap().last_seq,
        last_seq,
        "refused changes take no seq"
    );

    // Deleting a thread reply names its root, and the thread keeps its tombstone.
    let root = send(&store, msg(&chat, Some(&owner), "root")).await;
    let reply =
        send(&store, NewMessage { thread_root_id: Some(root.id), ..msg(&chat, Some(&anna), "reply") }).await;
    let (_, ev) = store.delete_message(ws.id, reply.id, at(50)).await.unwrap();
    assert_eq!(ev.change, ChatChange::MessageDeleted { message_id: reply.id, thread_root_id: Some(root.id) });
    let thread = store.history(ws.id, chat.id, Some(root.id), HistoryPage::Latest, 10).await.unwrap();
    assert_eq!((thread.len(), thread[0].body.as_str(), thread[0].deleted_at), (1, "", Some(at(50))));

    let nobody = Uuid::now_v7();
    assert!(matches!(store.get_message(ws.id, nobody).await, Err(StoreError::NotFound("message"))));
    assert!(matches!(store.message_edits(ws.id, nobody).await, Err(StoreError::NotFound("message"))));
}

async fn reactions_are_idempotent(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let m1 = send(&store, msg(&chat, Some(&owner), "one")).await;
    let m2 = send(&store, msg(&chat, Some(&owner), "two")).await;

    let ev = store.add_reaction(ws.id, m1.id, anna.id, "👍", at(1)).await.unwrap().expect("added");
    assert_eq!((ev.seq, ev.created_at), (4, at(1)));
    assert_eq!(
        ev.change,
        ChatChange::ReactionAdded { message_id: m1.id, user_id: anna.id, emoji: "👍".into() }
    );
    assert!(store.add_reaction(ws.id, m1.id, anna.id, "👍", at(2)).await.unwrap().is_none());
    store.add_reaction(ws.id, m1.id, owner.id, "👍", at(3)).await.unwrap().expect("other user");
    store.add_reaction(ws.id, m1.id, anna.id, "🎉", at(4)).await.unwrap().expect("other emoji");
    store.add_reaction(ws.id, m2.id, anna.id, "👀", at(5)).await.unwrap().expect("other message");

    let listed = store.list_reactions(ws.id, &[m2.id, m1.id, m1.id]).await.unwrap();
    let summary: Vec<(Uuid, Uuid, &str, DateTime<Utc>)> =
        listed.iter().map(|r| (r.message_id, r.user_id, r.emoji.as_str(), r.created_at)).collect();
    assert_eq!(
        summary,
        vec![
            (m1.id, anna.id, "👍", at(1)),
            (m1.id, owner.id, "👍", at(3)),
            (m1.id, anna.id, "🎉", at(4)),
            (m2.id, anna.id, "👀", at(5)),
        ],
        "oldest first; the first add's time stays"
    );
    assert_eq!(store.list_reactions(ws.id, &[m2.id]).await.unwrap().len(), 1);
    assert!(store.list_reactions(ws.id, &[]).await.unwrap().is_empty());

    let ev = store.remove_reaction(ws.id, m1.id, anna.id, "👍", at(6)).await.unwrap().expect("removed");
    assert_eq!(
        ev.change,
        ChatChange::ReactionRemoved { message_id: m1.id, user_id: anna.id, emoji: "👍".into() }
    );
    assert!(store.remove_reaction(ws.id, m1.id, anna.id, "👍", at(7)).await.unwrap().is_none());
    assert!(store.remove_reaction(ws.id, m1.id, anna.id, "never", at(7)).await.unwrap().is_none());
    assert_eq!(store.list_reactions(ws.id, &[m1.id]).await.unwrap().len(), 2);
    assert_eq!(seqs(&store.events_since(ws.id, chat.id, 3, 100).await.unwrap()), vec![4, 5, 6, 7, 8]);

    let nobody = Uuid::now_v7();
    assert!(matches!(
        store.add_reaction(ws.id, nobody, anna.id, "👍", at(8)).await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(matches!(
        store.remove_reaction(ws.id, nobody, anna.id, "👍", at(8)).await,
        Err(StoreError::NotFound("message"))
    ));

    // Many ids at once (placeholder lists are built per call).
    let mut many: Vec<Uuid> = (0..700).map(|_| Uuid::now_v7()).collect();
    many.push(m2.id);
    assert_eq!(store.list_reactions(ws.id, &many).await.unwrap().len(), 1);
}

async fn pins(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let other = channel(&store, &ws, &owner, "other", &[]).await;
    let m1 = send(&store, msg(&chat, Some(&owner), "one")).await;
    let m2 = send(&store, msg(&chat, Some(&owner), "two")).await;
    let elsewhere = send(&store, msg(&other, Some(&owner), "elsewhere")).await;
    assert!(store.list_pinned(ws.id, chat.id).await.unwrap().is_empty());

    let ev = store.set_pinned(ws.id, m2.id, anna.id, true, at(1)).await.unwrap().expect("pinned");
    assert_eq!(ev.change, ChatChange::MessagePinned { message_id: m2.id, by: anna.id });
    assert_eq!((ev.seq, ev.chat_id), (4, chat.id));
    assert!(store.set_pinned(ws.id, m2.id, owner.id, true, at(2)).await.unwrap().is_none());
    store.set_pinned(ws.id, m1.id, owner.id, true, at(3)).await.unwrap().expect("pinned");
    store.set_pinned(ws.id, elsewhere.id, owner.id, true, at(3)).await.unwrap().expect("pinned");

    let pinned = store.list_pinned(ws.id, chat.id).await.unwrap();
    assert_eq!(
        pinned.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![m1.id, m2.id],
        "most recently pinned first"
    );
    assert_eq!(pinned[1].pinned_at, Some(at(1)), "re-pinning kept the first pin");

    let ev = store.set_pinned(ws.id, m2.id, owner.id, false, at(4)).await.unwrap().expect("unpinned");
    assert_eq!(ev.change, ChatChange::MessageUnpinned { message_id: m2.id, by: owner.id });
    assert!(store.set_pinned(ws.id, m2.id, owner.id, false, at(5)).await.unwrap().is_none());
    assert_eq!(store.get_message(ws.id, m2.id).await.unwrap().pinned_at, None);
    assert_eq!(
        store.list_pinned(ws.id, chat.id).await.unwrap().iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![m1.id]
    );
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, 6);
}

async fn every_method_is_scoped_to_its_workspace(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (evil, intruder) = seeded(&store, "evil").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let m =
        send(&store, NewMessage { client_msg_id: Some("k".into()), ..msg(&chat, Some(&owner), "secret") })
            .await;
    store.add_reaction(ws.id, m.id, anna.id, "👍", at(1)).await.unwrap();
    store.set_pinned(ws.id, m.id, owner.id, true, at(1)).await.unwrap();
    store.edit_message(ws.id, m.id, "secret v2", &[], false, at(2)).await.unwrap();
    let key = Chat::direct_key_for(owner.id, anna.id);
    let dm = Chat { direct_key: Some(key.clone()), ..chat_value(&ws, &owner, ChatKind::Direct, None, true) };
    store.create_chat(&dm, &[member(&dm, &owner, MemberRole::Member)]).await.unwrap();
    let before = store.events_since(ws.id, chat.id, 0, 100).await.unwrap();
    let w = evil.id;

    // Reads through the wrong workspace find nothing.
    assert!(matches!(store.get_chat(w, chat.id).await, Err(StoreError::NotFound("chat"))));
    assert!(store.find_direct_chat(w, &key).await.unwrap().is_none());
    assert!(store.list_public_channels(w).await.unwrap().is_empty());
    assert!(store.list_my_chats(w, owner.id).await.unwrap().is_empty());
    assert!(store.member_chat_ids(w, owner.id).await.unwrap().is_empty());
    assert!(store.get_member(w, chat.id, owner.id).await.unwrap().is_none());
    assert!(store.list_members(w, chat.id).await.unwrap().is_empty());
    assert!(store.read_by(w, chat.id, 0).await.unwrap().is_empty());
    assert!(matches!(store.get_message(w, m.id).await, Err(StoreError::NotFound("message"))));
    assert!(store.find_by_client_msg_id(w, owner.id, "k").await.unwrap().is_none());
    assert!(matches!(store.message_edits(w, m.id).await, Err(StoreError::NotFound("message"))));
    assert!(store.history(w, chat.id, None, HistoryPage::Latest, 10).await.unwrap().is_empty());
    assert!(store.history(w, chat.id, Some(m.id), HistoryPage::Latest, 10).await.unwrap().is_empty());
    assert!(store.events_since(w, chat.id, 0, 10).await.unwrap().is_empty());
    assert!(store.list_reactions(w, &[m.id]).await.unwrap().is_empty());
    assert!(store.list_pinned(w, chat.id).await.unwrap().is_empty());

    // Writes through the wrong workspace change nothing.
    let t = at(60);
    let patch = ChatPatch { name: Some("pwned".into()), ..Default::default() };
    assert!(matches!(store.update_chat(w, chat.id, &patch, t).await, Err(StoreError::NotFound("chat"))));
    assert!(matches!(
        store.add_member(w, chat.id, intruder.id, MemberRole::Owner, None, t).await,
        Err(StoreError::NotFound("chat"))
    ));
    assert!(matches!(
        store.remove_member(w, chat.id, anna.id, None, t).await,
        Err(StoreError::NotFound("chat"))
    ));
    assert!(matches!(
        store.set_member_role(w, chat.id, anna.id, MemberRole::Owner).await,
        Err(StoreError::NotFound("member"))
    ));
    assert!(matches!(store.mark_read(w, chat.id, anna.id, 100).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.edit_message(w, m.id, "pwned", &[], false, t).await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(matches!(store.delete_message(w, m.id, t).await, Err(StoreError::NotFound("message"))));
    assert!(matches!(
        store.add_reaction(w, m.id, intruder.id, "💀", t).await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(matches!(
        store.remove_reaction(w, m.id, anna.id, "👍", t).await,
        Err(StoreError::NotFound("message"))
    ));
    assert!(matches!(
        store.set_pinned(w, m.id, intruder.id, false, t).await,
        Err(StoreError::NotFound("message"))
    ));
    // Appending into a foreign chat, or replying to a foreign root, is refused.
    let foreign = NewMessage { workspace_id: w, author_id: Some(intruder.id), ..msg(&chat, None, "pwned") };
    assert!(matches!(store.append_messages(&[foreign]).await, Err(StoreError::NotFound("chat"))));
    let mine = channel(&store, &evil, &intruder, "mine", &[]).await;
    // A batch with a chat outside its workspace writes nothing, not even into
    // its good chat (no message, no event, no seq taken).
    let good = msg(&chat, Some(&owner), "lost with the batch");
    let astray = NewMessage { workspace_id: ws.id, ..msg(&mine, Some(&owner), "astray") };
    assert!(matches!(
        store.append_messages(&[good.clone(), astray]).await,
        Err(StoreError::NotFound("chat"))
    ));
    assert!(matches!(store.get_message(ws.id, good.id).await, Err(StoreError::NotFound(_))));
    let reply = NewMessage { thread_root_id: Some(m.id), ..msg(&mine, Some(&intruder), "reply") };
    assert!(matches!(store.append_messages(&[reply]).await, Err(StoreError::NotFound("message"))));
    // The idempotency lookup never returns another workspace's message.
    let probe = NewMessage { client_msg_id: Some("k".into()), ..msg(&mine, Some(&intruder), "probe") };
    let out = store.append_messages(&[probe]).await.unwrap();
    assert_ne!(out[0].message.id, m.id);

    // Everything is as it was.
    assert_eq!(store.events_since(ws.id, chat.id, 0, 100).await.unwrap(), before);
    let now = store.get_message(ws.id, m.id).await.unwrap();
    assert_eq!((now.body.as_str(), now.pinned_at.is_some(), now.deleted_at), ("secret v2", true, None));
    assert_eq!(store.list_reactions(ws.id, &[m.id]).await.unwrap().len(), 1);
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().name.as_deref(), Some("general"));
    assert_eq!(store.list_members(ws.id, chat.id).await.unwrap().len(), 2);
    assert_eq!(store.get_member(ws.id, chat.id, anna.id).await.unwrap().unwrap().last_read_seq, 0);
    assert_eq!(store.get_member(ws.id, chat.id, anna.id).await.unwrap().unwrap().role, MemberRole::Member);
}

/// An unsent upload of `by` into `chat`, stored.
async fn upload(store: &Arc<dyn Store>, chat: &Chat, by: &User, name: &str) -> Attachment {
    let a = Attachment {
        id: Uuid::now_v7(),
        workspace_id: chat.workspace_id,
        chat_id: chat.id,
        uploader_id: by.id,
        message_id: None,
        filename: name.into(),
        content_type: "image/png".into(),
        size_bytes: name.len() as i64 * 1000,
        sha256: format!("{:064x}", name.len()),
        created_at: t0(),
    };
    store.create_attachment(&a).await.expect("create attachment");
    a
}

fn with_files(m: NewMessage, files: &[&Attachment]) -> NewMessage {
    NewMessage { attachment_ids: files.iter().map(|a| a.id).collect(), ..m }
}

fn is_link_refusal(r: Result<Vec<artel_core::message::Appended>, StoreError>) -> bool {
    matches!(r, Err(StoreError::Invalid { field: "attachment_ids", .. }))
}

async fn attachments_link_only_to_their_uploaders_messages(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let other = channel(&store, &ws, &owner, "other", &[&anna]).await;
    let (ws2, owner2) = seeded(&store, "evil").await;
    let chat2 = channel(&store, &ws2, &owner2, "theirs", &[]).await;

    // Stored exactly, unlinked, only in its own workspace.
    let a1 = upload(&store, &chat, &owner, "one.png").await;
    let a2 = upload(&store, &chat, &owner, "two.png").await;
    assert_eq!(store.get_attachment(ws.id, a1.id).await.unwrap(), a1);
    assert!(matches!(store.get_attachment(ws2.id, a1.id).await, Err(StoreError::NotFound("attachment"))));
    // An upload into another workspace's chat, or by another workspace's user, is refused.
    let stray = Attachment { id: Uuid::now_v7(), chat_id: chat2.id, ..a1.clone() };
    assert!(matches!(store.create_attachment(&stray).await, Err(StoreError::NotFound("chat"))));
    let stray = Attachment { id: Uuid::now_v7(), uploader_id: owner2.id, ..a1.clone() };
    assert!(matches!(store.create_attachment(&stray).await, Err(StoreError::NotFound("chat"))));

    // Linked in the order given; the message, its event and every read carry them.
    let m = send(&store, with_files(msg(&chat, Some(&owner), "files"), &[&a2, &a1])).await;
    assert_eq!(m.attachments, vec![a2.info(), a1.info()]);
    assert_eq!(store.get_message(ws.id, m.id).await.unwrap(), m);
    assert_eq!(store.get_attachment(ws.id, a1.id).await.unwrap().message_id, Some(m.id));
    let listed = store.list_attachments(ws.id, &[m.id, Uuid::now_v7()]).await.unwrap();
    assert_eq!(listed.iter().map(|a| a.id).collect::<Vec<_>>(), vec![a2.id, a1.id]);
    assert!(store.list_attachments(ws2.id, &[m.id]).await.unwrap().is_empty());
    let page = store.history(ws.id, chat.id, None, HistoryPage::Latest, 10).await.unwrap();
    assert_eq!(page.last(), Some(&m));
    let events = store.events_since(ws.id, chat.id, m.seq - 1, 10).await.unwrap();
    assert_eq!(events[0].change, ChatChange::MessageCreated { message: m.clone() });

    // Refused, with nothing of the batch written: someone else's upload, another
    // chat's, one already sent, one listed twice, a system message's, another
    // workspace's; a good message in the same batch is rolled back too.
    let b = upload(&store, &chat, &owner, "b.pdf").await;
    let last_seq = store.get_chat(ws.id, chat.id).await.unwrap().last_seq;
    let good = msg(&chat, Some(&owner), "in the failed batch");
    let refused = [
        vec![with_files(msg(&chat, Some(&anna), "not mine"), &[&b])],
        vec![with_files(msg(&other, Some(&owner), "wrong chat"), &[&b])],
        vec![with_files(msg(&chat, Some(&owner), "again"), &[&a1])],
        vec![with_files(msg(&chat, Some(&owner), "twice"), &[&b, &b])],
        vec![with_files(msg(&chat, None, "system"), &[&b])],
        vec![with_files(msg(&chat2, Some(&owner2), "foreign"), &[&b])],
        vec![good.clone(), with_files(msg(&chat, Some(&anna), "bad"), &[&b])],
    ];
    for batch in refused {
        let what = batch.last().map(|m| m.body.clone()).unwrap_or_default();
        assert!(is_link_refusal(store.append_messages(&batch).await), "{what}: not refused");
    }
    assert!(matches!(store.get_message(ws.id, good.id).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.get_chat(ws.id, chat.id).await.unwrap().last_seq, last_seq, "no seq was used");
    assert_eq!(store.get_chat(ws.id, other.id).await.unwrap().last_seq, 1);
    assert_eq!(store.get_attachment(ws.id, b.id).await.unwrap().message_id, None, "b is still unsent");
    assert_eq!(store.get_message(ws.id, m.id).await.unwrap().attachments.len(), 2);

    // An empty body with a file; a thread reply with one.
    let c = upload(&store, &chat, &anna, "c.png").await;
    let only_file = send(&store, with_files(msg(&chat, Some(&anna), ""), &[&c])).await;
    assert_eq!((only_file.body.as_str(), only_file.attachments.clone()), ("", vec![c.info()]));
    let d = upload(&store, &chat, &owner, "d.png").await;
    let reply = send(
        &store,
        NewMessage { thread_root_id: Some(m.id), ..with_files(msg(&chat, Some(&owner), "see"), &[&d]) },
    )
    .await;
    let thread = store.history(ws.id, chat.id, Some(m.id), HistoryPage::Latest, 10).await.unwrap();
    assert_eq!(thread, vec![reply.clone()]);

    // A retry with the same key returns the first message, files and all.
    let e = upload(&store, &chat, &owner, "e.png").await;
    let keyed =
        NewMessage { client_msg_id: Some("k".into()), ..with_files(msg(&chat, Some(&owner), "k"), &[&e]) };
    let first = send(&store, keyed.clone()).await;
    let again = store.append_messages(&[NewMessage { id: Uuid::now_v7(), ..keyed }]).await.unwrap().remove(0);
    assert_eq!((again.message, again.event), (first.clone(), None));
    assert_eq!(store.find_by_client_msg_id(ws.id, owner.id, "k").await.unwrap(), Some(first.clone()));

    // Edits, pins and the chat list keep them.
    let (edited, ev) = store.edit_message(ws.id, first.id, "k v2", &[], false, at(1)).await.unwrap();
    assert_eq!(edited.attachments, vec![e.info()]);
    assert_eq!(ev.change, ChatChange::MessageEdited { message: edited.clone() });
    store.set_pinned(ws.id, first.id, owner.id, true, at(2)).await.unwrap();
    assert_eq!(store.list_pinned(ws.id, chat.id).await.unwrap()[0].attachments, vec![e.info()]);
    let mine = store.list_my_chats(ws.id, owner.id).await.unwrap();
    let general = mine.iter().find(|s| s.chat.id == chat.id).unwrap();
    assert_eq!(general.last_message.as_ref().map(|l| l.attachments.clone()), Some(vec![e.info()]));

    // Deleting the message deletes its attachments, in the message and its events.
    let (tombstone, _) = store.delete_message(ws.id, m.id, at(3)).await.unwrap();
    assert!(tombstone.attachments.is_empty());
    assert!(store.get_message(ws.id, m.id).await.unwrap().attachments.is_empty());
    for a in [&a1, &a2] {
        assert!(matches!(store.get_attachment(ws.id, a.id).await, Err(StoreError::NotFound(_))));
    }
    let events = store.events_since(ws.id, chat.id, 0, 100).await.unwrap();
    for event in events {
        if let ChatChange::MessageCreated { message } | ChatChange::MessageEdited { message } = &event.change
        {
            if message.id == m.id {
                assert!(message.attachments.is_empty(), "event {} still lists files", event.seq);
            }
        }
    }
    // Other messages keep theirs.
    assert_eq!(store.get_message(ws.id, reply.id).await.unwrap().attachments, vec![d.info()]);
}

/// A chat's files: sent ones only, newest message first then in the message's
/// order, thread replies included, deleted messages' gone, paged by cursor, in
/// one chat of one workspace.
async fn chat_files_list_what_was_sent_newest_first(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let other = channel(&store, &ws, &owner, "other", &[&anna]).await;
    let (ws2, _) = seeded(&store, "evil").await;
    let names = |files: &[artel_core::attachment::ChatFile]| {
        files.iter().map(|f| f.attachment.filename.clone()).collect::<Vec<_>>()
    };
    assert!(store.list_chat_files(ws.id, chat.id, None, 10).await.unwrap().is_empty());

    let a = upload(&store, &chat, &owner, "a.png").await;
    let b = upload(&store, &chat, &owner, "b.pdf").await;
    let first = send(&store, with_files(msg(&chat, Some(&owner), "two"), &[&a, &b])).await;
    send(&store, msg(&chat, Some(&anna), "no files")).await;
    let c = upload(&store, &chat, &anna, "c.png").await;
    let second =
        send(&store, NewMessage { created_at: at(5), ..with_files(msg(&chat, Some(&anna), ""), &[&c]) })
            .await;
    let d = upload(&store, &chat, &owner, "d.png").await;
    let reply = send(
        &store,
        NewMessage { thread_root_id: Some(first.id), ..with_files(msg(&chat, Some(&owner), "re"), &[&d]) },
    )
    .await;
    let e = upload(&store, &other, &owner, "elsewhere.png").await;
    send(&store, with_files(msg(&other, Some(&owner), "x"), &[&e])).await;
    upload(&store, &chat, &anna, "unsent.png").await;

    let all = store.list_chat_files(ws.id, chat.id, None, 10).await.unwrap();
    assert_eq!(names(&all), ["d.png", "c.png", "a.png", "b.pdf"]);
    // Exactly what was stored, with the message's seq, place and time.
    let c_file = &all[1];
    assert_eq!(c_file.attachment, Attachment { message_id: Some(second.id), ..c.clone() });
    assert_eq!((c_file.seq, c_file.position, c_file.sent_at), (second.seq, 0, at(5)));
    assert_eq!((all[0].seq, all[0].attachment.message_id), (reply.seq, Some(reply.id)));
    assert_eq!((all[2].seq, all[2].position, all[3].seq, all[3].position), (first.seq, 0, first.seq, 1));
    assert_eq!(all[3].sent_at, t0());

    // Paging: the limit holds and a cursor continues right after its file, also
    // between two files of one message.
    assert_eq!(names(&store.list_chat_files(ws.id, chat.id, None, 2).await.unwrap()), ["d.png", "c.png"]);
    let after_a = store.list_chat_files(ws.id, chat.id, Some(all[2].cursor()), 10).await.unwrap();
    assert_eq!(names(&after_a), ["b.pdf"]);
    let after_c = store.list_chat_files(ws.id, chat.id, Some(all[1].cursor()), 1).await.unwrap();
    assert_eq!(names(&after_c), ["a.png"]);
    assert!(store.list_chat_files(ws.id, chat.id, Some(all[3].cursor()), 10).await.unwrap().is_empty());
    // A cursor naming a seq that holds no file still pages by position.
    let between = ChatFileCursor { seq: second.seq - 1, position: 0 };
    assert_eq!(
        names(&store.list_chat_files(ws.id, chat.id, Some(between), 10).await.unwrap()),
        ["a.png", "b.pdf"]
    );

    // Only in its own chat and workspace.
    assert_eq!(names(&store.list_chat_files(ws.id, other.id, None, 10).await.unwrap()), ["elsewhere.png"]);
    assert!(store.list_chat_files(ws2.id, chat.id, None, 10).await.unwrap().is_empty());

    // A deleted message's files are gone; the others stay.
    store.delete_message(ws.id, first.id, at(9)).await.unwrap();
    assert_eq!(names(&store.list_chat_files(ws.id, chat.id, None, 10).await.unwrap()), ["d.png", "c.png"]);
}

/// `send_contexts` answers every send exactly as `send_context` would, in order:
/// members and strangers, retries (from any chat id), chats that do not exist or
/// belong to another workspace, repeats, and more sends than one statement reads.
async fn send_contexts_read_many_sends_as_one_would(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let (other_ws, stranger) = seeded(&store, "other").await;
    let anna = add_user(&store, &ws, "anna").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let closed = channel(&store, &ws, &owner, "closed", &[]).await;
    let theirs = channel(&store, &other_ws, &stranger, "theirs", &[]).await;
    let keyed = NewMessage { client_msg_id: Some("k1".into()), ..msg(&chat, Some(&anna), "hi") };
    let sent = send(&store, keyed).await;

    let request = |workspace, chat, author, key: Option<&str>| SendContextRequest {
        workspace,
        chat,
        author,
        client_msg_id: key.map(Into::into),
    };
    let mut requests = vec![
        request(ws.id, chat.id, anna.id, None),
        request(ws.id, chat.id, anna.id, Some("k1")),
        request(ws.id, closed.id, anna.id, Some("k1")),
        request(ws.id, Uuid::now_v7(), anna.id, Some("k1")),
        request(ws.id, Uuid::now_v7(), anna.id, None),
        request(ws.id, closed.id, anna.id, Some("k2")),
        request(ws.id, chat.id, owner.id, Some("k1")),
        request(ws.id, theirs.id, anna.id, None),
        request(other_ws.id, chat.id, stranger.id, None),
        request(other_ws.id, theirs.id, stranger.id, Some("k1")),
        request(ws.id, chat.id, anna.id, None),
    ];
    // More than one statement's worth, of every kind, in a shuffled order.
    let kinds = requests.clone();
    for i in 0..300 {
        requests.push(kinds[(i * 7) % kinds.len()].clone());
    }
    let batch = store.send_contexts(&requests).await.expect("send_contexts");
    assert_eq!(batch.len(), requests.len());
    for (r, got) in requests.iter().zip(&batch) {
        let one =
            store.send_context(r.workspace, r.chat, r.author, r.client_msg_id.as_deref()).await.unwrap();
        assert_eq!(got, &one, "as send_context answers {r:?}");
    }
    assert_eq!(batch[1].existing.as_ref(), Some(&sent), "a retry finds its message");
    assert_eq!(batch[3].existing.as_ref(), Some(&sent), "also when it names a chat that does not exist");
    assert!(batch[0].member.is_some() && batch[2].member.is_none(), "member and not");
    assert!(batch[7].chat.is_none() && batch[8].chat.is_none(), "another workspace's chat is not found");
    assert!(store.send_contexts(&[]).await.unwrap().is_empty());
}

/// One writer shared by back-to-back group commits and every other write
/// (on SQLite lent without a ping, `conns.rs`): other writers still get their turn
/// while batches keep coming, a failed batch hands the writer back, and the store
/// closes afterwards. The timeouts only turn a starved writer into a failure
/// instead of a hung test.
async fn other_writers_get_their_turn_between_group_commits(backend: Backend) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration as StdDuration;

    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let chat = channel(&store, &ws, &owner, "busy", &[]).await;
    let root = send(&store, msg(&chat, Some(&owner), "root")).await;

    let stop = Arc::new(AtomicBool::new(false));
    let batches = Arc::new(AtomicUsize::new(0));
    let appender = {
        let (store, chat, owner) = (store.clone(), chat.clone(), owner.clone());
        let (stop, batches) = (stop.clone(), batches.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let batch = vec![msg(&chat, Some(&owner), "a"), msg(&chat, Some(&owner), "b")];
                store.append_messages(&batch).await.expect("append");
                batches.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    // Writes of other kinds, each waiting for the writer between batches.
    let others = async {
        for i in 0..20 {
            store.edit_message(ws.id, root.id, &format!("root v{i}"), &[], false, at(i)).await.expect("edit");
            store.add_reaction(ws.id, root.id, owner.id, &format!("e{i}"), at(i)).await.expect("react");
        }
    };
    tokio::time::timeout(StdDuration::from_secs(60), others)
        .await
        .expect("other writers got the writer while batches kept coming");
    let during = batches.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    appender.await.unwrap();
    assert!(during > 0, "batches were committed meanwhile");

    // A batch that fails (a chat of another workspace) hands the writer back.
    let (other_ws, other_owner) = seeded(&store, "globex").await;
    let foreign = channel(&store, &other_ws, &other_owner, "theirs", &[]).await;
    let wrong = NewMessage { workspace_id: ws.id, ..msg(&foreign, Some(&owner), "nope") };
    assert!(matches!(store.append_messages(&[wrong]).await, Err(StoreError::NotFound(_))));
    tokio::time::timeout(
        StdDuration::from_secs(30),
        store.set_pinned(ws.id, root.id, owner.id, true, at(99)),
    )
    .await
    .expect("the writer came back after a failed batch")
    .expect("pin");

    let events = store.events_since(ws.id, chat.id, 0, 100_000).await.unwrap();
    let last = store.get_chat(ws.id, chat.id).await.unwrap().last_seq;
    assert_eq!(seqs(&events), (1..=last).collect::<Vec<_>>(), "gap-free under mixed writers");
    assert_eq!(store.message_edits(ws.id, root.id).await.unwrap().len(), 20);

    send(&store, msg(&chat, Some(&owner), "last")).await;
    tokio::time::timeout(StdDuration::from_secs(30), store.close())
        .await
        .expect("closing does not wait for a kept writer");
}

/// People's sends (`author_must_be_member`) commit only while their author is a
/// member of the chat and the chat is not archived, checked by the commit itself:
/// the server answers most sends from senders it read a moment ago, so this is
/// where a removal or an archive since then is caught. Both ways a batch is
/// written (plain messages, and with a thread reply) refuse it whole.
async fn authors_who_must_be_members_are_checked_at_commit(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "acme").await;
    let anna = add_user(&store, &ws, "anna").await;
    let bob = add_user(&store, &ws, "bob").await;
    let chat = channel(&store, &ws, &owner, "general", &[&anna]).await;
    let root = send(&store, msg(&chat, Some(&owner), "root")).await;
    let person = |author: &User, body: &str| NewMessage {
        author_must_be_member: true,
        notice: None,
        ..msg(&chat, Some(author), body)
    };
    let reply =
        |author: &User, body: &str| NewMessage { thread_root_id: Some(root.id), ..person(author, body) };
    let last_seq =
        |store: Arc<dyn Store>| async move { store.get_chat(ws.id, chat.id).await.unwrap().last_seq };

    // A member may; a non-member in the same batch takes the batch down whole.
    let ok = send(&store, person(&anna, "hello")).await;
    assert_eq!(ok.seq, root.seq + 1);
    for batch in [
        vec![person(&anna, "fine"), person(&bob, "not a member")],
        vec![reply(&anna, "fine"), reply(&bob, "not a member")],
        vec![NewMessage { author_id: None, ..person(&anna, "no author") }],
    ] {
        let r = store.append_messages(&batch).await;
        assert!(matches!(r, Err(StoreError::NotAllowed(_))), "{r:?}");
        assert_eq!(last_seq(store.clone()).await, ok.seq, "a refused batch takes no seq");
    }
    // The same message without the rule (a system or bot message) goes in.
    let system = NewMessage { author_must_be_member: false, ..person(&bob, "by the system") };
    assert_eq!(send(&store, system).await.seq, ok.seq + 1);

    // Removed since: refused.
    store.remove_member(ws.id, chat.id, anna.id, Some(owner.id), at(5)).await.unwrap().expect("removed");
    let seq = last_seq(store.clone()).await;
    for batch in [vec![person(&anna, "still here?")], vec![reply(&anna, "still here?")]] {
        assert!(matches!(store.append_messages(&batch).await, Err(StoreError::NotAllowed(_))));
    }
    assert_eq!(last_seq(store.clone()).await, seq);

    // Archived: refused even for the owner, until unarchived.
    let archive = |on: bool| ChatPatch { archived_at: Some(on.then(|| at(6))), ..ChatPatch::default() };
    store.update_chat(ws.id, chat.id, &archive(true), at(6)).await.unwrap();
    let seq = last_seq(store.clone()).await;
    for batch in [vec![person(&owner, "archived?")], vec![reply(&owner, "archived?")]] {
        assert!(matches!(store.append_messages(&batch).await, Err(StoreError::NotAllowed(_))));
    }
    assert_eq!(last_seq(store.clone()).await, seq);
    store.update_chat(ws.id, chat.id, &archive(false), at(7)).await.unwrap();
    assert_eq!(send(&store, person(&owner, "back")).await.seq, seq + 2);
    let back = store.append_messages(&[reply(&owner, "in the thread")]).await.unwrap();
    assert!(back[0].message.seq > seq + 2);
    let page = store.history(ws.id, chat.id, None, HistoryPage::Latest, 50).await.unwrap();
    let bodies: Vec<&str> = page.iter().map(|m| m.body.as_str()).collect();
    assert!(!bodies.iter().any(|b| b.contains('?') || *b == "fine" || *b == "not a member"), "{bodies:?}");
}

/// A notice rides with its message on both engines: written in a batch beside
/// plain messages (and a thread reply), read back by every read path and the
/// event log, and dropped with the rest of the content when deleted.
async fn notices_are_stored_read_and_deleted_with_their_message(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (ws, owner) = seeded(&store, "notices").await;
    let chat = channel(&store, &ws, &owner, "deals", &[]).await;
    let due: DateTime<Utc> = "2026-12-08T12:00:00Z".parse().unwrap();
    let notice = Notice::TaskCreated {
        task_id: Uuid::now_v7(),
        title: "Позвонить".into(),
        assignee_ids: vec![owner.id],
        assignee_names: vec![owner.name.clone()],
        due_at: Some(due),
        due_date: None,
        priority: TaskPriority::High,
    };
    let root = send(&store, msg(&chat, Some(&owner), "root")).await;
    let system = NewMessage {
        author_id: Some(owner.id),
        notice: Some(notice.clone()),
        ..msg(&chat, None, "Name: задача «Позвонить»")
    };
    let hook = Notice::Hook { hook_id: Uuid::now_v7(), name: "CI".into() };
    let batch = [
        msg(&chat, Some(&owner), "plain"),
        system.clone(),
        NewMessage { kind: MessageKind::Bot, notice: Some(hook.clone()), ..msg(&chat, None, "build ok") },
        NewMessage { thread_root_id: Some(root.id), ..msg(&chat, Some(&owner), "reply") },
    ];
    let out = store.append_messages(&batch).await.expect("append");
    assert_eq!(out[0].message.notice, None);
    assert_eq!(out[1].message.notice.as_ref(), Some(&notice));
    assert_eq!(out[2].message.notice.as_ref(), Some(&hook));

    let read = store.get_message(ws.id, system.id).await.unwrap();
    assert_eq!(read.notice.as_ref(), Some(&notice));
    assert_eq!(read.kind, MessageKind::System);
    let page = store.history(ws.id, chat.id, None, HistoryPage::Latest, 50).await.unwrap();
    let notices: Vec<Option<&Notice>> = page.iter().map(|m| m.notice.as_ref()).collect();
    assert_eq!(notices, vec![None, None, Some(&notice), Some(&hook)], "{:?}", bodies(&page));
    let events = store.events_since(ws.id, chat.id, 0, 100).await.unwrap();
    let logged = events.iter().find_map(|e| match &e.change {
        ChatChange::MessageCreated { message } if message.id == system.id => message.notice.clone(),
        _ => None,
    });
    assert_eq!(logged, Some(notice.clone()), "the event log carries it for catch-up");
    let summaries = store.list_my_chats(ws.id, owner.id).await.unwrap();
    let last = summaries.iter().find(|s| s.chat.id == chat.id).and_then(|s| s.last_message.clone());
    assert_eq!(last.and_then(|m| m.notice), Some(hook.clone()), "the chat list's last message too");

    let (deleted, _) = store.delete_message(ws.id, system.id, at(9)).await.unwrap();
    assert_eq!(deleted.notice, None);
    assert_eq!(store.get_message(ws.id, system.id).await.unwrap().notice, None);
    let events = store.events_since(ws.id, chat.id, 0, 100).await.unwrap();
    assert!(events.iter().all(|e| match &e.change {
        ChatChange::MessageCreated { message } if message.id == system.id => message.notice.is_none(),
        _ => true,
    }));
}

on_every_backend!(
    attachments_link_only_to_their_uploaders_messages,
    chat_files_list_what_was_sent_newest_first,
    chats_are_created_read_and_updated,
    direct_chats_are_unique_per_pair,
    members_join_leave_and_change_roles,
    seq_is_gap_free_across_mixed_events,
    append_is_idempotent_per_author_key,
    send_context_reads_chat_membership_and_key,
    one_batch_spans_many_chats_threads_and_mentions,
    concurrent_appends_get_every_seq_once,
    concurrent_writers_across_chats_do_not_deadlock,
    unread_and_mention_counts,
    mark_read_clamps_and_never_goes_back,
    history_pages_and_threads,
    edits_keep_history_and_deletes_leave_tombstones,
    reactions_are_idempotent,
    pins,
    every_method_is_scoped_to_its_workspace,
    other_writers_get_their_turn_between_group_commits,
    send_contexts_read_many_sends_as_one_would,
    authors_who_must_be_members_are_checked_at_commit,
    notices_are_stored_read_and_deleted_with_their_message,
);
