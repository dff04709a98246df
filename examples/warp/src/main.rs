//! The Clerk guide's webhook handler, in warp: `cargo run -p example-warp`.

use clerk_webhook_warp::{ClerkEvent, ClerkWebhook, WebhookConfig, WebhookRejection};
use hyper_util::service::TowerToHyperService;
use warp::{Filter, Rejection, Reply};

/// The guide's handler: log the event, narrow one type, answer 200. A delivery that fails
/// verification never gets here: the filter rejects it, `recover` answers 400.
fn webhook(webhook: ClerkWebhook) -> &'static str {
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
fn app(config: WebhookConfig) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::post()
        .and(warp::path!("api" / "webhooks"))
        .and(ClerkWebhook::filter(config))
        .map(webhook)
        .recover(WebhookRejection::recover)
}

#[tokio::main]
async fn main() {
    let startup = example_support::start();
    let listener = example_support::listen(startup.addr).await;
    // Not `warp::serve`: it has no header-read timeout (see `example_support::serve`).
    let app = app(startup.config);
    example_support::serve(listener, startup.header_timeout, |_peer| {
        TowerToHyperService::new(warp::service(app.clone()))
    })
    .await;
}

#[cfg(test)]
mod tests;
