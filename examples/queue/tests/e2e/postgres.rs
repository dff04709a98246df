//! Three `example-queue` processes sharing one PostgreSQL database: 1,000 deliveries,
//! 30 % of them duplicates, spread over the three; one process is killed with SIGKILL
//! mid-run. Every svix-id reaches `NOTIFY_URL`, and a key is notified twice only where
//! its job was in the killed process's hands (the engine hands it out again once the
//! dead worker's lease runs out).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use sqlx::Connection as _;

use crate::common::{NOTHING_LEFT, NotifyServer, QueueProcess, delivery, post, wait_for_jobs};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const UNIQUE: usize = 700;
const DUPLICATES: usize = 300;

/// A database of its own (the engine's tables live in a fixed `apalis` schema), dropped
/// at the end even when the test fails.
struct FreshDatabase {
    name: String,
}

impl FreshDatabase {
    async fn create() -> Self {
        let name = format!(
            "queue_e2e_{}_{}",
            std::process::id(),
            clerk_webhook_testkit::deliveries::now()
        );
        let mut admin = sqlx::PgConnection::connect(ADMIN_URL)
            .await
            .expect("PostgreSQL at 127.0.0.1:5432");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        Self { name }
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime: a thread of its own, with its own runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                if let Ok(mut admin) = sqlx::PgConnection::connect(ADMIN_URL).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// The deliveries in a fixed shuffled order: each of the `UNIQUE` ids once, and
/// `DUPLICATES` second copies.
fn plan() -> Vec<String> {
    let ids: Vec<String> = (0..UNIQUE).map(|n| format!("msg_pg_{n:04}")).collect();
    let mut plan: Vec<String> = ids.clone();
    plan.extend((0..DUPLICATES).map(|n| ids[(n * 7) % UNIQUE].clone()));
    // A small LCG: deterministic, no dependency.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for i in (1..plan.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from(state >> 33).unwrap() % (i + 1);
        plan.swap(i, j);
    }
    plan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_one_killed_every_svix_id_notified() {
    let database = FreshDatabase::create().await;
    let database_url = database.url();
    let notify = NotifyServer::start(Duration::from_millis(100), |_, _| StatusCode::OK);
    let env = [
        ("DATABASE_URL", database_url.as_str()),
        ("NOTIFY_URL", notify.url.as_str()),
        ("WORKERS", "8"),
        ("JOB_LEASE_SECS", "6"),
    ];
    let mut processes: Vec<QueueProcess> = (0..3).map(|_| QueueProcess::start(&env)).collect();
    let urls: Arc<Vec<String>> = Arc::new(processes.iter().map(QueueProcess::url).collect());

    // Svix's part: every delivery until some process answers 200, starting with its own
    // process and moving on to the next when one is gone.
    let plan = plan();
    assert_eq!(plan.len(), 1_000);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let permits = Arc::new(tokio::sync::Semaphore::new(16));
    let mut sends = tokio::task::JoinSet::new();
    for (n, id) in plan.iter().cloned().enumerate() {
        let (client, urls, permits) = (client.clone(), Arc::clone(&urls), Arc::clone(&permits));
        sends.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            for attempt in 0..30 {
                let url = &urls[(n + attempt) % urls.len()];
                if post(&client, url, &delivery(&id)).await == Ok(200) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("{id} was never accepted");
        });
    }

    // Mid-run: SIGKILL the second process, and note the jobs it held at that moment.
    let started = std::time::Instant::now();
    while notify.calls().len() < 100 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never got going"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed = &mut processes[1];
    let killed_pid = killed.pid();
    killed.signal("KILL");
    assert_eq!(
        killed.wait(Duration::from_secs(10)),
        None,
        "killed by a signal"
    );
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    let in_hand: HashSet<String> = sqlx::query_scalar(
        "SELECT convert_from(job, 'UTF8')::jsonb ->> 'svix_id' FROM apalis.jobs \
         WHERE lock_by LIKE $1 AND status IN ('Queued', 'Running')",
    )
    .bind(format!("clerk-notify-{killed_pid}-%"))
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert!(
        !in_hand.is_empty(),
        "the killed process held no job: not mid-run"
    );

    while let Some(sent) = sends.join_next().await {
        sent.unwrap();
    }
    tokio::task::block_in_place(|| {
        notify.wait_until(Duration::from_secs(60), "every svix-id notified", |calls| {
            calls
                .iter()
                .map(|call| call.key.as_str())
                .collect::<HashSet<_>>()
                .len()
                >= UNIQUE
        });
        wait_for_jobs(&database_url, Duration::from_secs(60), NOTHING_LEFT);
    });

    let counts = notify.counts();
    let unique: HashSet<&String> = plan.iter().collect();
    assert_eq!(counts.len(), UNIQUE);
    assert!(unique.iter().all(|id| counts.contains_key(*id)));
    let twice: Vec<&String> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(key, _)| key)
        .collect();
    for key in &twice {
        assert!(
            in_hand.contains(*key),
            "{key} notified {} times but was not in the killed process's hands {in_hand:?}",
            counts[*key]
        );
    }
    let jobs: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM apalis.jobs WHERE job_type = 'clerk-notify'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(jobs, i64::try_from(UNIQUE).unwrap(), "one job per svix-id");
    eprintln!(
        "postgres e2e: {} jobs in the killed process's hands, {} keys notified twice",
        in_hand.len(),
        twice.len()
    );
    pool.close().await;

    for (n, process) in processes.iter_mut().enumerate() {
        if n != 1 {
            process.signal("TERM");
            assert_eq!(
                process.wait(Duration::from_secs(30)),
                Some(0),
                "{}",
                process.output()
            );
        }
    }
    drop(database);
}
