//! Helpers for the `dev` binary's tests: a verifying receiver on 127.0.0.1, and polling.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use clerk_webhook_core::WebhookVerifier;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

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
