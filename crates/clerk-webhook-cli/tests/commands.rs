//! The binary's offline commands: sign, verify, samples, secret, and its exit codes.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

use std::path::PathBuf;
use std::process::{Command, Output};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const BODY: &str = r#"{"type":"user.created","data":{"id":"user_1"}}"#;

fn clerk_webhook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clerk-webhook"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .env(clerk_webhook_core::SECRET_ENV_VAR, SECRET)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn body_file(name: &str, body: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "clerk-webhook-cli-test-{}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, body).unwrap();
    path
}

/// `sign` output: id, timestamp, signature.
fn sign(path: &str) -> (String, String, String) {
    let output = clerk_webhook(&["sign", path]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let value = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .unwrap()
            .to_owned()
    };
    (
        value("svix-id"),
        value("svix-timestamp"),
        value("svix-signature"),
    )
}

fn verify(id: &str, timestamp: &str, signature: &str, path: &str) -> Output {
    clerk_webhook(&[
        "verify",
        "--id",
        id,
        "--timestamp",
        timestamp,
        "--signature",
        signature,
        path,
    ])
}

#[test]
fn verify_round_trips_what_sign_produces() {
    let path = body_file("round-trip.json", BODY);
    let path = path.to_str().unwrap();
    let (id, timestamp, signature) = sign(path);
    assert!(id.starts_with("msg_"));
    let output = verify(&id, &timestamp, &signature, path);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        stdout(&output).trim(),
        "Verified: user.created (data.id user_1)"
    );
}

/// An authentic delivery whose data does not fit the typed model is verified (exit 0), and
/// the output says the data did not match the model, and why.
#[test]
fn verify_says_when_authentic_data_does_not_fit_the_model() {
    let drifted =
        r#"{"type":"user.created","data":{"id":"user_1","created_at":"2024-05-28T00:00:00Z"}}"#;
    let path = body_file("drifted.json", drifted);
    let path = path.to_str().unwrap();
    let (id, timestamp, signature) = sign(path);
    let output = verify(&id, &timestamp, &signature, path);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "Verified: user.created (data.id user_1), but the data did not match the \
             user.created model: invalid type: string \"2024-05-28T00:00:00Z\", expected i64"
        ),
        "{text}"
    );

    let unknown = body_file(
        "unknown.json",
        r#"{"type":"user.banned","data":{"id":"user_1"}}"#,
    );
    let unknown = unknown.to_str().unwrap();
    let (id, timestamp, signature) = sign(unknown);
    let output = verify(&id, &timestamp, &signature, unknown);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stdout(&output).contains("an event type this clerk-webhook-core does not type"),
        "{output:?}"
    );
}

#[test]
fn verify_names_the_error_for_each_tampering() {
    let path = body_file("tamper.json", BODY);
    let tampered = body_file("tampered.json", &BODY.replace("user_1", "user_2"));
    let (path, tampered) = (path.to_str().unwrap(), tampered.to_str().unwrap());
    let (id, timestamp, signature) = sign(path);
    let stale = (timestamp.parse::<i64>().unwrap() - 301).to_string();
    let cases = [
        (
            verify(&id, &timestamp, &signature, tampered),
            "No matching signature found",
        ),
        (
            verify("msg_other", &timestamp, &signature, path),
            "No matching signature found",
        ),
        (
            verify(&id, &stale, &signature, path),
            "Message timestamp too old",
        ),
        (
            verify(&id, &format!("{timestamp}x"), &signature, path),
            "Invalid Signature Headers",
        ),
        (
            verify(&id, &timestamp, "v1,", path),
            "No matching signature found",
        ),
        (
            verify(&id, &timestamp, &signature.replacen("v1,", "v2,", 1), path),
            "No matching signature found",
        ),
    ];
    for (output, reason) in cases {
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let text = stdout(&output);
        assert!(
            text.starts_with("Not verified: ") && text.contains(reason),
            "{text} / {reason}"
        );
    }
}

#[test]
fn ignore_timestamp_verifies_an_old_capture() {
    let path = body_file("old.json", BODY);
    let path = path.to_str().unwrap();
    let output = clerk_webhook(&["sign", "--id", "msg_old", "--timestamp", "1614265330", path]);
    let signature = stdout(&output)
        .lines()
        .find_map(|l| l.strip_prefix("svix-signature: ").map(str::to_owned))
        .unwrap();
    let refused = verify("msg_old", "1614265330", &signature, path);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stdout(&refused).contains("--ignore-timestamp"));
    let args = [
        "verify",
        "--id",
        "msg_old",
        "--timestamp",
        "1614265330",
        "--signature",
        &signature,
        "--ignore-timestamp",
        path,
    ];
    assert_eq!(clerk_webhook(&args).status.code(), Some(0));
}

#[test]
fn sign_curl_prints_a_command_with_the_three_headers() {
    let path = body_file("curl.json", BODY);
    let output = clerk_webhook(&[
        "sign",
        "--curl",
        "http://127.0.0.1:3000/api/webhooks",
        path.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    for needle in [
        "curl -sS -X POST 'http://127.0.0.1:3000/api/webhooks'",
        "-H 'svix-id: msg_",
        "-H 'svix-timestamp: ",
        "-H 'svix-signature: v1,",
        "--data-binary '@",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

#[test]
fn samples_and_secret() {
    let list = stdout(&clerk_webhook(&["samples"]));
    assert_eq!(list.lines().count(), 46);
    let sample = stdout(&clerk_webhook(&["samples", "session.pending"]));
    let value: serde_json::Value = serde_json::from_str(&sample).unwrap();
    assert_eq!(value["type"], "session.pending");
    let unknown = clerk_webhook(&["samples", "nope.created"]);
    assert_eq!(unknown.status.code(), Some(2));
    let secret = stdout(&clerk_webhook(&["secret"]));
    assert!(clerk_webhook_core::WebhookVerifier::new(secret.trim()).is_ok());
}

#[test]
fn missing_secret_is_one_line_and_exit_2() {
    let path = body_file("nosecret.json", BODY);
    let output = Command::new(env!("CARGO_BIN_EXE_clerk-webhook"))
        .args(["sign", path.to_str().unwrap()])
        .current_dir(std::env::temp_dir())
        .env_remove(clerk_webhook_core::SECRET_ENV_VAR)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        format!("error: {}", clerk_webhook_core::WebhookError::MissingSecret)
    );
}

#[test]
fn connection_refused_is_a_one_line_hint() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/api/webhooks");
    let output = clerk_webhook(&["send", "user.created", "--url", &url]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("Is the server running on that port?"),
        "{stderr}"
    );
}

#[test]
fn help_is_there_for_every_command() {
    for command in [
        "send", "sign", "verify", "check", "soak", "samples", "secret",
    ] {
        let output = clerk_webhook(&[command, "--help"]);
        assert!(output.status.success(), "{command}");
        assert!(
            !stdout(&output).contains(SECRET),
            "--help must not print the secret"
        );
    }
}
