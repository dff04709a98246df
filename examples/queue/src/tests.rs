use std::time::Duration;

use clerk_webhook_axum::{DEFAULT_BODY_LIMIT, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::adapters::axum::AxumApp;
use clerk_webhook_testkit::deliveries::{ToTestRequest as _, signed, user_created};
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, WebhookTestApp as _, run_suite,
};

use super::{JobQueue, WorkerSettings, app};

/// One test at a time: the contract suite captures each delivery's span, and a span
/// callsite first reached by another test's thread at the same moment can be cached as
/// uninteresting to the capture (tracing's callsite registration race).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn settings() -> WorkerSettings {
    WorkerSettings {
        notify_url: "http://127.0.0.1:9/notify".to_owned(),
        notify_timeout: Duration::from_secs(1),
        attempts: 3,
        workers: 1,
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(20),
        heartbeat: Duration::from_secs(1),
        missed_heartbeats: 3,
        poll: Duration::from_millis(100),
    }
}

async fn queue(dir: &std::path::Path) -> JobQueue {
    let url = format!("sqlite://{}/queue.db", dir.display());
    JobQueue::open(&url, &settings()).await.unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("example-queue-unit-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config() -> WebhookConfig {
    WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap())
}

#[tokio::test]
async fn app_meets_the_contract() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("contract");
    let app = AxumApp(app(config(), queue(&dir).await, 3));
    run_suite(
        &app,
        SuiteOptions {
            body_limit: DEFAULT_BODY_LIMIT,
            success: SuccessBody::Exact("Webhook received"),
        },
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_queue_that_cannot_store_answers_503_so_svix_retries() {
    let _serial = SERIAL.lock().await;
    let dir = temp_dir("broken");
    let queue = queue(&dir).await;
    if let JobQueue::Sqlite(storage) = &queue {
        storage.pool().close().await;
    }
    let app = AxumApp(app(config(), queue, 3));
    let response = app
        .send(signed(TEST_SECRET, user_created()).request())
        .await;
    assert_eq!(response.status, 503);
    assert_eq!(response.text(), "Error queueing webhook");
    let _ = std::fs::remove_dir_all(&dir);
}
