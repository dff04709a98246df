//! The messages, their attempts and the endpoint, in an SQLite file that survives restarts.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::Row as _;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};

use super::clock::UnixMillis;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dev_messages (
    id TEXT PRIMARY KEY,
    event_type TEXT,
    payload BLOB NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER,
    scheduled_failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS dev_messages_created ON dev_messages (created_at);
CREATE INDEX IF NOT EXISTS dev_messages_due ON dev_messages (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS dev_attempts (
    message_id TEXT NOT NULL REFERENCES dev_messages (id),
    number INTEGER NOT NULL,
    at INTEGER NOT NULL,
    trigger TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    latency_ms INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    delivery_control TEXT,
    PRIMARY KEY (message_id, number)
);
CREATE TABLE IF NOT EXISTS dev_endpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    url TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    disabled_at INTEGER
);
";

/// Where a message stands, as the Dashboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Not delivered yet; an attempt is due (or waits for the endpoint to be enabled).
    Pending,
    /// An attempt got a 2xx.
    Succeeded,
    /// Every scheduled attempt failed, or the endpoint answered `abort-message`.
    Failed,
}

impl MessageStatus {
    /// The name stored and shown: `pending`, `succeeded` or `failed`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// Why an attempt was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// Svix's schedule.
    Scheduled,
    /// A resend or a recovery.
    Manual,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Manual => "manual",
        }
    }
}

/// One POST of a message to the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// When it was sent.
    pub at: UnixMillis,
    /// Scheduled or manual.
    pub trigger: Trigger,
    /// The answer's status, `None` when there was no answer.
    pub status_code: Option<u16>,
    /// Why there was no answer (timeout, connection refused…).
    pub error: Option<String>,
    /// From sending to the end of the answer.
    pub latency_ms: u64,
    /// The answer's first 4 KiB, lossily decoded.
    pub response_body: String,
    /// The request headers sent (signature included; the secret is never sent).
    pub request_headers: BTreeMap<String, String>,
    /// The answer's `webhook-delivery` header.
    pub delivery_control: Option<String>,
}

impl Attempt {
    /// Whether the answer was a 2xx.
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.status_code
            .is_some_and(|code| (200..300).contains(&code))
    }
}

/// A message and every attempt made with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `msg_…`, the `svix-id` of every attempt.
    pub id: String,
    /// The payload's `type`, when it has a string one.
    pub event_type: Option<String>,
    /// The raw payload, signed and sent as it is.
    pub payload: Vec<u8>,
    /// Pending, succeeded or failed.
    pub status: MessageStatus,
    /// When it was created.
    pub created_at: UnixMillis,
    /// When the next scheduled attempt is due; `None` once succeeded or failed (or while
    /// an attempt is in flight).
    pub next_attempt_at: Option<UnixMillis>,
    /// Scheduled attempts that failed so far.
    pub scheduled_failures: u32,
    /// Oldest first.
    pub attempts: Vec<Attempt>,
}

/// Where messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The forwarding URL.
    pub url: String,
    /// False after a `webhook-delivery: disable` answer, until enabled.
    pub enabled: bool,
    /// When it was disabled.
    pub disabled_at: Option<UnixMillis>,
}

/// The store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
#[error("the dev database failed: {0}")]
pub struct StoreError(#[from] sqlx::Error);

/// The SQLite file behind `clerk-webhook dev`.
#[derive(Debug, Clone)]
pub struct DevStore {
    pool: SqlitePool,
}

impl DevStore {
    /// Opens (creating if missing) the database at `path` and its tables.
    ///
    /// # Errors
    /// When the file cannot be opened or created.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        Self::with_options(options).await
    }

    /// A database that lives only as long as this store (for tests and throwaway runs).
    ///
    /// # Errors
    /// As [`DevStore::open`].
    pub async fn in_memory() -> Result<Self, StoreError> {
        Self::with_options(SqliteConnectOptions::from_str("sqlite::memory:")?).await
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        // One connection: writes are few and small, and it rules out lock contention.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        Ok(Self { pool })
    }

    /// Points the endpoint at `url`, keeping whether it is enabled; an unknown endpoint
    /// starts enabled.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn set_endpoint_url(&self, url: &str) -> Result<Endpoint, StoreError> {
        sqlx::query(
            "INSERT INTO dev_endpoint (id, url, enabled) VALUES (1, ?, 1)
             ON CONFLICT (id) DO UPDATE SET url = excluded.url",
        )
        .bind(url)
        .execute(&self.pool)
        .await?;
        self.endpoint().await
    }

    /// The endpoint.
    ///
    /// # Errors
    /// [`StoreError`]; `RowNotFound` before [`set_endpoint_url`](Self::set_endpoint_url).
    pub async fn endpoint(&self) -> Result<Endpoint, StoreError> {
        let row = sqlx::query("SELECT url, enabled, disabled_at FROM dev_endpoint WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(Endpoint {
            url: row.try_get("url")?,
            enabled: row.try_get::<i64, _>("enabled")? != 0,
            disabled_at: row.try_get("disabled_at")?,
        })
    }

    /// Enables or disables the endpoint.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn set_enabled(&self, enabled: bool, now: UnixMillis) -> Result<(), StoreError> {
        sqlx::query("UPDATE dev_endpoint SET enabled = ?, disabled_at = ? WHERE id = 1")
            .bind(i64::from(enabled))
            .bind((!enabled).then_some(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Adds a pending message whose first attempt is due at `created_at`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn insert_message(
        &self,
        id: &str,
        event_type: Option<&str>,
        payload: &[u8],
        created_at: UnixMillis,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dev_messages (id, event_type, payload, status, created_at, next_attempt_at)
             VALUES (?, ?, ?, 'pending', ?, ?)",
        )
        .bind(id)
        .bind(event_type)
        .bind(payload)
        .bind(created_at)
        .bind(created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims the pending messages due by `now`: their `next_attempt_at` is cleared, so
    /// no other worker takes them, until [`record_attempt`](Self::record_attempt) sets
    /// the next one.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn claim_due(&self, now: UnixMillis) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(
            "UPDATE dev_messages SET next_attempt_at = NULL
             WHERE status = 'pending' AND next_attempt_at <= ?
             RETURNING id, event_type, payload, status, created_at, next_attempt_at, scheduled_failures",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_without_attempts).collect()
    }

    /// Pending messages left claimed by a process that stopped mid-attempt are due again.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn release_claims(&self, now: UnixMillis) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE dev_messages SET next_attempt_at = ?
             WHERE status = 'pending' AND next_attempt_at IS NULL",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// How many messages have `status`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn count(&self, status: MessageStatus) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dev_messages WHERE status = ?")
            .bind(status.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// When the earliest pending message is due.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn next_due(&self) -> Result<Option<UnixMillis>, StoreError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM dev_messages WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(next)
    }

    /// Records an attempt (numbered after the message's last) and the message's new state.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn record_attempt(
        &self,
        message_id: &str,
        attempt: &Attempt,
        status: MessageStatus,
        next_attempt_at: Option<UnixMillis>,
        scheduled_failures: u32,
    ) -> Result<u32, StoreError> {
        let headers = serde_json::to_string(&attempt.request_headers).unwrap_or_default();
        let mut transaction = self.pool.begin().await?;
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO dev_attempts (message_id, number, at, trigger, status_code, error,
                 latency_ms, response_body, request_headers, delivery_control)
             SELECT ?1, COALESCE(MAX(number), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
             FROM dev_attempts WHERE message_id = ?1
             RETURNING number",
        )
        .bind(message_id)
        .bind(attempt.at)
        .bind(attempt.trigger.as_str())
        .bind(attempt.status_code)
        .bind(&attempt.error)
        .bind(i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX))
        .bind(&attempt.response_body)
        .bind(headers)
        .bind(&attempt.delivery_control)
        .fetch_one(&mut *transaction)
        .await?;
        sqlx::query(
            "UPDATE dev_messages SET status = ?, next_attempt_at = ?, scheduled_failures = ?
             WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(next_attempt_at)
        .bind(scheduled_failures)
        .bind(message_id)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(u32::try_from(number).unwrap_or(u32::MAX))
    }

    /// One message with its attempts.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn message(&self, id: &str) -> Result<Option<Message>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT id, event_type, payload, status, created_at, next_attempt_at, scheduled_failures
             FROM dev_messages WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let mut message = message_without_attempts(&row)?;
        message.attempts = self
            .attempts_of(&[id.to_owned()])
            .await?
            .remove(id)
            .unwrap_or_default();
        Ok(Some(message))
    }

    /// Messages newest first, with their attempts: at most `limit`, only those with
    /// `status` when given, and only those created at or after `since` when given.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn messages(
        &self,
        status: Option<MessageStatus>,
        since: Option<UnixMillis>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, event_type, payload, status, created_at, next_attempt_at, scheduled_failures
             FROM dev_messages
             WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR created_at >= ?2)
             ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        )
        .bind(status.map(MessageStatus::as_str))
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = rows
            .iter()
            .map(message_without_attempts)
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<String> = messages.iter().map(|m| m.id.clone()).collect();
        let mut attempts = self.attempts_of(&ids).await?;
        for message in &mut messages {
            message.attempts = attempts.remove(&message.id).unwrap_or_default();
        }
        Ok(messages)
    }

    async fn attempts_of(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, Vec<Attempt>>, StoreError> {
        let mut by_message: BTreeMap<String, Vec<Attempt>> = BTreeMap::new();
        if ids.is_empty() {
            return Ok(by_message);
        }
        let ids_json = serde_json::to_string(ids).unwrap_or_default();
        let rows = sqlx::query(
            "SELECT message_id, number, at, trigger, status_code, error, latency_ms,
                    response_body, request_headers, delivery_control
             FROM dev_attempts WHERE message_id IN (SELECT value FROM json_each(?))
             ORDER BY message_id, number",
        )
        .bind(ids_json)
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            let message_id: String = row.try_get("message_id")?;
            let headers: String = row.try_get("request_headers")?;
            let trigger: String = row.try_get("trigger")?;
            by_message.entry(message_id).or_default().push(Attempt {
                number: row.try_get("number")?,
                at: row.try_get("at")?,
                trigger: if trigger == "manual" {
                    Trigger::Manual
                } else {
                    Trigger::Scheduled
                },
                status_code: row.try_get("status_code")?,
                error: row.try_get("error")?,
                latency_ms: u64::try_from(row.try_get::<i64, _>("latency_ms")?).unwrap_or(0),
                response_body: row.try_get("response_body")?,
                request_headers: serde_json::from_str(&headers).unwrap_or_default(),
                delivery_control: row.try_get("delivery_control")?,
            });
        }
        Ok(by_message)
    }
}

fn message_without_attempts(row: &SqliteRow) -> Result<Message, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Message {
        id: row.try_get("id")?,
        event_type: row.try_get("event_type")?,
        payload: row.try_get("payload")?,
        status: MessageStatus::parse(&status),
        created_at: row.try_get("created_at")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        scheduled_failures: row.try_get("scheduled_failures")?,
        attempts: Vec::new(),
    })
}
