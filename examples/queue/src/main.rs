//! The Clerk guide's handler, answering fast: `cargo run -p example-queue`.
//!
//! This file stands alone: copy it into `src/main.rs` of a new crate with these
//! dependencies, and it builds.
//!
//! ```toml
//! [dependencies]
//! apalis = { version = "1.0", default-features = false, features = ["limit", "retry", "tracing"] }
//! apalis-postgres = { version = "1.0", default-features = false, features = ["migrate"] }
//! apalis-sqlite = { version = "1.0", default-features = false, features = ["migrate", "json"] }
//! axum = { version = "0.8", default-features = false, features = ["http1", "tokio"] }
//! clerk-webhook-axum = { version = "0.1", features = ["metrics"] }
//! dotenvy = "0.15"
//! metrics-exporter-prometheus = { version = "0.18", default-features = false, features = ["http-listener"] }
//! reqwest = { version = "0.13", default-features = false, features = ["rustls"] }
//! serde = { version = "1", features = ["derive"] }
//! serde_json = "1"
//! sqlx = { version = "0.9", default-features = false, features = ["runtime-tokio", "sqlite-bundled", "postgres", "derive"] }
//! thiserror = "2"
//! tikv-jemallocator = { version = "0.6", features = ["background_threads"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread", "net", "signal", "sync"] }
//! tracing = "0.1"
//! tracing-subscriber = { version = "0.3", features = ["env-filter", "fmt", "json"] }
//! ```
//!
//! The handler verifies each delivery, stores it as a durable job keyed by its `svix-id`,
//! and answers 200 within milliseconds; workers then POST the event's `data` to
//! `NOTIFY_URL` (your mail or CRM API) with `Idempotency-Key: <svix-id>`, retrying with
//! backoff. The job engine is [apalis](https://docs.rs/apalis) 1.0: SQLite by default,
//! PostgreSQL when several processes share the queue. See this example's README.
//!
//! `example-queue` serves `POST /api/webhooks` and runs the workers; `example-queue worker`
//! runs the workers only; `example-queue jobs` lists the jobs not done (pending, running,
//! failed, dead) with their last error; `example-queue retry-dead` puts dead jobs back.
//!
//! It reads `.env`, then the axum example's settings (`CLERK_WEBHOOK_SIGNING_SECRET`,
//! `WEBHOOK_BODY_TIMEOUT`, `HOST`, `PORT`, `WEBHOOK_HEADER_TIMEOUT`, `RUST_LOG`) and:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `sqlite://clerk-queue.db` | the queue: an SQLite file, or `postgres://…` |
//! | `NOTIFY_URL` | (required) | where a worker POSTs each event's `data` |
//! | `NOTIFY_TIMEOUT` | `30` | seconds one POST may take before it counts as failed |
//! | `NOTIFY_ATTEMPTS` | `8` | attempts before a job is dead |
//! | `WORKERS` | `16` | jobs one process works on at once (`0`: receive only) |
//! | `RETRY_BACKOFF_MIN_MS`, `RETRY_BACKOFF_MAX_MS` | `2000`, `300000` | the first retry delay, doubled each time up to the maximum |
//! | `JOB_LEASE_SECS` | `60` | how long the jobs of a worker that stopped sending heartbeats (every third of this) stay with it |
//! | `QUEUE_POLL_MS` | `500` | how often an idle worker looks for new jobs |
//!
//! A bad setting stops it with one line on stderr and exit code 1; Ctrl-C or SIGTERM
//! finishes in-flight requests and the jobs in hand, then exits 0.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU64;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apalis::layers::retry::HasherRng;
use apalis::layers::retry::backoff::{ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff};
use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use clerk_webhook_axum::{ClerkWebhook, VerifiedWebhook, WebhookConfig};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

/// The engine's queue (its `job_type` column). Named here, not taken from the Rust type
/// name, so renaming the crate or the type does not strand queued jobs.
const QUEUE: &str = "clerk-notify";

/// The queue when `DATABASE_URL` is not set: a file beside the process.
const DEFAULT_DATABASE_URL: &str = "sqlite://clerk-queue.db";

/// jemalloc hands memory freed after a burst of connections back to the OS; glibc's
/// allocator kept more of it from burst to burst (see `docs/reliability.md`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// One job: what a worker needs to make the side effect, and nothing else.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NotifyJob {
    /// The delivery's `svix-id`: the engine's unique key and the `Idempotency-Key`.
    svix_id: String,
    /// `user.created`, …: for the logs.
    event_type: String,
    /// The event's `data`, as the JSON text Clerk sent.
    data: String,
}

impl NotifyJob {
    fn of(webhook: &VerifiedWebhook) -> Self {
        Self {
            svix_id: webhook.message_id().to_owned(),
            event_type: webhook.event_type().to_owned(),
            data: webhook.data_json().to_owned(),
        }
    }
}

/// Why a job could not be queued.
#[derive(Debug, thiserror::Error)]
enum QueueError {
    #[error("could not connect: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("could not create the queue's tables: {0}")]
    Migrate(String),
    #[error("could not queue the job: {0}")]
    Push(String),
    #[error("could not read or update the jobs: {0}")]
    Query(#[from] sqlx::Error),
}

/// The job store: apalis' SQLite or PostgreSQL backend, on one pool.
#[derive(Clone)]
enum JobQueue {
    Sqlite(SqliteStorage<NotifyJob>),
    Postgres(PostgresStorage<NotifyJob>),
}

impl JobQueue {
    /// Opens the queue named by `url` and creates the engine's tables if needed.
    async fn open(url: &str, settings: &WorkerSettings) -> Result<Self, QueueError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(20)
                .connect(url)
                .await
                .map_err(QueueError::Connect)?;
            PostgresStorage::<()>::setup(&pool)
                .await
                .map_err(|error| QueueError::Migrate(error.to_string()))?;
            let config = apalis_postgres::Config::default()
                .queue(QUEUE)
                .batch_size(settings.batch_size())
                .heartbeat_interval(settings.heartbeat)
                .missed_heartbeats(settings.missed_heartbeats);
            Ok(Self::Postgres(
                PostgresStorage::new(&pool).with_config(config),
            ))
        } else {
            // WAL lets the workers read while the handler writes; `synchronous = FULL`
            // makes each commit durable before the handler answers 200 (apalis' own
            // `setup` would turn it off, so only its migrations are run here).
            let options = SqliteConnectOptions::from_str(url)
                .map_err(QueueError::Connect)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePool::connect_with(options)
                .await
                .map_err(QueueError::Connect)?;
            SqliteStorage::<()>::migrations()
                .run(&pool)
                .await
                .map_err(|error| QueueError::Migrate(error.to_string()))?;
            let config = apalis_sqlite::Config::default()
                .queue(QUEUE)
                .batch_size(settings.batch_size())
                .heartbeat_interval(settings.heartbeat)
                .missed_heartbeats(settings.missed_heartbeats);
            Ok(Self::Sqlite(SqliteStorage::new(&pool).with_config(config)))
        }
    }

    /// Stores `job` unless a job with its `svix-id` exists: the engine's idempotency key
    /// is unique per queue. SQLite skips the duplicate row (`ON CONFLICT DO NOTHING`);
    /// PostgreSQL refuses it with a unique violation, which is the same answer.
    async fn enqueue(&self, job: NotifyJob, max_attempts: usize) -> Result<(), QueueError> {
        let task = TaskBuilder::new(job.clone())
            .idempotency_key(&job.svix_id)
            .max_attempts(max_attempts)
            .build();
        match self.clone() {
            Self::Sqlite(mut storage) => storage
                .push_task(task)
                .await
                .map_err(|error| QueueError::Push(error.to_string())),
            Self::Postgres(mut storage) => match storage.push_task(task).await {
                Ok(()) => Ok(()),
                Err(TaskSinkError::PushError(apalis_postgres::Error::Database(
                    sqlx::Error::Database(error),
                ))) if error.is_unique_violation() => Ok(()),
                Err(error) => Err(QueueError::Push(error.to_string())),
            },
        }
    }
}

/// The worker side's settings.
#[derive(Debug, Clone)]
struct WorkerSettings {
    notify_url: String,
    notify_timeout: Duration,
    attempts: usize,
    workers: usize,
    backoff_min: Duration,
    backoff_max: Duration,
    heartbeat: Duration,
    missed_heartbeats: usize,
    poll: Duration,
}

impl WorkerSettings {
    /// Reads the settings from the environment; exits with one line on a bad one.
    fn from_env(notify_required: bool) -> Self {
        let notify_url = std::env::var("NOTIFY_URL").unwrap_or_default();
        let notify_url = notify_url.trim().to_owned();
        if notify_required && notify_url.is_empty() {
            exit_with(
                "NOTIFY_URL is not set: the URL the workers POST each event's data to \
                 (your mail API, say)",
            );
        }
        let is_http = reqwest::Url::parse(&notify_url)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
        if !notify_url.is_empty() && !is_http {
            exit_with(format!(
                "Invalid NOTIFY_URL {notify_url:?}: expected an http:// or https:// URL"
            ));
        }
        let timeout: NonZeroU64 = setting("NOTIFY_TIMEOUT", "30", "whole seconds above 0");
        let attempts: u16 = setting("NOTIFY_ATTEMPTS", "8", "a number from 1 to 1000");
        if !(1..=1000).contains(&attempts) {
            exit_with(format!(
                "Invalid NOTIFY_ATTEMPTS \"{attempts}\": expected a number from 1 to 1000"
            ));
        }
        let backoff_min: u64 = setting("RETRY_BACKOFF_MIN_MS", "2000", "milliseconds");
        let backoff_max: NonZeroU64 =
            setting("RETRY_BACKOFF_MAX_MS", "300000", "milliseconds above 0");
        if backoff_min > backoff_max.get() {
            exit_with(format!(
                "Invalid RETRY_BACKOFF_MIN_MS \"{backoff_min}\": above RETRY_BACKOFF_MAX_MS"
            ));
        }
        let lease: u64 = setting("JOB_LEASE_SECS", "60", "whole seconds, at least 3");
        if lease < 3 {
            exit_with(format!(
                "Invalid JOB_LEASE_SECS \"{lease}\": expected whole seconds, at least 3"
            ));
        }
        let poll: NonZeroU64 = setting("QUEUE_POLL_MS", "500", "milliseconds above 0");
        let workers: u16 = setting("WORKERS", "16", "a number from 0 to 65535");
        Self {
            notify_url,
            notify_timeout: Duration::from_secs(timeout.get()),
            attempts: attempts.into(),
            workers: workers.into(),
            backoff_min: Duration::from_millis(backoff_min),
            backoff_max: Duration::from_millis(backoff_max.get()),
            // A worker that missed three heartbeats is gone: its jobs go back to the
            // queue. (apalis' defaults differ per backend: two for SQLite, ten for
            // PostgreSQL.)
            heartbeat: Duration::from_secs(lease / 3),
            missed_heartbeats: 3,
            poll: Duration::from_millis(poll.get()),
        }
    }

    /// Jobs fetched at once: as many as run at once. apalis sizes the channel that
    /// carries each job's lock and result to the database by it (four per batch slot);
    /// with fewer than two per running job, a worker could fill it and stall until a
    /// job ends.
    fn batch_size(&self) -> usize {
        self.workers.max(1)
    }

    /// The engine's retry policy: `attempts - 1` retries, exponential backoff with 20 %
    /// jitter. The job's `max_attempts` is the same number, so the engine never fetches
    /// a dead job again.
    fn retry_policy(&self) -> BackoffRetryPolicy<ExponentialBackoff> {
        let backoff = ExponentialBackoffMaker::new(
            self.backoff_min,
            self.backoff_max,
            0.2,
            HasherRng::default(),
        )
        .map(|mut maker| maker.make_backoff())
        .unwrap_or_else(|error| exit_with(format!("Invalid retry backoff: {error:?}")));
        RetryPolicy::retries(self.attempts.saturating_sub(1)).with_backoff(backoff)
    }
}

/// What a worker calls: the `NOTIFY_URL` and an HTTP client with its timeout.
#[derive(Debug, Clone)]
struct Notifier {
    url: String,
    client: reqwest::Client,
}

/// Why one POST to `NOTIFY_URL` did not count as done.
#[derive(Debug, thiserror::Error)]
enum NotifyError {
    #[error("NOTIFY_URL answered {0}")]
    Status(reqwest::StatusCode),
    #[error("NOTIFY_URL could not be reached: {0}")]
    Request(String),
}

/// The slow part, run by the workers: POST `data` with the `svix-id` as the
/// `Idempotency-Key`. A 2xx is done; anything else is retried by the engine.
async fn notify(
    job: NotifyJob,
    notifier: Data<Notifier>,
    attempt: Attempt,
) -> Result<(), NotifyError> {
    let result = notifier
        .client
        .post(&notifier.url)
        .header("idempotency-key", &job.svix_id)
        .header("content-type", "application/json")
        .body(job.data)
        .send()
        .await;
    let attempt = attempt.current();
    let outcome = match result {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(NotifyError::Status(response.status())),
        // Without the URL: reqwest's message names it, and it may carry credentials.
        Err(error) => Err(NotifyError::Request(error.without_url().to_string())),
    };
    match &outcome {
        Ok(()) => {
            tracing::info!(svix_id = %job.svix_id, event_type = %job.event_type, attempt, "Notified")
        }
        Err(error) => {
            tracing::warn!(svix_id = %job.svix_id, event_type = %job.event_type, attempt, %error, "Notify attempt failed")
        }
    }
    outcome
}

/// The guide's handler, made fast: verified by the extractor, stored as a job, answered.
/// A queue failure answers 503, so Svix retries; a duplicate `svix-id` answers 200 and
/// queues nothing.
async fn webhook(State(state): State<AppState>, ClerkWebhook(webhook): ClerkWebhook) -> Response {
    let id = webhook.data_id().unwrap_or_default();
    let event_type = webhook.event_type();
    tracing::info!("Received webhook with ID {id} and event type of {event_type}");
    if let Some(mismatch) = webhook.data_mismatch() {
        tracing::warn!(
            "Webhook data did not match the {event_type} model: {mismatch}; upgrade clerk-webhook-core"
        );
    }
    match state
        .queue
        .enqueue(NotifyJob::of(&webhook), state.attempts)
        .await
    {
        Ok(()) => {
            tracing::info!(svix_id = %webhook.message_id(), "Queued");
            (StatusCode::OK, "Webhook received").into_response()
        }
        Err(error) => {
            tracing::error!(svix_id = %webhook.message_id(), %error, "Could not queue webhook");
            (StatusCode::SERVICE_UNAVAILABLE, "Error queueing webhook").into_response()
        }
    }
}

#[derive(Clone)]
struct AppState {
    config: WebhookConfig,
    queue: JobQueue,
    attempts: usize,
}

impl axum::extract::FromRef<AppState> for WebhookConfig {
    fn from_ref(state: &AppState) -> Self {
        state.config.clone()
    }
}

/// The app, without a socket.
fn app(config: WebhookConfig, queue: JobQueue, attempts: usize) -> Router {
    let state = AppState {
        config,
        queue,
        attempts,
    };
    Router::new()
        .route("/api/webhooks", post(webhook))
        // One span per delivery: every line the handler logs names it.
        .route_layer(middleware::from_fn(clerk_webhook_axum::delivery_span))
        .with_state(state)
}

/// A worker of `settings.workers` concurrent jobs on `$backend`, with the engine's
/// retry policy. A macro because the SQLite and PostgreSQL backends are different types.
macro_rules! notify_worker {
    ($backend:expr, $name:expr, $settings:expr, $notifier:expr) => {
        WorkerBuilder::new($name)
            .backend($backend.poll_with_interval($settings.poll))
            .concurrency($settings.workers)
            .retry($settings.retry_policy())
            .data($notifier.clone())
            .build(notify)
    };
}

/// Runs the workers until `stop` turns true, then lets them finish the jobs in hand
/// (at most `NOTIFY_TIMEOUT` plus the backoff in progress, then a minute more).
async fn run_workers(
    queue: JobQueue,
    settings: WorkerSettings,
    mut stop: watch::Receiver<bool>,
) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(settings.notify_timeout)
        .connect_timeout(settings.notify_timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(|error| format!("Could not build the HTTP client: {error}"))?;
    let notifier = Notifier {
        url: settings.notify_url.clone(),
        client,
    };
    // Unique across processes and restarts: the engine refuses a live worker's name.
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    let prefix = format!("{QUEUE}-{}-{started}", std::process::id());
    let grace = settings.notify_timeout + settings.backoff_max + Duration::from_secs(60);
    let monitor = Monitor::new()
        .shutdown_timeout(grace)
        .should_restart(|worker, error| {
            tracing::error!(worker = %worker.name(), %error, restarts = worker.restarts(), "Worker stopped");
            worker.restarts() < 5
        });
    let monitor = match queue {
        JobQueue::Sqlite(storage) => monitor.register(move |restarts| {
            notify_worker!(
                storage.clone(),
                format!("{prefix}-{restarts}"),
                settings,
                notifier
            )
        }),
        JobQueue::Postgres(storage) => monitor.register(move |restarts| {
            notify_worker!(
                storage.clone(),
                format!("{prefix}-{restarts}"),
                settings,
                notifier
            )
        }),
    };
    let asked_to_stop = stop.clone();
    let signal = async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
        tracing::info!("Shutting down: finishing the jobs in hand");
        Ok(())
    };
    monitor
        .run_with_signal(signal)
        .await
        .map_err(|error| format!("The workers stopped: {error}"))?;
    if *asked_to_stop.borrow() {
        Ok(())
    } else {
        Err("The workers stopped on errors (logged above)".to_owned())
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // A missing .env is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    match args.as_slice() {
        [] => serve().await,
        ["worker"] => work().await,
        ["jobs"] => jobs().await,
        ["retry-dead"] => retry_dead().await,
        _ => {
            eprintln!(
                "Unknown command {:?}. Usage: example-queue [worker | jobs | retry-dead]",
                args.join(" ")
            );
            std::process::exit(2);
        }
    }
}

/// Logs to stdout: readable text (coloured only on a terminal), or one JSON object per line
/// with `LOG_FORMAT=json`; exits 1 with one line on any other value.
fn init_tracing() {
    let json = match std::env::var("LOG_FORMAT").unwrap_or_default().trim() {
        "" | "text" => false,
        "json" => true,
        other => exit_with(format!(
            "Invalid LOG_FORMAT {other:?}: expected text or json"
        )),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()));
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stdout().is_terminal()).init();
    }
}

/// `METRICS_ADDR` (for example `127.0.0.1:9464`), if set: where `GET /metrics` answers in
/// Prometheus' text format, never the public webhook port. Exits 1 with one line if it is
/// not an address.
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

/// Serves the metrics on `addr`; exits 1 with one line if it cannot.
fn init_metrics(addr: SocketAddr) {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()
        .unwrap_or_else(|error| exit_with(format!("Could not serve metrics on {addr}: {error}")));
    tracing::info!("Metrics on http://{addr}/metrics");
}

/// Opens the queue named by `DATABASE_URL`; exits 1 with one line if it cannot.
async fn open_queue(settings: &WorkerSettings) -> JobQueue {
    let url = std::env::var("DATABASE_URL").unwrap_or_default();
    let url = if url.trim().is_empty() {
        DEFAULT_DATABASE_URL
    } else {
        url.trim()
    };
    JobQueue::open(url, settings)
        .await
        .unwrap_or_else(|error| exit_with(format!("Could not open the queue: {error}")))
}

/// The receiver and (unless `WORKERS=0`) the workers, in one process.
async fn serve() {
    // Every setting first: a bad one stops the server before anything is logged.
    let host: IpAddr = setting("HOST", "127.0.0.1", "an IP address such as 127.0.0.1");
    let port: u16 = setting("PORT", "3000", "a number from 0 to 65535");
    let header_timeout: NonZeroU64 =
        setting("WEBHOOK_HEADER_TIMEOUT", "10", "whole seconds above 0");
    let metrics = metrics_addr();
    let settings = WorkerSettings::from_env(workers_wanted());
    init_tracing();
    let config = WebhookConfig::from_env().unwrap_or_else(|error| exit_with(error));
    if let Some(addr) = metrics {
        init_metrics(addr);
    }
    let queue = open_queue(&settings).await;
    let addr = SocketAddr::new(host, port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|error| exit_with(format!("Could not listen on {addr}: {error}")));
    tracing::info!("Listening on http://{addr}/api/webhooks");
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = std::sync::Arc::new(stop_tx);
    tokio::spawn({
        let stop_tx = std::sync::Arc::clone(&stop_tx);
        async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        }
    });
    let workers = if settings.workers == 0 {
        tracing::info!("WORKERS=0: receiving only; run `example-queue worker` elsewhere");
        None
    } else {
        tracing::info!(workers = settings.workers, "Working the queue");
        let (queue, settings, stop_rx) = (queue.clone(), settings.clone(), stop_rx.clone());
        Some(tokio::spawn(async move {
            let result = run_workers(queue, settings, stop_rx).await;
            // Workers that stopped on their own take the receiver down with them.
            let _ = stop_tx.send(true);
            result
        }))
    };
    // Not `axum::serve`: it cannot cut off a client that drips its headers (slowloris).
    let header_timeout = Duration::from_secs(header_timeout.get());
    let app = app(config, queue, settings.attempts);
    let mut http_stop = stop_rx;
    clerk_webhook_axum::serve(listener, app, header_timeout, async move {
        let _ = http_stop.wait_for(|stopped| *stopped).await;
        tracing::info!("Shutting down: finishing in-flight requests");
    })
    .await;
    if let Some(workers) = workers {
        finish(workers.await.unwrap_or_else(|error| Err(error.to_string())));
    }
}

/// `example-queue worker`: the workers only, no HTTP.
async fn work() {
    init_tracing();
    let settings = WorkerSettings::from_env(true);
    if settings.workers == 0 {
        exit_with("Invalid WORKERS \"0\": `example-queue worker` needs at least 1");
    }
    let queue = open_queue(&settings).await;
    tracing::info!(workers = settings.workers, "Working the queue");
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    finish(run_workers(queue, settings, stop_rx).await);
}

/// Exits 1 with one line when the workers stopped on an error.
fn finish(result: Result<(), String>) {
    if let Err(error) = result {
        exit_with(error);
    }
}

/// One job that is not done, as `example-queue jobs` shows it.
#[derive(Debug, sqlx::FromRow)]
struct JobRow {
    idempotency_key: Option<String>,
    status: String,
    attempts: i64,
    max_attempts: i64,
    last_result: Option<String>,
}

impl JobRow {
    /// `pending` (waiting, or fetched and about to start), `running` (in a worker's
    /// hands, including its backoff between attempts), `failed` (will be tried again)
    /// or `dead` (out of attempts, or killed).
    fn state(&self) -> &'static str {
        match self.status.as_str() {
            "Running" => "running",
            "Failed" if self.attempts < self.max_attempts => "failed",
            "Failed" | "Killed" => "dead",
            _ => "pending",
        }
    }

    /// The error the engine stored (`{"Err": "…"}`), or nothing.
    fn last_error(&self) -> String {
        let Some(result) = self.last_result.as_deref() else {
            return String::new();
        };
        match serde_json::from_str::<serde_json::Value>(result) {
            Ok(value) => value
                .get("Err")
                .map(|error| {
                    error
                        .as_str()
                        .map_or_else(|| error.to_string(), str::to_owned)
                })
                .unwrap_or_default(),
            Err(_) => result.to_owned(),
        }
    }
}

// The SQL of `jobs` and `retry-dead`, on the engine's own tables (`Jobs` in SQLite,
// `apalis.jobs` in PostgreSQL): apalis has no call that lists a job's last error or
// revives a dead one. Dead: failed with no attempts left, or killed.
const SQLITE_JOBS: &str = "SELECT idempotency_key, status, CAST(attempts AS BIGINT) AS attempts, \
    CAST(max_attempts AS BIGINT) AS max_attempts, last_result FROM Jobs \
    WHERE job_type = ? AND status <> 'Done' ORDER BY run_at, id";
const POSTGRES_JOBS: &str = "SELECT idempotency_key, status, CAST(attempts AS BIGINT) AS attempts, \
    CAST(max_attempts AS BIGINT) AS max_attempts, last_result::text AS last_result \
    FROM apalis.jobs WHERE job_type = $1 AND status <> 'Done' ORDER BY run_at, id";
const SQLITE_RETRY_DEAD: &str = "UPDATE Jobs SET status = 'Pending', attempts = 0, \
    run_at = strftime('%s', 'now'), lock_by = NULL, lock_at = NULL, done_at = NULL \
    WHERE job_type = ? AND ((status = 'Failed' AND attempts >= max_attempts) OR status = 'Killed')";
const POSTGRES_RETRY_DEAD: &str = "UPDATE apalis.jobs SET status = 'Pending', attempts = 0, \
    run_at = now(), lock_by = NULL, lock_at = NULL, done_at = NULL \
    WHERE job_type = $1 AND ((status = 'Failed' AND attempts >= max_attempts) OR status = 'Killed')";

/// `example-queue jobs`: every job not done, oldest first, then a count per state.
async fn jobs() {
    let queue = open_queue(&WorkerSettings::from_env(false)).await;
    let rows: Result<Vec<JobRow>, sqlx::Error> = match &queue {
        JobQueue::Sqlite(storage) => {
            sqlx::query_as(SQLITE_JOBS)
                .bind(QUEUE)
                .fetch_all(storage.pool())
                .await
        }
        JobQueue::Postgres(storage) => {
            sqlx::query_as(POSTGRES_JOBS)
                .bind(QUEUE)
                .fetch_all(storage.pool())
                .await
        }
    };
    let rows = rows.unwrap_or_else(|error| exit_with(QueueError::Query(error)));
    let mut out = String::new();
    let mut counts = [("pending", 0), ("running", 0), ("failed", 0), ("dead", 0)];
    for row in &rows {
        let state = row.state();
        if let Some((_, count)) = counts.iter_mut().find(|(name, _)| *name == state) {
            *count += 1;
        }
        let _ = writeln!(
            out,
            "{state:<8} {:>4}/{:<4} {:<32} {}",
            row.attempts,
            row.max_attempts,
            row.idempotency_key.as_deref().unwrap_or("-"),
            row.last_error()
        );
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(name, count)| format!("{count} {name}"))
        .collect();
    let _ = writeln!(out, "{}", summary.join(", "));
    if std::io::stdout().lock().write_all(out.as_bytes()).is_err() {
        std::process::exit(1);
    }
}

/// `example-queue retry-dead`: every dead job back to pending with a fresh set of
/// attempts; the workers pick them up as usual.
async fn retry_dead() {
    let queue = open_queue(&WorkerSettings::from_env(false)).await;
    let result = match &queue {
        JobQueue::Sqlite(storage) => sqlx::query(SQLITE_RETRY_DEAD)
            .bind(QUEUE)
            .execute(storage.pool())
            .await
            .map(|done| done.rows_affected()),
        JobQueue::Postgres(storage) => sqlx::query(POSTGRES_RETRY_DEAD)
            .bind(QUEUE)
            .execute(storage.pool())
            .await
            .map(|done| done.rows_affected()),
    };
    let count = result.unwrap_or_else(|error| exit_with(QueueError::Query(error)));
    if writeln!(
        std::io::stdout().lock(),
        "Put {count} dead jobs back in the queue"
    )
    .is_err()
    {
        std::process::exit(1);
    }
}

/// Whether this process runs workers: unless `WORKERS=0`.
fn workers_wanted() -> bool {
    std::env::var("WORKERS").map_or(true, |set| set.trim() != "0")
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
}

// The repository's tests of this file (the shared contract suite against `app`); leave
// these two lines out of your copy.
#[cfg(test)]
mod tests;
