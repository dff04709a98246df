//! The HTTP contract every clerk-webhook integration meets, as one test suite.
//!
//! Like juniper's `run_http_test_suite`: each integration implements [`WebhookTestApp`]
//! over its framework's in-process test client and calls [`run_suite`]; each example server
//! also runs `e2e::run_example` (feature `e2e`) against its real binary over loopback TCP. One suite, so
//! the five frameworks cannot drift apart.
//!
//! This crate is test support: it panics on a failed expectation, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod adapters;
pub mod deliveries;
#[cfg(feature = "e2e")]
pub mod e2e;
mod observe;
mod suite;

pub use deliveries::{TEST_SECRET, WRONG_SECRET};
pub use suite::{SuccessBody, SuiteOptions, run_suite, run_unconfigured_suite};

use std::future::Future;

/// A request for the app under test.
#[derive(Debug, Clone)]
pub struct TestRequest {
    /// `POST`, `GET`, …
    pub method: &'static str,
    /// Path and query.
    pub path: String,
    /// Header names and raw values (values need not be UTF-8).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl TestRequest {
    /// A `POST` to `path` with no headers.
    #[must_use]
    pub fn post(path: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            method: "POST",
            path: path.to_owned(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A `GET` of `path` with no headers.
    #[must_use]
    pub fn get(path: &str) -> Self {
        Self {
            method: "GET",
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Headers whose values are valid UTF-8, as `(name, value)` string pairs (for test
    /// clients that only take strings; the others are dropped and reported).
    #[must_use]
    pub fn utf8_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter_map(|(name, value)| {
                String::from_utf8(value.clone())
                    .ok()
                    .map(|value| (name.clone(), value))
            })
            .collect()
    }
}

/// What the app answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResponse {
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// Every response header: lower-case name, value (lossy UTF-8), in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The first value of header `name` (case-insensitive), if any.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Collects headers from any `(name, value bytes)` iterator, for the adapters.
    pub fn collect_headers<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Vec<(String, String)> {
        headers
            .into_iter()
            .map(|(name, value)| {
                (
                    name.to_ascii_lowercase(),
                    String::from_utf8_lossy(value).into_owned(),
                )
            })
            .collect()
    }

    /// The body as text (lossy).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An app under test, driven through its framework's in-process test client.
pub trait WebhookTestApp {
    /// Sends one request and returns the response.
    fn send(&self, request: TestRequest) -> impl Future<Output = TestResponse>;

    /// Whether the client can send header values that are not UTF-8. Rocket's local client
    /// cannot; the end-to-end test covers that case over TCP for every server.
    fn sends_raw_header_bytes(&self) -> bool {
        true
    }
}
