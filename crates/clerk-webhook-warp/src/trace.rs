//! One span per delivery, around the handler too.

use clerk_webhook_core::observe;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

/// Wraps `filter` (your webhook route, `.recover(WebhookRejection::recover)` included) so
/// that each request runs inside a
/// [`delivery_span`](clerk_webhook_core::observe::delivery_span): every line your handler
/// logs names its delivery, `webhook{svix_id, event_type, outcome, status}`. Built on
/// [`warp::trace()`], which also logs `processing request` and `finished processing` lines
/// (target `warp::filters::trace`). A request the filter rejects (warp's own 404 or 405)
/// gets no status.
///
/// ```rust
/// # use warp::Filter;
/// # use clerk_webhook_warp::{ClerkWebhook, WebhookConfig, WebhookRejection, WebhookVerifier};
/// # fn main() -> Result<(), clerk_webhook_warp::WebhookError> {
/// # let config = WebhookConfig::new(WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?);
/// let route = warp::post()
///     .and(warp::path!("api" / "webhooks"))
///     .and(ClerkWebhook::filter(config))
///     .map(|_webhook: ClerkWebhook| "Webhook received")
///     .recover(WebhookRejection::recover);
/// let app = clerk_webhook_warp::delivery_span(route);
/// # Ok(())
/// # }
/// ```
pub fn delivery_span<F, R>(
    filter: F,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone
where
    F: Filter<Extract = (R,), Error = Rejection> + Clone + Send + Sync + 'static,
    R: Reply,
{
    filter
        .map(|reply: R| {
            let response: Response = reply.into_response();
            // Inside the traced future: the current span is this request's delivery span.
            observe::record_status(&tracing::Span::current(), response.status().as_u16());
            response
        })
        .with(warp::trace(|_| observe::delivery_span()))
}
