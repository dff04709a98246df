//! One attempt: a POST signed and shaped as Svix sends it, and what came back.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clerk_webhook_core::WebhookVerifier;
use clerk_webhook_core::testing::SignedDelivery;

/// Svix gives up on an answer after 15 s.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// How much of an answer's body is kept.
pub const RESPONSE_BODY_LIMIT: usize = 4096;

/// The `user-agent` of every attempt, in the form Svix's deliveries carry.
pub const USER_AGENT: &str = concat!(
    "Svix-Webhooks/1.0 (clerk-webhook-dev/",
    env!("CARGO_PKG_VERSION"),
    "; +https://www.svix.com/http-sender/)"
);

/// What an attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status, `None` when there was no answer.
    pub status_code: Option<u16>,
    /// Why there was no answer.
    pub error: Option<String>,
    /// The first [`RESPONSE_BODY_LIMIT`] bytes of the answer, lossily decoded.
    pub body: String,
    /// The `webhook-delivery` header.
    pub delivery_control: Option<String>,
    /// From sending to the end of the answer (or the failure).
    pub latency: Duration,
}

/// Posts signed messages to the endpoint.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    signer: WebhookVerifier,
    timeout: Duration,
}

impl Sender {
    /// A sender signing with `signer`, giving up on an answer after `timeout`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (no TLS backend, say).
    pub fn new(signer: WebhookVerifier, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = svix_like_client(USER_AGENT, timeout).build()?;
        Ok(Self {
            client,
            signer,
            timeout,
        })
    }

    /// Signs `payload` as message `id` at `timestamp` (Unix seconds).
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: i64, payload: &[u8]) -> SignedDelivery {
        SignedDelivery::sign(&self.signer, id, timestamp, payload)
    }

    /// The headers an attempt of `delivery` sends, names in lower case.
    #[must_use]
    pub fn request_headers(delivery: &SignedDelivery) -> BTreeMap<String, String> {
        let mut headers: BTreeMap<String, String> = delivery
            .headers()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        headers.insert("content-type".to_owned(), "application/json".to_owned());
        headers.insert("user-agent".to_owned(), USER_AGENT.to_owned());
        headers
    }

    /// POSTs `delivery` to `url` and reads at most [`RESPONSE_BODY_LIMIT`] of the answer.
    pub async fn post(&self, url: &str, delivery: &SignedDelivery) -> Response {
        let started = Instant::now();
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json");
        for (name, value) in delivery.headers() {
            request = request.header(name, value);
        }
        let outcome = request.body(delivery.body.clone()).send().await;
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => {
                return Response {
                    status_code: None,
                    error: Some(self.describe(&error)),
                    body: String::new(),
                    delivery_control: None,
                    latency: started.elapsed(),
                };
            }
        };
        let status_code = Some(response.status().as_u16());
        let delivery_control = response
            .headers()
            .get("webhook-delivery")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).trim().to_owned());
        let mut body = Vec::new();
        let mut error = None;
        while body.len() < RESPONSE_BODY_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(read_error) => {
                    error = Some(self.describe(&read_error));
                    break;
                }
            }
        }
        body.truncate(RESPONSE_BODY_LIMIT);
        Response {
            status_code,
            error,
            body: String::from_utf8_lossy(&body).into_owned(),
            delivery_control,
            latency: started.elapsed(),
        }
    }

    fn describe(&self, error: &reqwest::Error) -> String {
        if error.is_timeout() {
            return format!("timed out after {} s", self.timeout.as_secs_f64());
        }
        let cause = root_cause(error);
        if error.is_connect() {
            if cause.to_ascii_lowercase().contains("refused") {
                return "connection refused".to_owned();
            }
            return format!("could not connect: {cause}");
        }
        cause
    }
}

/// A client that posts as Svix does: no proxy, and no redirects followed (a 3xx is a
/// failed attempt, often a sign-in page in front of the route, so it must be seen).
pub fn svix_like_client(user_agent: &str, timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(user_agent)
}

/// The innermost cause of `error`, which is what says what happened.
#[must_use]
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}
