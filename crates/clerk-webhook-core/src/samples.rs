//! Clerk's published example payload for every event type (feature `samples`).
//!
//! 45 come from Clerk's webhook OpenAPI spec (`clerk/openapi-specs`, `webhooks/2025-04-15.yml`,
//! commit 7987d1b7) with their quirks kept; `subscriptionItem.created`, which the spec dropped,
//! is made from `subscriptionItem.active`. See `samples/README.md` in the crate.

/// One sample delivery body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The event type, as Clerk spells it.
    pub event_type: &'static str,
    /// The body, pretty-printed JSON.
    pub payload: &'static str,
}

/// Every sample, one per event type in [`crate::EVENT_TYPES`], sorted by type.
pub const SAMPLES: &[Sample] = &[
    Sample {
        event_type: "email.created",
        payload: include_str!("../samples/email.created.json"),
    },
    Sample {
        event_type: "organization.created",
        payload: include_str!("../samples/organization.created.json"),
    },
    Sample {
        event_type: "organization.deleted",
        payload: include_str!("../samples/organization.deleted.json"),
    },
    Sample {
        event_type: "organization.updated",
        payload: include_str!("../samples/organization.updated.json"),
    },
    Sample {
        event_type: "organizationDomain.created",
        payload: include_str!("../samples/organizationDomain.created.json"),
    },
    Sample {
        event_type: "organizationDomain.deleted",
        payload: include_str!("../samples/organizationDomain.deleted.json"),
    },
    Sample {
        event_type: "organizationDomain.updated",
        payload: include_str!("../samples/organizationDomain.updated.json"),
    },
    Sample {
        event_type: "organizationInvitation.accepted",
        payload: include_str!("../samples/organizationInvitation.accepted.json"),
    },
    Sample {
        event_type: "organizationInvitation.created",
        payload: include_str!("../samples/organizationInvitation.created.json"),
    },
    Sample {
        event_type: "organizationInvitation.revoked",
        payload: include_str!("../samples/organizationInvitation.revoked.json"),
    },
    Sample {
        event_type: "organizationMembership.created",
        payload: include_str!("../samples/organizationMembership.created.json"),
    },
    Sample {
        event_type: "organizationMembership.deleted",
        payload: include_str!("../samples/organizationMembership.deleted.json"),
    },
    Sample {
        event_type: "organizationMembership.updated",
        payload: include_str!("../samples/organizationMembership.updated.json"),
    },
    Sample {
        event_type: "paymentAttempt.created",
        payload: include_str!("../samples/paymentAttempt.created.json"),
    },
    Sample {
        event_type: "paymentAttempt.updated",
        payload: include_str!("../samples/paymentAttempt.updated.json"),
    },
    Sample {
        event_type: "permission.created",
        payload: include_str!("../samples/permission.created.json"),
    },
    Sample {
        event_type: "permission.deleted",
        payload: include_str!("../samples/permission.deleted.json"),
    },
    Sample {
        event_type: "permission.updated",
        payload: include_str!("../samples/permission.updated.json"),
    },
    Sample {
        event_type: "role.created",
        payload: include_str!("../samples/role.created.json"),
    },
    Sample {
        event_type: "role.deleted",
        payload: include_str!("../samples/role.deleted.json"),
    },
    Sample {
        event_type: "role.updated",
        payload: include_str!("../samples/role.updated.json"),
    },
    Sample {
        event_type: "session.created",
        payload: include_str!("../samples/session.created.json"),
    },
    Sample {
        event_type: "session.ended",
        payload: include_str!("../samples/session.ended.json"),
    },
    Sample {
        event_type: "session.pending",
        payload: include_str!("../samples/session.pending.json"),
    },
    Sample {
        event_type: "session.removed",
        payload: include_str!("../samples/session.removed.json"),
    },
    Sample {
        event_type: "session.revoked",
        payload: include_str!("../samples/session.revoked.json"),
    },
    Sample {
        event_type: "sms.created",
        payload: include_str!("../samples/sms.created.json"),
    },
    Sample {
        event_type: "subscription.active",
        payload: include_str!("../samples/subscription.active.json"),
    },
    Sample {
        event_type: "subscription.created",
        payload: include_str!("../samples/subscription.created.json"),
    },
    Sample {
        event_type: "subscription.pastDue",
        payload: include_str!("../samples/subscription.pastDue.json"),
    },
    Sample {
        event_type: "subscription.updated",
        payload: include_str!("../samples/subscription.updated.json"),
    },
    Sample {
        event_type: "subscriptionItem.abandoned",
        payload: include_str!("../samples/subscriptionItem.abandoned.json"),
    },
    Sample {
        event_type: "subscriptionItem.active",
        payload: include_str!("../samples/subscriptionItem.active.json"),
    },
    Sample {
        event_type: "subscriptionItem.canceled",
        payload: include_str!("../samples/subscriptionItem.canceled.json"),
    },
    Sample {
        event_type: "subscriptionItem.created",
        payload: include_str!("../samples/subscriptionItem.created.json"),
    },
    Sample {
        event_type: "subscriptionItem.ended",
        payload: include_str!("../samples/subscriptionItem.ended.json"),
    },
    Sample {
        event_type: "subscriptionItem.freeTrialEnding",
        payload: include_str!("../samples/subscriptionItem.freeTrialEnding.json"),
    },
    Sample {
        event_type: "subscriptionItem.incomplete",
        payload: include_str!("../samples/subscriptionItem.incomplete.json"),
    },
    Sample {
        event_type: "subscriptionItem.pastDue",
        payload: include_str!("../samples/subscriptionItem.pastDue.json"),
    },
    Sample {
        event_type: "subscriptionItem.upcoming",
        payload: include_str!("../samples/subscriptionItem.upcoming.json"),
    },
    Sample {
        event_type: "subscriptionItem.updated",
        payload: include_str!("../samples/subscriptionItem.updated.json"),
    },
    Sample {
        event_type: "user.created",
        payload: include_str!("../samples/user.created.json"),
    },
    Sample {
        event_type: "user.deleted",
        payload: include_str!("../samples/user.deleted.json"),
    },
    Sample {
        event_type: "user.updated",
        payload: include_str!("../samples/user.updated.json"),
    },
    Sample {
        event_type: "waitlistEntry.created",
        payload: include_str!("../samples/waitlistEntry.created.json"),
    },
    Sample {
        event_type: "waitlistEntry.updated",
        payload: include_str!("../samples/waitlistEntry.updated.json"),
    },
];

/// The sample body for `event_type`, if there is one.
#[must_use]
pub fn sample(event_type: &str) -> Option<&'static str> {
    SAMPLES
        .iter()
        .find(|sample| sample.event_type == event_type)
        .map(|sample| sample.payload)
}

/// Clerk's sample of `event_type` as compact JSON, with `data[field]` set to `value`: a
/// delivery whose data has drifted from this crate's model, as when Clerk changes a field.
/// `None` for an event type without a sample.
#[must_use]
pub fn drifted(event_type: &str, field: &str, value: serde_json::Value) -> Option<String> {
    let mut body: serde_json::Value = serde_json::from_str(sample(event_type)?).ok()?;
    body.get_mut("data")?
        .as_object_mut()?
        .insert(field.to_owned(), value);
    Some(body.to_string())
}

/// Drifted deliveries of known types that every receiver must acknowledge: `(case, body)`.
/// Each is a real sample with one field changed the way Clerk has changed fields before (a
/// timestamp as an ISO string, a string become an object, an object become a string).
#[must_use]
pub fn drifted_samples() -> Vec<(&'static str, String)> {
    [
        (
            "user.created whose created_at is an ISO string",
            "user.created",
            "created_at",
            serde_json::Value::from("2024-05-28T00:00:00Z"),
        ),
        (
            "session.created whose status is an object",
            "session.created",
            "status",
            serde_json::json!({ "value": "active", "since": 1_716_883_200 }),
        ),
        (
            "organizationMembership.created whose organization is a string",
            "organizationMembership.created",
            "organization",
            serde_json::Value::from("org_1"),
        ),
    ]
    .into_iter()
    .filter_map(|(case, event_type, field, value)| {
        drifted(event_type, field, value).map(|body| (case, body))
    })
    .collect()
}
