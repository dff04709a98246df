//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // Test helpers fail by panicking.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_webhook_core::WebhookVerifier;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
pub const NOW: i64 = 1_716_883_200;

pub fn at(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap())
}

pub fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(SECRET).unwrap()
}

/// A delivery signed as Svix signs it (core's own test type).
#[allow(unused_imports)] // Not every test file signs.
pub use clerk_webhook_core::testing::SignedDelivery as Signed;

pub const USER_CREATED: &str = r#"{"type":"user.created","object":"event","timestamp":1716883200,"instance_id":"ins_1","data":{"id":"user_1","object":"user","primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"ada@example.com"}]}}"#;
