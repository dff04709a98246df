//! The shared suite, through `actix_web::test`.

use actix_web::middleware::from_fn;
use actix_web::{App, test, web};
use clerk_webhook_actix_web::{ClerkWebhook, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::adapters::actix_web::ActixApp;
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, run_suite, run_unconfigured_suite,
};

const LIMIT: usize = 64 * 1024;

async fn echo(ClerkWebhook(webhook): ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

#[actix_web::test]
async fn actix_web_meets_the_contract() {
    let config =
        WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap()).with_body_limit(LIMIT);
    let app = App::new().app_data(web::Data::new(config)).service(
        web::resource("/api/webhooks")
            .wrap(from_fn(clerk_webhook_actix_web::delivery_span))
            .route(web::post().to(echo)),
    );
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&ActixApp(test::init_service(app).await), options).await;
}

#[actix_web::test]
async fn actix_web_without_app_data_answers_500() {
    let app = App::new().route("/api/webhooks", web::post().to(echo));
    run_unconfigured_suite(&ActixApp(test::init_service(app).await)).await;
}
