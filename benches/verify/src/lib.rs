//! The verification benchmark lives in `benches/verify.rs`: `cargo bench -p bench-verify
//! --features svix` puts this project's verifier next to the bare HMAC floor,
//! `serde_json::Value` parsing and the `svix` crate. The `svix` crate (about 120 crates)
//! is only ever built for that comparison, never for the workspace's tests.
