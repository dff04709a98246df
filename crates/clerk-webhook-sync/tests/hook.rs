//! A `SyncHook` runs inside the delivery's transaction: only for changes, rolled back with
//! everything when it fails, and for backfills, replays and prunes too. On SQLite and on
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::sync::atomic::Ordering;

use clerk_webhook_sync::{SyncError, SyncOutcome, SyncStore};
use common::{
    AppUsers, Entity, app_users, delete_body, quarantined_by_an_older_version, upsert_body,
    webhook, with_app_users,
};

async fn apply(store: &SyncStore<AppUsers>, id: &str, body: &serde_json::Value) -> SyncOutcome {
    store.apply((&webhook(id, body)).into()).await.unwrap()
}

fn calls(store: &SyncStore<AppUsers>) -> usize {
    store.hook().calls.load(Ordering::SeqCst)
}

async fn only_changes_reach_the_hook(store: SyncStore) {
    let store = with_app_users(store).await;
    assert_eq!(
        apply(&store, "m1", &upsert_body(Entity::User, 1, 10, true)).await,
        SyncOutcome::Inserted
    );
    assert_eq!(calls(&store), 1);
    assert_eq!(
        apply(&store, "m1", &upsert_body(Entity::User, 1, 10, true)).await,
        SyncOutcome::Duplicate
    );
    assert_eq!(
        apply(&store, "m2", &upsert_body(Entity::User, 1, 5, false)).await,
        SyncOutcome::Stale
    );
    assert_eq!(
        calls(&store),
        1,
        "duplicates and stale versions never reach the hook"
    );
    assert_eq!(
        apply(&store, "m3", &upsert_body(Entity::User, 1, 20, false)).await,
        SyncOutcome::Updated
    );
    assert_eq!(calls(&store), 2);
    let mut session = upsert_body(Entity::User, 1, 30, false);
    session["type"] = "session.created".into();
    assert_eq!(apply(&store, "m4", &session).await, SyncOutcome::Ignored);
    let mut drifted = upsert_body(Entity::User, 2, 10, true);
    drifted["data"]["created_at"] = "yesterday".into();
    assert_eq!(
        apply(&store, "m5", &drifted).await,
        SyncOutcome::Quarantined
    );
    assert_eq!(
        calls(&store),
        2,
        "ignored and quarantined deliveries never reach it"
    );
    assert_eq!(
        apply(&store, "m6", &delete_body(Entity::User, 1, 1_716_883_300)).await,
        SyncOutcome::Deleted
    );
    assert_eq!(calls(&store), 3);
    assert_eq!(
        apply(&store, "m7", &delete_body(Entity::User, 1, 1_716_883_400)).await,
        SyncOutcome::Deleted
    );
    assert_eq!(calls(&store), 3, "a second deletion changes nothing");
    // An earlier deletion arriving late (a prune's tombstone, then Clerk's own
    // user.deleted): the tombstone converges on the earlier time, the hook is not called.
    assert_eq!(
        apply(&store, "m8", &delete_body(Entity::User, 1, 1_716_883_250)).await,
        SyncOutcome::Deleted
    );
    assert_eq!(
        calls(&store),
        3,
        "an earlier deletion of a tombstone is no change"
    );
    assert_eq!(
        store.user("user_1").await.unwrap().unwrap()["deleted_at"],
        1_716_883_250_000_i64
    );
    assert_eq!(
        app_users(&store).await,
        [("user_1".to_owned(), None, None, true)],
        "deleted: email and name cleared"
    );
}

async fn a_failing_hook_rolls_the_delivery_back(store: SyncStore) {
    let store = with_app_users(store).await;
    *store.hook().fail_once_for.lock().unwrap() = Some("user_7".to_owned());
    let body = upsert_body(Entity::User, 7, 10, true);
    let error = store
        .apply((&webhook("m_fail", &body)).into())
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Hook(_)), "{error}");
    assert!(
        error.to_string().contains("injected failure for user_7"),
        "{error}"
    );
    assert!(
        store.user("user_7").await.unwrap().is_none(),
        "mirror row rolled back"
    );
    assert!(app_users(&store).await.is_empty());
    assert_eq!(
        store.snapshot().await.unwrap().deliveries,
        0,
        "ledger row rolled back"
    );
    // Svix's retry: the same svix-id applies all three.
    assert_eq!(apply(&store, "m_fail", &body).await, SyncOutcome::Inserted);
    assert_eq!(
        app_users(&store).await,
        [(
            "user_7".to_owned(),
            Some("u7.v10@example.com".to_owned()),
            Some("v10".to_owned()),
            false
        )]
    );
    assert_eq!(store.snapshot().await.unwrap().deliveries, 1);
}

async fn a_replayed_user_reaches_the_hook(store: SyncStore) {
    let store = with_app_users(store).await;
    quarantined_by_an_older_version(&store, "m_old", &upsert_body(Entity::User, 3, 10, true)).await;
    let report = store.replay_quarantined().await.unwrap();
    assert_eq!(report.applied(), 1, "{report}");
    assert_eq!(app_users(&store).await.len(), 1);
    assert_eq!(calls(&store), 1);
}

on_both_backends!(
    only_changes_reach_the_hook,
    a_failing_hook_rolls_the_delivery_back,
    a_replayed_user_reaches_the_hook
);
