//! actix-web's trivial POST handler: the body is read, nothing is verified.

use actix_web::{App, HttpServer, web};
use bench_baseline::{ANSWER, exit_with, listen_address};

async fn trivial(body: web::Bytes) -> &'static str {
    std::hint::black_box(body);
    ANSWER
}

#[actix_web::main]
async fn main() {
    let addr = listen_address().unwrap_or_else(|e| exit_with(e));
    let server = HttpServer::new(|| App::new().route("/api/webhooks", web::post().to(trivial)))
        .bind(addr)
        .unwrap_or_else(|e| exit_with(e));
    server.run().await.unwrap_or_else(|e| exit_with(e));
}
