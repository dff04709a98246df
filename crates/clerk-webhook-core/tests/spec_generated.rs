//! Payloads generated from the `data` schema of every event type in Clerk's webhook spec
//! (`tests/fixtures/clerk-spec/`) parse into their typed variant and lose nothing.
//!
//! At least 64 payloads per event type (`PROPTEST_CASES` for more). A failure names the event
//! type, the smallest failing `data` proptest found, and the seed: rerun with
//! `SPEC_SEED=<seed> cargo test -p clerk-webhook-core --test spec_generated`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stdout)] // Tests fail by panicking.

mod spec;

use std::hash::{BuildHasher as _, Hasher as _};

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use spec::Spec;

const MIN_CASES: u32 = 64;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .map_or(MIN_CASES, |cases: u32| cases.max(MIN_CASES))
}

/// `SPEC_SEED`, or a fresh one.
fn seed() -> u64 {
    if let Ok(seed) = std::env::var("SPEC_SEED") {
        return seed
            .parse()
            .unwrap_or_else(|_| panic!("SPEC_SEED is not a u64: {seed}"));
    }
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// One deterministic random stream per (seed, event type). XorShift, not ChaCha: in a debug
/// build ChaCha takes most of the test's time.
fn runner(seed: u64, event_type: &str) -> TestRunner {
    // FNV-1a of the event type: distinct streams for `session.created` and `session.ended`.
    let stream = event_type
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    let mut bytes = [0_u8; 16];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..].copy_from_slice(&stream.to_le_bytes());
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        // Shrink far enough to print the smallest failing payload, not a large one.
        max_shrink_iters: 8192,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::XorShift, &bytes))
}

#[test]
fn generated_payloads_of_every_spec_event_type_parse_typed() {
    let spec = Spec::repository_copy();
    let seed = seed();
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let event_types = spec.event_types();
    for event_type in &event_types {
        let strategy = spec::generate::data_strategy(&spec, event_type);
        let mut runner = runner(seed, event_type);
        let checked = std::cell::Cell::new(0_u32);
        let result = runner.run(&strategy, |data| {
            checked.set(checked.get() + 1);
            spec::check::parses_typed(event_type, &data).map_err(TestCaseError::fail)
        });
        match result {
            Ok(()) => assert!(
                checked.get() >= MIN_CASES,
                "{event_type}: only {} payloads checked",
                checked.get()
            ),
            Err(TestError::Fail(reason, minimal)) => failures.push(format!(
                "{event_type}: {reason}\n  smallest failing data:\n{}",
                serde_json::to_string_pretty(&minimal).unwrap()
            )),
            Err(TestError::Abort(reason)) => failures.push(format!("{event_type}: {reason}")),
        }
    }
    println!(
        "{} event types x {} generated payloads in {:?} (seed {seed})",
        event_types.len(),
        cases(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} event types fail; seed {seed} (rerun: SPEC_SEED={seed} cargo test -p \
         clerk-webhook-core --test spec_generated)\n\n{}",
        failures.len(),
        event_types.len(),
        failures.join("\n\n")
    );
}

/// The generator itself covers what the spec allows: without this, a generator that only
/// ever produced `{}` would pass the test above.
#[test]
fn the_generator_produces_what_the_spec_allows() {
    use proptest::strategy::{Strategy as _, ValueTree as _};
    let spec = Spec::repository_copy();
    let mut runner = runner(7, "coverage");
    let strategy = spec::generate::data_strategy(&spec, "user.created");
    let (mut saw_missing_optional, mut saw_null, mut saw_edge, mut saw_non_ascii, mut saw_empty) =
        (false, false, false, false, false);
    let mut saw_email_without_id = false;
    for _ in 0..256 {
        let data = strategy.new_tree(&mut runner).unwrap().current();
        let object = data.as_object().unwrap();
        assert!(
            object.get("id").is_some_and(serde_json::Value::is_string),
            "{data}"
        );
        saw_missing_optional |= !object.contains_key("scim");
        saw_null |= object
            .get("username")
            .is_some_and(serde_json::Value::is_null);
        let text = data.to_string();
        saw_edge |= text.contains(&i64::MAX.to_string()) || text.contains(&i64::MIN.to_string());
        saw_non_ascii |= !text.is_ascii();
        saw_empty |= text.contains("\"\"");
        saw_email_without_id |= object["email_addresses"]
            .as_array()
            .is_some_and(|emails| emails.iter().any(|e| e.get("id").is_none()));
    }
    assert!(saw_missing_optional, "an optional field was always present");
    assert!(saw_null, "a nullable field was never null");
    assert!(saw_edge, "no integer at the int64 edges");
    assert!(saw_non_ascii, "no non-ASCII string");
    assert!(saw_empty, "no empty string");
    assert!(
        saw_email_without_id,
        "no email address without an id (the spec allows it)"
    );
}
