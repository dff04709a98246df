//! One span per delivery, around the handler too.

use std::sync::Arc;

use clerk_webhook_core::observe;
use poem::{Endpoint, IntoResponse as _, Request, Response};
use tracing::Instrument as _;

/// Middleware (for [`EndpointExt::around`](poem::EndpointExt::around)) that opens a
/// [`delivery_span`](clerk_webhook_core::observe::delivery_span) around each request, so
/// every line your handler logs names its delivery: `webhook{svix_id, event_type,
/// outcome, status}`. Put it around the webhook endpoint:
///
/// ```rust
/// # use poem::{EndpointExt, Route, handler, post};
/// # #[handler] fn handler() {}
/// let app = Route::new().at(
///     "/api/webhooks",
///     post(handler).around(clerk_webhook_poem::delivery_span),
/// );
/// ```
///
/// # Errors
/// The endpoint's error, unchanged (its status is recorded).
pub async fn delivery_span<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let span = observe::delivery_span();
    let result = endpoint.call(request).instrument(span.clone()).await;
    let result = result.map(|output| output.into_response());
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.status(),
    };
    observe::record_status(&span, status.as_u16());
    result
}
