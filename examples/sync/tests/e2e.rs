//! The sync example's real binary over loopback TCP, on a fresh SQLite file: the same
//! end-to-end checks as every example (see `clerk_webhook_testkit::e2e`), then
//! `example-sync replay` over what they left in quarantine.

#![allow(clippy::unwrap_used)] // Test helpers fail by panicking.

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
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("Usage: example-sync [replay"));

    backfill_from_a_fake_backend_api(binary, &dir, &url);
    let _ = std::fs::remove_dir_all(&dir);
}

const KEY: &str = "sk_test_e2e_backfill_key_0123456789";

/// A Backend API with two users, one organization and no memberships, on loopback.
fn fake_backend_api() -> String {
    use axum::routing::get;
    use axum::{Json, Router};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let user = |n: u32| {
        serde_json::json!({"object": "user", "id": format!("user_bf{n}"), "first_name": "Backfilled",
            "email_addresses": [], "created_at": 1_000, "updated_at": 2_000})
    };
    let users = Json(serde_json::json!([user(1), user(2)]));
    let organizations = Json(
        serde_json::json!({"data": [{"object": "organization", "id": "org_bf1",
        "name": "Org", "slug": "org", "created_at": 1_000, "updated_at": 2_000}], "total_count": 1}),
    );
    let none = Json(serde_json::json!({"data": [], "total_count": 0}));
    let authorized = |headers: axum::http::HeaderMap| {
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"))
    };
    let guard = move |body: Json<serde_json::Value>| {
        move |headers: axum::http::HeaderMap| {
            let body = body.clone();
            async move {
                if authorized(headers) {
                    Ok(body)
                } else {
                    Err(axum::http::StatusCode::UNAUTHORIZED)
                }
            }
        }
    };
    let app = Router::new()
        .route("/v1/users", get(guard(users)))
        .route("/v1/organizations", get(guard(organizations)))
        .route("/v1/organization_memberships", get(guard(none)));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{addr}")
}

fn backfill_from_a_fake_backend_api(binary: &str, dir: &std::path::Path, database_url: &str) {
    let api = fake_backend_api();
    let run = |key: &str| {
        Command::new(binary)
            .arg("backfill")
            .env("DATABASE_URL", database_url)
            .env("CLERK_SECRET_KEY", key)
            .env("CLERK_API_URL", &api)
            .env_remove("CLERK_WEBHOOK_SIGNING_SECRET")
            .current_dir(dir)
            .output()
            .unwrap()
    };
    let output = run(KEY);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("users"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("Backfill complete."),
        "{stdout}"
    );
    let users = stdout
        .lines()
        .find(|line| line.starts_with("users"))
        .unwrap();
    let counts: Vec<&str> = users.split_whitespace().skip(1).collect();
    assert_eq!(counts[..2], ["2", "2"], "listed 2, inserted 2: {users}");
    assert_eq!(
        backfilled_app_users(database_url),
        [
            ("user_bf1".to_owned(), Some("Backfilled".to_owned())),
            ("user_bf2".to_owned(), Some("Backfilled".to_owned())),
        ],
        "the hook's multi-row write reached app_users"
    );

    let refused = run("sk_test_not_this_instance_key");
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Backfill stopped: Clerk's Backend API answered 401"),
        "{stderr}"
    );
    assert!(
        last.contains("sk_test_no…") && !last.contains("sk_test_not_this_instance_key"),
        "{last}"
    );

    let missing = Command::new(binary)
        .arg("backfill")
        .env("DATABASE_URL", database_url)
        .env_remove("CLERK_SECRET_KEY")
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("CLERK_SECRET_KEY is not set"));
}

/// The `app_users` rows the backfill wrote: id and display name.
fn backfilled_app_users(database_url: &str) -> Vec<(String, Option<String>)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(database_url).await.unwrap();
        let rows = sqlx::query_as(
            "SELECT id, display_name FROM app_users WHERE id LIKE 'user_bf%' ORDER BY id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows
    })
}
