//! poem's trivial POST handler: the body is read, nothing is verified.

use bench_baseline::{ANSWER, exit_with, listen_address};
use poem::Body;
use poem::listener::TcpListener;
use poem::{Route, Server, handler, post};

#[handler]
async fn trivial(body: Body) -> &'static str {
    let body = body.into_bytes().await;
    std::hint::black_box(body.ok());
    ANSWER
}

#[tokio::main]
async fn main() {
    let addr = listen_address().unwrap_or_else(|e| exit_with(e));
    let app = Route::new().at("/api/webhooks", post(trivial));
    Server::new(TcpListener::bind(addr))
        .run(app)
        .await
        .unwrap_or_else(|e| exit_with(e));
}
