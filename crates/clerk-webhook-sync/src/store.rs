//! [`SyncStore`]: applies events to the mirrored tables, one transaction per delivery.

use std::time::{SystemTime, UNIX_EPOCH};

use clerk_webhook_core::ClerkEvent;
use sqlx::AnyConnection;
use sqlx::any::{AnyPoolOptions, AnyRow};
// Every SQL string here is built from the constant table descriptions in `tables.rs`;
// values always go through bind parameters.
use sqlx::{AnyPool, AssertSqlSafe, Executor as _, Row as _};

use std::collections::HashSet;

use crate::api::Resource;
use crate::backend::Backend;
use crate::backfill::table_of;
use crate::change::{Bind, Change, SyncEvent, timestamp_millis};
use crate::error::SyncError;
use crate::outcome::SyncOutcome;
use crate::replay::{ParsedBody, Quarantined, ReplayOutcome, ReplayReport, ReplayedDelivery};
use crate::tables::{Kind, MEMBERSHIPS, ORGANIZATIONS, Table, TableSql, USERS};

/// The default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://clerk-sync.db";

const QUARANTINE: &str = "INSERT INTO clerk_webhook_quarantine (svix_id, event_type, error, body, received_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (svix_id) DO NOTHING";

const RECORD_DELIVERY: &str = "INSERT INTO clerk_webhook_deliveries (svix_id, event_type, received_at) \
     VALUES ($1, $2, $3) ON CONFLICT (svix_id) DO NOTHING";

/// The mirrored tables in one database, SQLite or PostgreSQL.
///
/// Cloning is cheap (the pool is shared). Every [`apply`](Self::apply) runs in one
/// transaction with the delivery ledger: it commits entirely or not at all.
#[derive(Debug, Clone)]
pub struct SyncStore {
    pool: AnyPool,
    backend: Backend,
    users: TableSql,
    organizations: TableSql,
    memberships: TableSql,
}

impl SyncStore {
    /// Connects to `url` (`sqlite://path.db`, created if missing, WAL mode; or
    /// `postgres://…`) and creates the tables with the embedded migrations.
    ///
    /// # Errors
    /// [`SyncError`] when the URL, the connection or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, SyncError> {
        let backend = Backend::of_url(url)?;
        sqlx::any::install_default_drivers();
        let mut options = AnyPoolOptions::new().max_connections(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        });
        if backend == Backend::Sqlite {
            options = options.after_connect(|connection, _| {
                Box::pin(async move {
                    connection.execute("PRAGMA journal_mode = WAL").await?;
                    connection.execute("PRAGMA busy_timeout = 30000").await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&backend.connect_url(url)).await?;
        Self::with_pool(pool, backend).await
    }

    /// Uses an existing pool (for example one whose connections set a PostgreSQL
    /// `search_path`), and runs the migrations.
    ///
    /// # Errors
    /// [`SyncError::Migrate`].
    pub async fn with_pool(pool: AnyPool, backend: Backend) -> Result<Self, SyncError> {
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        Ok(Self {
            users: USERS.sql(backend),
            organizations: ORGANIZATIONS.sql(backend),
            memberships: MEMBERSHIPS.sql(backend),
            pool,
            backend,
        })
    }

    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for your own queries.
    #[must_use]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies one verified delivery, received now.
    ///
    /// # Errors
    /// [`SyncError::Database`]; the transaction was rolled back.
    pub async fn apply(&self, event: SyncEvent<'_>) -> Result<SyncOutcome, SyncError> {
        self.apply_at(event, now_millis()).await
    }

    /// [`apply`](Self::apply) with the receive time given, in Unix milliseconds.
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    pub async fn apply_at(
        &self,
        event: SyncEvent<'_>,
        received_at: i64,
    ) -> Result<SyncOutcome, SyncError> {
        let mut tx = self.pool.begin_with(self.backend.begin()).await?;
        let recorded = sqlx::query(RECORD_DELIVERY)
            .bind(event.message_id)
            .bind(event.event.event_type())
            .bind(received_at)
            .execute(&mut *tx)
            .await?;
        if recorded.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(SyncOutcome::Duplicate);
        }
        let deleted_at = event.timestamp.map_or(received_at, timestamp_millis);
        let outcome = match Change::of(event.event) {
            Change::Quarantine { error } => {
                sqlx::query(QUARANTINE)
                    .bind(event.message_id)
                    .bind(event.event.event_type())
                    .bind(error)
                    .bind(String::from_utf8_lossy(event.raw_body).into_owned())
                    .bind(received_at)
                    .execute(&mut *tx)
                    .await?;
                SyncOutcome::Quarantined
            }
            change => {
                self.write(&mut tx, change, event.data_json, deleted_at)
                    .await?
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Writes one change to the mirrored tables, through the ordering guards.
    async fn write(
        &self,
        connection: &mut AnyConnection,
        change: Change,
        data_json: &str,
        deleted_at: i64,
    ) -> Result<SyncOutcome, SyncError> {
        Ok(match change {
            Change::Nothing | Change::Quarantine { .. } => SyncOutcome::Ignored,
            Change::Upsert { table, id, values } => {
                let sql = self.sql(table);
                let existed: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql.state.as_str()))
                    .bind(&id)
                    .fetch_optional(&mut *connection)
                    .await?;
                let mut query = sqlx::query(AssertSqlSafe(sql.upsert.as_str())).bind(id);
                for value in values {
                    query = match value {
                        Bind::Text(text) | Bind::Json(text) => query.bind(text),
                        Bind::Integer(number) => query.bind(number),
                    };
                }
                let applied = query.bind(data_json).execute(&mut *connection).await?;
                match (applied.rows_affected(), existed) {
                    (0, _) => SyncOutcome::Stale,
                    (_, Some(_)) => SyncOutcome::Updated,
                    (_, None) => SyncOutcome::Inserted,
                }
            }
            Change::Tombstone { table, id } => {
                sqlx::query(AssertSqlSafe(self.sql(table).tombstone.as_str()))
                    .bind(id)
                    .bind(deleted_at)
                    .bind(data_json)
                    .execute(&mut *connection)
                    .await?;
                SyncOutcome::Deleted
            }
        })
    }

    /// Re-parses every quarantined delivery with this version's types and applies those
    /// that now fit, each in one transaction that also removes it from quarantine. They go
    /// through the same guards as a live delivery: a replay never overwrites a newer row
    /// and never resurrects a tombstone. Run it after deploying a version whose types
    /// follow Clerk's change (`example-sync replay`).
    ///
    /// # Errors
    /// [`SyncError::Database`]; what was replayed before the failure stays replayed.
    pub async fn replay_quarantined(&self) -> Result<ReplayReport, SyncError> {
        let mut report = ReplayReport::default();
        for entry in self.quarantined().await? {
            let outcome = self.replay_one(&entry).await?;
            report.entries.push(ReplayedDelivery {
                svix_id: entry.svix_id,
                event_type: entry.event_type,
                outcome,
            });
        }
        Ok(report)
    }

    async fn replay_one(&self, entry: &Quarantined) -> Result<ReplayOutcome, SyncError> {
        let parsed = ParsedBody::of(&entry.body);
        let event = match &parsed {
            Ok(body) => ClerkEvent::from_data(&entry.event_type, body.data.get())
                .map_err(|error| error.to_string()),
            Err(error) => Err(error.clone()),
        };
        let (event, parsed) = match (event, parsed) {
            (Ok(event), Ok(parsed)) if event.mismatch().is_none() => (event, parsed),
            (Ok(event), _) => {
                let error = event.mismatch().unwrap_or_default().to_owned();
                return self.still_quarantined(entry, error).await;
            }
            (Err(error), _) => return self.still_quarantined(entry, error).await,
        };
        let mut tx = self.pool.begin_with(self.backend.begin()).await?;
        let removed = sqlx::query("DELETE FROM clerk_webhook_quarantine WHERE svix_id = $1")
            .bind(&entry.svix_id)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() == 0 {
            // Another replay took it first.
            tx.rollback().await?;
            return Ok(ReplayOutcome::AlreadyReplayed);
        }
        let deleted_at = parsed.timestamp.map_or(entry.received_at, timestamp_millis);
        let outcome = self
            .write(&mut tx, Change::of(&event), parsed.data.get(), deleted_at)
            .await?;
        tx.commit().await?;
        Ok(ReplayOutcome::Applied(outcome))
    }

    async fn still_quarantined(
        &self,
        entry: &Quarantined,
        error: String,
    ) -> Result<ReplayOutcome, SyncError> {
        sqlx::query("UPDATE clerk_webhook_quarantine SET error = $1 WHERE svix_id = $2")
            .bind(&error)
            .bind(&entry.svix_id)
            .execute(&self.pool)
            .await?;
        Ok(ReplayOutcome::StillQuarantined { error })
    }

    /// Applies one object listed by the Backend API (see [`SyncStore::backfill`]): the
    /// same guarded upsert as a webhook, [`SyncOutcome::Unchanged`] when the row already
    /// holds this version. No ledger row: a listing has no `svix-id`.
    pub(crate) async fn apply_listed(
        &self,
        event: &ClerkEvent,
        data_json: &str,
    ) -> Result<SyncOutcome, SyncError> {
        let change = Change::of(event);
        let (table, id) = match &change {
            Change::Upsert { table, id, .. } => (*table, id.clone()),
            _ => return Ok(SyncOutcome::Ignored),
        };
        let mut tx = self.pool.begin_with(self.backend.begin()).await?;
        let current: Option<(i64, Option<i64>)> =
            sqlx::query_as(AssertSqlSafe(self.sql(table).version.as_str()))
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((0, Some(updated_at))) = current
            && change.updated_at() == Some(updated_at)
        {
            tx.rollback().await?;
            return Ok(SyncOutcome::Unchanged);
        }
        let outcome = self.write(&mut tx, change, data_json, now_millis()).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Tombstones the live rows of `resource` that are not in `listed` and that Clerk last
    /// changed before `cutoff` (Unix ms); each only if that is still so when it is written.
    pub(crate) async fn prune(
        &self,
        resource: Resource,
        listed: &HashSet<String>,
        cutoff: i64,
    ) -> Result<u64, SyncError> {
        let sql = self.sql(table_of(resource));
        let candidates: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql.live_before.as_str()))
            .bind(cutoff)
            .fetch_all(&self.pool)
            .await?;
        let mut pruned = 0;
        for id in candidates.into_iter().filter(|id| !listed.contains(id)) {
            let raw = serde_json::json!({
                "id": id,
                "object": resource.object(),
                "deleted": true,
                "pruned": "absent from a complete Backend API listing",
            });
            let done = sqlx::query(AssertSqlSafe(sql.prune.as_str()))
                .bind(&id)
                .bind(now_millis())
                .bind(raw.to_string())
                .bind(cutoff)
                .execute(&self.pool)
                .await?;
            if done.rows_affected() > 0 {
                tracing::info!(resource = %resource, id = %id, "Pruned: absent from Clerk");
            }
            pruned += done.rows_affected();
        }
        Ok(pruned)
    }

    /// Every quarantined delivery, oldest first.
    ///
    /// # Errors
    /// [`SyncError::Database`].
    pub async fn quarantined(&self) -> Result<Vec<Quarantined>, SyncError> {
        let rows = sqlx::query(
            "SELECT svix_id, event_type, error, body, received_at FROM clerk_webhook_quarantine \
             ORDER BY received_at, svix_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Quarantined {
                    svix_id: row.try_get("svix_id")?,
                    event_type: row.try_get("event_type")?,
                    error: row.try_get("error")?,
                    body: row.try_get("body")?,
                    received_at: row.try_get("received_at")?,
                })
            })
            .collect()
    }

    fn sql(&self, table: &Table) -> &TableSql {
        match table.name {
            name if name == USERS.name => &self.users,
            name if name == ORGANIZATIONS.name => &self.organizations,
            _ => &self.memberships,
        }
    }

    /// The stored user, as JSON (metadata and `raw` as JSON values), or `None`.
    ///
    /// # Errors
    /// [`SyncError::Database`].
    pub async fn user(&self, id: &str) -> Result<Option<serde_json::Value>, SyncError> {
        self.row(&USERS, &self.users, id).await
    }

    /// The stored organization, as JSON, or `None`.
    ///
    /// # Errors
    /// [`SyncError::Database`].
    pub async fn organization(&self, id: &str) -> Result<Option<serde_json::Value>, SyncError> {
        self.row(&ORGANIZATIONS, &self.organizations, id).await
    }

    /// The stored membership, as JSON, or `None`.
    ///
    /// # Errors
    /// [`SyncError::Database`].
    pub async fn membership(&self, id: &str) -> Result<Option<serde_json::Value>, SyncError> {
        self.row(&MEMBERSHIPS, &self.memberships, id).await
    }

    async fn row(
        &self,
        table: &Table,
        sql: &TableSql,
        id: &str,
    ) -> Result<Option<serde_json::Value>, SyncError> {
        let row = sqlx::query(AssertSqlSafe(format!("{} WHERE id = $1", sql.select)))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| row_json(table, &row)).transpose()
    }

    /// Every row of the three tables, ordered by id, and the number of recorded deliveries:
    /// what convergence checks compare.
    ///
    /// # Errors
    /// [`SyncError::Database`].
    pub async fn snapshot(&self) -> Result<Snapshot, SyncError> {
        let mut tables = Vec::with_capacity(3);
        for (table, sql) in [
            (&USERS, &self.users),
            (&ORGANIZATIONS, &self.organizations),
            (&MEMBERSHIPS, &self.memberships),
        ] {
            let rows = sqlx::query(AssertSqlSafe(format!("{} ORDER BY id", sql.select)))
                .fetch_all(&self.pool)
                .await?;
            let rows = rows
                .iter()
                .map(|row| row_json(table, row))
                .collect::<Result<Vec<_>, _>>()?;
            tables.push(rows);
        }
        let deliveries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clerk_webhook_deliveries")
            .fetch_one(&self.pool)
            .await?;
        let organization_memberships = tables.pop().unwrap_or_default();
        let organizations = tables.pop().unwrap_or_default();
        let users = tables.pop().unwrap_or_default();
        Ok(Snapshot {
            users,
            organizations,
            organization_memberships,
            deliveries,
        })
    }
}

/// The mirrored tables' content.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `clerk_users`, by id.
    pub users: Vec<serde_json::Value>,
    /// `clerk_organizations`, by id.
    pub organizations: Vec<serde_json::Value>,
    /// `clerk_organization_memberships`, by id.
    pub organization_memberships: Vec<serde_json::Value>,
    /// Rows in `clerk_webhook_deliveries`.
    pub deliveries: i64,
}

fn row_json(table: &Table, row: &AnyRow) -> Result<serde_json::Value, SyncError> {
    let mut object = serde_json::Map::new();
    for (name, kind) in table.all_columns() {
        let value = match kind {
            Kind::Text => row
                .try_get::<Option<String>, _>(name)?
                .map(serde_json::Value::from),
            Kind::Integer => row
                .try_get::<Option<i64>, _>(name)?
                .map(serde_json::Value::from),
            Kind::Bool => Some(serde_json::Value::from(row.try_get::<i64, _>(name)? != 0)),
            Kind::Json => row
                .try_get::<Option<String>, _>(name)?
                .map(|text| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))),
        };
        object.insert(name.to_owned(), value.unwrap_or(serde_json::Value::Null));
    }
    Ok(serde_json::Value::Object(object))
}

pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
