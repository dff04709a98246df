//! `clerk-webhook dev`: the command-line front of [`clerk_webhook_cli::dev`].

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clerk_webhook_cli::CliError;
use clerk_webhook_cli::delivery::http_url;
use clerk_webhook_cli::dev::sender::ATTEMPT_TIMEOUT;
use clerk_webhook_cli::dev::{
    self, AttemptObserver, AttemptReport, CaptureLine, DevStore, Engine, MessageStatus, SecretInfo,
    Sender, SystemClock,
};
use clerk_webhook_core::WebhookVerifier;

/// The command's flags.
#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) forward_to: String,
    pub(crate) listen: String,
    pub(crate) db: PathBuf,
    pub(crate) time_scale: f64,
    pub(crate) json: bool,
}

/// Runs until Ctrl-C or SIGTERM. Start-up lines go to standard error, so that with
/// `--json` standard output holds capture lines only.
pub(crate) async fn run(
    options: Options,
    verifier: WebhookVerifier,
    secret: &str,
) -> Result<(), CliError> {
    let usage = |message: String| CliError::Usage(message);
    if !options.time_scale.is_finite() || options.time_scale < 0.0 {
        return Err(usage(format!(
            "--time-scale must be a number ≥ 0 (1 is Svix's real schedule), not {}",
            options.time_scale
        )));
    }
    let listen: SocketAddr = options.listen.parse().map_err(|_| {
        usage(format!(
            "--listen {:?} is not an address like 127.0.0.1:3030",
            options.listen
        ))
    })?;
    http_url(&options.forward_to)?;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();

    let store = DevStore::open(&options.db)
        .await
        .map_err(|error| usage(format!("could not open {}: {error}", options.db.display())))?;
    let sender = Sender::new(verifier, ATTEMPT_TIMEOUT)?;
    let observer: AttemptObserver = if options.json {
        Arc::new(|report: &AttemptReport| {
            print_line(&CaptureLine::of_attempt(report).to_ndjson());
        })
    } else {
        Arc::new(|report: &AttemptReport| print_line(&attempt_line(report)))
    };
    let engine = Engine::start(
        store,
        &options.forward_to,
        sender,
        Arc::new(SystemClock),
        options.time_scale,
        Some(observer),
    )
    .await
    .map_err(|error| usage(error.to_string()))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| usage(format!("could not listen on {listen}: {error}")))?;
    let address = listener.local_addr().unwrap_or(listen);
    let secret_info = SecretInfo::of(secret);
    announce(&engine, &options, address, &secret_info).await;
    dev::serve(engine, secret_info, listener, shutdown_signal())
        .await
        .map_err(|error| usage(format!("the dev server stopped: {error}")))
}

async fn announce(engine: &Engine, options: &Options, address: SocketAddr, secret: &SecretInfo) {
    let mut lines = vec![
        format!("clerk-webhook dev: forwarding to {}", options.forward_to),
        format!("  Console:  http://{address}/"),
        format!("  API:      http://{address}/api/messages  (POST /in injects any JSON)"),
        format!(
            "  Database: {}  Secret: {}  Time scale: {}",
            options.db.display(),
            secret.hint,
            options.time_scale
        ),
    ];
    if secret.is_development_secret {
        lines.push(
            "  Warning: signing with the public development secret from .env.example; your production endpoint must use its own".to_owned(),
        );
    }
    if let Ok(endpoint) = engine.endpoint().await
        && !endpoint.enabled
    {
        lines.push(
            "  The endpoint is disabled (it answered `webhook-delivery: disable`); messages wait until you enable it: POST /api/endpoint/enable or the console".to_owned(),
        );
    }
    if let Ok(pending) = engine.store().count(MessageStatus::Pending).await
        && pending > 0
    {
        lines.push(format!(
            "  Resuming {pending} pending message(s) from the last run"
        ));
    }
    let mut stderr = std::io::stderr().lock();
    for line in lines {
        let _ = writeln!(stderr, "{line}");
    }
}

/// One human line per attempt.
fn attempt_line(report: &AttemptReport) -> String {
    let attempt = &report.attempt;
    let answer = match (attempt.status_code, &attempt.error) {
        (Some(code), _) => code.to_string(),
        (None, Some(error)) => error.clone(),
        (None, None) => "no answer".to_owned(),
    };
    let control = attempt
        .delivery_control
        .as_deref()
        .map(|value| format!(" [webhook-delivery: {value}]"))
        .unwrap_or_default();
    let next = match (report.status, report.next_attempt_at) {
        (MessageStatus::Pending, Some(next)) => {
            format!("pending, next attempt {}", dev::clock::rfc3339(next))
        }
        (status, _) => status.as_str().to_owned(),
    };
    format!(
        "{} {} attempt {} ({:?}): {answer} in {} ms{control} → {next}",
        report.message_id,
        report.event_type.as_deref().unwrap_or("(no type)"),
        attempt.number,
        attempt.trigger,
        attempt.latency_ms,
    )
}

/// Standard output is this command's interface.
#[allow(clippy::print_stdout)]
fn print_line(line: &str) {
    println!("{line}");
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
