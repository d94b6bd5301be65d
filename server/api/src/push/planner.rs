//! The planner: turns committed messages and CRM notifications into queued
//! deliveries, one per subscription of each recipient. It applies the rules in
//! order: who (artel_core::push::message_recipients), not the author, chat not
//! muted, chat not on screen in one of the user's clients, kind switched on,
//! not in do-not-disturb hours; then the collapse window: a delivery for a tag
//! that went out less than `collapse` ago waits until the window ends, and
//! later ones fold into it (count).

use std::collections::HashMap;
use std::sync::Arc;

use artel_core::chat::{ChatId, ChatKind};
use artel_core::event::{ChatChange, ChatEvent};
use artel_core::push::{self as rules, Notification, PushKind, QueueStatus, QueuedPush};
use artel_core::{Clock, Store, StoreError};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::push::{Plan, PushSettings};

/// Chat kinds remembered by the planner before it starts over (bounds memory).
const MAX_KNOWN_KINDS: usize = 100_000;

pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: PushSettings,
    mut rx: mpsc::UnboundedReceiver<Plan>,
    wake: Arc<tokio::sync::Notify>,
) {
    // A chat's kind never changes, and most messages (no mention, no thread, not
    // direct) notify nobody: knowing the kind spares them every read.
    let mut kinds: HashMap<ChatId, ChatKind> = HashMap::new();
    while let Some(plan) = rx.recv().await {
        let mut queued = 0;
        let mut failed = None;
        let mut note = |result: Result<usize, StoreError>| match result {
            Ok(n) => queued += n,
            Err(e) => failed = Some(e),
        };
        match plan {
            Plan::Messages(events) => {
                if kinds.len() > MAX_KNOWN_KINDS {
                    kinds.clear();
                }
                for event in events {
                    note(plan_message(&store, &clock, &settings, &mut kinds, &event).await);
                }
            }
            Plan::Notify(n) => note(deliver(&store, &clock, &settings, *n).await),
            Plan::Flush(done) => {
                let _ = done.send(());
            }
        }
        if let Some(e) = failed {
            tracing::warn!(error = %e, "could not plan pushes");
        }
        // Deliveries due now go out without waiting for the worker's next tick.
        // Only when something was queued: most messages notify nobody, and each
        // wake-up is a claim query on the store (one per group commit, more
        // than half a query per message under load on two nodes).
        if queued > 0 {
            wake.notify_one();
        }
    }
}

async fn plan_message(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    settings: &PushSettings,
    kinds: &mut HashMap<ChatId, ChatKind>,
    event: &ChatEvent,
) -> Result<usize, StoreError> {
    let ChatChange::MessageCreated { message } = &event.change else { return Ok(0) };
    let ws = message.workspace_id;
    let mut read = None;
    let kind = match kinds.get(&message.chat_id) {
        Some(kind) => *kind,
        None => {
            let chat = store.get_chat(ws, message.chat_id).await?;
            kinds.insert(chat.id, chat.kind);
            let kind = chat.kind;
            read = Some(chat);
            kind
        }
    };
    if !rules::may_notify(message, kind) {
        return Ok(0);
    }
    // Read now (not from the cache): the title shows the chat's current name.
    let chat = match read {
        Some(chat) => chat,
        None => store.get_chat(ws, message.chat_id).await?,
    };
    let members: Vec<Uuid> = store.list_members(ws, chat.id).await?.iter().map(|m| m.user_id).collect();
    let participants = match message.thread_root_id {
        Some(root) => store.thread_participants(ws, root).await?,
        None => Vec::new(),
    };
    let recipients = rules::message_recipients(message, chat.kind, &members, &participants);
    if recipients.is_empty() {
        return Ok(0);
    }
    let author = match message.author_id {
        Some(a) => store.get_user(ws, a).await.ok(),
        None => None,
    };
    let author_name = author.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| "Artel".to_string());
    let title = match (chat.kind, chat.name.as_deref()) {
        (ChatKind::Direct, _) | (_, None) => author_name.clone(),
        (ChatKind::Channel, Some(name)) => format!("{author_name} · #{name}"),
        (_, Some(name)) => format!("{author_name} · {name}"),
    };
    // Mentions read as names, not ids.
    let mut names: HashMap<Uuid, String> = HashMap::new();
    for id in &message.mentions {
        if let Ok(u) = store.get_user(ws, *id).await {
            names.insert(*id, u.name);
        }
    }
    let body = rules::plain_excerpt(&message.body, &|id| names.get(&id).cloned());
    let body = if body.is_empty() && !message.attachments.is_empty() { "📎".to_string() } else { body };
    let mut queued = 0;
    for (user, kind) in recipients {
        let n = Notification {
            workspace_id: ws,
            user_id: user,
            kind,
            chat_id: Some(chat.id),
            title: rules::shorten(&title, rules::MAX_TITLE_CHARS),
            body: body.clone(),
            url: format!("/m/chats/{}", chat.id),
            tag: rules::chat_tag(chat.id),
        };
        queued += deliver(store, clock, settings, n).await?;
    }
    Ok(queued)
}

/// Applies the per-user rules to one notification and queues it for each of
/// the user's devices; how many deliveries it queued.
async fn deliver(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    settings: &PushSettings,
    n: Notification,
) -> Result<usize, StoreError> {
    let ws = n.workspace_id;
    let subscriptions = store.list_subscriptions(ws, n.user_id).await?;
    if subscriptions.is_empty() {
        return Ok(0);
    }
    let now = clock.now();
    if let Some(chat) = n.chat_id {
        if store.chat_muted_by(ws, chat).await?.contains(&n.user_id) {
            return Ok(0);
        }
        if store.focused_users(ws, chat, now).await?.contains(&n.user_id) {
            return Ok(0);
        }
    }
    let user = match store.get_user(ws, n.user_id).await {
        Ok(u) if u.is_active() => u,
        Ok(_) | Err(StoreError::NotFound(_)) => return Ok(0),
        Err(e) => return Err(e),
    };
    let prefs = store.notification_settings(ws, n.user_id).await?;
    if !prefs.kinds.allows(n.kind) || prefs.in_dnd(&user.time_zone, now) {
        return Ok(0);
    }
    let body = if prefs.hide_text { String::new() } else { n.body };
    let queued = subscriptions.len();
    for sub in subscriptions {
        let run_at = match store.last_push_at(sub.id, &n.tag).await? {
            Some(last) if last + settings.collapse > now => last + settings.collapse,
            _ => now,
        };
        store
            .enqueue_push(&QueuedPush {
                id: Uuid::now_v7(),
                workspace_id: ws,
                user_id: n.user_id,
                subscription_id: sub.id,
                tag: n.tag.clone(),
                kind: n.kind,
                title: n.title.clone(),
                body: body.clone(),
                url: n.url.clone(),
                count: 1,
                status: QueueStatus::Pending,
                run_at,
                attempts: 0,
                last_status: None,
                last_error: None,
                created_at: now,
                sent_at: None,
            })
            .await?;
    }
    Ok(queued)
}

/// A CRM notification about a task or deal for `user`, unless `user` did it.
pub fn record_notification(
    workspace: Uuid,
    user: Uuid,
    actor: Option<Uuid>,
    kind: PushKind,
    title: &str,
    body: &str,
    id: Uuid,
) -> Option<Notification> {
    if actor == Some(user) {
        return None;
    }
    let (url, tag) = match kind {
        PushKind::DealAssigned => (format!("/m/deals/{id}"), rules::deal_tag(id)),
        _ => (format!("/m/tasks/{id}"), rules::task_tag(id)),
    };
    Some(Notification {
        workspace_id: workspace,
        user_id: user,
        kind,
        chat_id: None,
        title: rules::shorten(title, rules::MAX_TITLE_CHARS),
        body: rules::shorten(body, rules::MAX_BODY_CHARS),
        url,
        tag,
    })
}
