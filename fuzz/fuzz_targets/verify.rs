//! Arbitrary header values and body against a fixed secret: see `harness::verify`.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::verify(data));
