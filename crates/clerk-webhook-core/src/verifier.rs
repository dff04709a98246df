//! [`WebhookVerifier`]: checks a delivery's headers and signature, then parses it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use crate::error::WebhookError;
use crate::headers::{HeaderSource, SignatureHeaders};
use crate::secret::{SigningSecret, split_secret_list};
use crate::signature::{
    compute_tag, compute_tag_with_digits, encode_entry, encode_tag, header_matches,
};
use crate::timestamp::{DEFAULT_TOLERANCE, check_window, parse_seconds, unix_seconds};
use crate::webhook::VerifiedWebhook;

/// The environment variable Clerk's guide and SDKs read the Signing Secret from.
pub const SECRET_ENV_VAR: &str = "CLERK_WEBHOOK_SIGNING_SECRET";

/// Verifies Clerk deliveries against one or more endpoint signing secrets.
///
/// Build it once at start-up (a bad secret fails there, never per request) and share it:
/// cloning is cheap. `Debug` never prints a secret.
#[derive(Debug, Clone)]
pub struct WebhookVerifier {
    secrets: Arc<[SigningSecret]>,
    tolerance: Duration,
}

/// The headers of a delivery whose signature matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedHeaders<'h> {
    /// The message id (`svix-id`).
    pub id: &'h str,
    /// The signing time (`svix-timestamp`), Unix seconds.
    pub timestamp: i64,
}

impl WebhookVerifier {
    /// A verifier for one secret: `whsec_<base64>` or bare base64.
    ///
    /// # Errors
    /// [`WebhookError::MissingSecret`] for a blank secret, [`WebhookError::InvalidSecret`]
    /// for one that does not decode.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        Self::from_secrets([secret])
    }

    /// A verifier that accepts a delivery signed with any of `secrets`, as during a secret
    /// rotation, when two endpoints with different secrets deliver to the same URL.
    ///
    /// # Errors
    /// [`WebhookError::MissingSecret`] when there is no secret, and the first error of
    /// [`WebhookVerifier::new`] for a bad one.
    pub fn from_secrets<I, S>(secrets: I) -> Result<Self, WebhookError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let secrets = secrets
            .into_iter()
            .map(|secret| SigningSecret::parse(secret.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_signing_secrets(secrets)
    }

    /// A verifier for already parsed secrets.
    ///
    /// # Errors
    /// [`WebhookError::MissingSecret`] when `secrets` is empty.
    pub fn from_signing_secrets(
        secrets: impl IntoIterator<Item = SigningSecret>,
    ) -> Result<Self, WebhookError> {
        let secrets: Arc<[SigningSecret]> = secrets.into_iter().collect();
        if secrets.is_empty() {
            return Err(WebhookError::MissingSecret);
        }
        Ok(Self {
            secrets,
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// Reads [`SECRET_ENV_VAR`]: one secret, or several separated by whitespace or commas.
    ///
    /// # Errors
    /// [`WebhookError::MissingSecret`] when it is unset or blank, and the errors of
    /// [`WebhookVerifier::new`] for a bad secret.
    pub fn from_env() -> Result<Self, WebhookError> {
        match std::env::var(SECRET_ENV_VAR) {
            Ok(list) => Self::from_secret_list(&list),
            Err(std::env::VarError::NotPresent) => Err(WebhookError::MissingSecret),
            Err(std::env::VarError::NotUnicode(_)) => Err(WebhookError::InvalidSecret {
                reason: crate::error::SecretProblem::NotBase64,
            }),
        }
    }

    /// Parses a list of secrets separated by whitespace or commas (what [`from_env`]
    /// reads), for configuration that comes from elsewhere.
    ///
    /// # Errors
    /// As [`WebhookVerifier::from_env`].
    ///
    /// [`from_env`]: WebhookVerifier::from_env
    pub fn from_secret_list(list: &str) -> Result<Self, WebhookError> {
        Self::from_secrets(split_secret_list(list))
    }

    /// How far the delivery's timestamp may be from now, either way (default 5 minutes).
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The configured tolerance.
    #[must_use]
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// How many secrets this verifier accepts.
    #[must_use]
    pub fn secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// Verifies a delivery against the system clock and parses it.
    ///
    /// `body` must be the bytes exactly as received: the signature covers them, so a body
    /// that was parsed and re-serialized never verifies.
    ///
    /// # Errors
    /// Every [`WebhookError`] a delivery can cause.
    pub fn verify<'h>(
        &self,
        headers: impl HeaderSource<'h>,
        body: impl Into<Bytes>,
    ) -> Result<VerifiedWebhook, WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// [`verify`](Self::verify) with the clock given, for tests and replays.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_at<'h>(
        &self,
        headers: impl HeaderSource<'h>,
        body: impl Into<Bytes>,
        now: SystemTime,
    ) -> Result<VerifiedWebhook, WebhookError> {
        let body = body.into();
        let verified = self.verify_signature_at(headers, &body, now)?;
        VerifiedWebhook::parse(verified.id, verified.timestamp, body)
    }

    /// Checks headers, timestamp and signature only, without looking inside the body.
    ///
    /// # Errors
    /// Every [`WebhookError`] but [`WebhookError::InvalidPayload`].
    pub fn verify_signature<'h>(
        &self,
        headers: impl HeaderSource<'h>,
        body: &[u8],
    ) -> Result<VerifiedHeaders<'h>, WebhookError> {
        self.verify_signature_at(headers, body, SystemTime::now())
    }

    /// [`verify_signature`](Self::verify_signature) with the clock given.
    ///
    /// # Errors
    /// As [`verify_signature`](Self::verify_signature).
    pub fn verify_signature_at<'h>(
        &self,
        headers: impl HeaderSource<'h>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedHeaders<'h>, WebhookError> {
        let headers = SignatureHeaders::read(&headers)?;
        let timestamp = parse_seconds(headers.timestamp)?;
        check_window(timestamp, unix_seconds(now), self.tolerance)?;
        if self.signature_matches(
            headers.id,
            headers.timestamp,
            timestamp,
            body,
            headers.signature,
        ) {
            Ok(VerifiedHeaders {
                id: headers.id,
                timestamp,
            })
        } else {
            Err(WebhookError::NoMatchingSignature)
        }
    }

    /// Svix signs the timestamp in canonical decimal; the header's own digits are that
    /// unless they have leading zeros, in which case the canonical form is signed.
    fn signature_matches(
        &self,
        id: &str,
        timestamp_text: &str,
        timestamp: i64,
        body: &[u8],
        header: &str,
    ) -> bool {
        let mut canonical = [0; 20];
        let digits = if timestamp_text.len() > 1 && timestamp_text.starts_with('0') {
            crate::timestamp::format_seconds(timestamp, &mut canonical)
        } else {
            timestamp_text.as_bytes()
        };
        let tag = |secret| encode_tag(&compute_tag_with_digits(secret, id, digits, body));
        match &*self.secrets {
            [only] => header_matches(header, &[tag(only)]),
            several => {
                let expected: Vec<_> = several.iter().map(tag).collect();
                header_matches(header, &expected)
            }
        }
    }

    /// The `svix-signature` value for a delivery, signed with the first secret:
    /// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
    ///
    /// For the CLI, tests, and your own tests of your handler.
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // A verifier always holds at least one secret (see `from_signing_secrets`).
        self.secrets
            .first()
            .map(|secret| encode_entry(&compute_tag(secret, id, timestamp, body)))
            .unwrap_or_default()
    }
}
