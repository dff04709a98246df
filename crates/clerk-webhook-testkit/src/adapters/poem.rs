//! poem, through `poem::test::TestClient`.

use poem::Endpoint;
use poem::http::{HeaderValue, Method};
use poem::test::TestClient;

use crate::{TestRequest, TestResponse, WebhookTestApp};

/// A poem endpoint under test.
pub struct PoemApp<E>(pub TestClient<E>);

impl<E: Endpoint> PoemApp<E> {
    /// Wraps `endpoint` in a test client.
    pub fn new(endpoint: E) -> Self {
        Self(TestClient::new(endpoint))
    }
}

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
        let headers = TestResponse::collect_headers(
            response
                .0
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes())),
        );
        let status = response.0.status().as_u16();
        let content_type = response.0.content_type().map(str::to_owned);
        let body = response.0.into_body().into_vec().await.unwrap();
        TestResponse {
            status,
            content_type,
            headers,
            body,
        }
    }
}
