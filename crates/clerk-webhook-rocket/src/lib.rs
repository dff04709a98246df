//! Receive verified Clerk webhooks in [Rocket](https://docs.rs/rocket).
//!
//! [`ClerkWebhook`] is a data guard: it reads the body up to the limit, verifies the Svix
//! signature on the raw bytes, and hands your route the typed event. It takes its
//! [`WebhookConfig`] from managed state (`.manage(config)`). The body limit is Rocket's
//! named limit `clerk-webhook` when you set one (`limits.clerk-webhook` in `Rocket.toml`
//! or `ROCKET_LIMITS`), and the config's otherwise.
//!
//! Rocket answers a failed guard through its catchers, so register [`catchers()`] where
//! the route is mounted to get the plain-text bodies of the contract:
//!
//! ```
//! use clerk_webhook_rocket::{ClerkEvent, ClerkWebhook, WebhookConfig, WebhookVerifier};
//! use rocket::{post, routes};
//!
//! #[post("/api/webhooks", data = "<webhook>")]
//! fn webhook(webhook: ClerkWebhook) -> &'static str {
//!     if let ClerkEvent::UserCreated(user) = webhook.event() {
//!         println!("new user {}", user.id);
//!     }
//!     "Webhook received"
//! }
//!
//! # fn main() -> Result<(), clerk_webhook_rocket::WebhookError> {
//! let config = WebhookConfig::new(WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?)
//!     .with_body_limit(256 * 1024);
//! let rocket = rocket::build()
//!     .manage(config)
//!     .mount("/", routes![webhook])
//!     .register("/api/webhooks", clerk_webhook_rocket::catchers());
//! # Ok(())
//! # }
//! ```
//!
//! **Logging**: Rocket logs every request with all its headers, `svix-signature` included,
//! at `debug` level (target `rocket::server`). Keep that target at `info` or above in
//! production (the example server caps it whatever `RUST_LOG` says).
//!
//! **Slow clients**: the guard's body timeout (408) bounds a body once its first bytes are
//! in, but Rocket 0.5 itself waits without limit for a request's headers, and for its first
//! 14 body bytes before any guard or fairing runs. A Rocket webhook endpoint on the public
//! internet needs a reverse proxy with header and body timeouts in front of it.
//!
//! A failed verification answers `400 Error verifying webhook` (and logs why); a body over
//! the limit answers 413, and a body cut short by the limit never verifies. To answer
//! differently, take `Result<ClerkWebhook, WebhookRejection>`: [`WebhookRejection`] is a
//! `Responder`.

use clerk_webhook_core::receive;
use rocket::data::{self, Data, FromData, ToByteUnit as _};
use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::{Catcher, State, catch, catchers};

pub use clerk_webhook_core::{
    self as core, ClerkEvent, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

/// The name of the Rocket limit that, when set, overrides the config's body limit.
pub const LIMIT_NAME: &str = "clerk-webhook";

clerk_webhook_core::integration_types!();

impl WebhookRejection {
    fn status(&self) -> Status {
        Status::new(self.0.status())
    }
}

impl<'r> Responder<'r, 'static> for WebhookRejection {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        (self.status(), RejectionBody::of(&self.0)).respond_to(request)
    }
}

/// A rejection's plain-text body and `webhook-delivery` header, kept in the request's
/// cache for the catchers.
#[derive(Clone, Copy)]
struct RejectionBody {
    body: &'static str,
    delivery_control: Option<&'static str>,
}

impl RejectionBody {
    fn of(rejection: &Rejection) -> Self {
        Self {
            body: rejection.response_body(),
            delivery_control: rejection.delivery_control(),
        }
    }
}

impl<'r> Responder<'r, 'static> for RejectionBody {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let mut response = (ContentType::Plain, self.body).respond_to(request)?;
        if let Some(control) = self.delivery_control {
            response.set_raw_header(receive::DELIVERY_CONTROL_HEADER, control);
        }
        Ok(response)
    }
}

/// The last rejection of this request, for the catchers.
struct CachedRejection(Option<RejectionBody>);

#[rocket::async_trait]
impl<'r> FromData<'r> for ClerkWebhook {
    type Error = WebhookRejection;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        match extract(request, data).await {
            Ok(webhook) => data::Outcome::Success(Self(webhook)),
            Err(rejection) => {
                let rejection = WebhookRejection(rejection);
                let body = RejectionBody::of(&rejection.0);
                request.local_cache(|| CachedRejection(Some(body)));
                data::Outcome::Error((rejection.status(), rejection))
            }
        }
    }
}

async fn extract(request: &Request<'_>, data: Data<'_>) -> Result<VerifiedWebhook, Rejection> {
    let config = request
        .guard::<&State<WebhookConfig>>()
        .await
        .succeeded()
        .ok_or_else(|| Rejection::not_configured("add .manage(WebhookConfig) to the Rocket"))?;
    let limit = request
        .limits()
        .get(LIMIT_NAME)
        .and_then(|limit| usize::try_from(limit.as_u64()).ok())
        .unwrap_or(config.body_limit());
    let config = config.inner().clone().with_body_limit(limit);
    let content_length = request
        .headers()
        .get_one("Content-Length")
        .map(str::as_bytes);
    config.check_declared_length(content_length)?;
    let read = data.open(limit.bytes()).into_bytes();
    let body = rocket::tokio::time::timeout(config.body_timeout(), read)
        .await
        .map_err(|_| Rejection::body_timeout(config.body_timeout()))?
        .map_err(Rejection::body_read)?;
    if !body.is_complete() {
        return Err(Rejection::too_large(limit));
    }
    let headers = |name: &str| request.headers().get_one(name);
    config.verify(headers, body.into_inner())
}

/// Catchers that answer the guard's failures with the contract's plain-text bodies.
/// Register them at the base path of your webhook route.
#[must_use]
pub fn catchers() -> Vec<Catcher> {
    catchers![rejected]
}

#[catch(default)]
fn rejected(status: Status, request: &Request<'_>) -> (Status, RejectionBody) {
    let cached = request.local_cache(|| CachedRejection(None));
    let body = cached.0.unwrap_or(RejectionBody {
        body: status.reason_lossy(),
        delivery_control: None,
    });
    (status, body)
}
