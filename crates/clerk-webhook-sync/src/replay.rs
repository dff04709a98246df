//! Quarantined deliveries and what replaying them did.

use std::collections::HashMap;
use std::fmt;

use serde_json::value::RawValue;

use crate::outcome::SyncOutcome;

/// A delivery kept in `clerk_webhook_quarantine`: authentic, of a mirrored event type, but
/// its `data` did not fit the types of the version that received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// The `svix-id`.
    pub svix_id: String,
    /// The event type.
    pub event_type: String,
    /// Why `data` did not fit (updated by each replay that still cannot apply it).
    pub error: String,
    /// The body exactly as received.
    pub body: String,
    /// When it was received, Unix milliseconds.
    pub received_at: i64,
}

/// What replaying one quarantined delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayOutcome {
    /// It now fits and went through the guards: inserted, updated, deleted, or stale (the
    /// row is newer, or a tombstone). It left quarantine either way.
    Applied(SyncOutcome),
    /// It still does not fit this version's types; it stays quarantined.
    StillQuarantined {
        /// Why, now.
        error: String,
    },
    /// A concurrent replay applied it first.
    AlreadyReplayed,
}

/// One replayed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayedDelivery {
    /// The `svix-id`.
    pub svix_id: String,
    /// The event type.
    pub event_type: String,
    /// What happened.
    pub outcome: ReplayOutcome,
}

/// What [`crate::SyncStore::replay_quarantined`] did, delivery by delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Every quarantined delivery looked at, oldest first.
    pub entries: Vec<ReplayedDelivery>,
}

impl ReplayReport {
    fn count(&self, wanted: impl Fn(&ReplayOutcome) -> bool) -> usize {
        self.entries
            .iter()
            .filter(|entry| wanted(&entry.outcome))
            .count()
    }

    /// Applied and changed the mirror (inserted, updated or deleted).
    #[must_use]
    pub fn applied(&self) -> usize {
        self.count(|outcome| {
            matches!(outcome, ReplayOutcome::Applied(applied) if *applied != SyncOutcome::Stale)
        })
    }

    /// Applied, but the row was newer or a tombstone: nothing changed.
    #[must_use]
    pub fn stale(&self) -> usize {
        self.count(|outcome| *outcome == ReplayOutcome::Applied(SyncOutcome::Stale))
    }

    /// Still quarantined.
    #[must_use]
    pub fn still_quarantined(&self) -> usize {
        self.count(|outcome| matches!(outcome, ReplayOutcome::StillQuarantined { .. }))
    }
}

impl fmt::Display for ReplayOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Applied(outcome) => write!(f, "applied ({outcome})"),
            Self::StillQuarantined { error } => write!(f, "still quarantined: {error}"),
            Self::AlreadyReplayed => f.write_str("already replayed by another run"),
        }
    }
}

impl fmt::Display for ReplayReport {
    /// One line per delivery, then the totals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in &self.entries {
            writeln!(
                f,
                "{} {}: {}",
                entry.svix_id, entry.event_type, entry.outcome
            )?;
        }
        write!(
            f,
            "Replayed {} quarantined deliveries: {} applied, {} stale, {} still quarantined",
            self.entries.len(),
            self.applied(),
            self.stale(),
            self.still_quarantined()
        )
    }
}

/// The parts of a stored body a replay needs, borrowed from it.
pub(crate) struct ParsedBody<'a> {
    pub(crate) data: &'a RawValue,
    pub(crate) timestamp: Option<i64>,
}

impl<'a> ParsedBody<'a> {
    pub(crate) fn of(body: &'a str) -> Result<Self, String> {
        let fields: HashMap<String, &'a RawValue> =
            serde_json::from_str(body).map_err(|error| format!("the body is not JSON: {error}"))?;
        let data = fields
            .get("data")
            .copied()
            .filter(|data| data.get().starts_with('{'))
            .ok_or_else(|| "the event has no object `data`".to_owned())?;
        let timestamp = fields
            .get("timestamp")
            .and_then(|raw| serde_json::from_str(raw.get()).ok());
        Ok(Self { data, timestamp })
    }
}
