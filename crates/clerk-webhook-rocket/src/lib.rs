#![doc = include_str!("../README.md")]

use std::io;
use std::time::Duration;

use clerk_webhook_core::DELIVERY_CONTROL_HEADER;
use rocket::data::{self, Data, FromData, ToByteUnit as _};
use rocket::futures::future::Either;
use rocket::futures::stream;
use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::{self, Responder};
use rocket::{Catcher, State, catch, catchers};
use tokio_util::io::ReaderStream;
use tracing::Instrument as _;

pub use clerk_webhook_core::{
    ClerkEvent, ConfigError, DEFAULT_BODY_LIMIT, Rejection, VerifiedWebhook, WebhookConfig,
    WebhookError, WebhookVerifier,
};

mod trace;
pub use trace::{DeliverySpan, delivery_span};

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
            response.set_raw_header(DELIVERY_CONTROL_HEADER, control);
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
        let span = trace::span_of(request).clone();
        match extract(request, data).instrument(span).await {
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

/// How many body bytes Rocket 0.5 peeks at before any guard runs (`"_method=delete".len()`,
/// for its form method override).
const PREPROCESS_PEEK: usize = 14;

/// Whether Rocket's peek at the first bytes of the body broke off on an I/O error (a body
/// cut short, bad chunking). Rocket only logs that error: the body then just looks short,
/// and would be reported as a signature failure. A peek stops at the bytes it wanted, at
/// the end of the body (`peek_complete`), or on an error; so fewer bytes and no end mean an
/// error. The end is checked first, before anything reads on (which could mark it). Then
/// asking for the same bytes again returns at once when they are there; otherwise the
/// peek broke off, and the read it tries is bounded by `patience`.
async fn peek_broke_off(data: &mut Data<'_>, patience: Duration) -> bool {
    if data.peek_complete() {
        return false;
    }
    match rocket::tokio::time::timeout(patience, data.peek(PREPROCESS_PEEK)).await {
        Ok(peeked) => peeked.len() < PREPROCESS_PEEK,
        Err(_) => true,
    }
}

async fn extract(request: &Request<'_>, mut data: Data<'_>) -> Result<VerifiedWebhook, Rejection> {
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

    // The shared body path answers a broken body (after a declared size over the limit, as
    // for every framework).
    let body = if peek_broke_off(&mut data, config.body_timeout()).await {
        Either::Left(stream::iter([Err(io::Error::other(
            "the body broke off within its first bytes (Rocket logged the I/O error)",
        ))]))
    } else {
        // One byte past the limit, so that the shared body path sees an oversized body.
        Either::Right(ReaderStream::new(
            data.open(limit.saturating_add(1).bytes()),
        ))
    };
    let headers = |name: &str| request.headers().get_one(name);
    config
        .receive(headers, body, rocket::tokio::time::sleep)
        .await
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
