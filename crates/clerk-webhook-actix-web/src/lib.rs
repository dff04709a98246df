#![doc = include_str!("../README.md")]

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use clerk_webhook_core::{DELIVERY_CONTROL_HEADER, REJECTION_CONTENT_TYPE};
use futures_util::future::LocalBoxFuture;

pub use clerk_webhook_core::{
    ClerkEvent, ConfigError, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

mod trace;
pub use trace::delivery_span;

clerk_webhook_core::integration_types!();

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        // actix-web has its own `StatusCode` type; every status the contract uses is valid.
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(REJECTION_CONTENT_TYPE);
        if let Some(control) = self.0.delivery_control() {
            response.insert_header((DELIVERY_CONTROL_HEADER, control));
        }
        response.body(self.0.response_body())
    }
}

impl FromRequest for ClerkWebhook {
    type Error = WebhookRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            let config = request
                .app_data::<web::Data<WebhookConfig>>()
                .ok_or_else(|| {
                    Rejection::not_configured("add app_data(web::Data::new(WebhookConfig))")
                })?;
            // UTF-8, not `to_str` (visible ASCII only): `svix-id: msg_été` is a valid id.
            let headers = |name: &str| {
                request
                    .headers()
                    .get(name)
                    .and_then(|value| std::str::from_utf8(value.as_bytes()).ok())
            };
            let webhook = config
                .receive(headers, payload, actix_web::rt::time::sleep)
                .await?;
            Ok(Self(webhook))
        })
    }
}
