//! The mirrored tables, described once; their upsert, tombstone and read SQL is generated
//! from the description, the same for every table and both backends.

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
    /// The data columns between `id` and `deleted` (`updated_at` among them).
    pub(crate) columns: &'static [(&'static str, Kind)],
}

pub(crate) const USERS: Table = Table {
    name: "clerk_users",
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
    /// `$1` id, `$2..` the columns, then raw. Applies only over a live row at least as old.
    pub(crate) upsert: String,
    /// `$1` id, `$2` deleted_at, `$3` raw. Clears the data: a tombstone is the same
    /// whatever arrived before it, so every order converges.
    pub(crate) tombstone: String,
    /// `$1` id: whether the row exists (1 when it is a tombstone, 0 when live).
    pub(crate) state: String,
    /// Every column, JSON as text; `WHERE id = $1` is appended for one row.
    pub(crate) select: String,
    /// `$1` id: `deleted` (0 or 1) and `updated_at` of the row, if it exists.
    pub(crate) version: String,
    /// `$1` cutoff: the ids of live rows Clerk last changed before the cutoff (or never said).
    pub(crate) live_before: String,
    /// `$1` id, `$2` deleted_at, `$3` raw, `$4` cutoff: a tombstone, but only over a live row
    /// still last changed before the cutoff (a delivery that arrived meanwhile wins).
    pub(crate) prune: String,
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
        let raw = param(self.columns.len() + 2, Kind::Json);
        let updates: Vec<String> = names
            .iter()
            .map(|name| format!("{name} = excluded.{name}"))
            .collect();
        let upsert = format!(
            "INSERT INTO {table} (id, {names}, deleted, deleted_at, raw) \
             VALUES ($1, {values}, FALSE, NULL, {raw}) \
             ON CONFLICT (id) DO UPDATE SET {updates}, raw = excluded.raw \
             WHERE {table}.deleted = FALSE \
             AND ({table}.updated_at IS NULL OR excluded.updated_at >= {table}.updated_at)",
            names = names.join(", "),
            values = values.join(", "),
            updates = updates.join(", "),
        );
        let cleared: Vec<String> = names.iter().map(|name| format!("{name} = NULL")).collect();
        let earlier_kept = format!("{table}.deleted AND {table}.deleted_at <= excluded.deleted_at");
        let tombstone = format!(
            "INSERT INTO {table} (id, deleted, deleted_at, raw) VALUES ($1, TRUE, $2, {raw3}) \
             ON CONFLICT (id) DO UPDATE SET {cleared}, deleted = TRUE, \
             deleted_at = CASE WHEN {earlier_kept} THEN {table}.deleted_at ELSE excluded.deleted_at END, \
             raw = CASE WHEN {earlier_kept} THEN {table}.raw ELSE excluded.raw END",
            raw3 = param(3, Kind::Json),
            cleared = cleared.join(", "),
        );
        let state = format!("SELECT CAST(deleted AS INTEGER) FROM {table} WHERE id = $1");
        let version =
            format!("SELECT CAST(deleted AS INTEGER), updated_at FROM {table} WHERE id = $1");
        let older = "(updated_at IS NULL OR updated_at < $1)";
        let live_before =
            format!("SELECT id FROM {table} WHERE deleted = FALSE AND {older} ORDER BY id");
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
            upsert,
            tombstone,
            state,
            select,
            version,
            live_before,
            prune,
        }
    }
}
