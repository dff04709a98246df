//! The Clerk guide's webhook handler, in axum: `cargo run -p example-axum`.

use axum::Router;
use axum::routing::post;
use clerk_webhook_axum::{ClerkEvent, ClerkWebhook, WebhookConfig};
use example_support::WEBHOOK_PATH;
use hyper_util::service::TowerToHyperService;

/// The guide's handler: log the event, narrow one type, answer 200. A delivery that fails
/// verification never gets here: the extractor answers 400 and logs why.
async fn webhook(ClerkWebhook(webhook): ClerkWebhook) -> &'static str {
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
fn app(config: WebhookConfig) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(webhook))
        .with_state(config)
}

#[tokio::main]
async fn main() {
    let startup = example_support::start();
    let listener = example_support::listen(startup.addr).await;
    // Not `axum::serve`: it has no header-read timeout (see `example_support::serve`).
    let app = app(startup.config);
    example_support::serve(listener, startup.header_timeout, |_peer| {
        TowerToHyperService::new(app.clone())
    })
    .await;
}

#[cfg(test)]
mod tests;
