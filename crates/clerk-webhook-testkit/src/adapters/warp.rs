//! warp, through `warp::test`.

use warp::Filter;
use warp::http::HeaderValue;
use warp::reply::Reply;

use crate::{TestRequest, TestResponse, WebhookTestApp};

/// A warp filter under test.
pub struct WarpApp<F>(pub F);

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
        TestResponse {
            status,
            content_type,
            headers,
            body: response.body().to_vec(),
        }
    }
}
