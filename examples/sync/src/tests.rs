use clerk_webhook_axum::{DEFAULT_BODY_LIMIT, WebhookConfig, WebhookVerifier};
use clerk_webhook_sync::SyncStore;
use clerk_webhook_sync::testing::{postgres_store, sqlite_store};

use super::Store;
use clerk_webhook_testkit::adapters::axum::AxumApp;
use clerk_webhook_testkit::deliveries::{
    ToTestRequest as _, drifted_user_created, signed, user_created,
};
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, TestRequest, TestResponse, WebhookTestApp, run_suite,
};
use sqlx::Executor as _;

use super::ApiToken;

/// One test at a time: the contract suite captures each delivery's span, and a span
/// callsite first reached by another test's thread at the same moment can be cached as
/// uninteresting to the capture (tracing's callsite registration race).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const USER_ID: &str = "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
const TOKEN: &str = "test-token-0123456789abcdef0123456789abcdef";
/// A value only `private_metadata` holds, so finding it anywhere in an answer is a leak.
const PRIVATE_MARKER: &str = "PRIVATE-MARKER-cus_9s6XKzkNRiz8i3";

/// A test store with the example's hook and `app_users`.
async fn hooked(store: SyncStore) -> Store {
    super::with_app_users(store).await.unwrap()
}

async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

fn config() -> WebhookConfig {
    WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap())
}

fn token() -> Option<ApiToken> {
    Some(ApiToken(TOKEN.into()))
}

async fn app_with(token: Option<ApiToken>) -> AxumApp {
    AxumApp(super::app(
        config(),
        hooked(sqlite_store().await.unwrap()).await,
        token,
    ))
}

#[tokio::test]
async fn app_meets_the_contract() {
    let _serial = SERIAL.lock().await;
    let success = SuccessBody::Exact("Webhook received");
    for token in [None, token()] {
        let app = app_with(token).await;
        run_suite(
            &app,
            SuiteOptions {
                body_limit: DEFAULT_BODY_LIMIT,
                success,
            },
        )
        .await;
    }
}

async fn read_user(app: &AxumApp, authorization: Option<&str>, id: &str) -> TestResponse {
    let mut request = TestRequest::get(&format!("/api/users/{id}"));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    app.send(request).await
}

/// `user.created` with a primary and a second email address, whose `private_metadata` and
/// `unsafe_metadata` hold the marker.
async fn deliver_user_with_private_data(app: &AxumApp) {
    let mut body: serde_json::Value = serde_json::from_slice(&user_created()).unwrap();
    body["data"]["private_metadata"] = serde_json::json!({ "stripe": PRIVATE_MARKER });
    body["data"]["unsafe_metadata"] = serde_json::json!({ "note": PRIVATE_MARKER });
    body["data"]["email_addresses"] = serde_json::json!([
        { "id": "idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "email_address": "ada@example.org" },
        { "id": "idn_other", "email_address": "second-PRIVATE-MARKER@example.org" },
    ]);
    let delivery = signed(TEST_SECRET, body.to_string());
    assert_eq!(app.send(delivery.request()).await.status, 200);
}

#[tokio::test]
async fn reads_without_the_right_token_get_401_whether_or_not_the_user_exists() {
    let _serial = SERIAL.lock().await;
    let app = app_with(token()).await;
    deliver_user_with_private_data(&app).await;
    let wrong = format!("Bearer {TOKEN}x");
    let short = format!("Bearer {}", &TOKEN[..TOKEN.len() - 1]);
    let basic = format!("Basic {TOKEN}");
    let attempts = [
        None,
        Some(wrong.as_str()),
        Some(short.as_str()),
        Some(basic.as_str()),
        Some("Bearer "),
    ];
    for authorization in attempts {
        for id in [USER_ID, "user_missing"] {
            let response = read_user(&app, authorization, id).await;
            let case = format!("{authorization:?} for {id}");
            assert_eq!(response.status, 401, "{case}");
            assert_eq!(
                response.header("www-authenticate"),
                Some("Bearer"),
                "{case}"
            );
            assert_eq!(response.text(), "Unauthorized", "{case}");
        }
    }
}

#[tokio::test]
async fn the_right_token_reads_the_public_projection_only() {
    let _serial = SERIAL.lock().await;
    let app = app_with(token()).await;
    deliver_user_with_private_data(&app).await;
    let bearer = format!("Bearer {TOKEN}");
    let lower = format!("bearer {TOKEN}");
    for authorization in [bearer.as_str(), lower.as_str()] {
        let response = read_user(&app, Some(authorization), USER_ID).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let text = response.text();
        assert!(
            !text.contains("PRIVATE-MARKER"),
            "private data leaked: {text}"
        );
        let row: serde_json::Value = serde_json::from_str(&text).unwrap();
        for private in ["private_metadata", "unsafe_metadata", "raw", "external_id"] {
            assert!(row.get(private).is_none(), "{private} in {text}");
        }
        assert_eq!(
            (
                row["id"].as_str(),
                row["first_name"].as_str(),
                row["deleted"].as_bool()
            ),
            (Some(USER_ID), Some("John"), Some(false))
        );
        assert_eq!(
            row["primary_email_address"].as_str(),
            Some("ada@example.org")
        );
    }
    let missing = read_user(&app, Some(bearer.as_str()), "user_missing").await;
    assert_eq!(
        (missing.status, missing.text().as_str()),
        (404, "No such user")
    );
}

#[tokio::test]
async fn without_a_token_the_read_route_does_not_exist() {
    let _serial = SERIAL.lock().await;
    let app = app_with(None).await;
    deliver_user_with_private_data(&app).await;
    let bearer = format!("Bearer {TOKEN}");
    for authorization in [None, Some(bearer.as_str())] {
        let response = read_user(&app, authorization, USER_ID).await;
        assert_eq!(response.status, 404, "{authorization:?}");
        assert!(!response.text().contains(PRIVATE_MARKER));
    }
}

#[tokio::test]
async fn drifted_data_is_acknowledged_and_quarantined() {
    let _serial = SERIAL.lock().await;
    let store = hooked(sqlite_store().await.unwrap()).await;
    let app = AxumApp(super::app(config(), store.clone(), None));
    let delivery = signed(TEST_SECRET, drifted_user_created());
    let response = app.send(delivery.request()).await;
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "Webhook received")
    );
    let quarantined = store.quarantined().await.unwrap();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].svix_id, delivery.id);
    assert!(store.user(USER_ID).await.unwrap().is_none());
}

#[test]
fn tokens_compare_exactly() {
    let token = ApiToken(TOKEN.into());
    assert!(token.admits(Some(format!("Bearer {TOKEN}").as_bytes())));
    assert!(token.admits(Some(format!("BEARER {TOKEN}").as_bytes())));
    for refused in [
        String::new(),
        TOKEN.to_owned(),
        format!("Bearer  {TOKEN}"),
        format!("Bearer {TOKEN} "),
        format!("Token {TOKEN}"),
    ] {
        assert!(!token.admits(Some(refused.as_bytes())), "{refused:?}");
    }
    assert!(!token.admits(None));
}

/// The store fails mid-transaction (its users table is gone): 503, so Svix retries, and
/// the delivery ledger has no row for it, so the retry is not taken for a duplicate.
async fn store_failure_answers_503_and_leaves_nothing(store: SyncStore) {
    let store = hooked(store).await;
    store
        .pool()
        .execute("DROP TABLE clerk_users")
        .await
        .unwrap();
    let app = AxumApp(super::app(config(), store.clone(), None));
    let delivery = signed(TEST_SECRET, user_created());
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
    let _serial = SERIAL.lock().await;
    store_failure_answers_503_and_leaves_nothing(sqlite_store().await.unwrap()).await;
}

#[tokio::test]
async fn store_failure_on_postgres() {
    let _serial = SERIAL.lock().await;
    store_failure_answers_503_and_leaves_nothing(postgres_store().await.unwrap()).await;
}

/// `app_users` cannot be written (here: it is gone): the delivery is answered 503 and
/// nothing of it stays, not the ledger row, not the mirror row; Svix's retry, once the
/// table is back, applies all three.
async fn hook_failure_answers_503_and_the_retry_applies_everything(store: SyncStore) {
    let store = hooked(store).await;
    store
        .pool()
        .execute("ALTER TABLE app_users RENAME TO app_users_away")
        .await
        .unwrap();
    let app = AxumApp(super::app(config(), store.clone(), None));
    let delivery = signed(TEST_SECRET, user_created());
    let response = app.send(delivery.request()).await;
    assert_eq!(
        (response.status, response.text().as_str()),
        (503, "Error storing webhook")
    );
    assert_eq!(count(&store, "clerk_webhook_deliveries").await, 0);
    assert_eq!(count(&store, "clerk_users").await, 0);
    store
        .pool()
        .execute("ALTER TABLE app_users_away RENAME TO app_users")
        .await
        .unwrap();
    let response = app.send(delivery.request()).await;
    assert_eq!(response.status, 200);
    assert_eq!(count(&store, "clerk_webhook_deliveries").await, 1);
    assert_eq!(count(&store, "clerk_users").await, 1);
    let row: (Option<String>, i64) = sqlx::query_as(
        "SELECT display_name, CAST(deleted AS INTEGER) FROM app_users WHERE id = $1",
    )
    .bind(USER_ID)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(row, (Some("John Doe".to_owned()), 0));
}

#[tokio::test]
async fn hook_failure_on_sqlite() {
    let _serial = SERIAL.lock().await;
    hook_failure_answers_503_and_the_retry_applies_everything(sqlite_store().await.unwrap()).await;
}

#[tokio::test]
async fn hook_failure_on_postgres() {
    let _serial = SERIAL.lock().await;
    hook_failure_answers_503_and_the_retry_applies_everything(postgres_store().await.unwrap())
        .await;
}
