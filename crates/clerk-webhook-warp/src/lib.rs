//! Receive verified Clerk webhooks in [warp](https://docs.rs/warp).
//!
//! [`ClerkWebhook::filter`] is a filter: it reads the body up to the configured limit
//! (chunked bodies included: warp has no body filter here without a limit), verifies the
//! Svix signature on the raw bytes, and extracts the typed event. The [`WebhookConfig`] is
//! moved into the filter and cloned per request (cheaply: the keys are shared).
//!
//! ```
//! use clerk_webhook_warp::{ClerkEvent, ClerkWebhook, WebhookConfig, WebhookRejection, WebhookVerifier};
//! use warp::Filter;
//!
//! fn webhook(webhook: ClerkWebhook) -> &'static str {
//!     if let ClerkEvent::UserCreated(user) = webhook.event() {
//!         println!("new user {}", user.id);
//!     }
//!     "Webhook received"
//! }
//!
//! # fn main() -> Result<(), clerk_webhook_warp::WebhookError> {
//! let config = WebhookConfig::new(WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?)
//!     .with_body_limit(256 * 1024);
//! let routes = warp::post()
//!     .and(warp::path!("api" / "webhooks"))
//!     .and(ClerkWebhook::filter(config))
//!     .map(webhook)
//!     .recover(WebhookRejection::recover);
//! # Ok(())
//! # }
//! ```
//!
//! A failed verification is a rejection; [`WebhookRejection::recover`] turns it into
//! `400 Error verifying webhook` (and the reason was logged), a body over the limit into
//! 413, and leaves other rejections (404, 405) to warp. To answer differently, use
//! [`ClerkWebhook::filter_result`], which extracts `Result<ClerkWebhook, WebhookRejection>`.

use clerk_webhook_core::receive;
use futures_util::{Stream, StreamExt as _};
use warp::http::{HeaderMap, HeaderValue, StatusCode, header};
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection as WarpRejection};

pub use clerk_webhook_core::{
    self as core, ClerkEvent, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

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
                    extract(&config, &headers, body)
                        .await
                        .map(Self)
                        .map_err(WebhookRejection)
                },
            )
    }
}

async fn extract<B: bytes::Buf>(
    config: &WebhookConfig,
    headers: &HeaderMap,
    body: impl Stream<Item = Result<B, warp::Error>>,
) -> Result<VerifiedWebhook, Rejection> {
    let content_length = headers.get(header::CONTENT_LENGTH).map(|v| v.as_bytes());
    config.check_declared_length(content_length)?;
    let mut collector = config.body_collector(content_length);
    let mut body = std::pin::pin!(body);
    let read = async {
        while let Some(chunk) = body.next().await {
            let mut chunk = chunk.map_err(Rejection::body_read)?;
            while chunk.has_remaining() {
                let piece = chunk.chunk();
                let len = piece.len();
                collector.push(piece)?;
                chunk.advance(len);
            }
        }
        Ok::<_, Rejection>(())
    };
    tokio::time::timeout(config.body_timeout(), read)
        .await
        .map_err(|_| Rejection::body_timeout(config.body_timeout()))??;
    config.verify(headers, collector.finish())
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
            Some(webhook_rejection) => Ok(webhook_rejection.response()),
            None => Err(rejection),
        }
    }

    fn response(&self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = warp::reply::with_header(
            self.0.response_body(),
            header::CONTENT_TYPE,
            receive::REJECTION_CONTENT_TYPE,
        );
        let mut response = warp::reply::with_status(body, status).into_response();
        if let Some(control) = self.0.delivery_control() {
            response.headers_mut().insert(
                receive::DELIVERY_CONTROL_HEADER,
                HeaderValue::from_static(control),
            );
        }
        response
    }
}

impl Reply for WebhookRejection {
    fn into_response(self) -> Response {
        self.response()
    }
}
