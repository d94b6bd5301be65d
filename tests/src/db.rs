//! Fresh databases for tests: a SQLite file in a temp dir, or a new Postgres
//! database (`artel_test_<uuid>`) dropped when the test ends.

use std::path::PathBuf;

use artel::config::{DataConfig, Secret};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The Postgres server tests create databases on; `ARTEL_TEST_POSTGRES_URL`
/// overrides (the user needs CREATEDB).
pub fn postgres_admin_url() -> String {
    std::env::var("ARTEL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A data dir (always) plus a Postgres database (for that backend).
pub struct Database {
    pub backend: Backend,
    _dir: tempfile::TempDir,
    pub data_dir: PathBuf,
    pub postgres_url: Option<String>,
    pg_name: Option<String>,
}

impl Database {
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().to_path_buf();
        let (postgres_url, pg_name) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("artel_test_{}", Uuid::now_v7().simple());
                let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("Postgres is needed for the postgres tests ({admin}): {e}. The README's test command starts it.")
                });
                sqlx::query(&format!("create database {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                let _ = conn.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
                (Some(format!("{base}/{name}")), Some(name))
            }
        };
        Self { backend, _dir: dir, data_dir, postgres_url, pg_name }
    }

    /// The data configuration that points the server at this database.
    pub fn data_config(&self) -> DataConfig {
        DataConfig {
            data_dir: self.data_dir.clone(),
            database_url: self.postgres_url.clone().map(Secret::new),
            db_max_connections: Some(8),
            jwt_secret: None,
        }
    }

    /// The store config for adapter-level (contract) tests.
    pub fn store_config(&self) -> artel_store::StoreConfig {
        self.data_config().store_config()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else { return };
        // Drop runs outside async context; a short-lived runtime on its own thread
        // removes the database whatever runtime the test used.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&postgres_admin_url()).await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}
