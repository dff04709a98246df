//! The Clerk guide's webhook handler, in Rocket: `cargo run -p example-rocket`.
//!
//! This file stands alone: copy it into `src/main.rs` of a new crate with these
//! dependencies, and it builds.
//!
//! ```toml
//! [dependencies]
//! clerk-webhook-rocket = { version = "0.1", features = ["metrics"] }
//! dotenvy = "0.15"
//! metrics-exporter-prometheus = { version = "0.18", default-features = false, features = ["http-listener"] }
//! rocket = { version = "0.5.2", default-features = false }
//! tikv-jemallocator = { version = "0.6", features = ["background_threads"] }
//! tracing = "0.1"
//! tracing-subscriber = { version = "0.3", features = ["env-filter", "fmt", "json"] }
//! ```
//!
//! It reads `.env`, then `CLERK_WEBHOOK_SIGNING_SECRET`, `WEBHOOK_BODY_TIMEOUT`, `HOST`
//! (default `127.0.0.1`), `PORT` (default `3000`), `RUST_LOG` (default `info`), `LOG_FORMAT`
//! (`text` or `json`: one JSON object per line) and `METRICS_ADDR` (for example
//! `127.0.0.1:9464`: `GET /metrics` there, in Prometheus' format; unset, off). A bad setting
//! stops it with one line on stderr and exit code 1, before anything is logged; Ctrl-C or
//! SIGTERM finishes in-flight requests and exits 0. Each delivery has a span,
//! `webhook{svix_id, event_type, outcome, status}`: the data guard runs in it, and the
//! handler enters it (Rocket 0.5 cannot wrap a handler), so every line it logs names the
//! delivery. Rocket 0.5 cannot bound how long a client takes to send its headers, nor the
//! first 14 bytes of its body: put a proxy with header and body timeouts in front of it on
//! the open internet.

use std::io::IsTerminal as _;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use clerk_webhook_rocket::{ClerkEvent, ClerkWebhook, DeliverySpan, WebhookConfig};
use metrics_exporter_prometheus::PrometheusBuilder;
use rocket::config::LogLevel;
use rocket::{Build, Rocket, post, routes};
use tracing::{Level, Metadata};
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
fn webhook(webhook: ClerkWebhook, span: DeliverySpan) -> &'static str {
    // Rocket 0.5 cannot wrap a handler: enter the delivery's span, so every line below
    // names the delivery.
    let _in_span = span.enter();
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
        // Records each answer's status in the delivery's span.
        .attach(clerk_webhook_rocket::delivery_span())
        .mount("/", routes![webhook])
        .register("/api/webhooks", clerk_webhook_rocket::catchers())
}

#[rocket::main]
async fn main() {
    // A missing .env is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    // Every setting first: a bad one stops the server before anything is logged.
    let host: IpAddr = setting("HOST", "127.0.0.1", "an IP address such as 127.0.0.1");
    let port: u16 = setting("PORT", "3000", "a number from 0 to 65535");
    let metrics = metrics_addr();
    init_logging(json_logs());
    let config = WebhookConfig::from_env().unwrap_or_else(|error| exit_with(error));
    if let Some(metrics) = metrics {
        serve_metrics(metrics);
    }
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

/// Logs to stdout: readable text, coloured only on a terminal, or one JSON object per line
/// with `LOG_FORMAT=json`. `RUST_LOG` decides, with one exception that only ever lowers it:
/// Rocket logs every request with all its headers (svix-signature included) at debug,
/// target rocket::server, so that target never shows anything below info.
fn init_logging(json: bool) {
    fn no_header_dump(metadata: &Metadata<'_>) -> bool {
        !(metadata.target().starts_with("rocket::server") && *metadata.level() > Level::INFO)
    }
    let text = (!json).then(|| {
        fmt::layer()
            .with_ansi(std::io::stdout().is_terminal())
            .with_filter(filter_fn(no_header_dump))
    });
    let json = json.then(|| fmt::layer().json().with_filter(filter_fn(no_header_dump)));
    tracing_subscriber::registry()
        .with(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with(text)
        .with(json)
        .init();
}

/// `LOG_FORMAT`: `text` (the default) or `json`; whether it is `json`.
fn json_logs() -> bool {
    match setting::<String>("LOG_FORMAT", "text", "text or json").as_str() {
        "text" => false,
        "json" => true,
        other => exit_with(format!(
            "Invalid LOG_FORMAT {other:?}: expected text or json"
        )),
    }
}

/// `METRICS_ADDR` (for example `127.0.0.1:9464`): where to serve the metrics; unset, none.
fn metrics_addr() -> Option<SocketAddr> {
    let set = std::env::var("METRICS_ADDR").is_ok_and(|value| !value.trim().is_empty());
    set.then(|| setting("METRICS_ADDR", "", "an address such as 127.0.0.1:9464"))
}

/// Serves `GET /metrics` in Prometheus' text format on `addr`: a listener of its own,
/// never the public webhook port.
fn serve_metrics(addr: SocketAddr) {
    let seconds = [
        0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0,
    ];
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets(&seconds)
        .and_then(PrometheusBuilder::install)
        .unwrap_or_else(|error| exit_with(format!("Could not serve metrics on {addr}: {error}")));
    tracing::info!("Metrics on http://{addr}/metrics");
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
