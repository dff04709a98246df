//! Verify Clerk webhook deliveries and turn them into typed Clerk events.
//!
//! Clerk sends webhooks through Svix: each delivery carries `svix-id`, `svix-timestamp` and
//! `svix-signature` headers, and the signature is an HMAC-SHA256, keyed with your endpoint's
//! Signing Secret (`whsec_…`), over `{svix-id}.{svix-timestamp}.{raw body}`. This crate
//! checks exactly that, on the bytes as received, before any JSON parsing:
//!
//! - the secret is parsed once, when the [`WebhookVerifier`] is built, so a bad secret
//!   stops your program at start-up, not on the first delivery;
//! - headers are found case-insensitively (`webhook-*`, the Standard Webhooks names, work
//!   too), and every missing one is named;
//! - the timestamp must be plain decimal seconds within ±5 minutes (configurable);
//! - every `v1` signature in the header is compared in constant time; an empty `v1,` never
//!   matches;
//! - only then is the body parsed, and it must be an object with a string `type` and an
//!   object `data` (Clerk's SDK accepts a signed body without `type`; this crate does not:
//!   [`WebhookError::InvalidPayload`], whose [`is_authentic`](WebhookError::is_authentic)
//!   says that no retry can fix it);
//! - a known event type whose `data` does not fit the typed model (Clerk added or changed a
//!   field) is no error: it is [`ClerkEvent::Mismatched`], with the raw `data` and the parse
//!   error, so you can acknowledge it, log it and upgrade.
//!
//! No web framework is involved: integrations for actix-web, axum, poem, Rocket and warp
//! live in their own crates and call [`WebhookVerifier::verify`] in one line.
//!
//! # Example
//!
//! ```
//! use clerk_webhook_core::{ClerkEvent, WebhookVerifier};
//!
//! # fn main() -> Result<(), clerk_webhook_core::WebhookError> {
//! // In a server: `WebhookVerifier::from_env()?`, reading CLERK_WEBHOOK_SIGNING_SECRET.
//! let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//!
//! // What Clerk sends (here signed by the verifier itself, as your tests can do).
//! let body = br#"{"type":"user.created","object":"event","data":{"id":"user_123","first_name":"Ada"}}"#;
//! let now = std::time::SystemTime::now()
//!     .duration_since(std::time::UNIX_EPOCH)
//!     .map_or(0, |d| d.as_secs() as i64);
//! let signature = verifier.sign("msg_1", now, body);
//! let timestamp = now.to_string();
//! let headers = [
//!     ("svix-id", "msg_1"),
//!     ("svix-timestamp", timestamp.as_str()),
//!     ("svix-signature", signature.as_str()),
//! ];
//!
//! // Any `Fn(&str) -> Option<&str>` works as the header source, as does `&http::HeaderMap`
//! // with the `http` feature.
//! let webhook = verifier.verify(&headers, body.as_slice())?;
//! assert_eq!(webhook.message_id(), "msg_1");
//! match webhook.event() {
//!     ClerkEvent::UserCreated(user) => assert_eq!(user.first_name.as_deref(), Some("Ada")),
//!     other => println!("Received {}", other.event_type()),
//! }
//!
//! // A tampered body is refused with the reason.
//! let tampered = body.as_slice().to_vec().into_iter().rev().collect::<Vec<u8>>();
//! let error = verifier.verify(&headers, tampered).unwrap_err();
//! assert_eq!(error.to_string(), "No matching signature found");
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//! - `http`: `&http::HeaderMap` is a [`HeaderSource`].
//! - `samples`: [`samples`], Clerk's published example payload for every event type.
//! - `testing`: [`testing`], deliveries signed as Svix signs them, for tests and tools.

pub mod data;
mod error;
mod event;
mod headers;
mod integration;
mod receive;
#[cfg(feature = "samples")]
pub mod samples;
mod secret;
mod signature;
#[cfg(feature = "testing")]
pub mod testing;
mod timestamp;
mod verifier;
mod webhook;

pub use error::{PayloadProblem, SecretProblem, WebhookError};
pub use event::{ClerkEvent, EVENT_TYPES};
pub use headers::HeaderSource;
pub use receive::{
    ABORT_MESSAGE, DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DELIVERY_CONTROL_HEADER,
    REJECTION_CONTENT_TYPE, Rejection, WebhookConfig,
};
pub use secret::{DEVELOPMENT_SECRET, SECRET_PREFIX, SigningSecret};
pub use timestamp::DEFAULT_TOLERANCE;
pub use verifier::{SECRET_ENV_VAR, VerifiedHeaders, WebhookVerifier};
pub use webhook::{EventAttributes, HttpRequestAttributes, VerifiedWebhook};
