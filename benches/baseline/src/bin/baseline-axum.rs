//! axum's trivial POST handler: the body is read, nothing is verified.

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use bench_baseline::{ANSWER, exit_with, listen_address};

async fn trivial(body: Bytes) -> &'static str {
    std::hint::black_box(body);
    ANSWER
}

#[tokio::main]
async fn main() {
    let addr = listen_address().unwrap_or_else(|e| exit_with(e));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|e| exit_with(e));
    let app = Router::new().route("/api/webhooks", post(trivial));
    axum::serve(listener, app)
        .await
        .unwrap_or_else(|e| exit_with(e));
}
