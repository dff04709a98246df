//! What two writers racing must not break: the outcome of inserting a new id, and start-up
//! of several processes on a fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_sync::{Backend, SyncOutcome, SyncStore};
use common::{Entity, upsert_body, webhook};
use sqlx::Executor as _;
use sqlx::any::AnyPoolOptions;

/// 60 pairs of deliveries of a new user, each pair sent at the same moment: exactly one of
/// each pair reports `inserted` (an app sends its welcome email once).
async fn exactly_one_of_two_racing_inserts_reports_it(store: SyncStore) {
    let mut inserted_twice = Vec::new();
    for n in 0..60 {
        let first = upsert_body(Entity::User, n, 10, true);
        let mut second = upsert_body(Entity::User, n, 10, true);
        second["timestamp"] = (1_716_883_300 + n).into();
        let (a, b) = (
            webhook(&format!("a{n}"), &first),
            webhook(&format!("b{n}"), &second),
        );
        let (store_a, store_b) = (store.clone(), store.clone());
        let (a, b) = tokio::join!(
            tokio::spawn(async move { store_a.apply((&a).into()).await.unwrap() }),
            tokio::spawn(async move { store_b.apply((&b).into()).await.unwrap() }),
        );
        let outcomes = [a.unwrap(), b.unwrap()];
        let count = outcomes
            .iter()
            .filter(|outcome| **outcome == SyncOutcome::Inserted)
            .count();
        assert!(
            outcomes.iter().all(|o| matches!(
                o,
                SyncOutcome::Inserted | SyncOutcome::Updated | SyncOutcome::Stale
            )),
            "{outcomes:?}"
        );
        if count != 1 {
            inserted_twice.push((n, outcomes));
        }
    }
    assert!(
        inserted_twice.is_empty(),
        "pairs not reporting exactly one insert: {inserted_twice:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_two_racing_inserts_reports_it_on_postgres() {
    exactly_one_of_two_racing_inserts_reports_it(common::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_two_racing_inserts_reports_it_on_sqlite() {
    exactly_one_of_two_racing_inserts_reports_it(common::sqlite().await).await;
}

/// Three receivers starting at the same moment on a fresh SQLite file all start, five
/// times over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_start_up_on_a_fresh_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..5 {
        let url = format!("sqlite://{}/fresh-{round}.db", dir.path().display());
        let starts: Vec<_> = (0..3)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { SyncStore::connect(&url).await })
            })
            .collect();
        for start in starts {
            let store = start
                .await
                .unwrap()
                .unwrap_or_else(|error| panic!("round {round}: {error}"));
            assert_eq!(store.snapshot().await.unwrap().deliveries, 0);
        }
    }
}

/// Three receivers starting at the same moment on a fresh PostgreSQL schema all start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_start_up_on_a_fresh_postgres_schema() {
    let url = std::env::var(clerk_webhook_sync::testing::POSTGRES_URL_VAR)
        .unwrap_or_else(|_| clerk_webhook_sync::testing::DEFAULT_POSTGRES_URL.to_owned());
    sqlx::any::install_default_drivers();
    let admin = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    for round in 0..3 {
        let schema = format!("clerk_sync_test_{}_start_{round}", std::process::id());
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            )))
            .await
            .unwrap();
        let starts: Vec<_> = (0..3)
            .map(|_| {
                let (url, schema) = (url.clone(), schema.clone());
                tokio::spawn(async move {
                    let pool = clerk_webhook_sync::testing::pool_in_schema(&url, &schema, 2)
                        .await
                        .unwrap();
                    SyncStore::with_pool(pool, Backend::Postgres).await
                })
            })
            .collect();
        for start in starts {
            start
                .await
                .unwrap()
                .unwrap_or_else(|error| panic!("round {round}: {error}"));
        }
        admin
            .execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .await
            .unwrap();
    }
}
