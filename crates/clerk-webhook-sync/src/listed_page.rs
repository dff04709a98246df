//! Applying one listed page: every object in one transaction, through set-based statements
//! with exactly the guards of a webhook's upsert, and the hook for each row that changed.

use std::collections::{HashMap, HashSet};

use clerk_webhook_core::ClerkEvent;
use serde_json::value::RawValue;
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments as _, AssertSqlSafe, Connection as _, Row as _};

use crate::api::Resource;
use crate::backend::Backend;
use crate::backfill::table_of;
use crate::batch_sql;
use crate::change::{Bind, Change};
use crate::error::SyncError;
use crate::hook::{ChangeKind, MirrorChange, Mirrored, SyncHook};
use crate::listed_ids;
use crate::store::SyncStore;
use crate::tables::Table;

/// One object as a listing returned it, parsed.
pub(crate) struct ListedObject {
    /// The object as received, stored in `raw`.
    pub(crate) json: Box<RawValue>,
    /// Its typed form (or why it is not JSON).
    pub(crate) event: Result<ClerkEvent, serde_json::Error>,
    /// Its `id`, read from the text alone: known even when the typed form fails (data
    /// nested deeper than serde_json's recursion limit, a number beyond `f64`), so that
    /// such an object still anchors a page and is never pruned.
    id: Option<String>,
}

/// An object's `id` and nothing else: the other members are skipped without being built
/// (serde_json skips with a loop, at any depth).
#[derive(serde::Deserialize)]
struct IdOnly {
    id: Option<serde_json::Value>,
}

impl ListedObject {
    pub(crate) fn parse(resource: Resource, json: Box<RawValue>) -> Self {
        let event = ClerkEvent::from_data(resource.event_type(), json.get());
        let id = serde_json::from_str::<IdOnly>(json.get())
            .ok()
            .and_then(|object| match object.id {
                Some(serde_json::Value::String(id)) => Some(id),
                _ => None,
            });
        Self { json, event, id }
    }

    /// Its id, when it has one.
    pub(crate) fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

/// A listed object that cannot be applied.
pub(crate) enum Unfit {
    /// Not JSON at all.
    NotJson(String),
    /// JSON that does not fit this version's types, or that this database cannot store.
    Unstorable(String),
}

/// What applying one page did; added to the report once the page has committed.
#[derive(Default)]
pub(crate) struct PageCounts {
    pub(crate) inserted: usize,
    pub(crate) updated: usize,
    pub(crate) stale: usize,
    pub(crate) unchanged: usize,
    /// In listing order.
    pub(crate) unfit: Vec<Unfit>,
}

/// A listed object that can be written.
struct Listed<'a> {
    id: String,
    values: Vec<Bind>,
    updated_at: Option<i64>,
    event: &'a ClerkEvent,
    json: &'a str,
}

impl<H: SyncHook> SyncStore<H> {
    /// Applies `objects` (one page, each id once) in one transaction on `connection`,
    /// and records their ids as listed in it. A listed copy goes through exactly the guards
    /// of a webhook's upsert: it never overwrites a newer row, never brings a tombstone
    /// back, and loses every tie (it has no version beyond `updated_at`). The hook runs for
    /// each row inserted or updated, in listing order; its error rolls the page back.
    pub(crate) async fn apply_page(
        &self,
        connection: &mut AnyConnection,
        resource: Resource,
        objects: &[ListedObject],
    ) -> Result<PageCounts, SyncError> {
        let backend = self.backend();
        let table = table_of(resource);
        let mut counts = PageCounts::default();
        let mut writes = Vec::with_capacity(objects.len());
        for object in objects {
            let event = match &object.event {
                Ok(event) => event,
                Err(error) => {
                    counts.unfit.push(Unfit::NotJson(error.to_string()));
                    continue;
                }
            };
            let change = self.storable_change(event, object.json.get());
            let updated_at = change.updated_at();
            match change {
                Change::Quarantine { error } => counts.unfit.push(Unfit::Unstorable(error)),
                Change::Upsert {
                    table: written,
                    id,
                    values,
                } if written.name == table.name => writes.push(Listed {
                    id,
                    values,
                    updated_at,
                    event,
                    json: object.json.get(),
                }),
                // Nothing a listing of this resource can write.
                Change::Upsert { .. } | Change::Tombstone { .. } | Change::Nothing => {
                    counts.stale += 1;
                }
            }
        }
        let ids: Vec<&str> = objects.iter().filter_map(ListedObject::id).collect();
        let mut tx = connection.begin_with(backend.begin()).await?;
        // Every id listed, applicable or not: it exists in Clerk, and is never pruned.
        listed_ids::record(&mut tx, backend, &ids).await?;
        for chunk in writes.chunks(batch_sql::rows_per_statement(table, backend)) {
            self.apply_chunk(&mut tx, table, chunk, &mut counts).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    /// One chunk of a page: insert the ids the table does not hold, then lock and read the
    /// others, then update what is older. Every count comes from what these statements
    /// report, in the transaction that holds the rows (SQLite's write lock, PostgreSQL's
    /// row locks), so a webhook that commits meanwhile can change none of them before the
    /// commit. Asking first which ids the table holds (ids only, no lock) sends each listed
    /// object to the database once, not twice (an insert of a row that exists still parses
    /// its JSON), which is what a backfill over a filled mirror is. Rows are locked in one
    /// statement, in id order, after the inserts (themselves in id order), so two pages
    /// applied at once never wait on each other in a cycle.
    async fn apply_chunk(
        &self,
        tx: &mut AnyConnection,
        table: &'static Table,
        chunk: &[Listed<'_>],
        counts: &mut PageCounts,
    ) -> Result<(), SyncError> {
        let backend = self.backend();
        let held = held_ids(tx, table, backend, chunk).await?;
        let mut missing: Vec<&Listed<'_>> = chunk
            .iter()
            .filter(|listed| !held.contains(&listed.id))
            .collect();
        missing.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let inserted: HashSet<String> = if missing.is_empty() {
            HashSet::new()
        } else {
            sqlx::query_scalar_with::<_, String, _>(
                AssertSqlSafe(batch_sql::insert(table, backend, missing.len())),
                arguments(missing.iter().copied())?,
            )
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect()
        };
        // The rest: those held before, and those a webhook inserted meanwhile.
        let existing: Vec<&Listed<'_>> = chunk
            .iter()
            .filter(|listed| !inserted.contains(&listed.id))
            .collect();
        let updated = self
            .update_existing(tx, table, backend, &existing, counts)
            .await?;
        counts.inserted += inserted.len();
        counts.updated += updated.len();
        let changes: Vec<MirrorChange<'_>> = chunk
            .iter()
            .filter_map(|listed| {
                let kind = if inserted.contains(&listed.id) {
                    ChangeKind::Inserted
                } else if updated.contains(&listed.id) {
                    ChangeKind::Updated
                } else {
                    return None;
                };
                Some(MirrorChange {
                    resource: table.resource,
                    id: &listed.id,
                    kind,
                    object: Mirrored::of(Some(listed.event)),
                    timestamp: None,
                    svix_id: None,
                })
            })
            .collect();
        if !changes.is_empty() {
            self.hook()
                .on_changes(&changes, &mut *tx)
                .await
                .map_err(SyncError::Hook)?;
        }
        Ok(())
    }

    /// The listed objects whose id the table already holds: `unchanged` when the row is
    /// live with the same `updated_at`, `stale` when it is a tombstone; the others go
    /// through the guarded update, and those it does not replace are `stale` too (the row
    /// is newer). Returns the ids updated.
    async fn update_existing(
        &self,
        tx: &mut AnyConnection,
        table: &'static Table,
        backend: Backend,
        existing: &[&Listed<'_>],
        counts: &mut PageCounts,
    ) -> Result<HashSet<String>, SyncError> {
        if existing.is_empty() {
            return Ok(HashSet::new());
        }
        let mut lock = sqlx::query(AssertSqlSafe(batch_sql::lock(
            table,
            backend,
            existing.len(),
        )));
        for listed in existing {
            lock = lock.bind(listed.id.clone());
        }
        let mut rows = HashMap::with_capacity(existing.len());
        for row in lock.fetch_all(&mut *tx).await? {
            let id: String = row.try_get("id")?;
            let deleted: i64 = row.try_get("deleted")?;
            let updated_at: Option<i64> = row.try_get("updated_at")?;
            rows.insert(id, (deleted != 0, updated_at));
        }
        let mut older = Vec::with_capacity(existing.len());
        for listed in existing {
            match rows.get(&listed.id) {
                Some((false, Some(updated_at))) if listed.updated_at == Some(*updated_at) => {
                    counts.unchanged += 1;
                }
                Some((false, _)) => older.push(*listed),
                // A tombstone stays one.
                _ => counts.stale += 1,
            }
        }
        if older.is_empty() {
            return Ok(HashSet::new());
        }
        let updated: HashSet<String> = sqlx::query_scalar_with::<_, String, _>(
            AssertSqlSafe(batch_sql::update(table, backend, older.len())),
            arguments(older.iter().copied())?,
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        counts.stale += older.len() - updated.len();
        Ok(updated)
    }
}

/// The ids of `chunk` the table holds (no lock).
async fn held_ids(
    tx: &mut AnyConnection,
    table: &'static Table,
    backend: Backend,
    chunk: &[Listed<'_>],
) -> Result<HashSet<String>, SyncError> {
    if chunk.is_empty() {
        return Ok(HashSet::new());
    }
    let mut query = sqlx::query_scalar::<_, String>(AssertSqlSafe(batch_sql::held(
        table,
        backend,
        chunk.len(),
    )));
    for listed in chunk {
        query = query.bind(listed.id.clone());
    }
    Ok(query.fetch_all(&mut *tx).await?.into_iter().collect())
}

/// The bind parameters of `rows`, in [`batch_sql`]'s order: id, data columns, raw.
fn arguments<'a, 'b: 'a>(
    rows: impl Iterator<Item = &'a Listed<'b>>,
) -> Result<AnyArguments, SyncError> {
    let mut arguments = AnyArguments::default();
    let add = |added: Result<(), sqlx::error::BoxDynError>| {
        added.map_err(|error| SyncError::Database(sqlx::Error::Encode(error)))
    };
    for listed in rows {
        add(arguments.add(listed.id.clone()))?;
        for value in &listed.values {
            match value {
                Bind::Text(text) | Bind::Json(text) => add(arguments.add(text.clone()))?,
                Bind::Integer(number) => add(arguments.add(*number))?,
            }
        }
        add(arguments.add(listed.json.to_owned()))?;
    }
    Ok(arguments)
}
