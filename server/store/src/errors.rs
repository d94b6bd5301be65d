//! Driver errors → `StoreError`. Unique violations become `Conflict`, so the API can
//! answer 409 without knowing which database it runs on.

use artel_core::StoreError;

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound("row"),
        other => StoreError::Backend(other.to_string()),
    }
}

/// Maps a unique-constraint violation to `Conflict(what)`, anything else to `backend`.
pub(crate) fn on_unique(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => backend(e),
    }
}

/// `RowNotFound` → `NotFound(what)`.
pub(crate) fn not_found(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match e {
        sqlx::Error::RowNotFound => StoreError::NotFound(what),
        other => backend(other),
    }
}
