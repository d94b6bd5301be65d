//! `SearchSourceStore`: the outbox the triggers fill with every change of a
//! searchable object, the indexer's drain lease, and the documents built from
//! the current rows (what is deleted, archived or a system line is left out).

use std::sync::Arc;

use artel_core::crm::client::{phones, Company, Contact};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::task::Task;
use artel_core::ports::search::OutboxEntry;
use artel_core::search::{SearchDoc, SearchKind};
use artel_core::user::User;
use artel_core::Store;
use artel_tests::{on_every_backend, Backend};
use serde_json::{json, Map};
use uuid::Uuid;

use crate::support::{
    add_user, archive_deal, at, board, channel, deal_value, msg, open, put_deal, put_task, seeded, send,
    sorted, t0, task_value,
};

fn contact(by: &User, name: &str) -> Contact {
    let mut custom = Map::new();
    custom.insert("source".into(), json!("выставка"));
    custom.insert("score".into(), json!(7));
    Contact {
        id: Uuid::now_v7(),
        workspace_id: by.workspace_id,
        name: name.into(),
        phones: phones(&["+7 912 345-67-89".to_string()], "RU").expect("phones"),
        emails: vec!["Ivan@Example.com".into()],
        position: Some("Директор".into()),
        company_id: None,
        address: None,
        tags: vec!["vip".into()],
        owner_id: None,
        source: None,
        notes: "Любит звонки".into(),
        custom,
        created_by: by.id,
        created_at: t0(),
        updated_at: at(5),
        archived_at: None,
    }
}

fn company(by: &User, name: &str) -> Company {
    Company {
        id: Uuid::now_v7(),
        workspace_id: by.workspace_id,
        name: name.into(),
        phones: Vec::new(),
        emails: Vec::new(),
        website: Some("https://romashka.example".into()),
        address: Some("Москва".into()),
        tags: Vec::new(),
        owner_id: None,
        source: None,
        notes: String::new(),
        custom: Map::new(),
        created_by: by.id,
        created_at: t0(),
        updated_at: at(6),
        archived_at: None,
    }
}

async fn drain_outbox(store: &Arc<dyn Store>) {
    let all = store.search_outbox_batch(10_000).await.unwrap();
    store.search_outbox_remove(&all.iter().map(|e| e.id).collect::<Vec<_>>()).await.unwrap();
    assert_eq!(store.search_outbox_pending().await.unwrap(), 0);
}

async fn outbox_notes_every_change_in_order(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let (_, stages) = board(&store, &a, "Sales").await;
    let general = channel(&store, &a, &owner, "general", &[]).await;
    drain_outbox(&store).await;
    assert!(store.search_outbox_batch(10).await.unwrap().is_empty());

    let deal = put_deal(&store, deal_value(&stages[0], &owner, "Поставка")).await;
    let person = contact(&owner, "Иван");
    store.create_contact(&person, &[]).await.unwrap();
    let firm = company(&stranger, "Ромашка");
    store.create_company(&firm, &[]).await.unwrap();
    let task = put_task(&store, task_value(&owner, "Позвонить")).await;
    let message = send(&store, msg(&general, Some(&owner), "привет")).await;
    archive_deal(&store, &deal, at(9)).await;

    let notes = store.search_outbox_batch(100).await.unwrap();
    let seen: Vec<(Uuid, SearchKind, Uuid)> =
        notes.iter().map(|e| (e.workspace_id, e.kind, e.entity_id)).collect();
    assert_eq!(
        seen,
        vec![
            (a.id, SearchKind::Deal, deal.id),
            (a.id, SearchKind::Contact, person.id),
            (b.id, SearchKind::Company, firm.id),
            (a.id, SearchKind::Task, task.id),
            (a.id, SearchKind::Message, message.id),
            (a.id, SearchKind::Deal, deal.id),
        ]
    );
    assert!(notes.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    assert_eq!(store.search_outbox_pending().await.unwrap(), 6);

    // Batches are limited; removing applied notes leaves the rest in order.
    let first_two = store.search_outbox_batch(2).await.unwrap();
    assert_eq!(first_two, notes[..2]);
    store.search_outbox_remove(&[first_two[0].id, first_two[1].id]).await.unwrap();
    store.search_outbox_remove(&[]).await.unwrap();
    store.search_outbox_remove(&[first_two[0].id, i64::MAX]).await.unwrap();
    assert_eq!(store.search_outbox_pending().await.unwrap(), 4);
    assert_eq!(store.search_outbox_batch(100).await.unwrap(), notes[2..]);

    // Many at once (more than one statement's worth of ids).
    for i in 0..30 {
        send(&store, msg(&general, Some(&owner), &format!("m{i}"))).await;
    }
    let mut ids: Vec<i64> =
        store.search_outbox_batch(1000).await.unwrap().iter().map(|e: &OutboxEntry| e.id).collect();
    assert_eq!(ids.len(), 34);
    ids.extend((1..=600).map(|n| -n));
    store.search_outbox_remove(&ids).await.unwrap();
    assert_eq!(store.search_outbox_pending().await.unwrap(), 0);
}

async fn the_drain_lease_has_one_holder(backend: Backend) {
    let (store, db) = open(backend).await;
    let peer = crate::support::second_node(&db).await;
    let (n1, n2) = (Uuid::now_v7(), Uuid::now_v7());

    assert!(store.claim_search_lease("indexer", n1, at(0), at(30)).await.unwrap());
    assert!(store.claim_search_lease("indexer", n1, at(20), at(60)).await.unwrap(), "renewed by its holder");
    assert!(!peer.claim_search_lease("indexer", n2, at(59), at(90)).await.unwrap());
    assert!(!peer.claim_search_lease("indexer", n2, at(60), at(90)).await.unwrap(), "held to its end");
    assert!(peer.claim_search_lease("reindex", n2, at(0), at(30)).await.unwrap(), "names are separate");
    assert!(peer.claim_search_lease("indexer", n2, at(61), at(90)).await.unwrap(), "expired: taken over");
    assert!(!store.claim_search_lease("indexer", n1, at(62), at(92)).await.unwrap());
    // Only the holder gives it up.
    store.release_search_lease("indexer", n1).await.unwrap();
    assert!(!store.claim_search_lease("indexer", n1, at(63), at(93)).await.unwrap());
    peer.release_search_lease("indexer", n2).await.unwrap();
    peer.release_search_lease("indexer", n2).await.unwrap();
    assert!(store.claim_search_lease("indexer", n1, at(64), at(94)).await.unwrap());

    // Many claimants at once: one holder.
    let racers = futures_util::future::join_all((0..8).map(|i| {
        let s = if i % 2 == 0 { store.clone() } else { peer.clone() };
        tokio::spawn(
            async move { s.claim_search_lease("race", Uuid::now_v7(), at(0), at(30)).await.unwrap() },
        )
    }))
    .await;
    assert_eq!(racers.into_iter().filter(|r| *r.as_ref().unwrap()).count(), 1);
}

async fn documents_are_built_from_live_rows(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let ann = add_user(&store, &a, "ann").await;
    let (_, stages) = board(&store, &a, "Sales").await;
    let general = channel(&store, &a, &owner, "general", &[&ann]).await;
    let theirs = channel(&store, &b, &stranger, "theirs", &[]).await;

    // Messages: text with its keys and links, thread flags; system lines and
    // deleted messages are no documents.
    let root =
        send(&store, msg(&general, Some(&owner), "Счёт на sales@example.com, см. https://x.example")).await;
    let mut reply = msg(&general, Some(&ann), "+7 (912) 345-67-89");
    reply.thread_root_id = Some(root.id);
    let reply = send(&store, reply).await;
    let system = send(&store, msg(&general, None, "ann joined")).await;
    let gone = send(&store, msg(&general, Some(&owner), "oops")).await;
    store.delete_message(a.id, gone.id, at(1)).await.unwrap();
    let their_msg = send(&store, msg(&theirs, Some(&stranger), "hello")).await;
    let docs = store
        .search_docs(
            SearchKind::Message,
            &[root.id, reply.id, system.id, gone.id, their_msg.id, Uuid::now_v7()],
        )
        .await
        .unwrap();
    let mut docs_by_id = docs.clone();
    docs_by_id.sort_by_key(|d| d.id);
    assert_eq!(
        sorted(&docs.iter().map(|d| d.id).collect::<Vec<_>>()),
        sorted(&[root.id, reply.id, their_msg.id])
    );
    let root_doc = docs.iter().find(|d| d.id == root.id).unwrap();
    assert_eq!(
        *root_doc,
        SearchDoc {
            kind: SearchKind::Message,
            id: root.id,
            workspace_id: a.id,
            title: String::new(),
            text: root.body.clone(),
            keys: vec!["mail:sales@example.com".into()],
            at: root.created_at,
            chat_id: Some(general.id),
            seq: Some(root.seq),
            author_id: Some(owner.id),
            is_thread: true,
            has_file: false,
            has_link: true,
            deal_id: None,
            stage_id: None,
            people: Vec::new(),
        }
    );
    let reply_doc = docs.iter().find(|d| d.id == reply.id).unwrap();
    assert_eq!(
        (reply_doc.is_thread, reply_doc.has_link, reply_doc.keys.clone()),
        (true, false, vec!["tel:9123456789".to_string()])
    );
    assert_eq!(docs.iter().find(|d| d.id == their_msg.id).unwrap().workspace_id, b.id);
    assert!(store.search_docs(SearchKind::Message, &[]).await.unwrap().is_empty());
    // Asking for a kind an id is not of finds nothing.
    assert!(store.search_docs(SearchKind::Deal, &[root.id]).await.unwrap().is_empty());

    // Deals: title, tags and text custom values, stage, people; archived ones are out.
    let mut custom = Map::new();
    custom.insert("source".into(), json!("выставка"));
    custom.insert("channels".into(), json!(["сайт", "звонок"]));
    custom.insert("budget".into(), json!(100));
    let deal = put_deal(
        &store,
        artel_core::crm::deal::Deal {
            participants: vec![ann.id],
            tags: vec!["опт".into()],
            custom,
            chat_id: Some(general.id),
            updated_at: at(3),
            ..deal_value(&stages[1], &owner, "Поставка")
        },
    )
    .await;
    let archived = put_deal(&store, deal_value(&stages[0], &owner, "old")).await;
    archive_deal(&store, &archived, at(4)).await;
    let deal_docs = store.search_docs(SearchKind::Deal, &[deal.id, archived.id]).await.unwrap();
    assert_eq!(deal_docs.len(), 1);
    let d = &deal_docs[0];
    assert_eq!(
        (d.kind, d.id, d.workspace_id, d.title.as_str(), d.at),
        (SearchKind::Deal, deal.id, a.id, "Поставка", at(3))
    );
    for word in ["опт", "выставка", "сайт звонок"] {
        assert!(d.text.contains(word), "{word} in {:?}", d.text);
    }
    assert!(!d.text.contains("100"), "numbers are not words: {:?}", d.text);
    assert_eq!((d.chat_id, d.deal_id, d.stage_id), (Some(general.id), Some(deal.id), Some(stages[1].id)));
    assert_eq!(d.people, vec![owner.id, ann.id]);

    // Contacts and companies: their words and normalised phone and e-mail keys.
    let person = contact(&owner, "Иван");
    store.create_contact(&person, &[]).await.unwrap();
    let hidden = Contact { archived_at: Some(at(1)), ..contact(&owner, "hidden") };
    store.create_contact(&hidden, &[]).await.unwrap();
    let c = store.search_docs(SearchKind::Contact, &[person.id, hidden.id]).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].title.as_str(), c[0].at, c[0].workspace_id), ("Иван", at(5), a.id));
    assert_eq!(c[0].keys, vec!["mail:ivan@example.com".to_string(), "tel:9123456789".to_string()]);
    for word in ["Директор", "Любит звонки", "vip", "выставка"] {
        assert!(c[0].text.contains(word), "{word} in {:?}", c[0].text);
    }
    let firm = company(&stranger, "Ромашка");
    store.create_company(&firm, &[]).await.unwrap();
    let f = store.search_docs(SearchKind::Company, &[firm.id]).await.unwrap();
    assert_eq!((f.len(), f[0].title.as_str(), f[0].workspace_id, f[0].at), (1, "Ромашка", b.id, at(6)));
    assert!(f[0].text.contains("https://romashka.example") && f[0].text.contains("Москва"));

    // Tasks: title, description, the deal they belong to, creator and assignees.
    let task = put_task(
        &store,
        Task {
            description: "Обсудить на www.example.com".into(),
            assignees: vec![ann.id],
            entity: Some(EntityRef { kind: EntityKind::Deal, id: deal.id }),
            updated_at: at(8),
            ..task_value(&owner, "Позвонить")
        },
    )
    .await;
    let loose = put_task(&store, task_value(&ann, "Без сделки")).await;
    let t = store.search_docs(SearchKind::Task, &[task.id, loose.id]).await.unwrap();
    let t = t.into_iter().find(|d| d.id == task.id).unwrap();
    assert_eq!(
        (t.title.as_str(), t.text.as_str(), t.has_link, t.deal_id, t.at),
        ("Позвонить", "Обсудить на www.example.com", true, Some(deal.id), at(8))
    );
    assert_eq!(t.people, vec![owner.id, ann.id]);
    assert_eq!(store.search_docs(SearchKind::Task, &[loose.id]).await.unwrap()[0].deal_id, None);

    // Reindex pages: every live document of a kind by id, across workspaces.
    let all_messages = [root.id, reply.id, their_msg.id];
    assert_eq!(store.search_doc_count(SearchKind::Message).await.unwrap(), 3);
    let page1 = store.search_doc_page(SearchKind::Message, None, 2).await.unwrap();
    let page2 = store.search_doc_page(SearchKind::Message, Some(page1[1].id), 2).await.unwrap();
    let paged: Vec<Uuid> = page1.iter().chain(page2.iter()).map(|d| d.id).collect();
    assert_eq!(paged, sorted(&all_messages));
    assert!(store
        .search_doc_page(SearchKind::Message, Some(*paged.last().unwrap()), 2)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        page1[0],
        *docs_by_id.iter().find(|d| d.id == page1[0].id).unwrap(),
        "pages build the same documents"
    );
    assert_eq!(store.search_doc_count(SearchKind::Deal).await.unwrap(), 1);
    assert_eq!(store.search_doc_count(SearchKind::Contact).await.unwrap(), 1);
    assert_eq!(store.search_doc_count(SearchKind::Company).await.unwrap(), 1);
    assert_eq!(store.search_doc_count(SearchKind::Task).await.unwrap(), 2);
    assert_eq!(store.search_doc_page(SearchKind::Task, None, 10).await.unwrap().len(), 2);
    // Looking up more ids than one statement takes.
    let mut many: Vec<Uuid> = (0..1200).map(|_| Uuid::now_v7()).collect();
    many.push(task.id);
    assert_eq!(store.search_docs(SearchKind::Task, &many).await.unwrap().len(), 1);
}

on_every_backend!(
    outbox_notes_every_change_in_order,
    the_drain_lease_has_one_holder,
    documents_are_built_from_live_rows
);
