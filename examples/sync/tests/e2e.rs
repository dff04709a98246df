//! The sync example's real binary over loopback TCP, on a fresh SQLite file: the same
//! end-to-end checks as every example (see `clerk_webhook_testkit::e2e`), then
//! `example-sync replay` over what they left in quarantine.

use std::process::Command;

#[test]
fn example_sync_end_to_end() {
    let binary = env!("CARGO_BIN_EXE_example-sync");
    let dir = std::env::temp_dir().join(format!("example-sync-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/e2e.db", dir.display());
    clerk_webhook_testkit::e2e::run_example_with_env(binary, &[("DATABASE_URL", url.as_str())]);

    // The run delivered drifted user.created events (their created_at is a string): each
    // was answered 200 and quarantined. This version's types still refuse them, so a
    // replay keeps them all, says so, and exits 0.
    let output = Command::new(binary)
        .arg("replay")
        .env("DATABASE_URL", &url)
        .env_remove("CLERK_WEBHOOK_SIGNING_SECRET")
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let summary = stdout.lines().last().unwrap_or_default();
    let quarantined: usize = summary
        .strip_prefix("Replayed ")
        .and_then(|rest| rest.split_once(' '))
        .and_then(|(count, _)| count.parse().ok())
        .unwrap_or_else(|| panic!("no summary line in {stdout:?}"));
    assert!(quarantined >= 1, "{stdout}");
    assert_eq!(
        summary,
        format!(
            "Replayed {quarantined} quarantined deliveries: 0 applied, 0 stale, {quarantined} still quarantined"
        )
    );
    assert!(
        stdout.contains("user.created: still quarantined: invalid type: string"),
        "{stdout}"
    );

    let unknown = Command::new(binary).arg("replya").output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("Usage: example-sync [replay]"));
    let _ = std::fs::remove_dir_all(&dir);
}
