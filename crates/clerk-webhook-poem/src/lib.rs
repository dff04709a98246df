//! Receive verified Clerk webhooks in [poem](https://docs.rs/poem).
//!
//! [`ClerkWebhook`] is an extractor: it reads the body up to the configured limit, verifies
//! the Svix signature on the raw bytes, and hands your handler the typed event. It takes
//! its [`WebhookConfig`] from the request's data, added with `.data(config)`.
//!
//! ```
//! use clerk_webhook_poem::{ClerkEvent, ClerkWebhook, WebhookConfig, WebhookVerifier};
//! use poem::{EndpointExt, Route, handler, post};
//!
//! #[handler]
//! fn webhook(ClerkWebhook(webhook): ClerkWebhook) -> &'static str {
//!     if let ClerkEvent::UserCreated(user) = webhook.event() {
//!         println!("new user {}", user.id);
//!     }
//!     "Webhook received"
//! }
//!
//! # fn main() -> Result<(), clerk_webhook_poem::WebhookError> {
//! let config = WebhookConfig::new(WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?)
//!     .with_body_limit(256 * 1024);
//! let app = Route::new().at("/api/webhooks", post(webhook)).data(config);
//! # Ok(())
//! # }
//! ```
//!
//! A failed verification answers `400 Error verifying webhook` (and logs why); a body over
//! the limit answers 413. To answer differently, take `poem::Result<ClerkWebhook>` and
//! look at `error.downcast_ref::<WebhookRejection>()`, then [`WebhookRejection::reason`].

use clerk_webhook_core::receive;
use futures_util::StreamExt as _;
use poem::error::ResponseError;
use poem::http::{StatusCode, header};
use poem::{FromRequest, Request, RequestBody, Response};

pub use clerk_webhook_core::{
    self as core, ClerkEvent, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

clerk_webhook_core::integration_types!();

impl ResponseError for WebhookRejection {
    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn as_response(&self) -> Response {
        let mut response = Response::builder()
            .status(self.status())
            .content_type(receive::REJECTION_CONTENT_TYPE);
        if let Some(control) = self.0.delivery_control() {
            response = response.header(receive::DELIVERY_CONTROL_HEADER, control);
        }
        response.body(self.0.response_body())
    }
}

impl<'a> FromRequest<'a> for ClerkWebhook {
    async fn from_request(request: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(
            extract(request, body).await.map_err(WebhookRejection)?,
        ))
    }
}

async fn extract(request: &Request, body: &mut RequestBody) -> Result<VerifiedWebhook, Rejection> {
    let config = request
        .data::<WebhookConfig>()
        .ok_or_else(|| Rejection::not_configured("add .data(WebhookConfig) to the endpoint"))?;
    let content_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .map(|v| v.as_bytes());
    config.check_declared_length(content_length)?;
    let mut collector = config.body_collector(content_length);
    let mut chunks = body
        .take()
        .map_err(Rejection::body_read)?
        .into_bytes_stream();
    let read = async {
        while let Some(chunk) = chunks.next().await {
            collector.push(&chunk.map_err(Rejection::body_read)?)?;
        }
        Ok::<_, Rejection>(())
    };
    tokio::time::timeout(config.body_timeout(), read)
        .await
        .map_err(|_| Rejection::body_timeout(config.body_timeout()))??;
    config.verify(request.headers(), collector.finish())
}
