//! The one error type of this crate.

use std::fmt;

/// Everything that can go wrong when building a verifier or verifying a delivery.
///
/// The messages are worded like Clerk's and the Standard Webhooks libraries' own, so that
/// searching for one finds the same advice. None of them ever contains a secret or a
/// signature value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No signing secret was configured (the variable is unset, empty or blank).
    #[error(
        "Missing webhook signing secret. Set CLERK_WEBHOOK_SIGNING_SECRET (in the environment or in .env) to your endpoint's Signing Secret from the Clerk Dashboard (Webhooks, your endpoint). To try things locally without a Clerk account: `cp .env.example .env` (a public development secret), or make one with `clerk-webhook secret`."
    )]
    MissingSecret,

    /// A signing secret was configured but is not `whsec_` followed by standard base64.
    #[error(
        "Invalid webhook signing secret: {reason}. Copy the Signing Secret (whsec_...) from the Clerk Dashboard."
    )]
    InvalidSecret {
        /// Why the secret was refused (never the secret itself).
        reason: SecretProblem,
    },

    /// One or more of the `svix-id`, `svix-timestamp`, `svix-signature` headers is absent or blank.
    #[error("Missing required webhook headers: {}", missing.join(", "))]
    MissingHeaders {
        /// The missing header names, in the order id, timestamp, signature.
        missing: Vec<&'static str>,
    },

    /// The timestamp header is not a plain decimal number of seconds.
    #[error("Invalid Signature Headers: the timestamp header is not a whole number of seconds")]
    InvalidTimestamp,

    /// The delivery was signed more than the tolerance (5 minutes by default) ago.
    #[error("Message timestamp too old")]
    TimestampTooOld {
        /// The timestamp the delivery carries, in Unix seconds.
        timestamp: i64,
        /// The verifier's clock, in Unix seconds.
        now: i64,
    },

    /// The delivery claims to be signed more than the tolerance in the future.
    #[error("Message timestamp too new")]
    TimestampTooNew {
        /// The timestamp the delivery carries, in Unix seconds.
        timestamp: i64,
        /// The verifier's clock, in Unix seconds.
        now: i64,
    },

    /// No `v1` signature in the header matches the body under any configured secret.
    #[error("No matching signature found")]
    NoMatchingSignature,

    /// The signature matched, but the body is not a Clerk event at all (not JSON, not an
    /// object, no string `type` or no object `data`). The delivery is authentic: no retry can
    /// fix it. (A known event type whose `data` does not fit this crate's model is not an
    /// error: it is [`ClerkEvent::Mismatched`](crate::ClerkEvent::Mismatched).)
    #[error("Invalid webhook payload: {reason}")]
    InvalidPayload {
        /// What is wrong with the body.
        reason: PayloadProblem,
    },
}

/// Why a signing secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretProblem {
    /// `whsec_` with nothing after it.
    EmptyAfterPrefix,
    /// The part after `whsec_` is not standard, padded base64.
    NotBase64,
    /// The key is empty: anyone could sign with it.
    EmptyKey,
}

impl fmt::Display for SecretProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EmptyAfterPrefix => "nothing follows the whsec_ prefix",
            Self::NotBase64 => "it is not whsec_ followed by standard base64",
            Self::EmptyKey => "the key is empty, so anyone could sign deliveries",
        })
    }
}

/// What is wrong with a correctly signed body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadProblem {
    /// The body is not JSON at all.
    NotJson(String),
    /// The body is JSON, but not an object.
    NotObject,
    /// The object has no string `type`.
    MissingType,
    /// The object has no object `data`.
    MissingData,
}

impl fmt::Display for PayloadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(detail) => write!(f, "the body is not JSON ({detail})"),
            Self::NotObject => f.write_str("the body is not a JSON object"),
            Self::MissingType => f.write_str("the event has no string `type`"),
            Self::MissingData => f.write_str("the event has no object `data`"),
        }
    }
}

impl WebhookError {
    /// Whether the signature matched: only [`WebhookError::InvalidPayload`] comes after
    /// the signature check. An authentic delivery that fails can never succeed on a retry.
    #[must_use]
    pub fn is_authentic(&self) -> bool {
        matches!(self, Self::InvalidPayload { .. })
    }

    pub(crate) fn payload(reason: PayloadProblem) -> Self {
        Self::InvalidPayload { reason }
    }
}
