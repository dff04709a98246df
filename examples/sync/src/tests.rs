use clerk_webhook_axum::{DEFAULT_BODY_LIMIT, WebhookConfig, WebhookVerifier};
use clerk_webhook_sync::SyncStore;
use clerk_webhook_sync::testing::{postgres_store, sqlite_store};
use clerk_webhook_testkit::adapters::axum::AxumApp;
use clerk_webhook_testkit::deliveries::{Delivery, user_created};
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, TestRequest, WebhookTestApp, run_suite,
};
use sqlx::Executor as _;

fn config() -> WebhookConfig {
    WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap())
}

#[tokio::test]
async fn app_meets_the_contract() {
    let app = AxumApp(super::app(config(), sqlite_store().await.unwrap()));
    let success = SuccessBody::Exact("Webhook received");
    run_suite(
        &app,
        SuiteOptions {
            body_limit: DEFAULT_BODY_LIMIT,
            success,
        },
    )
    .await;
}

async fn get(app: &AxumApp, path: &str) -> (u16, String) {
    let request = TestRequest {
        method: "GET",
        path: path.to_owned(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let response = app.send(request).await;
    (response.status, response.text())
}

#[tokio::test]
async fn stored_users_are_served_as_json() {
    let app = AxumApp(super::app(config(), sqlite_store().await.unwrap()));
    assert_eq!(
        get(&app, "/api/users/user_2g7np7Hrk0SN6kj5EDMLDaKNL0S")
            .await
            .0,
        404
    );
    let delivery = Delivery::signed(TEST_SECRET, user_created());
    assert_eq!(app.send(delivery.request()).await.status, 200);
    let (status, body) = get(&app, "/api/users/user_2g7np7Hrk0SN6kj5EDMLDaKNL0S").await;
    assert_eq!(status, 200);
    let row: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (row["first_name"].as_str(), row["deleted"].as_bool()),
        (Some("John"), Some(false))
    );
}

/// The store fails mid-transaction (its users table is gone): 503, so Svix retries, and
/// the delivery ledger has no row for it, so the retry is not taken for a duplicate.
async fn store_failure_answers_503_and_leaves_nothing(store: SyncStore) {
    store
        .pool()
        .execute("DROP TABLE clerk_users")
        .await
        .unwrap();
    let app = AxumApp(super::app(config(), store.clone()));
    let delivery = Delivery::signed(TEST_SECRET, user_created());
    let response = app.send(delivery.request()).await;
    assert_eq!(
        (response.status, response.text().as_str()),
        (503, "Error storing webhook")
    );
    let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clerk_webhook_deliveries")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(recorded, 0, "no partial write");
}

#[tokio::test]
async fn store_failure_on_sqlite() {
    store_failure_answers_503_and_leaves_nothing(sqlite_store().await.unwrap()).await;
}

#[tokio::test]
async fn store_failure_on_postgres() {
    if let Some(store) = postgres_store().await.unwrap() {
        store_failure_answers_503_and_leaves_nothing(store).await;
    }
}
