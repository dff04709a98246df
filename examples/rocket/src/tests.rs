use clerk_webhook_rocket::{DEFAULT_BODY_LIMIT, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::adapters::rocket::RocketApp;
use clerk_webhook_testkit::{SuccessBody, SuiteOptions, TEST_SECRET, run_suite};

#[rocket::async_test]
async fn app_meets_the_contract() {
    let config = WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap());
    let success = SuccessBody::Exact("Webhook received");
    let options = SuiteOptions {
        body_limit: DEFAULT_BODY_LIMIT,
        success,
    };
    run_suite(&RocketApp::new(super::app(config)).await, options).await;
}
