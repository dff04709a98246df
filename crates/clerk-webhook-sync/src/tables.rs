//! The mirrored tables, described once; their upsert, tombstone and read SQL is generated
//! from the description, the same for every table and both backends.

use crate::api::Resource;
use crate::backend::Backend;

/// How a column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Integer,
    Bool,
    Json,
}

/// A mirrored table: `id` first, then `columns`, then `deleted`, `deleted_at`, `raw`.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) name: &'static str,
    /// The listing and hook resource the table mirrors.
    pub(crate) resource: Resource,
    /// The data columns between `id` and `deleted` (`updated_at` among them).
    pub(crate) columns: &'static [(&'static str, Kind)],
}

pub(crate) const USERS: Table = Table {
    name: "clerk_users",
    resource: Resource::Users,
    columns: &[
        ("external_id", Kind::Text),
        ("primary_email_address", Kind::Text),
        ("username", Kind::Text),
        ("first_name", Kind::Text),
        ("last_name", Kind::Text),
        ("image_url", Kind::Text),
        ("public_metadata", Kind::Json),
        ("private_metadata", Kind::Json),
        ("unsafe_metadata", Kind::Json),
        ("created_at", Kind::Integer),
        ("updated_at", Kind::Integer),
    ],
};

pub(crate) const ORGANIZATIONS: Table = Table {
    name: "clerk_organizations",
    resource: Resource::Organizations,
    columns: &[
        ("name", Kind::Text),
        ("slug", Kind::Text),
        ("image_url", Kind::Text),
        ("public_metadata", Kind::Json),
        ("private_metadata", Kind::Json),
        ("created_at", Kind::Integer),
        ("updated_at", Kind::Integer),
    ],
};

pub(crate) const MEMBERSHIPS: Table = Table {
    name: "clerk_organization_memberships",
    resource: Resource::OrganizationMemberships,
    columns: &[
        ("organization_id", Kind::Text),
        ("user_id", Kind::Text),
        ("role", Kind::Text),
        ("created_at", Kind::Integer),
        ("updated_at", Kind::Integer),
    ],
};

/// The SQL of one table for one backend, built once at start-up.
#[derive(Debug, Clone)]
pub(crate) struct TableSql {
    /// `$1` id, `$2..` the columns, then raw, version timestamp, version svix-id: a new
    /// row, or nothing when the id exists (decides `inserted` atomically: of two racing
    /// writes of a new id, exactly one inserts).
    pub(crate) insert: String,
    /// The same parameters as `insert`: applies only over a live row whose version
    /// (`updated_at`, then the version timestamp, then the version svix-id) is older.
    pub(crate) update: String,
    /// `$1` id, `$2` deleted_at, `$3` raw. Clears the data: a tombstone is the same
    /// whatever arrived before it, so every order converges. Writes (affects a row) only
    /// when the row was live or absent: the mirror changed.
    pub(crate) tombstone: String,
    /// The same parameters: over a tombstone holding a later deletion, the earlier one's
    /// time and body (so every order converges); not a change for the hook.
    pub(crate) earlier_deletion: String,
    /// Every column, JSON as text; `WHERE id = $1` is appended for one row.
    pub(crate) select: String,
    /// `$1` id, `$2` deleted_at, `$3` raw, `$4` cutoff: a tombstone, but only over a live row
    /// still last changed before the cutoff (a delivery that arrived meanwhile wins).
    pub(crate) prune: String,
}

/// The columns after the data columns that order versions with an equal `updated_at`.
pub(crate) const VERSION_COLUMNS: [(&str, Kind); 2] = [
    ("version_timestamp", Kind::Integer),
    ("version_svix_id", Kind::Text),
];

/// The guard of every upsert's UPDATE: the row of `table` is live, and its version
/// (`updated_at`, then the version timestamp, then the version svix-id) is older than the
/// one written (`updated_at`, `timestamp`, `svix_id`: SQL expressions). Row values compare
/// left to right, and a missing part sorts first: a listed copy has neither of the last
/// two, so it loses every tie against a webhook.
pub(crate) fn live_and_older(
    backend: Backend,
    table: &str,
    updated_at: &str,
    timestamp: &str,
    svix_id: &str,
) -> String {
    let bytes = backend.binary_collation();
    format!(
        "{table}.deleted = FALSE \
         AND (COALESCE({table}.updated_at, -1), COALESCE({table}.version_timestamp, -1), \
         COALESCE({table}.version_svix_id, '') COLLATE {bytes}) \
         < (COALESCE(CAST({updated_at} AS BIGINT), -1), COALESCE(CAST({timestamp} AS BIGINT), -1), \
         COALESCE(CAST({svix_id} AS TEXT), '') COLLATE {bytes})"
    )
}

impl Table {
    /// Every column name, in table order.
    pub(crate) fn all_columns(&self) -> Vec<(&'static str, Kind)> {
        let mut all = vec![("id", Kind::Text)];
        all.extend_from_slice(self.columns);
        all.extend([
            ("deleted", Kind::Bool),
            ("deleted_at", Kind::Integer),
            ("raw", Kind::Json),
        ]);
        all.extend(VERSION_COLUMNS);
        all
    }

    pub(crate) fn sql(&self, backend: Backend) -> TableSql {
        let json = backend.json_type();
        let table = self.name;
        let param = |n: usize, kind: Kind| match kind {
            Kind::Json => format!("CAST(${n} AS {json})"),
            Kind::Text | Kind::Integer | Kind::Bool => format!("${n}"),
        };
        let names: Vec<&str> = self.columns.iter().map(|(name, _)| *name).collect();
        let values: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| param(i + 2, *kind))
            .collect();
        let raw_param = self.columns.len() + 2;
        let (timestamp_param, svix_id_param) = (raw_param + 1, raw_param + 2);
        let raw = param(raw_param, Kind::Json);
        let updated_at_param = self
            .columns
            .iter()
            .position(|(name, _)| *name == "updated_at")
            .map_or_else(|| "NULL".to_owned(), |i| format!("${}", i + 2));
        let insert = format!(
            "INSERT INTO {table} (id, {names}, deleted, deleted_at, raw, version_timestamp, version_svix_id) \
             VALUES ($1, {values}, FALSE, NULL, {raw}, ${timestamp_param}, ${svix_id_param}) \
             ON CONFLICT (id) DO NOTHING",
            names = names.join(", "),
            values = values.join(", "),
        );
        let assignments: Vec<String> = names
            .iter()
            .zip(&values)
            .map(|(name, value)| format!("{name} = {value}"))
            .collect();
        let update = format!(
            "UPDATE {table} SET {assignments}, raw = {raw}, \
             version_timestamp = ${timestamp_param}, version_svix_id = ${svix_id_param} \
             WHERE id = $1 AND {guard}",
            assignments = assignments.join(", "),
            guard = live_and_older(
                backend,
                table,
                &updated_at_param,
                &format!("${timestamp_param}"),
                &format!("${svix_id_param}")
            ),
        );
        let cleared: Vec<String> = names
            .iter()
            .chain(VERSION_COLUMNS.iter().map(|(name, _)| name))
            .map(|name| format!("{name} = NULL"))
            .collect();
        let tombstone = format!(
            "INSERT INTO {table} (id, deleted, deleted_at, raw) VALUES ($1, TRUE, $2, {raw3}) \
             ON CONFLICT (id) DO UPDATE SET {cleared}, deleted = TRUE, \
             deleted_at = excluded.deleted_at, raw = excluded.raw \
             WHERE {table}.deleted = FALSE",
            raw3 = param(3, Kind::Json),
            cleared = cleared.join(", "),
        );
        let earlier_deletion = format!(
            "UPDATE {table} SET deleted_at = $2, raw = {raw3} \
             WHERE id = $1 AND deleted = TRUE AND $2 < deleted_at",
            raw3 = param(3, Kind::Json),
        );
        let prune = format!(
            "UPDATE {table} SET {cleared}, deleted = TRUE, deleted_at = $2, raw = {raw3} \
             WHERE id = $1 AND deleted = FALSE AND (updated_at IS NULL OR updated_at < $4)",
            raw3 = param(3, Kind::Json),
            cleared = cleared.join(", "),
        );
        let selected: Vec<String> = self
            .all_columns()
            .iter()
            .map(|(name, kind)| match kind {
                // The Any driver decodes neither JSONB nor SQLite's BOOLEAN: read them as
                // text and integer, which both backends can cast to.
                Kind::Json => format!("CAST({name} AS TEXT) AS {name}"),
                Kind::Bool => format!("CAST({name} AS INTEGER) AS {name}"),
                Kind::Text | Kind::Integer => (*name).to_owned(),
            })
            .collect();
        let select = format!("SELECT {} FROM {table}", selected.join(", "));
        TableSql {
            insert,
            update,
            tombstone,
            earlier_deletion,
            select,
            prune,
        }
    }
}
