//! The Clerk guide's webhook handler, in actix-web: `cargo run -p example-actix-web`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use clerk_webhook_actix_web::{ClerkEvent, ClerkWebhook, WebhookConfig};
use example_support::{WEBHOOK_PATH, exit_with};

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
fn app(
    config: web::Data<WebhookConfig>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(config)
        .route(WEBHOOK_PATH, web::post().to(webhook))
}

#[actix_web::main]
async fn main() {
    let startup = example_support::start();
    let config = web::Data::new(startup.config);
    // actix-web stops on Ctrl-C and SIGTERM itself, finishing in-flight requests, and
    // closes a connection whose request head takes longer than `client_request_timeout`.
    let server = HttpServer::new(move || app(config.clone()))
        .client_request_timeout(startup.header_timeout)
        .bind(startup.addr)
        .unwrap_or_else(|error| {
            exit_with(format!("Could not listen on {}: {error}", startup.addr))
        });
    example_support::log_listening(startup.addr);
    server
        .run()
        .await
        .unwrap_or_else(|error| exit_with(format!("Server error: {error}")));
}

#[cfg(test)]
mod tests;
