//! The Clerk guide's handler plus a database: `cargo run -p example-sync`.
//!
//! This file stands alone: copy it into `src/main.rs` of a new crate with these
//! dependencies, and it builds.
//!
//! ```toml
//! [dependencies]
//! axum = { version = "0.8", default-features = false, features = ["http1", "tokio", "json"] }
//! clerk-webhook-axum = "0.1"
//! clerk-webhook-sync = "0.1"
//! constant_time_eq = "0.4"
//! dotenvy = "0.15"
//! serde = { version = "1", features = ["derive"] }
//! serde_json = "1"
//! tikv-jemallocator = { version = "0.6", features = ["background_threads"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread", "net", "signal"] }
//! tracing = "0.1"
//! tracing-subscriber = { version = "0.3", features = ["env-filter", "fmt"] }
//! ```
//!
//! `DATABASE_URL` picks the store: an SQLite file by default (`sqlite://clerk-sync.db`),
//! or `postgres://…` when several receivers share one database. The other settings are
//! the axum example's: `CLERK_WEBHOOK_SIGNING_SECRET`, `WEBHOOK_BODY_TIMEOUT`, `HOST`,
//! `PORT`, `WEBHOOK_HEADER_TIMEOUT`, `RUST_LOG`.
//!
//! `example-sync replay` applies the deliveries quarantined because their data did not fit
//! this version's types (after you upgrade `clerk-webhook-core`), prints what it did and
//! exits; it needs only `DATABASE_URL`.
//!
//! `example-sync backfill [--prune]` loads the users, organizations and memberships that
//! existed before the webhook from Clerk's Backend API (`CLERK_SECRET_KEY`, optional
//! `CLERK_API_URL`), through the same guards as the webhooks; `--prune` also tombstones
//! rows Clerk no longer has (after an outage longer than Svix's retries). It needs only
//! the Secret Key and `DATABASE_URL`.
//!
//! `SYNC_API_TOKEN`, when set, mounts a read route for your own tools,
//! `GET /api/users/{id}`, behind `Authorization: Bearer <token>`. It answers a public
//! projection of the row (never `private_metadata`, `unsafe_metadata` or `raw`). Unset, the
//! route does not exist: the webhook route is the only one that must be public.

use std::io::{IsTerminal as _, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU64;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clerk_webhook_axum::{ClerkEvent, ClerkWebhook, WebhookConfig};
use clerk_webhook_sync::{BackfillOptions, ClerkApi, DEFAULT_DATABASE_URL, SyncStore};
use serde::Serialize;
use tracing_subscriber::EnvFilter;

/// The environment variable holding the read API's bearer token.
const API_TOKEN_VAR: &str = "SYNC_API_TOKEN";

/// A token shorter than this is refused at start-up: it could be guessed.
const MIN_API_TOKEN_LEN: usize = 32;

/// jemalloc hands memory freed after a burst of connections back to the OS; glibc's
/// allocator kept more of it from burst to burst (see `docs/reliability.md`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
    if let Some(mismatch) = webhook.data_mismatch() {
        tracing::warn!(
            "Webhook data did not match the {event_type} model: {mismatch}; upgrade clerk-webhook-core"
        );
    }
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

/// What the read route shows of a user: an explicit allow-list. The row also holds
/// `private_metadata` (backend-only: billing ids, roles, flags), `unsafe_metadata` and
/// `raw` (the whole Clerk user, every email address and phone number); none of it leaves.
#[derive(Debug, Serialize)]
struct PublicUser {
    id: String,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    primary_email_address: Option<String>,
    image_url: Option<String>,
    public_metadata: serde_json::Value,
    created_at: Option<i64>,
    updated_at: Option<i64>,
    deleted: bool,
    deleted_at: Option<i64>,
}

impl PublicUser {
    fn of(row: &serde_json::Value) -> Self {
        let text = |name: &str| row.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let number = |name: &str| row.get(name).and_then(serde_json::Value::as_i64);
        Self {
            id: text("id").unwrap_or_default(),
            username: text("username"),
            first_name: text("first_name"),
            last_name: text("last_name"),
            primary_email_address: text("primary_email_address"),
            image_url: text("image_url"),
            public_metadata: row
                .get("public_metadata")
                .cloned()
                .unwrap_or(serde_json::Value::Null),
            created_at: number("created_at"),
            updated_at: number("updated_at"),
            deleted: row.get("deleted").and_then(serde_json::Value::as_bool) == Some(true),
            deleted_at: number("deleted_at"),
        }
    }
}

/// The stored user's public projection as JSON (behind the bearer token).
async fn user(State(store): State<SyncStore>, Path(id): Path<String>) -> Response {
    match store.user(&id).await {
        Ok(Some(row)) => Json(PublicUser::of(&row)).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "No such user").into_response(),
        Err(error) => {
            tracing::error!(user_id = %id, %error, "Could not read user");
            (StatusCode::SERVICE_UNAVAILABLE, "Error reading the store").into_response()
        }
    }
}

/// The read API's bearer token, from `SYNC_API_TOKEN`.
#[derive(Clone)]
struct ApiToken(Arc<str>);

impl ApiToken {
    /// `None` when the variable is unset or blank; an error when it is too short.
    fn from_env() -> Result<Option<Self>, String> {
        let Ok(value) = std::env::var(API_TOKEN_VAR) else {
            return Ok(None);
        };
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        if value.len() < MIN_API_TOKEN_LEN {
            return Err(format!(
                "Invalid {API_TOKEN_VAR}: use at least {MIN_API_TOKEN_LEN} random characters \
                 (for example `openssl rand -hex 32`)"
            ));
        }
        Ok(Some(Self(value.into())))
    }

    /// Whether `authorization` is `Bearer <this token>`, compared in constant time.
    fn admits(&self, authorization: Option<&[u8]>) -> bool {
        let presented = authorization.and_then(|value| {
            let (scheme, token) = value.split_at_checked(7)?;
            scheme.eq_ignore_ascii_case(b"bearer ").then_some(token)
        });
        presented.is_some_and(|token| constant_time_eq::constant_time_eq(token, self.0.as_bytes()))
    }
}

/// Answers 401 unless the request carries the token; the same answer whether or not the
/// requested row exists, since nothing is looked up first.
async fn require_token(State(token): State<ApiToken>, request: Request, next: Next) -> Response {
    let authorization = request.headers().get(header::AUTHORIZATION);
    if token.admits(authorization.map(|value| value.as_bytes())) {
        next.run(request).await
    } else {
        let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
        (StatusCode::UNAUTHORIZED, challenge, "Unauthorized").into_response()
    }
}

/// The app, without a socket. The read route exists only with a token.
fn app(config: WebhookConfig, store: SyncStore, token: Option<ApiToken>) -> Router {
    let state = AppState { config, store };
    let router = Router::new().route("/api/webhooks", post(webhook));
    let router = match token {
        Some(token) => router.merge(
            Router::new()
                .route("/api/users/{id}", get(user))
                .route_layer(middleware::from_fn_with_state(token, require_token)),
        ),
        None => router,
    };
    router.with_state(state)
}

/// Opens the store named by `DATABASE_URL`; exits 1 with one line if it cannot.
async fn open_store() -> SyncStore {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    SyncStore::connect(&url)
        .await
        .unwrap_or_else(|error| exit_with(format!("Could not open the store: {error}")))
}

/// `example-sync replay`: one replay of the quarantine, printed; exit 0, or 1 on a store
/// failure.
async fn replay() {
    // A missing .env is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    let store = open_store().await;
    match store.replay_quarantined().await {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{report}").is_err() {
                std::process::exit(1);
            }
        }
        Err(error) => exit_with(format!("Replay stopped: {error}")),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => serve().await,
        ["replay"] => replay().await,
        ["backfill"] => backfill(false).await,
        ["backfill", "--prune"] => backfill(true).await,
        _ => {
            eprintln!(
                "Unknown command {:?}. Usage: example-sync [replay | backfill [--prune]]",
                args.join(" ")
            );
            std::process::exit(2);
        }
    }
}

/// `example-sync backfill [--prune]`: load every user, organization and membership from
/// Clerk's Backend API (`CLERK_SECRET_KEY`, `CLERK_API_URL`) into the store, with a progress
/// line on a terminal and a summary; exit 0 when complete, 1 when a listing stopped or had
/// an anomaly (run it again), 1 with one line when the key or the store is refused.
async fn backfill(prune: bool) {
    // A missing .env is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let api = ClerkApi::from_env().unwrap_or_else(|error| exit_with(error));
    let store = open_store().await;
    let terminal = std::io::stderr().is_terminal();
    let options = BackfillOptions {
        prune,
        ..BackfillOptions::default()
    };
    let result = store
        .backfill(&api, &options, |resource, listed, total| {
            if terminal {
                // A bar where the listing says how many there are (users: a count only).
                let bar = total
                    .filter(|total| *total > 0)
                    .map_or(String::new(), |total| {
                        let done = usize::try_from(listed as u64 * 30 / total)
                            .unwrap_or(30)
                            .min(30);
                        format!(
                            "[{}{}] {listed} of {total}",
                            "#".repeat(done),
                            "-".repeat(30 - done)
                        )
                    });
                eprint!(
                    "\r\x1b[2KListing {resource}: {}",
                    if bar.is_empty() {
                        listed.to_string()
                    } else {
                        bar
                    }
                );
            }
        })
        .await;
    if terminal {
        eprint!("\r\x1b[2K");
    }
    match result {
        Ok(report) => {
            let complete = report.is_complete();
            if writeln!(std::io::stdout().lock(), "{report}").is_err() || !complete {
                std::process::exit(1);
            }
        }
        Err(error) => exit_with(format!("Backfill stopped: {error}")),
    }
}

async fn serve() {
    // A missing .env is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let config = WebhookConfig::from_env().unwrap_or_else(|error| exit_with(error));
    let token = ApiToken::from_env().unwrap_or_else(|error| exit_with(error));
    let host: IpAddr = setting("HOST", "127.0.0.1", "an IP address such as 127.0.0.1");
    let port: u16 = setting("PORT", "3000", "a number from 0 to 65535");
    let header_timeout: NonZeroU64 =
        setting("WEBHOOK_HEADER_TIMEOUT", "10", "whole seconds above 0");
    let store = open_store().await;
    tracing::info!("Storing into {:?}", store.backend());
    if token.is_none() {
        tracing::info!("{API_TOKEN_VAR} is not set: the read route /api/users/{{id}} is off");
    }
    let addr = SocketAddr::new(host, port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|error| exit_with(format!("Could not listen on {addr}: {error}")));
    tracing::info!("Listening on http://{addr}/api/webhooks");
    // Not `axum::serve`: it cannot cut off a client that drips its headers (slowloris).
    let header_timeout = Duration::from_secs(header_timeout.get());
    let app = app(config, store, token);
    clerk_webhook_axum::serve(listener, app, header_timeout, shutdown_signal()).await;
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

// The repository's tests of this file (the shared contract suite, the read route, the
// store failure); leave these two lines out of your copy.
#[cfg(test)]
mod tests;
