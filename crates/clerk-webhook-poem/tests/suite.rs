//! The shared suite, through `poem::test::TestClient`.

use clerk_webhook_poem::{ClerkWebhook, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::adapters::poem::PoemApp;
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, run_suite, run_unconfigured_suite,
};
use poem::{EndpointExt, Route, handler, post};

const LIMIT: usize = 64 * 1024;

#[handler]
fn echo(ClerkWebhook(webhook): ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

#[tokio::test]
async fn poem_meets_the_contract() {
    let config =
        WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap()).with_body_limit(LIMIT);
    let endpoint = post(echo).around(clerk_webhook_poem::delivery_span);
    let app = Route::new().at("/api/webhooks", endpoint).data(config);
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&PoemApp::new(app), options).await;
}

#[tokio::test]
async fn poem_without_data_answers_500() {
    let app = Route::new().at("/api/webhooks", post(echo));
    run_unconfigured_suite(&PoemApp::new(app)).await;
}
