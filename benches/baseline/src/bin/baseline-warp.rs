//! warp's trivial POST handler: the body is read, nothing is verified.

use bench_baseline::{ANSWER, exit_with, listen_address};
use warp::Filter;

#[tokio::main]
async fn main() {
    let addr = listen_address().unwrap_or_else(|e| exit_with(e));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|e| exit_with(e));
    let trivial = warp::post()
        .and(warp::path!("api" / "webhooks"))
        .and(warp::body::content_length_limit(1024 * 1024))
        .and(warp::body::bytes())
        .map(|body: warp::hyper::body::Bytes| {
            std::hint::black_box(body);
            ANSWER
        });
    warp::serve(trivial).incoming(listener).run().await;
}
