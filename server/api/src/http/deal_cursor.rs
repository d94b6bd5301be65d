//! The orders `GET /deals` offers and its page cursor. A cursor names the last
//! deal of a page by its key in the order and its id, and says which order it
//! belongs to: the next page starts right after that deal (keyset paging, so
//! deals added or changed meanwhile never repeat or skip a page), and a cursor
//! brought to another order is refused rather than read wrongly.

use artel_core::crm::deal::Deal;
use artel_core::ports::crm::{DealAfter, DealSort, DealSortValue};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;

/// The order of a deal list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DealSortParam {
    /// As on the board: stage, then the card's place in its column.
    #[default]
    Board,
    UpdatedAt,
    CreatedAt,
    Amount,
    /// Expected close date; deals without one come last.
    CloseDate,
    Title,
}

/// Which way an order runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Asc,
    Desc,
}

impl DealSortParam {
    pub fn store(self) -> DealSort {
        match self {
            DealSortParam::Board => DealSort::Board,
            DealSortParam::UpdatedAt => DealSort::UpdatedAt,
            DealSortParam::CreatedAt => DealSort::CreatedAt,
            DealSortParam::Amount => DealSort::Amount,
            DealSortParam::CloseDate => DealSort::CloseDate,
            DealSortParam::Title => DealSort::Title,
        }
    }

    /// Newest and largest first; titles, close dates and the board from the start.
    pub fn default_order(self) -> SortOrder {
        match self {
            DealSortParam::UpdatedAt | DealSortParam::CreatedAt | DealSortParam::Amount => SortOrder::Desc,
            DealSortParam::Board | DealSortParam::CloseDate | DealSortParam::Title => SortOrder::Asc,
        }
    }
}

/// What a cursor holds (base64url of this JSON; opaque to clients).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    sort: DealSortParam,
    order: SortOrder,
    key: Value,
    id: Uuid,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError { field: Some("cursor".into()), ..ApiError::bad_request("invalid_query", message) }
}

/// The cursor for the page after `last` (`stage_position`: its stage's, for the board order).
pub fn encode(sort: DealSortParam, order: SortOrder, last: &Deal, stage_position: i64) -> String {
    let key = match sort.store().value_of(last, stage_position) {
        DealSortValue::Board { stage_position, position } => json!([stage_position, position]),
        DealSortValue::Time(t) => json!(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        DealSortValue::Amount(n) => json!(n),
        DealSortValue::Date(d) => json!(d.map(|d| d.to_string())),
        DealSortValue::Text(t) => json!(t),
    };
    let wire = Wire { sort, order, key, id: last.id };
    let text = serde_json::to_vec(&wire).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// Reads a cursor given with this order; 400 if it is not one of ours or
/// belongs to another order.
pub fn decode(raw: &str, sort: DealSortParam, order: SortOrder) -> Result<DealAfter, ApiError> {
    let not_ours = || bad("cursor is not one this list gave out");
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| not_ours())?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| not_ours())?;
    if wire.sort != sort || wire.order != order {
        return Err(bad("cursor belongs to another sort or order; start again without it"));
    }
    let value = match sort {
        DealSortParam::Board => {
            let pair: (i64, i64) = serde_json::from_value(wire.key).map_err(|_| not_ours())?;
            DealSortValue::Board { stage_position: pair.0, position: pair.1 }
        }
        DealSortParam::UpdatedAt | DealSortParam::CreatedAt => {
            let t: DateTime<Utc> = serde_json::from_value(wire.key).map_err(|_| not_ours())?;
            DealSortValue::Time(t)
        }
        DealSortParam::Amount => DealSortValue::Amount(wire.key.as_i64().ok_or_else(not_ours)?),
        DealSortParam::CloseDate => {
            let d: Option<NaiveDate> = serde_json::from_value(wire.key).map_err(|_| not_ours())?;
            DealSortValue::Date(d)
        }
        DealSortParam::Title => DealSortValue::Text(wire.key.as_str().ok_or_else(not_ours)?.to_string()),
    };
    Ok(DealAfter { value, id: wire.id })
}
