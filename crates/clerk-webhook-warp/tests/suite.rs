//! The shared suite, through `warp::test`.

use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, TestRequest, TestResponse, WebhookTestApp, run_suite,
};
use clerk_webhook_warp::{ClerkWebhook, WebhookConfig, WebhookRejection, WebhookVerifier};
use warp::Filter;
use warp::http::HeaderValue;
use warp::reply::Reply;

const LIMIT: usize = 64 * 1024;

fn echo(webhook: ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

struct WarpApp<F>(F);

impl<F> WebhookTestApp for WarpApp<F>
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: Reply + Send,
{
    async fn send(&self, request: TestRequest) -> TestResponse {
        let mut test_request = warp::test::request()
            .method(request.method)
            .path(&request.path);
        for (name, value) in &request.headers {
            test_request =
                test_request.header(name.as_str(), HeaderValue::from_bytes(value).unwrap());
        }
        let response = test_request.body(request.body).reply(&self.0).await;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        TestResponse {
            status,
            content_type,
            body: response.body().to_vec(),
        }
    }
}

#[tokio::test]
async fn warp_meets_the_contract() {
    let verifier = WebhookVerifier::new(TEST_SECRET).unwrap();
    let config = WebhookConfig::new(verifier).with_body_limit(LIMIT);
    let routes = warp::post()
        .and(warp::path!("api" / "webhooks"))
        .and(ClerkWebhook::filter(config))
        .map(echo)
        .recover(WebhookRejection::recover);
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&WarpApp(routes), options).await;
}
