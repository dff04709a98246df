//! Building signed (and deliberately broken) deliveries.

use std::time::{SystemTime, UNIX_EPOCH};

use clerk_webhook_core::WebhookVerifier;

use crate::TestRequest;

/// The secret the suite's apps are configured with (a test value, never a real one).
pub const TEST_SECRET: &str = "whsec_dGVzdC1zZWNyZXQtZm9yLWNsZXJrLXdlYmhvb2tzLXN1aXRl";

/// Another valid secret, which the apps do not accept.
pub const WRONG_SECRET: &str = "whsec_d3Jvbmctc2VjcmV0LW5vdC1jb25maWd1cmVkLWFueXdoZXJl";

/// The route every example and suite app serves.
pub const WEBHOOK_PATH: &str = "/api/webhooks";

/// Now, in Unix seconds.
#[must_use]
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// A verifier for `secret` (a test constant).
#[must_use]
pub fn verifier(secret: &str) -> WebhookVerifier {
    WebhookVerifier::new(secret).expect("test secrets are valid")
}

/// A delivery before it becomes a request: change any part to break it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `svix-id`.
    pub id: String,
    /// `svix-timestamp`.
    pub timestamp: i64,
    /// `svix-signature`.
    pub signature: String,
    /// The body.
    pub body: Vec<u8>,
}

impl Delivery {
    /// `body` signed now with `secret`.
    #[must_use]
    pub fn signed(secret: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::signed_at(secret, body, now())
    }

    /// `body` signed with `secret` at `timestamp`.
    #[must_use]
    pub fn signed_at(secret: &str, body: impl Into<Vec<u8>>, timestamp: i64) -> Self {
        let body = body.into();
        let id = format!("msg_{timestamp}_{:x}", body.len());
        let signature = verifier(secret).sign(&id, timestamp, &body);
        Self {
            id,
            timestamp,
            signature,
            body,
        }
    }

    /// The request with the `svix-*` headers.
    #[must_use]
    pub fn request(&self) -> TestRequest {
        self.request_with_names(["svix-id", "svix-timestamp", "svix-signature"])
    }

    /// The request with the given id, timestamp and signature header names.
    #[must_use]
    pub fn request_with_names(&self, names: [&str; 3]) -> TestRequest {
        TestRequest::post(WEBHOOK_PATH, self.body.clone())
            .header(names[0], self.id.as_bytes())
            .header(names[1], self.timestamp.to_string())
            .header(names[2], self.signature.as_bytes())
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
