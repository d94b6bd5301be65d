//! Contacts (people) over REST: create and edit with duplicate warnings, list with
//! filters, archive, restore, delete (admins), history, duplicate check, CSV
//! export and import. Guests have no access to clients.

use artel_core::crm::client::{Contact, Phone};
use artel_core::ports::crm::ClientFilter;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crm::clients::{self, ClientPatch, Duplicate, Matched, Saved, SortParam};
use crate::crm::csv_io::{self, Delimiter, ImportReport, ImportRequest};
use crate::crm::import_limits;
use crate::error::ApiResult;
use crate::extract::double_option;
use crate::extract::{Json, Path, Query};
use crate::http::crm_dto::{HistoryDto, HistoryQuery};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto {
    pub id: Uuid,
    pub name: String,
    pub phones: Vec<Phone>,
    pub emails: Vec<String>,
    pub position: Option<String>,
    pub company_id: Option<Uuid>,
    pub address: Option<String>,
    pub tags: Vec<String>,
    pub owner_id: Option<Uuid>,
    pub source: Option<String>,
    pub notes: String,
    /// Custom field values by key (see `/custom-fields`).
    #[schema(value_type = Object)]
    pub custom: serde_json::Map<String, serde_json::Value>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

impl From<&Contact> for ContactDto {
    fn from(c: &Contact) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            phones: c.phones.clone(),
            emails: c.emails.clone(),
            position: c.position.clone(),
            company_id: c.company_id,
            address: c.address.clone(),
            tags: c.tags.clone(),
            owner_id: c.owner_id,
            source: c.source.clone(),
            notes: c.notes.clone(),
            custom: c.custom.clone(),
            created_by: c.created_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
            archived_at: c.archived_at,
        }
    }
}

/// An existing contact that looks like the same person.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDuplicate {
    #[serde(flatten)]
    pub contact: ContactDto,
    /// What it shares with the checked one.
    pub matched_on: Vec<Matched>,
}

impl From<&Duplicate<Contact>> for ContactDuplicate {
    fn from(d: &Duplicate<Contact>) -> Self {
        Self { contact: ContactDto::from(&d.record), matched_on: d.matched_on.clone() }
    }
}

/// A saved contact and the other contacts sharing a phone or an e-mail with it
/// (a warning: saving never fails because of them).
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedContact {
    #[serde(flatten)]
    pub contact: ContactDto,
    pub duplicates: Vec<ContactDuplicate>,
}

impl From<&Saved<Contact>> for SavedContact {
    fn from(s: &Saved<Contact>) -> Self {
        Self {
            contact: ContactDto::from(&s.record),
            duplicates: s.duplicates.iter().map(ContactDuplicate::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPage {
    pub items: Vec<ContactDto>,
    /// Matching contacts without paging.
    pub total: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    pub name: String,
    /// Any format; numbers without a country code are read in the workspace's phone region.
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    pub position: Option<String>,
    pub company_id: Option<Uuid>,
    pub address: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Me when omitted; null for nobody.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    pub source: Option<String>,
    pub notes: Option<String>,
    /// Custom field values by key.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub custom: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    pub name: Option<String>,
    /// Replaces the list.
    pub phones: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub position: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub company_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// Custom values to change by key; `null` clears one, keys not sent stay.
    #[schema(value_type = Option<Object>)]
    pub custom: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckDuplicates {
    /// Any format.
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    /// Exact name, case-insensitive.
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactQuery {
    pub owner_id: Option<Uuid>,
    pub tag: Option<String>,
    /// Part of the name or an e-mail, or digits of a phone.
    pub text: Option<String>,
    /// RFC 3339; created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// RFC 3339; created before.
    pub created_to: Option<DateTime<Utc>>,
    pub company_id: Option<Uuid>,
    #[serde(default)]
    pub include_archived: bool,
    #[param(inline)]
    pub sort: Option<SortParam>,
    /// 1..=200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactExportQuery {
    /// `;` (default, what Excel expects in Russian) or `,`.
    #[param(inline)]
    pub delimiter: Option<Delimiter>,
    pub owner_id: Option<Uuid>,
    pub tag: Option<String>,
    pub text: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub company_id: Option<Uuid>,
    #[serde(default)]
    pub include_archived: bool,
    #[param(inline)]
    pub sort: Option<SortParam>,
}

/// The body of a CSV download.
pub fn csv_response(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        bytes,
    )
        .into_response()
}

/// Creates a contact; `duplicates` lists existing ones with the same phone or e-mail.
#[utoipa::path(post, path = "/contacts", tag = "clients", security(("bearer" = [])),
    operation_id = "create_contact", request_body = CreateContact,
    responses((status = 201, body = SavedContact), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateContact>,
) -> ApiResult<(StatusCode, Json<SavedContact>)> {
    let patch = ClientPatch {
        name: Some(req.name),
        phones: Some(req.phones),
        emails: Some(req.emails),
        position: Some(req.position),
        company_id: Some(req.company_id),
        address: Some(req.address),
        tags: Some(req.tags),
        owner_id: req.owner_id,
        source: Some(req.source),
        notes: Some(req.notes),
        website: None,
        custom: Some(req.custom),
    };
    let saved = clients::create::<Contact>(&state, &auth.user, patch).await?;
    Ok((StatusCode::CREATED, Json(SavedContact::from(&saved))))
}

/// Contacts, filtered, sorted and paged, with the total.
#[utoipa::path(get, path = "/contacts", tag = "clients", security(("bearer" = [])),
    operation_id = "list_contacts", params(ContactQuery),
    responses((status = 200, body = ContactPage), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<ContactQuery>,
) -> ApiResult<Json<ContactPage>> {
    let (tag, text) = clients::filter_text(q.tag, q.text);
    let filter = ClientFilter {
        owner_id: q.owner_id,
        tag,
        text,
        created_from: q.created_from,
        created_to: q.created_to,
        company_id: q.company_id,
        include_archived: q.include_archived,
        sort: q.sort.unwrap_or_default().into(),
        limit: clients::limit(q.limit)?,
        offset: clients::offset(q.offset)?,
    };
    let (items, total) = clients::list::<Contact>(&state, &auth.user, &filter).await?;
    Ok(Json(ContactPage { items: items.iter().map(ContactDto::from).collect(), total }))
}

/// One contact; the address of one merged into another answers 308 with the survivor's.
#[utoipa::path(get, path = "/contacts/{id}", tag = "clients", security(("bearer" = [])),
    operation_id = "get_contact",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = ContactDto),
              (status = 308, description = "Merged into another contact: `Location` is its address",
               body = crate::error::ErrorBody, headers(("location" = String))),
              (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(State(state): State<AppState>, auth: AuthUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    crate::http::client_merge::read::<Contact, ContactDto>(&state, &auth.user, id).await
}

/// Edits a contact (absent fields stay, null clears); answers with the duplicates it now has.
#[utoipa::path(patch, path = "/contacts/{id}", tag = "clients", security(("bearer" = [])),
    operation_id = "update_contact", request_body = UpdateContact,
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = SavedContact), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateContact>,
) -> ApiResult<Json<SavedContact>> {
    let patch = ClientPatch {
        name: req.name,
        phones: req.phones,
        emails: req.emails,
        position: req.position,
        company_id: req.company_id,
        address: req.address,
        tags: req.tags,
        owner_id: req.owner_id,
        source: req.source,
        notes: req.notes,
        website: None,
        custom: req.custom,
    };
    let saved = clients::update::<Contact>(&state, &auth.user, id, patch).await?;
    Ok(Json(SavedContact::from(&saved)))
}

/// Deletes a contact for good (owners and admins); deals linked to it lose the link.
#[utoipa::path(delete, path = "/contacts/{id}", tag = "clients", security(("bearer" = [])),
    operation_id = "delete_contact",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    clients::delete::<Contact>(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Archives a contact: hidden from lists unless `include_archived`.
#[utoipa::path(post, path = "/contacts/{id}/archive", tag = "clients", security(("bearer" = [])),
    operation_id = "archive_contact",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = ContactDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ContactDto>> {
    let contact = clients::set_archived::<Contact>(&state, &auth.user, id, true).await?;
    Ok(Json(ContactDto::from(&contact)))
}

/// Restores an archived contact.
#[utoipa::path(post, path = "/contacts/{id}/restore", tag = "clients", security(("bearer" = [])),
    operation_id = "restore_contact",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, body = ContactDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ContactDto>> {
    let contact = clients::set_archived::<Contact>(&state, &auth.user, id, false).await?;
    Ok(Json(ContactDto::from(&contact)))
}

/// The contact's change history, newest first.
#[utoipa::path(get, path = "/contacts/{id}/history", tag = "clients", security(("bearer" = [])),
    operation_id = "contact_history",
    params(("id" = Uuid, Path, description = "Contact id"), HistoryQuery),
    responses((status = 200, body = Vec<HistoryDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<HistoryDto>>> {
    let entries = clients::history::<Contact>(&state, &auth.user, id, q.cursor()?, q.limit()?).await?;
    Ok(Json(entries.iter().map(HistoryDto::from).collect()))
}

/// Existing contacts (archived too) with any of these phones (any format) or
/// e-mails, or exactly this name: the "already here?" check of a form.
#[utoipa::path(post, path = "/contacts/duplicates", tag = "clients", security(("bearer" = [])),
    operation_id = "contact_duplicates",
    request_body = CheckDuplicates,
    responses((status = 200, body = Vec<ContactDuplicate>), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn duplicates(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CheckDuplicates>,
) -> ApiResult<Json<Vec<ContactDuplicate>>> {
    let found =
        clients::check::<Contact>(&state, &auth.user, req.name.as_deref(), &req.phones, &req.emails).await?;
    Ok(Json(found.iter().map(ContactDuplicate::from).collect()))
}

/// Contacts as CSV for Excel: UTF-8 with BOM; columns name, phones, emails,
/// position, company, address, tags, owner (e-mail), source, notes, created_at.
/// Takes the list's filters; cells that start like a formula get a leading `'`.
#[utoipa::path(get, path = "/contacts/export.csv", tag = "clients", security(("bearer" = [])),
    operation_id = "export_contacts",
    params(ContactExportQuery),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<ContactExportQuery>,
) -> ApiResult<Response> {
    let (tag, text) = clients::filter_text(q.tag, q.text);
    let filter = ClientFilter {
        owner_id: q.owner_id,
        tag,
        text,
        created_from: q.created_from,
        created_to: q.created_to,
        company_id: q.company_id,
        include_archived: q.include_archived,
        sort: q.sort.unwrap_or_default().into(),
        limit: 0,
        offset: 0,
    };
    let delimiter = q.delimiter.unwrap_or(Delimiter::Semicolon);
    let bytes = csv_io::export::<Contact>(&state, &auth.user, filter, delimiter).await?;
    Ok(csv_response(bytes, "contacts.csv"))
}

/// Imports contacts from CSV (up to 5,000 rows, 5 MiB): a report per row;
/// what is accepted is written at once or not at all. `company` links to an
/// existing company by name or creates it. One import per workspace at a
/// time: another meanwhile gets 429 with `Retry-After`.
#[utoipa::path(post, path = "/contacts/import", tag = "clients", security(("bearer" = [])),
    operation_id = "import_contacts",
    request_body = ImportRequest,
    responses((status = 200, body = ImportReport), (status = 403, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    auth: AuthUser,
    req: Request,
) -> ApiResult<Json<ImportReport>> {
    Ok(Json(import_limits::import_request::<Contact>(&state, &auth.user, req).await?))
}

/// The import route, with a body limit sized for its CSV.
pub fn import_route() -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method) = routes!(import);
    (schemas, paths, method.layer(DefaultBodyLimit::max(csv_io::MAX_IMPORT_BODY)))
}
