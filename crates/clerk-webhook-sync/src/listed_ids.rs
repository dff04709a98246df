//! The ids one resource's listing has returned, kept in a temporary table on the
//! backfill's own connection rather than in memory: which objects of a page were listed
//! before (the anchor rule, and objects listed twice applied once), and which live rows a
//! complete listing did not contain (what a prune asks Clerk about). Memory stays the size
//! of a page, whatever the size of the instance.

use std::collections::HashSet;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::backend::Backend;
use crate::error::SyncError;
use crate::tables::{Table, TableSql};

/// The table's name, in the temporary schema (`temp.…`, `pg_temp.…`): a table of the
/// application's with the same name is never reached.
fn name(backend: Backend) -> String {
    format!("{}.clerk_backfill_listed", backend.temp_schema())
}

/// Ids per statement: far below both backends' bind-parameter limits.
const IDS_PER_STATEMENT: usize = 1_000;

/// Live rows asked for at a time when looking for a prune's candidates (each is then
/// asked about one by one, so a batch is a few seconds of requests).
pub(crate) const CANDIDATES_PER_BATCH: usize = 100;

/// A fresh, empty table on `connection` (a run cancelled earlier may have left one).
pub(crate) async fn start(
    connection: &mut AnyConnection,
    backend: Backend,
) -> Result<(), SyncError> {
    let name = name(backend);
    sqlx::query(AssertSqlSafe(format!(
        "CREATE TABLE IF NOT EXISTS {name} (id TEXT PRIMARY KEY NOT NULL)"
    )))
    .execute(&mut *connection)
    .await?;
    let clear = match backend {
        Backend::Sqlite => format!("DELETE FROM {name}"),
        Backend::Postgres => format!("TRUNCATE {name}"),
    };
    sqlx::query(AssertSqlSafe(clear))
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Drops the table (it would otherwise live as long as the pooled connection).
pub(crate) async fn finish(
    connection: &mut AnyConnection,
    backend: Backend,
) -> Result<(), SyncError> {
    sqlx::query(AssertSqlSafe(format!("DROP TABLE {}", name(backend))))
        .execute(connection)
        .await?;
    Ok(())
}

/// Which of `ids` were listed before.
pub(crate) async fn among(
    connection: &mut AnyConnection,
    backend: Backend,
    ids: &[&str],
) -> Result<HashSet<String>, SyncError> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let params: Vec<String> = (1..=chunk.len()).map(|n| backend.param(n)).collect();
        let sql = format!(
            "SELECT id FROM {} WHERE id IN ({})",
            name(backend),
            params.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind((*id).to_owned());
        }
        found.extend(query.fetch_all(&mut *connection).await?);
    }
    Ok(found)
}

/// Records `ids` as listed (inside the page's transaction: rolled back with it).
pub(crate) async fn record(
    connection: &mut AnyConnection,
    backend: Backend,
    ids: &[&str],
) -> Result<(), SyncError> {
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let rows: Vec<String> = (1..=chunk.len())
            .map(|n| format!("({})", backend.param(n)))
            .collect();
        let sql = format!(
            "INSERT INTO {} (id) VALUES {} ON CONFLICT (id) DO NOTHING",
            name(backend),
            rows.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind((*id).to_owned());
        }
        query.execute(&mut *connection).await?;
    }
    Ok(())
}

/// Up to [`CANDIDATES_PER_BATCH`] live rows of `table`, by id after `after`, that Clerk
/// last changed before `cutoff` (Unix ms; or never said) and that the listing did not
/// contain: one set-based statement, an anti-join on the two primary keys.
pub(crate) async fn unlisted(
    connection: &mut AnyConnection,
    backend: Backend,
    table: &Table,
    sql: &TableSql,
    cutoff: i64,
    after: &str,
) -> Result<Vec<AnyRow>, SyncError> {
    let statement = format!(
        "{select} WHERE {table}.deleted = FALSE \
         AND ({table}.updated_at IS NULL OR {table}.updated_at < $1) AND {table}.id > $2 \
         AND NOT EXISTS (SELECT 1 FROM {listed} AS listed WHERE listed.id = {table}.id) \
         ORDER BY {table}.id LIMIT {CANDIDATES_PER_BATCH}",
        select = sql.select,
        table = table.name,
        listed = name(backend),
    );
    Ok(sqlx::query(AssertSqlSafe(statement))
        .bind(cutoff)
        .bind(after.to_owned())
        .fetch_all(connection)
        .await?)
}
