//! Three `example-sync` processes on one PostgreSQL, one of them killed (SIGKILL) while
//! deliveries arrive, every failed delivery retried on another as Svix would: the mirror
//! and the app's own `app_users` table end as in-order delivery leaves them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clerk_webhook_core::WebhookVerifier;
use clerk_webhook_core::testing::{SignedDelivery, unix_now};
use clerk_webhook_testkit::TEST_SECRET;
use common::{USERS, expected_app_users, free_port, history, post, start, wait_for};
use sqlx::Executor as _;

#[test]
fn three_receivers_one_killed_converge_with_app_users() {
    let binary = env!("CARGO_BIN_EXE_example-sync");
    let base = std::env::var("CLERK_SYNC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("example_sync_scale_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    sqlx::any::install_default_drivers();
    let admin = runtime.block_on(async {
        let admin = sqlx::AnyPool::connect(&base).await.unwrap();
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            )))
            .await
            .unwrap();
        admin
    });
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");

    // Started together: a fresh database, three migrators.
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut children: Vec<Child> = ports
        .iter()
        .map(|port| start(binary, &url, *port))
        .collect();
    for port in &ports {
        wait_for(*port);
    }

    let events = history();
    let verifier = WebhookVerifier::new(TEST_SECRET).unwrap();
    // Every event once, every third twice; a fixed shuffle.
    let mut order: Vec<usize> = (0..events.len())
        .chain((0..events.len()).step_by(3))
        .collect();
    let mut seed = 0x2545_f491_u64;
    for i in (1..order.len()).rev() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        order.swap(i, (seed >> 33) as usize % (i + 1));
    }
    let queue: Arc<Mutex<VecDeque<(usize, usize)>>> = Arc::new(Mutex::new(
        order.iter().enumerate().map(|(k, &i)| (i, k)).collect(),
    ));
    let total = order.len();
    let done = Arc::new(AtomicUsize::new(0));
    let retried = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let (queue, done, retried) =
                (Arc::clone(&queue), Arc::clone(&done), Arc::clone(&retried));
            let (events, verifier, ports) = (events.clone(), verifier.clone(), ports.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                while done.load(Ordering::SeqCst) < total {
                    assert!(Instant::now() < deadline, "deliveries did not all succeed");
                    let Some((event, attempt)) = queue.lock().unwrap().pop_front() else {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    // Svix re-signs every attempt with the same svix-id.
                    let delivery = SignedDelivery::sign(
                        &verifier,
                        format!("msg_{event}"),
                        unix_now(),
                        events[event].to_string(),
                    );
                    match post(ports[attempt % ports.len()], &delivery) {
                        Some(status) if (200..300).contains(&status) => {
                            done.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => {
                            retried.fetch_add(1, Ordering::SeqCst);
                            queue.lock().unwrap().push_back((event, attempt + 1));
                        }
                    }
                }
            })
        })
        .collect();
    // Kill one receiver a third of the way in.
    while done.load(Ordering::SeqCst) < total / 3 {
        std::thread::sleep(Duration::from_millis(1));
    }
    children[0].kill().unwrap();
    children[0].wait().unwrap();
    for sender in senders {
        sender.join().unwrap();
    }
    assert!(
        retried.load(Ordering::SeqCst) > 0,
        "the killed receiver's deliveries were retried"
    );

    let (app_users, users, deliveries) = runtime.block_on(async {
        let rows: Vec<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, email, display_name, CAST(deleted AS INTEGER) FROM {schema}.app_users ORDER BY id"
        )))
        .fetch_all(&admin)
        .await
        .unwrap();
        let users: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {schema}.clerk_users")))
            .fetch_one(&admin)
            .await
            .unwrap();
        let deliveries: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {schema}.clerk_webhook_deliveries"
        )))
        .fetch_one(&admin)
        .await
        .unwrap();
        (rows, users, deliveries)
    });
    for child in &mut children[1..] {
        let _ = child.kill();
        let _ = child.wait();
    }
    runtime.block_on(async {
        admin
            .execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .await
            .unwrap();
    });
    let app_users: BTreeMap<_, _> = app_users
        .into_iter()
        .map(|(id, email, name, deleted)| (id, (email, name, deleted != 0)))
        .collect();
    assert_eq!(app_users, expected_app_users());
    assert_eq!(users, USERS as i64);
    assert_eq!(deliveries, events.len() as i64, "each svix-id applied once");
}
