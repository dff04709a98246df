use actix_web::{test, web};
use clerk_webhook_actix_web::{DEFAULT_BODY_LIMIT, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::adapters::actix_web::ActixApp;
use clerk_webhook_testkit::{SuccessBody, SuiteOptions, TEST_SECRET, run_suite};

#[actix_web::test]
async fn app_meets_the_contract() {
    let config = WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap());
    let app = test::init_service(super::app(web::Data::new(config))).await;
    let success = SuccessBody::Exact("Webhook received");
    let options = SuiteOptions {
        body_limit: DEFAULT_BODY_LIMIT,
        success,
    };
    run_suite(&ActixApp(app), options).await;
}
