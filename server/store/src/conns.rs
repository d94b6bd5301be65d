//! Where store methods get their connections: `acquire()` on either engine.
//!
//! SQLite keeps its connections in a pool of its own. sqlx's pool pings every
//! connection on its way back, in a task of its own: on SQLite that is a second
//! hand-off to the connection's thread for every query, and the next borrower of a
//! busy connection (the single writer above all) waits for that task to be polled
//! among busy sockets, for the ping and for the wake-up after it. The ping guards
//! against connections a server dropped and against a query cancelled half-way;
//! neither applies to a connection to a local file: sqlx's SQLite worker thread
//! finishes or resets a cancelled statement, and rolls back a dropped transaction,
//! before it takes the next command. So a connection goes back here as it is, and
//! the next borrower takes it at once.
//!
//! Postgres keeps sqlx's pool: there the ping on return is what notices a
//! connection the server or a firewall closed.
//!
//! A transaction borrows the connection it runs on (`sqlx::Connection::begin`),
//! so the lent connection outlives its commit: methods drop it right after
//! committing, before they read or write anything else (with a single writer,
//! anything else would wait for it forever).

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use artel_core::{StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, PgPool, Postgres, SqliteConnection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::errors::backend;

/// How long a borrower waits for a connection before giving up with an error.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long closing waits for lent connections to come back.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// Up to `max` SQLite connections, opened on demand and lent without a ping.
#[derive(Clone)]
pub(crate) struct SqliteConns {
    inner: Arc<Inner>,
}

struct Inner {
    options: SqliteConnectOptions,
    /// Opened connections not lent out; a borrower takes the last one returned.
    free: Mutex<Vec<SqliteConnection>>,
    /// One permit per connection that may be lent out (or opened) at once.
    permits: Arc<Semaphore>,
    max: u32,
}

impl SqliteConns {
    /// Opens one connection at once, so a wrong path or option fails here.
    pub(crate) async fn open(options: SqliteConnectOptions, max: u32) -> StoreResult<Self> {
        let first = options.connect().await.map_err(backend)?;
        let max = max.max(1);
        Ok(Self {
            inner: Arc::new(Inner {
                options,
                free: Mutex::new(vec![first]),
                permits: Arc::new(Semaphore::new(max as usize)),
                max,
            }),
        })
    }

    /// A connection for one query or transaction, back here when dropped.
    pub(crate) async fn acquire(&self) -> StoreResult<SqliteConn> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.inner.permits.clone().acquire_owned())
            .await
            .map_err(|_| StoreError::Unavailable("timed out waiting for a database connection".into()))?
            .map_err(|_| StoreError::Unavailable("the database is closed".into()))?;
        let kept = self.inner.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match kept {
            Some(conn) => conn,
            None => self.inner.options.connect().await.map_err(backend)?,
        };
        Ok(SqliteConn { conn: Some(conn), home: self.inner.clone(), _permit: permit })
    }

    /// Waits (a while) for lent connections to come back, so that a commit under
    /// way at shutdown finishes, then lends nothing more and closes them all.
    pub(crate) async fn close(&self) {
        let back = tokio::time::timeout(CLOSE_WAIT, self.inner.permits.acquire_many(self.inner.max)).await;
        drop(back);
        self.inner.permits.close();
        let free = std::mem::take(&mut *self.inner.free.lock().unwrap_or_else(|p| p.into_inner()));
        for conn in free {
            let _ = conn.close().await;
        }
    }
}

/// A lent SQLite connection.
pub(crate) struct SqliteConn {
    conn: Option<SqliteConnection>,
    home: Arc<Inner>,
    // Dropped after `drop` below has put the connection back, so the borrower it
    // wakes finds it there.
    _permit: OwnedSemaphorePermit,
}

impl Drop for SqliteConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Closed meanwhile: the connection ends with this drop.
            if !self.home.permits.is_closed() {
                self.home.free.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
            }
        }
    }
}

impl Deref for SqliteConn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn.as_ref().expect("a lent connection is held until it drops")
    }
}

impl DerefMut for SqliteConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("a lent connection is held until it drops")
    }
}

/// sqlx's Postgres pool behind the same `acquire` as SQLite's.
#[derive(Clone)]
pub(crate) struct PgConns(pub(crate) PgPool);

impl PgConns {
    pub(crate) async fn acquire(&self) -> StoreResult<PoolConnection<Postgres>> {
        self.0.acquire().await.map_err(backend)
    }

    pub(crate) async fn close(&self) {
        self.0.close().await;
    }
}
