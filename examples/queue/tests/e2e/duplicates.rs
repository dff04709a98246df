//! Svix retries a delivery with the same `svix-id`: the copies are answered 200 and
//! queue nothing, before or after the first one's job is done. And SIGTERM lets the job
//! in hand finish.

use std::time::Duration;

use axum::http::StatusCode;

use crate::common::{
    NOTHING_LEFT, NotifyServer, QueueProcess, TempDir, delivery, post, wait_for_jobs,
};

/// The jobs the engine holds in the SQLite file at `database_url`.
async fn job_count(database_url: &str) -> i64 {
    let pool = sqlx::SqlitePool::connect(database_url).await.unwrap();
    let count = sqlx::query_scalar("SELECT COUNT(*) FROM Jobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_svix_id_three_times_is_one_job_and_one_notification() {
    let notify = NotifyServer::start(Duration::from_millis(300), |_, _| StatusCode::OK);
    let dir = TempDir::new("duplicates");
    let database_url = dir.sqlite_url();
    let queue = QueueProcess::start(&[
        ("DATABASE_URL", database_url.as_str()),
        ("NOTIFY_URL", notify.url.as_str()),
    ]);
    let client = reqwest::Client::new();
    const KEY: &str = "msg_duplicated_0001";
    // Two copies at once (a retry racing the first attempt), each freshly signed.
    let (url, one, two) = (queue.url(), delivery(KEY), delivery(KEY));
    let (first, second) = tokio::join!(post(&client, &url, &one), post(&client, &url, &two));
    assert_eq!((first, second), (Ok(200), Ok(200)));
    tokio::task::block_in_place(|| {
        notify.wait_until(Duration::from_secs(20), "notified", |calls| {
            !calls.is_empty()
        });
        wait_for_jobs(&database_url, Duration::from_secs(20), NOTHING_LEFT);
    });
    // A third copy after the job is done (the first answer was lost on the way back).
    assert_eq!(post(&client, &queue.url(), &delivery(KEY)).await, Ok(200));
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(notify.counts().get(KEY), Some(&1), "{:?}", notify.calls());
    assert_eq!(notify.calls().len(), 1);
    assert_eq!(job_count(&database_url).await, 1);
    drop(queue);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_job_in_hand() {
    let notify = NotifyServer::start(Duration::from_secs(3), |_, _| StatusCode::OK);
    let dir = TempDir::new("sigterm");
    let database_url = dir.sqlite_url();
    let mut queue = QueueProcess::start(&[
        ("DATABASE_URL", database_url.as_str()),
        ("NOTIFY_URL", notify.url.as_str()),
    ]);
    let client = reqwest::Client::new();
    assert_eq!(
        post(&client, &queue.url(), &delivery("msg_in_hand_0001")).await,
        Ok(200)
    );
    tokio::task::block_in_place(|| {
        notify.wait_until(Duration::from_secs(20), "the call started", |calls| {
            !calls.is_empty()
        });
        queue.signal("TERM");
        let started = std::time::Instant::now();
        assert_eq!(
            queue.wait(Duration::from_secs(30)),
            Some(0),
            "{}",
            queue.output()
        );
        assert!(
            started.elapsed() > Duration::from_secs(1),
            "exited before the 3 s call ended\n{}",
            queue.output()
        );
        // The job was answered and recorded done before the process left.
        assert_eq!(
            crate::common::jobs(&database_url).lines().last(),
            Some(NOTHING_LEFT)
        );
    });
    assert!(
        queue.output().contains("finishing the jobs in hand"),
        "{}",
        queue.output()
    );
    assert_eq!(notify.calls().len(), 1);
}
