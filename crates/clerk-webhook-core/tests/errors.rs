//! One test per failure, each asserting the exact variant and message.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_core::{
    ClerkEvent, HeaderSource, PayloadProblem, SecretProblem, SigningSecret, WebhookError,
    WebhookVerifier,
};
use common::{NOW, OTHER_SECRET, SECRET, Signed, USER_CREATED, at, verifier};

fn verify<'h>(headers: impl HeaderSource<'h>, body: &[u8]) -> Result<(), WebhookError> {
    verifier()
        .verify_at(headers, body.to_vec(), at(NOW))
        .map(|_| ())
}

fn verify_signed(body: &[u8]) -> Result<(), WebhookError> {
    let signed = Signed::sign(&verifier(), "msg_1", NOW, body);
    verify(&signed.headers(), body)
}

#[test]
fn blank_secret_is_missing() {
    for blank in ["", "   ", "\n"] {
        assert_eq!(
            WebhookVerifier::new(blank).unwrap_err(),
            WebhookError::MissingSecret
        );
    }
    assert_eq!(
        WebhookVerifier::from_secret_list(" , ").unwrap_err(),
        WebhookError::MissingSecret
    );
    assert_eq!(
        WebhookError::MissingSecret.to_string(),
        "Missing webhook signing secret. Set CLERK_WEBHOOK_SIGNING_SECRET (in the environment or in .env) to your endpoint's Signing Secret from the Clerk Dashboard (Webhooks, your endpoint). To try things locally without a Clerk account: `cp .env.example .env` (a public development secret), or make one with `clerk-webhook secret`."
    );
}

#[test]
fn undecodable_secret_is_invalid() {
    for bad in [
        "whsec_not base64!",
        "whsec_abc",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "whsec_-_-_",
    ] {
        assert_eq!(
            WebhookVerifier::new(bad).unwrap_err(),
            WebhookError::InvalidSecret {
                reason: SecretProblem::NotBase64
            },
            "{bad}"
        );
    }
    let error = WebhookVerifier::new("whsec_").unwrap_err();
    assert_eq!(
        error,
        WebhookError::InvalidSecret {
            reason: SecretProblem::EmptyAfterPrefix
        }
    );
}

#[test]
fn error_messages_never_contain_the_secret() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!";
    let error = WebhookVerifier::new(secret).unwrap_err();
    assert!(!error.to_string().contains("MfKQ9r8"));
    assert!(!format!("{error:?}").contains("MfKQ9r8"));
}

#[test]
fn debug_redacts_keys() {
    let debug = format!("{:?}", verifier());
    assert!(debug.contains("redacted"), "{debug}");
    assert!(!debug.contains("MfKQ9r8"), "{debug}");
}

#[test]
fn missing_headers_are_all_named_in_order() {
    let signed = Signed::sign(&verifier(), "msg_1", NOW, b"{}");
    let headers = signed.headers();
    let [id, timestamp, signature] = headers
        .each_ref()
        .map(|(name, value)| (*name, value.as_str()));
    type Case<'h> = (&'h [(&'h str, &'h str)], &'static [&'static str]);
    let cases: [Case<'_>; 5] = [
        (&[], &["svix-id", "svix-timestamp", "svix-signature"]),
        (&[timestamp], &["svix-id", "svix-signature"]),
        (&[id, signature], &["svix-timestamp"]),
        (&[id, timestamp], &["svix-signature"]),
        (&[("svix-id", "  "), timestamp, signature], &["svix-id"]),
    ];
    for (headers, missing) in cases {
        assert_eq!(
            verify(headers, b"{}"),
            Err(WebhookError::MissingHeaders {
                missing: missing.to_vec()
            })
        );
    }
    assert_eq!(
        verify(&[timestamp], b"{}").unwrap_err().to_string(),
        "Missing required webhook headers: svix-id, svix-signature"
    );
}

#[test]
fn standard_webhooks_headers_are_used_when_no_svix_header_is_present() {
    let body = USER_CREATED.as_bytes();
    let signed = Signed::sign(&verifier(), "msg_1", NOW, body);
    let timestamp = signed.timestamp.to_string();
    let standard = [
        ("Webhook-Id", signed.id.as_str()),
        ("WEBHOOK-TIMESTAMP", timestamp.as_str()),
        ("webhook-signature", signed.signature.as_str()),
    ];
    assert_eq!(verify(&standard, body), Ok(()));
    assert_eq!(
        verify(&standard[..2], body),
        Err(WebhookError::MissingHeaders {
            missing: vec!["webhook-signature"]
        })
    );
    // One svix header present: the svix family is the one reported.
    let mixed = [standard[0], standard[1], standard[2], ("svix-id", "msg_1")];
    assert_eq!(
        verify(&mixed, body),
        Err(WebhookError::MissingHeaders {
            missing: vec!["svix-timestamp", "svix-signature"]
        })
    );
}

#[test]
fn header_values_are_trimmed_and_names_case_insensitive() {
    let body = USER_CREATED.as_bytes();
    let signed = Signed::sign(&verifier(), "msg_1", NOW, body);
    let id = format!(" {} ", signed.id);
    let timestamp = format!("{}\t", signed.timestamp);
    let headers = [
        ("SVIX-ID", id.as_str()),
        ("Svix-Timestamp", timestamp.as_str()),
        ("svix-SIGNATURE", signed.signature.as_str()),
    ];
    assert_eq!(verify(&headers, body), Ok(()));
}

#[test]
fn http_header_values_are_read_as_utf8_not_only_visible_ascii() {
    let body = USER_CREATED.as_bytes();
    let signed = Signed::sign(&verifier(), "msg_\u{e9}t\u{e9}", NOW, body);
    let mut headers = http::HeaderMap::new();
    for (name, value) in signed.headers() {
        headers.insert(
            name,
            http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    let webhook = verifier()
        .verify_at(&headers, body.to_vec(), at(NOW))
        .unwrap();
    assert_eq!(webhook.message_id(), "msg_\u{e9}t\u{e9}");
    // Bytes that are not UTF-8 are still refused, as missing.
    headers.insert(
        "svix-id",
        http::HeaderValue::from_bytes(b"msg_\xe9t\xe9").unwrap(),
    );
    assert_eq!(
        verify(&headers, body),
        Err(WebhookError::MissingHeaders {
            missing: vec!["svix-id"]
        })
    );
}

#[test]
fn malformed_timestamp_is_invalid() {
    for timestamp in [
        "1716883200abc",
        "-1716883200",
        "1716883200.0",
        "1.7e9",
        "99999999999999999999999",
        "+1716883200",
    ] {
        let headers = [
            ("svix-id", "msg_1"),
            ("svix-timestamp", timestamp),
            ("svix-signature", "v1,x"),
        ];
        assert_eq!(
            verify(&headers, b"{}"),
            Err(WebhookError::InvalidTimestamp),
            "{timestamp}"
        );
    }
}

#[test]
fn window_is_inclusive_at_300_seconds() {
    let body = USER_CREATED.as_bytes();
    for (offset, expected) in [
        (-300, Ok(())),
        (300, Ok(())),
        (
            -301,
            Err(WebhookError::TimestampTooOld {
                timestamp: NOW - 301,
                now: NOW,
            }),
        ),
        (
            301,
            Err(WebhookError::TimestampTooNew {
                timestamp: NOW + 301,
                now: NOW,
            }),
        ),
    ] {
        let signed = Signed::sign(&verifier(), "msg_1", NOW + offset, body);
        assert_eq!(verify(&signed.headers(), body), expected, "offset {offset}");
    }
    assert_eq!(
        WebhookError::TimestampTooOld {
            timestamp: 0,
            now: 0
        }
        .to_string(),
        "Message timestamp too old"
    );
    assert_eq!(
        WebhookError::TimestampTooNew {
            timestamp: 0,
            now: 0
        }
        .to_string(),
        "Message timestamp too new"
    );
}

#[test]
fn tolerance_is_configurable() {
    let body = USER_CREATED.as_bytes();
    let verifier = verifier().with_tolerance(std::time::Duration::from_secs(10));
    let signed = Signed::sign(&verifier, "msg_1", NOW - 11, body);
    assert_eq!(
        verifier
            .verify_at(&signed.headers(), body, at(NOW))
            .map(|_| ()),
        Err(WebhookError::TimestampTooOld {
            timestamp: NOW - 11,
            now: NOW
        })
    );
}

#[test]
fn wrong_secret_matches_no_signature() {
    let body = USER_CREATED.as_bytes();
    let other = WebhookVerifier::new(OTHER_SECRET).unwrap();
    let signed = Signed::sign(&other, "msg_1", NOW, body);
    let error = verify(&signed.headers(), body).unwrap_err();
    assert_eq!(error, WebhookError::NoMatchingSignature);
    assert_eq!(error.to_string(), "No matching signature found");
}

#[test]
fn empty_v1_signature_never_matches() {
    for header in ["v1,", "v1, v1,", "v1,=", "v1"] {
        let headers = [
            ("svix-id", "msg_1"),
            ("svix-timestamp", "1716883200"),
            ("svix-signature", header),
        ];
        assert_eq!(
            verify(&headers, b"{}"),
            Err(WebhookError::NoMatchingSignature),
            "{header}"
        );
    }
}

#[test]
fn rotation_accepts_either_secret() {
    let body = USER_CREATED.as_bytes();
    let both = WebhookVerifier::from_secret_list(&format!("{SECRET}, {OTHER_SECRET}")).unwrap();
    assert_eq!(both.secret_count(), 2);
    for secret in [SECRET, OTHER_SECRET] {
        let signer = WebhookVerifier::new(secret).unwrap();
        let signed = Signed::sign(&signer, "msg_1", NOW, body);
        assert!(
            both.verify_at(&signed.headers(), body, at(NOW)).is_ok(),
            "{secret}"
        );
    }
    let third = WebhookVerifier::new("whsec_plJ3nmyCDGBKInavdOK15jsl").unwrap();
    let signed = Signed::sign(&third, "msg_1", NOW, body);
    assert_eq!(
        both.verify_at(&signed.headers(), body, at(NOW)).map(|_| ()),
        Err(WebhookError::NoMatchingSignature)
    );
}

#[test]
fn several_signatures_with_one_valid() {
    let body = USER_CREATED.as_bytes();
    let signed = Signed::sign(&verifier(), "msg_1", NOW, body);
    let decoy = WebhookVerifier::new(OTHER_SECRET)
        .unwrap()
        .sign("msg_1", NOW, body);
    let header = format!("v1a,abc  {decoy} {}  v2,xyz", signed.signature);
    let headers = [
        ("svix-id", "msg_1"),
        ("svix-timestamp", "1716883200"),
        ("svix-signature", header.as_str()),
    ];
    assert_eq!(verify(&headers, body), Ok(()));
}

#[test]
fn signed_non_json_is_invalid_payload() {
    assert!(matches!(
        verify_signed(b"not json"),
        Err(WebhookError::InvalidPayload {
            reason: PayloadProblem::NotJson(_)
        })
    ));
    assert!(matches!(
        verify_signed(b"{\"type\": \"user.created\", "),
        Err(WebhookError::InvalidPayload {
            reason: PayloadProblem::NotJson(_)
        })
    ));
    assert!(matches!(
        verify_signed(&[0xff, 0xfe, b'{']),
        Err(WebhookError::InvalidPayload {
            reason: PayloadProblem::NotJson(_)
        })
    ));
}

#[test]
fn signed_body_with_invalid_utf8_anywhere_is_not_json() {
    // Found by the `parse` fuzzer: serde_json skips an unknown field's string without
    // checking its UTF-8, but a body that is not UTF-8 is not JSON.
    let body = b"{\"type\":\"user.created\",\"unknown\":\"\x9e\",\"data\":{\"id\":\"user_1\"}}";
    match verify_signed(body) {
        Err(WebhookError::InvalidPayload {
            reason: PayloadProblem::NotJson(detail),
        }) => {
            assert!(detail.contains("UTF-8"), "{detail}");
        }
        other => panic!("expected NotJson, got {other:?}"),
    }
}

#[test]
fn signed_non_object_is_invalid_payload() {
    for body in [
        &b"[]"[..],
        b"\"user.created\"",
        b"42",
        b"null",
        br#"["user.created", {"id": "x"}]"#,
    ] {
        assert_eq!(
            verify_signed(body),
            Err(WebhookError::InvalidPayload {
                reason: PayloadProblem::NotObject
            }),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn signed_body_without_string_type_is_invalid() {
    for body in [
        r#"{"data":{"id":"x"}}"#,
        r#"{"type":7,"data":{"id":"x"}}"#,
        r#"{"type":null,"data":{}}"#,
    ] {
        assert_eq!(
            verify_signed(body.as_bytes()),
            Err(WebhookError::InvalidPayload {
                reason: PayloadProblem::MissingType
            }),
            "{body}"
        );
    }
    assert_eq!(
        WebhookError::InvalidPayload {
            reason: PayloadProblem::MissingType
        }
        .to_string(),
        "Invalid webhook payload: the event has no string `type`"
    );
}

#[test]
fn signed_body_without_object_data_is_invalid() {
    for body in [
        r#"{"type":"user.created"}"#,
        r#"{"type":"user.created","data":null}"#,
        r#"{"type":"x","data":[1]}"#,
    ] {
        assert_eq!(
            verify_signed(body.as_bytes()),
            Err(WebhookError::InvalidPayload {
                reason: PayloadProblem::MissingData
            }),
            "{body}"
        );
    }
}

#[test]
fn data_of_the_wrong_shape_is_a_verified_mismatched_event() {
    let body = br#"{"type":"user.created","timestamp":1716883200,"data":{"id":"user_1","created_at":"2024-05-28T00:00:00Z"}}"#;
    let signed = Signed::sign(&verifier(), "msg_1", NOW, body);
    let webhook = verifier()
        .verify_at(&signed.headers(), body.to_vec(), at(NOW))
        .unwrap();
    match webhook.event() {
        ClerkEvent::Mismatched {
            event_type,
            data,
            error,
        } => {
            assert_eq!(event_type, "user.created");
            assert_eq!(data["created_at"], "2024-05-28T00:00:00Z");
            assert!(
                error.starts_with("invalid type: string \"2024-05-28T00:00:00Z\", expected i64"),
                "{error}"
            );
        }
        other => panic!("expected Mismatched, got {other:?}"),
    }
    assert_eq!(webhook.event_type(), "user.created");
    assert_eq!(webhook.data_id(), Some("user_1"));
    assert_eq!(webhook.message_id(), "msg_1");
    assert_eq!(webhook.timestamp(), Some(1_716_883_200));
    assert_eq!(webhook.raw_body().as_ref(), body);
    assert!(webhook.data_json().starts_with(r#"{"id":"user_1""#));
    assert!(webhook.data_mismatch().is_some());
    // A non-string id is still a mismatch, just without a data_id.
    let body = br#"{"type":"user.created","data":{"id":42}}"#;
    let signed = Signed::sign(&verifier(), "msg_2", NOW, body);
    let webhook = verifier()
        .verify_at(&signed.headers(), body.to_vec(), at(NOW))
        .unwrap();
    assert!(webhook.data_mismatch().is_some());
    assert_eq!(webhook.data_id(), None);
}

#[test]
fn data_that_fits_is_no_mismatch() {
    let signed = Signed::sign(&verifier(), "msg_1", NOW, USER_CREATED.as_bytes());
    let webhook = verifier()
        .verify_at(&signed.headers(), USER_CREATED.as_bytes().to_vec(), at(NOW))
        .unwrap();
    assert!(matches!(webhook.event(), ClerkEvent::UserCreated(_)));
    assert_eq!(webhook.data_mismatch(), None);
    let unknown = ClerkEvent::from_data("invoice.paid", r#"{"id":1}"#).unwrap();
    assert!(matches!(unknown, ClerkEvent::Unknown { .. }));
    assert_eq!(unknown.mismatch(), None);
    assert!(ClerkEvent::from_data("user.created", "not json").is_err());
}

#[test]
fn only_payload_errors_are_authentic() {
    let payload = WebhookError::InvalidPayload {
        reason: PayloadProblem::MissingType,
    };
    assert!(payload.is_authentic());
    for forged in [
        WebhookError::NoMatchingSignature,
        WebhookError::InvalidTimestamp,
        WebhookError::MissingHeaders {
            missing: vec!["svix-id"],
        },
    ] {
        assert!(!forged.is_authentic(), "{forged}");
    }
}

#[test]
fn no_constructor_yields_an_empty_key() {
    let empty_key = WebhookError::InvalidSecret {
        reason: SecretProblem::EmptyKey,
    };
    assert_eq!(SigningSecret::from_key(&[]).unwrap_err(), empty_key);
    assert!(SigningSecret::from_key(&[0]).is_ok());
    // Every text that might decode to nothing is refused by every constructor that takes
    // text; none of them ever produces a verifier.
    for text in [
        "", " ", "whsec_", "whsec_=", "whsec_==", "=", "==", "====", "whsec_ ", ",",
    ] {
        assert!(SigningSecret::parse(text).is_err(), "parse {text:?}");
        assert!(WebhookVerifier::new(text).is_err(), "new {text:?}");
        assert!(
            WebhookVerifier::from_secrets([text]).is_err(),
            "from_secrets {text:?}"
        );
        assert!(
            WebhookVerifier::from_secret_list(text).is_err(),
            "from_secret_list {text:?}"
        );
        assert!(
            WebhookVerifier::from_secrets([SECRET, text]).is_err(),
            "from_secrets with a good one {text:?}"
        );
    }
    assert_eq!(
        WebhookVerifier::from_secrets(Vec::<String>::new()).unwrap_err(),
        WebhookError::MissingSecret
    );
    assert_eq!(
        WebhookVerifier::from_signing_secrets(Vec::new()).unwrap_err(),
        WebhookError::MissingSecret
    );
    assert_eq!(
        empty_key.to_string(),
        "Invalid webhook signing secret: the key is empty, so anyone could sign deliveries. Copy the Signing Secret (whsec_...) from the Clerk Dashboard."
    );
}

#[test]
fn signature_is_checked_before_the_body_is_parsed() {
    // Garbage body with a bad signature: the signature error wins, no JSON error leaks.
    let headers = [
        ("svix-id", "msg_1"),
        ("svix-timestamp", "1716883200"),
        ("svix-signature", "v1,AAAA"),
    ];
    assert_eq!(
        verify(&headers, b"\xff not json"),
        Err(WebhookError::NoMatchingSignature)
    );
}
