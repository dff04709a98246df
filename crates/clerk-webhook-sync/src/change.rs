//! What a Clerk event changes: an upsert, a tombstone, or nothing.

use clerk_webhook_core::data::{Organization, OrganizationMembership, User};
use clerk_webhook_core::{ClerkEvent, VerifiedWebhook};

use crate::tables::{MEMBERSHIPS, ORGANIZATIONS, Table, USERS};

/// The parts of a verified delivery the store needs.
#[derive(Debug, Clone, Copy)]
pub struct SyncEvent<'a> {
    /// The `svix-id`: the ledger's key.
    pub message_id: &'a str,
    /// The typed event.
    pub event: &'a ClerkEvent,
    /// The envelope's `timestamp` (seconds or milliseconds, as Clerk sent it).
    pub timestamp: Option<i64>,
    /// `data` as received, stored in `raw`.
    pub data_json: &'a str,
    /// The whole body as received, kept in quarantine when `data` does not fit the types.
    pub raw_body: &'a [u8],
}

impl<'a> From<&'a VerifiedWebhook> for SyncEvent<'a> {
    fn from(webhook: &'a VerifiedWebhook) -> Self {
        Self {
            message_id: webhook.message_id(),
            event: webhook.event(),
            timestamp: webhook.timestamp(),
            data_json: webhook.data_json(),
            raw_body: webhook.raw_body(),
        }
    }
}

/// A value to bind, in a table's column order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Text(Option<String>),
    Integer(Option<i64>),
    Json(Option<String>),
}

/// What an event does to the mirrored tables.
#[derive(Debug)]
pub(crate) enum Change {
    Upsert {
        table: &'static Table,
        id: String,
        values: Vec<Bind>,
    },
    Tombstone {
        table: &'static Table,
        id: String,
    },
    /// A mirrored event type whose data did not fit the types: keep the body for a replay.
    Quarantine {
        error: String,
    },
    Nothing,
}

/// The event types the store mirrors: their data must fit, or the delivery is quarantined.
pub const MIRRORED_EVENT_TYPES: &[&str] = &[
    "user.created",
    "user.updated",
    "user.deleted",
    "organization.created",
    "organization.updated",
    "organization.deleted",
    "organizationMembership.created",
    "organizationMembership.updated",
    "organizationMembership.deleted",
];

impl Change {
    pub(crate) fn of(event: &ClerkEvent) -> Self {
        match event {
            ClerkEvent::UserCreated(user) | ClerkEvent::UserUpdated(user) => {
                upsert(&USERS, &user.id, user_values(user))
            }
            ClerkEvent::UserDeleted(stub) | ClerkEvent::OrganizationDeleted(stub) => {
                let table = if matches!(event, ClerkEvent::UserDeleted(_)) {
                    &USERS
                } else {
                    &ORGANIZATIONS
                };
                // Clerk's spec lets `id` be absent: without it there is nothing to delete.
                match &stub.id {
                    Some(id) => Self::Tombstone {
                        table,
                        id: id.clone(),
                    },
                    None => Self::Quarantine {
                        error: "a deletion without data.id".to_owned(),
                    },
                }
            }
            ClerkEvent::OrganizationCreated(org) | ClerkEvent::OrganizationUpdated(org) => {
                upsert(&ORGANIZATIONS, &org.id, organization_values(org))
            }
            ClerkEvent::OrganizationMembershipCreated(m)
            | ClerkEvent::OrganizationMembershipUpdated(m) => {
                upsert(&MEMBERSHIPS, &m.id, membership_values(m))
            }
            ClerkEvent::OrganizationMembershipDeleted(m) => Self::Tombstone {
                table: &MEMBERSHIPS,
                id: m.id.clone(),
            },
            ClerkEvent::Mismatched {
                event_type, error, ..
            } if MIRRORED_EVENT_TYPES.contains(&event_type.as_str()) => Self::Quarantine {
                error: error.clone(),
            },
            _ => Self::Nothing,
        }
    }
}

impl Change {
    /// The `updated_at` an upsert carries, if any.
    pub(crate) fn updated_at(&self) -> Option<i64> {
        let Self::Upsert { table, values, .. } = self else {
            return None;
        };
        let position = table
            .columns
            .iter()
            .position(|(name, _)| *name == "updated_at")?;
        match values.get(position) {
            Some(Bind::Integer(updated_at)) => *updated_at,
            _ => None,
        }
    }
}

fn upsert(table: &'static Table, id: &str, values: Vec<Bind>) -> Change {
    debug_assert_eq!(values.len(), table.columns.len());
    Change::Upsert {
        table,
        id: id.to_owned(),
        values,
    }
}

fn json(value: Option<&serde_json::Value>) -> Bind {
    Bind::Json(
        value
            .filter(|v| !v.is_null())
            .map(serde_json::Value::to_string),
    )
}

fn user_values(user: &User) -> Vec<Bind> {
    vec![
        Bind::Text(user.external_id.clone()),
        Bind::Text(user.primary_email_address().map(str::to_owned)),
        Bind::Text(user.username.clone()),
        Bind::Text(user.first_name.clone()),
        Bind::Text(user.last_name.clone()),
        Bind::Text(user.image_url.clone()),
        json(user.public_metadata.as_ref()),
        json(user.private_metadata.as_ref()),
        json(user.unsafe_metadata.as_ref()),
        Bind::Integer(user.created_at),
        Bind::Integer(user.updated_at),
    ]
}

fn organization_values(org: &Organization) -> Vec<Bind> {
    vec![
        Bind::Text(org.name.clone()),
        Bind::Text(org.slug.clone()),
        Bind::Text(org.image_url.clone()),
        json(org.public_metadata.as_ref()),
        json(org.private_metadata.as_ref()),
        Bind::Integer(org.created_at),
        Bind::Integer(org.updated_at),
    ]
}

fn membership_values(m: &OrganizationMembership) -> Vec<Bind> {
    vec![
        Bind::Text(m.organization_id().map(str::to_owned)),
        Bind::Text(m.user_id().map(str::to_owned)),
        Bind::Text(m.role.clone()),
        Bind::Integer(m.created_at),
        Bind::Integer(m.updated_at),
    ]
}

/// Clerk's envelope `timestamp` in milliseconds: its docs send milliseconds, its OpenAPI
/// examples seconds. Anything below 10^11 is taken as seconds (10^11 ms is in 1973).
#[must_use]
pub fn timestamp_millis(timestamp: i64) -> i64 {
    if timestamp.unsigned_abs() < 100_000_000_000 {
        timestamp.saturating_mul(1000)
    } else {
        timestamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_normalise_to_milliseconds() {
        assert_eq!(timestamp_millis(1_716_883_200), 1_716_883_200_000);
        assert_eq!(timestamp_millis(1_654_012_591_835), 1_654_012_591_835);
    }
}
