//! What every framework integration shares: configuration, the body limit, and how a
//! failure maps to a response.
//!
//! The integrations (`clerk-webhook-axum`, `-actix-web`, `-poem`, `-rocket`, `-warp`) are thin
//! glue around this module, so they behave the same by construction:
//!
//! | situation | status | body (`text/plain`) |
//! |---|---|---|
//! | verified | handler's choice | handler's choice |
//! | `Content-Length` or the body itself over the limit | 413 | `Webhook payload too large` |
//! | the body could not be read (client aborted, bad chunking) | 400 | `Error reading webhook body` |
//! | the body did not arrive within the body timeout (15 s by default) | 408 | `Webhook body timed out` |
//! | forged or unverifiable (headers, timestamp, signature: any other [`WebhookError`]) | 400, no `webhook-delivery` header, so Svix keeps retrying (a wrong secret is fixable) | `Error verifying webhook` |
//! | authentic but unusable (the signature matched; the body is not JSON, not an object, or has no string `type` or no object `data`) | 400 with `webhook-delivery: abort-message`: no retry could fix it | `Invalid webhook payload` |
//! | authentic, a known type whose `data` does not fit the model, or any `data` no `serde_json::Value` can hold (too deep, a number beyond `f64`) | handed to the handler as [`ClerkEvent::Mismatched`](crate::ClerkEvent::Mismatched) | handler's choice |
//! | no [`WebhookConfig`] in the app's state | 500 | `Webhook receiver is not configured` |
//!
//! Every rejection is logged once, through `tracing`, with its precise reason
//! (`Error verifying webhook: No matching signature found`). Nothing logged ever holds a
//! secret or a signature.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::future::{Either, select};
use futures_util::{Stream, StreamExt as _};

use crate::error::{PayloadProblem, WebhookError};
use crate::headers::HeaderSource;
use crate::secret::uses_development_secret;
use crate::verifier::{SECRET_ENV_VAR, WebhookVerifier};
use crate::webhook::VerifiedWebhook;

/// The default body limit: 1 MiB. Clerk's events are a few KB; Svix caps payloads well
/// below this.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// How long a client may take to send the whole body: 15 s, Svix's own delivery timeout.
/// A client that stalls longer (a slow-body attack) is answered 408 and disconnected.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(15);

/// The environment variable [`WebhookConfig::from_env`] reads the body timeout from, in
/// whole seconds.
pub const BODY_TIMEOUT_ENV_VAR: &str = "WEBHOOK_BODY_TIMEOUT";

/// A configuration that cannot be used: the program should stop at start-up with this one
/// line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The signing secret is missing or malformed.
    #[error(transparent)]
    Secret(#[from] WebhookError),
    /// A setting that must be a whole number of seconds above 0 is not.
    #[error("Invalid {name} {value:?}: expected a whole number of seconds above 0")]
    InvalidSeconds {
        /// The environment variable.
        name: &'static str,
        /// What it holds.
        value: String,
    },
}

/// The `Content-Type` of every rejection's body.
pub const REJECTION_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// Svix's delivery-control response header: `abort-message` stops the retries of one
/// message, `disable` disables the endpoint.
pub const DELIVERY_CONTROL_HEADER: &str = "webhook-delivery";

/// The [`DELIVERY_CONTROL_HEADER`] value that stops one message's retries.
pub const ABORT_MESSAGE: &str = "abort-message";

/// What a framework integration needs: the verifier and the body limit.
///
/// Put it in your app's state the framework's usual way; cloning is cheap.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    verifier: WebhookVerifier,
    body_limit: usize,
    body_timeout: Duration,
}

impl WebhookConfig {
    /// A configuration with the default 1 MiB body limit.
    #[must_use]
    pub fn new(verifier: WebhookVerifier) -> Self {
        Self {
            verifier,
            body_limit: DEFAULT_BODY_LIMIT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }

    /// Reads the secret(s) from `CLERK_WEBHOOK_SIGNING_SECRET` (several, comma- or
    /// space-separated, during a rotation) and the body timeout from `WEBHOOK_BODY_TIMEOUT`
    /// (whole seconds, default 15). Logs a warning when the public [`DEVELOPMENT_SECRET`]
    /// is among the secrets, in either spelling ([`uses_development_secret`]). Call it at
    /// start-up and stop on an error: it names the setting.
    ///
    /// [`DEVELOPMENT_SECRET`]: crate::DEVELOPMENT_SECRET
    /// [`uses_development_secret`]: crate::uses_development_secret
    ///
    /// # Errors
    /// [`ConfigError::Secret`] as [`WebhookVerifier::from_env`];
    /// [`ConfigError::InvalidSeconds`] for a `WEBHOOK_BODY_TIMEOUT` that is not a whole
    /// number of seconds above 0.
    pub fn from_env() -> Result<Self, ConfigError> {
        // Every setting is read before anything is logged: a bad one is the only line.
        let verifier = WebhookVerifier::from_env()?;
        let mut config = Self::new(verifier);
        if let Ok(value) = std::env::var(BODY_TIMEOUT_ENV_VAR)
            && !value.trim().is_empty()
        {
            let seconds = value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|seconds| *seconds > 0)
                .ok_or(ConfigError::InvalidSeconds {
                    name: BODY_TIMEOUT_ENV_VAR,
                    value,
                })?;
            config = config.with_body_timeout(Duration::from_secs(seconds));
        }
        let configured = std::env::var(SECRET_ENV_VAR).unwrap_or_default();
        if uses_development_secret(&configured) {
            tracing::warn!(
                "Running with the public development secret from .env.example: anyone can sign \
                 deliveries for it. Set {SECRET_ENV_VAR} to your endpoint's Signing Secret from \
                 the Clerk Dashboard before exposing this server."
            );
        }
        Ok(config)
    }

    /// The largest body accepted, in bytes; a body of exactly this size is accepted.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long the whole body may take to arrive (default 15 s).
    #[must_use]
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The body timeout.
    #[must_use]
    pub fn body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// The verifier.
    #[must_use]
    pub fn verifier(&self) -> &WebhookVerifier {
        &self.verifier
    }

    /// The body limit, in bytes.
    #[must_use]
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Receives one delivery: the one body path every integration shares.
    ///
    /// Refuses a declared `Content-Length` over the limit before reading anything, reads
    /// `body` (the request's chunks, as the framework streams them) up to the limit,
    /// buffering nothing past it, gives up when `sleep(body_timeout)` finishes first, then
    /// verifies the bytes exactly as received and parses them. `sleep` is the runtime's
    /// timer, `tokio::time::sleep` for example: this crate runs on any runtime.
    ///
    /// # Errors
    /// Every [`Rejection`] but [`Rejection::NotConfigured`], each logged once.
    ///
    /// Each call is counted (`clerk_webhook_deliveries_total`, feature `metrics`) and its
    /// `svix_id`, `event_type` and `outcome` are recorded into the current span (see
    /// [`delivery_span`](crate::observe::delivery_span)).
    pub async fn receive<'h, B, E, F, T>(
        &self,
        headers: impl HeaderSource<'h>,
        body: impl Stream<Item = Result<B, E>>,
        sleep: F,
    ) -> Result<VerifiedWebhook, Rejection>
    where
        B: Buf,
        E: std::fmt::Display,
        F: FnOnce(Duration) -> T,
        T: Future<Output = ()>,
    {
        let started = std::time::Instant::now();
        let result = self.receive_unobserved(headers, body, sleep).await;
        crate::observe::received(&result, started.elapsed());
        result
    }

    async fn receive_unobserved<'h, B, E, F, T>(
        &self,
        headers: impl HeaderSource<'h>,
        body: impl Stream<Item = Result<B, E>>,
        sleep: F,
    ) -> Result<VerifiedWebhook, Rejection>
    where
        B: Buf,
        E: std::fmt::Display,
        F: FnOnce(Duration) -> T,
        T: Future<Output = ()>,
    {
        let content_length = headers.header("content-length").map(str::as_bytes);
        self.check_declared_length(content_length)?;
        let mut collector = self.body_collector(content_length);
        let read = async {
            let mut body = pin!(body);
            while let Some(chunk) = body.next().await {
                let mut chunk = chunk.map_err(Rejection::body_read)?;
                while chunk.has_remaining() {
                    let piece = chunk.chunk();
                    let length = piece.len();
                    collector.push(piece)?;
                    chunk.advance(length);
                }
            }
            Ok::<_, Rejection>(())
        };
        match select(pin!(read), pin!(sleep(self.body_timeout))).await {
            Either::Left((read, _)) => read?,
            Either::Right(((), _)) => return Err(Rejection::body_timeout(self.body_timeout)),
        }
        self.verify(headers, collector.finish())
    }

    /// Refuses a request whose declared `Content-Length` is over the limit, before any of
    /// the body is read. A missing or unparsable header passes: the limit is enforced again
    /// while reading.
    pub(crate) fn check_declared_length(
        &self,
        content_length: Option<&[u8]>,
    ) -> Result<(), Rejection> {
        let declared = content_length
            .and_then(|value| std::str::from_utf8(value).ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        match declared {
            Some(length) if length > self.body_limit as u64 => {
                Err(Rejection::too_large(self.body_limit))
            }
            _ => Ok(()),
        }
    }

    /// A collector for the body that enforces the limit, sized from the declared length.
    pub(crate) fn body_collector(&self, content_length: Option<&[u8]>) -> BodyCollector {
        let hint = content_length
            .and_then(|value| std::str::from_utf8(value).ok())
            .and_then(|value| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        BodyCollector {
            limit: self.body_limit,
            buf: BytesMut::with_capacity(hint.min(self.body_limit)),
        }
    }

    /// Verifies a complete body and parses it: [`Rejection::Verification`] when the
    /// delivery is forged or unverifiable, [`Rejection::Unusable`] when it is authentic but
    /// not a Clerk event; logged with the reason.
    pub(crate) fn verify<'h>(
        &self,
        headers: impl HeaderSource<'h>,
        body: impl Into<Bytes>,
    ) -> Result<VerifiedWebhook, Rejection> {
        let body = body.into();
        let claimed_id = headers
            .header("svix-id")
            .or_else(|| headers.header("webhook-id"));
        let verified = self
            .verifier
            .verify_signature(headers, &body)
            .map_err(|error| Rejection::Verification(error).logged_with(claimed_id))?;
        VerifiedWebhook::parse(verified.id, verified.timestamp, body).map_err(|error| {
            let reason = match error {
                WebhookError::InvalidPayload { reason } => reason,
                // `parse` only reports payload problems; keep any other reason readable.
                other => PayloadProblem::NotJson(other.to_string()),
            };
            Rejection::Unusable {
                svix_id: verified.id.to_owned(),
                reason,
            }
            .logged()
        })
    }
}

impl From<WebhookVerifier> for WebhookConfig {
    fn from(verifier: WebhookVerifier) -> Self {
        Self::new(verifier)
    }
}

/// Gathers body chunks up to the limit.
#[derive(Debug)]
pub(crate) struct BodyCollector {
    limit: usize,
    buf: BytesMut,
}

impl BodyCollector {
    /// Appends a chunk; [`Rejection::PayloadTooLarge`] as soon as the body passes the
    /// limit, so nothing past the limit is buffered.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), Rejection> {
        if chunk.len() > self.limit - self.buf.len() {
            return Err(Rejection::too_large(self.limit));
        }
        self.buf.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body.
    pub(crate) fn finish(self) -> Bytes {
        self.buf.freeze()
    }
}

/// Why a request was not handed to the handler. Each integration wraps it in its
/// `WebhookRejection`, which turns it into the framework's response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The body, declared or actual, is over the limit.
    #[error("Webhook payload too large: the limit is {limit} bytes")]
    PayloadTooLarge {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The body could not be read.
    #[error("Error reading webhook body: {0}")]
    BodyRead(String),
    /// The body did not arrive within the body timeout.
    #[error("Webhook body timed out: not received within {0:?}")]
    BodyTimeout(Duration),
    /// Verification failed: the delivery is forged or unverifiable (a wrong secret is
    /// fixable, so Svix must keep retrying).
    #[error("Error verifying webhook: {0}")]
    Verification(WebhookError),
    /// The signature matched, but the body is not a Clerk event: no retry can fix it, so
    /// the answer carries `webhook-delivery: abort-message`.
    #[error(
        "Unusable webhook {svix_id} (authentic: the signature matched): {reason}; answered with webhook-delivery: abort-message, so Svix stops retrying it"
    )]
    Unusable {
        /// The delivery's `svix-id`.
        svix_id: String,
        /// What is wrong with the body.
        reason: PayloadProblem,
    },
    /// The app has no [`WebhookConfig`] where the integration looks for it.
    #[error("Webhook receiver is not configured: {0}")]
    NotConfigured(&'static str),
}

impl Rejection {
    /// [`Rejection::PayloadTooLarge`], logged.
    pub(crate) fn too_large(limit: usize) -> Self {
        Self::PayloadTooLarge { limit }.logged()
    }

    /// [`Rejection::BodyRead`], logged.
    pub(crate) fn body_read(error: impl std::fmt::Display) -> Self {
        Self::BodyRead(error.to_string()).logged()
    }

    /// [`Rejection::BodyTimeout`], logged.
    pub(crate) fn body_timeout(timeout: Duration) -> Self {
        Self::BodyTimeout(timeout).logged()
    }

    /// [`Rejection::NotConfigured`], logged as an error: this is the server's fault.
    #[must_use]
    pub fn not_configured(what: &'static str) -> Self {
        Self::NotConfigured(what).logged()
    }

    fn logged(self) -> Self {
        self.logged_with(None)
    }

    /// Logs once, with structured fields: `reason` always, and `svix_id`: the verified one
    /// of an unusable delivery, or for a forgery the one the request claims (`svix_id`
    /// here), if any.
    fn logged_with(self, svix_id: Option<&str>) -> Self {
        match &self {
            Self::NotConfigured(fix) => tracing::error!(reason = %fix, "{self}"),
            Self::Unusable { svix_id, reason } => {
                tracing::warn!(svix_id = %svix_id, reason = %reason, "{self}");
            }
            Self::Verification(reason) => {
                tracing::warn!(svix_id = ?svix_id, reason = %reason, "{self}");
            }
            Self::PayloadTooLarge { limit } => tracing::warn!(limit, "{self}"),
            Self::BodyRead(reason) => tracing::warn!(reason = %reason, "{self}"),
            Self::BodyTimeout(timeout) => tracing::warn!(timeout = ?timeout, "{self}"),
        }
        self
    }

    /// The HTTP status: 413, 408, 400 or 500.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::PayloadTooLarge { .. } => 413,
            Self::BodyTimeout(_) => 408,
            Self::BodyRead(_) | Self::Verification(_) | Self::Unusable { .. } => 400,
            Self::NotConfigured(_) => 500,
        }
    }

    /// The response body: a fixed text that tells an attacker nothing.
    #[must_use]
    pub fn response_body(&self) -> &'static str {
        match self {
            Self::PayloadTooLarge { .. } => "Webhook payload too large",
            Self::BodyRead(_) => "Error reading webhook body",
            Self::BodyTimeout(_) => "Webhook body timed out",
            Self::Verification(_) => "Error verifying webhook",
            Self::Unusable { .. } => "Invalid webhook payload",
            Self::NotConfigured(_) => "Webhook receiver is not configured",
        }
    }

    /// The [`DELIVERY_CONTROL_HEADER`] value to answer with, if any: [`ABORT_MESSAGE`] for
    /// an authentic delivery no retry can fix; `None` for everything a retry might fix
    /// (a wrong secret, a clock, a timeout, a server without configuration).
    #[must_use]
    pub fn delivery_control(&self) -> Option<&'static str> {
        match self {
            Self::Unusable { .. } => Some(ABORT_MESSAGE),
            _ => None,
        }
    }

    /// The HTTP status, as [`http::StatusCode`].
    #[cfg(feature = "http")]
    #[must_use]
    pub fn http_status(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The whole response the contract gives: status, `Content-Type: text/plain`, the
    /// fixed body, and `webhook-delivery` when [`delivery_control`](Self::delivery_control)
    /// says so. For frameworks built on the `http` crate's types.
    #[cfg(feature = "http")]
    #[must_use]
    pub fn to_http_response<B: From<&'static str>>(&self) -> http::Response<B> {
        let mut response = http::Response::new(B::from(self.response_body()));
        *response.status_mut() = self.http_status();
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(REJECTION_CONTENT_TYPE),
        );
        if let Some(control) = self.delivery_control() {
            headers.insert(
                DELIVERY_CONTROL_HEADER,
                http::HeaderValue::from_static(control),
            );
        }
        response
    }

    /// The verification error, when that is what this is.
    #[must_use]
    pub fn webhook_error(&self) -> Option<&WebhookError> {
        match self {
            Self::Verification(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(limit: usize) -> WebhookConfig {
        let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        WebhookConfig::new(verifier.unwrap()).with_body_limit(limit)
    }

    #[test]
    fn declared_length_is_checked_against_the_limit() {
        let config = config(10);
        assert!(config.check_declared_length(Some(b"10")).is_ok());
        assert!(config.check_declared_length(None).is_ok());
        assert!(config.check_declared_length(Some(b"junk")).is_ok());
        let rejection = config.check_declared_length(Some(b"11")).unwrap_err();
        assert_eq!(rejection.status(), 413);
        assert!(
            config
                .check_declared_length(Some(b"99999999999999999999999"))
                .is_ok()
        );
    }

    #[test]
    fn collector_accepts_exactly_the_limit() {
        let config = config(4);
        let mut body = config.body_collector(Some(b"1000000"));
        body.push(b"ab").unwrap();
        body.push(b"cd").unwrap();
        assert!(matches!(
            body.push(b"e"),
            Err(Rejection::PayloadTooLarge { limit: 4 })
        ));
        assert_eq!(body.finish().as_ref(), b"abcd");
    }

    fn signed(config: &WebhookConfig, body: &str) -> Result<VerifiedWebhook, Rejection> {
        let now = crate::timestamp::unix_seconds(std::time::SystemTime::now());
        let signature = config.verifier().sign("msg_1", now, body.as_bytes());
        let now = now.to_string();
        let headers = [
            ("svix-id", "msg_1"),
            ("svix-timestamp", now.as_str()),
            ("svix-signature", signature.as_str()),
        ];
        config.verify(&headers, body.as_bytes().to_vec())
    }

    #[test]
    fn authenticity_and_usability_are_separate_answers() {
        let config = config(1024);
        match signed(&config, r#"{"data":{"id":"user_1"}}"#) {
            Err(Rejection::Unusable { svix_id, reason }) => {
                assert_eq!(
                    (svix_id.as_str(), reason),
                    ("msg_1", PayloadProblem::MissingType)
                );
            }
            other => panic!("expected Unusable, got {other:?}"),
        }
        let drifted = r#"{"type":"user.created","data":{"id":"user_1","created_at":"x"}}"#;
        let webhook = signed(&config, drifted).unwrap();
        assert!(webhook.data_mismatch().is_some());
        let forged = config.verify(
            &[
                ("svix-id", "msg_1"),
                ("svix-timestamp", "1"),
                ("svix-signature", "v1,AAAA"),
            ],
            drifted.as_bytes().to_vec(),
        );
        assert!(matches!(forged, Err(Rejection::Verification(_))));
    }

    #[test]
    fn statuses_and_bodies() {
        let cases = [
            (Rejection::too_large(1), 413, "Webhook payload too large"),
            (
                Rejection::body_read("eof"),
                400,
                "Error reading webhook body",
            ),
            (
                Rejection::Verification(WebhookError::NoMatchingSignature),
                400,
                "Error verifying webhook",
            ),
            (
                Rejection::not_configured("x"),
                500,
                "Webhook receiver is not configured",
            ),
            (
                Rejection::Unusable {
                    svix_id: "msg_1".to_owned(),
                    reason: PayloadProblem::MissingType,
                },
                400,
                "Invalid webhook payload",
            ),
        ];
        for (rejection, status, body) in cases {
            assert_eq!(
                (rejection.status(), rejection.response_body()),
                (status, body)
            );
            let aborts = matches!(rejection, Rejection::Unusable { .. });
            assert_eq!(
                rejection.delivery_control(),
                aborts.then_some(ABORT_MESSAGE),
                "{rejection}"
            );
        }
        assert_eq!(
            Rejection::Verification(WebhookError::NoMatchingSignature).to_string(),
            "Error verifying webhook: No matching signature found"
        );
    }
}
