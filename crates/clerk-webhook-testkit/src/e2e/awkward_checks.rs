//! Requests that are awkward on the wire: a body that breaks off in its first bytes (where
//! Rocket peeks before any guard runs), and header values that are UTF-8 but not ASCII.

use std::io::Write;
use std::net::Shutdown;

use super::delivery_checks::assert_still_serving;
use super::server::Server;
use super::wire::{raw_request, read_response, signed_headers};
use crate::TEST_SECRET;
use crate::deliveries::{
    Delivery, WEBHOOK_PATH, awkward_authentic_bodies, now, signed, user_created, verifier,
};

/// A body that breaks off within its first 14 bytes (Rocket peeks at those before any
/// guard runs, and only logs an error there) is a read error, as on every framework: not a
/// signature failure, which would point the operator at the secret.
pub(super) fn broken_body_in_its_first_bytes_is_a_read_error(server: &Server) {
    let delivery = signed(TEST_SECRET, user_created());

    // Bad chunking: a 5-byte chunk, then a chunk size that is not hexadecimal.
    let mut chunked = format!(
        "POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
    )
    .into_bytes();
    for (name, value) in signed_headers(&delivery) {
        chunked.extend_from_slice(&[name.as_bytes(), b": ", &value, b"\r\n"].concat());
    }
    chunked.extend_from_slice(b"\r\n5\r\n");
    chunked.extend_from_slice(&delivery.body[..5]);
    chunked.extend_from_slice(b"\r\nzz\r\n");
    expect_read_error(server, "bad chunking after 5 bytes", &chunked);

    // Cut short: the whole length declared, 10 bytes sent, then the client stops sending.
    let full = raw_request("POST", &signed_headers(&delivery), &delivery.body, None);
    let cut = full.len() - delivery.body.len() + 10;
    expect_read_error(server, "body cut short after 10 bytes", &full[..cut]);

    assert_still_serving(server, "after bodies that broke off");
}

fn expect_read_error(server: &Server, case: &str, request: &[u8]) {
    let mut stream = server.connect();
    stream.write_all(request).expect("request");
    let _ = stream.shutdown(Shutdown::Write);
    let response = read_response(&mut stream);
    assert_eq!(
        (response.status, response.body.as_str()),
        (400, "Error reading webhook body"),
        "{case}: {response:?}"
    );
    server.wait_for_log("Error reading webhook body: ");
}

/// Valid JSON that trips a parser (10,000 levels deep, escapes, numbers beyond `f64`,
/// duplicated keys) reaches the handler on the server's own worker threads, and the server
/// keeps serving.
pub(super) fn awkward_authentic_json_is_delivered(server: &Server) {
    for awkward in awkward_authentic_bodies() {
        let delivery = signed(TEST_SECRET, awkward.body.as_str());
        let request = raw_request("POST", &signed_headers(&delivery), &delivery.body, None);
        let response = server.exchange(&request);
        assert_eq!(
            (response.status, response.body.as_str()),
            (200, "Webhook received"),
            "{}: {response:?}",
            awkward.case
        );
    }
    assert_still_serving(server, "after awkward JSON");
}

/// `svix-id: msg_été`, signed: header values are read as UTF-8, not only as visible ASCII.
pub(super) fn non_ascii_utf8_header_is_accepted(server: &Server) {
    let id = format!("msg_\u{e9}t\u{e9}_{}", now());
    let delivery = Delivery::sign(&verifier(TEST_SECRET), id, now(), user_created());
    let request = raw_request("POST", &signed_headers(&delivery), &delivery.body, None);
    let response = server.exchange(&request);
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "Webhook received"),
        "{response:?}"
    );
}
