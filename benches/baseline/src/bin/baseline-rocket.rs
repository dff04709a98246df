//! Rocket's trivial POST handler: the body is read, nothing is verified.

use bench_baseline::{ANSWER, exit_with, listen_address};
use rocket::config::LogLevel;
use rocket::data::{Data, ToByteUnit as _};
use rocket::{post, routes};

#[post("/api/webhooks", data = "<body>")]
async fn trivial(body: Data<'_>) -> &'static str {
    let body = body.open(1.mebibytes()).into_bytes().await;
    std::hint::black_box(body.ok());
    ANSWER
}

#[rocket::main]
async fn main() {
    let addr = listen_address().unwrap_or_else(|e| exit_with(e));
    let figment = rocket::Config::figment()
        .merge(("address", addr.ip()))
        .merge(("port", addr.port()))
        .merge(("log_level", LogLevel::Off));
    let rocket = rocket::custom(figment).mount("/", routes![trivial]);
    if let Err(error) = rocket.launch().await {
        exit_with(error);
    }
}
