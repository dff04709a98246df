//! The shared suite, through `poem::test::TestClient`.

use clerk_webhook_poem::{ClerkWebhook, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, TestRequest, TestResponse, WebhookTestApp, run_suite,
};
use poem::http::{HeaderValue, Method};
use poem::test::TestClient;
use poem::{Endpoint, EndpointExt, Route, handler, post};

const LIMIT: usize = 64 * 1024;

#[handler]
fn echo(ClerkWebhook(webhook): ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

struct PoemApp<E>(TestClient<E>);

impl<E: Endpoint> WebhookTestApp for PoemApp<E> {
    async fn send(&self, request: TestRequest) -> TestResponse {
        let method: Method = request.method.parse().unwrap();
        let mut test_request = self.0.request(method, &request.path);
        for (name, value) in &request.headers {
            test_request =
                test_request.header(name.as_str(), HeaderValue::from_bytes(value).unwrap());
        }
        let length = request.body.len();
        let response = test_request
            .header("content-length", length)
            .body(request.body)
            .send()
            .await;
        let status = response.0.status().as_u16();
        let content_type = response.0.content_type().map(str::to_owned);
        let body = response.0.into_body().into_vec().await.unwrap();
        TestResponse {
            status,
            content_type,
            body,
        }
    }
}

#[tokio::test]
async fn poem_meets_the_contract() {
    let verifier = WebhookVerifier::new(TEST_SECRET).unwrap();
    let config = WebhookConfig::new(verifier).with_body_limit(LIMIT);
    let app = Route::new().at("/api/webhooks", post(echo)).data(config);
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&PoemApp(TestClient::new(app)), options).await;
}
