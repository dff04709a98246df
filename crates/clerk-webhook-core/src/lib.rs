#![doc = include_str!("../README.md")]

pub mod data;
mod envelope;
mod error;
mod event;
mod headers;
mod integration;
pub mod observe;
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
    ABORT_MESSAGE, BODY_TIMEOUT_ENV_VAR, ConfigError, DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT,
    DELIVERY_CONTROL_HEADER, REJECTION_CONTENT_TYPE, Rejection, WebhookConfig,
};
pub use secret::{DEVELOPMENT_SECRET, SECRET_PREFIX, SigningSecret, uses_development_secret};
pub use timestamp::DEFAULT_TOLERANCE;
pub use verifier::{SECRET_ENV_VAR, VerifiedHeaders, WebhookVerifier};
pub use webhook::{EventAttributes, HttpRequestAttributes, VerifiedWebhook};
