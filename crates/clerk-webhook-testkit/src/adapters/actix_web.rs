//! actix-web, through `actix_web::test`.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::test;

use crate::{TestRequest, TestResponse, WebhookTestApp};

/// An initialized actix-web service under test (`test::init_service(App::new()…)`).
pub struct ActixApp<S>(pub S);

impl<S, B> WebhookTestApp for ActixApp<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
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
        let body = test::read_body(response).await.to_vec();
        TestResponse {
            status,
            content_type,
            headers,
            body,
        }
    }
}
