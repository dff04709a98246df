//! [`ClerkEvent`]: every event type Clerk emits, with typed data.

use crate::data::{
    DeletedObject, Email, Organization, OrganizationDomain, OrganizationInvitation,
    OrganizationMembership, PaymentAttempt, Permission, Role, Session, SmsMessage, Subscription,
    SubscriptionItem, User, WaitlistEntry,
};
use crate::error::PayloadProblem;

macro_rules! clerk_events {
    ($( $(#[$doc:meta])* $name:literal => $variant:ident($data:ty), )*) => {
        /// A Clerk event with its typed `data`.
        ///
        /// One variant per event type Clerk emits (46 of them), plus [`ClerkEvent::Unknown`]
        /// for any type Clerk adds later: a new type is a valid event, never an error.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum ClerkEvent {
            $( $(#[$doc])* #[doc = concat!("`", $name, "`")] $variant($data), )*
            /// An event type this version of the crate does not know.
            Unknown {
                /// The `type` as Clerk sent it.
                event_type: String,
                /// The `data` as Clerk sent it.
                data: serde_json::Value,
            },
        }

        /// Every event type [`ClerkEvent`] has a variant for, as Clerk spells them.
        pub const EVENT_TYPES: &[&str] = &[$($name),*];

        impl ClerkEvent {
            /// The event type, as Clerk spells it (`"user.created"`).
            #[must_use]
            pub fn event_type(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $name, )*
                    Self::Unknown { event_type, .. } => event_type,
                }
            }

            /// `data.id`, when there is one.
            #[must_use]
            pub fn data_id(&self) -> Option<&str> {
                match self {
                    $( Self::$variant(data) => Some(data.id.as_str()), )*
                    Self::Unknown { data, .. } => data.get("id").and_then(serde_json::Value::as_str),
                }
            }

            /// Parses `data` (raw JSON text) as the type `event_type` names.
            pub(crate) fn parse(event_type: &str, data: &str) -> Result<Self, PayloadProblem> {
                let mismatch = |error: serde_json::Error| PayloadProblem::DataMismatch {
                    event_type: event_type.to_owned(),
                    detail: error.to_string(),
                };
                match event_type {
                    $( $name => serde_json::from_str(data).map(Self::$variant).map_err(mismatch), )*
                    _ => serde_json::from_str(data)
                        .map(|data| Self::Unknown { event_type: event_type.to_owned(), data })
                        .map_err(mismatch),
                }
            }
        }
    };
}

clerk_events! {
    "email.created" => EmailCreated(Email),
    "organization.created" => OrganizationCreated(Organization),
    "organization.updated" => OrganizationUpdated(Organization),
    "organization.deleted" => OrganizationDeleted(DeletedObject),
    "organizationDomain.created" => OrganizationDomainCreated(OrganizationDomain),
    "organizationDomain.updated" => OrganizationDomainUpdated(OrganizationDomain),
    "organizationDomain.deleted" => OrganizationDomainDeleted(DeletedObject),
    "organizationInvitation.created" => OrganizationInvitationCreated(OrganizationInvitation),
    "organizationInvitation.accepted" => OrganizationInvitationAccepted(OrganizationInvitation),
    "organizationInvitation.revoked" => OrganizationInvitationRevoked(OrganizationInvitation),
    "organizationMembership.created" => OrganizationMembershipCreated(OrganizationMembership),
    "organizationMembership.updated" => OrganizationMembershipUpdated(OrganizationMembership),
    "organizationMembership.deleted" => OrganizationMembershipDeleted(OrganizationMembership),
    "paymentAttempt.created" => PaymentAttemptCreated(PaymentAttempt),
    "paymentAttempt.updated" => PaymentAttemptUpdated(PaymentAttempt),
    "permission.created" => PermissionCreated(Permission),
    "permission.updated" => PermissionUpdated(Permission),
    "permission.deleted" => PermissionDeleted(DeletedObject),
    "role.created" => RoleCreated(Role),
    "role.updated" => RoleUpdated(Role),
    "role.deleted" => RoleDeleted(DeletedObject),
    "session.created" => SessionCreated(Session),
    "session.pending" => SessionPending(Session),
    "session.ended" => SessionEnded(Session),
    "session.removed" => SessionRemoved(Session),
    "session.revoked" => SessionRevoked(Session),
    "sms.created" => SmsCreated(SmsMessage),
    "subscription.created" => SubscriptionCreated(Subscription),
    "subscription.updated" => SubscriptionUpdated(Subscription),
    "subscription.active" => SubscriptionActive(Subscription),
    "subscription.pastDue" => SubscriptionPastDue(Subscription),
    "subscriptionItem.created" => SubscriptionItemCreated(SubscriptionItem),
    "subscriptionItem.updated" => SubscriptionItemUpdated(SubscriptionItem),
    "subscriptionItem.active" => SubscriptionItemActive(SubscriptionItem),
    "subscriptionItem.canceled" => SubscriptionItemCanceled(SubscriptionItem),
    "subscriptionItem.upcoming" => SubscriptionItemUpcoming(SubscriptionItem),
    "subscriptionItem.ended" => SubscriptionItemEnded(SubscriptionItem),
    "subscriptionItem.abandoned" => SubscriptionItemAbandoned(SubscriptionItem),
    "subscriptionItem.incomplete" => SubscriptionItemIncomplete(SubscriptionItem),
    "subscriptionItem.pastDue" => SubscriptionItemPastDue(SubscriptionItem),
    "subscriptionItem.freeTrialEnding" => SubscriptionItemFreeTrialEnding(SubscriptionItem),
    "user.created" => UserCreated(User),
    "user.updated" => UserUpdated(User),
    "user.deleted" => UserDeleted(DeletedObject),
    "waitlistEntry.created" => WaitlistEntryCreated(WaitlistEntry),
    "waitlistEntry.updated" => WaitlistEntryUpdated(WaitlistEntry),
}
