//! The `clerk-webhook` command line. See `clerk-webhook --help`.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{ArgMatches, Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use clerk_webhook_cli::offline::{self, read_input};
use clerk_webhook_cli::send::{self, Payload, SendPlan};
use clerk_webhook_cli::soak::{self, SoakPlan};
use clerk_webhook_cli::{CliError, Deliverer, SignedDelivery, ids};
use clerk_webhook_cli::{check, replay};
use clerk_webhook_core::{EVENT_TYPES, SECRET_ENV_VAR, WebhookVerifier};

mod dev_command;

/// Where the examples' webhook route listens.
const DEFAULT_URL: &str = "http://localhost:3000/api/webhooks";

/// Test Clerk webhooks locally: send signed samples, sign and verify deliveries, audit endpoints.
#[derive(Debug, Parser)]
#[command(name = "clerk-webhook", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct SecretArg {
    /// The endpoint's signing secret (`whsec_…`); defaults to CLERK_WEBHOOK_SIGNING_SECRET,
    /// from the environment or `.env`.
    #[arg(long, env = SECRET_ENV_VAR, hide_env_values = true)]
    secret: Option<String>,
}

impl SecretArg {
    fn verifier(&self) -> Result<WebhookVerifier, CliError> {
        let list = self.secret.as_deref().unwrap_or_default();
        Ok(WebhookVerifier::from_secret_list(list)?)
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Deliver signed sample events (fresh msg_ id and timestamp each) and report.
    Send {
        /// Event types to send (`clerk-webhook samples` lists them).
        event_types: Vec<String>,
        /// Where the webhook route listens.
        #[arg(long, default_value = DEFAULT_URL)]
        url: String,
        /// Send this JSON file instead of a built-in sample.
        #[arg(long, conflicts_with_all = ["event_types", "all"])]
        file: Option<String>,
        /// Send every event type.
        #[arg(long)]
        all: bool,
        /// Deliveries in all (cycling through the payloads); defaults to one per payload.
        #[arg(long)]
        count: Option<usize>,
        /// Deliveries in flight at once.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Append a unique suffix to each delivery's data.id, so a load test creates many
        /// distinct users (or organizations…) instead of updating one.
        #[arg(long)]
        fresh_ids: bool,
        #[command(flatten)]
        secret: SecretArg,
    },
    /// Print the svix-* headers for a payload (or a curl command that sends it).
    Sign {
        /// The message id; a fresh msg_ id by default.
        #[arg(long)]
        id: Option<String>,
        /// Unix seconds; now by default.
        #[arg(long)]
        timestamp: Option<i64>,
        /// Print a ready-to-run curl command posting to this URL.
        #[arg(long, value_name = "URL")]
        curl: Option<String>,
        /// The payload file, or - for standard input.
        file: String,
        #[command(flatten)]
        secret: SecretArg,
    },
    /// Verify a captured delivery offline. Exit 0: verified (also when its data does not fit
    /// the typed model: that is printed); 1: refused (reason printed); 2: a usage or
    /// configuration error (a file that cannot be read, no secret).
    Verify {
        /// The svix-id header.
        #[arg(long, required_unless_present = "delivery")]
        id: Option<String>,
        /// The svix-timestamp header.
        #[arg(long, required_unless_present = "delivery")]
        timestamp: Option<String>,
        /// The svix-signature header.
        #[arg(long, required_unless_present = "delivery")]
        signature: Option<String>,
        /// Verify capture lines of the Clerk CLI's format instead (`clerk webhooks listen
        /// --json`, `clerk-webhook dev --json`): `@FILE` (NDJSON, every delivery line), `-`
        /// for standard input, or one line inline.
        #[arg(long, value_name = "@FILE|-|JSON", conflicts_with_all = ["id", "timestamp", "signature", "file"])]
        delivery: Option<String>,
        /// Accept any age (captures are usually older than five minutes).
        #[arg(long)]
        ignore_timestamp: bool,
        /// The body file, or - for standard input.
        #[arg(required_unless_present = "delivery")]
        file: Option<String>,
        #[command(flatten)]
        secret: SecretArg,
    },
    /// Send captured deliveries (NDJSON lines of the Clerk CLI's capture format) to a local
    /// handler, keeping each svix-id. Exit 1 if any answer is not 2xx.
    Replay {
        /// The capture file, or - for standard input.
        file: String,
        /// Where the webhook route listens.
        #[arg(long, default_value = DEFAULT_URL)]
        url: String,
        /// Re-sign each delivery with your secret and a fresh timestamp (captured
        /// signatures are older than five minutes, or made with another secret).
        #[arg(long)]
        resign: bool,
        #[command(flatten)]
        secret: SecretArg,
    },
    /// Run a local stand-in for Svix: messages are POSTed to your handler, retried on
    /// Svix's schedule, and shown (with every attempt) by a console page and a JSON API.
    Dev {
        /// Your webhook route [default: http://localhost:3000/api/webhooks]. Give it once
        /// per endpoint: ep_1, ep_2… in this order; a message goes to every enabled
        /// endpoint whose --filter matches its type.
        #[arg(long, value_name = "URL")]
        forward_to: Vec<String>,
        /// The event types the --forward-to before it subscribes to, comma-separated:
        /// `user.created`, `user.*` (every user. type) or `*`. Without one: every type.
        #[arg(long, value_name = "TYPES")]
        filter: Vec<String>,
        /// The signing secret of the --forward-to before it, when not --secret's.
        #[arg(long, value_name = "SECRET")]
        endpoint_secret: Vec<String>,
        /// Where the console page and the API listen: a loopback address, unless
        /// --allow-remote.
        #[arg(long, default_value = "127.0.0.1:3030")]
        listen: String,
        /// Let --listen take an address other than loopback (0.0.0.0 inside a container,
        /// say). Anyone who can reach it can have payloads signed with your secret.
        #[arg(long)]
        allow_remote: bool,
        /// The SQLite file keeping messages and attempts across restarts.
        #[arg(long, default_value = "clerk-webhook-dev.db")]
        db: std::path::PathBuf,
        /// Multiplies every retry delay: 0.001 turns Svix's 5 minutes into 0.3 s.
        // Negative numbers parse, so that the command itself says why they are refused.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        time_scale: f64,
        /// Print one capture line (the Clerk CLI's NDJSON format) per attempt on standard
        /// output, and nothing else there.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        secret: SecretArg,
    },
    /// Audit a webhook endpoint, in any language: exit 1 if any check fails.
    Check {
        /// The endpoint's URL.
        url: String,
        #[command(flatten)]
        secret: SecretArg,
    },
    /// Soak an endpoint: many mixed deliveries at full speed (valid, duplicate, tampered,
    /// stale, oversized); exit 1 on any wrong answer, any 5xx, or memory growth.
    Soak {
        /// The endpoint's URL.
        url: String,
        /// Deliveries in all.
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        /// Deliveries in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// The server's process id: sample its resident memory (Linux) and fail if it
        /// grows more than 10 % over the second half of the run.
        #[arg(long)]
        pid: Option<u32>,
        #[command(flatten)]
        secret: SecretArg,
    },
    /// List the event types with a built-in sample, or print one sample.
    Samples {
        /// The event type to print.
        event_type: Option<String>,
    },
    /// Print a fresh random signing secret (whsec_…) for local development.
    Secret,
}

/// Exit codes: 0 success, 1 a delivery, check or verification failed, 2 a usage or
/// configuration error.
fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    // The matches too: `dev` pairs each --filter with the --forward-to before it.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    match run(cli.command, &matches) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            match error {
                CliError::Connect { .. } | CliError::Http { .. } => ExitCode::from(1),
                _ => ExitCode::from(2),
            }
        }
    }
}

fn run(command: Command, matches: &ArgMatches) -> Result<ExitCode, CliError> {
    match command {
        Command::Send {
            event_types,
            url,
            file,
            all,
            count,
            concurrency,
            fresh_ids,
            secret,
        } => {
            let payloads = match file {
                Some(path) => vec![Payload::from_bytes(read_input(&path)?)],
                None if all => EVENT_TYPES
                    .iter()
                    .map(|t| Payload::sample(t))
                    .collect::<Result<_, _>>()?,
                None => event_types
                    .iter()
                    .map(|t| Payload::sample(t))
                    .collect::<Result<_, _>>()?,
            };
            let signer = secret.verifier()?;
            let deliverer = Deliverer::new(&url)?;
            let plan = SendPlan {
                count: count.unwrap_or(payloads.len()),
                payloads,
                concurrency,
                progress: count.is_some() && std::io::stdout().is_terminal(),
                fresh_ids,
            };
            let report = block_on(send::run(&deliverer, &signer, &plan))??;
            if count.is_none() {
                for delivery in &report.deliveries {
                    say(&send::delivery_line(delivery));
                }
            }
            say(&report.summary());
            Ok(exit_if(report.all_succeeded()))
        }
        Command::Sign {
            id,
            timestamp,
            curl,
            file,
            secret,
        } => {
            let body = read_input(&file)?;
            let signer = secret.verifier()?;
            let id = match id {
                Some(id) => id,
                None => ids::message_id()?,
            };
            let delivery =
                SignedDelivery::sign(&signer, id, offline::timestamp_or_now(timestamp), body);
            match curl {
                Some(url) => say(offline::curl_command(&delivery, &url, &file).trim_end()),
                None => say(offline::header_lines(&delivery).trim_end()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            delivery: Some(delivery),
            ignore_timestamp,
            secret,
            ..
        } => {
            let verifier = secret.verifier()?;
            let text = match delivery.strip_prefix('@') {
                Some(path) => read_input(path)?,
                None if delivery == "-" => read_input("-")?,
                None => delivery.into_bytes(),
            };
            let verdicts = offline::verify_capture_lines(
                &verifier,
                &String::from_utf8_lossy(&text),
                ignore_timestamp,
            );
            for verdict in &verdicts {
                say(&verdict.summary());
            }
            if verdicts.is_empty() {
                say("Not verified: no delivery line (type \"event\") in the input");
            }
            Ok(exit_if(
                !verdicts.is_empty() && verdicts.iter().all(|v| v.result.is_ok()),
            ))
        }
        Command::Verify {
            id,
            timestamp,
            signature,
            ignore_timestamp,
            file,
            secret,
            delivery: None,
        } => {
            let verifier = secret.verifier()?;
            let (Some(id), Some(timestamp), Some(signature), Some(file)) =
                (id, timestamp, signature, file)
            else {
                return Err(CliError::Usage(
                    "pass --id, --timestamp, --signature and the body file, or --delivery"
                        .to_owned(),
                ));
            };
            let body = read_input(&file)?;
            match offline::verify_capture(
                &verifier,
                &id,
                &timestamp,
                &signature,
                body,
                ignore_timestamp,
            ) {
                Ok(webhook) => {
                    say(&offline::verified_line(&webhook));
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    say(&format!(
                        "Not verified: {}",
                        offline::timestamp_hint(&error)
                    ));
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Replay {
            file,
            url,
            resign,
            secret,
        } => {
            let text = String::from_utf8_lossy(&read_input(&file)?).into_owned();
            let signer = if resign {
                Some(secret.verifier()?)
            } else {
                None
            };
            let signing = signer
                .as_ref()
                .map_or(replay::Signing::AsCaptured, replay::Signing::Resign);
            let deliverer = Deliverer::new(&url)?;
            let replayed = block_on(replay::run(&deliverer, &text, signing))??;
            for line in &replayed {
                say(&line.summary());
            }
            let succeeded = replayed.iter().filter(|r| r.succeeded()).count();
            say(&format!(
                "{succeeded} of {} deliveries got 2xx",
                replayed.len()
            ));
            if !resign && succeeded < replayed.len() {
                say(
                    "(captured signatures expire after five minutes: --resign signs again with your secret)",
                );
            }
            Ok(exit_if(!replayed.is_empty() && succeeded == replayed.len()))
        }
        Command::Dev {
            listen,
            db,
            time_scale,
            json,
            allow_remote,
            secret,
            ..
        } => {
            let options = dev_command::Options {
                endpoints: dev_command::endpoint_flags(matches)?,
                listen,
                db,
                time_scale,
                json,
                allow_remote,
            };
            let verifier = secret.verifier()?;
            let secret_text = secret.secret.unwrap_or_default();
            block_on(dev_command::run(options, verifier, &secret_text))??;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { url, secret } => {
            let signer = secret.verifier()?;
            let deliverer = Deliverer::new(&url)?;
            let rows = block_on(check::run(&deliverer, &signer))??;
            say(check::table(&rows).trim_end());
            Ok(exit_if(rows.iter().all(|row| row.passed)))
        }
        Command::Soak {
            url,
            count,
            concurrency,
            pid,
            secret,
        } => {
            let signer = secret.verifier()?;
            let deliverer = Deliverer::new(&url)?;
            let plan = SoakPlan {
                count,
                concurrency,
                pid,
            };
            let report = block_on(soak::run(&deliverer, &signer, &plan))??;
            say(&report.summary());
            Ok(exit_if(report.passed()))
        }
        Command::Samples { event_type } => {
            match event_type {
                Some(event_type) => say(Payload::sample(&event_type)
                    .map(|p| String::from_utf8_lossy(&p.body).into_owned())?
                    .trim_end()),
                None => say(&EVENT_TYPES.join("\n")),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Secret => {
            say(&ids::signing_secret()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn exit_if(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Prints a result line: this is a command-line tool, standard output is its interface.
#[allow(clippy::print_stdout)]
fn say(text: &str) {
    println!("{text}");
}

fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("could not start the async runtime: {e}")))?;
    Ok(runtime.block_on(future))
}
