//! The two engines: connecting, pool shape, migrations, and the `Store` glue.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use artel_core::{Store, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

use crate::checkpoint::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};
use crate::conns::{PgConns, SqliteConns};
use crate::errors::{backend, idle_since_connection_lost};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Where the data lives. `database_url` unset means SQLite in `data_dir`.
#[derive(Clone)]
pub struct StoreConfig {
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// Upper bound on pooled connections (Postgres; SQLite readers); `None` picks
    /// the engine's default (`POSTGRES_CONNECTIONS`, `sqlite_readers()`).
    pub max_connections: Option<u32>,
}

impl std::fmt::Debug for StoreConfig {
    // The URL may carry a password: show only its scheme.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = self.database_url.as_deref().map(|u| u.split(':').next().unwrap_or(""));
        f.debug_struct("StoreConfig")
            .field("database_url", &scheme.map(|s| format!("{s}://…")))
            .field("data_dir", &self.data_dir)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// SQLite in WAL mode. Writes go through a single connection: SQLite allows one
/// writer at a time anyway, and queuing writers in-process avoids SQLITE_BUSY when
/// a read transaction would have to upgrade to a write. Neither pool pings a
/// connection (`conns.rs`): each ping is a hand-off to the connection's thread,
/// and a connection to a local file does not go away while idle.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) read: SqliteConns,
    pub(crate) write: SqliteConns,
    checkpointer: Arc<Checkpointer>,
}

/// PostgreSQL; one pool serves reads and writes.
#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) read: PgConns,
    pub(crate) write: PgConns,
}

/// Page cache of the SQLite write connection (readers keep SQLite's default).
const WRITER_CACHE_KIB: u32 = 64 * 1024;
/// A pooled Postgres connection idle this long is pinged before use.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);
/// Default pool size on Postgres: its connections mostly wait on the network.
const POSTGRES_CONNECTIONS: u32 = 16;

/// Default number of SQLite read connections: two per core. Each is a thread of
/// its own doing CPU work, and after every commit each reader starts its next read
/// with an emptied page cache, so readers beyond the cores add context switches
/// and cache refills, not reads: on 2 cores 4 readers carried more durable sends
/// than 16 did (BENCHMARKS.md, durable sends).
fn sqlite_readers() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
    (2 * cores).max(2)
}

impl SqliteStore {
    /// Opens (creating if missing) the database file and runs migrations.
    pub async fn open(path: &Path, max_readers: u32) -> StoreResult<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: every commit syncs the WAL, so an ack survives a power cut,
            // not only a crash of the process (NORMAL syncs at checkpoints only).
            // Group commit keeps that to one sync per batch.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A WAL that grew during a burst is cut back to this size once reused.
            .pragma("journal_size_limit", (64 * 1024 * 1024).to_string());
        // The writer's page cache: SQLite's default (2 MiB) held too few index
        // pages, so group commits re-read them from the OS page by page.
        // Checkpoints are the background task's job (`checkpoint.rs`).
        let write = SqliteConns::open(
            options
                .clone()
                .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                .pragma("wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES.to_string()),
            1,
        )
        .await?;
        SQLITE_MIGRATIONS
            .run(&mut *write.acquire().await?)
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let read = SqliteConns::open(options.clone().read_only(true), max_readers).await?;
        let checkpointer = Arc::new(Checkpointer::start(options));
        Ok(Self { read, write, checkpointer })
    }
}

impl SqliteStore {
    fn stop_background(&self) {
        self.checkpointer.stop();
    }
}

impl PostgresStore {
    /// Nothing runs in the background on Postgres (it checkpoints itself).
    fn stop_background(&self) {}

    /// Connects and runs migrations (serialised across nodes by sqlx's advisory lock).
    pub async fn open(url: &str, max_connections: u32) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url).map_err(backend)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            // sqlx already pings a connection when it goes back to the pool;
            // pinging it again when it is lent out cost a round trip per query.
            // Only a connection idle for a while (Postgres or a firewall may have
            // dropped it), or idle since another connection was found lost, is
            // checked before use; one that fails the ping is replaced.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_IF_IDLE_FOR || idle_since_connection_lost(meta.idle_for) {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(backend)?;
        POSTGRES_MIGRATIONS.run(&pool).await.map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(Self { read: PgConns(pool.clone()), write: PgConns(pool) })
    }
}

/// Opens the store the configuration names: `postgres://` / `postgresql://` →
/// Postgres, `sqlite://path` → that SQLite file, nothing → `<data_dir>/artel.db`.
/// Migrations run before this returns.
pub async fn connect(config: &StoreConfig) -> StoreResult<Arc<dyn Store>> {
    match config.database_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let pool = config.max_connections.unwrap_or(POSTGRES_CONNECTIONS);
            Ok(Arc::new(PostgresStore::open(url, pool).await?))
        }
        Some(url) if url.starts_with("sqlite:") => {
            let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            let readers = config.max_connections.unwrap_or_else(sqlite_readers);
            Ok(Arc::new(SqliteStore::open(Path::new(path), readers).await?))
        }
        Some(_) => Err(StoreError::Backend(
            "DATABASE_URL must start with postgres://, postgresql:// or sqlite:".into(),
        )),
        None => {
            std::fs::create_dir_all(&config.data_dir).map_err(|e| {
                StoreError::Backend(format!("cannot create data dir {}: {e}", config.data_dir.display()))
            })?;
            let path = config.data_dir.join("artel.db");
            let readers = config.max_connections.unwrap_or_else(sqlite_readers);
            Ok(Arc::new(SqliteStore::open(&path, readers).await?))
        }
    }
}

/// Runs migrations and closes: `artel migrate`.
pub async fn migrate_only(config: &StoreConfig) -> StoreResult<&'static str> {
    let store = connect(config).await?;
    let engine = store.engine();
    store.close().await;
    Ok(engine)
}

macro_rules! impl_store {
    ($store:ty, $engine:literal) => {
        #[async_trait]
        impl Store for $store {
            fn engine(&self) -> &'static str {
                $engine
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("select 1").execute(&mut *self.read.acquire().await?).await.map_err(backend)?;
                Ok(())
            }

            async fn close(&self) {
                self.stop_background();
                self.write.close().await;
                self.read.close().await;
            }
        }
    };
}

impl_store!(SqliteStore, "sqlite");
impl_store!(PostgresStore, "postgres");
