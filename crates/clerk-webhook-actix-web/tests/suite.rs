//! The shared suite, through `actix_web::test`.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::{App, test, web};
use clerk_webhook_actix_web::{ClerkWebhook, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, TestRequest, TestResponse, WebhookTestApp, run_suite,
};

const LIMIT: usize = 64 * 1024;

async fn echo(ClerkWebhook(webhook): ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

struct ActixApp<S>(S);

impl<S> WebhookTestApp for ActixApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    async fn send(&self, request: TestRequest) -> TestResponse {
        let mut test_request = test::TestRequest::default()
            .method(request.method.parse().unwrap())
            .uri(&request.path);
        for (name, value) in &request.headers {
            test_request = test_request
                .append_header((name.as_str(), HeaderValue::from_bytes(value).unwrap()));
        }
        let test_request = test_request.set_payload(request.body);
        let response = test::call_service(&self.0, test_request.to_request()).await;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = test::read_body(response).await.to_vec();
        TestResponse {
            status,
            content_type,
            body,
        }
    }
}

#[actix_web::test]
async fn actix_web_meets_the_contract() {
    let verifier = WebhookVerifier::new(TEST_SECRET).unwrap();
    let config = WebhookConfig::new(verifier).with_body_limit(LIMIT);
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(config))
            .route("/api/webhooks", web::post().to(echo)),
    )
    .await;
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&ActixApp(app), options).await;
}
