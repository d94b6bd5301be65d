//! Driver errors → `StoreError`. Unique violations become `Conflict`, so the API can
//! answer 409 without knowing which database it runs on; a lost or unreachable
//! database becomes `Unavailable`, so the API can answer 503 and retry what is
//! safe to retry, instead of a 500.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use artel_core::StoreError;

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound("row"),
        other if is_connection_lost(&other) => {
            note_connection_lost();
            StoreError::Unavailable(other.to_string())
        }
        other if is_transient(&other) => StoreError::Unavailable(other.to_string()),
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

/// The connection itself failed: the server closed it (a restart, failover,
/// `pg_terminate_backend`), the network dropped it, or none could be had.
fn is_connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Postgres: class 08 connection exception; 57P01-57P03 the server
            // shutting down, crashed or starting; 53300 too many connections.
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

/// The statement lost a race the database settles by refusing one side:
/// Postgres serialization failures and deadlocks, SQLite's busy and locked
/// (beyond its busy timeout). The connection is fine; the work may be redone.
fn is_transient(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else { return false };
    let Some(code) = db.code() else { return false };
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // SQLite reports extended result codes; the primary is the low byte.
        // (Only SQLite's: Postgres codes such as 22021 are digits too.)
        code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
    } else {
        matches!(code.as_ref(), "40001" | "40P01")
    }
}

/// When a connection was last found lost, in ms since `epoch()` (0: never).
/// Process-wide rather than per pool: `backend` runs at every call site without
/// a pool at hand, and the only cost to another pool in the same process (tests)
/// is a ping per idle connection.
static LOST_AT_MS: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn note_connection_lost() {
    let ms = u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX).max(1);
    LOST_AT_MS.fetch_max(ms, Ordering::Relaxed);
}

/// True for an idle connection last used before a connection was last found
/// lost. The server drops its connections together (restart, failover, an
/// administrator terminating backends), so such a connection is likely dead too:
/// it is pinged before it is lent, and replaced if the ping fails, rather than
/// failing the next query (and its retry) as each of them would.
pub(crate) fn idle_since_connection_lost(idle_for: Duration) -> bool {
    let lost = LOST_AT_MS.load(Ordering::Relaxed);
    if lost == 0 {
        return false;
    }
    let since_lost = epoch().elapsed().saturating_sub(Duration::from_millis(lost));
    idle_for >= since_lost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_is_unavailable_and_marks_older_idle_connections() {
        let err = backend(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)));
        assert!(matches!(err, StoreError::Unavailable(_)));
        assert!(idle_since_connection_lost(Duration::from_secs(3600)));
        assert!(matches!(backend(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
        assert!(matches!(backend(sqlx::Error::RowNotFound), StoreError::NotFound(_)));
        assert!(matches!(backend(sqlx::Error::Protocol("x".into())), StoreError::Unavailable(_)));
        assert!(matches!(backend(sqlx::Error::ColumnNotFound("x".into())), StoreError::Backend(_)));
    }
}
