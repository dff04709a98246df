//! The known-answer and negative vectors of `fixtures/signing-vectors.json`.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_core::{WebhookError, WebhookVerifier};
use common::at;
use serde_json::Value;

fn vectors(kind: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(include_str!("fixtures/signing-vectors.json")).unwrap();
    all[kind].as_array().unwrap().clone()
}

fn payload(vector: &Value) -> Vec<u8> {
    if let Some(payload) = vector["payload"].as_str() {
        return payload.as_bytes().to_vec();
    }
    let generator = &vector["payload_generator"];
    generator["char"]
        .as_str()
        .unwrap()
        .repeat(usize::try_from(generator["repeat"].as_u64().unwrap()).unwrap())
        .into_bytes()
}

fn check(vector: &Value, signature_header: &str) -> Result<(), WebhookError> {
    let verifier = WebhookVerifier::new(vector["secret"].as_str().unwrap()).unwrap();
    let timestamp = vector["timestamp"].as_i64().unwrap();
    let timestamp_header = timestamp.to_string();
    let headers = [
        ("svix-id", vector["msg_id"].as_str().unwrap()),
        ("svix-timestamp", timestamp_header.as_str()),
        ("svix-signature", signature_header),
    ];
    verifier
        .verify_signature_at(&headers, &payload(vector), at(timestamp))
        .map(|_| ())
}

#[test]
fn hmac_known_answers_sign_and_verify() {
    let vectors = vectors("hmac_v1_vectors");
    assert_eq!(vectors.len(), 6);
    for vector in vectors.iter().chain(&self::vectors("derived_vectors")) {
        let name = vector["name"].as_str().unwrap();
        let expected = vector["expected_signature"].as_str().unwrap();
        let verifier = WebhookVerifier::new(vector["secret"].as_str().unwrap()).unwrap();
        let signed = verifier.sign(
            vector["msg_id"].as_str().unwrap(),
            vector["timestamp"].as_i64().unwrap(),
            &payload(vector),
        );
        assert_eq!(signed, expected, "{name}: sign");
        assert_eq!(check(vector, expected), Ok(()), "{name}: verify");
    }
}

#[test]
fn negative_vectors() {
    let vectors = vectors("negative_vectors");
    assert_eq!(vectors.len(), 15);
    for vector in &vectors {
        let name = vector["name"].as_str().unwrap();
        let result = check(vector, vector["signature_header"].as_str().unwrap());
        if vector["expect_valid"].as_bool().unwrap() {
            assert_eq!(result, Ok(()), "{name}");
        } else {
            assert_eq!(result, Err(WebhookError::NoMatchingSignature), "{name}");
        }
    }
}

#[test]
fn ed25519_v1a_entries_are_skipped_not_trusted() {
    for vector in vectors("ed25519_v1a_vectors") {
        // A v1a signature alone never verifies an HMAC endpoint, even with the right id,
        // timestamp and body.
        let mut hmac_vector = vector.clone();
        hmac_vector["secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into();
        let header = vector["expected_signature"].as_str().unwrap();
        assert_eq!(
            check(&hmac_vector, header),
            Err(WebhookError::NoMatchingSignature)
        );
    }
}
