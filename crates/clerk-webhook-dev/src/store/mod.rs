//! Messages, their deliveries, every attempt and the endpoints, in an SQLite file that
//! survives restarts (or in memory, for tests).

mod model;
mod schema;

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::Row as _;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};

pub use model::{Attempt, Delivery, Due, Endpoint, Message, MessageStatus, Trigger};

use crate::clock::UnixMillis;

/// The store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("the dev database failed: {0}")]
    Database(#[from] sqlx::Error),
    /// The file was written by an earlier version, with one endpoint and other tables.
    #[error(
        "the dev database was written by an earlier clerk-webhook dev (one endpoint, other tables); use a new file"
    )]
    EarlierFormat,
}

/// An endpoint as configured: its id, URL and filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSetup {
    /// `ep_1`, `ep_2`…
    pub id: String,
    /// Where attempts go.
    pub url: String,
    /// The event types it subscribes to; `None`: every type.
    pub filter_types: Option<Vec<String>>,
}

/// Which messages a list holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageQuery {
    /// Only messages with this status (or, with `endpoint`, whose delivery there has it).
    pub status: Option<MessageStatus>,
    /// Only messages created at or after this time.
    pub since: Option<UnixMillis>,
    /// Only messages routed to this endpoint.
    pub endpoint_id: Option<String>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// The SQLite database behind `clerk-webhook dev` and [`LocalSvix`](crate::LocalSvix).
#[derive(Debug, Clone)]
pub struct DevStore {
    pool: SqlitePool,
}

/// The columns [`message_of`] reads.
macro_rules! message_columns {
    () => {
        "id, event_type, payload, status, created_at"
    };
}

/// The columns [`delivery_of`] reads.
macro_rules! delivery_columns {
    () => {
        "message_id, endpoint_id, status, next_attempt_at, scheduled_failures"
    };
}

impl DevStore {
    /// Opens (creating if missing) the database at `path` and its tables.
    ///
    /// # Errors
    /// When the file cannot be opened or created, or holds an earlier format.
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
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        Self::with_options(options).await
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        // One connection, never recycled: writes are few and small, it rules out lock
        // contention, and an in-memory database lives exactly as long as it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        schema::create(&pool).await?;
        Ok(Self { pool })
    }

    /// Makes `endpoints` the configured ones, in this order: a known id keeps whether it
    /// is enabled (its URL and filter are updated), a new one starts enabled, and any
    /// other is no longer configured (its deliveries wait, unattempted).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn configure_endpoints(
        &self,
        endpoints: &[EndpointSetup],
    ) -> Result<Vec<Endpoint>, StoreError> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("UPDATE endpoints SET configured = 0")
            .execute(&mut *transaction)
            .await?;
        for (position, endpoint) in endpoints.iter().enumerate() {
            let filter = endpoint
                .filter_types
                .as_ref()
                .map(|types| serde_json::to_string(types).unwrap_or_default());
            sqlx::query(
                "INSERT INTO endpoints (id, position, url, filter_types, enabled, configured)
                 VALUES (?, ?, ?, ?, 1, 1)
                 ON CONFLICT (id) DO UPDATE SET position = excluded.position,
                     url = excluded.url, filter_types = excluded.filter_types, configured = 1",
            )
            .bind(&endpoint.id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(&endpoint.url)
            .bind(filter)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        self.endpoints().await
    }

    /// The configured endpoints, in their order.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn endpoints(&self) -> Result<Vec<Endpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, url, filter_types, enabled, disabled_at FROM endpoints
             WHERE configured = 1 ORDER BY position",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(endpoint_of).collect()
    }

    /// One endpoint, configured or not.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn endpoint(&self, id: &str) -> Result<Option<Endpoint>, StoreError> {
        let row = sqlx::query(
            "SELECT id, url, filter_types, enabled, disabled_at FROM endpoints WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(endpoint_of).transpose()
    }

    /// Enables or disables endpoint `id`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn set_enabled(
        &self,
        id: &str,
        enabled: bool,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE endpoints SET enabled = ?, disabled_at = ? WHERE id = ?")
            .bind(i64::from(enabled))
            .bind((!enabled).then_some(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Adds a message with one pending delivery per endpoint in `endpoint_ids`, each due
    /// at `created_at`; with none, the message is Succeeded at once (nothing to deliver).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn insert_message(
        &self,
        id: &str,
        event_type: Option<&str>,
        payload: &[u8],
        created_at: UnixMillis,
        endpoint_ids: &[&str],
    ) -> Result<(), StoreError> {
        let status = if endpoint_ids.is_empty() {
            MessageStatus::Succeeded
        } else {
            MessageStatus::Pending
        };
        let mut transaction = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO messages (id, event_type, payload, status, created_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(event_type)
        .bind(payload)
        .bind(status.as_str())
        .bind(created_at)
        .execute(&mut *transaction)
        .await?;
        for endpoint_id in endpoint_ids {
            sqlx::query(
                "INSERT INTO deliveries (message_id, endpoint_id, status, next_attempt_at)
                 VALUES (?, ?, 'pending', ?)",
            )
            .bind(id)
            .bind(endpoint_id)
            .bind(created_at)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Claims the pending deliveries due by `now` to enabled, configured endpoints: their
    /// `next_attempt_at` is cleared, so no other worker takes them, until
    /// [`record_attempt`](Self::record_attempt) sets the next one.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn claim_due(&self, now: UnixMillis) -> Result<Vec<Due>, StoreError> {
        let rows = sqlx::query(concat!(
            "UPDATE deliveries SET next_attempt_at = NULL
             WHERE status = 'pending' AND next_attempt_at <= ?
               AND endpoint_id IN (SELECT id FROM endpoints WHERE enabled = 1 AND configured = 1)
             RETURNING ",
            delivery_columns!()
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        self.with_messages(&rows).await
    }

    /// The Failed deliveries to enabled, configured endpoints of messages created at or
    /// after `since`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn failed_since(&self, since: UnixMillis) -> Result<Vec<Due>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries
             WHERE status = 'failed'
               AND endpoint_id IN (SELECT id FROM endpoints WHERE enabled = 1 AND configured = 1)
               AND message_id IN (SELECT id FROM messages WHERE created_at >= ?)"
        ))
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        self.with_messages(&rows).await
    }

    async fn with_messages(&self, delivery_rows: &[SqliteRow]) -> Result<Vec<Due>, StoreError> {
        let mut deliveries = Vec::with_capacity(delivery_rows.len());
        for row in delivery_rows {
            let message_id: String = row.try_get("message_id")?;
            deliveries.push((message_id, delivery_of(row)?));
        }
        let ids: Vec<&str> = deliveries.iter().map(|(id, _)| id.as_str()).collect();
        let rows = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE id IN (SELECT value FROM json_each(?))"
        ))
        .bind(serde_json::to_string(&ids).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        let mut messages = BTreeMap::new();
        for row in &rows {
            let message = message_of(row)?;
            messages.insert(message.id.clone(), message);
        }
        Ok(deliveries
            .into_iter()
            .filter_map(|(id, delivery)| {
                let message = messages.get(&id)?.clone();
                Some(Due { message, delivery })
            })
            .collect())
    }

    /// Pending deliveries left claimed by a process that stopped mid-attempt are due again.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn release_claims(&self, now: UnixMillis) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET next_attempt_at = ?
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
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE status = ?")
            .bind(status.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// When the earliest pending delivery to an enabled, configured endpoint is due.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn next_due(&self) -> Result<Option<UnixMillis>, StoreError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM deliveries
             WHERE status = 'pending'
               AND endpoint_id IN (SELECT id FROM endpoints WHERE enabled = 1 AND configured = 1)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(next)
    }

    /// The delivery of message `message_id` to `endpoint_id`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn delivery(
        &self,
        message_id: &str,
        endpoint_id: &str,
    ) -> Result<Option<Delivery>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE message_id = ? AND endpoint_id = ?"
        ))
        .bind(message_id)
        .bind(endpoint_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(delivery_of).transpose()
    }

    /// Records an attempt at `attempt.endpoint_id` (numbered after the last there), the
    /// delivery's new state, and the message's status over all its deliveries.
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
            "INSERT INTO attempts (message_id, endpoint_id, number, at, trigger, status_code,
                 error, latency_ms, response_body, request_headers, delivery_control)
             SELECT ?1, ?2, COALESCE(MAX(number), 0) + 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
             FROM attempts WHERE message_id = ?1 AND endpoint_id = ?2
             RETURNING number",
        )
        .bind(message_id)
        .bind(&attempt.endpoint_id)
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
            "UPDATE deliveries SET status = ?, next_attempt_at = ?, scheduled_failures = ?
             WHERE message_id = ? AND endpoint_id = ?",
        )
        .bind(status.as_str())
        .bind(next_attempt_at)
        .bind(scheduled_failures)
        .bind(message_id)
        .bind(&attempt.endpoint_id)
        .execute(&mut *transaction)
        .await?;
        sqlx::query(
            "UPDATE messages SET status = CASE
                 WHEN EXISTS (SELECT 1 FROM deliveries WHERE message_id = ?1 AND status = 'pending') THEN 'pending'
                 WHEN EXISTS (SELECT 1 FROM deliveries WHERE message_id = ?1 AND status = 'failed') THEN 'failed'
                 ELSE 'succeeded' END
             WHERE id = ?1",
        )
        .bind(message_id)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(u32::try_from(number).unwrap_or(u32::MAX))
    }

    /// One message with its deliveries and attempts.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn message(&self, id: &str) -> Result<Option<Message>, StoreError> {
        let Some(row) = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let mut messages = vec![message_of(&row)?];
        self.fill(&mut messages).await?;
        Ok(messages.pop())
    }

    /// Messages newest first, with their deliveries and attempts: at most `limit`, only
    /// those with `status` when given, and only those created at or after `since` when
    /// given.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn messages(
        &self,
        status: Option<MessageStatus>,
        since: Option<UnixMillis>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        self.query(&MessageQuery {
            status,
            since,
            endpoint_id: None,
            limit,
        })
        .await
    }

    /// The messages `query` selects, newest first, with their deliveries and attempts.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn query(&self, query: &MessageQuery) -> Result<Vec<Message>, StoreError> {
        let status = query.status.map(MessageStatus::as_str);
        let rows = match &query.endpoint_id {
            None => {
                sqlx::query(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM messages
                     WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR created_at >= ?2)
                     ORDER BY created_at DESC, rowid DESC LIMIT ?3"
                ))
                .bind(status)
                .bind(query.since)
                .bind(query.limit)
                .fetch_all(&self.pool)
                .await?
            }
            Some(endpoint_id) => {
                sqlx::query(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM messages
                     WHERE id IN (SELECT message_id FROM deliveries
                                  WHERE endpoint_id = ?4 AND (?1 IS NULL OR status = ?1))
                       AND (?2 IS NULL OR created_at >= ?2)
                     ORDER BY created_at DESC, rowid DESC LIMIT ?3"
                ))
                .bind(status)
                .bind(query.since)
                .bind(query.limit)
                .bind(endpoint_id)
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut messages = rows.iter().map(message_of).collect::<Result<Vec<_>, _>>()?;
        self.fill(&mut messages).await?;
        Ok(messages)
    }

    /// Loads the deliveries and attempts of `messages`.
    async fn fill(&self, messages: &mut [Message]) -> Result<(), StoreError> {
        if messages.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
        let ids_json = serde_json::to_string(&ids).unwrap_or_default();
        let delivery_rows = sqlx::query(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries
             JOIN endpoints ON endpoints.id = deliveries.endpoint_id
             WHERE message_id IN (SELECT value FROM json_each(?))
             ORDER BY message_id, endpoints.position"
        ))
        .bind(&ids_json)
        .fetch_all(&self.pool)
        .await?;
        let mut deliveries: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        for row in &delivery_rows {
            let message_id: String = row.try_get("message_id")?;
            deliveries
                .entry(message_id)
                .or_default()
                .push(delivery_of(row)?);
        }
        let attempt_rows = sqlx::query(
            "SELECT message_id, endpoint_id, number, at, trigger, status_code, error, latency_ms,
                    response_body, request_headers, delivery_control
             FROM attempts WHERE message_id IN (SELECT value FROM json_each(?))
             ORDER BY message_id, rowid",
        )
        .bind(&ids_json)
        .fetch_all(&self.pool)
        .await?;
        let mut attempts: BTreeMap<String, Vec<Attempt>> = BTreeMap::new();
        for row in &attempt_rows {
            let message_id: String = row.try_get("message_id")?;
            attempts
                .entry(message_id)
                .or_default()
                .push(attempt_of(row)?);
        }
        for message in messages {
            message.deliveries = deliveries.remove(&message.id).unwrap_or_default();
            message.attempts = attempts.remove(&message.id).unwrap_or_default();
            message.summarize();
        }
        Ok(())
    }
}

fn message_of(row: &SqliteRow) -> Result<Message, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Message {
        id: row.try_get("id")?,
        event_type: row.try_get("event_type")?,
        payload: row.try_get("payload")?,
        status: MessageStatus::from_column(&status),
        created_at: row.try_get("created_at")?,
        next_attempt_at: None,
        scheduled_failures: 0,
        attempts: Vec::new(),
        deliveries: Vec::new(),
    })
}

fn delivery_of(row: &SqliteRow) -> Result<Delivery, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Delivery {
        endpoint_id: row.try_get("endpoint_id")?,
        status: MessageStatus::from_column(&status),
        next_attempt_at: row.try_get("next_attempt_at")?,
        scheduled_failures: row.try_get("scheduled_failures")?,
    })
}

fn attempt_of(row: &SqliteRow) -> Result<Attempt, StoreError> {
    let headers: String = row.try_get("request_headers")?;
    let trigger: String = row.try_get("trigger")?;
    Ok(Attempt {
        endpoint_id: row.try_get("endpoint_id")?,
        number: row.try_get("number")?,
        at: row.try_get("at")?,
        trigger: Trigger::from_column(&trigger),
        status_code: row.try_get("status_code")?,
        error: row.try_get("error")?,
        latency_ms: u64::try_from(row.try_get::<i64, _>("latency_ms")?).unwrap_or(0),
        response_body: row.try_get("response_body")?,
        request_headers: serde_json::from_str(&headers).unwrap_or_default(),
        delivery_control: row.try_get("delivery_control")?,
    })
}

fn endpoint_of(row: &SqliteRow) -> Result<Endpoint, StoreError> {
    let filter: Option<String> = row.try_get("filter_types")?;
    Ok(Endpoint {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        filter_types: filter.and_then(|json| serde_json::from_str(&json).ok()),
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        disabled_at: row.try_get("disabled_at")?,
    })
}
