//! Custom field definitions over REST: everyone reads them (cards need the
//! labels), admins define, edit and delete them. Values are written with the
//! records themselves (`custom` on deals, contacts and companies).

use artel_core::crm::custom_field::{FieldDef, FieldKind};
use artel_core::crm::entity::EntityKind;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crm::custom_fields::{self, FieldPatch, NewField};
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldDto {
    pub id: Uuid,
    /// deal, contact or company.
    pub entity: EntityKind,
    /// Key of the value in the record's `custom` object.
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    /// Choices of a list field.
    pub options: Vec<String>,
    /// A list field holding several choices.
    pub multiple: bool,
    pub required: bool,
    pub position: i64,
    pub created_at: DateTime<Utc>,
}

impl From<&FieldDef> for CustomFieldDto {
    fn from(d: &FieldDef) -> Self {
        Self {
            id: d.id,
            entity: d.entity,
            key: d.key.clone(),
            label: d.label.clone(),
            kind: d.kind,
            options: d.options.clone(),
            multiple: d.multiple,
            required: d.required,
            position: d.position,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomField {
    pub entity: EntityKind,
    /// a-z, 0-9 and `_`, starting with a letter; fixed once created.
    pub key: String,
    pub label: String,
    /// Fixed once created.
    pub kind: FieldKind,
    /// Required for list fields, refused for the others.
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub multiple: bool,
    #[serde(default)]
    pub required: bool,
    /// After the existing fields when omitted.
    pub position: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomField {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub multiple: Option<bool>,
    pub required: Option<bool>,
    pub position: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldQuery {
    /// Only the fields of this kind.
    pub entity: Option<EntityKind>,
}

/// The workspace's custom field definitions, by kind then position.
#[utoipa::path(get, path = "/custom-fields", operation_id = "list_custom_fields", tag = "crm", security(("bearer" = [])), params(CustomFieldQuery),
    responses((status = 200, body = Vec<CustomFieldDto>), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<CustomFieldQuery>,
) -> ApiResult<Json<Vec<CustomFieldDto>>> {
    let defs = custom_fields::list(&state, &auth.user, q.entity).await?;
    Ok(Json(defs.iter().map(CustomFieldDto::from).collect()))
}

/// Defines a custom field (admins).
#[utoipa::path(post, path = "/custom-fields", operation_id = "create_custom_field", tag = "crm", security(("bearer" = [])), request_body = CreateCustomField,
    responses((status = 201, body = CustomFieldDto), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateCustomField>,
) -> ApiResult<(StatusCode, Json<CustomFieldDto>)> {
    let def = custom_fields::create(
        &state,
        &auth.user,
        NewField {
            entity: req.entity,
            key: req.key,
            label: req.label,
            kind: req.kind,
            options: req.options,
            multiple: req.multiple,
            required: req.required,
            position: req.position,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CustomFieldDto::from(&def))))
}

/// Edits a definition (admins): label, options, multiple, required, position.
#[utoipa::path(patch, path = "/custom-fields/{id}", operation_id = "update_custom_field", tag = "crm", security(("bearer" = [])),
    request_body = UpdateCustomField, params(("id" = Uuid, Path, description = "Field id")),
    responses((status = 200, body = CustomFieldDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateCustomField>,
) -> ApiResult<Json<CustomFieldDto>> {
    let patch = FieldPatch {
        label: req.label,
        options: req.options,
        multiple: req.multiple,
        required: req.required,
        position: req.position,
    };
    let def = custom_fields::update(&state, &auth.user, id, patch).await?;
    Ok(Json(CustomFieldDto::from(&def)))
}

/// Deletes a definition (admins). Records keep their values until their next
/// edit; they are no longer shown as fields.
#[utoipa::path(delete, path = "/custom-fields/{id}", operation_id = "delete_custom_field", tag = "crm", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Field id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    custom_fields::delete(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
