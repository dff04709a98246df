//! The Clerk guide's webhook handler, in poem: `cargo run -p example-poem`.

use std::convert::Infallible;
use std::sync::Arc;

use clerk_webhook_poem::{ClerkEvent, ClerkWebhook, WebhookConfig};
use example_support::WEBHOOK_PATH;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, EndpointExt, Route, handler, post};

/// The guide's handler: log the event, narrow one type, answer 200. A delivery that fails
/// verification never gets here: the extractor answers 400 and logs why.
#[handler]
fn webhook(ClerkWebhook(webhook): ClerkWebhook) -> &'static str {
    let id = webhook.data_id().unwrap_or_default();
    let event_type = webhook.event_type();
    tracing::info!("Received webhook with ID {id} and event type of {event_type}");
    tracing::info!("Webhook payload: {}", webhook.data_value());
    if let Some(mismatch) = webhook.data_mismatch() {
        tracing::warn!(
            "Webhook data did not match the {event_type} model: {mismatch}; upgrade clerk-webhook-core"
        );
    }
    if let ClerkEvent::UserCreated(user) = webhook.event() {
        tracing::info!("userId: {}", user.id);
    }
    "Webhook received"
}

/// The app, without a socket.
fn app(config: WebhookConfig) -> impl Endpoint {
    Route::new().at(WEBHOOK_PATH, post(webhook)).data(config)
}

#[tokio::main]
async fn main() {
    let startup = example_support::start();
    let listener = example_support::listen(startup.addr).await;
    // Not poem's `Server`: it has no header-read timeout (see `example_support::serve`),
    // so the endpoint is called the way `Server` calls it, from a hyper service.
    let app = Arc::new(app(startup.config));
    let local = LocalAddr(startup.addr.into());
    example_support::serve(listener, startup.header_timeout, |peer| {
        let (app, local, remote) = (app.clone(), local.clone(), RemoteAddr(peer.into()));
        hyper::service::service_fn(move |request| {
            let parts = (request, local.clone(), remote.clone(), Scheme::HTTP);
            let app = app.clone();
            async move {
                let response = app.get_response(poem::Request::from(parts)).await;
                Ok::<_, Infallible>(hyper::Response::from(response))
            }
        })
    })
    .await;
}

#[cfg(test)]
mod tests;
