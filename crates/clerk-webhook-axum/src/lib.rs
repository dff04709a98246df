#![doc = include_str!("../README.md")]

use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};

pub use clerk_webhook_core::{
    ClerkEvent, ConfigError, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

mod serve;
mod trace;
pub use serve::{SHUTDOWN_GRACE, serve};
pub use trace::delivery_span;

clerk_webhook_core::integration_types!();

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        self.0.to_http_response()
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
        let stream = body.into_data_stream();
        let webhook = config
            .receive(&parts.headers, stream, tokio::time::sleep)
            .await?;
        Ok(Self(webhook))
    }
}
