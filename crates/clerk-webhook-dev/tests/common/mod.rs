//! A scripted webhook endpoint on 127.0.0.1, and an engine on a manual clock.
#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use clerk_webhook_core::WebhookVerifier;
use clerk_webhook_dev::{DevStore, Engine, ManualClock, Sender};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub fn verifier() -> WebhookVerifier {
    WebhookVerifier::from_secret_list(SECRET).expect("a valid secret")
}

/// One answer the endpoint gives.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub delay: Duration,
    pub body: String,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            delay: Duration::ZERO,
            body: format!("answer {status}"),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn body(mut self, body: String) -> Self {
        self.body = body;
        self
    }
}

/// A request the endpoint received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Default)]
struct Script {
    replies: VecDeque<Reply>,
    otherwise: Option<Reply>,
    received: Vec<Received>,
    in_flight: usize,
    most_in_flight: usize,
}

/// An endpoint answering from a script, then with a default answer.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl Endpoint {
    /// Answers `replies` in order, then `otherwise` for ever.
    pub async fn start(replies: Vec<Reply>, otherwise: Reply) -> Self {
        let script = Arc::new(Mutex::new(Script {
            replies: replies.into(),
            otherwise: Some(otherwise),
            ..Script::default()
        }));
        let app = axum::Router::new()
            .route("/api/webhooks", axum::routing::post(answer))
            .with_state(Arc::clone(&script));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/webhooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, script }
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    /// The most requests it was answering at once.
    pub fn most_in_flight(&self) -> usize {
        self.script.lock().unwrap().most_in_flight
    }

    pub fn set_otherwise(&self, reply: Reply) {
        self.script.lock().unwrap().otherwise = Some(reply);
    }
}

async fn answer(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = {
        let mut script = script.lock().unwrap();
        script.received.push(Received {
            headers: headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        value.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        });
        script.in_flight += 1;
        script.most_in_flight = script.most_in_flight.max(script.in_flight);
        match script.replies.pop_front() {
            Some(reply) => reply,
            None => script.otherwise.clone().unwrap(),
        }
    };
    tokio::time::sleep(reply.delay).await;
    script.lock().unwrap().in_flight -= 1;
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap(),
        reply.body.clone(),
    )
        .into_response();
    for (name, value) in reply.headers {
        response
            .headers_mut()
            .insert(name, axum::http::HeaderValue::from_static(value));
    }
    response
}

/// An engine on a manual clock (starting now), an in-memory store, and `timeout`.
pub async fn engine_with(
    url: &str,
    store: DevStore,
    timeout: Duration,
) -> (Arc<Engine>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::starting_now());
    let sender = Sender::new(verifier(), timeout).unwrap();
    let engine = Engine::start(store, url, sender, clock.clone(), 1.0, None)
        .await
        .unwrap();
    (engine, clock)
}

pub async fn engine(url: &str) -> (Arc<Engine>, Arc<ManualClock>) {
    engine_with(
        url,
        DevStore::in_memory().await.unwrap(),
        Duration::from_secs(15),
    )
    .await
}

/// A URL nothing listens on.
pub async fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/api/webhooks")
}

/// A correct receiver (the axum integration) verifying with `secret`; returns its URL.
pub async fn verifying_endpoint(secret: &str) -> String {
    use clerk_webhook_axum::{ClerkWebhook, WebhookConfig};
    async fn ok(_: ClerkWebhook) -> &'static str {
        "Webhook received"
    }
    let verifier = WebhookVerifier::from_secret_list(secret).unwrap();
    let app = axum::Router::new()
        .route("/api/webhooks", axum::routing::post(ok))
        .with_state(WebhookConfig::new(verifier));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/webhooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Polls `check` every 20 ms until it holds, for at most `limit`.
pub async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check().await
}

/// `clerk-webhook dev` in this process on the real clock, forwarding to `forward_to` and
/// signing with `secret`; returns its base URL (`http://127.0.0.1:port`).
pub async fn start_dev(forward_to: &str, secret: &str, time_scale: f64) -> String {
    use clerk_webhook_dev::{self as dev, SecretInfo, SystemClock};
    let signer = WebhookVerifier::from_secret_list(secret).unwrap();
    let sender = Sender::new(signer, Duration::from_secs(5)).unwrap();
    let store = DevStore::in_memory().await.unwrap();
    let clock = Arc::new(SystemClock);
    let engine = Engine::start(store, forward_to, sender, clock, time_scale, None)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let secret = SecretInfo::of(secret);
    tokio::spawn(dev::serve(engine, secret, listener, std::future::pending()));
    base
}
