//! Two versions of one object with the same `updated_at` converge on the same row whatever
//! the order they arrive in: the envelope `timestamp` decides, then the `svix-id`. The same
//! rule holds for a live delivery, a quarantine replay and a backfill. On SQLite and on
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_sync::{SyncOutcome, SyncStore};
use common::{Entity, quarantined_by_an_older_version, upsert_body, webhook};
use serde_json::Value;

/// `user.updated` of user 1 at `updated_at` 50, envelope `timestamp` `timestamp`, named `name`.
fn user_version(timestamp: i64, name: &str) -> Value {
    let mut body = upsert_body(Entity::User, 1, 50, false);
    body["timestamp"] = timestamp.into();
    body["data"]["first_name"] = name.into();
    body
}

/// `organizationMembership.updated` of membership 1 at `updated_at` 50 with `role`.
fn membership_version(timestamp: i64, role: &str) -> Value {
    let mut body = upsert_body(Entity::Membership, 1, 50, false);
    body["timestamp"] = timestamp.into();
    body["data"]["role"] = role.into();
    body
}

async fn apply(store: &SyncStore, svix_id: &str, body: &Value) -> SyncOutcome {
    store.apply((&webhook(svix_id, body)).into()).await.unwrap()
}

/// Two receivers get the same two versions in opposite orders; both end on `winner`.
async fn both_orders(first: &SyncStore, second: &SyncStore, versions: [(&str, Value); 2]) {
    let [(a_id, a), (b_id, b)] = versions;
    apply(first, a_id, &a).await;
    apply(first, b_id, &b).await;
    apply(second, b_id, &b).await;
    apply(second, a_id, &a).await;
}

async fn equal_updated_at_converges_in_both_orders(first: SyncStore) {
    let second = if first.backend() == clerk_webhook_sync::Backend::Sqlite {
        common::sqlite().await
    } else {
        common::postgres().await
    };
    // The later envelope timestamp wins.
    both_orders(
        &first,
        &second,
        [
            ("msg_alice", user_version(1_716_883_600, "Alice")),
            ("msg_bob", user_version(1_716_883_601, "Bob")),
        ],
    )
    .await;
    for store in [&first, &second] {
        let user = store.user("user_1").await.unwrap().unwrap();
        assert_eq!(user["first_name"], "Bob", "{user}");
        assert_eq!(user["version_timestamp"], 1_716_883_601_000_i64);
        assert_eq!(user["version_svix_id"], "msg_bob");
    }
    // The same role change story for a membership.
    both_orders(
        &first,
        &second,
        [
            (
                "msg_m_admin",
                membership_version(1_716_883_601, "org:admin"),
            ),
            (
                "msg_m_member",
                membership_version(1_716_883_600, "org:member"),
            ),
        ],
    )
    .await;
    for store in [&first, &second] {
        let membership = store.membership("orgmem_1").await.unwrap().unwrap();
        assert_eq!(membership["role"], "org:admin", "{membership}");
    }
    // Equal timestamps too: the greater svix-id wins, in both orders.
    both_orders(
        &first,
        &second,
        [
            ("msg_z_carol", user_version(1_716_883_700, "Carol")),
            ("msg_y_dave", user_version(1_716_883_700, "Dave")),
        ],
    )
    .await;
    for store in [&first, &second] {
        let user = store.user("user_1").await.unwrap().unwrap();
        assert_eq!(user["first_name"], "Carol", "{user}");
    }
    assert_eq!(
        first.snapshot().await.unwrap(),
        second.snapshot().await.unwrap()
    );
}

async fn a_replay_breaks_ties_like_a_delivery(store: SyncStore) {
    // The older version waits in quarantine while the newer one is applied live.
    quarantined_by_an_older_version(&store, "msg_old", &user_version(1_716_883_600, "Alice")).await;
    assert_eq!(
        apply(&store, "msg_new", &user_version(1_716_883_601, "Bob")).await,
        SyncOutcome::Inserted
    );
    let report = store.replay_quarantined().await.unwrap();
    assert_eq!(report.stale(), 1, "{report}");
    assert_eq!(
        store.user("user_1").await.unwrap().unwrap()["first_name"],
        "Bob"
    );
    // And a quarantined newer one replayed over an older live one applies.
    quarantined_by_an_older_version(&store, "msg_newest", &user_version(1_716_883_602, "Eve"))
        .await;
    let report = store.replay_quarantined().await.unwrap();
    assert_eq!(report.applied(), 1, "{report}");
    assert_eq!(
        store.user("user_1").await.unwrap().unwrap()["first_name"],
        "Eve"
    );
}

on_both_backends!(
    equal_updated_at_converges_in_both_orders,
    a_replay_breaks_ties_like_a_delivery
);
