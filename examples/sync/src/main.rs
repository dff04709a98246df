//! The Clerk guide's handler plus a database: `cargo run -p example-sync`.
//!
//! This file stands alone: copy it into `src/main.rs` of a new crate with these
//! dependencies, and it builds.
//!
//! ```toml
//! [dependencies]
//! axum = { version = "0.8", default-features = false, features = ["http1", "tokio", "json"] }
//! clerk-webhook-axum = { version = "0.1", features = ["metrics"] }
//! clerk-webhook-sync = { version = "0.1", features = ["metrics"] }
//! constant_time_eq = "0.4"
//! dotenvy = "0.15"
//! metrics-exporter-prometheus = { version = "0.18", default-features = false, features = ["http-listener"] }
//! serde = { version = "1", features = ["derive"] }
//! serde_json = "1"
//! tikv-jemallocator = { version = "0.6", features = ["background_threads"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread", "net", "signal"] }
//! tracing = "0.1"
//! tracing-subscriber = { version = "0.3", features = ["env-filter", "fmt", "json"] }
//! # Span export over OTLP, only with `--features otlp`:
//! opentelemetry = { version = "0.33", default-features = false, features = ["trace"], optional = true }
//! opentelemetry_sdk = { version = "0.33", default-features = false, features = ["trace"], optional = true }
//! opentelemetry-otlp = { version = "0.33", default-features = false, features = ["trace", "http-proto", "reqwest-blocking-client"], optional = true }
//! tracing-opentelemetry = { version = "0.34", default-features = false, optional = true }
//!
//! [features]
//! otlp = ["dep:opentelemetry", "dep:opentelemetry_sdk", "dep:opentelemetry-otlp", "dep:tracing-opentelemetry"]
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
//! Your own table, kept in step: `app_users(id, email, display_name, deleted)` belongs to
//! the app (its own migration below), and `AppUsers`, a `SyncHook`, writes it inside the
//! transaction of every delivery that changes a user in the mirror. It gets the mirror's
//! guarantees: a duplicate or a stale version never reaches it, a deletion is final, and
//! when it fails, the whole delivery rolls back and is answered 503 so Svix retries it.
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
use clerk_webhook_sync::sqlx::migrate::{Migration, MigrationType, Migrator};
use clerk_webhook_sync::sqlx::{self, AnyConnection, SqlStr};
use clerk_webhook_sync::{
    BackfillOptions, ClerkApi, DEFAULT_DATABASE_URL, HookError, MirrorChange, Mirrored, Resource,
    StoreOptions, SyncError, SyncHook, SyncStore,
};
use metrics_exporter_prometheus::PrometheusBuilder;
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

/// The app's own table: the one your code reads. Keep it in your migrations.
const APP_USERS_TABLE: &str = "CREATE TABLE app_users (
    id TEXT PRIMARY KEY,
    email TEXT,
    display_name TEXT,
    deleted BOOLEAN NOT NULL
)";

/// Keeps `app_users` in step with the mirror, inside each delivery's transaction: only
/// database work here (a welcome email belongs after the commit, or in a job queue).
struct AppUsers;

/// One `app_users` row.
struct AppUser<'a> {
    id: &'a str,
    email: Option<String>,
    display_name: Option<String>,
    deleted: bool,
}

impl<'a> AppUser<'a> {
    /// The row a change writes; `None` for organizations and memberships.
    fn of(change: &MirrorChange<'a>) -> Option<Self> {
        let (email, display_name, deleted) = match change.object {
            Mirrored::User(user) => {
                let email = user.primary_email_address().map(str::to_owned);
                let full_name = format!(
                    "{} {}",
                    user.first_name.as_deref().unwrap_or_default(),
                    user.last_name.as_deref().unwrap_or_default()
                );
                let display_name = Some(full_name.trim().to_owned())
                    .filter(|name| !name.is_empty())
                    .or_else(|| user.username.clone())
                    .or_else(|| email.clone());
                (email, display_name, false)
            }
            Mirrored::Deleted if change.resource == Resource::Users => (None, None, true),
            _ => return None,
        };
        Some(Self {
            id: change.id,
            email,
            display_name,
            deleted,
        })
    }
}

/// Rows per `INSERT`: 4 values each, far below SQLite's and PostgreSQL's parameter limits.
const APP_USERS_PER_INSERT: usize = 500;

/// Writes `rows` (each id once) in one statement.
async fn upsert_app_users(rows: &[AppUser<'_>], tx: &mut AnyConnection) -> Result<(), HookError> {
    let values: Vec<String> = (0..rows.len())
        .map(|row| {
            let first = row * 4;
            format!(
                "(${}, ${}, ${}, ${})",
                first + 1,
                first + 2,
                first + 3,
                first + 4
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO app_users (id, email, display_name, deleted) VALUES {}
         ON CONFLICT (id) DO UPDATE SET email = excluded.email,
         display_name = excluded.display_name, deleted = excluded.deleted",
        values.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in rows {
        query = query
            .bind(row.id)
            .bind(row.email.as_deref())
            .bind(row.display_name.as_deref())
            .bind(row.deleted);
    }
    query.execute(tx).await?;
    Ok(())
}

impl SyncHook for AppUsers {
    async fn on_change(
        &self,
        change: &MirrorChange<'_>,
        tx: &mut AnyConnection,
    ) -> Result<(), HookError> {
        match AppUser::of(change) {
            Some(row) => upsert_app_users(&[row], tx).await,
            None => Ok(()),
        }
    }

    /// A backfilled page: its users in a few multi-row statements, not one per user.
    async fn on_changes(
        &self,
        changes: &[MirrorChange<'_>],
        tx: &mut AnyConnection,
    ) -> Result<(), HookError> {
        let rows: Vec<AppUser<'_>> = changes.iter().filter_map(AppUser::of).collect();
        for chunk in rows.chunks(APP_USERS_PER_INSERT) {
            upsert_app_users(chunk, &mut *tx).await?;
        }
        Ok(())
    }
}

/// The mirror plus `app_users`.
type Store = SyncStore<AppUsers>;

/// `store` with the hook and the app's table (created if missing, safely when several
/// receivers start at once).
async fn with_app_users(store: SyncStore) -> Result<Store, SyncError> {
    let app_migrations = Migrator::with_migrations(vec![Migration::new(
        1,
        "app_users".into(),
        MigrationType::Simple,
        SqlStr::from_static(APP_USERS_TABLE),
        false,
    )]);
    let store = store.with_hook(AppUsers);
    store.run_migrations(&app_migrations).await?;
    Ok(store)
}

#[derive(Clone, FromRef)]
struct AppState {
    config: WebhookConfig,
    store: Store,
}

/// Verified by the extractor, then applied in one transaction with the delivery ledger
/// (and `app_users`). A store failure answers 503, so Svix retries; nothing was
/// half-written.
async fn webhook(State(store): State<Store>, ClerkWebhook(webhook): ClerkWebhook) -> Response {
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

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /readyz`: 200 when the database answers `SELECT 1` within a second, else 503 (take
/// the receiver out of rotation; Svix's retries wait for it).
async fn ready(State(store): State<Store>) -> Response {
    match store.ping(READY_TIMEOUT).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(%error, "Not ready: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// The stored user's public projection as JSON (behind the bearer token).
async fn user(State(store): State<Store>, Path(id): Path<String>) -> Response {
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
fn app(config: WebhookConfig, store: Store, token: Option<ApiToken>) -> Router {
    let state = AppState { config, store };
    let router = Router::new()
        .route("/api/webhooks", post(webhook))
        // One span per delivery: every line the handler logs names it.
        .route_layer(middleware::from_fn(clerk_webhook_axum::delivery_span))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready));
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

/// Where `DATABASE_URL` points, for the start-up log: the SQLite file and how to start
/// afresh, or PostgreSQL's host and database (never its user or password).
fn database_description() -> String {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    if let Some(file) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let file = file.split('?').next().unwrap_or_default();
        return format!("the SQLite file {file} (delete {file}* to start afresh)");
    }
    let host_and_database = url
        .split_once("://")
        .map_or(url.as_str(), |(_, rest)| rest)
        .rsplit_once('@')
        .map_or_else(
            || url.split_once("://").map_or("", |(_, rest)| rest),
            |(_, rest)| rest,
        );
    let host_and_database = host_and_database.split('?').next().unwrap_or_default();
    format!("PostgreSQL at {host_and_database}")
}

/// `DATABASE_WAIT`: the longest wait on the database; exits 1 with one line if it does not
/// parse.
fn store_options() -> StoreOptions {
    let wait: NonZeroU64 = setting("DATABASE_WAIT", "5", "whole seconds above 0");
    StoreOptions::with_wait(Duration::from_secs(wait.get()))
}

/// Opens the store named by `DATABASE_URL`; exits 1 with one line if it cannot.
async fn open_store() -> Store {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    let options = store_options();
    let store = match SyncStore::connect_with(&url, &options).await {
        Ok(store) => with_app_users(store).await,
        Err(error) => Err(error),
    };
    store.unwrap_or_else(|error| exit_with(format!("Could not open the store: {error}")))
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
    let _telemetry = init_logging("warn", true);
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
    // Every setting first: a bad one stops the server before anything is logged.
    let host: IpAddr = setting("HOST", "127.0.0.1", "an IP address such as 127.0.0.1");
    let port: u16 = setting("PORT", "3000", "a number from 0 to 65535");
    let header_timeout: NonZeroU64 =
        setting("WEBHOOK_HEADER_TIMEOUT", "10", "whole seconds above 0");
    let token = ApiToken::from_env().unwrap_or_else(|error| exit_with(error));
    let metrics_addr = metrics_addr();
    store_options();
    let telemetry = init_logging("info", false);
    let config = WebhookConfig::from_env().unwrap_or_else(|error| exit_with(error));
    let metrics = metrics_addr.map(init_metrics);
    let store = open_store().await;
    tracing::info!("Storing into {}", database_description());
    if let Some(addr) = metrics {
        tracing::info!("Metrics on http://{addr}/metrics");
    }
    match token {
        Some(_) => tracing::info!("Read route /api/users/{{id}} is on ({API_TOKEN_VAR} is set)"),
        None => tracing::info!("Read route /api/users/{{id}} is off ({API_TOKEN_VAR} is not set)"),
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
    telemetry.flush();
}

/// Logs to stdout (or stderr): human-readable, coloured only on a terminal, or one JSON
/// object per line with `LOG_FORMAT=json`. `RUST_LOG` filters (default `default_filter`).
/// With the `otlp` feature and `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans are also exported
/// over OTLP (HTTP/protobuf); keep the returned guard until the end, it flushes them.
fn init_logging(default_filter: &str, to_stderr: bool) -> Telemetry {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into());
    let json = match std::env::var("LOG_FORMAT").unwrap_or_default().trim() {
        "" | "text" => false,
        "json" => true,
        other => exit_with(format!(
            "Invalid LOG_FORMAT {other:?}: expected text or json"
        )),
    };
    let (writer, terminal) = if to_stderr {
        (
            BoxMakeWriter::new(std::io::stderr),
            std::io::stderr().is_terminal(),
        )
    } else {
        (
            BoxMakeWriter::new(std::io::stdout),
            std::io::stdout().is_terminal(),
        )
    };
    let fmt = tracing_subscriber::fmt::layer().with_writer(writer);
    let fmt = if json {
        fmt.json().boxed()
    } else {
        fmt.with_ansi(terminal).boxed()
    };
    let telemetry = Telemetry::from_env();
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(telemetry.layer())
        .init();
    telemetry
}

/// Span export over OTLP (feature `otlp`), when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
#[cfg(feature = "otlp")]
struct Telemetry(Option<opentelemetry_sdk::trace::SdkTracerProvider>);

#[cfg(feature = "otlp")]
impl Telemetry {
    fn from_env() -> Self {
        use opentelemetry_otlp::{Protocol, WithExportConfig as _};
        if std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|v| v.trim().is_empty())
            || std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_none()
        {
            return Self(None);
        }
        // The blocking HTTP client must be built outside the async runtime.
        let exporter = std::thread::spawn(|| {
            opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary)
                .build()
        })
        .join()
        .unwrap_or_else(|_| exit_with("Could not start the OTLP exporter"))
        .unwrap_or_else(|error| exit_with(format!("Invalid OTLP settings: {error}")));
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name("example-sync")
            .build();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        Self(Some(provider))
    }

    fn layer<S>(&self) -> Option<impl tracing_subscriber::Layer<S>>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        use opentelemetry::trace::TracerProvider as _;
        self.0.as_ref().map(|provider| {
            tracing_opentelemetry::layer().with_tracer(provider.tracer("example-sync"))
        })
    }

    /// Sends what is still buffered.
    fn flush(self) {
        if let Some(provider) = self.0
            && let Err(error) = provider.shutdown()
        {
            eprintln!("Could not flush the OTLP exporter: {error}");
        }
    }
}

/// Without the `otlp` feature: nothing to export.
#[cfg(not(feature = "otlp"))]
struct Telemetry;

#[cfg(not(feature = "otlp"))]
impl Telemetry {
    fn from_env() -> Self {
        Self
    }

    fn layer(&self) -> Option<tracing_subscriber::layer::Identity> {
        None
    }

    fn flush(self) {}
}

/// With `METRICS_ADDR` (for example `127.0.0.1:9464`), serves `GET /metrics` in
/// Prometheus' text format on that address: never on the public webhook port.
fn init_metrics(addr: SocketAddr) -> SocketAddr {
    let seconds = [
        0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
    ];
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets(&seconds)
        .and_then(PrometheusBuilder::install)
        .unwrap_or_else(|error| exit_with(format!("Could not serve metrics on {addr}: {error}")));
    addr
}

/// `METRICS_ADDR`, if set; exits 1 with one line if it is not an address.
fn metrics_addr() -> Option<SocketAddr> {
    let value = std::env::var("METRICS_ADDR").unwrap_or_default();
    if value.trim().is_empty() {
        return None;
    }
    let addr = value.trim().parse().unwrap_or_else(|_| {
        exit_with(format!(
            "Invalid METRICS_ADDR {value:?}: expected an address such as 127.0.0.1:9464"
        ))
    });
    Some(addr)
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
