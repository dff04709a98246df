//! A random history of creates, updates and deletes over several users, organizations and
//! memberships, delivered shuffled, with duplicates, from several concurrent tasks, ends in
//! exactly the state that in-order delivery gives, in the mirror tables and in an
//! application-owned table a `SyncHook` keeps. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_sync::SyncStore;
use common::{Entity, app_users, delete_body, upsert_body, webhook, with_app_users};
use proptest::prelude::*;

/// Concurrent delivery tasks.
const TASKS: usize = 4;

/// One entity's life: how many updates follow the create, and whether it ends deleted.
#[derive(Debug, Clone)]
struct Life {
    updates: usize,
    deleted: bool,
}

/// Every event of the history, in order, each with its own svix-id.
fn events(lives: &[(Entity, usize, Life)]) -> Vec<(String, serde_json::Value)> {
    let mut events = Vec::new();
    for (entity, n, life) in lives {
        for version in 0..=life.updates {
            let body = upsert_body(*entity, *n, 100 + version as i64, version == 0);
            events.push(body);
        }
        if life.deleted {
            events.push(delete_body(*entity, *n, 1_716_890_000 + *n as i64));
        }
    }
    events
        .into_iter()
        .enumerate()
        .map(|(i, body)| (format!("msg_{i}"), body))
        .collect()
}

fn lives() -> impl Strategy<Value = Vec<(Entity, usize, Life)>> {
    let life = (0usize..=3, any::<bool>()).prop_map(|(updates, deleted)| Life { updates, deleted });
    proptest::collection::vec(life, 9).prop_map(|lives| {
        let kinds = [Entity::User, Entity::Organization, Entity::Membership];
        lives
            .into_iter()
            .enumerate()
            .map(|(i, life)| (kinds[i % 3], i / 3, life))
            .collect()
    })
}

/// A delivery order: every event at least once, some twice, shuffled.
fn deliveries(count: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(any::<bool>(), count).prop_flat_map(move |repeat| {
        let mut order: Vec<usize> = (0..count).collect();
        order.extend((0..count).filter(|i| repeat[*i]));
        Just(order).prop_shuffle()
    })
}

fn history() -> impl Strategy<Value = (Vec<(String, serde_json::Value)>, Vec<usize>)> {
    lives().prop_flat_map(|lives| {
        let events = events(&lives);
        let count = events.len();
        (Just(events), deliveries(count))
    })
}

async fn converges(
    in_order: SyncStore,
    shuffled: SyncStore,
    events: Vec<(String, serde_json::Value)>,
    order: Vec<usize>,
) {
    let (in_order, shuffled) = (
        with_app_users(in_order).await,
        with_app_users(shuffled).await,
    );
    let webhooks: Vec<_> = events.iter().map(|(id, body)| webhook(id, body)).collect();
    for webhook in &webhooks {
        in_order.apply(webhook.into()).await.unwrap();
    }
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = shuffled.clone();
        let mine: Vec<_> = order
            .iter()
            .skip(task)
            .step_by(TASKS)
            .map(|&i| webhooks[i].clone())
            .collect();
        tasks.push(tokio::spawn(async move {
            for webhook in &mine {
                store.apply(webhook.into()).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let expected = in_order.snapshot().await.unwrap();
    assert_eq!(expected.deliveries, events.len() as i64);
    assert_eq!(shuffled.snapshot().await.unwrap(), expected);
    let expected_app_users = app_users(&in_order).await;
    assert_eq!(app_users(&shuffled).await, expected_app_users);
    let users = expected.users.len();
    assert_eq!(
        expected_app_users.len(),
        users,
        "one app_users row per mirrored user"
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(TASKS)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn shuffled_duplicated_concurrent_delivery_converges_on_sqlite((events, order) in history()) {
        runtime().block_on(async {
            converges(common::sqlite().await, common::sqlite().await, events, order).await;
        });
    }

    #[test]
    fn shuffled_duplicated_concurrent_delivery_converges_on_postgres((events, order) in history()) {
        runtime().block_on(async {
            converges(common::postgres().await, common::postgres().await, events, order).await;
        });
    }
}
