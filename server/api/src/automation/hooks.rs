//! Secret incoming URLs: posting into a chat, and website leads becoming a
//! contact and a deal. The secret is the only credential, so lookups go by its
//! hash, unknown and revoked secrets look the same (404), and each hook has a
//! per-minute budget.

use std::collections::BTreeMap;

use artel_core::automation::hook::{ChatHook, HookKind};
use artel_core::chat::Chat;
use artel_core::crm::client::{self, Contact};
use artel_core::markdown::escape as md;
use artel_core::message::{MessageKind, NewMessage, MAX_BODY_CHARS};
use artel_core::notice::Notice;
use artel_core::user::{Language, Role, User};
use artel_core::{permissions, Error, Result, StoreError};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::tokens::{hash_token, plausible};
use crate::crm::clients::{self as clients, ClientPatch};
use crate::crm::deals::{self, NewDeal};
use crate::state::AppState;

/// Form fields kept at most (websites send submit buttons and the like too).
const MAX_FIELDS: usize = 50;
/// Longest form value (the free-text message).
const MAX_MESSAGE: usize = 4000;
/// Longest other value.
const MAX_VALUE: usize = 300;

/// The live hook of `kind` behind a secret, within its rate budget.
pub async fn resolve(state: &AppState, token: &str, kind: HookKind) -> Result<ChatHook> {
    let gone = || Error::NotFound("hook");
    if !plausible(token) {
        return Err(gone());
    }
    let hook = state.store.find_hook_by_token_hash(&hash_token(token)).await.map_err(|e| match e {
        StoreError::NotFound(_) => gone(),
        other => other.into(),
    })?;
    if hook.kind != kind || hook.revoked_at.is_some() {
        return Err(gone());
    }
    // Counted in the database: every node of a cluster spends the same budget.
    crate::auth::rate_limit::take_hook_call(state, hook.id).await?;
    Ok(hook)
}

/// Posts `text` into the hook's chat as a bot message.
pub async fn post_incoming(state: &AppState, hook: &ChatHook, text: &str) -> Result<Uuid> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_BODY_CHARS {
        return Err(Error::invalid("text", format!("must be 1-{MAX_BODY_CHARS} characters")));
    }
    let chat_id = hook.chat_id.ok_or(Error::NotFound("hook"))?;
    let chat = state.store.get_chat(hook.workspace_id, chat_id).await.map_err(|e| match e {
        StoreError::NotFound(_) => Error::NotFound("hook"),
        other => other.into(),
    })?;
    creator_still_authorises(state, hook, Some(&chat)).await?;
    if chat.is_archived() {
        return Err(artel_core::permissions::archived());
    }
    let mut message = bot_message(state, hook.workspace_id, chat.id, text.to_string());
    // Signed with the hook's name, as it was when it posted.
    message.notice = Some(Notice::Hook { hook_id: hook.id, name: hook.name.clone() });
    Ok(state.committer.append(message).await?.message.id)
}

fn bot_message(state: &AppState, workspace: Uuid, chat: Uuid, body: String) -> NewMessage {
    NewMessage {
        id: Uuid::now_v7(),
        workspace_id: workspace,
        chat_id: chat,
        author_id: None,
        kind: MessageKind::Bot,
        body,
        thread_root_id: None,
        client_msg_id: None,
        mentions: Vec::new(),
        mentions_all: false,
        created_at: state.clock.now(),
        attachment_ids: Vec::new(),
        author_must_be_member: false,
        notice: None,
    }
}

/// A website form, already decoded from JSON or form encoding.
pub type Form = BTreeMap<String, String>;

/// Reads a JSON object of strings (numbers accepted as text) into a form.
pub fn form_from_json(value: Value) -> Result<Form> {
    let Value::Object(map) = value else { return Err(Error::invalid("body", "must be a JSON object")) };
    let mut form = Form::new();
    for (k, v) in map {
        let v = match v {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Null => continue,
            _ => return Err(Error::invalid(k, "must be a string")),
        };
        insert(&mut form, k, v)?;
    }
    Ok(form)
}

/// Reads `application/x-www-form-urlencoded` into a form (first value of a repeated key).
pub fn form_from_urlencoded(body: &[u8]) -> Result<Form> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| Error::invalid("body", "is not valid form encoding"))?;
    let mut form = Form::new();
    for (k, v) in pairs {
        if !form.contains_key(&k) {
            insert(&mut form, k, v)?;
        }
    }
    Ok(form)
}

fn insert(form: &mut Form, key: String, value: String) -> Result<()> {
    if form.len() >= MAX_FIELDS {
        return Err(Error::invalid("body", format!("at most {MAX_FIELDS} fields")));
    }
    let max = if key == "message" { MAX_MESSAGE } else { MAX_VALUE };
    if key.chars().count() > 100 || value.chars().count() > max {
        return Err(Error::invalid(key, format!("must be at most {max} characters")));
    }
    let value = value.trim().to_string();
    if !value.is_empty() {
        form.insert(key, value);
    }
    Ok(())
}

/// What a lead produced.
pub use artel_core::automation::hook::LeadRecord as Lead;

/// A website lead: finds the contact by phone or e-mail (or creates it), opens a
/// deal in the hook's pipeline's first stage owned by the hook's owner, and
/// posts the form into the deal's chat.
pub async fn capture_lead(state: &AppState, hook: &ChatHook, form: &Form) -> Result<Lead> {
    creator_still_authorises(state, hook, None).await?;
    let actor = hook_actor(state, hook).await?;
    let region = clients::phone_region(state, &actor).await?;
    let field = |k: &str| form.get(k).map(String::as_str);
    let phones = match field("phone") {
        Some(p) => {
            vec![client::phone(p, &region).map_err(|_| Error::invalid("phone", "is not a phone number"))?]
        }
        None => Vec::new(),
    };
    let emails = match field("email") {
        Some(e) => {
            client::emails(&[e.to_string()]).map_err(|_| Error::invalid("email", "is not an e-mail"))?
        }
        None => Vec::new(),
    };
    if phones.is_empty() && emails.is_empty() {
        return Err(Error::invalid("phone", "a lead needs a phone or an e-mail"));
    }
    let name = field("name").map(str::to_string).unwrap_or_else(|| {
        emails.first().cloned().or_else(|| phones.first().map(|p| p.raw.clone())).unwrap_or_default()
    });
    let e164: Vec<String> = phones.iter().map(|p| p.e164.clone()).collect();
    let existing = state.store.find_contact_duplicates(actor.workspace_id, &e164, &emails).await?;
    let reuse = existing.iter().find(|c| c.archived_at.is_none()).or(existing.first()).cloned();
    let (contact, reused) = match reuse {
        Some(c) => (c, true),
        None => {
            let patch = ClientPatch {
                name: Some(name.chars().take(200).collect()),
                phones: Some(phones.iter().map(|p| p.raw.clone()).collect()),
                emails: Some(emails.clone()),
                owner_id: Some(Some(actor.id)),
                source: Some(Some("website".to_string())),
                ..ClientPatch::default()
            };
            (clients::create::<Contact>(state, &actor, patch).await?.record, false)
        }
    };
    let title = match actor.language {
        Language::Ru => format!("Заявка с сайта: {}", contact.name),
        Language::En => format!("Website lead: {}", contact.name),
    };
    let deal = deals::create(
        state,
        &actor,
        NewDeal {
            title: title.chars().take(200).collect(),
            amount_minor: None,
            currency: None,
            pipeline_id: hook.pipeline_id,
            stage_id: None,
            owner_id: Some(actor.id),
            participants: Vec::new(),
            contact_id: Some(contact.id),
            company_id: None,
            expected_close_date: None,
            tags: Vec::new(),
            custom: None,
        },
    )
    .await?;
    if let Some(chat) = deal.chat_id {
        let summary = summary(actor.language, &hook.name, form);
        let mut message = bot_message(state, deal.workspace_id, chat, summary);
        message.notice = Some(Notice::Hook { hook_id: hook.id, name: hook.name.clone() });
        state.committer.append(message).await?;
    }
    Ok(Lead { contact_id: contact.id, contact_reused: reused, deal_id: deal.id })
}

/// A hook acts on its creator's authority, so it works only while the creator
/// could still make it: active, and managing the hook's chat (incoming) or an
/// admin of the workspace (lead). Otherwise the secret is as dead as a revoked one.
async fn creator_still_authorises(state: &AppState, hook: &ChatHook, chat: Option<&Chat>) -> Result<()> {
    let gone = || Error::NotFound("hook");
    let creator_id = hook.created_by.ok_or_else(gone)?;
    let creator = match state.store.get_user(hook.workspace_id, creator_id).await {
        Ok(u) if u.is_active() && u.role != Role::Guest => u,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(gone()),
        Err(e) => return Err(e.into()),
    };
    let allowed = match chat {
        Some(chat) => {
            let member = state.store.get_member(hook.workspace_id, chat.id, creator.id).await?;
            permissions::can_see_chat(&creator, chat, member.as_ref())
                && permissions::can_manage_chat(&creator, chat, member.as_ref()).is_ok()
        }
        None => creator.role.is_admin(),
    };
    if allowed {
        Ok(())
    } else {
        Err(gone())
    }
}

/// Who a lead hook acts as: its owner (the responsible rep), else its creator.
async fn hook_actor(state: &AppState, hook: &ChatHook) -> Result<User> {
    for id in [hook.owner_id, hook.created_by].into_iter().flatten() {
        match state.store.get_user(hook.workspace_id, id).await {
            Ok(u) if u.is_active() && u.role != Role::Guest => return Ok(u),
            Ok(_) | Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::conflict("hook_owner_inactive", "the hook's owner can no longer take leads"))
}

/// The form as a message: the fields people read first, then UTM tags.
fn summary(language: Language, hook_name: &str, form: &Form) -> String {
    let label = |k: &str| -> &str {
        match (language, k) {
            (Language::Ru, "name") => "Имя",
            (Language::Ru, "phone") => "Телефон",
            (Language::Ru, "email") => "E-mail",
            (Language::Ru, "company") => "Компания",
            (Language::Ru, "message") => "Сообщение",
            (Language::En, "name") => "Name",
            (Language::En, "phone") => "Phone",
            (Language::En, "email") => "E-mail",
            (Language::En, "company") => "Company",
            (Language::En, "message") => "Message",
            _ => "",
        }
    };
    // A visitor's words are quoted as text: a form must not plant links or
    // markup in the deal's chat.
    let head = match language {
        Language::Ru => format!("Заявка с сайта ({})", md(hook_name)),
        Language::En => format!("Website lead ({})", md(hook_name)),
    };
    let mut lines = vec![head];
    for k in ["name", "phone", "email", "company", "message"] {
        if let Some(v) = form.get(k) {
            let v = if k == "message" { artel_core::markdown::escape_lines(v) } else { md(v) };
            lines.push(format!("{}: {v}", label(k)));
        }
    }
    for (k, v) in form.iter().filter(|(k, _)| k.starts_with("utm_")) {
        lines.push(format!("{}: {}", md(k), md(v)));
    }
    let mut text = lines.join("\n");
    if text.chars().count() > MAX_BODY_CHARS {
        text = text.chars().take(MAX_BODY_CHARS).collect();
    }
    text
}
