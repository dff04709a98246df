//! Rocket, through `rocket::local::asynchronous::Client`.

use rocket::http::{Header, Method};
use rocket::local::asynchronous::Client;

use crate::{TestRequest, TestResponse, WebhookTestApp};

/// A Rocket instance under test.
pub struct RocketApp(pub Client);

impl RocketApp {
    /// Ignites `rocket` into a tracked local client.
    pub async fn new(rocket: rocket::Rocket<rocket::Build>) -> Self {
        Self(Client::tracked(rocket).await.unwrap())
    }
}

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
        let headers = response
            .headers()
            .iter()
            .map(|h| (h.name.as_str().to_ascii_lowercase(), h.value.into_owned()))
            .collect();
        let status = response.status().code;
        let content_type = response.content_type().map(|ct| ct.to_string());
        let body = response.into_bytes().await.unwrap_or_default();
        TestResponse {
            status,
            content_type,
            headers,
            body,
        }
    }

    /// Rocket's local client takes header values as `str` only.
    fn sends_raw_header_bytes(&self) -> bool {
        false
    }
}
