//! Authentic deliveries whose data does not fit: quarantined, not lost, not retried
//! forever; replayed through the same guards. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_sync::{ReplayOutcome, SyncOutcome, SyncStore};
use common::{Entity, delete_body, upsert_body, webhook};

async fn apply(store: &SyncStore, id: &str, body: &serde_json::Value) -> SyncOutcome {
    store.apply((&webhook(id, body)).into()).await.unwrap()
}

/// `user.created` for user `n` whose `created_at` is an ISO string: today's types refuse it.
fn drifted_user(n: usize) -> serde_json::Value {
    let mut body = upsert_body(Entity::User, n, 10, true);
    body["data"]["created_at"] = "2024-05-28T00:00:00Z".into();
    body
}

/// What an older version, whose types were stricter, left in quarantine: `body` fits today.
async fn quarantined_by_an_older_version(store: &SyncStore, id: &str, body: &serde_json::Value) {
    let event_type = body["type"].as_str().unwrap();
    sqlx::query(
        "INSERT INTO clerk_webhook_deliveries (svix_id, event_type, received_at) VALUES ($1, $2, $3)",
    )
    .bind(id)
    .bind(event_type)
    .bind(1_000_i64)
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO clerk_webhook_quarantine (svix_id, event_type, error, body, received_at) \
         VALUES ($1, $2, 'an older model', $3, $4)",
    )
    .bind(id)
    .bind(event_type)
    .bind(body.to_string())
    .bind(1_000_i64)
    .execute(store.pool())
    .await
    .unwrap();
}

async fn drifted_deliveries_are_quarantined(store: SyncStore) {
    let body = drifted_user(1);
    let delivered = webhook("msg_drift", &body);
    assert!(delivered.data_mismatch().is_some());
    assert_eq!(
        store.apply((&delivered).into()).await.unwrap(),
        SyncOutcome::Quarantined
    );
    assert_eq!(
        apply(&store, "msg_drift", &body).await,
        SyncOutcome::Duplicate,
        "a retry of a quarantined delivery is a duplicate, not a second quarantine"
    );
    assert!(store.user("user_1").await.unwrap().is_none());
    let quarantined = store.quarantined().await.unwrap();
    assert_eq!(quarantined.len(), 1);
    let entry = &quarantined[0];
    assert_eq!(
        (entry.svix_id.as_str(), entry.event_type.as_str()),
        ("msg_drift", "user.created")
    );
    assert_eq!(
        entry.body.as_bytes(),
        delivered.raw_body().as_ref(),
        "kept as received"
    );
    assert!(entry.error.contains("expected i64"), "{}", entry.error);
    assert_eq!(
        store.snapshot().await.unwrap().deliveries,
        1,
        "in the ledger"
    );

    // A mismatched type the store does not mirror is not quarantined.
    let mut session = serde_json::from_str::<serde_json::Value>(
        clerk_webhook_core::samples::sample("session.created").unwrap(),
    )
    .unwrap();
    session["data"]["status"] = serde_json::json!({"nested": true});
    assert_eq!(
        apply(&store, "msg_session", &session).await,
        SyncOutcome::Ignored
    );

    // Today's types still do not fit: it stays, with the current reason.
    let report = store.replay_quarantined().await.unwrap();
    assert_eq!(
        (report.applied(), report.stale(), report.still_quarantined()),
        (0, 0, 1)
    );
    assert!(matches!(
        &report.entries[0].outcome,
        ReplayOutcome::StillQuarantined { error } if error.contains("expected i64")
    ));
    assert_eq!(store.quarantined().await.unwrap().len(), 1);
}

async fn replay_applies_through_the_guards(store: SyncStore) {
    use SyncOutcome::*;
    // user_1: quarantined create, nothing live: inserted.
    quarantined_by_an_older_version(&store, "q_create", &upsert_body(Entity::User, 1, 10, true))
        .await;
    // user_2: live at version 20; a quarantined update at version 15 is stale.
    assert_eq!(
        apply(&store, "m_2", &upsert_body(Entity::User, 2, 20, true)).await,
        Inserted
    );
    quarantined_by_an_older_version(&store, "q_old", &upsert_body(Entity::User, 2, 15, false))
        .await;
    // user_3: deleted; a quarantined newer update must not resurrect it.
    assert_eq!(
        apply(&store, "m_3", &upsert_body(Entity::User, 3, 10, true)).await,
        Inserted
    );
    assert_eq!(
        apply(&store, "m_3d", &delete_body(Entity::User, 3, 5)).await,
        Deleted
    );
    quarantined_by_an_older_version(&store, "q_zombie", &upsert_body(Entity::User, 3, 99, false))
        .await;
    // user_4: a quarantined deletion.
    assert_eq!(
        apply(&store, "m_4", &upsert_body(Entity::User, 4, 10, true)).await,
        Inserted
    );
    quarantined_by_an_older_version(&store, "q_delete", &delete_body(Entity::User, 4, 7)).await;
    // user_5: still does not fit.
    assert_eq!(
        apply(&store, "q_drift", &drifted_user(5)).await,
        Quarantined
    );

    let report = store.replay_quarantined().await.unwrap();
    let outcomes: Vec<(&str, &ReplayOutcome)> = report
        .entries
        .iter()
        .map(|entry| (entry.svix_id.as_str(), &entry.outcome))
        .collect();
    let find = |id: &str| {
        outcomes
            .iter()
            .find(|(svix_id, _)| *svix_id == id)
            .unwrap()
            .1
    };
    assert_eq!(find("q_create"), &ReplayOutcome::Applied(Inserted));
    assert_eq!(find("q_old"), &ReplayOutcome::Applied(Stale));
    assert_eq!(find("q_zombie"), &ReplayOutcome::Applied(Stale));
    assert_eq!(find("q_delete"), &ReplayOutcome::Applied(Deleted));
    assert!(matches!(
        find("q_drift"),
        ReplayOutcome::StillQuarantined { .. }
    ));
    assert_eq!(
        (report.applied(), report.stale(), report.still_quarantined()),
        (2, 2, 1)
    );
    assert_eq!(
        report.to_string().lines().last(),
        Some("Replayed 5 quarantined deliveries: 2 applied, 2 stale, 1 still quarantined")
    );

    let user = |id: &'static str| {
        let store = store.clone();
        async move { store.user(id).await.unwrap().unwrap() }
    };
    assert_eq!(user("user_1").await["first_name"], "v10");
    assert_eq!(
        user("user_2").await["updated_at"],
        20,
        "a late replay is stale"
    );
    let zombie = user("user_3").await;
    assert_eq!(
        (zombie["deleted"].as_bool(), zombie["first_name"].as_str()),
        (Some(true), None)
    );
    let deleted = user("user_4").await;
    assert_eq!(
        (deleted["deleted"].as_bool(), deleted["deleted_at"].as_i64()),
        (Some(true), Some(7_000))
    );
    let left: Vec<String> = store
        .quarantined()
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.svix_id)
        .collect();
    assert_eq!(left, ["q_drift"], "applied and stale ones leave quarantine");
    let again = store.replay_quarantined().await.unwrap();
    assert_eq!((again.entries.len(), again.still_quarantined()), (1, 1));
}

on_both_backends!(
    drifted_deliveries_are_quarantined,
    replay_applies_through_the_guards
);
