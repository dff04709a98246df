//! Fresh stores on both backends, for tests (feature `testing`).
//!
//! PostgreSQL tests read [`POSTGRES_URL_VAR`]. When it is unset they print how to enable
//! them and do not run, except under `CI=true`, where an unset variable is a failure:
//! never a silent pass.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Executor as _;
use sqlx::any::AnyPoolOptions;

use crate::{Backend, SyncError, SyncStore};

/// The variable naming the PostgreSQL server tests use.
pub const POSTGRES_URL_VAR: &str = "CLERK_SYNC_TEST_POSTGRES_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// A store in a fresh SQLite file under the system's temporary directory.
///
/// # Errors
/// When the file or the migrations fail.
pub async fn sqlite_store() -> Result<SyncStore, SyncError> {
    let dir = std::env::temp_dir().join("clerk-webhook-sync-tests");
    std::fs::create_dir_all(&dir).map_err(|e| SyncError::Database(sqlx::Error::Io(e)))?;
    let path = dir.join(format!("{}.db", unique("store")));
    SyncStore::connect(&format!("sqlite://{}", path.display())).await
}

/// A store in a fresh schema of the PostgreSQL server at [`POSTGRES_URL_VAR`], or `None`
/// after printing how to enable PostgreSQL tests.
///
/// # Errors
/// When the connection or the migrations fail.
///
/// # Panics
/// Under `CI=true` when [`POSTGRES_URL_VAR`] is unset.
pub async fn postgres_store() -> Result<Option<SyncStore>, SyncError> {
    let Ok(url) = std::env::var(POSTGRES_URL_VAR) else {
        let how = format!(
            "PostgreSQL tests need {POSTGRES_URL_VAR}, e.g. \
             {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/test"
        );
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{how} (required under CI=true)"
        );
        eprintln!("NOT RUN: {how}");
        return Ok(None);
    };
    sqlx::any::install_default_drivers();
    let schema = unique("clerk_sync_test");
    let admin = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .await?;
    let set_path = format!("SET search_path TO {schema}");
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(move |connection, _| {
            let set_path = set_path.clone();
            Box::pin(async move {
                connection.execute(sqlx::AssertSqlSafe(set_path)).await?;
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    SyncStore::with_pool(pool, Backend::Postgres)
        .await
        .map(Some)
}
