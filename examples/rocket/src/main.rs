//! The Clerk guide's webhook handler, in Rocket: `cargo run -p example-rocket`.
//!
//! This file stands alone: copy it into `src/main.rs` of a new crate with these
//! dependencies, and it builds.
//!
//! ```toml
//! [dependencies]
//! clerk-webhook-rocket = "0.1"
//! dotenvy = "0.15"
//! rocket = { version = "0.5.2", default-features = false }
//! tikv-jemallocator = { version = "0.6", features = ["background_threads"] }
//! tracing = "0.1"
//! tracing-subscriber = { version = "0.3", features = ["env-filter", "fmt"] }
//! ```
//!
//! It reads `.env`, then `CLERK_WEBHOOK_SIGNING_SECRET`, `WEBHOOK_BODY_TIMEOUT`, `HOST`
//! (default `127.0.0.1`), `PORT` (default `3000`) and `RUST_LOG` (default `info`). A bad
//! setting stops it with one line on stderr and exit code 1; Ctrl-C or SIGTERM finishes
//! in-flight requests and exits 0. Rocket 0.5 cannot bound how long a client takes to send
//! its headers, nor the first 14 bytes of its body: put a proxy with header and body
//! timeouts in front of it on the open internet.

use std::io::IsTerminal as _;
use std::net::IpAddr;
use std::str::FromStr;

use clerk_webhook_rocket::{ClerkEvent, ClerkWebhook, WebhookConfig};
use rocket::config::LogLevel;
use rocket::{Build, Rocket, post, routes};
use tracing::Level;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

/// jemalloc hands memory freed after a burst of connections back to the OS; glibc's
/// allocator kept more of it from burst to burst (see `docs/reliability.md`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The guide's handler: log the event, narrow one type, answer 200. A delivery that fails
/// verification never gets here: the data guard fails, and the catchers answer 400.
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
        .register("/api/webhooks", clerk_webhook_rocket::catchers())
}

#[rocket::main]
async fn main() {
    // A missing .env is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    // RUST_LOG decides, with one exception that only ever lowers it: Rocket logs every
    // request with all its headers (svix-signature included) at debug, target
    // rocket::server, so that target never shows anything below info.
    let no_header_dump = filter_fn(|metadata| {
        !(metadata.target().starts_with("rocket::server") && *metadata.level() > Level::INFO)
    });
    tracing_subscriber::registry()
        .with(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with(
            fmt::layer()
                .with_ansi(std::io::stdout().is_terminal())
                .with_filter(no_header_dump),
        )
        .init();
    let config = WebhookConfig::from_env().unwrap_or_else(|error| exit_with(error));
    let host: IpAddr = setting("HOST", "127.0.0.1", "an IP address such as 127.0.0.1");
    let port: u16 = setting("PORT", "3000", "a number from 0 to 65535");
    let figment = rocket::Config::figment()
        .merge(("address", host))
        .merge(("port", port))
        // Rocket's own console logger stays quiet; its log records reach tracing.
        .merge(("log_level", LogLevel::Critical));
    tracing::info!("Listening on http://{host}:{port}/api/webhooks");
    if let Err(error) = app(config).configure(figment).launch().await {
        exit_with(format!("Could not serve on {host}:{port}: {error}"));
    }
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
