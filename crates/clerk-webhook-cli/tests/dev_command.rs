//! The `clerk-webhook dev` binary: `--json` capture lines that `verify --delivery` and
//! `replay` read back, start-up errors, and a clean stop on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use clerk_webhook_cli::dev::CaptureLine;
use common::{SECRET, eventually, verifying_endpoint};

const OTHER_SECRET: &str = "whsec_b3RoZXItc2VjcmV0LWZvci1yZXBsYXktdGVzdHM=";

fn clerk_webhook() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clerk-webhook"));
    command
        .current_dir(std::env::temp_dir())
        .env(clerk_webhook_core::SECRET_ENV_VAR, SECRET);
    command
}

fn run(args: &[&str]) -> Output {
    clerk_webhook().args(args).output().unwrap()
}

/// Starts `dev` and reads its console address from the start-up lines.
fn start_dev(db: &Path, forward_to: &str) -> (Child, String) {
    start_dev_scaled(db, forward_to, "0.001")
}

fn start_dev_scaled(db: &Path, forward_to: &str, time_scale: &str) -> (Child, String) {
    start_dev_with(
        db,
        &["--time-scale", time_scale, "--forward-to", forward_to],
    )
}

fn start_dev_with(db: &Path, args: &[&str]) -> (Child, String) {
    let mut child = clerk_webhook()
        .args(["dev", "--json", "--listen", "127.0.0.1:0"])
        .arg("--db")
        .arg(db)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let console = loop {
        let line = lines.next().expect("dev printed its address").unwrap();
        if let Some(url) = line.trim().strip_prefix("Console:") {
            break url.trim().trim_end_matches('/').to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, console)
}

#[tokio::test(flavor = "multi_thread")]
async fn json_lines_verify_and_replay_round_trip() {
    let receiver = verifying_endpoint(SECRET).await;
    let directory = tempfile::tempdir().unwrap();
    let (child, console) = start_dev(&directory.path().join("dev.db"), &receiver);

    let client = reqwest::Client::new();
    for body in [
        r#"{"event_type":"user.created"}"#,
        r#"{"event_type":"organization.updated"}"#,
    ] {
        let response = client
            .post(format!("{console}/api/messages"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
    }
    let injected = client
        .post(format!("{console}/in"))
        .body(r#"{"type":"session.created","object":"event","data":{"id":"sess_1","object":"session"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(injected.status().as_u16(), 201);
    let all_succeeded = eventually(Duration::from_secs(10), async || {
        let list = client
            .get(format!("{console}/api/messages?status=succeeded"))
            .send()
            .await;
        let text = match list {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(_) => return false,
        };
        serde_json::from_str::<serde_json::Value>(&text)
            .is_ok_and(|list| list.as_array().is_some_and(|l| l.len() == 3))
    })
    .await;
    assert!(all_succeeded);

    let stdout = stop(child);

    let lines: Vec<CaptureLine> = stdout
        .lines()
        .map(|l| CaptureLine::parse(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        3,
        "one line per attempt and nothing else:\n{stdout}"
    );
    for line in &lines {
        assert_eq!(line.kind, "event");
        assert_eq!(line.forward_status, Some(200));
        assert_eq!(line.header("svix-id").unwrap(), line.svix_id);
        assert!(line.latency_ms.is_some());
    }
    let mut types: Vec<_> = lines.iter().filter_map(|l| l.event_type.clone()).collect();
    types.sort();
    assert_eq!(
        types,
        ["organization.updated", "session.created", "user.created"]
    );

    let capture = directory.path().join("capture.ndjson");
    std::fs::write(&capture, &stdout).unwrap();
    let at_capture = format!("@{}", capture.display());

    let verified = run(&["verify", "--delivery", &at_capture]);
    assert!(verified.status.success(), "{verified:?}");
    assert_eq!(
        String::from_utf8_lossy(&verified.stdout)
            .matches("Verified")
            .count(),
        3
    );
    let wrong_secret = run(&[
        "verify",
        "--delivery",
        &at_capture,
        "--secret",
        OTHER_SECRET,
    ]);
    assert_eq!(wrong_secret.status.code(), Some(1));

    let mut tampered = lines[0].clone();
    tampered.body_b64 = tampered.body_b64.replacen('e', "f", 1);
    let refused = run(&["verify", "--delivery", &tampered.to_ndjson()]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stdout).contains("Not verified"));

    let replayed = run(&["replay", capture.to_str().unwrap(), "--url", &receiver]);
    assert!(replayed.status.success(), "{replayed:?}");
    assert!(String::from_utf8_lossy(&replayed.stdout).contains("3 of 3 deliveries got 2xx"));

    let other = verifying_endpoint(OTHER_SECRET).await;
    let as_captured = run(&["replay", capture.to_str().unwrap(), "--url", &other]);
    assert_eq!(
        as_captured.status.code(),
        Some(1),
        "another secret refuses the captured signatures"
    );
    let resigned = run(&[
        "replay",
        capture.to_str().unwrap(),
        "--url",
        &other,
        "--resign",
        "--secret",
        OTHER_SECRET,
    ]);
    assert!(resigned.status.success(), "{resigned:?}");
}

#[test]
fn bad_flags_stop_dev_at_start_up_with_one_line() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().unwrap().to_string();
    let directory = tempfile::tempdir().unwrap();
    let db = directory.path().join("dev.db");
    let db = db.to_str().unwrap();
    for (args, expected) in [
        (vec!["--time-scale=-1"], "--time-scale"),
        (vec!["--time-scale", "NaN"], "--time-scale"),
        (vec!["--listen", "localhost"], "--listen"),
        // Documentation addresses (RFC 5737, RFC 3849): not loopback, and not this
        // machine's, so a regression fails to bind instead of listening (0.0.0.0 and [::]
        // are the unit tests' cases).
        (vec!["--listen", "192.0.2.1:0"], "--allow-remote"),
        (
            vec!["--listen", "[2001:db8::1]:0"],
            "not a loopback address",
        ),
        (vec!["--listen", busy.as_str()], "could not listen"),
        (vec!["--forward-to", "ftp://x"], "invalid URL"),
        (vec!["--secret", "whsec_!!"], "secret"),
        (
            vec!["--filter", "user.*", "--forward-to", "http://127.0.0.1:9/"],
            "--filter applies to the --forward-to before it",
        ),
        (
            vec!["--forward-to", "http://127.0.0.1:9/", "--filter", "user*"],
            "not an event type filter",
        ),
        (
            vec![
                "--forward-to",
                "http://127.0.0.1:9/",
                "--filter",
                "user.*",
                "--filter",
                "session.*",
            ],
            "two --filters",
        ),
        (
            vec![
                "--forward-to",
                "http://127.0.0.1:9/",
                "--endpoint-secret",
                "whsec_!!",
            ],
            "secret",
        ),
    ] {
        let output = clerk_webhook()
            .args(["dev", "--db", db])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}

/// SIGTERM: a clean stop, exit 0; returns what it printed on standard output.
fn stop(mut child: Child) -> String {
    Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pending_retry_goes_out_after_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let db = directory.path().join("dev.db");
    // First run: nothing listens; the first attempt fails and the retry is 5 s away.
    let (child, console) = start_dev_scaled(&db, &common::closed_url().await, "1");
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{console}/api/messages"))
        .header("content-type", "application/json")
        .body(r#"{"event_type":"user.created"}"#)
        .send()
        .await
        .unwrap();
    let created: serde_json::Value = serde_json::from_str(&created.text().await.unwrap()).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let first_run = loop {
        let text = client
            .get(format!("{console}/api/messages/{id}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let message: serde_json::Value = serde_json::from_str(&text).unwrap();
        if message["attempts"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            break message;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(first_run["status"], "pending");
    assert_eq!(first_run["attempts"][0]["error"], "connection refused");
    let lines = stop(child);
    assert_eq!(lines.lines().count(), 1);
    assert!(lines.contains(r#""forward_status":null"#), "{lines}");

    // Second run, same database, the handler up: the retry goes out when due (5 s after
    // the first attempt), not at once and not never.
    let receiver = verifying_endpoint(SECRET).await;
    let (child, console) = start_dev_scaled(&db, &receiver, "1");
    let url = format!("{console}/api/messages/{id}");
    let succeeded = eventually(Duration::from_secs(10), async || {
        let Ok(response) = client.get(&url).send().await else {
            return false;
        };
        let text = response.text().await.unwrap_or_default();
        serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|m| m["status"] == "succeeded")
    })
    .await;
    assert!(succeeded, "the pending retry resumed");
    let lines = stop(child);
    let capture = CaptureLine::parse(lines.trim()).unwrap();
    assert_eq!(
        (capture.svix_id.as_str(), capture.forward_status),
        (id.as_str(), Some(200))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_forward_to_is_an_endpoint_with_the_filter_and_secret_after_it() {
    const OWN_SECRET: &str = OTHER_SECRET;
    let users = verifying_endpoint(SECRET).await;
    let audit = verifying_endpoint(OWN_SECRET).await;
    let directory = tempfile::tempdir().unwrap();
    let (child, console) = start_dev_with(
        &directory.path().join("dev.db"),
        &[
            "--forward-to",
            &users,
            "--filter",
            "user.*,session.created",
            "--forward-to",
            &audit,
            "--endpoint-secret",
            OWN_SECRET,
        ],
    );
    let client = reqwest::Client::new();
    let get = async |path: &str| -> serde_json::Value {
        let response = client.get(format!("{console}{path}")).send().await.unwrap();
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    };
    let endpoints = get("/api/endpoints").await;
    assert_eq!(endpoints[0]["id"], "ep_1");
    assert_eq!(endpoints[0]["url"], users.as_str());
    assert_eq!(
        endpoints[0]["filter_types"],
        serde_json::json!(["user.*", "session.created"])
    );
    assert_eq!(endpoints[1]["url"], audit.as_str());
    assert_eq!(endpoints[1]["filter_types"], serde_json::Value::Null);
    assert_eq!(
        endpoints[1]["secret_hint"],
        format!("{}…", &OWN_SECRET[..10])
    );

    let mut ids = Vec::new();
    for event_type in ["user.created", "organization.created"] {
        let created = client
            .post(format!("{console}/api/messages"))
            .header("content-type", "application/json")
            .body(format!(r#"{{"event_type":"{event_type}"}}"#))
            .send()
            .await
            .unwrap();
        let created: serde_json::Value =
            serde_json::from_str(&created.text().await.unwrap()).unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let mut shown = Vec::new();
    let settled = eventually(Duration::from_secs(10), async || {
        shown.clear();
        for id in &ids {
            shown.push(get(&format!("/api/messages/{id}")).await);
        }
        shown.iter().all(|m| m["status"] == "succeeded")
    })
    .await;
    assert!(settled, "{shown:#?}");
    let routes = |message: &serde_json::Value| -> Vec<(String, Option<u64>)> {
        message["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["endpoint"].as_str().unwrap().to_owned(),
                    a["status_code"].as_u64(),
                )
            })
            .collect()
    };
    // Each endpoint's own secret verified (a 200 from each receiver), and user.* only there.
    let mut user = routes(&shown[0]);
    user.sort();
    assert_eq!(
        user,
        [
            ("ep_1".to_owned(), Some(200)),
            ("ep_2".to_owned(), Some(200))
        ]
    );
    assert_eq!(routes(&shown[1]), [("ep_2".to_owned(), Some(200))]);
    stop(child);
}
