//! The Clerk guide's webhook handler, in poem: `cargo run -p example-poem`.

use std::time::Duration;

use clerk_webhook_poem::{ClerkEvent, ClerkWebhook, WebhookConfig};
use example_support::{WEBHOOK_PATH, exit_with};
use poem::listener::TcpListener;
use poem::{Endpoint, EndpointExt, Route, Server, handler, post};

/// The guide's handler: log the event, narrow one type, answer 200. A delivery that fails
/// verification never gets here: the extractor answers 400 and logs why.
#[handler]
fn webhook(ClerkWebhook(webhook): ClerkWebhook) -> &'static str {
    let id = webhook.data_id().unwrap_or_default();
    let event_type = webhook.event_type();
    tracing::info!("Received webhook with ID {id} and event type of {event_type}");
    tracing::info!("Webhook payload: {}", webhook.data_value());
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
    example_support::log_listening(startup.addr);
    Server::new(TcpListener::bind(startup.addr))
        .run_with_graceful_shutdown(
            app(startup.config),
            example_support::shutdown_signal(),
            Some(Duration::from_secs(30)),
        )
        .await
        .unwrap_or_else(|error| exit_with(format!("Could not serve on {}: {error}", startup.addr)));
}

#[cfg(test)]
mod tests;
