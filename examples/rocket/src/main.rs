//! The Clerk guide's webhook handler, in Rocket: `cargo run -p example-rocket`.

use clerk_webhook_rocket::{ClerkEvent, ClerkWebhook, WebhookConfig};
use example_support::{WEBHOOK_PATH, exit_with};
use rocket::config::LogLevel;
use rocket::{Build, Rocket, post, routes};

/// The guide's handler: log the event, narrow one type, answer 200. A delivery that fails
/// verification never gets here: the data guard answers 400 and logs why.
#[post("/api/webhooks", data = "<webhook>")]
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
fn app(config: WebhookConfig) -> Rocket<Build> {
    rocket::build()
        .manage(config)
        .mount("/", routes![webhook])
        .register(WEBHOOK_PATH, clerk_webhook_rocket::catchers())
}

#[rocket::main]
async fn main() {
    let startup = example_support::start();
    // Rocket stops on Ctrl-C and SIGTERM itself, finishing in-flight requests. Its own
    // logger is quieted: `tracing` logs for the example.
    let figment = rocket::Config::figment()
        .merge(("address", startup.addr.ip()))
        .merge(("port", startup.addr.port()))
        .merge(("log_level", LogLevel::Critical));
    example_support::log_listening(startup.addr);
    if let Err(error) = app(startup.config).configure(figment).launch().await {
        exit_with(format!("Could not serve on {}: {error}", startup.addr));
    }
}

#[cfg(test)]
mod tests;
