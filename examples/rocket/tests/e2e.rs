//! The example's real binary over loopback TCP: see `clerk_webhook_testkit::e2e`.

#[test]
fn example_rocket_end_to_end() {
    clerk_webhook_testkit::e2e::run_example_without_header_timeout(env!(
        "CARGO_BIN_EXE_example-rocket"
    ));
}
