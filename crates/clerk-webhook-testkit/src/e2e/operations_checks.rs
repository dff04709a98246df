//! What an operator sees: `GET /metrics` on `METRICS_ADDR` (a listener of its own) counts
//! the deliveries, and `LOG_FORMAT=json` gives one JSON object per line, the handler's lines
//! inside the delivery's span.

use std::io::Write as _;
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use super::server::Server;
use super::wire::{delivery_request, read_response};
use crate::deliveries::{signed, user_created};
use crate::{TEST_SECRET, WRONG_SECRET};

/// The address the server said it serves metrics on (`Metrics on http://…/metrics`).
fn metrics_address(server: &Server) -> String {
    server.wait_for_log("Metrics on http://");
    let output = server.output();
    let (_, rest) = output.split_once("Metrics on http://").unwrap();
    rest.split_once("/metrics").unwrap().0.to_owned()
}

fn scrape(address: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect to METRICS_ADDR");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(
            format!("GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
    let response = read_response(&mut stream);
    assert_eq!(response.status, 200, "GET /metrics: {response:?}");
    response.body
}

/// The value of the sample line `series` (name and labels, as exported) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

pub(super) fn metrics_count_deliveries_on_their_own_port(server: &Server) {
    let address = metrics_address(server);
    let accepted =
        r#"clerk_webhook_deliveries_total{event_type="user.created",outcome="accepted"}"#;
    let unverified = r#"clerk_webhook_deliveries_total{event_type="none",outcome="unverified"}"#;
    let before = scrape(&address);
    let count = |text: &str, series: &str| sample(text, series).unwrap_or(0.0);
    for _ in 0..2 {
        let valid = signed(TEST_SECRET, user_created());
        assert_eq!(server.exchange(&delivery_request(&valid)).status, 200);
    }
    let forged = signed(WRONG_SECRET, user_created());
    assert_eq!(server.exchange(&delivery_request(&forged)).status, 400);
    let after = scrape(&address);
    assert_eq!(
        (
            count(&after, accepted) - count(&before, accepted),
            count(&after, unverified) - count(&before, unverified),
        ),
        (2.0, 1.0),
        "deliveries counted on {address}:\n{after}"
    );
    assert!(
        after.contains("clerk_webhook_receive_duration_seconds_bucket{outcome=\"accepted\""),
        "{after}"
    );
    // Never on the public webhook port.
    let public =
        server.exchange(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assert!(
        !public.body.contains("clerk_webhook_deliveries_total"),
        "metrics served on the webhook port: {public:?}"
    );
}

pub(super) fn json_logs_name_the_delivery(server: &Server) {
    let delivery = signed(TEST_SECRET, user_created());
    assert_eq!(server.exchange(&delivery_request(&delivery)).status, 200);
    server.wait_for_log("Received webhook with ID");
    thread::sleep(Duration::from_millis(200));
    let output = server.output();
    let lines: Vec<serde_json::Value> = output
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not one JSON object ({error}): {line:?}"))
        })
        .collect();
    let in_span: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line["span"]["svix_id"].as_str() == Some(delivery.id.as_str()))
        .collect();
    let received = in_span
        .iter()
        .find(|line| {
            line["fields"]["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("Received webhook with ID"))
        })
        .unwrap_or_else(|| {
            panic!(
                "no handler line inside the span of {}: {in_span:#?}\n{output}",
                delivery.id
            )
        });
    assert_eq!(
        (
            received["span"]["name"].as_str(),
            received["span"]["event_type"].as_str(),
            received["span"]["outcome"].as_str(),
        ),
        (Some("webhook"), Some("user.created"), Some("accepted")),
        "the handler's line names its delivery: {received}"
    );
}
