//! HTTP/1.1 on the wire, written and read by hand so that requests can be malformed on
//! purpose (lying lengths, non-UTF-8 header values, stalled bodies).

use std::io::Read;
use std::net::TcpStream;

use crate::deliveries::{Delivery, WEBHOOK_PATH};

/// An HTTP/1.1 request with `Connection: close`; `content_length` overrides the real one.
pub(super) fn raw_request(
    method: &str,
    headers: &[(&str, Vec<u8>)],
    body: &[u8],
    content_length: Option<usize>,
) -> Vec<u8> {
    let mut request =
        format!("{method} {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n")
            .into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(name.as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    let length = content_length.unwrap_or(body.len());
    request.extend_from_slice(format!("Content-Length: {length}\r\n\r\n").as_bytes());
    request.extend_from_slice(body);
    request
}

pub(super) fn delivery_request(delivery: &Delivery) -> Vec<u8> {
    raw_request("POST", &signed_headers(delivery), &delivery.body, None)
}

pub(super) fn signed_headers(delivery: &Delivery) -> Vec<(&'static str, Vec<u8>)> {
    let mut headers: Vec<(&'static str, Vec<u8>)> = delivery
        .headers()
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    headers.push(("Content-Type", b"application/json".to_vec()));
    headers
}

/// A parsed response; `status` 0 means the server closed without answering.
#[derive(Debug)]
pub(super) struct RawResponse {
    pub(super) status: u16,
    pub(super) head: String,
    pub(super) body: String,
}

pub(super) fn read_response(stream: &mut TcpStream) -> RawResponse {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    RawResponse {
        status,
        head: head.to_owned(),
        body: if chunked {
            dechunk(body)
        } else {
            body.to_owned()
        },
    }
}

pub(super) fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}
