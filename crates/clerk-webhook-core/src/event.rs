//! [`ClerkEvent`]: every event type Clerk emits, with typed data.

use crate::data::AsId as _;
use crate::data::{
    DeletedObject, Email, Organization, OrganizationDomain, OrganizationInvitation,
    OrganizationMembership, PaymentAttempt, Permission, Role, Session, SmsMessage, Subscription,
    SubscriptionItem, User, WaitlistEntry,
};

macro_rules! clerk_events {
    ($( $(#[$doc:meta])* $name:literal => $variant:ident($data:ty), )*) => {
        /// A Clerk event with its typed `data`.
        ///
        /// One variant per event type Clerk emits (46 of them), plus
        /// [`ClerkEvent::Unknown`] for any type Clerk adds later and
        /// [`ClerkEvent::Mismatched`] for a known type whose `data` Clerk has changed: a
        /// correctly signed event is never an error because this crate's model is behind.
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
            /// A known event type whose `data` does not fit this crate's model: Clerk added
            /// or changed a field. The delivery is authentic and should be acknowledged;
            /// log `error`, keep `data`, and upgrade `clerk-webhook-core`.
            ///
            /// Also any event, known type or not, whose `data` no `serde_json::Value` can
            /// hold (nested deeper than serde_json's recursion limit of 128, a number
            /// beyond `f64`, a lone surrogate): `data` is then `Null`, and the text is
            /// intact in `VerifiedWebhook::data_json` and `raw_body`.
            Mismatched {
                /// The `type` as Clerk sent it (one of [`EVENT_TYPES`], or any type when
                /// `data` cannot be held as a value).
                event_type: String,
                /// The `data` as Clerk sent it, or `Null` when it cannot be held as a value.
                data: serde_json::Value,
                /// Why it did not fit, as serde tells it (field, expected type, position).
                error: String,
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
                    Self::Unknown { event_type, .. } | Self::Mismatched { event_type, .. } => {
                        event_type
                    }
                }
            }

            /// `data.id`, when there is one (for [`ClerkEvent::Unknown`] and
            /// [`ClerkEvent::Mismatched`], when `data.id` is a string).
            #[must_use]
            pub fn data_id(&self) -> Option<&str> {
                match self {
                    $( Self::$variant(data) => data.id.as_id(), )*
                    Self::Unknown { data, .. } | Self::Mismatched { data, .. } => {
                        data.get("id").and_then(serde_json::Value::as_str)
                    }
                }
            }

            /// `data` as JSON. For a typed event, the typed model serialized: every field
            /// Clerk sent comes back (those the model does not type from each struct's
            /// `extra`), and optional fields Clerk left out come back as `null` (lists as
            /// `[]`). For [`ClerkEvent::Unknown`] and [`ClerkEvent::Mismatched`], `data` as
            /// received.
            #[must_use]
            pub fn data_value(&self) -> serde_json::Value {
                match self {
                    // Serializing these types cannot fail: every map key is a string.
                    $( Self::$variant(data) => {
                        serde_json::to_value(data).unwrap_or(serde_json::Value::Null)
                    } )*
                    Self::Unknown { data, .. } | Self::Mismatched { data, .. } => data.clone(),
                }
            }

            /// Parses `data` (JSON text, as Clerk sends it in an event or as its Backend API
            /// returns the same object) as the type `event_type` names. A known type whose
            /// data does not fit is [`ClerkEvent::Mismatched`]; an unknown type is
            /// [`ClerkEvent::Unknown`].
            ///
            /// This trusts its input: use it on data you verified or fetched yourself.
            ///
            /// # Errors
            /// Only when `data` is not JSON at all.
            pub fn from_data(event_type: &str, data: &str) -> Result<Self, serde_json::Error> {
                let typed = match event_type {
                    $( $name => serde_json::from_str(data).map(Self::$variant), )*
                    _ => {
                        return serde_json::from_str(data).map(|data| Self::Unknown {
                            event_type: event_type.to_owned(),
                            data,
                        });
                    }
                };
                typed.or_else(|error| {
                    serde_json::from_str(data).map(|data| Self::Mismatched {
                        event_type: event_type.to_owned(),
                        data,
                        error: error.to_string(),
                    })
                })
            }
        }
    };
}

impl ClerkEvent {
    /// Why `data` did not fit the model, for [`ClerkEvent::Mismatched`].
    #[must_use]
    pub fn mismatch(&self) -> Option<&str> {
        match self {
            Self::Mismatched { error, .. } => Some(error),
            _ => None,
        }
    }
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
