//! axum, through `tower::ServiceExt::oneshot`.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::Request;
use tower::ServiceExt as _;

use crate::{TestRequest, TestResponse, WebhookTestApp};

/// An axum router under test.
#[derive(Debug, Clone)]
pub struct AxumApp(pub Router);

impl WebhookTestApp for AxumApp {
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
        let headers = TestResponse::collect_headers(
            response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes())),
        );
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
            headers,
            body,
        }
    }
}
