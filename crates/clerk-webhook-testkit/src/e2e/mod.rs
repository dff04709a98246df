//! End to end: an example server's real binary, driven over loopback TCP (feature `e2e`).
//!
//! Each example calls [`run_example`] from an integration test with
//! `env!("CARGO_BIN_EXE_example-<framework>")`, so `cargo test --workspace` builds and runs
//! all six. The checks are grouped by concern: what deliveries get
//! (`delivery_checks`), hostile clients (`hostile`), and the CLI against the server
//! (`cli_checks`); `server` runs the process and `wire` speaks HTTP/1.1 by hand.

mod awkward_checks;
mod cli_checks;
mod delivery_checks;
mod hostile;
mod operations_checks;
mod server;
mod wire;

use clerk_webhook_core::{DEVELOPMENT_SECRET, SECRET_PREFIX, WebhookError};

use crate::TEST_SECRET;
use awkward_checks::{
    awkward_authentic_json_is_delivered, broken_body_in_its_first_bytes_is_a_read_error,
    non_ascii_utf8_header_is_accepted,
};
use cli_checks::{
    cli_check_passes_every_case, cli_send_of_every_event_type_gets_200,
    cli_soak_of_2000_mixed_deliveries_passes, dev_delivers_every_event_type_on_the_first_attempt,
};
use delivery_checks::{
    authentic_unusable_body_stops_retries, chunked_oversize_is_refused,
    declared_oversize_is_refused_before_reading, drifted_data_is_warned_about_and_accepted,
    get_is_not_allowed, in_flight_request_finishes_after_sigterm, lying_content_length_is_survived,
    no_secret_or_signature_is_ever_logged, non_utf8_header_is_rejected, only_warnings_are_logged,
    tampered_delivery_is_rejected, valid_delivery_is_logged_and_accepted,
};
use hostile::{
    garbage_is_refused, idle_connections_do_not_block_others, oversized_header_is_refused,
    slowloris_is_closed_while_others_are_served, stalled_body_times_out_while_others_are_served,
};
use operations_checks::{json_logs_name_the_delivery, metrics_count_deliveries_on_their_own_port};
use server::{Server, base_command, free_port};

/// Runs every end-to-end check against the example binary at `binary`.
///
/// # Panics
/// On the first check the server gets wrong, with the server's output.
pub fn run_example(binary: &str) {
    run(binary, &[], HeaderTimeout::Enforced);
}

/// [`run_example`] with extra environment variables for the server (a `DATABASE_URL`, say).
///
/// # Panics
/// As [`run_example`].
pub fn run_example_with_env(binary: &str, env: &[(&str, &str)]) {
    run(binary, env, HeaderTimeout::Enforced);
}

/// [`run_example`] for a server that cannot bound how long a client takes to send its
/// request head (Rocket 0.5 hard-codes hyper's header-read timeout off and takes no
/// listener from outside; see `docs/reliability.md`). The slowloris check then only asserts
/// that other clients are served meanwhile, not that the dripping connection is closed.
///
/// # Panics
/// As [`run_example`].
pub fn run_example_without_header_timeout(binary: &str) {
    run(binary, &[], HeaderTimeout::NotEnforced);
}

/// Whether the server under test closes a connection whose head arrives too slowly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderTimeout {
    Enforced,
    NotEnforced,
}

/// One end-to-end check: its name and what it does to a running server.
type Check = (&'static str, fn(&Server));

/// The checks against one running server, in order; the last one stops it.
const CHECKS: &[Check] = &[
    ("valid delivery", valid_delivery_is_logged_and_accepted),
    ("tampered delivery", tampered_delivery_is_rejected),
    ("drifted data", drifted_data_is_warned_about_and_accepted),
    (
        "authentic unusable body",
        authentic_unusable_body_stops_retries,
    ),
    ("non-UTF-8 header", non_utf8_header_is_rejected),
    (
        "awkward authentic JSON",
        awkward_authentic_json_is_delivered,
    ),
    ("non-ASCII UTF-8 header", non_ascii_utf8_header_is_accepted),
    (
        "body broken in its first bytes",
        broken_body_in_its_first_bytes_is_a_read_error,
    ),
    (
        "declared oversize",
        declared_oversize_is_refused_before_reading,
    ),
    ("chunked oversize", chunked_oversize_is_refused),
    ("lying Content-Length", lying_content_length_is_survived),
    ("GET", get_is_not_allowed),
    (
        "stalled body",
        stalled_body_times_out_while_others_are_served,
    ),
    ("slowloris", slowloris_is_closed_while_others_are_served),
    ("300 idle connections", idle_connections_do_not_block_others),
    ("oversized header", oversized_header_is_refused),
    ("garbage", garbage_is_refused),
    (
        "clerk-webhook send --all",
        cli_send_of_every_event_type_gets_200,
    ),
    ("clerk-webhook check", cli_check_passes_every_case),
    (
        "clerk-webhook dev",
        dev_delivers_every_event_type_on_the_first_attempt,
    ),
    (
        "clerk-webhook soak",
        cli_soak_of_2000_mixed_deliveries_passes,
    ),
    (
        "graceful shutdown",
        in_flight_request_finishes_after_sigterm,
    ),
];

fn run(binary: &str, env: &[(&str, &str)], header_timeout: HeaderTimeout) {
    startup_fails_cleanly(binary, env, None, &WebhookError::MissingSecret.to_string());
    let malformed = clerk_webhook_core::WebhookVerifier::new("whsec_%%%").unwrap_err();
    startup_fails_cleanly(binary, env, Some("whsec_%%%"), &malformed.to_string());
    development_secret_is_warned_about_in_either_spelling(binary, env, header_timeout);
    bad_settings_stop_before_anything_is_logged(binary, env);

    let mut env = env.to_vec();
    env.push(("WEBHOOK_BODY_TIMEOUT", "2"));
    env.push(("WEBHOOK_HEADER_TIMEOUT", "2"));
    let env = env.as_slice();
    let server = Server::start(binary, TEST_SECRET, env, header_timeout);
    for (name, check) in CHECKS {
        server.check(name, *check);
    }
    let status = server.wait_for_exit();
    assert_eq!(
        status.code(),
        Some(0),
        "exit after SIGTERM\n{}",
        server.output()
    );

    let mut traced = env.to_vec();
    traced.push(("RUST_LOG", "trace"));
    let server = Server::start(binary, TEST_SECRET, &traced, header_timeout);
    server.check("no secret in logs", no_secret_or_signature_is_ever_logged);
    drop(server);

    let mut quiet = env.to_vec();
    quiet.push(("RUST_LOG", "warn"));
    let server = Server::start(binary, TEST_SECRET, &quiet, header_timeout);
    server.check("RUST_LOG=warn is obeyed", only_warnings_are_logged);
    drop(server);

    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let mut operated = env.to_vec();
    operated.push(("METRICS_ADDR", metrics_addr.as_str()));
    operated.push(("LOG_FORMAT", "json"));
    let server = Server::start(binary, TEST_SECRET, &operated, header_timeout);
    server.check("METRICS_ADDR", metrics_count_deliveries_on_their_own_port);
    server.check("LOG_FORMAT=json", json_logs_name_the_delivery);
}

/// A bad `PORT`, `METRICS_ADDR` or `LOG_FORMAT` stops the server with one line on stderr
/// and exit code 1 before anything is logged (not even the development secret's warning).
fn bad_settings_stop_before_anything_is_logged(binary: &str, env: &[(&str, &str)]) {
    for (name, value) in [
        ("PORT", "nope"),
        ("METRICS_ADDR", "nope"),
        ("LOG_FORMAT", "xml"),
    ] {
        let mut command = base_command(binary, free_port());
        command
            .envs(env.iter().copied())
            .env("CLERK_WEBHOOK_SIGNING_SECRET", DEVELOPMENT_SECRET)
            .env(name, value);
        let output = command.output().expect("the example binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{name}={value}: exit code\n{stderr}{stdout}"
        );
        assert!(
            lines.len() == 1 && lines[0].starts_with(&format!("Invalid {name} \"{value}\"")),
            "{name}={value}: one line naming the setting on stderr: {lines:?}"
        );
        assert_eq!(stdout.trim(), "", "{name}={value}: nothing logged first");
    }
}

/// The public development secret, given as bare base64 (the same key as its `whsec_`
/// spelling): the server must still warn at start-up.
fn development_secret_is_warned_about_in_either_spelling(
    binary: &str,
    env: &[(&str, &str)],
    header_timeout: HeaderTimeout,
) {
    let bare = DEVELOPMENT_SECRET.trim_start_matches(SECRET_PREFIX);
    let server = Server::start(binary, bare, env, header_timeout);
    server.check("bare development secret", |server| {
        server.wait_for_log("Running with the public development secret");
    });
}

/// Starts the binary without a usable secret: it must exit 1 with the error as its only
/// line on stderr, and no panic or backtrace.
fn startup_fails_cleanly(binary: &str, env: &[(&str, &str)], secret: Option<&str>, expected: &str) {
    let mut command = base_command(binary, free_port());
    command.envs(env.iter().copied());
    match secret {
        Some(secret) => command.env("CLERK_WEBHOOK_SIGNING_SECRET", secret),
        None => command.env_remove("CLERK_WEBHOOK_SIGNING_SECRET"),
    };
    let output = command.output().expect("the example binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "exit code\n{stderr}{stdout}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines, [expected], "stderr is one clear line\n{stdout}");
    assert!(
        !stdout.contains("panicked") && !stdout.contains("backtrace"),
        "{stdout}"
    );
}
