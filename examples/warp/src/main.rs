//! The Clerk guide's webhook handler, in warp: `cargo run -p example-warp`.
//!
//! This file stands alone: copy it into `src/main.rs` of a new crate with these
//! dependencies, and it builds.
//!
//! ```toml
//! [dependencies]
//! clerk-webhook-warp = { version = "0.1", features = ["metrics"] }
//! dotenvy = "0.15"
//! metrics-exporter-prometheus = { version = "0.18", default-features = false, features = ["http-listener"] }
//! tikv-jemallocator = { version = "0.6", features = ["background_threads"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread", "net", "signal"] }
//! tracing = "0.1"
//! tracing-subscriber = { version = "0.3", features = ["env-filter", "fmt", "json"] }
//! warp = { version = "0.4", default-features = false, features = ["server"] }
//! ```
//!
//! It reads `.env`, then `CLERK_WEBHOOK_SIGNING_SECRET`, `WEBHOOK_BODY_TIMEOUT`, `HOST`
//! (default `127.0.0.1`), `PORT` (default `3000`), `WEBHOOK_HEADER_TIMEOUT` (seconds,
//! default 10), `RUST_LOG` (default `info`), `LOG_FORMAT` (`text` or `json`: one JSON object
//! per line) and `METRICS_ADDR` (for example `127.0.0.1:9464`: `GET /metrics` there, in
//! Prometheus' format; unset, off). A bad setting stops it with one line on stderr and exit
//! code 1, before anything is logged; Ctrl-C or SIGTERM finishes in-flight requests and
//! exits 0. Each delivery is handled in a span, `webhook{svix_id, event_type, outcome,
//! status}`, that names it in every line logged inside.

use std::io::IsTerminal as _;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU64;
use std::str::FromStr;
use std::time::Duration;

use clerk_webhook_warp::{ClerkEvent, ClerkWebhook, WebhookConfig, WebhookRejection};
use metrics_exporter_prometheus::PrometheusBuilder;
use tracing_subscriber::EnvFilter;
use warp::{Filter, Rejection, Reply};

/// jemalloc hands memory freed after a burst of connections back to the OS; glibc's
/// allocator kept more of it from burst to burst (see `docs/reliability.md`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The guide's handler: log the event, narrow one type, answer 200. A delivery that fails
/// verification never gets here: the filter rejects it, and `recover` answers 400.
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
    let route = warp::post()
        .and(warp::path!("api" / "webhooks"))
        .and(ClerkWebhook::filter(config))
        .map(webhook)
        .recover(WebhookRejection::recover);
    // One span per delivery: every line the handler logs names it.
    clerk_webhook_warp::delivery_span(route)
}

#[tokio::main]
async fn main() {
    // A missing .env is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    // Every setting first: a bad one stops the server before anything is logged.
    let host: IpAddr = setting("HOST", "127.0.0.1", "an IP address such as 127.0.0.1");
    let port: u16 = setting("PORT", "3000", "a number from 0 to 65535");
    let header_timeout: NonZeroU64 =
        setting("WEBHOOK_HEADER_TIMEOUT", "10", "whole seconds above 0");
    let metrics = metrics_addr();
    init_logging(json_logs());
    let config = WebhookConfig::from_env().unwrap_or_else(|error| exit_with(error));
    if let Some(metrics) = metrics {
        serve_metrics(metrics);
    }
    let addr = SocketAddr::new(host, port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|error| exit_with(format!("Could not listen on {addr}: {error}")));
    tracing::info!("Listening on http://{addr}/api/webhooks");
    // Not `warp::serve`: it cannot cut off a client that drips its headers (slowloris).
    let header_timeout = Duration::from_secs(header_timeout.get());
    clerk_webhook_warp::serve(listener, app(config), header_timeout, shutdown_signal()).await;
}

/// Logs to stdout: readable text, coloured only on a terminal, or one JSON object per line
/// with `LOG_FORMAT=json`. `RUST_LOG` filters (default `info`).
fn init_logging(json: bool) {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // warp::trace's own lines for each request: the delivery's span already says it all.
    if let Ok(quiet) = "warp::filters::trace=off".parse() {
        filter = filter.add_directive(quiet);
    }
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        logs.json().init();
    } else {
        logs.with_ansi(std::io::stdout().is_terminal()).init();
    }
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

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("Shutting down: finishing in-flight requests");
}

// The repository's tests of this file (the shared contract suite against `app`); leave
// these two lines out of your copy.
#[cfg(test)]
mod tests;
