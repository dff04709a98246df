//! `clerk-webhook dev`'s engine against a scripted endpoint, on a manual clock: Svix's
//! schedule, its delivery-control headers, failures of every kind, restarts, resend and
//! recover.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use clerk_webhook_core::testing::SignedDelivery;
use clerk_webhook_dev::{Clock as _, DevStore, MessageStatus, RETRY_SCHEDULE, Trigger};
use common::{Endpoint, Reply, closed_url, engine, engine_with, verifier};

const MS: Duration = Duration::from_millis(1);

#[tokio::test]
async fn retries_follow_svix_schedule_then_the_message_fails() {
    let endpoint = Endpoint::start(vec![], Reply::status(500)).await;
    let (engine, clock) = engine(&endpoint.url).await;
    let id = engine.create_sample("user.created").await.unwrap();

    assert_eq!(
        engine.run_due().await.unwrap(),
        1,
        "the first attempt is immediate"
    );
    for (failed, delay) in RETRY_SCHEDULE.iter().enumerate().skip(1) {
        let message = engine.store().message(&id).await.unwrap().unwrap();
        assert_eq!(message.status, MessageStatus::Pending);
        assert_eq!(
            message.next_attempt_at,
            Some(clock.now() + i64::try_from(delay.as_millis()).unwrap()),
            "after failure {failed}"
        );
        clock.advance(*delay - MS);
        assert_eq!(
            engine.run_due().await.unwrap(),
            0,
            "1 ms early for retry {failed}"
        );
        clock.advance(MS);
        assert_eq!(engine.run_due().await.unwrap(), 1, "retry {failed} on time");
    }
    let message = engine.store().message(&id).await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Failed);
    assert_eq!(message.next_attempt_at, None);
    assert_eq!(message.attempts.len(), 8);
    clock.advance(Duration::from_secs(100 * 3600));
    assert_eq!(engine.run_due().await.unwrap(), 0, "no ninth attempt");
    assert_eq!(endpoint.received().len(), 8);
}

#[tokio::test]
async fn time_scale_shortens_every_delay() {
    let endpoint = Endpoint::start(vec![], Reply::status(500)).await;
    let clock = std::sync::Arc::new(clerk_webhook_dev::ManualClock::starting_now());
    let sender = clerk_webhook_dev::Sender::new(verifier(), Duration::from_secs(5)).unwrap();
    let store = DevStore::in_memory().await.unwrap();
    let engine =
        clerk_webhook_dev::Engine::start(store, &endpoint.url, sender, clock.clone(), 0.001, None)
            .await
            .unwrap();
    let id = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    clock.advance(Duration::from_millis(5));
    assert_eq!(engine.run_due().await.unwrap(), 1, "5 s × 0.001");
    clock.advance(Duration::from_millis(299));
    assert_eq!(engine.run_due().await.unwrap(), 0);
    clock.advance(MS);
    assert_eq!(engine.run_due().await.unwrap(), 1, "5 min × 0.001 = 300 ms");
    assert_eq!(
        engine
            .store()
            .message(&id)
            .await
            .unwrap()
            .unwrap()
            .attempts
            .len(),
        3
    );
}

#[tokio::test]
async fn fails_twice_then_succeeds_with_one_id_and_three_fresh_signatures() {
    let endpoint = Endpoint::start(
        vec![Reply::status(500), Reply::status(503)],
        Reply::status(204),
    )
    .await;
    let (engine, clock) = engine(&endpoint.url).await;
    let id = engine.create_sample("user.updated").await.unwrap();
    engine.run_due().await.unwrap();
    clock.advance(RETRY_SCHEDULE[1]);
    engine.run_due().await.unwrap();
    clock.advance(RETRY_SCHEDULE[2]);
    engine.run_due().await.unwrap();

    let message = engine.store().message(&id).await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Succeeded);
    assert_eq!(message.next_attempt_at, None);
    let codes: Vec<_> = message.attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, [Some(500), Some(503), Some(204)]);

    let received = endpoint.received();
    assert_eq!(received.len(), 3);
    let mut timestamps = Vec::new();
    for request in &received {
        let header = |name: &str| request.headers[name].clone();
        assert_eq!(header("svix-id"), id);
        assert_eq!(header("content-type"), "application/json");
        assert!(
            header("user-agent").starts_with("Svix-Webhooks/"),
            "{}",
            header("user-agent")
        );
        let timestamp: i64 = header("svix-timestamp").parse().unwrap();
        let delivery = SignedDelivery {
            id: header("svix-id"),
            timestamp,
            signature: header("svix-signature"),
            body: request.body.clone(),
        };
        let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(timestamp).unwrap());
        delivery
            .verify_with(&verifier(), at)
            .expect("each attempt is validly signed");
        assert_eq!(
            request.body, received[0].body,
            "the same raw body each time"
        );
        timestamps.push(timestamp);
    }
    timestamps.dedup();
    assert_eq!(
        timestamps.len(),
        3,
        "three distinct timestamps: {timestamps:?}"
    );
}

#[tokio::test]
async fn abort_message_ends_the_message_whatever_the_status() {
    for status in [400, 500, 302] {
        let reply = Reply::status(status).with_header("webhook-delivery", "abort-message");
        let endpoint = Endpoint::start(vec![], reply).await;
        let (engine, clock) = engine(&endpoint.url).await;
        let id = engine.create_sample("user.created").await.unwrap();
        engine.run_due().await.unwrap();
        let message = engine.store().message(&id).await.unwrap().unwrap();
        assert_eq!(message.status, MessageStatus::Failed, "status {status}");
        assert_eq!(message.next_attempt_at, None);
        assert_eq!(
            message.attempts[0].delivery_control.as_deref(),
            Some("abort-message")
        );
        clock.advance(Duration::from_secs(86_400));
        assert_eq!(
            engine.run_due().await.unwrap(),
            0,
            "no retry after abort ({status})"
        );
    }
}

#[tokio::test]
async fn disable_holds_every_message_until_the_endpoint_is_enabled() {
    let endpoint = Endpoint::start(
        vec![Reply::status(200).with_header("webhook-delivery", "disable")],
        Reply::status(200),
    )
    .await;
    let (engine, clock) = engine(&endpoint.url).await;
    let first = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    assert_eq!(
        engine
            .store()
            .message(&first)
            .await
            .unwrap()
            .unwrap()
            .status,
        MessageStatus::Succeeded,
        "a 2xx with `disable` still succeeded"
    );
    assert!(
        !engine.endpoint().await.unwrap().enabled,
        "disable counts on a 2xx"
    );

    let waiting = engine.create_sample("user.updated").await.unwrap();
    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        engine.run_due().await.unwrap(),
        0,
        "nothing goes out while disabled"
    );
    assert!(engine.resend(&first).await.is_err(), "nor a resend");
    let message = engine.store().message(&waiting).await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Pending);
    assert!(message.attempts.is_empty());

    assert!(engine.enable().await.unwrap().enabled);
    assert_eq!(
        engine.run_due().await.unwrap(),
        1,
        "the waiting message goes out"
    );
    let message = engine.store().message(&waiting).await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Succeeded);
    assert_eq!(endpoint.received().len(), 2);
}

#[tokio::test]
async fn disable_on_a_failure_keeps_the_retry_waiting() {
    let endpoint = Endpoint::start(
        vec![Reply::status(500).with_header("Webhook-Delivery", "Disable")],
        Reply::status(200),
    )
    .await;
    let (engine, clock) = engine(&endpoint.url).await;
    let id = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    assert!(
        !engine.endpoint().await.unwrap().enabled,
        "header names and values in any case"
    );
    clock.advance(RETRY_SCHEDULE[1]);
    assert_eq!(engine.run_due().await.unwrap(), 0);
    engine.enable().await.unwrap();
    assert_eq!(engine.run_due().await.unwrap(), 1);
    let message = engine.store().message(&id).await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Succeeded);
    assert_eq!(message.attempts.len(), 2);
}

#[tokio::test]
async fn a_timeout_is_a_failed_attempt_without_a_status() {
    let endpoint = Endpoint::start(
        vec![Reply::status(200).after(Duration::from_secs(3))],
        Reply::status(200),
    )
    .await;
    let store = DevStore::in_memory().await.unwrap();
    let (engine, _clock) = engine_with(&endpoint.url, store, Duration::from_millis(300)).await;
    let id = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    let message = engine.store().message(&id).await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Pending);
    let attempt = &message.attempts[0];
    assert_eq!(attempt.status_code, None);
    assert_eq!(attempt.error.as_deref(), Some("timed out after 0.3 s"));
    assert!(
        attempt.latency_ms >= 300 && attempt.latency_ms < 2_000,
        "{}",
        attempt.latency_ms
    );
}

#[tokio::test]
async fn connection_refused_is_a_failed_attempt() {
    let (engine, _clock) = engine(&closed_url().await).await;
    let id = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    let message = engine.store().message(&id).await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Pending);
    assert_eq!(message.attempts[0].status_code, None);
    assert_eq!(
        message.attempts[0].error.as_deref(),
        Some("connection refused")
    );
}

#[tokio::test]
async fn a_redirect_is_a_failed_attempt_and_is_not_followed() {
    let endpoint = Endpoint::start(
        vec![],
        Reply::status(302).with_header("location", "/sign-in"),
    )
    .await;
    let (engine, _clock) = engine(&endpoint.url).await;
    let id = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    let message = engine.store().message(&id).await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Pending);
    assert_eq!(message.attempts[0].status_code, Some(302));
    assert_eq!(
        endpoint.received().len(),
        1,
        "the redirect was not followed"
    );
}

#[tokio::test]
async fn only_the_first_4_kib_of_an_answer_is_kept() {
    let endpoint = Endpoint::start(vec![], Reply::status(500).body("é".repeat(10_000))).await;
    let (engine, _clock) = engine(&endpoint.url).await;
    let id = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    let message = engine.store().message(&id).await.unwrap().unwrap();
    assert_eq!(message.attempts[0].response_body.len(), 4096);
}

#[tokio::test]
async fn pending_retries_resume_after_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("dev.db");
    let endpoint = Endpoint::start(vec![Reply::status(500)], Reply::status(200)).await;
    let timeout = Duration::from_secs(15);

    let (engine, clock) =
        engine_with(&endpoint.url, DevStore::open(&path).await.unwrap(), timeout).await;
    let retried = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    // A second message was being attempted when the process stopped: claimed, unrecorded.
    let cut_off = engine.create_sample("user.deleted").await.unwrap();
    assert_eq!(
        engine.store().claim_due(clock.now()).await.unwrap().len(),
        1
    );
    let next = engine
        .store()
        .message(&retried)
        .await
        .unwrap()
        .unwrap()
        .next_attempt_at;
    drop(engine);

    let (engine, clock) =
        engine_with(&endpoint.url, DevStore::open(&path).await.unwrap(), timeout).await;
    let message = engine.store().message(&retried).await.unwrap().unwrap();
    assert_eq!(message.status, MessageStatus::Pending);
    assert_eq!(
        message.next_attempt_at, next,
        "the schedule survived the restart"
    );
    assert_eq!(
        engine.store().count(MessageStatus::Pending).await.unwrap(),
        2
    );
    assert_eq!(
        engine.run_due().await.unwrap(),
        1,
        "the cut-off attempt is made again at once"
    );
    clock.advance(RETRY_SCHEDULE[1]);
    assert_eq!(
        engine.run_due().await.unwrap(),
        1,
        "the retry goes out on time"
    );
    for id in [&retried, &cut_off] {
        let message = engine.store().message(id).await.unwrap().unwrap();
        assert_eq!(message.status, MessageStatus::Succeeded, "{id}");
    }
}

#[tokio::test]
async fn resend_adds_one_attempt_with_the_same_id_whatever_the_status() {
    let endpoint = Endpoint::start(
        vec![Reply::status(400).with_header("webhook-delivery", "abort-message")],
        Reply::status(200),
    )
    .await;
    let (engine, clock) = engine(&endpoint.url).await;
    let id = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    assert_eq!(
        engine.store().message(&id).await.unwrap().unwrap().status,
        MessageStatus::Failed
    );
    clock.advance(Duration::from_secs(60));
    let reports = engine.resend(&id).await.unwrap();
    let [report] = reports.as_slice() else {
        panic!("one endpoint, one attempt: {reports:?}");
    };
    assert_eq!(report.attempt.number, 2);
    assert_eq!(report.attempt.trigger, Trigger::Manual);
    assert_eq!(report.status, MessageStatus::Succeeded);
    // And again on a succeeded message.
    engine.resend(&id).await.unwrap();
    let message = engine.store().message(&id).await.unwrap().unwrap();
    assert_eq!(message.attempts.len(), 3);
    let received = endpoint.received();
    assert!(received.iter().all(|r| r.headers["svix-id"] == id));
    assert_ne!(
        received[0].headers["svix-timestamp"],
        received[1].headers["svix-timestamp"]
    );
    assert!(engine.resend("msg_unknown").await.is_err());
}

#[tokio::test]
async fn a_failed_resend_of_a_pending_message_keeps_its_schedule() {
    let endpoint = Endpoint::start(vec![], Reply::status(500)).await;
    let (engine, _clock) = engine(&endpoint.url).await;
    let id = engine.create_sample("user.created").await.unwrap();
    engine.run_due().await.unwrap();
    let before = engine.store().message(&id).await.unwrap().unwrap();
    engine.resend(&id).await.unwrap();
    let after = engine.store().message(&id).await.unwrap().unwrap();
    assert_eq!(after.status, MessageStatus::Pending);
    assert_eq!(after.next_attempt_at, before.next_attempt_at);
    assert_eq!(
        after.scheduled_failures, 1,
        "a manual attempt does not use up the schedule"
    );
}

#[tokio::test]
async fn recover_resends_the_failed_messages_created_since() {
    let abort = Reply::status(500).with_header("webhook-delivery", "abort-message");
    let endpoint = Endpoint::start(vec![], abort).await;
    let (engine, clock) = engine(&endpoint.url).await;
    let old = engine.create_sample("user.created").await.unwrap();
    clock.advance(Duration::from_secs(3600));
    let since = clock.now();
    let recent = engine.create_sample("user.updated").await.unwrap();
    let also_recent = engine.create_sample("user.deleted").await.unwrap();
    engine.run_due().await.unwrap();
    let succeeded = engine.create_sample("session.created").await.unwrap();
    endpoint.set_otherwise(Reply::status(200));
    engine.run_due().await.unwrap();

    let reports = engine.recover(since).await.unwrap();
    let mut ids: Vec<_> = reports.iter().map(|r| r.message_id.clone()).collect();
    ids.sort();
    let mut expected = vec![recent.clone(), also_recent.clone()];
    expected.sort();
    assert_eq!(ids, expected, "only failed messages created since");
    for id in [&recent, &also_recent, &succeeded] {
        let status = engine.store().message(id).await.unwrap().unwrap().status;
        assert_eq!(status, MessageStatus::Succeeded, "{id}");
    }
    let old = engine.store().message(&old).await.unwrap().unwrap();
    assert_eq!(old.status, MessageStatus::Failed);
    assert_eq!(old.attempts.len(), 1);
}

#[tokio::test]
async fn a_backlog_reaches_the_handler_32_attempts_at_a_time() {
    let slow = Reply::status(200).after(Duration::from_millis(500));
    let endpoint = Endpoint::start(vec![], slow).await;
    let (engine, _clock) = engine(&endpoint.url).await;
    for _ in 0..100 {
        engine.create_sample("user.created").await.unwrap();
    }
    assert_eq!(engine.run_due().await.unwrap(), 100);
    assert_eq!(endpoint.received().len(), 100);
    let most = endpoint.most_in_flight();
    assert!(
        (2..=clerk_webhook_dev::engine::MAX_CONCURRENT_ATTEMPTS).contains(&most),
        "{most} at once"
    );
}
