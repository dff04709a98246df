//! What applying one delivery did.

use std::fmt;

/// What [`crate::SyncStore::apply`] did with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyncOutcome {
    /// A new row.
    Inserted,
    /// A newer (or equally new) version replaced the row.
    Updated,
    /// The row is newer, or deleted: nothing changed.
    Stale,
    /// This `svix-id` was applied before: nothing changed.
    Duplicate,
    /// The row is now a tombstone (it may not have existed).
    Deleted,
    /// An event type the store does not mirror; recorded in the ledger only.
    Ignored,
    /// Backfill only: the row already holds this version (same `updated_at`).
    Unchanged,
    /// A mirrored event type whose `data` did not fit this version's types: the body is
    /// kept in `clerk_webhook_quarantine` for [`crate::SyncStore::replay_quarantined`].
    Quarantined,
}

impl SyncOutcome {
    /// The outcome's name, as logged.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inserted => "inserted",
            Self::Updated => "updated",
            Self::Stale => "stale",
            Self::Duplicate => "duplicate",
            Self::Deleted => "deleted",
            Self::Ignored => "ignored",
            Self::Quarantined => "quarantined",
            Self::Unchanged => "unchanged",
        }
    }
}

impl fmt::Display for SyncOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
