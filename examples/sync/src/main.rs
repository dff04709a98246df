//! The Clerk guide's handler plus a database: `cargo run -p example-sync`.
//!
//! `DATABASE_URL` picks the store: an SQLite file by default (`sqlite://clerk-sync.db`),
//! or `postgres://…` when several receivers share one database.

use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clerk_webhook_axum::{ClerkEvent, ClerkWebhook, WebhookConfig};
use clerk_webhook_sync::{DEFAULT_DATABASE_URL, SyncStore};
use example_support::{WEBHOOK_PATH, exit_with};
use hyper_util::service::TowerToHyperService;

#[derive(Clone, FromRef)]
struct AppState {
    config: WebhookConfig,
    store: SyncStore,
}

/// Verified by the extractor, then applied in one transaction with the delivery ledger.
/// A store failure answers 503, so Svix retries; nothing was half-written.
async fn webhook(State(store): State<SyncStore>, ClerkWebhook(webhook): ClerkWebhook) -> Response {
    let id = webhook.data_id().unwrap_or_default();
    let event_type = webhook.event_type();
    tracing::info!("Received webhook with ID {id} and event type of {event_type}");
    tracing::info!("Webhook payload: {}", webhook.data_value());
    if let ClerkEvent::UserCreated(user) = webhook.event() {
        tracing::info!("userId: {}", user.id);
    }
    match store.apply((&webhook).into()).await {
        Ok(outcome) => {
            tracing::info!("Stored webhook {}: {outcome}", webhook.message_id());
            (StatusCode::OK, "Webhook received").into_response()
        }
        Err(error) => {
            tracing::error!("Could not store webhook {}: {error}", webhook.message_id());
            (StatusCode::SERVICE_UNAVAILABLE, "Error storing webhook").into_response()
        }
    }
}

/// The stored user row as JSON, so you can see the result.
async fn user(State(store): State<SyncStore>, Path(id): Path<String>) -> Response {
    match store.user(&id).await {
        Ok(Some(row)) => Json(row).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "No such user").into_response(),
        Err(error) => {
            tracing::error!("Could not read user {id}: {error}");
            (StatusCode::SERVICE_UNAVAILABLE, "Error reading the store").into_response()
        }
    }
}

/// The app, without a socket.
fn app(config: WebhookConfig, store: SyncStore) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(webhook))
        .route("/api/users/{id}", get(user))
        .with_state(AppState { config, store })
}

#[tokio::main]
async fn main() {
    let startup = example_support::start();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    let store = SyncStore::connect(&url)
        .await
        .unwrap_or_else(|error| exit_with(format!("Could not open the store: {error}")));
    tracing::info!("Storing into {:?}", store.backend());
    let listener = example_support::listen(startup.addr).await;
    // Not `axum::serve`: it has no header-read timeout (see `example_support::serve`).
    let app = app(startup.config, store);
    example_support::serve(listener, startup.header_timeout, |_peer| {
        TowerToHyperService::new(app.clone())
    })
    .await;
}

#[cfg(test)]
mod tests;
