//! Property tests: round-trips, single-byte tampering, and no panics on anything.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_core::{WebhookError, WebhookVerifier};
use common::{NOW, at, verifier};
use proptest::prelude::*;

fn headers<'a>(id: &'a str, timestamp: &'a str, signature: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("svix-id", id),
        ("svix-timestamp", timestamp),
        ("svix-signature", signature),
    ]
}

fn check(
    verifier: &WebhookVerifier,
    id: &str,
    ts: &str,
    sig: &str,
    body: &[u8],
) -> Result<(), WebhookError> {
    verifier
        .verify_signature_at(&headers(id, ts, sig), body, at(NOW))
        .map(|_| ())
}

prop_compose! {
    fn message_id()(id in "msg_[A-Za-z0-9]{1,32}") -> String { id }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify_round_trips(
        body in proptest::collection::vec(any::<u8>(), 0..4096),
        id in message_id(),
        offset in -300i64..=300,
    ) {
        let verifier = verifier();
        let ts = NOW + offset;
        let sig = verifier.sign(&id, ts, &body);
        prop_assert_eq!(check(&verifier, &id, &ts.to_string(), &sig, &body), Ok(()));
    }

    #[test]
    fn any_single_byte_change_is_rejected(
        body in proptest::collection::vec(any::<u8>(), 1..1024),
        id in message_id(),
        target in 0usize..4,
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let verifier = verifier();
        let ts = NOW.to_string();
        let sig = verifier.sign(&id, NOW, &body);
        let (mut body, mut id_bytes, mut ts_bytes, mut sig_bytes) =
            (body, id.clone().into_bytes(), ts.clone().into_bytes(), sig.clone().into_bytes());
        let field: &mut Vec<u8> = match target {
            0 => &mut body,
            1 => &mut id_bytes,
            2 => &mut ts_bytes,
            _ => &mut sig_bytes,
        };
        let i = position.index(field.len());
        field[i] ^= flip;
        // A changed header byte may make it non-UTF-8; such a header is refused too.
        let (Ok(id2), Ok(ts2), Ok(sig2)) =
            (String::from_utf8(id_bytes), String::from_utf8(ts_bytes), String::from_utf8(sig_bytes))
        else {
            return Ok(());
        };
        let result = check(&verifier, &id2, &ts2, &sig2, &body);
        prop_assert!(result.is_err(), "accepted a change to field {target} at {i}");
    }

    #[test]
    fn arbitrary_headers_and_bodies_never_panic(
        id in ".{0,64}",
        ts in ".{0,32}",
        sig in ".{0,256}",
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let verifier = verifier();
        let _ = verifier.verify_at(&headers(&id, &ts, &sig), body, at(NOW));
    }

    #[test]
    fn arbitrary_signed_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let verifier = verifier();
        let sig = verifier.sign("msg_1", NOW, &body);
        let ts = NOW.to_string();
        let _ = verifier.verify_at(&headers("msg_1", &ts, &sig), body, at(NOW));
    }

    #[test]
    fn arbitrary_secrets_never_panic(secret in ".{0,64}") {
        let _ = WebhookVerifier::new(&secret);
        let _ = WebhookVerifier::from_secret_list(&secret);
    }
}
