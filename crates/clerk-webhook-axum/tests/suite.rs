//! The shared suite, through axum's in-process service (`tower::ServiceExt::oneshot`).

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::Request;
use axum::routing::post;
use clerk_webhook_axum::{ClerkWebhook, WebhookConfig};
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, TestRequest, TestResponse, WebhookTestApp, run_suite,
};
use tower::ServiceExt as _;

const LIMIT: usize = 64 * 1024;

async fn echo(ClerkWebhook(webhook): ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

struct App(Router);

impl WebhookTestApp for App {
    async fn send(&self, request: TestRequest) -> TestResponse {
        let mut builder = Request::builder().method(request.method).uri(&request.path);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_slice());
        }
        let request = builder
            .header("content-length", request.body.len())
            .body(Body::from(request.body))
            .unwrap();
        let response = self.0.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        TestResponse {
            status,
            content_type,
            body,
        }
    }
}

#[tokio::test]
async fn axum_meets_the_contract() {
    let verifier = clerk_webhook_axum::WebhookVerifier::new(TEST_SECRET).unwrap();
    let config = WebhookConfig::new(verifier).with_body_limit(LIMIT);
    let app = Router::new()
        .route("/api/webhooks", post(echo))
        .with_state(config);
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&App(app), options).await;
}
