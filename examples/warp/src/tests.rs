use clerk_webhook_testkit::adapters::warp::WarpApp;
use clerk_webhook_testkit::{SuccessBody, SuiteOptions, TEST_SECRET, run_suite};
use clerk_webhook_warp::{DEFAULT_BODY_LIMIT, WebhookConfig, WebhookVerifier};

#[tokio::test]
async fn app_meets_the_contract() {
    let config = WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap());
    let success = SuccessBody::Exact("Webhook received");
    let options = SuiteOptions {
        body_limit: DEFAULT_BODY_LIMIT,
        success,
    };
    run_suite(&WarpApp(super::app(config)), options).await;
}
