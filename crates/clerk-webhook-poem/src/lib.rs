#![doc = include_str!("../README.md")]

use poem::error::ResponseError;
use poem::http::StatusCode;
use poem::{FromRequest, Request, RequestBody, Response};

pub use clerk_webhook_core::{
    ClerkEvent, ConfigError, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

mod serve;
mod trace;
pub use serve::{SHUTDOWN_GRACE, serve};
pub use trace::delivery_span;

clerk_webhook_core::integration_types!();

impl ResponseError for WebhookRejection {
    fn status(&self) -> StatusCode {
        self.0.http_status()
    }

    fn as_response(&self) -> Response {
        let (parts, body) = self.0.to_http_response::<poem::Body>().into_parts();
        let mut response = Response::from(body);
        response.set_status(parts.status);
        *response.headers_mut() = parts.headers;
        response
    }
}

impl<'a> FromRequest<'a> for ClerkWebhook {
    async fn from_request(request: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let webhook = receive(request, body).await.map_err(WebhookRejection)?;
        Ok(Self(webhook))
    }
}

async fn receive(request: &Request, body: &mut RequestBody) -> Result<VerifiedWebhook, Rejection> {
    let config = request
        .data::<WebhookConfig>()
        .ok_or_else(|| Rejection::not_configured("add .data(WebhookConfig) to the endpoint"))?;
    let stream = body
        .take()
        .map(poem::Body::into_bytes_stream)
        // Taken by another extractor first: a wiring mistake, not the client's.
        .map_err(|_| Rejection::not_configured("read the body only through ClerkWebhook"))?;
    config
        .receive(request.headers(), stream, tokio::time::sleep)
        .await
}
