//! The Clerk guide's webhook handler, in actix-web: `cargo run -p example-actix-web`.
//!
//! This file stands alone: copy it into `src/main.rs` of a new crate with these
//! dependencies, and it builds.
//!
//! ```toml
//! [dependencies]
//! actix-web = { version = "4.18", default-features = false, features = ["macros"] }
//! clerk-webhook-actix-web = "0.1"
//! dotenvy = "0.15"
//! tikv-jemallocator = { version = "0.6", features = ["background_threads"] }
//! tracing = "0.1"
//! tracing-subscriber = { version = "0.3", features = ["env-filter", "fmt"] }
//! ```
//!
//! It reads `.env`, then `CLERK_WEBHOOK_SIGNING_SECRET`, `WEBHOOK_BODY_TIMEOUT`, `HOST`
//! (default `127.0.0.1`), `PORT` (default `3000`), `WEBHOOK_HEADER_TIMEOUT` (seconds,
//! default 10) and `RUST_LOG` (default `info`). A bad setting stops it with one line on
//! stderr and exit code 1; Ctrl-C or SIGTERM finishes in-flight requests and exits 0
//! (actix-web handles both signals itself).

use std::io::IsTerminal as _;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU64;
use std::str::FromStr;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, web};
use clerk_webhook_actix_web::{ClerkEvent, ClerkWebhook, WebhookConfig};
use tracing_subscriber::EnvFilter;

/// jemalloc hands memory freed after a burst of connections back to the OS; glibc's
/// allocator kept more of it from burst to burst (see `docs/reliability.md`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        .route("/api/webhooks", web::post().to(webhook))
}

#[actix_web::main]
async fn main() {
    // A missing .env is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let config = WebhookConfig::from_env().unwrap_or_else(|error| exit_with(error));
    let host: IpAddr = setting("HOST", "127.0.0.1", "an IP address such as 127.0.0.1");
    let port: u16 = setting("PORT", "3000", "a number from 0 to 65535");
    let header_timeout: NonZeroU64 =
        setting("WEBHOOK_HEADER_TIMEOUT", "10", "whole seconds above 0");
    let addr = SocketAddr::new(host, port);
    let config = web::Data::new(config);
    let server = HttpServer::new(move || app(config.clone()))
        // Cuts off a client that drips its headers (slowloris).
        .client_request_timeout(Duration::from_secs(header_timeout.get()))
        .bind(addr)
        .unwrap_or_else(|error| exit_with(format!("Could not listen on {addr}: {error}")));
    tracing::info!("Listening on http://{addr}/api/webhooks");
    server
        .run()
        .await
        .unwrap_or_else(|error| exit_with(format!("Server error: {error}")));
}

/// The environment variable `name` (or `default`), parsed; exits with one line if it does
/// not parse.
fn setting<T: FromStr>(name: &str, default: &str, expected: &str) -> T {
    let value = std::env::var(name).unwrap_or_default();
    let value = if value.trim().is_empty() {
        default
    } else {
        value.trim()
    };
    value
        .parse()
        .unwrap_or_else(|_| exit_with(format!("Invalid {name} {value:?}: expected {expected}")))
}

/// Prints `message` as the one line on stderr and exits with code 1.
fn exit_with(message: impl std::fmt::Display) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}

// The repository's tests of this file (the shared contract suite against `app`); leave
// these two lines out of your copy.
#[cfg(test)]
mod tests;
