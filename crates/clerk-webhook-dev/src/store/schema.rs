//! The tables.

use sqlx::sqlite::SqlitePool;

use super::StoreError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    event_type TEXT,
    payload BLOB NOT NULL,
    -- Over every delivery: pending while any is, else failed when any is, else succeeded.
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_created ON messages (created_at);
CREATE INDEX IF NOT EXISTS messages_status ON messages (status, created_at);
CREATE TABLE IF NOT EXISTS endpoints (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    filter_types TEXT,
    enabled INTEGER NOT NULL,
    disabled_at INTEGER,
    configured INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    message_id TEXT NOT NULL REFERENCES messages (id),
    endpoint_id TEXT NOT NULL REFERENCES endpoints (id),
    status TEXT NOT NULL,
    next_attempt_at INTEGER,
    scheduled_failures INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, endpoint_id)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_endpoint ON deliveries (endpoint_id, status);
CREATE TABLE IF NOT EXISTS attempts (
    message_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    at INTEGER NOT NULL,
    trigger TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    latency_ms INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    delivery_control TEXT,
    PRIMARY KEY (message_id, endpoint_id, number),
    FOREIGN KEY (message_id, endpoint_id) REFERENCES deliveries (message_id, endpoint_id)
);
";

/// Creates the tables; refuses a file of the earlier one-endpoint format.
pub(super) async fn create(pool: &SqlitePool) -> Result<(), StoreError> {
    let earlier: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'dev_endpoint'",
    )
    .fetch_one(pool)
    .await?;
    if earlier > 0 {
        return Err(StoreError::EarlierFormat);
    }
    sqlx::raw_sql(SCHEMA).execute(pool).await?;
    Ok(())
}
