//! The example's real binary over loopback TCP: see `clerk_webhook_testkit::e2e`.

#[test]
fn example_warp_end_to_end() {
    clerk_webhook_testkit::e2e::run_example(env!("CARGO_BIN_EXE_example-warp"));
}
