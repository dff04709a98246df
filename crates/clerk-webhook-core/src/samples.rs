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
