//! What a newcomer meets right after the Quickstart: each error path says what to do, in
//! one line, with the exit code the help promises.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use std::process::{Command, Output};

fn clerk_webhook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clerk-webhook"))
        .args(args)
        // Away from the repository: no developer's .env.
        .current_dir(std::env::temp_dir())
        .env_remove("CLERK_WEBHOOK_SIGNING_SECRET")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_missing_secret_says_how_to_get_one_locally() {
    for args in [
        &["send", "user.created"][..],
        &["dev", "--db", "/nonexistent/x.db"],
    ] {
        let output = clerk_webhook(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let message = stderr(&output);
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(
            message.contains("CLERK_WEBHOOK_SIGNING_SECRET"),
            "{message}"
        );
        assert!(message.contains("Clerk Dashboard"), "{message}");
        assert!(message.contains("cp .env.example .env"), "{message}");
        assert!(message.contains("clerk-webhook secret"), "{message}");
    }
}

#[test]
fn a_negative_time_scale_gets_the_commands_own_message_in_both_forms() {
    for args in [
        &[
            "dev",
            "--secret",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "--time-scale",
            "-1",
        ][..],
        &[
            "dev",
            "--secret",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "--time-scale=-1",
        ],
    ] {
        let output = clerk_webhook(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert_eq!(
            stderr(&output).trim_end(),
            "error: --time-scale must be a number ≥ 0 (1 is Svix's real schedule), not -1",
            "{args:?}"
        );
    }
}

#[test]
fn verify_says_its_three_exit_codes_and_keeps_them() {
    let help = clerk_webhook(&["verify", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Exit 0: verified"), "{help}");
    assert!(help.contains("1: refused"), "{help}");
    assert!(help.contains("2: a usage or configuration error"), "{help}");
    let usage = help
        .lines()
        .find(|line| line.starts_with("Usage:"))
        .unwrap();
    assert!(
        !usage.contains("--secret"),
        "--secret has a default: {usage}"
    );
    let missing = clerk_webhook(&[
        "verify",
        "--secret",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "--id",
        "msg_1",
        "--timestamp",
        "1",
        "--signature",
        "v1,x",
        "/nonexistent/body.json",
    ]);
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
    assert_eq!(stderr(&missing).lines().count(), 1);
}

#[test]
fn dev_says_where_it_keeps_its_messages_and_how_to_start_afresh() {
    use std::io::{BufRead as _, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dev.db");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = listener.local_addr().unwrap().to_string();
    drop(listener);
    let mut child = Command::new(env!("CARGO_BIN_EXE_clerk-webhook"))
        .args([
            "dev",
            "--secret",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "--listen",
            &listen,
            "--db",
        ])
        .arg(&db)
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let line = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .find(|line| line.contains("Database:"));
    let _ = child.kill();
    let _ = child.wait();
    let db = db.display();
    assert!(
        line.as_deref().is_some_and(
            |line| line.contains(&format!("Database: {db} (delete {db}* to start afresh)"))
        ),
        "{line:?}"
    );
}
