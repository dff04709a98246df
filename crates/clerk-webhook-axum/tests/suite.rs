//! The shared suite, through axum's in-process service.

use axum::Router;
use axum::middleware::from_fn;
use axum::routing::post;
use clerk_webhook_axum::{ClerkWebhook, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::adapters::axum::AxumApp;
use clerk_webhook_testkit::{SuccessBody, SuiteOptions, TEST_SECRET, run_suite};

const LIMIT: usize = 64 * 1024;

async fn echo(ClerkWebhook(webhook): ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

#[tokio::test]
async fn axum_meets_the_contract() {
    let config =
        WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap()).with_body_limit(LIMIT);
    let app = Router::new()
        .route("/api/webhooks", post(echo))
        .route_layer(from_fn(clerk_webhook_axum::delivery_span))
        .with_state(config);
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&AxumApp(app), options).await;
}
