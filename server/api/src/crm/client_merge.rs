//! Merging duplicate clients, once for contacts and companies: the record asked
//! for survives; the other's deals, tasks, people, chat and history move to it
//! and it is deleted, leaving a pointer so links to it lead to the survivor.
//! Phones, e-mails and tags are joined; for every other field the survivor's
//! value stays unless it is empty or the caller picks the other's ("take").

use std::collections::BTreeMap;

use artel_core::crm::client::{Phone, MAX_LIST_ITEMS, MAX_NOTES_CHARS};
use artel_core::crm::entity::{EntityKind, EntityRef};
use artel_core::crm::history::diff;
use artel_core::event::{Audience, Envelope, Ephemeral};
use artel_core::ports::crm::{ClientMerge, DealFilter};
use artel_core::user::{Role, User};
use artel_core::{Error, Result, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crm::board;
use crate::crm::clients::{self, ClientRecord, Fields, NOT_HISTORY};
use crate::state::AppState;

/// Which record's value of a field the survivor ends up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// The survivor's own value.
    Keep,
    /// The merged-away record's value.
    Take,
}

/// How many merges a link to a merged-away record is followed through.
const MAX_HOPS: usize = 8;

/// A record asked for by id: here, or merged into another (which is here).
pub enum Found<T> {
    Here(T),
    MergedInto(Uuid),
}

/// The record, or where it went if it was merged away (404 when neither).
pub async fn find<T: ClientRecord>(state: &AppState, actor: &User, id: Uuid) -> Result<Found<T>> {
    let missing = match clients::get::<T>(state, actor, id).await {
        Ok(record) => return Ok(Found::Here(record)),
        Err(e @ Error::NotFound(_)) => e,
        Err(e) => return Err(e),
    };
    let mut at = id;
    for _ in 0..MAX_HOPS {
        let entity = EntityRef { kind: T::KIND, id: at };
        let Some(next) = state.store.merged_into(actor.workspace_id, entity).await? else { break };
        match T::load(&*state.store, actor.workspace_id, next).await {
            Ok(_) => return Ok(Found::MergedInto(next)),
            Err(StoreError::NotFound(_)) => at = next,
            Err(e) => return Err(e.into()),
        }
    }
    Err(missing)
}

/// Merges `from_id` into `into_id` and returns the survivor as it now is.
/// Anyone who may edit clients may (not guests); both must be of the caller's
/// workspace (404 otherwise). The survivor must not be archived (409: restore it
/// first); an archived duplicate may be merged into a live record.
pub async fn merge<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    into_id: Uuid,
    from_id: Uuid,
    picks: &BTreeMap<String, Pick>,
) -> Result<T> {
    clients::can_use(actor)?;
    if into_id == from_id {
        return Err(Error::invalid("from_id", "is the record itself"));
    }
    let into: T = clients::get(state, actor, into_id).await?;
    let from: T = clients::get(state, actor, from_id).await?;
    if into.archived_at().is_some() {
        return Err(Error::conflict(
            "archived",
            format!("this {} is archived; restore it before merging into it", T::NOUN),
        ));
    }
    let (kept, other) = (into.fields(), from.fields());
    let fields = combine(T::SINGLE_FIELDS, &kept, &other, picks)?;
    let ws = actor.workspace_id;
    let now = state.clock.now();
    let mut after = into.clone();
    after.assign(fields, now);
    let mut history = diff(
        ws,
        EntityRef { kind: T::KIND, id: into_id },
        Some(actor.id),
        now,
        &clients::render(&into)?,
        &clients::render(&after)?,
        NOT_HISTORY,
    );
    history.push(clients::entry(
        &after,
        ws,
        actor,
        now,
        "merged",
        Value::Null,
        json!({ "id": from_id, "name": other.name }),
    ));
    let deal_tasks = board::tasks_of_many(state, ws, &deals_of::<T>(state, actor, from_id).await?).await?;
    let outcome = state
        .store
        .merge_clients(&ClientMerge {
            into: after.as_client(),
            from: from_id,
            actor: actor.id,
            at: now,
            history: &history,
            deal_tasks: &deal_tasks,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                Error::conflict("changed_meanwhile", "the records' deals kept changing; try again")
            }
            other => clients::not_found::<T>(other),
        })?;
    board::publish(state, outcome.board);
    state.committer.publish(outcome.chat_events);
    announce(state, actor, T::KIND, from_id, into_id).await;
    Ok(after)
}

/// Ids of the deals linked to the record, archived ones too.
async fn deals_of<T: ClientRecord>(state: &AppState, actor: &User, id: Uuid) -> Result<Vec<Uuid>> {
    let mut filter = DealFilter { include_archived: true, limit: 0, ..DealFilter::default() };
    match T::KIND {
        EntityKind::Company => filter.company_id = Some(id),
        _ => filter.contact_id = Some(id),
    }
    Ok(state.store.list_deals(actor.workspace_id, &filter).await?.iter().map(|d| d.id).collect())
}

/// Tells everyone who may have either card open (every active non-guest) to
/// read it again. Not stored: a card opened later reads the merged state anyway.
async fn announce(state: &AppState, actor: &User, kind: EntityKind, from_id: Uuid, into_id: Uuid) {
    let users = match state.store.list_users(actor.workspace_id).await {
        Ok(users) => users,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the people to tell of a merge");
            return;
        }
    };
    let user_ids = users.iter().filter(|u| u.is_active() && u.role != Role::Guest).map(|u| u.id).collect();
    let envelope = Envelope::ephemeral(
        actor.workspace_id,
        Audience::Users { user_ids },
        Ephemeral::ClientMerged { kind, from_id, into_id },
    );
    if let Err(e) = state.bus.publish(&envelope).await {
        tracing::warn!(error = %e, "could not announce a merge");
    }
}

/// The survivor's fields: `kept` with `other`'s phones, e-mails and tags added,
/// and each single field (custom ones as `custom.<key>`) picked by `picks`, or
/// else `kept`'s unless it is empty. Notes not picked are joined.
pub fn combine(
    single: &[&str],
    kept: &Fields,
    other: &Fields,
    picks: &BTreeMap<String, Pick>,
) -> Result<Fields> {
    for key in picks.keys() {
        let custom = key.strip_prefix("custom.");
        let known = match custom {
            Some(k) => kept.custom.contains_key(k) || other.custom.contains_key(k),
            None => single.contains(&key.as_str()),
        };
        if !known {
            return Err(Error::invalid(format!("fields.{key}"), "is not a field either record has to pick"));
        }
    }
    let pick = |field: &str| picks.get(field).copied();
    fn choose<V: Clone>(pick: Option<Pick>, kept: &V, other: &V, empty: bool) -> V {
        match pick {
            Some(Pick::Take) => other.clone(),
            Some(Pick::Keep) => kept.clone(),
            None if empty => other.clone(),
            None => kept.clone(),
        }
    }
    let text = |field: &str, k: &Option<String>, o: &Option<String>| choose(pick(field), k, o, k.is_none());
    let mut phones: Vec<Phone> = kept.phones.clone();
    for p in &other.phones {
        if !phones.iter().any(|q| q.e164 == p.e164) {
            phones.push(p.clone());
        }
    }
    let emails = union("emails", &kept.emails, &other.emails)?;
    let tags = union("tags", &kept.tags, &other.tags)?;
    if phones.len() > MAX_LIST_ITEMS {
        return Err(too_many("phones"));
    }
    let notes = match pick("notes") {
        Some(Pick::Keep) => kept.notes.clone(),
        Some(Pick::Take) => other.notes.clone(),
        None if kept.notes.is_empty() || kept.notes == other.notes => other.notes.clone(),
        None if other.notes.is_empty() => kept.notes.clone(),
        None => format!("{}\n\n{}", kept.notes, other.notes),
    };
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(Error::invalid(
            "notes",
            format!("of both records are longer than {MAX_NOTES_CHARS} characters together; pick one"),
        ));
    }
    let mut custom = kept.custom.clone();
    for (key, value) in &other.custom {
        let mine = kept.custom.get(key);
        let empty = mine.is_none_or(|v| v.is_null() || v == &json!("") || v == &json!([]));
        match pick(&format!("custom.{key}")) {
            Some(Pick::Take) => {
                custom.insert(key.clone(), value.clone());
            }
            Some(Pick::Keep) => {}
            None if empty => {
                custom.insert(key.clone(), value.clone());
            }
            None => {}
        }
    }
    Ok(Fields {
        name: choose(pick("name"), &kept.name, &other.name, kept.name.is_empty()),
        phones,
        emails,
        position: text("position", &kept.position, &other.position),
        website: text("website", &kept.website, &other.website),
        company_id: choose(
            pick("company_id"),
            &kept.company_id,
            &other.company_id,
            kept.company_id.is_none(),
        ),
        address: text("address", &kept.address, &other.address),
        tags,
        owner_id: choose(pick("owner_id"), &kept.owner_id, &other.owner_id, kept.owner_id.is_none()),
        source: text("source", &kept.source, &other.source),
        notes,
        custom,
    })
}

fn union(field: &str, kept: &[String], other: &[String]) -> Result<Vec<String>> {
    let mut out = kept.to_vec();
    for v in other {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    if out.len() > MAX_LIST_ITEMS {
        return Err(too_many(field));
    }
    Ok(out)
}

fn too_many(field: &str) -> Error {
    Error::invalid(
        field,
        format!("of both records are more than {MAX_LIST_ITEMS} together; remove some first"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(e164: &str) -> Phone {
        Phone { raw: e164.to_string(), e164: e164.to_string() }
    }

    #[test]
    fn lists_join_and_empty_fields_fill_unless_picked() {
        let kept = Fields {
            name: "Иван".into(),
            phones: vec![phone("+79161234567")],
            emails: vec!["a@x.ru".into()],
            position: None,
            address: Some("Москва".into()),
            tags: vec!["vip".into()],
            notes: "первый".into(),
            custom: [("budget".to_string(), json!(100))].into_iter().collect(),
            ..Fields::default()
        };
        let other = Fields {
            name: "Иван Петров".into(),
            phones: vec![phone("+79161234567"), phone("+79997654321")],
            emails: vec!["b@x.ru".into(), "a@x.ru".into()],
            position: Some("Директор".into()),
            address: Some("Тверь".into()),
            tags: vec!["опт".into()],
            notes: "второй".into(),
            custom: [("budget".to_string(), json!(200)), ("city".to_string(), json!("Тверь"))]
                .into_iter()
                .collect(),
            ..Fields::default()
        };
        let single = &["name", "position", "address", "notes"];
        let f = combine(single, &kept, &other, &BTreeMap::new()).expect("merged");
        assert_eq!(f.name, "Иван");
        assert_eq!(
            f.phones.iter().map(|p| p.e164.as_str()).collect::<Vec<_>>(),
            ["+79161234567", "+79997654321"]
        );
        assert_eq!(f.emails, ["a@x.ru", "b@x.ru"]);
        assert_eq!(f.tags, ["vip", "опт"]);
        assert_eq!(f.position.as_deref(), Some("Директор"));
        assert_eq!(f.address.as_deref(), Some("Москва"));
        assert_eq!(f.notes, "первый\n\nвторой");
        assert_eq!(f.custom["budget"], json!(100));
        assert_eq!(f.custom["city"], json!("Тверь"));

        let picks: BTreeMap<String, Pick> = [
            ("name".to_string(), Pick::Take),
            ("address".to_string(), Pick::Take),
            ("position".to_string(), Pick::Keep),
            ("notes".to_string(), Pick::Keep),
            ("custom.budget".to_string(), Pick::Take),
        ]
        .into_iter()
        .collect();
        let f = combine(single, &kept, &other, &picks).expect("merged");
        assert_eq!(f.name, "Иван Петров");
        assert_eq!(f.address.as_deref(), Some("Тверь"));
        assert_eq!(f.position, None);
        assert_eq!(f.notes, "первый");
        assert_eq!(f.custom["budget"], json!(200));

        for bad in ["website", "custom.nope", "phones"] {
            let picks = [(bad.to_string(), Pick::Take)].into_iter().collect();
            let err = combine(single, &kept, &other, &picks).err();
            assert!(
                matches!(err, Some(Error::Invalid { ref field, .. }) if field == &format!("fields.{bad}")),
                "{bad}"
            );
        }
    }
}
