//! Through `clerk-webhook dev` (a local Svix): a `NOTIFY_URL` that takes 20 s per call
//! cannot slow the answers down, and every delivery is still notified.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use clerk_webhook_dev::sender::ATTEMPT_TIMEOUT;
use clerk_webhook_dev::{DevStore, Engine, SecretInfo, Sender, SystemClock};
use clerk_webhook_testkit::TEST_SECRET;
use clerk_webhook_testkit::deliveries::verifier;

use crate::common::{NOTHING_LEFT, NotifyServer, QueueProcess, TempDir};

const DELIVERIES: usize = 50;
const SLOW_CALL: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_notify_url_does_not_slow_the_answers() {
    let notify = NotifyServer::start(SLOW_CALL, |_, _| StatusCode::OK);
    let dir = TempDir::new("dev");
    let database_url = dir.sqlite_url();
    let queue = QueueProcess::start(&[
        ("DATABASE_URL", database_url.as_str()),
        ("NOTIFY_URL", notify.url.as_str()),
        ("WORKERS", "50"),
    ]);

    // `clerk-webhook dev`, forwarding to the example, its API on loopback.
    let engine = Engine::start(
        DevStore::in_memory().await.unwrap(),
        &queue.url(),
        Sender::new(verifier(TEST_SECRET), ATTEMPT_TIMEOUT).unwrap(),
        Arc::new(SystemClock),
        1.0,
        None,
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}/api/messages", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let dev = tokio::spawn(clerk_webhook_dev::serve(
        engine,
        SecretInfo::of(TEST_SECRET),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));

    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for _ in 0..DELIVERIES {
        let response = client
            .post(&api)
            .header("content-type", "application/json")
            .body(r#"{"event_type": "user.created"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        let created: serde_json::Value =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }

    // Every message Succeeded on its first attempt, answered in under 5 s, while the
    // notifications (20 s each) are still in progress.
    let started = std::time::Instant::now();
    for id in &ids {
        let message = loop {
            let message: serde_json::Value = serde_json::from_slice(
                &client
                    .get(format!("{api}/{id}"))
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap(),
            )
            .unwrap();
            if message["status"] != "pending" {
                break message;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{id} still pending: {message}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(message["status"], "succeeded", "{message}");
        let attempts = message["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "{message}");
        assert_eq!(attempts[0]["status_code"], 200, "{message}");
        let latency = attempts[0]["latency_ms"].as_u64().unwrap();
        // Far below the notification's 20 s (a bound a loaded CI machine cannot trip).
        assert!(latency < 5_000, "{id} answered in {latency} ms");
    }

    // All 50 notified, once each, with the svix-id (the dev server's message id) as the
    // Idempotency-Key and the event's data as the body; every job done once its 20 s
    // call was answered.
    tokio::task::block_in_place(|| {
        // WORKERS=50: all 50 calls in progress at once, not one 20 s round after another.
        notify.wait_until(
            Duration::from_secs(10),
            "all 50 notified at once",
            |calls| calls.len() >= DELIVERIES,
        );
        crate::common::wait_for_jobs(&database_url, Duration::from_secs(60), NOTHING_LEFT);
    });
    let counts = notify.counts();
    assert_eq!(counts.len(), DELIVERIES, "{counts:?}");
    for id in &ids {
        assert_eq!(counts.get(id), Some(&1), "{id}: {counts:?}");
    }
    let data = crate::common::sample_data();
    for call in notify.calls() {
        let body: serde_json::Value = serde_json::from_str(&call.body).unwrap();
        assert_eq!(body, data);
    }
    let _ = stop.send(());
    let _ = dev.await;
    drop(queue);
}
