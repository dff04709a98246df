//! Receive verified Clerk webhooks in [actix-web](https://docs.rs/actix-web).
//!
//! [`ClerkWebhook`] is an extractor: it reads the body up to the configured limit, verifies
//! the Svix signature on the raw bytes, and hands your handler the typed event. It takes
//! its [`WebhookConfig`] from `web::Data<WebhookConfig>` app data.
//!
//! ```
//! use actix_web::{App, HttpResponse, web};
//! use clerk_webhook_actix_web::{ClerkEvent, ClerkWebhook, WebhookConfig, WebhookVerifier};
//!
//! async fn webhook(ClerkWebhook(webhook): ClerkWebhook) -> HttpResponse {
//!     if let ClerkEvent::UserCreated(user) = webhook.event() {
//!         println!("new user {}", user.id);
//!     }
//!     HttpResponse::Ok().body("Webhook received")
//! }
//!
//! # fn main() -> Result<(), clerk_webhook_actix_web::WebhookError> {
//! let config = WebhookConfig::new(WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?)
//!     .with_body_limit(256 * 1024);
//! let app = App::new()
//!     .app_data(web::Data::new(config))
//!     .route("/api/webhooks", web::post().to(webhook));
//! # Ok(())
//! # }
//! ```
//!
//! A failed verification answers `400 Error verifying webhook` (and logs why); a body over
//! the limit answers 413. To answer differently, take
//! `Result<ClerkWebhook, WebhookRejection>` and match on [`WebhookRejection::reason`].

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use clerk_webhook_core::receive;
use futures_util::StreamExt as _;
use futures_util::future::LocalBoxFuture;

pub use clerk_webhook_core::{
    self as core, ClerkEvent, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

clerk_webhook_core::integration_types!();

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(receive::REJECTION_CONTENT_TYPE);
        if let Some(control) = self.0.delivery_control() {
            response.insert_header((receive::DELIVERY_CONTROL_HEADER, control));
        }
        response.body(self.0.response_body())
    }
}

impl FromRequest for ClerkWebhook {
    type Error = WebhookRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let config = request
                .app_data::<web::Data<WebhookConfig>>()
                .ok_or_else(|| {
                    Rejection::not_configured("add app_data(web::Data::new(WebhookConfig))")
                })?;
            let content_length = request
                .headers()
                .get(header::CONTENT_LENGTH)
                .map(|v| v.as_bytes());
            config.check_declared_length(content_length)?;
            let mut body = config.body_collector(content_length);
            let read = async {
                while let Some(chunk) = payload.next().await {
                    body.push(&chunk.map_err(Rejection::body_read)?)?;
                }
                Ok::<_, Rejection>(())
            };
            actix_web::rt::time::timeout(config.body_timeout(), read)
                .await
                .map_err(|_| Rejection::body_timeout(config.body_timeout()))??;
            let headers = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
            Ok(Self(config.verify(headers, body.finish())?))
        })
    }
}
