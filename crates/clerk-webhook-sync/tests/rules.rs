//! Each rule on its own, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_sync::{SyncOutcome, SyncStore};
use common::{Entity, delete_body, upsert_body, webhook};

async fn apply(store: &SyncStore, id: &str, body: serde_json::Value) -> SyncOutcome {
    store.apply((&webhook(id, &body)).into()).await.unwrap()
}

async fn every_rule(store: SyncStore) {
    use SyncOutcome::*;
    // Insert, update, equal update, stale update.
    assert_eq!(
        apply(&store, "msg_1", upsert_body(Entity::User, 1, 10, true)).await,
        Inserted
    );
    assert_eq!(
        apply(&store, "msg_2", upsert_body(Entity::User, 1, 20, false)).await,
        Updated
    );
    assert_eq!(
        apply(&store, "msg_3", upsert_body(Entity::User, 1, 20, false)).await,
        Updated,
        "equal updated_at applies"
    );
    assert_eq!(
        apply(&store, "msg_4", upsert_body(Entity::User, 1, 15, false)).await,
        Stale
    );
    let user = store.user("user_1").await.unwrap().unwrap();
    assert_eq!(user["first_name"], "v20");
    assert_eq!(user["updated_at"], 20);
    assert_eq!(user["primary_email_address"], "u1.v20@example.com");
    assert_eq!(user["public_metadata"]["version"], 20);
    assert_eq!(user["private_metadata"], serde_json::Value::Null);
    assert_eq!(user["deleted"], false);
    assert_eq!(user["raw"]["id"], "user_1");

    // Duplicate svix-id: nothing, even with other content.
    assert_eq!(
        apply(&store, "msg_2", upsert_body(Entity::User, 1, 30, false)).await,
        Duplicate
    );
    assert_eq!(
        store.user("user_1").await.unwrap().unwrap()["updated_at"],
        20
    );

    // Delete: tombstone with the envelope timestamp in ms; terminal.
    assert_eq!(
        apply(&store, "msg_5", delete_body(Entity::User, 1, 1_716_883_300)).await,
        Deleted
    );
    let tombstone = store.user("user_1").await.unwrap().unwrap();
    assert_eq!(tombstone["deleted"], true);
    assert_eq!(tombstone["deleted_at"], 1_716_883_300_000_i64);
    assert_eq!(
        tombstone["first_name"],
        serde_json::Value::Null,
        "a tombstone keeps no data"
    );
    assert_eq!(
        apply(&store, "msg_6", upsert_body(Entity::User, 1, 99, false)).await,
        Stale,
        "no update after delete"
    );
    assert_eq!(
        apply(&store, "msg_7", upsert_body(Entity::User, 1, 100, true)).await,
        Stale,
        "no create after delete"
    );
    assert_eq!(store.user("user_1").await.unwrap().unwrap(), tombstone);

    // Tombstone first, create later: the create never resurrects.
    assert_eq!(
        apply(
            &store,
            "msg_8",
            delete_body(Entity::User, 2, 1_716_883_400_000)
        )
        .await,
        Deleted
    );
    assert_eq!(
        apply(&store, "msg_9", upsert_body(Entity::User, 2, 5, true)).await,
        Stale
    );
    let early = store.user("user_2").await.unwrap().unwrap();
    assert_eq!(
        (early["deleted"].clone(), early["deleted_at"].clone()),
        (true.into(), 1_716_883_400_000_i64.into())
    );

    // Organizations and memberships follow the same rules.
    assert_eq!(
        apply(
            &store,
            "msg_10",
            upsert_body(Entity::Organization, 1, 10, true)
        )
        .await,
        Inserted
    );
    assert_eq!(
        apply(
            &store,
            "msg_11",
            upsert_body(Entity::Organization, 1, 5, false)
        )
        .await,
        Stale
    );
    assert_eq!(
        store.organization("org_1").await.unwrap().unwrap()["name"],
        "Org v10"
    );
    assert_eq!(
        apply(
            &store,
            "msg_12",
            delete_body(Entity::Organization, 1, 1_716_883_500)
        )
        .await,
        Deleted
    );
    assert_eq!(
        store.organization("org_1").await.unwrap().unwrap()["deleted"],
        true
    );
    assert_eq!(
        apply(
            &store,
            "msg_13",
            upsert_body(Entity::Membership, 1, 10, true)
        )
        .await,
        Inserted
    );
    assert_eq!(
        apply(
            &store,
            "msg_14",
            upsert_body(Entity::Membership, 1, 11, false)
        )
        .await,
        Updated
    );
    let membership = store.membership("orgmem_1").await.unwrap().unwrap();
    assert_eq!(membership["organization_id"], "org_1");
    assert_eq!(membership["user_id"], "user_1");
    assert_eq!(membership["role"], "org:role_v11");
    assert_eq!(
        apply(
            &store,
            "msg_15",
            delete_body(Entity::Membership, 1, 1_716_883_600)
        )
        .await,
        Deleted
    );
    assert_eq!(
        apply(
            &store,
            "msg_16",
            upsert_body(Entity::Membership, 1, 12, false)
        )
        .await,
        Stale
    );

    // Everything else: ledger only.
    let session = serde_json::json!({"type": "session.created", "data": {"id": "sess_1", "user_id": "user_1"}});
    assert_eq!(apply(&store, "msg_17", session.clone()).await, Ignored);
    assert_eq!(apply(&store, "msg_17", session).await, Duplicate);
    let unknown = serde_json::json!({"type": "invoice.paid", "data": {"id": "inv_1"}});
    assert_eq!(apply(&store, "msg_18", unknown).await, Ignored);

    // A delete with no envelope timestamp uses the receive time.
    let mut no_time = delete_body(Entity::User, 3, 0);
    no_time.as_object_mut().unwrap().remove("timestamp");
    let webhook = webhook("msg_19", &no_time);
    assert_eq!(
        store.apply_at((&webhook).into(), 42).await.unwrap(),
        Deleted
    );
    assert_eq!(
        store.user("user_3").await.unwrap().unwrap()["deleted_at"],
        42
    );

    let snapshot = store.snapshot().await.unwrap();
    assert_eq!(snapshot.deliveries, 19, "msg_1 to msg_19, each once");
    assert!(store.user("user_404").await.unwrap().is_none());
}

async fn sample_payloads_apply(store: SyncStore) {
    for sample in clerk_webhook_core::samples::SAMPLES {
        let body: serde_json::Value = serde_json::from_str(sample.payload).unwrap();
        let outcome = apply(&store, &format!("msg_{}", sample.event_type), body).await;
        let expected = match sample.event_type {
            "user.created" | "organization.created" | "organizationMembership.created" => {
                SyncOutcome::Inserted
            }
            "user.updated" | "organization.updated" | "organizationMembership.updated" => {
                SyncOutcome::Updated
            }
            "user.deleted" | "organization.deleted" | "organizationMembership.deleted" => {
                SyncOutcome::Deleted
            }
            _ => SyncOutcome::Ignored,
        };
        // The samples share ids, so later ones may find a tombstone or a newer row.
        assert!(
            outcome == expected || outcome == SyncOutcome::Stale,
            "{}: {outcome}",
            sample.event_type
        );
    }
    assert_eq!(store.snapshot().await.unwrap().deliveries, 46);
}

/// A signed envelope `timestamp` at the edge of `i64` is data, not a crash: applied, and
/// the lag metric saturates.
async fn an_extreme_envelope_timestamp_is_applied(store: SyncStore) {
    for (id, timestamp) in [("m_min", i64::MIN), ("m_max", i64::MAX)] {
        let mut body = upsert_body(Entity::User, 7, 10, true);
        body["timestamp"] = timestamp.into();
        body["data"]["id"] = id.into();
        assert_eq!(
            apply(&store, id, body).await,
            SyncOutcome::Inserted,
            "{timestamp}"
        );
    }
}

on_both_backends!(
    every_rule,
    sample_payloads_apply,
    an_extreme_envelope_timestamp_is_applied
);
