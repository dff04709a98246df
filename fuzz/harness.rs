//! The fuzz harnesses, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`) and the
//! corpus replay test in `crates/clerk-webhook-core/tests/fuzz_corpus.rs`.
//!
//! Neither may panic on any input; both also check that nothing unsigned is ever accepted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_webhook_core::WebhookVerifier;

/// The fixed secret the harnesses verify with.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The fixed clock: the timestamp of the Svix signing vectors.
pub const NOW: u64 = 1_614_265_330;

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(SECRET).expect("the harness secret is valid")
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

/// `verify` target. Input: `id \n timestamp \n signature-header \n body`, each header field
/// arbitrary bytes (lossily UTF-8), the body raw. Whatever the fuzzer writes as a
/// signature, a delivery may verify only if that header really holds the HMAC of its
/// content.
pub fn verify(data: &[u8]) {
    let mut fields = data.splitn(4, |b| *b == b'\n');
    let id = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let timestamp = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let signature = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let body = fields.next().unwrap_or_default().to_vec();
    let verifier = verifier();
    let headers = [
        ("svix-id", id.as_str()),
        ("svix-timestamp", timestamp.as_str()),
        ("svix-signature", signature.as_str()),
    ];
    if let Ok(verified) = verifier.verify_signature_at(&headers, &body, now()) {
        let expected = verifier.sign(verified.id, verified.timestamp, &body);
        // Header values are trimmed (as HTTP does with surrounding whitespace) before use.
        assert!(
            signature.trim().split(' ').any(|entry| entry == expected),
            "accepted a signature header without the right v1 entry"
        );
    }
    let _ = verifier.verify_at(&headers, body, now());
}

/// `parse` target: arbitrary bytes as a correctly signed body, so every input reaches the
/// JSON and event parsing. It must not panic, and a parsed event's type and raw data must
/// come from the body.
pub fn parse(data: &[u8]) {
    let verifier = verifier();
    let timestamp = NOW.to_string();
    let signature = verifier.sign("msg_fuzz", NOW as i64, data);
    let headers = [
        ("svix-id", "msg_fuzz"),
        ("svix-timestamp", timestamp.as_str()),
        ("svix-signature", signature.as_str()),
    ];
    if let Ok(webhook) = verifier.verify_at(&headers, data.to_vec(), now()) {
        assert!(std::str::from_utf8(data).is_ok_and(|text| text.contains(webhook.data_json())));
        let _ = webhook.data_value();
        let _ = webhook.data_id();
    }
}
