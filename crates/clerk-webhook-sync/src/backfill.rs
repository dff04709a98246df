//! [`SyncStore::backfill`]: load what existed before the webhook, and reconcile after an
//! outage longer than Svix's retries.

use std::collections::HashSet;
use std::fmt;

use sqlx::AnyConnection;

use crate::api::{ClerkApi, MAX_PAGE_SIZE, PageError, Presence, Resource};
use crate::error::{BackfillError, SyncError};
use crate::hook::SyncHook;
use crate::listed_ids::{self, CANDIDATES_PER_BATCH};
use crate::listed_page::{ListedObject, PageCounts, Unfit};
use crate::prefetch::PageFetch;
use crate::store::{SyncStore, now_millis, row_json};
use crate::tables::{MEMBERSHIPS, ORGANIZATIONS, Table, USERS};

/// A prune spares rows Clerk changed less than this long before the run started, so that
/// clock skew between Clerk and this machine never tombstones a row created during the run
/// (a tombstone is terminal).
pub const PRUNE_MARGIN_MS: i64 = 5 * 60 * 1000;

/// How to backfill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackfillOptions {
    /// After a complete listing of a resource, tombstone its live rows that the listing did
    /// not contain (reconcile after an outage). Never after an incomplete listing.
    pub prune: bool,
    /// Objects per page, at most [`MAX_PAGE_SIZE`].
    pub page_size: usize,
}

impl Default for BackfillOptions {
    fn default() -> Self {
        Self {
            prune: false,
            page_size: MAX_PAGE_SIZE,
        }
    }
}

/// What a backfill did with one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceReport {
    /// Which listing.
    pub resource: Resource,
    /// Objects listed.
    pub listed: usize,
    /// New rows.
    pub inserted: usize,
    /// Rows replaced by a newer listed version.
    pub updated: usize,
    /// Listed versions older than the row, or rows that are tombstones: nothing changed.
    pub stale: usize,
    /// Rows that already held the listed version.
    pub unchanged: usize,
    /// Listed objects that do not fit this version's types: not applied.
    pub unfit: usize,
    /// Rows absent from the listing that Clerk still has when asked one by one before a
    /// prune: applied through the guards, never pruned.
    pub present: usize,
    /// Rows tombstoned by `prune`: absent from the listing, and Clerk answered that they
    /// are gone.
    pub pruned: u64,
    /// Paging anomalies (a page shorter than asked before `total_count`), each reported;
    /// with any, nothing is pruned.
    pub anomalies: Vec<String>,
    /// Why the listing stopped before its end, if it did; then nothing is pruned.
    pub incomplete: Option<String>,
}

impl ResourceReport {
    fn new(resource: Resource) -> Self {
        Self {
            resource,
            listed: 0,
            inserted: 0,
            updated: 0,
            stale: 0,
            unchanged: 0,
            unfit: 0,
            present: 0,
            pruned: 0,
            anomalies: Vec::new(),
            incomplete: None,
        }
    }

    /// Adds what one committed page did.
    fn add(&mut self, counts: PageCounts) {
        self.inserted += counts.inserted;
        self.updated += counts.updated;
        self.stale += counts.stale;
        self.unchanged += counts.unchanged;
        for unfit in counts.unfit {
            self.unfit += 1;
            match unfit {
                Unfit::NotJson(error) => self
                    .anomalies
                    .push(format!("a listed object is not JSON: {error}")),
                Unfit::Unstorable(error) if self.unfit == 1 => self.anomalies.push(format!(
                    "objects that cannot be applied were not (first: {error}); upgrade clerk-webhook-core"
                )),
                Unfit::Unstorable(_) => {}
            }
        }
    }
}

/// What [`SyncStore::backfill`] did, resource by resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BackfillReport {
    /// In listing order; a resource whose listing stopped is the last one.
    pub resources: Vec<ResourceReport>,
}

impl BackfillReport {
    /// Whether every resource was listed to its end without anomalies.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.resources.len() == Resource::ALL.len()
            && self
                .resources
                .iter()
                .all(|r| r.incomplete.is_none() && r.anomalies.is_empty())
    }

    /// The report for `resource`, if it was reached.
    #[must_use]
    pub fn resource(&self, resource: Resource) -> Option<&ResourceReport> {
        self.resources.iter().find(|r| r.resource == resource)
    }
}

impl fmt::Display for BackfillReport {
    /// A table, then one line per anomaly or stop, then the verdict.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<26} {:>7} {:>8} {:>7} {:>6} {:>9} {:>5} {:>7} {:>6}",
            "resource",
            "listed",
            "inserted",
            "updated",
            "stale",
            "unchanged",
            "unfit",
            "present",
            "pruned"
        )?;
        for r in &self.resources {
            writeln!(
                f,
                "{:<26} {:>7} {:>8} {:>7} {:>6} {:>9} {:>5} {:>7} {:>6}",
                r.resource.to_string(),
                r.listed,
                r.inserted,
                r.updated,
                r.stale,
                r.unchanged,
                r.unfit,
                r.present,
                r.pruned
            )?;
        }
        for r in &self.resources {
            for anomaly in &r.anomalies {
                writeln!(f, "{}: {anomaly}", r.resource)?;
            }
            if let Some(reason) = &r.incomplete {
                writeln!(f, "{}: listing INCOMPLETE: {reason}", r.resource)?;
            }
        }
        let stopped_at = self.resources.last().map(|r| r.resource);
        for resource in Resource::ALL {
            if self.resource(resource).is_none() {
                let after = stopped_at.map_or_else(String::new, |at| format!(" after {at}"));
                writeln!(f, "{resource}: NOT LISTED: the backfill stopped{after}")?;
            }
        }
        if self.is_complete() {
            write!(f, "Backfill complete.")
        } else {
            write!(
                f,
                "Backfill INCOMPLETE: what was listed is applied; nothing was pruned where a listing was incomplete or not reached. Fix what the lines above say (Clerk's API unreachable, rate-limited or answering errors), then run it again: a rerun applies only what changed."
            )
        }
    }
}

impl<H: SyncHook> SyncStore<H> {
    /// Reads every user, organization and membership from Clerk's Backend API and applies
    /// each through the same guarded upserts as a webhook: a listed copy never overwrites a
    /// newer row and never resurrects a tombstone, so a backfill is safe while deliveries
    /// arrive. With `options.prune`, after a complete listing of a resource without
    /// anomalies, its live rows that the listing did not contain become tombstones, except
    /// rows Clerk changed since shortly before the run started ([`PRUNE_MARGIN_MS`]).
    ///
    /// `progress` is called after each page with the resource, the objects listed so far
    /// and the `total_count` when the listing gives one.
    ///
    /// # Errors
    /// [`BackfillError::Unauthorized`] when the key is refused, [`BackfillError::Store`]
    /// when the database fails. A listing that stops part-way (retries exhausted) is not an
    /// error: the report says so, and [`BackfillReport::is_complete`] is false.
    pub async fn backfill(
        &self,
        api: &ClerkApi,
        options: &BackfillOptions,
        mut progress: impl FnMut(Resource, usize, Option<u64>),
    ) -> Result<BackfillReport, BackfillError> {
        let started_at = now_millis();
        let mut report = BackfillReport::default();
        // The backfill's own connection: its pages' transactions, and the temporary table
        // of the ids listed.
        let mut connection = self.pool().acquire().await.map_err(SyncError::from)?;
        for resource in Resource::ALL {
            let mut listed = ResourceReport::new(resource);
            listed_ids::start(&mut connection, self.backend()).await?;
            let run = self
                .list_and_prune(
                    &mut connection,
                    api,
                    resource,
                    options,
                    started_at - PRUNE_MARGIN_MS,
                    &mut listed,
                    &mut progress,
                )
                .await;
            let dropped = listed_ids::finish(&mut connection, self.backend()).await;
            run?;
            dropped?;
            let stopped = listed.incomplete.is_some();
            for (outcome, count) in [
                ("inserted", listed.inserted),
                ("updated", listed.updated),
                ("stale", listed.stale),
                ("unchanged", listed.unchanged),
                ("unfit", listed.unfit),
                ("present", listed.present),
            ] {
                crate::metrics::backfilled(resource, outcome, count as u64);
            }
            crate::metrics::backfilled(resource, "pruned", listed.pruned);
            tracing::info!(resource = %resource, listed = listed.listed, inserted = listed.inserted,
                updated = listed.updated, stale = listed.stale, unchanged = listed.unchanged,
                present = listed.present, pruned = listed.pruned, complete = !stopped, "Backfilled");
            report.resources.push(listed);
            if stopped {
                break;
            }
        }
        Ok(report)
    }

    /// Lists `resource` and applies it; then, with `options.prune`, after a complete
    /// listing without anomalies, prunes what it did not contain.
    #[allow(clippy::too_many_arguments)] // The run's state, passed down once.
    async fn list_and_prune(
        &self,
        connection: &mut AnyConnection,
        api: &ClerkApi,
        resource: Resource,
        options: &BackfillOptions,
        cutoff: i64,
        listed: &mut ResourceReport,
        progress: &mut impl FnMut(Resource, usize, Option<u64>),
    ) -> Result<(), BackfillError> {
        self.list(
            connection,
            api,
            resource,
            options.page_size,
            listed,
            progress,
        )
        .await?;
        if options.prune && listed.incomplete.is_none() && listed.anomalies.is_empty() {
            self.prune(connection, api, resource, cutoff, listed)
                .await?;
        }
        Ok(())
    }

    /// Lists `resource` to its end and applies every object, a page per transaction; the
    /// ids listed go to the temporary table on `connection` ([`listed_ids`]).
    ///
    /// Paging is by offset in `created_at` order, and an object deleted in Clerk between
    /// two pages moves every later one down a place. So each page after the first starts a
    /// little before where the previous one ended ([`overlap`]), and is used only if it
    /// holds an object already listed (its *anchor*): then nothing between the two pages
    /// was skipped. A page without one (more deletions than the overlap) is asked again
    /// from further back, doubling the overlap, down to offset 0 if need be. Objects listed
    /// twice are applied once. An object live for the whole run is therefore always
    /// listed; one created during the run comes last, or through its webhook.
    ///
    /// The next page is fetched while the current one is applied: its offset is known as
    /// soon as the current page is (the overlap before where it ends).
    async fn list(
        &self,
        connection: &mut AnyConnection,
        api: &ClerkApi,
        resource: Resource,
        page_size: usize,
        listed: &mut ResourceReport,
        progress: &mut impl FnMut(Resource, usize, Option<u64>),
    ) -> Result<(), BackfillError> {
        let backend = self.backend();
        let limit = page_size.clamp(MIN_PAGE_SIZE, MAX_PAGE_SIZE);
        let base_overlap = overlap(limit);
        // Where the next unlisted object is expected; how far before it to start.
        let (mut cursor, mut back) = (0_usize, 0_usize);
        // Full pages in a row that listed nothing new and held the same objects as the one
        // before: a listing that ignores its offset, or pages of objects without ids,
        // must stop, not loop.
        let (mut previous, mut stalled) = (Vec::<String>::new(), 0_u32);
        let mut next = Some(PageFetch::start(api, resource, limit, 0));
        while let Some(fetch) = next.take() {
            let page = match fetch.finish().await {
                Ok(page) => page,
                Err(PageError::Fatal(error)) => return Err(error),
                Err(PageError::Incomplete(reason)) => {
                    listed.incomplete = Some(reason);
                    break;
                }
            };
            let offset = page.offset;
            let ids: Vec<&str> = page.objects.iter().filter_map(ListedObject::id).collect();
            let before = listed_ids::among(connection, backend, &ids).await?;
            if offset > 0 && before.is_empty() {
                // Objects before this offset were deleted meanwhile: go further back.
                back = (back * 2).max(base_overlap);
                let offset = cursor.saturating_sub(back);
                tracing::info!(resource = %resource, offset, back, "Objects moved between pages (deleted in Clerk meanwhile?): listing again from further back");
                next = Some(PageFetch::start(api, resource, limit, offset));
                continue;
            }
            let count = page.objects.len();
            cursor = offset + count;
            back = base_overlap;
            if count >= limit {
                next = Some(PageFetch::start(api, resource, limit, cursor - back));
            }
            let mut in_page = HashSet::new();
            let fresh: Vec<bool> = page
                .objects
                .iter()
                .map(|object| {
                    object
                        .id()
                        .is_none_or(|id| !before.contains(id) && in_page.insert(id.to_owned()))
                })
                .collect();
            let same = ids == previous;
            previous = ids.iter().map(|id| (*id).to_owned()).collect();
            let objects: Vec<ListedObject> = page
                .objects
                .into_iter()
                .zip(fresh)
                .filter_map(|(object, fresh)| fresh.then_some(object))
                .collect();
            let new_ids = objects
                .iter()
                .filter(|object| object.id().is_some())
                .count();
            if new_ids == 0 && same && count >= limit {
                stalled += 1;
                if stalled > MAX_STALLED_PAGES {
                    listed.incomplete = Some(format!(
                        "the listing makes no progress: {stalled} full pages in a row from offset {offset} held nothing new (objects without an id, or an API ignoring offset)"
                    ));
                    break;
                }
            } else {
                stalled = 0;
            }
            listed.listed += objects.len();
            listed.add(self.apply_page(connection, resource, &objects).await?);
            progress(resource, listed.listed, page.total_count);
            if count < limit {
                // The end. With a total_count, a short page before reaching it is an
                // anomaly: the listing contradicts itself.
                if let Some(total) = page.total_count
                    && (cursor as u64) < total
                {
                    listed.anomalies.push(format!(
                        "the page at offset {offset} held {count} of {limit} objects, but total_count is {total}: the listing ended early"
                    ));
                }
            }
        }
        Ok(())
    }

    /// After a complete listing: asks Clerk about each live row the listing did not
    /// contain (changed before `cutoff`), and tombstones it only when Clerk answers that
    /// it is gone. One Clerk still has (the listing missed it) is applied instead. A row
    /// Clerk could not be asked about is kept, and the listing reported incomplete.
    ///
    /// The candidates come from one set-based statement at a time (live rows without a
    /// listed id, a batch at a time by id), never from ids held in memory.
    async fn prune(
        &self,
        connection: &mut AnyConnection,
        api: &ClerkApi,
        resource: Resource,
        cutoff: i64,
        report: &mut ResourceReport,
    ) -> Result<(), BackfillError> {
        let table = table_of(resource);
        let mut after = String::new();
        loop {
            let rows = listed_ids::unlisted(
                connection,
                self.backend(),
                table,
                self.sql(table),
                cutoff,
                &after,
            )
            .await?;
            for row in &rows {
                let row = row_json(table, row)?;
                let id = row["id"].as_str().unwrap_or_default();
                match api.presence(resource, &row).await {
                    Ok(Presence::Gone) => {
                        if self.prune_one(resource, id, cutoff).await? {
                            report.pruned += 1;
                        }
                    }
                    Ok(Presence::Present(object)) => {
                        tracing::warn!(resource = %resource, id, "Absent from the listing but Clerk still has it: applied, not pruned");
                        report.present += 1;
                        let object = ListedObject::parse(resource, object);
                        let counts = self
                            .apply_page(connection, resource, std::slice::from_ref(&object))
                            .await?;
                        report.add(counts);
                    }
                    Err(PageError::Fatal(error)) => return Err(error),
                    Err(PageError::Incomplete(reason)) => {
                        report.incomplete = Some(format!(
                            "could not confirm with Clerk that {id} is gone, so it and the rest were not pruned: {reason}"
                        ));
                        return Ok(());
                    }
                }
                after = id.to_owned();
            }
            if rows.len() < CANDIDATES_PER_BATCH {
                return Ok(());
            }
        }
    }
}

/// How many full pages in a row may bring nothing new before a listing is declared stuck.
const MAX_STALLED_PAGES: u32 = 8;

/// The smallest page a backfill asks for: a page must hold more than its overlap.
pub const MIN_PAGE_SIZE: usize = 2;

/// How many objects each page re-reads from the previous one: about 2 % (10 of 500),
/// enough for as many deletions between two pages, and at least one.
fn overlap(limit: usize) -> usize {
    (limit / 50).clamp(1, limit - 1)
}

/// The table a resource is mirrored into.
pub(crate) fn table_of(resource: Resource) -> &'static Table {
    match resource {
        Resource::Users => &USERS,
        Resource::Organizations => &ORGANIZATIONS,
        Resource::OrganizationMemberships => &MEMBERSHIPS,
    }
}
