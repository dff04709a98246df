//! One span per delivery, around the handler too.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

/// Middleware that opens a
/// [`delivery_span`](clerk_webhook_core::observe::delivery_span) around each request, so
/// every line your handler logs names its delivery: `webhook{svix_id, event_type,
/// outcome, status}`. Add it to the webhook route:
///
/// ```rust
/// # use axum::{Router, middleware, routing::post};
/// # async fn handler() {}
/// let app: Router = Router::new()
///     .route("/api/webhooks", post(handler))
///     .route_layer(middleware::from_fn(clerk_webhook_axum::delivery_span));
/// ```
pub async fn delivery_span(request: Request, next: Next) -> Response {
    let span = clerk_webhook_core::observe::delivery_span();
    let response = next.run(request).instrument(span.clone()).await;
    clerk_webhook_core::observe::record_status(&span, response.status().as_u16());
    response
}
