use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Metadata, null_as_default};

/// A Clerk user (`user.created`, `user.updated`, and `session.*`'s `user`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// `user_…`
    pub id: String,
    /// `"user"`.
    pub object: Option<String>,
    /// Your own id for this user, if you set one.
    pub external_id: Option<String>,
    /// The id of the primary entry in `email_addresses`.
    pub primary_email_address_id: Option<String>,
    /// The id of the primary entry in `phone_numbers`.
    pub primary_phone_number_id: Option<String>,
    /// The id of the primary Web3 wallet.
    pub primary_web3_wallet_id: Option<String>,
    /// Username, when usernames are enabled.
    pub username: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Profile image.
    pub image_url: Option<String>,
    /// Legacy profile image field.
    pub profile_image_url: Option<String>,
    /// Whether the user uploaded an image.
    pub has_image: Option<bool>,
    /// Metadata readable from the frontend, writable from the backend.
    pub public_metadata: Option<Metadata>,
    /// Backend-only metadata.
    pub private_metadata: Option<Metadata>,
    /// Metadata writable from the frontend.
    pub unsafe_metadata: Option<Metadata>,
    /// All email addresses.
    #[serde(default, deserialize_with = "null_as_default")]
    pub email_addresses: Vec<EmailAddress>,
    /// All phone numbers.
    #[serde(default, deserialize_with = "null_as_default")]
    pub phone_numbers: Vec<PhoneNumber>,
    /// Web3 wallets, untyped.
    #[serde(default, deserialize_with = "null_as_default")]
    pub web3_wallets: Vec<Value>,
    /// OAuth accounts, untyped.
    #[serde(default, deserialize_with = "null_as_default")]
    pub external_accounts: Vec<Value>,
    /// Whether the user has a password.
    pub password_enabled: Option<bool>,
    /// Whether two-factor authentication is on.
    pub two_factor_enabled: Option<bool>,
    /// Whether the user is banned.
    pub banned: Option<bool>,
    /// Whether the user is locked out.
    pub locked: Option<bool>,
    /// Last sign-in, Unix milliseconds.
    pub last_sign_in_at: Option<i64>,
    /// Last activity, Unix milliseconds.
    pub last_active_at: Option<i64>,
    /// When the user accepted the legal terms, Unix milliseconds.
    pub legal_accepted_at: Option<i64>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl User {
    /// The primary email address, found in `email_addresses` by `primary_email_address_id`.
    #[must_use]
    pub fn primary_email_address(&self) -> Option<&str> {
        let primary = self.primary_email_address_id.as_deref()?;
        self.email_addresses
            .iter()
            .find(|email| email.id.as_deref() == Some(primary))
            .and_then(|email| email.email_address.as_deref())
    }

    /// The primary phone number, found in `phone_numbers` by `primary_phone_number_id`.
    #[must_use]
    pub fn primary_phone_number(&self) -> Option<&str> {
        let primary = self.primary_phone_number_id.as_deref()?;
        self.phone_numbers
            .iter()
            .find(|phone| phone.id.as_deref() == Some(primary))
            .and_then(|phone| phone.phone_number.as_deref())
    }
}

/// One of a user's email addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EmailAddress {
    /// `idn_…`. Clerk's spec does not require it.
    pub id: Option<String>,
    /// The address.
    pub email_address: Option<String>,
    /// Verification state, untyped (`{"status": "verified", "strategy": …}`).
    pub verification: Option<Value>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One of a user's phone numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PhoneNumber {
    /// `idn_…`. Clerk's spec does not require it.
    pub id: Option<String>,
    /// The number, E.164.
    pub phone_number: Option<String>,
    /// Verification state, untyped.
    pub verification: Option<Value>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
