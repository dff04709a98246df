//! Receive verified Clerk webhooks in [axum](https://docs.rs/axum).
//!
//! [`ClerkWebhook`] is an extractor: it reads the body up to the configured limit, verifies
//! the Svix signature on the raw bytes, and hands your handler the typed event. It takes
//! its [`WebhookConfig`] from the router's state through [`FromRef`], so the config can be
//! the whole state or one field of yours (`#[derive(FromRef)]`).
//!
//! ```
//! use axum::{Router, routing::post};
//! use clerk_webhook_axum::{ClerkEvent, ClerkWebhook, WebhookConfig, WebhookVerifier};
//!
//! async fn webhook(ClerkWebhook(webhook): ClerkWebhook) -> &'static str {
//!     if let ClerkEvent::UserCreated(user) = webhook.event() {
//!         println!("new user {}", user.id);
//!     }
//!     "Webhook received"
//! }
//!
//! # fn main() -> Result<(), clerk_webhook_axum::WebhookError> {
//! let config = WebhookConfig::new(WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?)
//!     .with_body_limit(256 * 1024);
//! let app: Router = Router::new().route("/api/webhooks", post(webhook)).with_state(config);
//! # Ok(())
//! # }
//! ```
//!
//! A failed verification answers `400 Error verifying webhook` (and logs why); a body over
//! the limit answers 413. To answer differently, take
//! `Result<ClerkWebhook, WebhookRejection>` and match on [`WebhookRejection::reason`].

use axum::body::Body;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clerk_webhook_core::receive;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

pub use clerk_webhook_core::{
    self as core, ClerkEvent, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

clerk_webhook_core::integration_types!();

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let content_type = [(header::CONTENT_TYPE, receive::REJECTION_CONTENT_TYPE)];
        let mut response = (status, content_type, self.0.response_body()).into_response();
        if let Some(control) = self.0.delivery_control() {
            response.headers_mut().insert(
                receive::DELIVERY_CONTROL_HEADER,
                HeaderValue::from_static(control),
            );
        }
        response
    }
}

impl<S> FromRequest<S> for ClerkWebhook
where
    S: Send + Sync,
    WebhookConfig: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let config = WebhookConfig::from_ref(state);
        let (parts, body) = request.into_parts();
        let content_length = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .map(|v| v.as_bytes());
        config.check_declared_length(content_length)?;
        let read = read_limited(body, config.body_limit());
        let body = tokio::time::timeout(config.body_timeout(), read)
            .await
            .map_err(|_| Rejection::body_timeout(config.body_timeout()))??;
        Ok(Self(config.verify(&parts.headers, body)?))
    }
}

async fn read_limited(body: Body, limit: usize) -> Result<axum::body::Bytes, Rejection> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(Rejection::too_large(limit))
        }
        Err(error) => Err(Rejection::body_read(error)),
    }
}
