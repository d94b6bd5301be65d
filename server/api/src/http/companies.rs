//! Companies over REST, shaped like contacts: create and edit with duplicate
//! warnings (same phone, e-mail or name), list, archive, restore, delete (admins;
//! contacts and deals lose the link), history, duplicate check, CSV export and
//! import. Guests have no access to clients.

use artel_core::crm::client::{Company, Phone};
use artel_core::ports::crm::ClientFilter;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
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
use crate::http::contacts::{csv_response, CheckDuplicates};
use crate::http::crm_dto::{HistoryDto, HistoryQuery};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyDto {
    pub id: Uuid,
    pub name: String,
    pub phones: Vec<Phone>,
    pub emails: Vec<String>,
    pub website: Option<String>,
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

impl From<&Company> for CompanyDto {
    fn from(c: &Company) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            phones: c.phones.clone(),
            emails: c.emails.clone(),
            website: c.website.clone(),
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

/// An existing company that looks like the same one.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyDuplicate {
    #[serde(flatten)]
    pub company: CompanyDto,
    /// What it shares with the checked one.
    pub matched_on: Vec<Matched>,
}

impl From<&Duplicate<Company>> for CompanyDuplicate {
    fn from(d: &Duplicate<Company>) -> Self {
        Self { company: CompanyDto::from(&d.record), matched_on: d.matched_on.clone() }
    }
}

/// A saved company and the other companies sharing a phone, an e-mail or the name
/// with it (a warning: saving never fails because of them).
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedCompany {
    #[serde(flatten)]
    pub company: CompanyDto,
    pub duplicates: Vec<CompanyDuplicate>,
}

impl From<&Saved<Company>> for SavedCompany {
    fn from(s: &Saved<Company>) -> Self {
        Self {
            company: CompanyDto::from(&s.record),
            duplicates: s.duplicates.iter().map(CompanyDuplicate::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyPage {
    pub items: Vec<CompanyDto>,
    /// Matching companies without paging.
    pub total: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCompany {
    pub name: String,
    /// Any format; numbers without a country code are read in the workspace's phone region.
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    pub website: Option<String>,
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
pub struct UpdateCompany {
    pub name: Option<String>,
    /// Replaces the list.
    pub phones: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompanyQuery {
    pub owner_id: Option<Uuid>,
    pub tag: Option<String>,
    /// Part of the name or an e-mail, or digits of a phone.
    pub text: Option<String>,
    /// RFC 3339; created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// RFC 3339; created before.
    pub created_to: Option<DateTime<Utc>>,
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
pub struct CompanyExportQuery {
    /// `;` (default, what Excel expects in Russian) or `,`.
    #[param(inline)]
    pub delimiter: Option<Delimiter>,
    pub owner_id: Option<Uuid>,
    pub tag: Option<String>,
    pub text: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    #[serde(default)]
    pub include_archived: bool,
    #[param(inline)]
    pub sort: Option<SortParam>,
}

/// Creates a company; `duplicates` lists existing ones with the same phone, e-mail or name.
#[utoipa::path(post, path = "/companies", tag = "clients", security(("bearer" = [])),
    operation_id = "create_company", request_body = CreateCompany,
    responses((status = 201, body = SavedCompany), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CreateCompany>,
) -> ApiResult<(StatusCode, Json<SavedCompany>)> {
    let patch = ClientPatch {
        name: Some(req.name),
        phones: Some(req.phones),
        emails: Some(req.emails),
        website: Some(req.website),
        address: Some(req.address),
        tags: Some(req.tags),
        owner_id: req.owner_id,
        source: Some(req.source),
        notes: Some(req.notes),
        position: None,
        company_id: None,
        custom: Some(req.custom),
    };
    let saved = clients::create::<Company>(&state, &auth.user, patch).await?;
    Ok((StatusCode::CREATED, Json(SavedCompany::from(&saved))))
}

/// Companies, filtered, sorted and paged, with the total.
#[utoipa::path(get, path = "/companies", tag = "clients", security(("bearer" = [])),
    operation_id = "list_companies", params(CompanyQuery),
    responses((status = 200, body = CompanyPage), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<CompanyQuery>,
) -> ApiResult<Json<CompanyPage>> {
    let (tag, text) = clients::filter_text(q.tag, q.text);
    let filter = ClientFilter {
        owner_id: q.owner_id,
        tag,
        text,
        created_from: q.created_from,
        created_to: q.created_to,
        company_id: None,
        include_archived: q.include_archived,
        sort: q.sort.unwrap_or_default().into(),
        limit: clients::limit(q.limit)?,
        offset: clients::offset(q.offset)?,
    };
    let (items, total) = clients::list::<Company>(&state, &auth.user, &filter).await?;
    Ok(Json(CompanyPage { items: items.iter().map(CompanyDto::from).collect(), total }))
}

/// One company; the address of one merged into another answers 308 with the survivor's.
#[utoipa::path(get, path = "/companies/{id}", tag = "clients", security(("bearer" = [])),
    operation_id = "get_company",
    params(("id" = Uuid, Path, description = "Company id")),
    responses((status = 200, body = CompanyDto),
              (status = 308, description = "Merged into another company: `Location` is its address",
               body = crate::error::ErrorBody, headers(("location" = String))),
              (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(State(state): State<AppState>, auth: AuthUser, Path(id): Path<Uuid>) -> ApiResult<Response> {
    crate::http::client_merge::read::<Company, CompanyDto>(&state, &auth.user, id).await
}

/// Edits a company (absent fields stay, null clears); answers with the duplicates it now has.
#[utoipa::path(patch, path = "/companies/{id}", tag = "clients", security(("bearer" = [])),
    operation_id = "update_company", request_body = UpdateCompany,
    params(("id" = Uuid, Path, description = "Company id")),
    responses((status = 200, body = SavedCompany), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateCompany>,
) -> ApiResult<Json<SavedCompany>> {
    let patch = ClientPatch {
        name: req.name,
        phones: req.phones,
        emails: req.emails,
        website: req.website,
        address: req.address,
        tags: req.tags,
        owner_id: req.owner_id,
        source: req.source,
        notes: req.notes,
        position: None,
        company_id: None,
        custom: req.custom,
    };
    let saved = clients::update::<Company>(&state, &auth.user, id, patch).await?;
    Ok(Json(SavedCompany::from(&saved)))
}

/// Deletes a company for good (owners and admins); its contacts and deals lose the link.
#[utoipa::path(delete, path = "/companies/{id}", tag = "clients", security(("bearer" = [])),
    operation_id = "delete_company",
    params(("id" = Uuid, Path, description = "Company id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    clients::delete::<Company>(&state, &auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Archives a company: hidden from lists unless `include_archived`.
#[utoipa::path(post, path = "/companies/{id}/archive", tag = "clients", security(("bearer" = [])),
    operation_id = "archive_company",
    params(("id" = Uuid, Path, description = "Company id")),
    responses((status = 200, body = CompanyDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CompanyDto>> {
    let company = clients::set_archived::<Company>(&state, &auth.user, id, true).await?;
    Ok(Json(CompanyDto::from(&company)))
}

/// Restores an archived company.
#[utoipa::path(post, path = "/companies/{id}/restore", tag = "clients", security(("bearer" = [])),
    operation_id = "restore_company",
    params(("id" = Uuid, Path, description = "Company id")),
    responses((status = 200, body = CompanyDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CompanyDto>> {
    let company = clients::set_archived::<Company>(&state, &auth.user, id, false).await?;
    Ok(Json(CompanyDto::from(&company)))
}

/// The company's change history, newest first.
#[utoipa::path(get, path = "/companies/{id}/history", tag = "clients", security(("bearer" = [])),
    operation_id = "company_history",
    params(("id" = Uuid, Path, description = "Company id"), HistoryQuery),
    responses((status = 200, body = Vec<HistoryDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Vec<HistoryDto>>> {
    let entries = clients::history::<Company>(&state, &auth.user, id, q.cursor()?, q.limit()?).await?;
    Ok(Json(entries.iter().map(HistoryDto::from).collect()))
}

/// Existing companies (archived too) with any of these phones (any format) or
/// e-mails, or exactly this name.
#[utoipa::path(post, path = "/companies/duplicates", tag = "clients", security(("bearer" = [])),
    operation_id = "company_duplicates",
    request_body = CheckDuplicates,
    responses((status = 200, body = Vec<CompanyDuplicate>), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn duplicates(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CheckDuplicates>,
) -> ApiResult<Json<Vec<CompanyDuplicate>>> {
    let found =
        clients::check::<Company>(&state, &auth.user, req.name.as_deref(), &req.phones, &req.emails).await?;
    Ok(Json(found.iter().map(CompanyDuplicate::from).collect()))
}

/// Companies as CSV for Excel: UTF-8 with BOM; columns name, phones, emails,
/// website, address, tags, owner (e-mail), source, notes, created_at.
#[utoipa::path(get, path = "/companies/export.csv", tag = "clients", security(("bearer" = [])),
    operation_id = "export_companies",
    params(CompanyExportQuery),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<CompanyExportQuery>,
) -> ApiResult<Response> {
    let (tag, text) = clients::filter_text(q.tag, q.text);
    let filter = ClientFilter {
        owner_id: q.owner_id,
        tag,
        text,
        created_from: q.created_from,
        created_to: q.created_to,
        company_id: None,
        include_archived: q.include_archived,
        sort: q.sort.unwrap_or_default().into(),
        limit: 0,
        offset: 0,
    };
    let delimiter = q.delimiter.unwrap_or(Delimiter::Semicolon);
    let bytes = csv_io::export::<Company>(&state, &auth.user, filter, delimiter).await?;
    Ok(csv_response(bytes, "companies.csv"))
}

/// Imports companies from CSV (up to 5,000 rows, 5 MiB): a report per row;
/// what is accepted is written at once or not at all. One import per
/// workspace at a time: another meanwhile gets 429 with `Retry-After`.
#[utoipa::path(post, path = "/companies/import", tag = "clients", security(("bearer" = [])),
    operation_id = "import_companies",
    request_body = ImportRequest,
    responses((status = 200, body = ImportReport), (status = 403, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
              (status = 429, body = crate::error::ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    auth: AuthUser,
    req: Request,
) -> ApiResult<Json<ImportReport>> {
    Ok(Json(import_limits::import_request::<Company>(&state, &auth.user, req).await?))
}

/// The import route, with a body limit sized for its CSV.
pub fn import_route() -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method) = routes!(import);
    (schemas, paths, method.layer(DefaultBodyLimit::max(csv_io::MAX_IMPORT_BODY)))
}
