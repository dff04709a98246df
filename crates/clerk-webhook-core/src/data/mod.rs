//! The typed `data` of each Clerk event.
//!
//! Clerk's payloads drift: fields appear, disappear and turn `null` between API versions,
//! and the Dashboard's samples are sparser than the OpenAPI examples. So every field is
//! optional (lists default to empty; `id` too, where Clerk's spec lets it be absent), and
//! every struct keeps the fields it does not type in `extra`: serializing a struct gives back
//! what Clerk sent. [`crate::VerifiedWebhook::data`] re-parses `data` into any type of yours.
//!
//! The model follows Clerk's published webhook spec (`clerk/openapi-specs`,
//! `webhooks/2025-04-15.yml`): every example of it, and payloads generated from every `data`
//! schema in it, parse into these types (the crate's `spec_*` tests). Where Clerk's examples
//! and schemas disagree (`sms.created`'s `created_at` and `created_at_ms`), both are read.

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

/// `data.id` of each typed event: a `String`, or an `Option` where Clerk may leave it out.
pub(crate) trait AsId {
    /// The id, when there is one.
    fn as_id(&self) -> Option<&str>;
}

impl AsId for String {
    fn as_id(&self) -> Option<&str> {
        Some(self)
    }
}

impl AsId for Option<String> {
    fn as_id(&self) -> Option<&str> {
        self.as_deref()
    }
}

/// JSON metadata as Clerk sends it (`public_metadata`, `private_metadata`, …).
pub type Metadata = serde_json::Value;
