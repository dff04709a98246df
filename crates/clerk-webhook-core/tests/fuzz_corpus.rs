//! Replays the committed fuzz corpus (`fuzz/corpus/`) through the fuzz harnesses, so every
//! input the fuzzers were seeded with, or found and kept, stays a regression test.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

#[allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::cast_possible_wrap
)] // A fuzz harness fails by panicking.
#[path = "../../../fuzz/harness.rs"]
mod harness;

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    inputs.sort();
    inputs
}

#[test]
fn verify_corpus_replays() {
    let inputs = corpus("verify");
    assert!(inputs.len() >= 20, "the seed corpus is there");
    for (path, bytes) in inputs {
        let result = std::panic::catch_unwind(|| harness::verify(&bytes));
        assert!(result.is_ok(), "{} panicked", path.display());
    }
}

#[test]
fn parse_corpus_replays() {
    let inputs = corpus("parse");
    assert!(inputs.len() >= 46, "the seed corpus is there");
    for (path, bytes) in inputs {
        let result = std::panic::catch_unwind(|| harness::parse(&bytes));
        assert!(result.is_ok(), "{} panicked", path.display());
    }
}
