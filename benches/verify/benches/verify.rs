//! Verification speed, side by side with the floor (a bare HMAC-SHA256 over the same bytes),
//! `serde_json::Value` parsing, and (with `--features svix`) the `svix` crate.
//!
//! `cargo bench -p bench-verify --features svix` (what `scripts/bench-core.sh` runs)
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // A benchmark harness.

use std::hint::black_box;
use std::time::SystemTime;

use base64::Engine as _;
use clerk_webhook_core::WebhookVerifier;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_2g7np7Hrk0SN6kj5EDMLDaKNL0S";

/// Realistic bodies of about 200 B, 2 KB and 64 KB, all valid Clerk events.
fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let small = br#"{"type":"session.ended","object":"event","timestamp":1716883200,"data":{"object":"session","id":"sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S","user_id":"user_2g7np7Hrk0SN6kj5EDMLDaKNL0S","status":"ended"}}"#.to_vec();
    let user: serde_json::Value =
        serde_json::from_str(clerk_webhook_core::samples::sample("user.created").unwrap()).unwrap();
    let medium = user.to_string().into_bytes();
    let mut large_value = user.clone();
    large_value["data"]["public_metadata"] = serde_json::json!({
        "notes": (0..600).map(|i| format!("entry {i}: preferences and flags")).collect::<Vec<_>>(),
    });
    let mut large = large_value.to_string().into_bytes();
    large.truncate(64 * 1024);
    // Keep it valid JSON: rebuild at exactly the size from a shorter notes list.
    while serde_json::from_slice::<serde_json::Value>(&large).is_err() || large.len() > 64 * 1024 {
        let notes = large_value["data"]["public_metadata"]["notes"]
            .as_array_mut()
            .unwrap();
        notes.pop();
        large = large_value.to_string().into_bytes();
    }
    vec![("200B", small), ("2KB", medium), ("64KB", large)]
}

/// The headers as every framework integration passes them (and as svix takes them).
fn header_map(timestamp: &str, signature: &str) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in [
        ("svix-id", ID),
        ("svix-timestamp", timestamp),
        ("svix-signature", signature),
    ] {
        map.insert(name, value.parse().unwrap());
    }
    map
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn signature_only(c: &mut Criterion) {
    let verifier = WebhookVerifier::new(SECRET).unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let keyed = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let mut group = c.benchmark_group("signature");
    for (size, body) in bodies() {
        let timestamp = now();
        let ts = timestamp.to_string();
        let signature = verifier.sign(ID, timestamp, &body);
        let headers = header_map(&ts, &signature);
        let mut floor = keyed.clone();
        floor.update(format!("{ID}.{ts}.").as_bytes());
        floor.update(&body);
        let expected =
            base64::engine::general_purpose::STANDARD.encode(floor.finalize().into_bytes());
        assert_eq!(
            signature,
            format!("v1,{expected}"),
            "the floor computes the same MAC"
        );
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("bare_hmac", size), &body, |b, body| {
            b.iter(|| {
                let mut mac = keyed.clone();
                mac.update(ID.as_bytes());
                mac.update(b".");
                mac.update(ts.as_bytes());
                mac.update(b".");
                mac.update(body);
                black_box(mac.finalize().into_bytes())
            });
        });
        group.bench_with_input(
            BenchmarkId::new("clerk_webhook_core", size),
            &body,
            |b, body| {
                b.iter(|| {
                    verifier
                        .verify_signature(black_box(&headers), black_box(body))
                        .unwrap()
                });
            },
        );
        #[cfg(feature = "svix")]
        {
            let svix = svix::webhooks::Webhook::new(SECRET).unwrap();
            group.bench_with_input(BenchmarkId::new("svix", size), &body, |b, body| {
                b.iter(|| svix.verify(black_box(body), black_box(&headers)).unwrap());
            });
        }
    }
    group.finish();
}

fn verify_and_parse(c: &mut Criterion) {
    let verifier = WebhookVerifier::new(SECRET).unwrap();
    let mut group = c.benchmark_group("parse");
    for (size, body) in bodies() {
        let timestamp = now();
        let ts = timestamp.to_string();
        let signature = verifier.sign(ID, timestamp, &body);
        let headers = header_map(&ts, &signature);
        let shared = bytes::Bytes::from(body.clone());
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("serde_json_value", size),
            &body,
            |b, body| {
                b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(body).unwrap()));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("verify_and_typed_parse", size),
            &shared,
            |b, body| {
                b.iter(|| black_box(verifier.verify(&headers, body.clone()).unwrap()));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, signature_only, verify_and_parse);
criterion_main!(benches);
