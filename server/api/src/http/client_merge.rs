//! Merging duplicate contacts and companies over REST (`POST /contacts/{id}/merge`,
//! `POST /companies/{id}/merge`), and reading a record that was merged away:
//! its address answers 308 with the survivor's, so links to it keep working.
//! One generic body serves both kinds; the handlers only name the kind.

use std::collections::BTreeMap;

use artel_core::crm::client::{Company, Contact};
use artel_core::user::User;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crm::client_merge::{self, Found, Pick};
use crate::crm::clients::{self, ClientRecord};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorDetail};
use crate::extract::{Json, Path};
use crate::http::companies::CompanyDto;
use crate::http::contacts::ContactDto;
use crate::state::AppState;

/// Which record to merge into this one, and which values to keep.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate: its deals, tasks, people, chat and history move to this
    /// record, then it is deleted (its address then answers 308 with this one's).
    pub from_id: Uuid,
    /// For single-value fields (`name`, `position`, `company_id`, `website`,
    /// `address`, `owner_id`, `source`, `notes`, `custom.<key>`): `keep` this
    /// record's value or `take` the duplicate's. A field not named keeps this
    /// record's value, or takes the duplicate's when this one is empty (notes
    /// of both are joined). Phones, e-mails and tags are always joined.
    #[serde(default)]
    pub fields: Option<BTreeMap<String, Pick>>,
}

/// The record, or a 308 to the one it was merged into.
pub async fn read<T, D>(state: &AppState, actor: &User, id: Uuid) -> ApiResult<Response>
where
    T: ClientRecord,
    D: Serialize + for<'a> From<&'a T>,
{
    match client_merge::find::<T>(state, actor, id).await? {
        Found::Here(record) => Ok(axum::Json(D::from(&record)).into_response()),
        Found::MergedInto(to) => Ok(moved(T::NOUN, to)),
    }
}

/// 308 Permanent Redirect: relative, so it holds wherever the API is mounted.
/// A client that follows it (browsers do) reads the survivor; one that does not
/// gets the reason in the usual error shape.
fn moved(noun: &str, to: Uuid) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "merged".to_string(),
            message: format!("this {noun} was merged into another; Location names it"),
            field: None,
        },
    };
    (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, format!("./{to}"))], axum::Json(body))
        .into_response()
}

async fn merge<T: ClientRecord>(state: &AppState, actor: &User, id: Uuid, req: MergeRequest) -> ApiResult<T> {
    clients::can_use(actor)?;
    if req.from_id == id {
        return Err(ApiError::bad_request(
            "same_record",
            format!("a {} cannot be merged with itself; from_id must name another", T::NOUN),
        ));
    }
    let picks = req.fields.unwrap_or_default();
    Ok(client_merge::merge::<T>(state, actor, id, req.from_id, &picks).await?)
}

/// Merges the contact `from_id` into this one (see `MergeRequest`); answers
/// with this contact as it now is. The same as editing both: not for guests.
#[utoipa::path(post, path = "/contacts/{id}/merge", tag = "clients", security(("bearer" = [])),
    operation_id = "merge_contacts", request_body = MergeRequest,
    params(("id" = Uuid, Path, description = "The contact that stays")),
    responses((status = 200, body = ContactDto),
              (status = 400, description = "`from_id` is this contact", body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "Either contact is not found", body = crate::error::ErrorBody),
              (status = 409, description = "This contact is archived (`archived`)", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn merge_contacts(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<MergeRequest>,
) -> ApiResult<Json<ContactDto>> {
    let contact = merge::<Contact>(&state, &auth.user, id, req).await?;
    Ok(Json(ContactDto::from(&contact)))
}

/// Merges the company `from_id` into this one (see `MergeRequest`); its people
/// become this company's. Answers with this company as it now is.
#[utoipa::path(post, path = "/companies/{id}/merge", tag = "clients", security(("bearer" = [])),
    operation_id = "merge_companies", request_body = MergeRequest,
    params(("id" = Uuid, Path, description = "The company that stays")),
    responses((status = 200, body = CompanyDto),
              (status = 400, description = "`from_id` is this company", body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "Either company is not found", body = crate::error::ErrorBody),
              (status = 409, description = "This company is archived (`archived`)", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn merge_companies(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
    Json(req): Json<MergeRequest>,
) -> ApiResult<Json<CompanyDto>> {
    let company = merge::<Company>(&state, &auth.user, id, req).await?;
    Ok(Json(CompanyDto::from(&company)))
}
