//! Signing secrets: parsing `whsec_…` values into keyed HMAC state.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _};
use sha2::Sha256;

use crate::error::{SecretProblem, WebhookError};

/// The prefix Clerk (and Svix) put in front of the base64 key.
pub const SECRET_PREFIX: &str = "whsec_";

/// A published, insecure secret for local development only: `.env.example`, the demo and
/// the CLI use it, and the example servers warn at start-up when they run with it. Never
/// configure it on a real endpoint: anyone can sign deliveries with it.
pub const DEVELOPMENT_SECRET: &str = "whsec_Y2xlcmstd2ViaG9va3MtZGV2ZWxvcG1lbnQtb25seS1zZWNyZXQh";

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// One endpoint signing secret, decoded and keyed once.
///
/// `Debug` never prints the key.
#[derive(Clone)]
pub struct SigningSecret {
    keyed: HmacSha256,
}

impl SigningSecret {
    /// Parses `whsec_<base64>` or bare standard base64.
    ///
    /// # Errors
    /// [`WebhookError::MissingSecret`] when the value is blank,
    /// [`WebhookError::InvalidSecret`] when it is not decodable.
    pub fn parse(value: &str) -> Result<Self, WebhookError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(WebhookError::MissingSecret);
        }
        let encoded = match value.strip_prefix(SECRET_PREFIX) {
            Some("") => return Err(invalid(SecretProblem::EmptyAfterPrefix)),
            Some(rest) => rest,
            None => value,
        };
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| invalid(SecretProblem::NotBase64))?;
        Self::from_key(&key)
    }

    /// Uses raw key bytes directly (what `whsec_` base64-encodes).
    ///
    /// # Errors
    /// [`WebhookError::InvalidSecret`] with [`SecretProblem::EmptyKey`] for an empty key:
    /// HMAC would accept it, and then anyone could sign deliveries.
    pub fn from_key(key: &[u8]) -> Result<Self, WebhookError> {
        if key.is_empty() {
            return Err(invalid(SecretProblem::EmptyKey));
        }
        // HMAC accepts keys of any length, so this cannot fail.
        let keyed = match HmacSha256::new_from_slice(key) {
            Ok(keyed) => keyed,
            Err(_) => unreachable_invalid_length(),
        };
        Ok(Self { keyed })
    }

    pub(crate) fn keyed(&self) -> &HmacSha256 {
        &self.keyed
    }
}

#[cold]
fn unreachable_invalid_length() -> ! {
    unreachable!("HMAC takes keys of any length")
}

fn invalid(reason: SecretProblem) -> WebhookError {
    WebhookError::InvalidSecret { reason }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

/// Splits a list of secrets separated by whitespace or commas, as
/// `CLERK_WEBHOOK_SIGNING_SECRET` may hold during a rotation.
pub(crate) fn split_secret_list(list: &str) -> impl Iterator<Item = &str> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
}
