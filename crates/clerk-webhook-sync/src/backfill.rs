//! [`SyncStore::backfill`]: load what existed before the webhook, and reconcile after an
//! outage longer than Svix's retries.

use std::collections::HashSet;
use std::fmt;

use clerk_webhook_core::ClerkEvent;

use crate::api::{ClerkApi, MAX_PAGE_SIZE, PageError, Resource};
use crate::error::BackfillError;
use crate::outcome::SyncOutcome;
use crate::store::{SyncStore, now_millis};
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
    /// Rows tombstoned by `prune`.
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
            pruned: 0,
            anomalies: Vec::new(),
            incomplete: None,
        }
    }

    fn count(&mut self, outcome: SyncOutcome) {
        match outcome {
            SyncOutcome::Inserted => self.inserted += 1,
            SyncOutcome::Updated => self.updated += 1,
            SyncOutcome::Unchanged => self.unchanged += 1,
            _ => self.stale += 1,
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
            "{:<26} {:>7} {:>8} {:>7} {:>6} {:>9} {:>5} {:>6}",
            "resource", "listed", "inserted", "updated", "stale", "unchanged", "unfit", "pruned"
        )?;
        for r in &self.resources {
            writeln!(
                f,
                "{:<26} {:>7} {:>8} {:>7} {:>6} {:>9} {:>5} {:>6}",
                r.resource.to_string(),
                r.listed,
                r.inserted,
                r.updated,
                r.stale,
                r.unchanged,
                r.unfit,
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
        if self.is_complete() {
            write!(f, "Backfill complete.")
        } else {
            write!(
                f,
                "Backfill INCOMPLETE: what was listed is applied, nothing was pruned where the listing was incomplete; run it again."
            )
        }
    }
}

impl SyncStore {
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
        let limit = options.page_size.clamp(1, MAX_PAGE_SIZE);
        let mut report = BackfillReport::default();
        for resource in Resource::ALL {
            let mut listed = ResourceReport::new(resource);
            let mut seen = HashSet::new();
            loop {
                let offset = listed.listed;
                let page = match api.page(resource, limit, offset).await {
                    Ok(page) => page,
                    Err(PageError::Fatal(error)) => return Err(error),
                    Err(PageError::Incomplete(reason)) => {
                        listed.incomplete = Some(reason);
                        break;
                    }
                };
                let count = page.items.len();
                for item in &page.items {
                    self.apply_listed_item(resource, item.get(), &mut listed, &mut seen)
                        .await?;
                }
                listed.listed += count;
                progress(resource, listed.listed, page.total_count);
                // A full page means there may be more; with a total_count, a short page
                // before reaching it is an anomaly (objects moved between pages).
                let more = match page.total_count {
                    Some(total) if listed.listed as u64 >= total => false,
                    Some(total) if count < limit => {
                        listed.anomalies.push(format!(
                            "the page at offset {offset} held {count} of {limit} objects, but total_count is {total} and only {} were listed: objects may have moved between pages (deleted meanwhile?)",
                            listed.listed
                        ));
                        false
                    }
                    _ => count == limit,
                };
                if !more {
                    break;
                }
            }
            if options.prune && listed.incomplete.is_none() && listed.anomalies.is_empty() {
                listed.pruned = self
                    .prune(resource, &seen, started_at - PRUNE_MARGIN_MS)
                    .await?;
            }
            let stopped = listed.incomplete.is_some();
            tracing::info!(resource = %resource, listed = listed.listed, inserted = listed.inserted,
                updated = listed.updated, stale = listed.stale, unchanged = listed.unchanged,
                pruned = listed.pruned, complete = !stopped, "Backfilled");
            report.resources.push(listed);
            if stopped {
                break;
            }
        }
        Ok(report)
    }

    async fn apply_listed_item(
        &self,
        resource: Resource,
        json: &str,
        report: &mut ResourceReport,
        seen: &mut HashSet<String>,
    ) -> Result<(), BackfillError> {
        match ClerkEvent::from_data(resource.event_type(), json) {
            Ok(event) if event.mismatch().is_none() => {
                if let Some(id) = event.data_id() {
                    seen.insert(id.to_owned());
                }
                report.count(self.apply_listed(&event, json).await?);
            }
            Ok(event) => {
                if let Some(id) = event.data_id() {
                    // It exists in Clerk: never prune it, even if it cannot be applied.
                    seen.insert(id.to_owned());
                }
                report.unfit += 1;
                if report.unfit == 1 {
                    report.anomalies.push(format!(
                        "objects that do not fit this version's types were not applied (first: {}); upgrade clerk-webhook-core",
                        event.mismatch().unwrap_or_default()
                    ));
                }
            }
            Err(error) => {
                report.unfit += 1;
                report
                    .anomalies
                    .push(format!("a listed object is not JSON: {error}"));
            }
        }
        Ok(())
    }
}

/// The table a resource is mirrored into.
pub(crate) fn table_of(resource: Resource) -> &'static Table {
    match resource {
        Resource::Users => &USERS,
        Resource::Organizations => &ORGANIZATIONS,
        Resource::OrganizationMemberships => &MEMBERSHIPS,
    }
}
