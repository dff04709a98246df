//! The shared suite, through `rocket::local::asynchronous::Client`.

use clerk_webhook_rocket::{ClerkWebhook, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::adapters::rocket::RocketApp;
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, run_suite, run_unconfigured_suite,
};
use rocket::{post, routes};

const LIMIT: usize = 64 * 1024;
const OPTIONS: SuiteOptions = SuiteOptions {
    body_limit: LIMIT,
    success: SuccessBody::EchoTypeAndId,
};

#[post("/api/webhooks", data = "<webhook>")]
fn echo(webhook: ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

fn rocket(config: WebhookConfig) -> rocket::Rocket<rocket::Build> {
    rocket::build()
        .manage(config)
        .attach(clerk_webhook_rocket::delivery_span())
        .mount("/", routes![echo])
        .register("/api/webhooks", clerk_webhook_rocket::catchers())
}

#[rocket::async_test]
async fn rocket_meets_the_contract() {
    let config =
        WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap()).with_body_limit(LIMIT);
    run_suite(&RocketApp::new(rocket(config)).await, OPTIONS).await;
}

#[rocket::async_test]
async fn rocket_named_limit_overrides_the_config() {
    let config = WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap());
    let figment = rocket::Config::figment().merge(("limits.clerk-webhook", LIMIT));
    run_suite(
        &RocketApp::new(rocket(config).configure(figment)).await,
        OPTIONS,
    )
    .await;
}

#[rocket::async_test]
async fn rocket_without_managed_config_answers_500() {
    let rocket = rocket::build()
        .mount("/", routes![echo])
        .register("/api/webhooks", clerk_webhook_rocket::catchers());
    run_unconfigured_suite(&RocketApp::new(rocket).await).await;
}
