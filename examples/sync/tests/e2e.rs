//! The sync example's real binary over loopback TCP, on a fresh SQLite file: the same
//! end-to-end checks as every example (see `clerk_webhook_testkit::e2e`).

#[test]
fn example_sync_end_to_end() {
    let dir = std::env::temp_dir().join(format!("example-sync-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/e2e.db", dir.display());
    clerk_webhook_testkit::e2e::run_example_with_env(
        env!("CARGO_BIN_EXE_example-sync"),
        &[("DATABASE_URL", url.as_str())],
    );
}
