//! Hostile clients: stalled bodies, slowloris, idle connections, huge headers, garbage.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use super::HeaderTimeout;
use super::delivery_checks::assert_still_serving;
use super::server::Server;
use super::wire::{raw_request, read_response, signed_headers};
use crate::TEST_SECRET;
use crate::deliveries::{WEBHOOK_PATH, signed, user_created};

pub(super) fn stalled_body_times_out_while_others_are_served(server: &Server) {
    // Headers and 100 bytes of a 2,000-byte body, then nothing: the server must answer 408
    // (or close) once WEBHOOK_BODY_TIMEOUT (2 s here) has passed, not hold the connection.
    let delivery = signed(TEST_SECRET, user_created());
    let request = raw_request(
        "POST",
        &signed_headers(&delivery),
        &delivery.body,
        Some(delivery.body.len()),
    );
    let mut stalled = server.connect();
    stalled
        .write_all(&request[..request.len() - delivery.body.len() + 100])
        .expect("partial request");
    let started = Instant::now();
    // Meanwhile the server keeps serving.
    assert_still_serving(server, "while a body stalls");
    let response = read_response(&mut stalled);
    let waited = started.elapsed();
    assert!(matches!(response.status, 0 | 408), "{response:?}");
    assert!(
        (Duration::from_millis(1500)..Duration::from_secs(8)).contains(&waited),
        "answered after {waited:?}"
    );
    if response.status == 408 {
        assert_eq!(response.body, "Webhook body timed out");
    }
}

pub(super) fn slowloris_is_closed_while_others_are_served(server: &Server) {
    // 20 clients send a request line, then one header byte every 250 ms, never finishing
    // the head. With WEBHOOK_HEADER_TIMEOUT=2 each must be closed (or answered 408) within
    // a few seconds, and a real delivery is served meanwhile.
    const CLIENTS: usize = 20;
    let drippers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            // The server's clock starts when it accepts: start ours before connecting.
            let started = Instant::now();
            let mut stream = server.connect();
            stream
                .set_read_timeout(Some(Duration::from_millis(250)))
                .expect("timeout");
            let head = format!("POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: ");
            stream.write_all(head.as_bytes()).expect("request line");
            thread::spawn(move || drip_until_closed(stream, started, Duration::from_secs(10)))
        })
        .collect();
    thread::sleep(Duration::from_millis(500));
    assert_still_serving(server, "while 20 clients drip headers");
    let closed_after: Vec<Option<(Duration, u16)>> = drippers
        .into_iter()
        .map(|dripper| dripper.join().expect("dripper thread"))
        .collect();
    if server.header_timeout == HeaderTimeout::NotEnforced {
        return;
    }
    for closed in closed_after {
        let (after, status) = closed.expect("a dripping connection still open after 10 s");
        assert!(matches!(status, 0 | 400 | 408), "answered {status}");
        assert!(
            // Not at once (the timeout closed it, not a refusal), and not much later.
            (Duration::from_secs(1)..Duration::from_secs(6)).contains(&after),
            "closed after {after:?} with a 2 s header timeout"
        );
    }
}

/// Sends one byte every read timeout until the server closes or answers; returns how long
/// after `started`, and the status it answered (0: closed without one), or `None` if still open at `limit`.
fn drip_until_closed(
    mut stream: TcpStream,
    started: Instant,
    limit: Duration,
) -> Option<(Duration, u16)> {
    let mut buf = [0u8; 1024];
    while started.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => return Some((started.elapsed(), 0)),
            Ok(n) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                let status = text.split(' ').nth(1).and_then(|code| code.parse().ok());
                return Some((started.elapsed(), status.unwrap_or(0)));
            }
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stream.write_all(b"a").is_err() {
                    return Some((started.elapsed(), 0));
                }
            }
            Err(_) => return Some((started.elapsed(), 0)),
        }
    }
    None
}

pub(super) fn idle_connections_do_not_block_others(server: &Server) {
    let held: Vec<TcpStream> = (0..300).map(|_| server.connect()).collect();
    assert_still_serving(server, "while 300 idle connections are held");
    drop(held);
}

pub(super) fn oversized_header_is_refused(server: &Server) {
    let delivery = signed(TEST_SECRET, user_created());
    let mut headers = signed_headers(&delivery);
    headers.push(("X-Big", vec![b'a'; 1024 * 1024]));
    let response = server.exchange(&raw_request("POST", &headers, &delivery.body, None));
    assert_eq!(response.status, 431, "a 1 MiB header value: {response:?}");
    assert_still_serving(server, "after a 1 MiB header");
}

pub(super) fn garbage_is_refused(server: &Server) {
    let garbage: Vec<u8> = (0..=255u8).cycle().take(16 * 1024).collect();
    let response = server.exchange(&garbage);
    assert!(matches!(response.status, 0 | 400), "{response:?}");
    assert_still_serving(server, "after 16 KiB of garbage");
}
