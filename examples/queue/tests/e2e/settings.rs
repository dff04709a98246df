//! Configuration: one clear line and exit 1 on a bad setting; the receiver and the
//! workers in separate processes.

use std::time::Duration;

use axum::http::StatusCode;

use crate::common::{
    NOTHING_LEFT, NotifyServer, QueueProcess, TempDir, delivery, post, run, wait_for_jobs,
};

/// Runs the binary with `env` and asserts exit code 1 with `expected` as the only line.
fn fails_with(args: &[&str], env: &[(&str, &str)], expected: &str) {
    let output = run(args, env);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with(expected), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_settings_stop_with_one_line() {
    let dir = TempDir::new("settings");
    let url = dir.sqlite_url();
    let db = ("DATABASE_URL", url.as_str());
    let notify = ("NOTIFY_URL", "http://127.0.0.1:9/notify");
    fails_with(&[], &[db], "NOTIFY_URL is not set");
    fails_with(&["worker"], &[db], "NOTIFY_URL is not set");
    fails_with(
        &[],
        &[db, ("NOTIFY_URL", "ftp://example.com/")],
        "Invalid NOTIFY_URL \"ftp://example.com/\"",
    );
    fails_with(
        &[],
        &[db, notify, ("WORKERS", "many")],
        "Invalid WORKERS \"many\": expected a number",
    );
    fails_with(
        &[],
        &[db, notify, ("NOTIFY_ATTEMPTS", "0")],
        "Invalid NOTIFY_ATTEMPTS \"0\"",
    );
    fails_with(
        &[],
        &[db, notify, ("LOG_FORMAT", "xml")],
        "Invalid LOG_FORMAT \"xml\": expected text or json",
    );
    fails_with(
        &[],
        &[db, notify, ("METRICS_ADDR", "nowhere")],
        "Invalid METRICS_ADDR \"nowhere\"",
    );
    fails_with(
        &[],
        &[
            db,
            notify,
            ("RETRY_BACKOFF_MIN_MS", "5000"),
            ("RETRY_BACKOFF_MAX_MS", "10"),
        ],
        "Invalid RETRY_BACKOFF_MIN_MS \"5000\": above RETRY_BACKOFF_MAX_MS",
    );
    fails_with(
        &["worker"],
        &[db, notify, ("WORKERS", "0")],
        "Invalid WORKERS \"0\"",
    );
    fails_with(
        &["jobs"],
        &[(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/no_such_queue_database",
        )],
        "Could not open the queue: could not connect:",
    );
    let unknown = run(&["job"], &[db]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("Usage: example-queue [worker | jobs | retry-dead]")
    );
    // The signing secret is checked as in every example.
    let output = crate::common::run_without_secret(&[db, notify]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_and_worker_run_apart() {
    let notify = NotifyServer::start(Duration::ZERO, |_, _| StatusCode::OK);
    let dir = TempDir::new("apart");
    let database_url = dir.sqlite_url();
    // WORKERS=0: receive only, no NOTIFY_URL needed.
    let receiver =
        QueueProcess::start(&[("DATABASE_URL", database_url.as_str()), ("WORKERS", "0")]);
    let client = reqwest::Client::new();
    assert_eq!(
        post(&client, &receiver.url(), &delivery("msg_apart_0001")).await,
        Ok(200)
    );
    tokio::task::block_in_place(|| {
        wait_for_jobs(
            &database_url,
            Duration::from_secs(10),
            "1 pending, 0 running, 0 failed, 0 dead",
        );
        assert!(notify.calls().is_empty());
        let mut worker = crate::common::WorkerProcess::start(&[
            ("DATABASE_URL", database_url.as_str()),
            ("NOTIFY_URL", notify.url.as_str()),
        ]);
        notify.wait_until(Duration::from_secs(20), "notified by the worker", |calls| {
            calls.len() == 1
        });
        wait_for_jobs(&database_url, Duration::from_secs(20), NOTHING_LEFT);
        worker.stop();
    });
    assert!(
        receiver.output().contains("WORKERS=0: receiving only"),
        "{}",
        receiver.output()
    );
}
