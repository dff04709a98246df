//! One span per delivery. Rocket 0.5 cannot wrap a handler's future, so the span lives in
//! the request's local cache: the `ClerkWebhook` data guard runs inside it, the
//! [`delivery_span`] fairing records the status, and a handler that wants its own lines
//! inside it enters it through the [`DeliverySpan`] request guard.

use std::convert::Infallible;
use std::ops::Deref;

use clerk_webhook_core::observe;
use rocket::Request;
use rocket::fairing::AdHoc;
use rocket::request::{FromRequest, Outcome};
use tracing::Span;

/// This request's delivery span, in its local cache.
struct CachedSpan(Span);

/// The delivery span of `request`, opened on first use.
pub(crate) fn span_of<'r>(request: &'r Request<'_>) -> &'r Span {
    &request
        .local_cache(|| CachedSpan(observe::delivery_span()))
        .0
}

/// The fairing that records the answer's status in each delivery's span
/// (`webhook{svix_id, event_type, outcome, status}`; the data guard records the rest).
/// Attach it once: `.attach(clerk_webhook_rocket::delivery_span())`.
#[must_use]
pub fn delivery_span() -> AdHoc {
    AdHoc::on_response("Clerk webhook delivery span", |request, response| {
        Box::pin(async move {
            // A request that never reached the data guard has no delivery span: nothing to
            // record into.
            let span = &request.local_cache(|| CachedSpan(Span::none())).0;
            observe::record_status(span, response.status().code);
        })
    })
}

/// A request guard: this request's delivery span, for the handler to enter, so that the
/// lines it logs name the delivery. Rocket 0.5 has no middleware around a handler, so this
/// is the handler's one line to write:
///
/// ```rust
/// # use clerk_webhook_rocket::{ClerkWebhook, DeliverySpan};
/// # use rocket::post;
/// #[post("/api/webhooks", data = "<webhook>")]
/// fn webhook(webhook: ClerkWebhook, span: DeliverySpan) -> &'static str {
///     let _in_span = span.enter();
///     // An async handler: `async { … }.instrument(span.clone()).await`.
///     "Webhook received"
/// }
/// ```
#[derive(Debug, Clone)]
pub struct DeliverySpan(Span);

impl Deref for DeliverySpan {
    type Target = Span;

    fn deref(&self) -> &Span {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for DeliverySpan {
    type Error = Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Infallible> {
        Outcome::Success(Self(span_of(request).clone()))
    }
}
