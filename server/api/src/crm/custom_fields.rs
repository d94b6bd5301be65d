//! Custom fields: admins define them per entity kind; every write of a deal's,
//! contact's or company's `custom` values is checked against the definitions here
//! (deals, clients and the CSV import all call `check`).

use artel_core::crm::custom_field::{self, CustomFieldId, FieldDef, FieldKind, MAX_FIELDS_PER_KIND};
use artel_core::crm::entity::EntityKind;
use artel_core::user::User;
use artel_core::{Error, Result, StoreError};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::state::AppState;

/// What an admin sends to define a field.
pub struct NewField {
    pub entity: EntityKind,
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub options: Vec<String>,
    pub multiple: bool,
    pub required: bool,
    pub position: Option<i64>,
}

/// An edit of a definition; key and kind are fixed once values may exist.
#[derive(Default)]
pub struct FieldPatch {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub multiple: Option<bool>,
    pub required: Option<bool>,
    pub position: Option<i64>,
}

fn admin_only(actor: &User) -> Result<()> {
    if !actor.role.is_admin() {
        return Err(Error::forbidden("only admins define custom fields"));
    }
    Ok(())
}

fn entity(kind: EntityKind) -> Result<EntityKind> {
    if !custom_field::supports(kind) {
        return Err(Error::invalid("entity", "custom fields exist for deals, contacts and companies"));
    }
    Ok(kind)
}

fn not_found(e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound("custom field"),
        other => other.into(),
    }
}

/// The definitions of the caller's workspace (of one kind when given).
pub async fn list(state: &AppState, actor: &User, kind: Option<EntityKind>) -> Result<Vec<FieldDef>> {
    if let Some(k) = kind {
        entity(k)?;
    }
    Ok(state.store.list_custom_fields(actor.workspace_id, kind).await?)
}

pub async fn create(state: &AppState, actor: &User, new: NewField) -> Result<FieldDef> {
    admin_only(actor)?;
    let kind = entity(new.entity)?;
    let existing = state.store.list_custom_fields(actor.workspace_id, Some(kind)).await?;
    if existing.len() >= MAX_FIELDS_PER_KIND {
        return Err(Error::invalid(
            "entity",
            format!("at most {MAX_FIELDS_PER_KIND} custom fields per kind"),
        ));
    }
    if new.multiple && new.kind != FieldKind::List {
        return Err(Error::invalid("multiple", "only list fields hold several values"));
    }
    let def = FieldDef {
        id: Uuid::now_v7(),
        workspace_id: actor.workspace_id,
        entity: kind,
        key: custom_field::key(&new.key)?,
        label: custom_field::label(&new.label)?,
        kind: new.kind,
        options: custom_field::options(new.kind, &new.options)?,
        multiple: new.multiple,
        required: new.required,
        position: new.position.unwrap_or_else(|| existing.iter().map(|d| d.position + 1).max().unwrap_or(0)),
        created_at: state.clock.now(),
    };
    state.store.create_custom_field(&def).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            Error::conflict("duplicate_key", format!("a field {:?} already exists", def.key))
        }
        other => other.into(),
    })?;
    Ok(def)
}

pub async fn update(
    state: &AppState,
    actor: &User,
    id: CustomFieldId,
    patch: FieldPatch,
) -> Result<FieldDef> {
    admin_only(actor)?;
    let mut def = state.store.get_custom_field(actor.workspace_id, id).await.map_err(not_found)?;
    if let Some(l) = &patch.label {
        def.label = custom_field::label(l)?;
    }
    if let Some(o) = &patch.options {
        def.options = custom_field::options(def.kind, o)?;
    }
    if let Some(m) = patch.multiple {
        if m && def.kind != FieldKind::List {
            return Err(Error::invalid("multiple", "only list fields hold several values"));
        }
        def.multiple = m;
    }
    if let Some(r) = patch.required {
        def.required = r;
    }
    if let Some(p) = patch.position {
        def.position = p;
    }
    state.store.update_custom_field(&def).await.map_err(not_found)?;
    Ok(def)
}

pub async fn delete(state: &AppState, actor: &User, id: CustomFieldId) -> Result<()> {
    admin_only(actor)?;
    state.store.delete_custom_field(actor.workspace_id, id).await.map_err(not_found)
}

/// The record's new `custom` object after `patch`, checked against the
/// workspace's definitions for `kind`; user fields must name active users of
/// the workspace. `None` patch keeps the current values as they are.
pub async fn check(
    state: &AppState,
    actor: &User,
    kind: EntityKind,
    current: &Map<String, Value>,
    patch: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>> {
    let defs = state.store.list_custom_fields(actor.workspace_id, Some(kind)).await?;
    let empty = Map::new();
    // Without a patch only the required fields are checked (on create).
    let checked = custom_field::apply(&defs, current, patch.unwrap_or(&empty))?;
    for (field, user) in checked.users {
        match state.store.get_user(actor.workspace_id, user).await {
            Ok(u) if u.is_active() => {}
            Ok(_) | Err(StoreError::NotFound(_)) => {
                return Err(Error::invalid(field, "is not an active user of this workspace"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(checked.values)
}
