//! The typed `data` of each Clerk event.
//!
//! Clerk's payloads drift: fields appear, disappear and turn `null` between API versions,
//! and the Dashboard's samples are sparser than the OpenAPI examples. So every struct here
//! ignores unknown fields, and every field except `id` is optional (lists default to empty).
//! What is not typed is still there: [`crate::VerifiedWebhook::data`] re-parses `data` into
//! any type of yours.

mod billing;
mod deleted;
mod messages;
mod organization;
mod roles;
mod session;
mod user;
mod waitlist;

pub use billing::{BillingPayer, PaymentAttempt, Subscription, SubscriptionItem};
pub use deleted::DeletedObject;
pub use messages::{Email, SmsMessage};
pub use organization::{
    Organization, OrganizationDomain, OrganizationInvitation, OrganizationMembership,
    PublicOrganizationData, PublicUserData,
};
pub use roles::{Permission, Role};
pub use session::{Session, SessionActivity};
pub use user::{EmailAddress, PhoneNumber, User};
pub use waitlist::WaitlistEntry;

use serde::{Deserialize, Deserializer};

/// Reads `null` as the type's default (an empty list), as a missing field already is.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// JSON metadata as Clerk sends it (`public_metadata`, `private_metadata`, …).
pub type Metadata = serde_json::Value;
