//! What a delivery gets: accepted, refused, logged, and never a secret in the logs.

use std::io::Write;
use std::net::Shutdown;
use std::thread;
use std::time::Duration;

use clerk_webhook_core::DEFAULT_BODY_LIMIT;

use super::server::Server;
use super::wire::{delivery_request, raw_request, read_response, signed_headers};
use crate::TEST_SECRET;
use crate::deliveries::{WEBHOOK_PATH, drifted_user_created, signed, user_created};

pub(super) fn valid_delivery_is_logged_and_accepted(server: &Server) {
    let delivery = signed(TEST_SECRET, user_created());
    let response = server.exchange(&delivery_request(&delivery));
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body, "Webhook received");
    let value: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
    let id = value["data"]["id"].as_str().unwrap();
    server.wait_for_log(&format!(
        "Received webhook with ID {id} and event type of user.created"
    ));
    let data = serde_json::to_string(&value["data"]).unwrap();
    let payload_line = server
        .output()
        .lines()
        .find_map(|line| {
            line.split_once("Webhook payload: ")
                .map(|(_, json)| json.to_owned())
        })
        .expect("a Webhook payload line");
    let logged: serde_json::Value = serde_json::from_str(&payload_line).unwrap();
    assert_eq!(
        serde_json::to_string(&logged).unwrap(),
        data,
        "logged payload is data"
    );
    server.wait_for_log(&format!("userId: {id}"));
}

pub(super) fn tampered_delivery_is_rejected(server: &Server) {
    let mut delivery = signed(TEST_SECRET, user_created());
    delivery.body = String::from_utf8(delivery.body)
        .unwrap()
        .replacen("John", "Eve", 1)
        .into_bytes();
    let response = server.exchange(&delivery_request(&delivery));
    assert_eq!(
        (response.status, response.body.as_str()),
        (400, "Error verifying webhook")
    );
    assert!(
        response
            .head
            .to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "{}",
        response.head
    );
    assert!(
        !response
            .head
            .to_ascii_lowercase()
            .contains("webhook-delivery"),
        "a forgery must not stop retries: {}",
        response.head
    );
    server.wait_for_log("Error verifying webhook: No matching signature found");
}

pub(super) fn drifted_data_is_warned_about_and_accepted(server: &Server) {
    let delivery = signed(TEST_SECRET, drifted_user_created());
    let response = server.exchange(&delivery_request(&delivery));
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "Webhook received")
    );
    server.wait_for_log("Webhook data did not match the user.created model: invalid type");
    server.wait_for_log("; upgrade clerk-webhook-core");
}

pub(super) fn authentic_unusable_body_stops_retries(server: &Server) {
    let delivery = signed(TEST_SECRET, r#"{"data":{"id":"user_1"}}"#);
    let response = server.exchange(&delivery_request(&delivery));
    assert_eq!(
        (response.status, response.body.as_str()),
        (400, "Invalid webhook payload")
    );
    assert!(
        response
            .head
            .to_ascii_lowercase()
            .contains("webhook-delivery: abort-message"),
        "{}",
        response.head
    );
    server.wait_for_log(&format!(
        "Unusable webhook {} (authentic: the signature matched)",
        delivery.id
    ));
}

pub(super) fn non_utf8_header_is_rejected(server: &Server) {
    let delivery = signed(TEST_SECRET, user_created());
    let bad_signature = [delivery.signature.as_bytes(), &[0xff, 0xfe]].concat();
    let mut headers = signed_headers(&delivery);
    headers[2] = ("svix-signature", bad_signature);
    let response = server.exchange(&raw_request("POST", &headers, &delivery.body, None));
    assert_eq!(response.status, 400, "{response:?}");
}

pub(super) fn declared_oversize_is_refused_before_reading(server: &Server) {
    // Headers declaring 2 MiB, then only the first 64 KiB of the body: the answer must come
    // without the server waiting for (or buffering) the rest. (Body bytes are sent, as every
    // real sender does: Rocket awaits the first 14 body bytes before any guard runs.)
    let delivery = signed(TEST_SECRET, user_created());
    let declared = 2 * DEFAULT_BODY_LIMIT;
    let head = raw_request("POST", &signed_headers(&delivery), &[], Some(declared));
    let mut stream = server.connect();
    let _ = stream.write_all(&head);
    let _ = stream.write_all(&vec![b' '; 64 * 1024]);
    let response = read_response(&mut stream);
    assert_eq!(
        (response.status, response.body.as_str()),
        (413, "Webhook payload too large")
    );
}

pub(super) fn chunked_oversize_is_refused(server: &Server) {
    let delivery = signed(TEST_SECRET, user_created());
    let mut request = format!("POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n").into_bytes();
    for (name, value) in signed_headers(&delivery) {
        request.extend_from_slice(&[name.as_bytes(), b": ", &value, b"\r\n"].concat());
    }
    request.extend_from_slice(b"\r\n");
    let chunk = vec![b' '; 64 * 1024];
    let mut stream = server.connect();
    let _ = stream.write_all(&request);
    for _ in 0..(DEFAULT_BODY_LIMIT / chunk.len() + 2) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&framed).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let response = read_response(&mut stream);
    assert_eq!(response.status, 413, "{response:?}");
}

pub(super) fn lying_content_length_is_survived(server: &Server) {
    let delivery = signed(TEST_SECRET, user_created());
    // Shorter than the body: the server verifies a truncated body and refuses it.
    let short = raw_request(
        "POST",
        &signed_headers(&delivery),
        &delivery.body,
        Some(delivery.body.len() - 10),
    );
    assert_eq!(server.exchange(&short).status, 400);
    // Longer than the body, then the client stops sending: refused or closed, never accepted.
    let long = raw_request(
        "POST",
        &signed_headers(&delivery),
        &delivery.body,
        Some(delivery.body.len() + 10),
    );
    let mut stream = server.connect();
    let _ = stream.write_all(&long);
    let _ = stream.shutdown(Shutdown::Write);
    let response = read_response(&mut stream);
    assert!(matches!(response.status, 0 | 400), "{response:?}");
    // And the server still serves.
    assert_still_serving(server, "after a lying Content-Length");
}

pub(super) fn get_is_not_allowed(server: &Server) {
    let response = server.exchange(&raw_request("GET", &[], &[], None));
    assert!(matches!(response.status, 404 | 405), "{response:?}");
}

pub(super) fn in_flight_request_finishes_after_sigterm(server: &Server) {
    let delivery = signed(TEST_SECRET, user_created());
    let request = delivery_request(&delivery);
    let split = request.len() - 100;
    let mut stream = server.connect();
    stream.write_all(&request[..split]).expect("first half");
    thread::sleep(Duration::from_millis(300));
    server.terminate();
    thread::sleep(Duration::from_millis(500));
    stream.write_all(&request[split..]).expect("second half");
    let response = read_response(&mut stream);
    assert_eq!(
        response.status, 200,
        "in-flight request after SIGTERM: {response:?}"
    );
    // No new connections once it has stopped accepting (it may already have exited).
    thread::sleep(Duration::from_millis(200));
}

pub(super) fn no_secret_or_signature_is_ever_logged(server: &Server) {
    let valid = signed(TEST_SECRET, user_created());
    let forged = signed(crate::WRONG_SECRET, user_created());
    let mut junk = signed(TEST_SECRET, user_created());
    junk.signature = "v1,QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE= v1a,c2VjcmV0 v2,x".to_owned();
    assert_eq!(server.exchange(&delivery_request(&valid)).status, 200);
    assert_eq!(server.exchange(&delivery_request(&forged)).status, 400);
    assert_eq!(server.exchange(&delivery_request(&junk)).status, 400);
    server.wait_for_log("Error verifying webhook");
    thread::sleep(Duration::from_millis(200));
    let output = server.output();
    assert!(
        output.contains("TRACE") || output.contains("DEBUG") || output.contains("INFO"),
        "logging is on"
    );
    let mut secrets: Vec<String> = Vec::new();
    for secret in [TEST_SECRET, crate::WRONG_SECRET] {
        secrets.push(secret.to_owned());
        secrets.push(secret.trim_start_matches("whsec_").to_owned());
    }
    for delivery in [&valid, &forged, &junk] {
        for entry in delivery.signature.split(' ') {
            let value = entry.split_once(',').map_or(entry, |(_, value)| value);
            if value.len() >= 8 {
                secrets.push(value.to_owned());
            }
        }
    }
    for secret in &secrets {
        assert!(
            !output.contains(secret.as_str()),
            "{secret:?} appears in the server's output"
        );
    }
}

/// Under `RUST_LOG=warn`, a valid delivery logs nothing and a forged one one WARN line:
/// no framework's INFO or DEBUG lines get through (Rocket's used to, one per request line).
pub(super) fn only_warnings_are_logged(server: &Server) {
    for _ in 0..3 {
        assert_still_serving(server, "under RUST_LOG=warn");
    }
    let forged = signed(crate::WRONG_SECRET, user_created());
    assert_eq!(server.exchange(&delivery_request(&forged)).status, 400);
    server.wait_for_log("Error verifying webhook: No matching signature found");
    thread::sleep(Duration::from_millis(200));
    let output = server.output();
    let chatty: Vec<&str> = output
        .lines()
        .filter(|line| {
            [" INFO ", " DEBUG ", " TRACE "]
                .iter()
                .any(|level| line.contains(level))
        })
        .collect();
    assert!(
        chatty.is_empty(),
        "below warn under RUST_LOG=warn: {chatty:#?}"
    );
}

pub(super) fn assert_still_serving(server: &Server, during: &str) {
    let fresh = signed(TEST_SECRET, user_created());
    let response = server.exchange(&delivery_request(&fresh));
    assert_eq!(
        response.status, 200,
        "a valid delivery {during}: {response:?}"
    );
}
