//! Start-up shared by the example servers, so each `main.rs` is only its framework's handler.
//!
//! [`start`] does what every example needs before serving: load `.env`, set up logging
//! (`RUST_LOG`, default `info`), read `CLERK_WEBHOOK_SIGNING_SECRET`, and read `HOST`
//! (default `127.0.0.1`), `PORT` (default `3000`), `WEBHOOK_HEADER_TIMEOUT` (seconds a
//! client may take to send a request's headers, default 10) and `WEBHOOK_BODY_TIMEOUT`
//! (seconds it may take to send the body, default 15). A problem stops the program with
//! one line on stderr and exit code 1, never a panic.
//!
//! [`serve()`] is the accept loop of the axum, poem, warp and sync examples: the one place
//! the header timeout is enforced for them (see its module docs for why).

use std::io::IsTerminal as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clerk_webhook_core::{DEFAULT_BODY_TIMEOUT, DEVELOPMENT_SECRET, SECRET_ENV_VAR, WebhookConfig};
use tracing_subscriber::EnvFilter;

mod serve;
pub use serve::{SHUTDOWN_GRACE, serve};

/// The examples' allocator: jemalloc, with a background thread that returns freed pages to
/// the OS about ten seconds after a burst. A public endpoint sees bursts (a thousand
/// connections at once, 1 MiB bodies); with glibc's allocator the resident memory they leave
/// behind kept ratcheting up from one burst to the next (`docs/reliability.md` has the
/// measurements). Every binary that links this crate uses it.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// How long a client may take to send a request's headers unless `WEBHOOK_HEADER_TIMEOUT`
/// says otherwise: far more than any real sender needs, far less than a slowloris wants.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The route the guide's handler serves.
pub const WEBHOOK_PATH: &str = "/api/webhooks";

/// What an example needs to serve.
#[derive(Debug)]
pub struct Startup {
    /// The verifier and body limit.
    pub config: WebhookConfig,
    /// Where to listen.
    pub addr: SocketAddr,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
}

/// Loads `.env`, sets up logging and reads the configuration; exits 1 on any problem.
#[must_use]
pub fn start() -> Startup {
    // A missing .env is normal; variables already set win over it.
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(log_filter())
        .with_ansi(std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
    let config = WebhookConfig::from_env().unwrap_or_else(|error| exit_with(error));
    let addr = listen_address().unwrap_or_else(|error| exit_with(error));
    let body_timeout = seconds_from_env("WEBHOOK_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT)
        .unwrap_or_else(|error| exit_with(error));
    let header_timeout = seconds_from_env("WEBHOOK_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT)
        .unwrap_or_else(|error| exit_with(error));
    warn_if_development_secret();
    Startup {
        config: config.with_body_timeout(body_timeout),
        addr,
        header_timeout,
    }
}

fn warn_if_development_secret() {
    let configured = std::env::var(SECRET_ENV_VAR).unwrap_or_default();
    if configured.contains(DEVELOPMENT_SECRET) {
        tracing::warn!(
            "Running with the public development secret from .env.example: anyone can sign \
             deliveries for it. Set {SECRET_ENV_VAR} to your endpoint's Signing Secret from \
             the Clerk Dashboard before exposing this server."
        );
    }
}

/// `RUST_LOG` (default `info`), except that targets known to log raw request headers are
/// capped at `info`, whatever `RUST_LOG` says: a webhook server must never log a
/// `svix-signature`. Rocket's `rocket::server` logs every request with all its headers at
/// `debug` (the end-to-end tests check every example at `RUST_LOG=trace`).
fn log_filter() -> EnvFilter {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for directive in ["rocket::server=info"] {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

fn listen_address() -> Result<SocketAddr, String> {
    let host = env_or("HOST", "127.0.0.1");
    let port = env_or("PORT", "3000");
    let ip: IpAddr = host
        .parse()
        .map_err(|_| format!("Invalid HOST {host:?}: expected an IP address such as 127.0.0.1"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("Invalid PORT {port:?}: expected a number from 0 to 65535"))?;
    Ok(SocketAddr::new(ip, port))
}

/// A timeout in whole seconds from the environment variable `name`, or `default`.
fn seconds_from_env(name: &str, default: Duration) -> Result<Duration, String> {
    let value = env_or(name, &default.as_secs().to_string());
    match value.parse::<u64>() {
        Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
        _ => Err(format!(
            "Invalid {name} {value:?}: expected a whole number of seconds above 0"
        )),
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Binds `addr` and logs where the server listens; exits 1 with one line if it cannot.
pub async fn listen(addr: SocketAddr) -> tokio::net::TcpListener {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|error| exit_with(format!("Could not listen on {addr}: {error}")));
    log_listening(addr);
    listener
}

/// Logs where the server listens.
pub fn log_listening(addr: SocketAddr) {
    tracing::info!("Listening on http://{addr}{WEBHOOK_PATH}");
}

/// Prints `message` as the one line on stderr and exits with code 1.
pub fn exit_with(message: impl std::fmt::Display) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}

/// Resolves on Ctrl-C or SIGTERM, for frameworks that take a shutdown future.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
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
