//! The multi-row statements that apply one listed page: a guarded insert, a locking read
//! and a guarded update, each for many rows at once, the same on both backends.
//!
//! Each listed row binds its id, the table's data columns and `raw`, in that order (a
//! listed copy has no version beyond `updated_at`: its version columns are `NULL`).

use crate::api::MAX_PAGE_SIZE;
use crate::backend::Backend;
use crate::tables::{Kind, Table, live_and_older};

/// Bind parameters per listed row: the id, the data columns, `raw`.
pub(crate) fn params_per_row(table: &Table) -> usize {
    table.columns.len() + 2
}

/// How many listed rows one statement holds: as many as the backend's bind-parameter limit
/// allows, and never more than a page.
pub(crate) fn rows_per_statement(table: &Table, backend: Backend) -> usize {
    (backend.max_bind_parameters() / params_per_row(table)).clamp(1, MAX_PAGE_SIZE)
}

/// `($1, $2, CAST($3 AS JSONB)…), (…)`: `rows` rows of listed values, each ending with
/// `constants` (SQL).
fn values(table: &Table, backend: Backend, rows: usize, constants: &str) -> String {
    let per_row = params_per_row(table);
    let kinds: Vec<Kind> = std::iter::once(Kind::Text)
        .chain(table.columns.iter().map(|(_, kind)| *kind))
        .chain(std::iter::once(Kind::Json))
        .collect();
    let mut sql = String::with_capacity(rows * per_row * 8);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (i, kind) in kinds.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let param = backend.param(row * per_row + i + 1);
            match kind {
                Kind::Json => sql.push_str(&format!("CAST({param} AS {})", backend.json_type())),
                Kind::Text | Kind::Integer | Kind::Bool => sql.push_str(&param),
            }
        }
        sql.push_str(constants);
        sql.push(')');
    }
    sql
}

/// New rows for the listed ids the table does not hold; an id it holds is left alone.
/// Returns the ids inserted (decided by the statement itself: of two racing writes of a
/// new id, exactly one inserts).
pub(crate) fn insert(table: &Table, backend: Backend, rows: usize) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let values = values(table, backend, rows, ", FALSE, NULL, NULL, NULL");
    // `raw` goes last among the bound values; `deleted`, `deleted_at` and the version
    // columns follow as constants.
    format!(
        "INSERT INTO {table} (id, {names}, raw, deleted, deleted_at, version_timestamp, version_svix_id) \
         VALUES {values} ON CONFLICT (id) DO NOTHING RETURNING id",
        table = table.name,
        names = names.join(", "),
    )
}

/// Which of the listed ids the table holds, without locking them: it only decides what to
/// insert (what [`lock`] reads afterwards decides the rest).
pub(crate) fn held(table: &Table, backend: Backend, rows: usize) -> String {
    let ids: Vec<String> = (1..=rows).map(|n| backend.param(n)).collect();
    format!(
        "SELECT id FROM {table} WHERE id IN ({ids})",
        table = table.name,
        ids = ids.join(", "),
    )
}

/// Locks the rows of the listed ids (PostgreSQL; SQLite's write lock already covers them)
/// and reads what decides `unchanged` and `stale`: `id`, `deleted` (0 or 1), `updated_at`.
pub(crate) fn lock(table: &Table, backend: Backend, rows: usize) -> String {
    let ids: Vec<String> = (1..=rows).map(|n| backend.param(n)).collect();
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    format!(
        "SELECT id, CAST(deleted AS INTEGER) AS deleted, updated_at FROM {table} \
         WHERE id IN ({ids}) ORDER BY id{lock}",
        table = table.name,
        ids = ids.join(", "),
    )
}

/// Replaces each live row whose version is older than the listed copy, through the same
/// guard as a webhook's update ([`live_and_older`]). Returns the ids updated.
pub(crate) fn update(table: &Table, backend: Backend, rows: usize) -> String {
    let name = table.name;
    // A VALUES list names its columns column1, column2, … on both backends.
    let assignments: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (column, _))| format!("{column} = listed.column{}", i + 2))
        .collect();
    let raw = table.columns.len() + 2;
    let updated_at = table
        .columns
        .iter()
        .position(|(column, _)| *column == "updated_at")
        .map_or_else(|| "NULL".to_owned(), |i| format!("listed.column{}", i + 2));
    format!(
        "UPDATE {name} SET {assignments}, raw = listed.column{raw}, \
         version_timestamp = NULL, version_svix_id = NULL \
         FROM (VALUES {values}) AS listed \
         WHERE {name}.id = listed.column1 AND {guard} RETURNING {name}.id",
        assignments = assignments.join(", "),
        values = values(table, backend, rows, ""),
        guard = live_and_older(backend, name, &updated_at, "NULL", "NULL"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::{MEMBERSHIPS, ORGANIZATIONS, USERS};

    #[test]
    fn statements_stay_within_the_bind_parameter_limits() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            for table in [&USERS, &ORGANIZATIONS, &MEMBERSHIPS] {
                let rows = rows_per_statement(table, backend);
                assert!(rows * params_per_row(table) <= backend.max_bind_parameters());
                assert_eq!(rows, MAX_PAGE_SIZE, "a whole page in one statement");
            }
        }
    }

    #[test]
    fn each_row_binds_its_own_parameters() {
        let sql = insert(&USERS, Backend::Postgres, 2);
        assert!(sql.contains("($1, $2,"), "{sql}");
        assert!(
            sql.contains("CAST($13 AS JSONB), FALSE, NULL, NULL, NULL), ($14, "),
            "{sql}"
        );
        assert!(
            sql.contains("CAST($26 AS JSONB), FALSE, NULL, NULL, NULL) ON CONFLICT"),
            "{sql}"
        );
        let sql = update(&MEMBERSHIPS, Backend::Postgres, 3);
        assert!(
            sql.contains("($15, $16, $17, $18, $19, $20, CAST($21 AS JSONB))"),
            "{sql}"
        );
        assert!(sql.contains("updated_at = listed.column6"), "{sql}");
        // SQLite: anonymous parameters, bound in order.
        let sql = update(&MEMBERSHIPS, Backend::Sqlite, 3);
        assert!(
            sql.contains("), (?, ?, ?, ?, ?, ?, CAST(? AS TEXT))) AS listed"),
            "{sql}"
        );
        assert_eq!(sql.matches('?').count(), 21, "{sql}");
        let sql = lock(&ORGANIZATIONS, Backend::Postgres, 2);
        assert!(
            sql.ends_with("WHERE id IN ($1, $2) ORDER BY id FOR UPDATE"),
            "{sql}"
        );
    }
}
