//! `IntegrationStore` and `LeadKeyStore`: integration settings, outgoing
//! webhooks and their delivery log, secret incoming hooks (incoming messages and
//! website lead forms), and the idempotency keys of leads.

use artel_core::automation::hook::{ChatHook, HookKind, LeadKey, LeadRecord};
use artel_core::automation::webhook::{DeliveryOutcome, IntegrationSettings, Webhook, WebhookDelivery};
use artel_core::user::User;
use artel_core::StoreError;
use artel_tests::{on_every_backend, Backend};
use futures_util::future::join_all;
use uuid::Uuid;

use crate::support::{assert_err, at, board, channel, open, seeded};

fn webhook(by: &User, name: &str, created: i64) -> Webhook {
    Webhook {
        id: Uuid::now_v7(),
        workspace_id: by.workspace_id,
        name: name.into(),
        url: format!("https://hooks.example/{name}"),
        events: vec!["deal.created".into(), "message.created".into()],
        secret: format!("whsec_{name}"),
        active: true,
        created_by: Some(by.id),
        created_at: at(created),
        updated_at: at(created),
    }
}

fn delivery(w: &Webhook, attempt: i64, outcome: DeliveryOutcome, when: i64) -> WebhookDelivery {
    WebhookDelivery {
        id: Uuid::now_v7(),
        workspace_id: w.workspace_id,
        webhook_id: w.id,
        event_id: Uuid::now_v7(),
        event: "deal.created".into(),
        attempt,
        outcome,
        response_code: (outcome != DeliveryOutcome::Refused).then_some(500),
        duration_ms: 42,
        error: (outcome != DeliveryOutcome::Delivered).then(|| "ошибка".to_string()),
        created_at: at(when),
    }
}

fn hook(by: &User, kind: HookKind, name: &str, created: i64) -> ChatHook {
    ChatHook {
        id: Uuid::now_v7(),
        workspace_id: by.workspace_id,
        kind,
        name: name.into(),
        chat_id: None,
        pipeline_id: None,
        owner_id: Some(by.id),
        token_hash: format!("sha256-of-{name}-{}", Uuid::now_v7()),
        created_by: Some(by.id),
        created_at: at(created),
        revoked_at: None,
        redirect_url: None,
    }
}

async fn settings_and_webhooks(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;

    // Settings: defaults until set, then per workspace.
    assert_eq!(store.integration_settings(a.id).await.unwrap(), IntegrationSettings::default());
    let open_up = IntegrationSettings { allow_private_targets: true };
    store.set_integration_settings(a.id, open_up, at(1)).await.unwrap();
    assert_eq!(store.integration_settings(a.id).await.unwrap(), open_up);
    assert_eq!(store.integration_settings(b.id).await.unwrap(), IntegrationSettings::default());
    store.set_integration_settings(a.id, IntegrationSettings::default(), at(2)).await.unwrap();
    assert_eq!(store.integration_settings(a.id).await.unwrap(), IntegrationSettings::default());

    // Webhooks: exact round trip, oldest first, per workspace.
    assert!(store.list_webhooks(a.id).await.unwrap().is_empty());
    let crm = webhook(&owner, "crm", 10);
    let chat = Webhook { created_by: None, events: vec![], ..webhook(&owner, "chat", 5) };
    let theirs = webhook(&stranger, "theirs", 0);
    for w in [&crm, &chat, &theirs] {
        store.create_webhook(w).await.unwrap();
    }
    assert_err(store.create_webhook(&crm).await, StoreError::Conflict("webhook"));
    assert_eq!(store.get_webhook(a.id, crm.id).await.unwrap(), crm);
    assert_eq!(store.list_webhooks(a.id).await.unwrap(), vec![chat.clone(), crm.clone()]);
    assert_eq!(store.list_webhooks(b.id).await.unwrap(), vec![theirs.clone()]);
    assert_err(store.get_webhook(b.id, crm.id).await, StoreError::NotFound("webhook"));
    assert_err(store.get_webhook(a.id, Uuid::now_v7()).await, StoreError::NotFound("webhook"));

    // Update replaces name, URL, events, active flag and time; nothing else.
    let changed = Webhook {
        name: "CRM v2".into(),
        url: "https://hooks.example/v2".into(),
        events: vec!["task.done".into()],
        active: false,
        updated_at: at(20),
        secret: "ignored".into(),
        created_by: None,
        created_at: at(99),
        ..crm.clone()
    };
    store.update_webhook(&changed).await.unwrap();
    let expected = Webhook {
        secret: crm.secret.clone(),
        created_by: crm.created_by,
        created_at: crm.created_at,
        ..changed.clone()
    };
    assert_eq!(store.get_webhook(a.id, crm.id).await.unwrap(), expected);
    let hijack = Webhook { workspace_id: b.id, name: "hijacked".into(), ..crm.clone() };
    assert_err(store.update_webhook(&hijack).await, StoreError::NotFound("webhook"));
    assert_err(
        store.update_webhook(&webhook(&owner, "never-stored", 0)).await,
        StoreError::NotFound("webhook"),
    );
    assert_eq!(store.get_webhook(a.id, crm.id).await.unwrap(), expected);

    // Deliveries: newest first (ties by id), limited, per workspace.
    let d1 = delivery(&crm, 1, DeliveryOutcome::Failed, 30);
    let d2 = delivery(&crm, 2, DeliveryOutcome::Delivered, 40);
    let d3 = delivery(&crm, 1, DeliveryOutcome::Refused, 40);
    let other = delivery(&chat, 1, DeliveryOutcome::Delivered, 50);
    for d in [&d1, &d2, &d3, &other] {
        store.record_delivery(d).await.unwrap();
    }
    assert_eq!(
        store.list_deliveries(a.id, crm.id, 10).await.unwrap(),
        vec![d3.clone(), d2.clone(), d1.clone()]
    );
    assert_eq!(store.list_deliveries(a.id, crm.id, 2).await.unwrap(), vec![d3.clone(), d2.clone()]);
    assert_eq!(store.list_deliveries(a.id, chat.id, 10).await.unwrap(), vec![other.clone()]);
    assert!(store.list_deliveries(b.id, crm.id, 10).await.unwrap().is_empty());
    assert!(store.list_deliveries(a.id, Uuid::now_v7(), 10).await.unwrap().is_empty());

    // Delete: only in its workspace; takes its delivery log along.
    assert_err(store.delete_webhook(b.id, crm.id).await, StoreError::NotFound("webhook"));
    store.delete_webhook(a.id, crm.id).await.unwrap();
    assert_err(store.delete_webhook(a.id, crm.id).await, StoreError::NotFound("webhook"));
    assert_err(store.get_webhook(a.id, crm.id).await, StoreError::NotFound("webhook"));
    assert!(store.list_deliveries(a.id, crm.id, 10).await.unwrap().is_empty());
    assert_eq!(store.list_deliveries(a.id, chat.id, 10).await.unwrap(), vec![other]);
    assert_eq!(store.list_webhooks(a.id).await.unwrap(), vec![chat]);
}

async fn incoming_hooks(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (b, stranger) = seeded(&store, "beta").await;
    let general = channel(&store, &a, &owner, "general", &[]).await;
    let (pipeline, _) = board(&store, &a, "Sales").await;

    assert!(store.list_hooks(a.id).await.unwrap().is_empty());
    let incoming =
        ChatHook { chat_id: Some(general.id), owner_id: None, ..hook(&owner, HookKind::Incoming, "ci", 10) };
    let lead = ChatHook {
        pipeline_id: Some(pipeline.id),
        redirect_url: Some("https://site.example/спасибо".into()),
        ..hook(&owner, HookKind::Lead, "site form", 5)
    };
    let theirs = hook(&stranger, HookKind::Incoming, "theirs", 0);
    for h in [&incoming, &lead, &theirs] {
        store.create_hook(h).await.unwrap();
    }
    assert_eq!(store.list_hooks(a.id).await.unwrap(), vec![lead.clone(), incoming.clone()]);
    assert_eq!(store.list_hooks(b.id).await.unwrap(), vec![theirs.clone()]);
    // Found by the secret's hash from any workspace (the URL is all a caller has).
    assert_eq!(store.find_hook_by_token_hash(&lead.token_hash).await.unwrap(), lead);
    assert_eq!(store.find_hook_by_token_hash(&theirs.token_hash).await.unwrap(), theirs);
    assert_err(store.find_hook_by_token_hash("sha256-of-nothing").await, StoreError::NotFound("hook"));
    // A secret's hash is unique, and so is an id.
    let clash =
        ChatHook { token_hash: lead.token_hash.clone(), ..hook(&owner, HookKind::Incoming, "clash", 0) };
    assert_err(store.create_hook(&clash).await, StoreError::Conflict("hook"));
    assert_err(
        store.create_hook(&ChatHook { token_hash: "fresh".into(), ..lead.clone() }).await,
        StoreError::Conflict("hook"),
    );

    // Revoking: in its workspace only; the first time sticks; still found (so the
    // caller can say "revoked" rather than "unknown").
    assert_err(store.revoke_hook(b.id, lead.id, at(20)).await, StoreError::NotFound("hook"));
    assert_err(store.revoke_hook(a.id, Uuid::now_v7(), at(20)).await, StoreError::NotFound("hook"));
    assert_eq!(store.find_hook_by_token_hash(&lead.token_hash).await.unwrap().revoked_at, None);
    store.revoke_hook(a.id, lead.id, at(20)).await.unwrap();
    store.revoke_hook(a.id, lead.id, at(30)).await.unwrap();
    let revoked = ChatHook { revoked_at: Some(at(20)), ..lead.clone() };
    assert_eq!(store.find_hook_by_token_hash(&lead.token_hash).await.unwrap(), revoked);
    assert_eq!(store.list_hooks(a.id).await.unwrap(), vec![revoked, incoming]);
}

async fn lead_keys_answer_once(backend: Backend) {
    let (store, _db) = open(backend).await;
    let (a, owner) = seeded(&store, "alpha").await;
    let (pipeline, _) = board(&store, &a, "Sales").await;
    let form = ChatHook { pipeline_id: Some(pipeline.id), ..hook(&owner, HookKind::Lead, "form", 0) };
    let other_form = ChatHook { pipeline_id: Some(pipeline.id), ..hook(&owner, HookKind::Lead, "other", 0) };
    store.create_hook(&form).await.unwrap();
    store.create_hook(&other_form).await.unwrap();
    let ws = a.id;
    let claim = |hook: Uuid, key: &'static str, now: i64| {
        let store = store.clone();
        async move { store.claim_lead_key(ws, hook, key, at(now), at(now - 86_400), at(now - 60)).await.unwrap() }
    };
    let lead = LeadRecord { contact_id: Uuid::now_v7(), contact_reused: true, deal_id: Uuid::now_v7() };

    // Claimed once; a second request while the first works is told so; the lead
    // made is the answer from then on, for that hook only.
    assert_eq!(claim(form.id, "k1", 0).await, LeadKey::Claimed);
    assert_eq!(claim(form.id, "k1", 1).await, LeadKey::InProgress);
    assert_eq!(claim(other_form.id, "k1", 1).await, LeadKey::Claimed, "keys are per hook");
    store.finish_lead_key(form.id, "k1", &lead).await.unwrap();
    assert_eq!(claim(form.id, "k1", 2).await, LeadKey::Done(lead));
    store.release_lead_key(form.id, "k1").await.unwrap();
    assert_eq!(claim(form.id, "k1", 3).await, LeadKey::Done(lead), "a made lead is not released");

    // A failed lead gives its key back for a retry.
    assert_eq!(claim(form.id, "k2", 10).await, LeadKey::Claimed);
    store.release_lead_key(form.id, "k2").await.unwrap();
    store.release_lead_key(form.id, "never-claimed").await.unwrap();
    assert_eq!(claim(form.id, "k2", 11).await, LeadKey::Claimed);

    // A claim left unfinished (its node died) goes stale after a minute; a made
    // lead's key is forgotten after a day.
    assert_eq!(claim(form.id, "k2", 71).await, LeadKey::InProgress, "not stale at exactly a minute");
    assert_eq!(claim(form.id, "k2", 72).await, LeadKey::Claimed);
    assert_eq!(claim(form.id, "k1", 86_400).await, LeadKey::Done(lead), "kept for a day");
    assert_eq!(claim(form.id, "k1", 86_401).await, LeadKey::Claimed);

    // Unicode keys are keys like any other.
    assert_eq!(claim(form.id, "ключ-№1", 100_000).await, LeadKey::Claimed);
    assert_eq!(claim(form.id, "ключ-№1", 100_001).await, LeadKey::InProgress);

    // Many requests with one key at once: exactly one gets to make the lead.
    let racers = join_all((0..10).map(|_| claim(form.id, "burst", 100_002))).await;
    assert_eq!(racers.iter().filter(|k| **k == LeadKey::Claimed).count(), 1);
    assert_eq!(racers.iter().filter(|k| **k == LeadKey::InProgress).count(), 9);
}

on_every_backend!(settings_and_webhooks, incoming_hooks, lead_keys_answer_once);
