//! [`SyncHook`]: your own code, run inside the transaction that changes the mirror.

use std::future::Future;

use clerk_webhook_core::ClerkEvent;
use clerk_webhook_core::data::{Organization, OrganizationMembership, User};
use sqlx::AnyConnection;

use crate::api::Resource;

/// What a hook may fail with: any error. It rolls the whole delivery back.
pub type HookError = Box<dyn std::error::Error + Send + Sync>;

/// Application code that keeps your own tables in step with the mirror, with the mirror's
/// guarantees.
///
/// [`SyncStore::with_hook`](crate::SyncStore::with_hook) installs it. The store calls it
/// inside the transaction that holds the delivery's ledger row and the guarded mirror
/// write, for each mirror row that actually changed (inserted, updated, turned into a
/// tombstone), with that transaction. Duplicates, stale versions, quarantined and ignored
/// deliveries never reach it. Backfills, prunes and quarantine replays go through it too.
///
/// A webhook delivery calls [`on_change`](Self::on_change) with its one change. A backfill
/// applies each listed page (up to 500 objects) in one transaction and calls
/// [`on_changes`](Self::on_changes) once with the page's changes; by default that calls
/// `on_change` for each, and a hook that writes many rows faster in one statement (a
/// multi-row `INSERT … ON CONFLICT`) overrides it.
///
/// An error rolls everything back, ledger row included: the delivery is answered 5xx and
/// Svix retries it, and nothing is half-applied. So do only database work on `tx` here:
/// a mail, an HTTP call or anything else that cannot be rolled back belongs after the
/// commit, or in a job queue.
pub trait SyncHook: Send + Sync {
    /// Applies one change to your tables through `tx`.
    fn on_change(
        &self,
        change: &MirrorChange<'_>,
        tx: &mut AnyConnection,
    ) -> impl Future<Output = Result<(), HookError>> + Send;

    /// Applies several changes (one listed page's, in listing order, each id at most once)
    /// to your tables through `tx`. The default calls [`on_change`](Self::on_change) for
    /// each, in order; an override must have the same effect. The store never calls it
    /// with an empty slice.
    fn on_changes(
        &self,
        changes: &[MirrorChange<'_>],
        tx: &mut AnyConnection,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        async move {
            for change in changes {
                self.on_change(change, &mut *tx).await?;
            }
            Ok(())
        }
    }
}

/// No hook: the mirror tables alone.
impl SyncHook for () {
    async fn on_change(
        &self,
        _change: &MirrorChange<'_>,
        _tx: &mut AnyConnection,
    ) -> Result<(), HookError> {
        Ok(())
    }
}

/// One change to the mirror, as a [`SyncHook`] sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct MirrorChange<'a> {
    /// Which table.
    pub resource: Resource,
    /// The object's id.
    pub id: &'a str,
    /// What happened to the row.
    pub kind: ChangeKind,
    /// The new version, typed, or [`Mirrored::Deleted`].
    pub object: Mirrored<'a>,
    /// The envelope `timestamp` in Unix milliseconds; `None` for a backfill or a prune.
    pub timestamp: Option<i64>,
    /// The delivery's `svix-id`; `None` for a backfill or a prune.
    pub svix_id: Option<&'a str>,
}

/// What happened to a mirror row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new row.
    Inserted,
    /// A newer version replaced the row.
    Updated,
    /// The row is now a tombstone.
    Deleted,
}

/// The object a change wrote.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Mirrored<'a> {
    /// A user's new version.
    User(&'a User),
    /// An organization's new version.
    Organization(&'a Organization),
    /// A membership's new version.
    Membership(&'a OrganizationMembership),
    /// A tombstone: the object was deleted (its data cleared).
    Deleted,
}

impl<'a> Mirrored<'a> {
    /// The typed object an upsert event carries, or [`Mirrored::Deleted`].
    pub(crate) fn of(event: Option<&'a ClerkEvent>) -> Self {
        match event {
            Some(ClerkEvent::UserCreated(user) | ClerkEvent::UserUpdated(user)) => Self::User(user),
            Some(ClerkEvent::OrganizationCreated(org) | ClerkEvent::OrganizationUpdated(org)) => {
                Self::Organization(org)
            }
            Some(
                ClerkEvent::OrganizationMembershipCreated(m)
                | ClerkEvent::OrganizationMembershipUpdated(m),
            ) => Self::Membership(m),
            _ => Self::Deleted,
        }
    }
}
