//! Backfill and reconcile against a fake Clerk Backend API served by the test itself
//! (axum on 127.0.0.1), shaped like Clerk's OpenAPI listings: paginated, with injected
//! 429s and 500s. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clerk_webhook_sync::{
    BackfillError, BackfillOptions, ClerkApi, Resource, RetryPolicy, SyncOutcome, SyncStore,
};
use common::{Entity, delete_body, upsert_body, webhook};
use serde_json::{Value, json};

const KEY: &str = "sk_test_fake_backend_api_key_0123456789";

/// The fake API's data and faults.
#[derive(Default)]
struct Fake {
    users: Vec<Value>,
    organizations: Vec<Value>,
    memberships: Vec<Value>,
    /// Statuses to answer, in turn, for (path, offset) before serving it normally.
    faults: HashMap<(&'static str, usize), Vec<u16>>,
    /// Paths that always answer 500.
    broken: Vec<&'static str>,
    /// Added to the organizations' total_count (a paging anomaly).
    organizations_total_extra: usize,
    /// When each request came, per (path, offset).
    requests: HashMap<(&'static str, usize), Vec<Instant>>,
}

type Shared = Arc<Mutex<Fake>>;

fn page(query: &HashMap<String, String>) -> (usize, usize) {
    let number = |name: &str| query.get(name).and_then(|v| v.parse().ok());
    (number("limit").unwrap_or(10), number("offset").unwrap_or(0))
}

fn listing(
    fake: &Shared,
    path: &'static str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {KEY}"))
    {
        return (StatusCode::UNAUTHORIZED, "unauthorized").into_response();
    }
    assert_eq!(
        query.get("order_by").map(String::as_str),
        Some("+created_at")
    );
    let (limit, offset) = page(query);
    assert!(limit <= 500, "limit {limit}");
    let mut fake = fake.lock().unwrap();
    fake.requests
        .entry((path, offset))
        .or_default()
        .push(Instant::now());
    if fake.broken.contains(&path) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "broken").into_response();
    }
    if let Some(statuses) = fake.faults.get_mut(&(path, offset))
        && !statuses.is_empty()
    {
        let status = statuses.remove(0);
        let mut response = (StatusCode::from_u16(status).unwrap(), "fault").into_response();
        if status == 429 {
            response
                .headers_mut()
                .insert("retry-after", "1".parse().unwrap());
        }
        return response;
    }
    let (items, extra) = match path {
        "/v1/users" => (&fake.users, 0),
        "/v1/organizations" => (&fake.organizations, fake.organizations_total_extra),
        _ => (&fake.memberships, 0),
    };
    let slice: Vec<Value> = items.iter().skip(offset).take(limit).cloned().collect();
    if path == "/v1/users" {
        axum::Json(slice).into_response()
    } else {
        axum::Json(json!({ "data": slice, "total_count": items.len() + extra })).into_response()
    }
}

async fn serve(fake: Shared) -> String {
    let route = |path: &'static str| {
        get(
            move |State(fake): State<Shared>,
                  headers: HeaderMap,
                  Query(query): Query<HashMap<String, String>>| async move {
                listing(&fake, path, &headers, &query)
            },
        )
    };
    let app = Router::new()
        .route("/v1/users", route("/v1/users"))
        .route("/v1/organizations", route("/v1/organizations"))
        .route(
            "/v1/organization_memberships",
            route("/v1/organization_memberships"),
        )
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Objects as the Backend API lists them: the same shape as the webhooks' `data`.
fn user(n: usize, version: i64) -> Value {
    upsert_body(Entity::User, n, version, true)["data"].clone()
}

fn organization(n: usize) -> Value {
    let mut org = upsert_body(Entity::Organization, n, 10, true)["data"].clone();
    org["members_count"] = json!(2);
    org
}

fn membership(n: usize) -> Value {
    upsert_body(Entity::Membership, n, 10, true)["data"].clone()
}

fn fake_clerk(users: usize, organizations: usize, memberships: usize) -> Fake {
    Fake {
        users: (0..users).map(|n| user(n, 10)).collect(),
        organizations: (0..organizations).map(organization).collect(),
        memberships: (0..memberships).map(membership).collect(),
        ..Fake::default()
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        first_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

async fn api(fake: &Shared) -> ClerkApi {
    ClerkApi::new(KEY, &serve(Arc::clone(fake)).await)
        .unwrap()
        .with_retry(fast_retries())
        .unwrap()
}

async fn backfill(
    store: &SyncStore,
    api: &ClerkApi,
    prune: bool,
) -> clerk_webhook_sync::BackfillReport {
    let options = BackfillOptions {
        prune,
        ..BackfillOptions::default()
    };
    store.backfill(api, &options, |_, _, _| {}).await.unwrap()
}

async fn lists_every_page_and_retries(store: SyncStore) {
    let mut fake = fake_clerk(1_200, 30, 60);
    fake.faults.insert(("/v1/users", 500), vec![429]);
    fake.faults.insert(("/v1/users", 1_000), vec![500]);
    let fake = Arc::new(Mutex::new(fake));
    let api = api(&fake).await;
    let mut pages = Vec::new();
    let report = store
        .backfill(
            &api,
            &BackfillOptions::default(),
            |resource, listed, total| {
                pages.push((resource, listed, total));
            },
        )
        .await
        .unwrap();
    assert!(report.is_complete(), "{report}");
    let users = report.resource(Resource::Users).unwrap();
    assert_eq!(
        (users.listed, users.inserted, users.stale),
        (1_200, 1_200, 0)
    );
    let organizations = report.resource(Resource::Organizations).unwrap();
    assert_eq!((organizations.listed, organizations.inserted), (30, 30));
    let memberships = report.resource(Resource::OrganizationMemberships).unwrap();
    assert_eq!((memberships.listed, memberships.inserted), (60, 60));
    assert_eq!(
        pages[..3],
        [
            (Resource::Users, 500, None),
            (Resource::Users, 1_000, None),
            (Resource::Users, 1_200, None)
        ]
    );
    {
        let fake = fake.lock().unwrap();
        let throttled = &fake.requests[&("/v1/users", 500)];
        assert_eq!(throttled.len(), 2, "one 429, one retry");
        let waited = throttled[1] - throttled[0];
        assert!(
            waited >= Duration::from_secs(1),
            "Retry-After: 1 honoured, waited {waited:?}"
        );
        let failed = &fake.requests[&("/v1/users", 1_000)];
        assert_eq!(failed.len(), 2, "one 500, one retry");
        let backoff = failed[1] - failed[0];
        assert!(
            backoff < Duration::from_millis(900),
            "a 500 backs off briefly, waited {backoff:?}"
        );
    }
    let last = store.user("user_1199").await.unwrap().unwrap();
    assert_eq!(
        (last["first_name"].as_str(), last["deleted"].as_bool()),
        (Some("v10"), Some(false))
    );
    let snapshot = store.snapshot().await.unwrap();
    assert_eq!(
        (
            snapshot.users.len(),
            snapshot.organizations.len(),
            snapshot.organization_memberships.len()
        ),
        (1_200, 30, 60)
    );
    assert_eq!(snapshot.deliveries, 0, "a listing is not a delivery");
    // Again: nothing changes.
    let again = backfill(&store, &api, false).await;
    let users = again.resource(Resource::Users).unwrap();
    assert_eq!(
        (users.unchanged, users.inserted, users.updated),
        (1_200, 0, 0),
        "{again}"
    );
    assert!(again.to_string().ends_with("Backfill complete."));
}

async fn races_webhooks_and_keeps_the_newest(store: SyncStore) {
    let fake = Arc::new(Mutex::new(fake_clerk(600, 0, 0)));
    let api = api(&fake).await;
    // While the backfill runs, Svix delivers newer updates of users 0..50 and deletions
    // of users 100..150 (the listing still has their older copies).
    let deliveries = async {
        for n in 0..50 {
            let newer = upsert_body(Entity::User, n, 99, false);
            let outcome = store
                .apply((&webhook(&format!("u{n}"), &newer)).into())
                .await
                .unwrap();
            assert!(matches!(
                outcome,
                SyncOutcome::Inserted | SyncOutcome::Updated
            ));
            let gone = delete_body(Entity::User, 100 + n, 1_716_883_300);
            store
                .apply((&webhook(&format!("d{n}"), &gone)).into())
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
    };
    let (report, ()) = tokio::join!(backfill(&store, &api, false), deliveries);
    assert!(report.is_complete(), "{report}");
    for n in 0..50 {
        let newer = store.user(&format!("user_{n}")).await.unwrap().unwrap();
        assert_eq!(newer["updated_at"], 99, "user_{n}: the newer webhook wins");
        let gone = store
            .user(&format!("user_{}", 100 + n))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(gone["deleted"], true, "user_{}: stays deleted", 100 + n);
        assert_eq!(gone["first_name"], Value::Null);
    }
    let kept = store.user("user_300").await.unwrap().unwrap();
    assert_eq!(kept["updated_at"], 10);
}

async fn prunes_only_after_a_complete_listing(store: SyncStore) {
    // In the store but not in Clerk: user_gone (old), user_recent (Clerk changed it a
    // moment ago: it may have been created during the run), org_gone.
    let mut gone = upsert_body(Entity::User, 9_000, 10, true);
    gone["data"]["id"] = json!("user_gone");
    store
        .apply((&webhook("m_gone", &gone)).into())
        .await
        .unwrap();
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let mut recent = upsert_body(Entity::User, 9_001, now_ms, true);
    recent["data"]["id"] = json!("user_recent");
    store
        .apply((&webhook("m_recent", &recent)).into())
        .await
        .unwrap();
    let mut org_gone = upsert_body(Entity::Organization, 9_000, 10, true);
    org_gone["data"]["id"] = json!("org_gone");
    store
        .apply((&webhook("m_org_gone", &org_gone)).into())
        .await
        .unwrap();
    let mut member_gone = upsert_body(Entity::Membership, 9_000, 10, true);
    member_gone["data"]["id"] = json!("orgmem_gone");
    store
        .apply((&webhook("m_member_gone", &member_gone)).into())
        .await
        .unwrap();

    let fake = Arc::new(Mutex::new(fake_clerk(20, 3, 3)));
    let api = api(&fake).await;
    let plain = backfill(&store, &api, false).await;
    assert!(plain.resources.iter().all(|r| r.pruned == 0));
    assert_eq!(
        store.user("user_gone").await.unwrap().unwrap()["deleted"],
        false,
        "no prune unless asked"
    );

    // Memberships cannot be listed: users and organizations are pruned, memberships not.
    fake.lock()
        .unwrap()
        .broken
        .push("/v1/organization_memberships");
    let report = backfill(&store, &api, true).await;
    assert!(!report.is_complete());
    assert_eq!(
        report.resource(Resource::Users).unwrap().pruned,
        1,
        "{report}"
    );
    assert_eq!(report.resource(Resource::Organizations).unwrap().pruned, 1);
    let memberships = report.resource(Resource::OrganizationMemberships).unwrap();
    assert_eq!(memberships.pruned, 0);
    assert!(
        memberships
            .incomplete
            .as_deref()
            .unwrap()
            .contains("failed 4 times"),
        "{report}"
    );
    assert!(
        report
            .to_string()
            .contains("organization memberships: listing INCOMPLETE")
    );
    assert_eq!(
        store.user("user_gone").await.unwrap().unwrap()["deleted"],
        true
    );
    assert_eq!(
        store.user("user_recent").await.unwrap().unwrap()["deleted"],
        false,
        "changed during the run"
    );
    assert_eq!(
        store.user("user_3").await.unwrap().unwrap()["deleted"],
        false
    );
    assert_eq!(
        store.organization("org_gone").await.unwrap().unwrap()["deleted"],
        true
    );
    assert_eq!(
        store.membership("orgmem_gone").await.unwrap().unwrap()["deleted"],
        false,
        "never prune after an incomplete listing"
    );

    // A paging anomaly (total_count promises more than the pages hold): reported, no prune.
    {
        let mut fake = fake.lock().unwrap();
        fake.broken.clear();
        fake.organizations_total_extra = 1;
    }
    let mut org_late = upsert_body(Entity::Organization, 9_001, 10, true);
    org_late["data"]["id"] = json!("org_late");
    store
        .apply((&webhook("m_org_late", &org_late)).into())
        .await
        .unwrap();
    let report = backfill(&store, &api, true).await;
    let organizations = report.resource(Resource::Organizations).unwrap();
    assert_eq!(organizations.anomalies.len(), 1, "{report}");
    assert!(
        organizations.anomalies[0].contains("total_count is 4"),
        "{report}"
    );
    assert_eq!(organizations.pruned, 0);
    assert!(!report.is_complete());
    assert_eq!(
        store.organization("org_late").await.unwrap().unwrap()["deleted"],
        false
    );
    assert_eq!(
        store.membership("orgmem_gone").await.unwrap().unwrap()["deleted"],
        true,
        "a complete membership listing prunes"
    );
}

#[tokio::test]
async fn a_refused_key_stops_the_backfill_naming_the_key() {
    let fake = Arc::new(Mutex::new(fake_clerk(3, 0, 0)));
    let url = serve(fake).await;
    let wrong = "sk_test_wrong_key_abcdefghijklmnopqrstuvwxyz";
    let api = ClerkApi::new(wrong, &url).unwrap();
    let store = common::sqlite().await;
    let error = store
        .backfill(&api, &BackfillOptions::default(), |_, _, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(error, BackfillError::Unauthorized { status: 401, .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("sk_test_wr…"), "{message}");
    assert!(
        !message.contains(wrong),
        "the whole key is never shown: {message}"
    );
    assert!(message.contains("CLERK_SECRET_KEY"), "{message}");
    assert!(format!("{api:?}").contains("sk_test_wr…") && !format!("{api:?}").contains(wrong));
    for bad in ["", "pk_test_abcdefghij", "whsec_abc"] {
        assert!(
            matches!(ClerkApi::new(bad, &url), Err(BackfillError::InvalidKey)),
            "{bad:?}"
        );
    }
}

on_both_backends!(
    lists_every_page_and_retries,
    races_webhooks_and_keeps_the_newest,
    prunes_only_after_a_complete_listing
);
