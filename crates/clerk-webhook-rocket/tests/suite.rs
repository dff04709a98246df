//! The shared suite, through `rocket::local::asynchronous::Client`.

use clerk_webhook_rocket::{ClerkWebhook, WebhookConfig, WebhookVerifier};
use clerk_webhook_testkit::{
    SuccessBody, SuiteOptions, TEST_SECRET, TestRequest, TestResponse, WebhookTestApp, run_suite,
};
use rocket::http::{Header, Method};
use rocket::local::asynchronous::Client;
use rocket::{post, routes};

const LIMIT: usize = 64 * 1024;

#[post("/api/webhooks", data = "<webhook>")]
fn echo(webhook: ClerkWebhook) -> String {
    format!(
        "{} {}",
        webhook.event_type(),
        webhook.data_id().unwrap_or_default()
    )
}

struct RocketApp(Client);

impl WebhookTestApp for RocketApp {
    async fn send(&self, request: TestRequest) -> TestResponse {
        let method: Method = request.method.parse().unwrap();
        let mut local = self.0.req(method, request.path.clone());
        for (name, value) in request.utf8_headers() {
            local.add_header(Header::new(name, value));
        }
        local.add_header(Header::new(
            "Content-Length",
            request.body.len().to_string(),
        ));
        let response = local.body(request.body).dispatch().await;
        let status = response.status().code;
        let content_type = response.content_type().map(|ct| ct.to_string());
        let body = response.into_bytes().await.unwrap_or_default();
        TestResponse {
            status,
            content_type,
            body,
        }
    }

    fn sends_raw_header_bytes(&self) -> bool {
        false
    }
}

fn rocket(config: WebhookConfig) -> rocket::Rocket<rocket::Build> {
    rocket::build()
        .manage(config)
        .mount("/", routes![echo])
        .register("/api/webhooks", clerk_webhook_rocket::catchers())
}

#[rocket::async_test]
async fn rocket_meets_the_contract() {
    let verifier = WebhookVerifier::new(TEST_SECRET).unwrap();
    let config = WebhookConfig::new(verifier).with_body_limit(LIMIT);
    let client = Client::tracked(rocket(config)).await.unwrap();
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&RocketApp(client), options).await;
}

#[rocket::async_test]
async fn rocket_named_limit_overrides_the_config() {
    let verifier = WebhookVerifier::new(TEST_SECRET).unwrap();
    let config = WebhookConfig::new(verifier);
    let figment = rocket::Config::figment().merge(("limits.clerk-webhook", LIMIT));
    let client = Client::tracked(rocket(config).configure(figment))
        .await
        .unwrap();
    let options = SuiteOptions {
        body_limit: LIMIT,
        success: SuccessBody::EchoTypeAndId,
    };
    run_suite(&RocketApp(client), options).await;
}
