//! The store's metrics, through the `metrics` facade (feature `metrics`; without it these
//! do nothing). Label values come from fixed sets: never from what a client sent.
//!
//! - `clerk_sync_changes_total{resource, outcome}`: deliveries applied, by outcome.
//! - `clerk_sync_lag_seconds`: time applied minus the envelope's `timestamp`.
//! - `clerk_sync_quarantined`: quarantined deliveries waiting for a replay.
//! - `clerk_sync_backfill_objects_total{resource, outcome}`: listed objects, by outcome.

use crate::api::Resource;
use crate::outcome::SyncOutcome;

/// The `resource` label of an event type: one of four fixed values.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
fn resource_label(event_type: &str) -> &'static str {
    match event_type.split_once('.').map(|(prefix, _)| prefix) {
        Some("user") => "users",
        Some("organization") => "organizations",
        Some("organizationMembership") => "organization_memberships",
        _ => "none",
    }
}

/// The `resource` label of a listing.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
fn listing_label(resource: Resource) -> &'static str {
    match resource {
        Resource::Users => "users",
        Resource::Organizations => "organizations",
        Resource::OrganizationMemberships => "organization_memberships",
    }
}

/// One delivery applied (or found a duplicate), `lag_ms` after its envelope time.
pub(crate) fn delivery(event_type: &str, outcome: SyncOutcome, lag_ms: Option<i64>) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!(
            "clerk_sync_changes_total",
            "resource" => resource_label(event_type),
            "outcome" => outcome.as_str()
        )
        .increment(1);
        if let Some(lag_ms) = lag_ms
            && outcome != SyncOutcome::Duplicate
        {
            #[allow(clippy::cast_precision_loss)] // Milliseconds fit an f64 exactly enough.
            let seconds = lag_ms.max(0) as f64 / 1000.0;
            metrics::histogram!("clerk_sync_lag_seconds").record(seconds);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (event_type, outcome, lag_ms);
}

/// The number of quarantined deliveries now.
pub(crate) fn quarantined(rows: i64) {
    #[cfg(feature = "metrics")]
    {
        #[allow(clippy::cast_precision_loss)] // A row count fits.
        metrics::gauge!("clerk_sync_quarantined").set(rows as f64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = rows;
}

/// `count` listed objects of `resource` ended as `outcome` (`inserted`, `updated`,
/// `stale`, `unchanged`, `unfit`, `present`, `pruned`).
pub(crate) fn backfilled(resource: Resource, outcome: &'static str, count: u64) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "clerk_sync_backfill_objects_total",
        "resource" => listing_label(resource),
        "outcome" => outcome
    )
    .increment(count);
    #[cfg(not(feature = "metrics"))]
    let _ = (resource, outcome, count);
}

/// Whether metrics are emitted (the gauge needs a query to refresh).
pub(crate) const ENABLED: bool = cfg!(feature = "metrics");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_labels_are_a_fixed_set() {
        assert_eq!(resource_label("user.created"), "users");
        assert_eq!(
            resource_label("organizationMembership.deleted"),
            "organization_memberships"
        );
        assert_eq!(resource_label("organization.updated"), "organizations");
        for other in ["session.created", "x", "", "user", "évil.type"] {
            assert_eq!(resource_label(other), "none", "{other}");
        }
        assert_eq!(listing_label(Resource::Users), "users");
    }
}
