#![doc = include_str!("../README.md")]

use warp::http::HeaderMap;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection as WarpRejection};

pub use clerk_webhook_core::{
    ClerkEvent, ConfigError, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

mod serve;
mod trace;
pub use serve::{SHUTDOWN_GRACE, serve};
pub use trace::delivery_span;

clerk_webhook_core::integration_types!();

impl ClerkWebhook {
    /// Extracts a verified delivery, or rejects with a [`WebhookRejection`].
    pub fn filter(
        config: WebhookConfig,
    ) -> impl Filter<Extract = (Self,), Error = WarpRejection> + Clone {
        Self::filter_result(config).and_then(|result: Result<Self, WebhookRejection>| async move {
            result.map_err(warp::reject::custom)
        })
    }

    /// Extracts the outcome itself, for a handler that shapes its own error response.
    pub fn filter_result(
        config: WebhookConfig,
    ) -> impl Filter<Extract = (Result<Self, WebhookRejection>,), Error = WarpRejection> + Clone
    {
        warp::any()
            .map(move || config.clone())
            .and(warp::header::headers_cloned())
            .and(warp::body::stream())
            .then(
                |config: WebhookConfig, headers: HeaderMap, body| async move {
                    config
                        .receive(&headers, body, tokio::time::sleep)
                        .await
                        .map(Self)
                        .map_err(WebhookRejection)
                },
            )
    }
}

impl warp::reject::Reject for WebhookRejection {}

impl WebhookRejection {
    /// For `.recover(…)`: answers a [`WebhookRejection`] per the contract and passes every
    /// other rejection on, for warp's own 404 and 405.
    ///
    /// # Errors
    /// The rejection, unchanged, when it is not a [`WebhookRejection`].
    pub async fn recover(rejection: WarpRejection) -> Result<Response, WarpRejection> {
        match rejection.find::<Self>() {
            Some(webhook_rejection) => Ok(webhook_rejection.0.to_http_response()),
            None => Err(rejection),
        }
    }
}

impl Reply for WebhookRejection {
    fn into_response(self) -> Response {
        self.0.to_http_response()
    }
}
