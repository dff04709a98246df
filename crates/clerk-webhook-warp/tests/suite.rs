//! The shared suite, through `warp::test`.

use clerk_webhook_testkit::adapters::warp::WarpApp;
use clerk_webhook_testkit::{SuccessBody, SuiteOptions, TEST_SECRET, run_suite};
use clerk_webhook_warp::{ClerkWebhook, WebhookConfig, WebhookRejection, WebhookVerifier};
use warp::Filter;

const LIMIT: usize = 64 * 1024;

fn echo(webhook: ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

#[tokio::test]
async fn warp_meets_the_contract() {
    let config =
        WebhookConfig::new(WebhookVerifier::new(TEST_SECRET).unwrap()).with_body_limit(LIMIT);
    let routes = warp::post()
        .and(warp::path!("api" / "webhooks"))
        .and(ClerkWebhook::filter(config))
        .map(echo)
        .recover(WebhookRejection::recover);
    let routes = clerk_webhook_warp::delivery_span(routes);
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&WarpApp(routes), options).await;
}
