//! Fresh stores on both backends, for tests (feature `testing`).
//!
//! PostgreSQL tests use the server at [`POSTGRES_URL_VAR`], by default
//! [`DEFAULT_POSTGRES_URL`] (the server every machine of this project runs). They always
//! run: without a server they fail, saying what to start or set; they are never skipped.
//!
//! Each PostgreSQL store lives in a fresh schema `clerk_sync_test_<pid>_<n>` of that
//! database; schemas left by test processes that have exited are dropped the first time a
//! process asks for a store.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Executor as _;
use sqlx::any::AnyPoolOptions;

use crate::{Backend, SyncError, SyncStore};

/// The variable naming the PostgreSQL server tests use.
pub const POSTGRES_URL_VAR: &str = "CLERK_SYNC_TEST_POSTGRES_URL";

/// The server tests use when [`POSTGRES_URL_VAR`] is unset.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

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

/// A store in a fresh schema of the PostgreSQL server at [`POSTGRES_URL_VAR`] (by
/// default [`DEFAULT_POSTGRES_URL`]).
///
/// # Errors
/// When the migrations fail.
///
/// # Panics
/// When no server answers at that URL: the test needs PostgreSQL and cannot run.
#[allow(clippy::panic)] // Test support: a test that cannot run must fail, saying why.
pub async fn postgres_store() -> Result<SyncStore, SyncError> {
    let url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    sqlx::any::install_default_drivers();
    let schema = unique("clerk_sync_test");
    let admin = match AnyPoolOptions::new().max_connections(1).connect(&url).await {
        Ok(admin) => admin,
        Err(error) => panic!(
            "PostgreSQL tests need a server at {url} ({error}): start PostgreSQL, or set \
             {POSTGRES_URL_VAR} to one"
        ),
    };
    drop_schemas_of_exited_processes(&admin).await?;
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .await?;
    let pool = pool_in_schema(&url, &schema, 8).await?;
    SyncStore::with_pool(pool, Backend::Postgres).await
}

/// A pool of at most `max_connections` to the PostgreSQL server at `url` whose every
/// connection works in `schema` (its `search_path`), which must exist. Schemas named
/// `clerk_sync_test_<pid>_…` are dropped once process `<pid>` has exited.
///
/// # Errors
/// When no connection can be made.
pub async fn pool_in_schema(
    url: &str,
    schema: &str,
    max_connections: u32,
) -> Result<sqlx::AnyPool, sqlx::Error> {
    let set_path = format!("SET search_path TO {schema}");
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .after_connect(move |connection, _| {
            let set_path = set_path.clone();
            Box::pin(async move {
                connection.execute(sqlx::AssertSqlSafe(set_path)).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
}

/// Drops the `clerk_sync_test_<pid>_<n>` schemas of processes that no longer run, once per
/// process, so test runs do not accumulate schemas in the shared database.
async fn drop_schemas_of_exited_processes(admin: &sqlx::AnyPool) -> Result<(), SyncError> {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'clerk\\_sync\\_test\\_%'",
    )
    .fetch_all(admin)
    .await?;
    for schema in schemas {
        let pid = schema
            .trim_start_matches("clerk_sync_test_")
            .split('_')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok());
        let exited = pid.is_some_and(|pid| {
            pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        });
        let safe = schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if exited && safe {
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .await?;
        }
    }
    Ok(())
}
