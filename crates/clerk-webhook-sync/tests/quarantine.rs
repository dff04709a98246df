//! Authentic deliveries whose data does not fit: quarantined, not lost, not retried
//! forever; replayed through the same guards. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_sync::{ReplayOutcome, SyncOutcome, SyncStore};
use common::{Entity, delete_body, quarantined_by_an_older_version, upsert_body, webhook};

async fn apply(store: &SyncStore, id: &str, body: &serde_json::Value) -> SyncOutcome {
    store.apply((&webhook(id, body)).into()).await.unwrap()
}

/// `user.created` for user `n` whose `created_at` is an ISO string: today's types refuse it.
fn drifted_user(n: usize) -> serde_json::Value {
    let mut body = upsert_body(Entity::User, n, 10, true);
    body["data"]["created_at"] = "2024-05-28T00:00:00Z".into();
    body
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

/// `\u0000` in `data`: PostgreSQL cannot store it in TEXT or JSONB. The delivery is kept
/// in quarantine (its body is text) and answered 2xx, and the user's later updates apply;
/// SQLite stores it as it is. A `\\u0000` (an escaped backslash) is no NUL.
async fn a_nul_character_is_quarantined_where_it_cannot_be_stored(store: SyncStore) {
    let mut body = upsert_body(Entity::User, 1, 10, true);
    body["data"]["first_name"] = "Al\u{0}ice".into();
    body["data"]["unsafe_metadata"] = serde_json::json!({"k\u{0}": "v"});
    assert!(body.to_string().contains(r"Al\u0000ice"));
    let outcome = apply(&store, "msg_nul", &body).await;
    let mut escaped = upsert_body(Entity::User, 2, 10, true);
    escaped["data"]["first_name"] = r"back\u0000slash".into();
    assert_eq!(
        apply(&store, "msg_escaped", &escaped).await,
        SyncOutcome::Inserted
    );
    let later = upsert_body(Entity::User, 1, 20, false);
    assert_eq!(
        apply(&store, "msg_later", &later).await,
        match store.backend() {
            clerk_webhook_sync::Backend::Postgres => SyncOutcome::Inserted,
            _ => SyncOutcome::Updated,
        }
    );
    match store.backend() {
        clerk_webhook_sync::Backend::Postgres => {
            assert_eq!(outcome, SyncOutcome::Quarantined);
            let quarantined = store.quarantined().await.unwrap();
            assert_eq!(quarantined.len(), 1);
            assert!(
                quarantined[0].error.contains("NUL character"),
                "{quarantined:?}"
            );
            assert_eq!(quarantined[0].body, body.to_string(), "kept as received");
            let report = store.replay_quarantined().await.unwrap();
            assert!(
                matches!(&report.entries[0].outcome, ReplayOutcome::StillQuarantined { error } if error.contains("NUL")),
                "{report}"
            );
        }
        _ => {
            assert_eq!(outcome, SyncOutcome::Inserted);
            assert!(store.quarantined().await.unwrap().is_empty());
        }
    }
    assert_eq!(
        store.user("user_1").await.unwrap().unwrap()["updated_at"],
        20,
        "later updates are not stuck behind it"
    );
}

/// Clerk's spec lets a deletion leave out `data.id`: nothing can be deleted, and the
/// delivery is kept in quarantine, not lost, and answered 2xx.
async fn a_deletion_without_an_id_is_quarantined(store: SyncStore) {
    let mut body = delete_body(Entity::User, 1, 1_716_883_300);
    body["data"].as_object_mut().unwrap().remove("id");
    assert_eq!(
        apply(&store, "msg_no_id", &body).await,
        SyncOutcome::Quarantined
    );
    let quarantined = store.quarantined().await.unwrap();
    assert_eq!(quarantined.len(), 1);
    assert!(
        quarantined[0].error.contains("without data.id"),
        "{quarantined:?}"
    );
}

on_both_backends!(
    a_deletion_without_an_id_is_quarantined,
    a_nul_character_is_quarantined_where_it_cannot_be_stored,
    drifted_deliveries_are_quarantined,
    replay_applies_through_the_guards
);
