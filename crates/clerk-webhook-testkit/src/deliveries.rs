//! Building signed (and deliberately broken) deliveries.

use std::sync::atomic::{AtomicU64, Ordering};

use clerk_webhook_core::WebhookVerifier;

use crate::TestRequest;

/// The secret the suite's apps are configured with (a test value, never a real one).
pub const TEST_SECRET: &str = "whsec_dGVzdC1zZWNyZXQtZm9yLWNsZXJrLXdlYmhvb2tzLXN1aXRl";

/// Another valid secret, which the apps do not accept.
pub const WRONG_SECRET: &str = "whsec_d3Jvbmctc2VjcmV0LW5vdC1jb25maWd1cmVkLWFueXdoZXJl";

/// The route every example and suite app serves.
pub const WEBHOOK_PATH: &str = "/api/webhooks";

/// A delivery signed as Svix signs it: core's test type, shared with the CLI and the
/// sync store's tests.
pub use clerk_webhook_core::testing::SignedDelivery as Delivery;
/// Now, in Unix seconds.
pub use clerk_webhook_core::testing::unix_now as now;

/// A verifier for `secret` (a test constant).
#[must_use]
pub fn verifier(secret: &str) -> WebhookVerifier {
    WebhookVerifier::new(secret).expect("test secrets are valid")
}

/// `body` signed now with `secret`, with a message id unique in this process.
#[must_use]
pub fn signed(secret: &str, body: impl Into<Vec<u8>>) -> Delivery {
    signed_at(secret, body, now())
}

/// `body` signed with `secret` at `timestamp`, with a message id unique in this process.
#[must_use]
pub fn signed_at(secret: &str, body: impl Into<Vec<u8>>, timestamp: i64) -> Delivery {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = format!("msg_{timestamp}_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    Delivery::sign(&verifier(secret), id, timestamp, body)
}

/// A delivery as a [`TestRequest`] for the in-process test clients.
pub trait ToTestRequest {
    /// The request with the `svix-*` headers.
    fn request(&self) -> TestRequest;
    /// The request with the given id, timestamp and signature header names.
    fn request_with_names(&self, names: [&'static str; 3]) -> TestRequest;
}

impl ToTestRequest for Delivery {
    fn request(&self) -> TestRequest {
        self.request_with_names(clerk_webhook_core::testing::SVIX_HEADER_NAMES)
    }

    fn request_with_names(&self, names: [&'static str; 3]) -> TestRequest {
        self.headers_named(names)
            .into_iter()
            .fold(
                TestRequest::post(WEBHOOK_PATH, self.body.clone()),
                |request, (name, value)| request.header(name, value),
            )
            .header("content-type", "application/json")
    }
}

/// A signed `user.created` body padded with trailing spaces to exactly `size` bytes
/// (still valid JSON, so it verifies and parses).
#[must_use]
pub fn user_created_of_size(size: usize) -> Vec<u8> {
    let mut body = user_created();
    assert!(body.len() <= size, "size {size} is below the sample's own");
    body.resize(size, b' ');
    body
}

/// Clerk's `user.created` example, as published.
#[must_use]
pub fn user_created() -> Vec<u8> {
    clerk_webhook_core::samples::sample("user.created")
        .expect("the user.created sample exists")
        .as_bytes()
        .to_vec()
}

/// Correctly signed bodies that are not Clerk events: no retry can fix them.
pub const UNUSABLE_BODIES: &[(&str, &str)] = &[
    ("authentic body that is not JSON", "not json"),
    (
        "authentic body that is a JSON array",
        r#"[{"type":"user.created"}]"#,
    ),
    ("authentic body without type", r#"{"data":{"id":"user_1"}}"#),
    (
        "authentic body whose type is not a string",
        r#"{"type":7,"data":{"id":"user_1"}}"#,
    ),
    ("authentic body without data", r#"{"type":"user.created"}"#),
    (
        "authentic body whose data is not an object",
        r#"{"type":"user.created","data":"user_1"}"#,
    ),
];

/// Clerk's `user.created` example whose `created_at` is an ISO string instead of
/// milliseconds: authentic data that no longer fits the typed model.
#[must_use]
pub fn drifted_user_created() -> Vec<u8> {
    clerk_webhook_core::samples::drifted(
        "user.created",
        "created_at",
        "2024-05-28T00:00:00Z".into(),
    )
    .expect("the user.created sample exists")
    .into_bytes()
}

/// An authentic body that is valid JSON but awkward to parse, and what the handler should
/// extract from it.
#[derive(Debug, Clone)]
pub struct AwkwardBody {
    /// What the case is.
    pub case: &'static str,
    /// The body, as Clerk might send it.
    pub body: String,
    /// The event type the handler sees.
    pub event_type: &'static str,
    /// The `data.id` the handler sees.
    pub data_id: &'static str,
    /// How the shared body path counts it: `accepted` (typed as usual) or `drifted`
    /// (`ClerkEvent::Mismatched`: data no `serde_json::Value` can hold).
    pub outcome: &'static str,
}

/// Correctly signed, valid JSON events that must be delivered (typed, or
/// `ClerkEvent::Mismatched` with the text intact), never refused as unusable: nesting deeper
/// than serde_json's recursion limit of 128 (`unsafe_metadata` is written by end users),
/// an escaped `type`, numbers beyond `f64`, a duplicated informational key.
#[must_use]
pub fn awkward_authentic_bodies() -> Vec<AwkwardBody> {
    let user_updated = |metadata: &str| {
        format!(
            r#"{{"type":"user.updated","object":"event","data":{{"id":"user_deep","object":"user","unsafe_metadata":{metadata},"created_at":1,"updated_at":2}}}}"#
        )
    };
    let objects = |depth: usize| format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let arrays = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let case = |case, body, event_type, data_id, outcome| AwkwardBody {
        case,
        body,
        event_type,
        data_id,
        outcome,
    };
    vec![
        case(
            "metadata nested 200 levels deep",
            user_updated(&objects(200)),
            "user.updated",
            "user_deep",
            "drifted",
        ),
        case(
            "metadata nested 10,000 levels deep",
            user_updated(&arrays(10_000)),
            "user.updated",
            "user_deep",
            "drifted",
        ),
        case(
            "escaped type",
            r#"{"type":"user\u002ecreated","data":{"id":"user_1"}}"#.to_owned(),
            "user.created",
            "user_1",
            "accepted",
        ),
        case(
            "envelope timestamp out of range",
            r#"{"type":"user.created","timestamp":1e400,"data":{"id":"user_1"}}"#.to_owned(),
            "user.created",
            "user_1",
            "accepted",
        ),
        case(
            "number out of range in data of an unknown type",
            r#"{"type":"invoice.paid","data":{"id":"inv_1","total":1e400}}"#.to_owned(),
            "invoice.paid",
            "inv_1",
            "drifted",
        ),
        case(
            "duplicated object key",
            r#"{"object":"event","type":"user.created","object":"event","data":{"id":"user_1"}}"#
                .to_owned(),
            "user.created",
            "user_1",
            "accepted",
        ),
    ]
}
