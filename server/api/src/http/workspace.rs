//! The workspace itself: its name and settings (admins change them).

use artel_core::crm::deal::DealVisibility;
use artel_core::crm::money;
use artel_core::workspace::{phone_region, WorkspaceSettings};
use artel_core::{validate, Error};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceSettingsDto {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub deal_visibility: DealVisibility,
    pub phone_region: String,
    pub default_currency: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspacePatch {
    pub name: Option<String>,
    /// "all": members see every deal; "own": only deals they are on.
    pub deal_visibility: Option<DealVisibility>,
    /// ISO 3166 code used for phones written without a country code.
    pub phone_region: Option<String>,
    /// ISO 4217 code for new deals.
    pub default_currency: Option<String>,
}

fn dto(w: &artel_core::workspace::Workspace) -> WorkspaceSettingsDto {
    WorkspaceSettingsDto {
        id: w.id,
        name: w.name.clone(),
        slug: w.slug.clone(),
        deal_visibility: w.settings.deal_visibility,
        phone_region: w.settings.phone_region.clone(),
        default_currency: w.settings.default_currency.clone(),
    }
}

/// My workspace and its settings.
#[utoipa::path(get, path = "/workspace", operation_id = "get_workspace_settings", tag = "workspace", security(("bearer" = [])),
    responses((status = 200, body = WorkspaceSettingsDto)))]
pub async fn get(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<WorkspaceSettingsDto>> {
    let w = state.store.get_workspace(auth.user.workspace_id).await?;
    Ok(Json(dto(&w)))
}

/// Changes the workspace's name or settings (owners and admins).
#[utoipa::path(patch, path = "/workspace", operation_id = "update_workspace_settings", tag = "workspace", security(("bearer" = [])), request_body = WorkspacePatch,
    responses((status = 200, body = WorkspaceSettingsDto), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<WorkspacePatch>,
) -> ApiResult<Json<WorkspaceSettingsDto>> {
    if !auth.user.role.is_admin() {
        return Err(Error::forbidden("only admins change workspace settings").into());
    }
    let current = state.store.get_workspace(auth.user.workspace_id).await?;
    let name = req.name.as_deref().map(|n| validate::display_name("name", n)).transpose()?;
    let settings = WorkspaceSettings {
        deal_visibility: req.deal_visibility.unwrap_or(current.settings.deal_visibility),
        phone_region: match req.phone_region.as_deref() {
            Some(r) => phone_region(r)?,
            None => current.settings.phone_region.clone(),
        },
        default_currency: match req.default_currency.as_deref() {
            Some(c) => money::currency(c)
                .map_err(|_| Error::invalid("default_currency", "not a supported ISO 4217 code"))?,
            None => current.settings.default_currency.clone(),
        },
    };
    let w =
        state.store.update_workspace(current.id, name.as_deref(), Some(&settings), state.clock.now()).await?;
    let (from, to) = (current.settings.deal_visibility, w.settings.deal_visibility);
    crate::access::visibility_changed(&state, &auth.user, from, to).await?;
    Ok(Json(dto(&w)))
}
