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
        Self::from_key(&decode_key(value)?)
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

/// The key bytes of `whsec_<base64>` or bare standard base64: both spellings of one key.
fn decode_key(value: &str) -> Result<Vec<u8>, WebhookError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(WebhookError::MissingSecret);
    }
    let encoded = match value.strip_prefix(SECRET_PREFIX) {
        Some("") => return Err(invalid(SecretProblem::EmptyAfterPrefix)),
        Some(rest) => rest,
        None => value,
    };
    STANDARD
        .decode(encoded)
        .map_err(|_| invalid(SecretProblem::NotBase64))
}

/// Whether `secrets` (one secret, or several separated by commas or whitespace as
/// `CLERK_WEBHOOK_SIGNING_SECRET` holds them during a rotation) includes the public
/// [`DEVELOPMENT_SECRET`], in either spelling: `whsec_…` or the bare base64 after it.
/// Keys are compared, not text. Start-up warnings use it; so should yours.
#[must_use]
pub fn uses_development_secret(secrets: &str) -> bool {
    let Ok(development) = decode_key(DEVELOPMENT_SECRET) else {
        return false;
    };
    split_secret_list(secrets)
        .filter_map(|secret| decode_key(secret).ok())
        .any(|key| key == development)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_development_secret_is_recognised_by_its_key_in_either_spelling() {
        let bare = DEVELOPMENT_SECRET.trim_start_matches(SECRET_PREFIX);
        assert_ne!(bare, DEVELOPMENT_SECRET);
        for secrets in [
            DEVELOPMENT_SECRET.to_owned(),
            bare.to_owned(),
            format!("  {bare}\n"),
            format!("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, {bare}"),
            format!("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw {DEVELOPMENT_SECRET}"),
        ] {
            assert!(uses_development_secret(&secrets), "{secrets:?}");
        }
        for secrets in [
            "",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            // The text of the development secret inside another value is another key (or none).
            &format!("{DEVELOPMENT_SECRET}AAAA"),
            &format!("x{bare}"),
        ] {
            assert!(!uses_development_secret(secrets), "{secrets:?}");
        }
    }
}
