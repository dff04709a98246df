//! One span per delivery, around the handler too.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use clerk_webhook_core::observe;
use tracing::Instrument as _;

/// Middleware (for [`actix_web::middleware::from_fn`]) that opens a
/// [`delivery_span`](clerk_webhook_core::observe::delivery_span) around each request, so
/// every line your handler logs names its delivery: `webhook{svix_id, event_type,
/// outcome, status}`. Wrap the webhook resource with it:
///
/// ```rust
/// # use actix_web::{App, middleware::from_fn, web};
/// # async fn handler() -> &'static str { "" }
/// let app = App::new().service(
///     web::resource("/api/webhooks")
///         .wrap(from_fn(clerk_webhook_actix_web::delivery_span))
///         .route(web::post().to(handler)),
/// );
/// ```
///
/// # Errors
/// Whatever the wrapped service returns, unchanged.
pub async fn delivery_span<B: MessageBody>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let span = observe::delivery_span();
    let result = next.call(request).instrument(span.clone()).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    observe::record_status(&span, status.as_u16());
    result
}
