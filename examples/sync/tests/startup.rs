//! What `example-sync` says at start-up: a bad setting stops it with one line before
//! anything else is logged, and the log names the database (never its password), whether
//! the read route is on, and how to start afresh.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

const DEV_SECRET: &str = "whsec_Y2xlcmstd2ViaG9va3MtZGV2ZWxvcG1lbnQtb25seS1zZWNyZXQh";

fn example_sync() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_example-sync"));
    command
        .current_dir(std::env::temp_dir())
        .env("CLERK_WEBHOOK_SIGNING_SECRET", DEV_SECRET)
        .env("NO_COLOR", "1")
        .env_remove("SYNC_API_TOKEN")
        .env_remove("RUST_LOG");
    command
}

#[test]
fn a_bad_setting_stops_it_before_anything_is_logged() {
    for (name, value, message) in [
        (
            "PORT",
            "99999",
            r#"Invalid PORT "99999": expected a number from 0 to 65535"#,
        ),
        (
            "LOG_FORMAT",
            "xml",
            r#"Invalid LOG_FORMAT "xml": expected text or json"#,
        ),
        (
            "DATABASE_WAIT",
            "0",
            r#"Invalid DATABASE_WAIT "0": expected whole seconds above 0"#,
        ),
        (
            "METRICS_ADDR",
            "nowhere",
            r#"Invalid METRICS_ADDR "nowhere": expected an address such as 127.0.0.1:9464"#,
        ),
        (
            "WEBHOOK_BODY_TIMEOUT",
            "soon",
            r#"Invalid WEBHOOK_BODY_TIMEOUT "soon": expected a whole number of seconds above 0"#,
        ),
    ] {
        let output = example_sync().env(name, value).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{name}={value}: {output:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr).trim_end(), message);
        assert!(
            output.stdout.is_empty(),
            "{name}={value}: logged first: {output:?}"
        );
    }
}

#[test]
fn start_up_names_the_database_and_the_read_route() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("start.db");
    let port = common::free_port();
    let mut child = example_sync()
        .env("DATABASE_URL", format!("sqlite://{}", file.display()))
        .env("PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        let done = line.contains("Listening on");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = seen.join("\n");
    let path = file.display().to_string();
    assert!(
        log.contains(&format!(
            "Storing into the SQLite file {path} (delete {path}* to start afresh)"
        )),
        "{log}"
    );
    assert!(
        log.contains("Read route /api/users/{id} is off (SYNC_API_TOKEN is not set)"),
        "{log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes when stdout is not a terminal: {log}"
    );
}

/// `example-sync backfill` against a Backend API that does not answer: exit 1, the whole
/// report on stdout (what was listed, what was not, why, what to do), and no colour codes
/// in the log on stderr, which is not a terminal here.
#[test]
fn a_backfill_that_cannot_reach_clerk_reports_everything_it_did_not_list() {
    let dir = tempfile::tempdir().unwrap();
    let closed = common::free_port();
    let output = example_sync()
        .arg("backfill")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/backfill.db", dir.path().display()),
        )
        .env("CLERK_SECRET_KEY", "sk_test_unreachable_0123456789")
        .env("CLERK_API_URL", format!("http://127.0.0.1:{closed}"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("users: listing INCOMPLETE"), "{stdout}");
    assert!(stdout.contains("failed 6 times"), "{stdout}");
    assert!(
        stdout.contains("organizations: NOT LISTED: the backfill stopped after users"),
        "{stdout}"
    );
    assert!(
        stdout.contains("organization memberships: NOT LISTED"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("then run it again: a rerun applies only what changed."),
        "{stdout}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a file: {stderr}"
    );
    assert!(stderr.contains("giving up"), "{stderr}");
}
