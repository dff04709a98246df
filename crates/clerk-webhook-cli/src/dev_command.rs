//! `clerk-webhook dev`: the command-line front of [`clerk_webhook_dev`].

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::ArgMatches;
use clerk_webhook_cli::CliError;
use clerk_webhook_cli::delivery::http_url;
use clerk_webhook_core::WebhookVerifier;
use clerk_webhook_dev::sender::ATTEMPT_TIMEOUT;
use clerk_webhook_dev::{
    self as dev, AttemptObserver, AttemptReport, CaptureLine, DevStore, EndpointConfig, Engine,
    EventFilter, MessageStatus, SecretInfo, Sender, SystemClock,
};

/// Where the examples' webhook route listens.
const DEFAULT_FORWARD_TO: &str = "http://localhost:3000/api/webhooks";

/// One `--forward-to`, with the `--filter` and `--endpoint-secret` that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EndpointFlags {
    pub(crate) url: String,
    pub(crate) filter: Option<String>,
    pub(crate) secret: Option<String>,
}

/// The command's flags.
#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) endpoints: Vec<EndpointFlags>,
    pub(crate) listen: String,
    pub(crate) db: PathBuf,
    pub(crate) time_scale: f64,
    pub(crate) json: bool,
    pub(crate) allow_remote: bool,
}

/// Pairs each `--filter` and `--endpoint-secret` with the `--forward-to` before it (with
/// no `--forward-to`, with the default URL).
pub(crate) fn endpoint_flags(matches: &ArgMatches) -> Result<Vec<EndpointFlags>, CliError> {
    let Some(dev) = matches.subcommand_matches("dev") else {
        return Ok(Vec::new());
    };
    let placed = |name: &str| -> Vec<(usize, String)> {
        match (dev.indices_of(name), dev.get_many::<String>(name)) {
            (Some(indices), Some(values)) => indices.zip(values.cloned()).collect(),
            _ => Vec::new(),
        }
    };
    let mut urls = placed("forward_to");
    let explicit = !urls.is_empty();
    if !explicit {
        urls.push((0, DEFAULT_FORWARD_TO.to_owned()));
    }
    let mut endpoints: Vec<EndpointFlags> = urls
        .iter()
        .map(|(_, url)| EndpointFlags {
            url: url.clone(),
            filter: None,
            secret: None,
        })
        .collect();
    for (flag, name) in [
        ("--filter", "filter"),
        ("--endpoint-secret", "endpoint_secret"),
    ] {
        for (index, value) in placed(name) {
            let owner = if explicit {
                urls.iter().rposition(|(at, _)| *at < index)
            } else {
                Some(0)
            };
            let Some(owner) = owner else {
                return Err(CliError::Usage(format!(
                    "{flag} applies to the --forward-to before it: put it after one"
                )));
            };
            let Some(endpoint) = endpoints.get_mut(owner) else {
                continue;
            };
            let slot = if name == "filter" {
                &mut endpoint.filter
            } else {
                &mut endpoint.secret
            };
            if slot.replace(value).is_some() {
                return Err(CliError::Usage(format!(
                    "--forward-to {} has two {flag}s: give one (a filter takes a comma-separated list)",
                    endpoint.url
                )));
            }
        }
    }
    Ok(endpoints)
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
    let remote_warning =
        dev::loopback::check_listen_address(listen, options.allow_remote).map_err(usage)?;
    let (configs, mut warnings) = endpoint_configs(&options.endpoints, &verifier, secret)?;
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
    let several = configs.len() > 1;
    let observer: AttemptObserver = if options.json {
        Arc::new(|report: &AttemptReport| {
            print_line(&CaptureLine::of_attempt(report).to_ndjson());
        })
    } else {
        Arc::new(move |report: &AttemptReport| print_line(&attempt_line(report, several)))
    };
    let engine = Engine::start_endpoints(
        store,
        configs,
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
    if let Some(warning) = remote_warning {
        tracing::warn!(address = %address, "clerk-webhook dev is listening beyond loopback");
        warnings.push(warning);
    }
    let mut stderr = std::io::stderr().lock();
    for warning in warnings {
        let _ = writeln!(stderr, "{warning}");
    }
    drop(stderr);
    dev::serve(engine, secret_info, listener, shutdown_signal())
        .await
        .map_err(|error| usage(format!("the dev server stopped: {error}")))
}

/// Each endpoint's URL, filter and signer, checked; and warnings for filters that match
/// no known event type.
fn endpoint_configs(
    endpoints: &[EndpointFlags],
    verifier: &WebhookVerifier,
    secret: &str,
) -> Result<(Vec<EndpointConfig>, Vec<String>), CliError> {
    let mut configs = Vec::with_capacity(endpoints.len());
    let mut warnings = Vec::new();
    for flags in endpoints {
        http_url(&flags.url)?;
        let filter = match &flags.filter {
            None => EventFilter::all(),
            Some(list) => EventFilter::parse_list(list)
                .map_err(|error| CliError::Usage(format!("--filter: {error}")))?,
        };
        for typo in filter.matching_no_known_type() {
            warnings.push(format!(
                "  Warning: --filter {typo} matches none of Clerk's event types (`clerk-webhook samples` lists them)"
            ));
        }
        let (signer, info) = match &flags.secret {
            Some(own) => (WebhookVerifier::from_secret_list(own)?, SecretInfo::of(own)),
            None => (verifier.clone(), SecretInfo::of(secret)),
        };
        let sender = Sender::new(signer, ATTEMPT_TIMEOUT).map_err(|error| CliError::Http {
            url: flags.url.clone(),
            reason: error.to_string(),
        })?;
        configs.push(
            EndpointConfig::new(&flags.url, sender)
                .filter(filter)
                .secret_info(info),
        );
    }
    Ok((configs, warnings))
}

async fn announce(engine: &Engine, options: &Options, address: SocketAddr, secret: &SecretInfo) {
    let endpoints = engine.endpoints().await.unwrap_or_default();
    let mut lines = Vec::new();
    match endpoints.as_slice() {
        [only] if only.filter_types.is_none() => {
            lines.push(format!("clerk-webhook dev: forwarding to {}", only.url));
        }
        _ => {
            lines.push(format!(
                "clerk-webhook dev: forwarding to {} endpoint(s)",
                endpoints.len()
            ));
            for endpoint in &endpoints {
                let subscribed = endpoint
                    .filter_types
                    .as_ref()
                    .map_or_else(|| "every event type".to_owned(), |types| types.join(", "));
                let hint = engine
                    .secret_info(&endpoint.id)
                    .map_or(secret.hint.as_str(), |info| info.hint.as_str());
                lines.push(format!(
                    "  {}  {}  ({subscribed})  Secret: {hint}",
                    endpoint.id, endpoint.url
                ));
            }
        }
    }
    lines.extend([
        format!("  Console:  http://{address}/"),
        format!("  API:      http://{address}/api/messages  (POST /in injects any JSON)"),
        format!(
            "  Database: {} (delete {}* to start afresh)  Secret: {}  Time scale: {}",
            options.db.display(),
            options.db.display(),
            secret.hint,
            options.time_scale
        ),
    ]);
    let development = endpoints.iter().any(|endpoint| {
        engine
            .secret_info(&endpoint.id)
            .is_some_and(|info| info.is_development_secret)
    });
    if development || secret.is_development_secret {
        lines.push(
            "  Warning: signing with the public development secret from .env.example; your production endpoint must use its own".to_owned(),
        );
    }
    for endpoint in endpoints.iter().filter(|endpoint| !endpoint.enabled) {
        lines.push(format!(
            "  {} ({}) is disabled (it answered `webhook-delivery: disable`); its messages wait until you enable it: POST /api/endpoints/{}/enable or the console",
            endpoint.id, endpoint.url, endpoint.id
        ));
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

/// One human line per attempt (naming the endpoint when there are several).
fn attempt_line(report: &AttemptReport, several: bool) -> String {
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
    let endpoint = if several {
        format!(" to {}", attempt.endpoint_id)
    } else {
        String::new()
    };
    format!(
        "{} {}{endpoint} attempt {} ({:?}): {answer} in {} ms{control} → {next}",
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
