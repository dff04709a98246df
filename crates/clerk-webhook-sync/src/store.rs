//! [`SyncStore`]: applies events to the mirrored tables, one transaction per delivery.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_webhook_core::ClerkEvent;
use sqlx::AnyConnection;
use sqlx::any::{AnyPoolOptions, AnyRow};
// Every SQL string here is built from the constant table descriptions in `tables.rs`;
// values always go through bind parameters.
use sqlx::{AnyPool, AssertSqlSafe, Executor as _, Row as _};

use crate::api::Resource;
use crate::backend::Backend;
use crate::backfill::table_of;
use crate::change::{Bind, Change, SyncEvent, timestamp_millis};
use crate::error::SyncError;
use crate::hook::{ChangeKind, MirrorChange, Mirrored, SyncHook};
use crate::outcome::SyncOutcome;
use crate::replay::{ParsedBody, Quarantined, ReplayOutcome, ReplayReport, ReplayedDelivery};
use crate::tables::{Kind, MEMBERSHIPS, ORGANIZATIONS, Table, TableSql, USERS};

/// The default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://clerk-sync.db";

const QUARANTINE: &str = "INSERT INTO clerk_webhook_quarantine (svix_id, event_type, error, body, received_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (svix_id) DO NOTHING";

/// The reason a delivery holding a NUL character is quarantined on PostgreSQL.
const NUL_IN_DATA: &str = "data holds a NUL character (\\u0000), which PostgreSQL cannot store in TEXT or JSONB; kept as received";

const RECORD_DELIVERY: &str = "INSERT INTO clerk_webhook_deliveries (svix_id, event_type, received_at) \
     VALUES ($1, $2, $3) ON CONFLICT (svix_id) DO NOTHING";

/// The mirrored tables in one database, SQLite or PostgreSQL.
///
/// Cloning is cheap (the pool is shared). Every [`apply`](Self::apply) runs in one
/// transaction with the delivery ledger: it commits entirely or not at all.
///
/// With a [`SyncHook`] ([`with_hook`](Self::with_hook)), your own code runs in that same
/// transaction for every row the mirror changes.
pub struct SyncStore<H = ()> {
    pool: AnyPool,
    backend: Backend,
    users: TableSql,
    organizations: TableSql,
    memberships: TableSql,
    hook: Arc<H>,
    wait: Duration,
}

/// How long the store waits on its database by default: for a connection, for SQLite's
/// write lock, and for one whole delivery. Svix gives up after 15 s; an answer must come
/// before that, and a 503 is better than a late 200.
pub const DEFAULT_DATABASE_WAIT: Duration = Duration::from_secs(5);

/// How to connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// The longest wait on the database: a pool connection (PostgreSQL down: no new
    /// connection), SQLite's write lock (busy timeout), and one whole
    /// [`apply`](SyncStore::apply), after which it fails with [`SyncError::TimedOut`] and
    /// nothing is committed.
    pub wait: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            wait: DEFAULT_DATABASE_WAIT,
        }
    }
}

impl StoreOptions {
    /// Options waiting at most `wait`.
    #[must_use]
    pub fn with_wait(wait: Duration) -> Self {
        Self { wait }
    }
}

impl<H> Clone for SyncStore<H> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            backend: self.backend,
            users: self.users.clone(),
            organizations: self.organizations.clone(),
            memberships: self.memberships.clone(),
            hook: Arc::clone(&self.hook),
            wait: self.wait,
        }
    }
}

impl<H> fmt::Debug for SyncStore<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncStore")
            .field("backend", &self.backend)
            .field("hook", &std::any::type_name::<H>())
            .finish_non_exhaustive()
    }
}

impl SyncStore {
    /// Connects to `url` (`sqlite://path.db`, created if missing, WAL mode; or
    /// `postgres://…`) and creates the tables with the embedded migrations, waiting at
    /// most [`DEFAULT_DATABASE_WAIT`] on the database at a time.
    ///
    /// # Errors
    /// [`SyncError`] when the URL, the connection or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, SyncError> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// [`connect`](Self::connect) with options.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub async fn connect_with(url: &str, store_options: &StoreOptions) -> Result<Self, SyncError> {
        let backend = Backend::of_url(url)?;
        sqlx::any::install_default_drivers();
        let wait = store_options.wait;
        let mut options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(wait);
        if backend == Backend::Sqlite {
            let busy_timeout = format!("PRAGMA busy_timeout = {}", wait.as_millis());
            options = options.after_connect(move |connection, _| {
                let busy_timeout = busy_timeout.clone();
                Box::pin(async move {
                    connection.execute("PRAGMA journal_mode = WAL").await?;
                    connection.execute(AssertSqlSafe(busy_timeout)).await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&backend.connect_url(url)).await?;
        let mut store = Self::with_pool(pool, backend).await?;
        store.wait = wait;
        store.refresh_quarantine_gauge().await;
        Ok(store)
    }

    /// Uses an existing pool (for example one whose connections set a PostgreSQL
    /// `search_path`), and runs the migrations.
    ///
    /// # Errors
    /// [`SyncError::Migrate`].
    pub async fn with_pool(pool: AnyPool, backend: Backend) -> Result<Self, SyncError> {
        migrate(&pool, backend).await?;
        Ok(Self {
            users: USERS.sql(backend),
            organizations: ORGANIZATIONS.sql(backend),
            memberships: MEMBERSHIPS.sql(backend),
            pool,
            backend,
            hook: Arc::new(()),
            wait: DEFAULT_DATABASE_WAIT,
        })
    }
}

impl<H: SyncHook> SyncStore<H> {
    /// The same store with `hook` run inside every transaction that changes the mirror:
    /// see [`SyncHook`].
    #[must_use]
    pub fn with_hook<K: SyncHook>(self, hook: K) -> SyncStore<K> {
        SyncStore {
            pool: self.pool,
            backend: self.backend,
            users: self.users,
            organizations: self.organizations,
            memberships: self.memberships,
            hook: Arc::new(hook),
            wait: self.wait,
        }
    }

    /// The hook.
    #[must_use]
    pub fn hook(&self) -> &H {
        &self.hook
    }

    /// Runs your own migrations (for the tables a [`SyncHook`] writes) as safely as the
    /// store's own: several processes may start together on a fresh database. They are
    /// recorded in sqlx's default `_sqlx_migrations`; the store's own are recorded in
    /// `_clerk_sync_migrations`, so the two never collide.
    ///
    /// # Errors
    /// [`SyncError::Migrate`].
    pub async fn run_migrations(
        &self,
        migrator: &sqlx::migrate::Migrator,
    ) -> Result<(), SyncError> {
        run_migrator(migrator, &self.pool).await
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

    /// Whether the database answers `SELECT 1` within `timeout` (a readiness probe).
    ///
    /// # Errors
    /// [`SyncError::TimedOut`] or [`SyncError::Database`].
    pub async fn ping(&self, timeout: Duration) -> Result<(), SyncError> {
        let ping = sqlx::query("SELECT 1").execute(&self.pool);
        match tokio::time::timeout(timeout, ping).await {
            Ok(answer) => answer.map(drop).map_err(SyncError::from),
            Err(_) => Err(SyncError::TimedOut(timeout)),
        }
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
        // Dropped at the deadline, the transaction rolls back: nothing is committed.
        let outcome =
            tokio::time::timeout(self.wait, self.apply_in_transaction(event, received_at))
                .await
                .unwrap_or(Err(SyncError::TimedOut(self.wait)))?;
        let lag_ms = event
            .timestamp
            .map(|timestamp| now_millis().saturating_sub(timestamp_millis(timestamp)));
        crate::metrics::delivery(event.event.event_type(), outcome, lag_ms);
        if outcome == SyncOutcome::Quarantined {
            self.refresh_quarantine_gauge().await;
        }
        Ok(outcome)
    }

    /// Sets `clerk_sync_quarantined` to the rows waiting (feature `metrics`; a failed
    /// count leaves it as it was).
    pub(crate) async fn refresh_quarantine_gauge(&self) {
        if !crate::metrics::ENABLED {
            return;
        }
        let rows = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM clerk_webhook_quarantine")
            .fetch_one(&self.pool)
            .await;
        if let Ok(rows) = rows {
            crate::metrics::quarantined(rows);
        }
    }

    async fn apply_in_transaction(
        &self,
        event: SyncEvent<'_>,
        received_at: i64,
    ) -> Result<SyncOutcome, SyncError> {
        let mut tx = self.pool.begin_with(self.backend.begin()).await?;
        let recorded = sqlx::query(RECORD_DELIVERY)
            .bind(event.message_id)
            .bind(storable_text(event.event.event_type()))
            .bind(received_at)
            .execute(&mut *tx)
            .await?;
        if recorded.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(SyncOutcome::Duplicate);
        }
        let written = Written {
            event: Some(event.event),
            data_json: event.data_json,
            deleted_at: event.timestamp.map_or(received_at, timestamp_millis),
            version: Version {
                timestamp: event.timestamp.map(timestamp_millis),
                svix_id: Some(event.message_id),
            },
        };
        let outcome = match self.storable_change(event.event, event.data_json) {
            Change::Quarantine { error } => {
                sqlx::query(QUARANTINE)
                    .bind(event.message_id)
                    .bind(storable_text(event.event.event_type()))
                    .bind(storable_text(&error))
                    .bind(String::from_utf8_lossy(event.raw_body).into_owned())
                    .bind(received_at)
                    .execute(&mut *tx)
                    .await?;
                SyncOutcome::Quarantined
            }
            change => self.write(&mut tx, change, written).await?,
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// What `event` changes, or a quarantine when this database cannot store its data:
    /// PostgreSQL's `TEXT` and `JSONB` cannot hold a NUL character (`\u0000`), and an
    /// authentic delivery that no retry can store must not be refused for 28 hours.
    pub(crate) fn storable_change(&self, event: &ClerkEvent, data_json: &str) -> Change {
        match Change::of(event) {
            Change::Upsert { .. } | Change::Tombstone { .. }
                if self.backend == Backend::Postgres && holds_nul(data_json) =>
            {
                Change::Quarantine {
                    error: NUL_IN_DATA.to_owned(),
                }
            }
            change => change,
        }
    }

    /// Writes one change to the mirrored tables, through the ordering guards. An upsert
    /// first tries to insert a new row (`inserted` is decided by that statement alone, so
    /// of two racing writes of a new id exactly one reports it), then to update a live row
    /// whose version is older.
    async fn write(
        &self,
        connection: &mut AnyConnection,
        change: Change,
        written: Written<'_>,
    ) -> Result<SyncOutcome, SyncError> {
        let (table, id) = match &change {
            Change::Upsert { table, id, .. } | Change::Tombstone { table, id } => {
                (*table, id.clone())
            }
            Change::Nothing | Change::Quarantine { .. } => return Ok(SyncOutcome::Ignored),
        };
        let (outcome, changed) = self.write_row(connection, change, &written).await?;
        if let Some(kind) = changed {
            let change = MirrorChange {
                resource: table.resource,
                id: &id,
                kind,
                object: Mirrored::of(written.event),
                timestamp: written.version.timestamp,
                svix_id: written.version.svix_id,
            };
            self.hook
                .on_change(&change, connection)
                .await
                .map_err(SyncError::Hook)?;
        }
        Ok(outcome)
    }

    /// The mirror write itself: the outcome, and what changed (for the hook).
    async fn write_row(
        &self,
        connection: &mut AnyConnection,
        change: Change,
        written: &Written<'_>,
    ) -> Result<(SyncOutcome, Option<ChangeKind>), SyncError> {
        Ok(match change {
            Change::Nothing | Change::Quarantine { .. } => (SyncOutcome::Ignored, None),
            Change::Upsert { table, id, values } => {
                let sql = self.sql(table);
                let inserted = upsert_query(&sql.insert, &id, &values, written)
                    .execute(&mut *connection)
                    .await?;
                if inserted.rows_affected() > 0 {
                    (SyncOutcome::Inserted, Some(ChangeKind::Inserted))
                } else if upsert_query(&sql.update, &id, &values, written)
                    .execute(&mut *connection)
                    .await?
                    .rows_affected()
                    > 0
                {
                    (SyncOutcome::Updated, Some(ChangeKind::Updated))
                } else {
                    (SyncOutcome::Stale, None)
                }
            }
            Change::Tombstone { table, id } => {
                let sql = self.sql(table);
                let tombstoned = sqlx::query(AssertSqlSafe(sql.tombstone.as_str()))
                    .bind(id.clone())
                    .bind(written.deleted_at)
                    .bind(written.data_json)
                    .execute(&mut *connection)
                    .await?;
                // `deleted` either way; the hook only when the row changed (was live or
                // absent). Over a tombstone, an earlier deletion's time is kept.
                if tombstoned.rows_affected() > 0 {
                    (SyncOutcome::Deleted, Some(ChangeKind::Deleted))
                } else {
                    sqlx::query(AssertSqlSafe(sql.earlier_deletion.as_str()))
                        .bind(id)
                        .bind(written.deleted_at)
                        .bind(written.data_json)
                        .execute(&mut *connection)
                        .await?;
                    (SyncOutcome::Deleted, None)
                }
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
        self.refresh_quarantine_gauge().await;
        Ok(report)
    }

    async fn replay_one(&self, entry: &Quarantined) -> Result<ReplayOutcome, SyncError> {
        let parsed = ParsedBody::of(&entry.body);
        let event = match &parsed {
            Ok(body) => ClerkEvent::from_data(&entry.event_type, body.data.get())
                .map_err(|error| error.to_string()),
            Err(error) => Err(error.clone()),
        };
        let (event, change, parsed) = match (event, parsed) {
            (Ok(event), Ok(parsed)) => match self.storable_change(&event, parsed.data.get()) {
                Change::Quarantine { error } => return self.still_quarantined(entry, error).await,
                change => (event, change, parsed),
            },
            (Err(error), _) | (Ok(_), Err(error)) => {
                return self.still_quarantined(entry, error).await;
            }
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
        let written = Written {
            event: Some(&event),
            data_json: parsed.data.get(),
            deleted_at: parsed.timestamp.map_or(entry.received_at, timestamp_millis),
            version: Version {
                timestamp: parsed.timestamp.map(timestamp_millis),
                svix_id: Some(&entry.svix_id),
            },
        };
        let outcome = self.write(&mut tx, change, written).await?;
        tx.commit().await?;
        Ok(ReplayOutcome::Applied(outcome))
    }

    async fn still_quarantined(
        &self,
        entry: &Quarantined,
        error: String,
    ) -> Result<ReplayOutcome, SyncError> {
        sqlx::query("UPDATE clerk_webhook_quarantine SET error = $1 WHERE svix_id = $2")
            .bind(storable_text(&error))
            .bind(&entry.svix_id)
            .execute(&self.pool)
            .await?;
        Ok(ReplayOutcome::StillQuarantined { error })
    }

    /// Tombstones one live row of `resource` that Clerk confirmed gone, if it is still
    /// live and last changed before `cutoff` (a delivery that arrived meanwhile wins).
    pub(crate) async fn prune_one(
        &self,
        resource: Resource,
        id: &str,
        cutoff: i64,
    ) -> Result<bool, SyncError> {
        let raw = serde_json::json!({
            "id": id,
            "object": resource.object(),
            "deleted": true,
            "pruned": "absent from a complete Backend API listing, and Clerk answered 404",
        });
        let table = table_of(resource);
        let mut tx = self.pool.begin_with(self.backend.begin()).await?;
        let done = sqlx::query(AssertSqlSafe(self.sql(table).prune.as_str()))
            .bind(id)
            .bind(now_millis())
            .bind(raw.to_string())
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        let pruned = done.rows_affected() > 0;
        if pruned {
            let change = MirrorChange {
                resource,
                id,
                kind: ChangeKind::Deleted,
                object: Mirrored::Deleted,
                timestamp: None,
                svix_id: None,
            };
            self.hook
                .on_change(&change, &mut tx)
                .await
                .map_err(SyncError::Hook)?;
        }
        tx.commit().await?;
        if pruned {
            tracing::info!(resource = %resource, id = %id, "Pruned: Clerk confirmed it is gone");
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

    pub(crate) fn sql(&self, table: &Table) -> &TableSql {
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

pub(crate) fn row_json(table: &Table, row: &AnyRow) -> Result<serde_json::Value, SyncError> {
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

/// How often start-up retries migrations that another process applied at the same moment.
const MIGRATE_ATTEMPTS: u32 = 20;

/// Where the store records its own migrations (apps keep sqlx's default
/// `_sqlx_migrations` for theirs).
pub const MIGRATIONS_TABLE: &str = "_clerk_sync_migrations";

/// Runs the embedded migrations, recorded in [`MIGRATIONS_TABLE`].
async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), SyncError> {
    let mut migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
    run_migrator(&migrator, pool).await
}

/// Runs `migrator`. PostgreSQL serialises concurrent migrators with an advisory lock;
/// SQLite has none, so when several processes start together on a fresh file, those that
/// lose the race to record a migration try again: the winner's migrations are then
/// applied, and are skipped.
async fn run_migrator(migrator: &sqlx::migrate::Migrator, pool: &AnyPool) -> Result<(), SyncError> {
    let mut attempt = 1;
    loop {
        match migrator.run(pool).await {
            Err(error) if attempt < MIGRATE_ATTEMPTS && lost_a_migration_race(&error) => {
                tracing::debug!(attempt, %error, "Another process is migrating; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(20 * u64::from(attempt))).await;
                attempt += 1;
            }
            other => return Ok(other?),
        }
    }
}

/// Whether a migration failed because another process applied it at the same moment: the
/// ledger's version is taken, a table already exists, or the database is busy.
fn lost_a_migration_race(error: &sqlx::migrate::MigrateError) -> bool {
    use sqlx::migrate::MigrateError;
    let (MigrateError::Execute(sqlx::Error::Database(database))
    | MigrateError::ExecuteMigration(sqlx::Error::Database(database), _)) = error
    else {
        return false;
    };
    let message = database.message();
    database.is_unique_violation()
        || message.contains("already exists")
        || message.contains("duplicate column")
        || message.contains("locked")
        || message.contains("busy")
}

/// Whether JSON text holds an escaped NUL character (`\u0000`, not `\\u0000`): in valid
/// JSON a backslash only ever starts an escape, so an odd run of backslashes before
/// `u0000` escapes the `u`.
pub(crate) fn holds_nul(json: &str) -> bool {
    let bytes = json.as_bytes();
    let mut from = 0;
    while let Some(found) = json[from..].find("u0000") {
        let at = from + found;
        let backslashes = bytes[..at]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Text as a database column can hold it: a NUL character (which PostgreSQL refuses in
/// `TEXT`) becomes U+FFFD.
pub(crate) fn storable_text(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Which version of an object a write carries, to order writes with an equal
/// `updated_at`: the envelope `timestamp` in ms, then the `svix-id`. A listed object has
/// neither.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Version<'a> {
    pub(crate) timestamp: Option<i64>,
    pub(crate) svix_id: Option<&'a str>,
}

/// What one write stores besides the change itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Written<'a> {
    /// The typed event, for the hook (`None` for a prune).
    pub(crate) event: Option<&'a ClerkEvent>,
    /// `data` as received, stored in `raw`.
    pub(crate) data_json: &'a str,
    /// The tombstone's `deleted_at`.
    pub(crate) deleted_at: i64,
    pub(crate) version: Version<'a>,
}

/// `insert` or `update` of [`TableSql`] with an upsert's parameters bound.
fn upsert_query<'q>(
    statement: &'q str,
    id: &str,
    values: &[Bind],
    written: &Written<'_>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let mut query = sqlx::query(AssertSqlSafe(statement)).bind(id.to_owned());
    for value in values {
        query = match value {
            Bind::Text(text) | Bind::Json(text) => query.bind(text.clone()),
            Bind::Integer(number) => query.bind(*number),
        };
    }
    query
        .bind(written.data_json.to_owned())
        .bind(written.version.timestamp)
        .bind(written.version.svix_id.map(str::to_owned))
}

pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
