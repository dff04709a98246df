//! A `NOTIFY_URL` that fails: retried with backoff under the same `Idempotency-Key`
//! until it answers 2xx; dead after the bounded attempts, listed by `jobs`, and sent
//! again by `retry-dead`.

use std::time::{Duration, Instant};

use axum::http::StatusCode;

use crate::common::{
    NOTHING_LEFT, NotifyServer, QueueProcess, TempDir, delivery, jobs, post, run, wait_for_jobs,
};

const FLAKY: &str = "msg_flaky_0001";
const DOOMED: &str = "msg_doomed_0001";

/// Fails the first three calls for [`FLAKY`], every call for [`DOOMED`].
fn failing(key: &str, before: usize) -> StatusCode {
    match key {
        FLAKY if before < 3 => StatusCode::SERVICE_UNAVAILABLE,
        DOOMED => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::OK,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_then_dead_then_retried_by_hand() {
    let notify = NotifyServer::start(Duration::ZERO, failing);
    let dir = TempDir::new("retries");
    let database_url = dir.sqlite_url();
    let queue = QueueProcess::start(&[
        ("DATABASE_URL", database_url.as_str()),
        ("NOTIFY_URL", notify.url.as_str()),
        ("NOTIFY_ATTEMPTS", "5"),
        ("RETRY_BACKOFF_MIN_MS", "300"),
        ("RETRY_BACKOFF_MAX_MS", "1200"),
    ]);
    let client = reqwest::Client::new();
    assert_eq!(post(&client, &queue.url(), &delivery(FLAKY)).await, Ok(200));
    assert_eq!(
        post(&client, &queue.url(), &delivery(DOOMED)).await,
        Ok(200)
    );

    tokio::task::block_in_place(|| {
        // Three failures, then the fourth call succeeds: one job, four calls, one key.
        notify.wait_until(Duration::from_secs(20), "flaky notified", |calls| {
            calls
                .iter()
                .any(|call| call.key == FLAKY && call.status == 200)
        });
        // Five attempts for the doomed one, then dead, with its last error.
        let listing = wait_for_jobs(
            &database_url,
            Duration::from_secs(20),
            "0 pending, 0 running, 0 failed, 1 dead",
        );
        let line = listing
            .lines()
            .find(|line| line.contains(DOOMED))
            .unwrap_or_default();
        assert!(line.starts_with("dead"), "{listing}");
        assert!(line.contains("5/5"), "{listing}");
        assert!(
            line.contains("NOTIFY_URL answered 500 Internal Server Error"),
            "{listing}"
        );
        assert!(!listing.contains(FLAKY), "the flaky job is done: {listing}");

        // Nothing more arrives: the dead job stays dead, the done one done.
        std::thread::sleep(Duration::from_millis(1_500));
        let statuses = |key: &str| -> Vec<u16> {
            notify
                .calls()
                .iter()
                .filter(|c| c.key == key)
                .map(|c| c.status)
                .collect()
        };
        assert_eq!(statuses(FLAKY), [503, 503, 503, 200]);
        assert_eq!(statuses(DOOMED), [500; 5]);
        // With backoff: 300 ms, doubled each time up to 1,200 ms (plus up to 20 %
        // jitter), never straight away. The upper bound leaves 1.5 s for a loaded machine
        // to poll the job late; the lower one proves each wait.
        for key in [FLAKY, DOOMED] {
            let at: Vec<Instant> = notify
                .calls()
                .iter()
                .filter(|c| c.key == key)
                .map(|c| c.at)
                .collect();
            let gaps: Vec<Duration> = at.windows(2).map(|pair| pair[1] - pair[0]).collect();
            for (gap, backoff) in gaps.iter().zip([300, 600, 1_200, 1_200]) {
                let backoff = Duration::from_millis(backoff);
                assert!(
                    *gap >= backoff.mul_f64(0.9)
                        && *gap < backoff.mul_f64(1.2) + Duration::from_millis(1_500),
                    "{key}: gaps {gaps:?}"
                );
            }
        }
        for call in notify.calls() {
            let body: serde_json::Value = serde_json::from_str(&call.body).unwrap();
            assert_eq!(body, crate::common::sample_data());
        }

        // The API is fixed; `retry-dead` sends it again, and it is done.
        notify.answer_with(|_, _| StatusCode::OK);
        let output = run(&["retry-dead"], &[("DATABASE_URL", database_url.as_str())]);
        assert!(output.status.success(), "{output:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            "Put 1 dead jobs back in the queue"
        );
        notify.wait_until(Duration::from_secs(20), "sent again", |calls| {
            calls
                .iter()
                .any(|call| call.key == DOOMED && call.status == 200)
        });
        wait_for_jobs(&database_url, Duration::from_secs(20), NOTHING_LEFT);
        assert_eq!(statuses(DOOMED), [500, 500, 500, 500, 500, 200]);
        let again = run(&["retry-dead"], &[("DATABASE_URL", database_url.as_str())]);
        assert_eq!(
            String::from_utf8_lossy(&again.stdout).trim(),
            "Put 0 dead jobs back in the queue"
        );
    });
    assert_eq!(
        jobs(&database_url).lines().count(),
        1,
        "only the summary line"
    );
    drop(queue);
}
