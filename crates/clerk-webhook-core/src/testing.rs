//! Signed deliveries for tests and tools (feature `testing`).
//!
//! One type for everything that signs a delivery the way Svix does: this crate's tests, the
//! shared integration suite, the `clerk-webhook` CLI and the sync store's tests, and your
//! own tests of your handler.
//!
//! ```
//! use clerk_webhook_core::WebhookVerifier;
//! use clerk_webhook_core::testing::{SignedDelivery, unix_now};
//!
//! # fn main() -> Result<(), clerk_webhook_core::WebhookError> {
//! let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! let body = r#"{"type":"user.created","data":{"id":"user_1"}}"#;
//! let delivery = SignedDelivery::sign(&verifier, "msg_1", unix_now(), body);
//! // What to send: the svix-* headers and the body.
//! let [(name, _), _, _] = delivery.headers();
//! assert_eq!(name, "svix-id");
//! assert_eq!(delivery.verify_with(&verifier, std::time::SystemTime::now())?.data_id(), Some("user_1"));
//! # Ok(())
//! # }
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::WebhookError;
use crate::verifier::WebhookVerifier;
use crate::webhook::VerifiedWebhook;

/// The header names Svix sends, in the order id, timestamp, signature.
pub const SVIX_HEADER_NAMES: [&str; 3] = ["svix-id", "svix-timestamp", "svix-signature"];

/// The Standard Webhooks header names, in the same order.
pub const STANDARD_HEADER_NAMES: [&str; 3] =
    ["webhook-id", "webhook-timestamp", "webhook-signature"];

/// Now, in Unix seconds.
#[must_use]
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// A delivery as Svix sends it: id, timestamp, signature header and body. Every field is
/// public, so a test can break any part of it after signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDelivery {
    /// `svix-id`.
    pub id: String,
    /// `svix-timestamp`, Unix seconds.
    pub timestamp: i64,
    /// `svix-signature`: `v1,<base64>`.
    pub signature: String,
    /// The body, exactly as signed.
    pub body: Vec<u8>,
}

impl SignedDelivery {
    /// `body` signed as message `id` at `timestamp`, with `verifier`'s first secret.
    #[must_use]
    pub fn sign(
        verifier: &WebhookVerifier,
        id: impl Into<String>,
        timestamp: i64,
        body: impl Into<Vec<u8>>,
    ) -> Self {
        let (id, body) = (id.into(), body.into());
        let signature = verifier.sign(&id, timestamp, &body);
        Self {
            id,
            timestamp,
            signature,
            body,
        }
    }

    /// The `svix-*` headers, as `(name, value)`.
    #[must_use]
    pub fn headers(&self) -> [(&'static str, String); 3] {
        self.headers_named(SVIX_HEADER_NAMES)
    }

    /// The three headers under other names (id, timestamp, signature), for example
    /// [`STANDARD_HEADER_NAMES`].
    #[must_use]
    pub fn headers_named(&self, names: [&'static str; 3]) -> [(&'static str, String); 3] {
        [
            (names[0], self.id.clone()),
            (names[1], self.timestamp.to_string()),
            (names[2], self.signature.clone()),
        ]
    }

    /// Verifies this delivery as a receiver would at `now`.
    ///
    /// # Errors
    /// As [`WebhookVerifier::verify_at`].
    pub fn verify_with(
        &self,
        verifier: &WebhookVerifier,
        now: SystemTime,
    ) -> Result<VerifiedWebhook, WebhookError> {
        let headers = self.headers();
        let pairs = headers
            .each_ref()
            .map(|(name, value)| (*name, value.as_str()));
        verifier.verify_at(&pairs, self.body.clone(), now)
    }
}
