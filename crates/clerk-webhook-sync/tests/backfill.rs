//! Backfill and reconcile against a fake Clerk Backend API served by the test itself
//! (axum on 127.0.0.1), shaped like Clerk's OpenAPI listings: paginated, with injected
//! 429s and 500s. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
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
    /// Serve the first page whatever the offset asked (a broken listing).
    ignore_offset: bool,
    /// When each request came, per (path, offset).
    requests: HashMap<(&'static str, usize), Vec<Instant>>,
    /// Deleted in Clerk right after the page at (path, offset) is served: this many
    /// objects from this index on.
    deletions: HashMap<(&'static str, usize), (usize, usize)>,
    /// Ids Clerk has but its listings leave out (fetched one by one, they answer 200).
    unlisted: Vec<Value>,
    /// Paths of single-object requests (`/v1/users/{id}`, …) that always answer 500.
    broken_lookups: bool,
    /// Single-object and membership-of-organization requests answered.
    lookups: Vec<String>,
    /// When set, what single-object requests find, by id (instead of a scan of the
    /// listings and `unlisted`: for large instances).
    lookup_index: Option<HashMap<String, Value>>,
    /// Requests held at (path, offset): the fake says it arrived, then waits for the go.
    pauses: HashMap<(&'static str, usize), Pause>,
}

/// A held request: `arrived` fires when it comes, and it is answered once `go_on` fires.
struct Pause {
    arrived: tokio::sync::oneshot::Sender<()>,
    go_on: tokio::sync::oneshot::Receiver<()>,
}

/// Holds the request at (path, offset) until the returned sender fires; the receiver fires
/// when it arrives.
fn pause_at(
    fake: &Shared,
    path: &'static str,
    offset: usize,
) -> (
    tokio::sync::oneshot::Receiver<()>,
    tokio::sync::oneshot::Sender<()>,
) {
    let (arrived, arrival) = tokio::sync::oneshot::channel();
    let (go, go_on) = tokio::sync::oneshot::channel();
    fake.lock()
        .unwrap()
        .pauses
        .insert((path, offset), Pause { arrived, go_on });
    (arrival, go)
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
    let offset = if fake.lock().unwrap().ignore_offset {
        0
    } else {
        offset
    };
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
    let total_count = items.len() + extra;
    if let Some((from, count)) = fake.deletions.remove(&(path, offset)) {
        let items = match path {
            "/v1/users" => &mut fake.users,
            "/v1/organizations" => &mut fake.organizations,
            _ => &mut fake.memberships,
        };
        items.drain(from..from + count);
    }
    if path == "/v1/users" {
        axum::Json(slice).into_response()
    } else {
        axum::Json(json!({ "data": slice, "total_count": total_count })).into_response()
    }
}

/// `GET /v1/users/{id}` and `/v1/organizations/{id}`: the object, or 404.
fn lookup(fake: &Shared, path: &'static str, id: &str) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.lookups.push(format!("{path}/{id}"));
    if fake.broken_lookups {
        return (StatusCode::INTERNAL_SERVER_ERROR, "broken").into_response();
    }
    let items = if path == "/v1/users" {
        &fake.users
    } else {
        &fake.organizations
    };
    let found = match &fake.lookup_index {
        Some(index) => index.get(id),
        None => items
            .iter()
            .chain(&fake.unlisted)
            .find(|item| item["id"] == id),
    };
    found.map_or_else(
        || (StatusCode::NOT_FOUND, "not found").into_response(),
        |item| axum::Json(item.clone()).into_response(),
    )
}

/// `GET /v1/organizations/{id}/memberships?user_id=`: 404 without the organization.
fn memberships_of(fake: &Shared, organization: &str, query: &HashMap<String, String>) -> Response {
    let mut fake = fake.lock().unwrap();
    fake.lookups
        .push(format!("/v1/organizations/{organization}/memberships"));
    if !fake
        .organizations
        .iter()
        .any(|org| org["id"] == organization)
    {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let user = query.get("user_id").map(String::as_str);
    let data: Vec<Value> = fake
        .memberships
        .iter()
        .filter(|m| {
            m["organization"]["id"] == organization
                && user.is_none_or(|user| m["public_user_data"]["user_id"] == user)
        })
        .cloned()
        .collect();
    axum::Json(json!({ "total_count": data.len(), "data": data })).into_response()
}

async fn serve(fake: Shared) -> String {
    let route = |path: &'static str| {
        get(
            move |State(fake): State<Shared>,
                  headers: HeaderMap,
                  Query(query): Query<HashMap<String, String>>| async move {
                let held = fake.lock().unwrap().pauses.remove(&(path, page(&query).1));
                if let Some(Pause { arrived, go_on }) = held {
                    arrived.send(()).unwrap();
                    go_on.await.unwrap();
                }
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
        .route(
            "/v1/users/{id}",
            get(
                |State(fake): State<Shared>, Path(id): Path<String>| async move {
                    lookup(&fake, "/v1/users", &id)
                },
            ),
        )
        .route(
            "/v1/organizations/{id}",
            get(
                |State(fake): State<Shared>, Path(id): Path<String>| async move {
                    lookup(&fake, "/v1/organizations", &id)
                },
            ),
        )
        .route(
            "/v1/organizations/{id}/memberships",
            get(
                |State(fake): State<Shared>,
                 Path(id): Path<String>,
                 Query(query): Query<HashMap<String, String>>| async move {
                    memberships_of(&fake, &id, &query)
                },
            ),
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
    // Pages after the first start 10 objects early (the overlap): 0, 490, 980.
    fake.faults.insert(("/v1/users", 490), vec![429]);
    fake.faults.insert(("/v1/users", 980), vec![500]);
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
            (Resource::Users, 990, None),
            (Resource::Users, 1_200, None)
        ]
    );
    {
        let fake = fake.lock().unwrap();
        let throttled = &fake.requests[&("/v1/users", 490)];
        assert_eq!(throttled.len(), 2, "one 429, one retry");
        let waited = throttled[1] - throttled[0];
        assert!(
            waited >= Duration::from_secs(1),
            "Retry-After: 1 honoured, waited {waited:?}"
        );
        let failed = &fake.requests[&("/v1/users", 980)];
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

/// Clerk deletes `deleted` objects from the 11th on right after serving the first page of
/// users and of organizations: every later object moves down as many places. Every object
/// that stayed live is still listed and applied.
async fn listing_with_deletions(store: SyncStore, deleted: usize) {
    let mut fake = fake_clerk(600, 600, 0);
    fake.deletions.insert(("/v1/users", 0), (10, deleted));
    fake.deletions
        .insert(("/v1/organizations", 0), (10, deleted));
    let fake = Arc::new(Mutex::new(fake));
    let report = backfill(&store, &api(&fake).await, false).await;
    assert!(report.is_complete(), "{report}");
    for resource in [Resource::Users, Resource::Organizations] {
        let listed = report.resource(resource).unwrap();
        assert_eq!(
            (listed.listed, listed.inserted),
            (600, 600),
            "{resource}: {report}"
        );
    }
    for n in 0..600 {
        let user = store.user(&format!("user_{n}")).await.unwrap();
        assert_eq!(user.unwrap()["deleted"], false, "user_{n}");
        let org = store.organization(&format!("org_{n}")).await.unwrap();
        assert_eq!(org.unwrap()["deleted"], false, "org_{n}");
    }
    let requests = &fake.lock().unwrap().requests;
    assert!(requests.contains_key(&("/v1/users", 490)), "overlap of 10");
    if deleted > 10 {
        // More deletions than the overlap: asked again from further back.
        assert!(requests.contains_key(&("/v1/users", 480)));
        assert!(requests.contains_key(&("/v1/users", 460)));
    }
}

async fn one_deletion_during_the_listing_misses_nothing(store: SyncStore) {
    listing_with_deletions(store, 1).await;
}

async fn many_deletions_during_the_listing_miss_nothing(store: SyncStore) {
    listing_with_deletions(store, 30).await;
}

/// A prune tombstones a row only when Clerk answers that it is gone: not a live object
/// that moved between pages, not one the listing left out, and nothing while Clerk
/// cannot be asked.
async fn a_prune_asks_clerk_before_tombstoning(store: SyncStore) {
    let mut fake = fake_clerk(600, 600, 0);
    let mut hidden = user(9_002, 10);
    hidden["id"] = json!("user_hidden");
    fake.unlisted.push(hidden);
    let fake = Arc::new(Mutex::new(fake));
    let api = api(&fake).await;
    assert!(backfill(&store, &api, false).await.is_complete());
    for (message, entity, id) in [
        ("m_user_gone", Entity::User, "user_gone"),
        ("m_user_hidden", Entity::User, "user_hidden"),
        ("m_org_gone", Entity::Organization, "org_gone"),
    ] {
        let mut body = upsert_body(entity, 9_000, 5, true);
        body["data"]["id"] = json!(id);
        store
            .apply((&webhook(message, &body)).into())
            .await
            .unwrap();
    }

    // Clerk cannot be asked: nothing is pruned, and the run says so.
    fake.lock().unwrap().broken_lookups = true;
    let report = backfill(&store, &api, true).await;
    assert!(!report.is_complete(), "{report}");
    let users = report.resource(Resource::Users).unwrap();
    assert_eq!(users.pruned, 0, "{report}");
    assert!(
        users
            .incomplete
            .as_deref()
            .unwrap()
            .contains("could not confirm with Clerk that user_"),
        "{report}"
    );
    assert_eq!(
        store.user("user_gone").await.unwrap().unwrap()["deleted"],
        false
    );
    let text = report.to_string();
    for unreached in ["organizations", "organization memberships"] {
        assert!(
            text.contains(&format!(
                "{unreached}: NOT LISTED: the backfill stopped after users"
            )),
            "{text}"
        );
    }

    // Clerk answers, and deletes an object while the listing runs.
    {
        let mut fake = fake.lock().unwrap();
        fake.broken_lookups = false;
        fake.lookups.clear();
        fake.deletions.insert(("/v1/users", 0), (10, 1));
        fake.deletions.insert(("/v1/organizations", 0), (10, 1));
    }
    let report = backfill(&store, &api, true).await;
    assert!(report.is_complete(), "{report}");
    let users = report.resource(Resource::Users).unwrap();
    assert_eq!((users.pruned, users.present), (1, 1), "{report}");
    let organizations = report.resource(Resource::Organizations).unwrap();
    assert_eq!(
        (organizations.pruned, organizations.present),
        (1, 0),
        "{report}"
    );
    let deleted = |row: Option<Value>| row.unwrap()["deleted"].as_bool().unwrap();
    assert!(deleted(store.user("user_gone").await.unwrap()));
    assert!(deleted(store.organization("org_gone").await.unwrap()));
    assert!(!deleted(store.user("user_hidden").await.unwrap()));
    assert_eq!(
        store.user("user_hidden").await.unwrap().unwrap()["updated_at"],
        10,
        "Clerk's copy applied"
    );
    for n in [10, 11, 500, 599] {
        assert!(
            !deleted(store.user(&format!("user_{n}")).await.unwrap()),
            "user_{n}"
        );
        assert!(
            !deleted(store.organization(&format!("org_{n}")).await.unwrap()),
            "org_{n}"
        );
    }
    let mut lookups = fake.lock().unwrap().lookups.clone();
    lookups.sort();
    assert_eq!(
        lookups,
        [
            "/v1/organizations/org_gone",
            "/v1/users/user_gone",
            "/v1/users/user_hidden"
        ],
        "one question per row absent from the listing"
    );
    assert!(report.to_string().contains("present"), "{report}");
}

/// A listed copy and a delivery with the same `updated_at` but other data: the delivery
/// wins, whichever comes first (a listing loses every tie, as in a replay).
async fn a_listing_loses_ties_against_a_delivery(store: SyncStore) {
    let fake = Arc::new(Mutex::new(fake_clerk(2, 0, 0)));
    let api = api(&fake).await;
    let mut tie = upsert_body(Entity::User, 0, 10, false);
    tie["data"]["first_name"] = json!("from the webhook");
    // The delivery first, then the listing.
    store
        .apply((&webhook("m_tie_0", &tie)).into())
        .await
        .unwrap();
    let report = backfill(&store, &api, false).await;
    assert_eq!(
        report.resource(Resource::Users).unwrap().unchanged,
        1,
        "{report}"
    );
    // The listing first, then the delivery.
    let mut tie = upsert_body(Entity::User, 1, 10, false);
    tie["data"]["first_name"] = json!("from the webhook");
    assert_eq!(
        store
            .apply((&webhook("m_tie_1", &tie)).into())
            .await
            .unwrap(),
        SyncOutcome::Updated
    );
    for n in 0..2 {
        let user = store.user(&format!("user_{n}")).await.unwrap().unwrap();
        assert_eq!(user["first_name"], "from the webhook", "user_{n}");
    }
}

/// A backfilled user reaches the app's table through the hook, and so does a pruned one;
/// a failing hook stops the backfill with the error.
async fn a_backfill_and_a_prune_reach_the_hook(store: SyncStore) {
    let store = common::with_app_users(store).await;
    let mut gone = upsert_body(Entity::User, 9_000, 10, true);
    gone["data"]["id"] = json!("user_gone");
    store
        .apply((&webhook("m_gone", &gone)).into())
        .await
        .unwrap();
    let fake = Arc::new(Mutex::new(fake_clerk(20, 2, 2)));
    let api = api(&fake).await;
    let options = BackfillOptions {
        prune: true,
        ..BackfillOptions::default()
    };
    let report = store.backfill(&api, &options, |_, _, _| {}).await.unwrap();
    assert!(report.is_complete(), "{report}");
    let rows = common::app_users(&store).await;
    assert_eq!(rows.len(), 21);
    assert!(
        rows.iter()
            .all(|(id, _, _, deleted)| *deleted == (id == "user_gone")),
        "{rows:?}"
    );
    *store.hook().fail_once_for.lock().unwrap() = Some("user_20".to_owned());
    fake.lock().unwrap().users.push(user(20, 10));
    let error = store
        .backfill(&api, &options, |_, _, _| {})
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("injected failure for user_20"),
        "{error}"
    );
    assert!(
        store.user("user_20").await.unwrap().is_none(),
        "rolled back with the hook"
    );
}

/// The field a test changes to tell a webhook's copy from a listed one.
fn marked(entity: Entity, n: usize, version: i64) -> Value {
    let mut body = upsert_body(entity, n, version, false);
    let field = match entity {
        Entity::User => "first_name",
        Entity::Organization => "name",
        Entity::Membership => "role",
    };
    body["data"][field] = json!("from the webhook");
    body
}

/// One page that mixes every case gives exact counts for each resource: new ids inserted,
/// rows older than the listed copy updated, newer rows and tombstones stale, rows with the
/// same `updated_at` unchanged (the webhook's copy kept: a listing loses ties), an object
/// that does not fit unfit; and the hook runs exactly once per row inserted or updated.
async fn a_mixed_page_gives_exact_counts(store: SyncStore) {
    let store = common::with_app_users(store).await;
    let entities = [Entity::User, Entity::Organization, Entity::Membership];
    // By number: 0..4 newer in the store, 4..8 older, 8..12 deleted, 12..16 the same
    // updated_at, 16..30 new. The listing has version 10 of each.
    for entity in entities {
        for n in 0..16 {
            let body = match n / 4 {
                0 => upsert_body(entity, n, 20, true),
                1 => upsert_body(entity, n, 5, true),
                2 => delete_body(entity, n, 1_716_883_300),
                _ => marked(entity, n, 10),
            };
            let id = format!("m_{}_{n}", entity.prefix());
            store.apply((&webhook(&id, &body)).into()).await.unwrap();
        }
    }
    let mut fake = fake_clerk(30, 30, 30);
    let mut drifted = user(30, 10);
    drifted["created_at"] = json!("yesterday");
    fake.users.push(drifted);
    let fake = Arc::new(Mutex::new(fake));
    let calls_before = store.hook().calls.load(std::sync::atomic::Ordering::SeqCst);
    let options = BackfillOptions::default();
    let report = store
        .backfill(&api(&fake).await, &options, |_, _, _| {})
        .await
        .unwrap();
    let counts = |resource| {
        let r = report.resource(resource).unwrap();
        (
            r.listed,
            r.inserted,
            r.updated,
            r.stale,
            r.unchanged,
            r.unfit,
        )
    };
    assert_eq!(counts(Resource::Users), (31, 14, 4, 8, 4, 1), "{report}");
    assert_eq!(
        counts(Resource::Organizations),
        (30, 14, 4, 8, 4, 0),
        "{report}"
    );
    assert_eq!(
        counts(Resource::OrganizationMemberships),
        (30, 14, 4, 8, 4, 0),
        "{report}"
    );
    let calls = store.hook().calls.load(std::sync::atomic::Ordering::SeqCst) - calls_before;
    assert_eq!(
        calls,
        3 * (14 + 4),
        "the hook, once per row inserted or updated"
    );

    let user = |n: usize| {
        let store = &store;
        async move { store.user(&format!("user_{n}")).await.unwrap().unwrap() }
    };
    assert_eq!(user(0).await["updated_at"], 20, "a newer row is kept");
    assert_eq!(user(4).await["updated_at"], 10, "an older row is replaced");
    assert_eq!(user(4).await["first_name"], "v10");
    assert_eq!(user(8).await["deleted"], true, "a tombstone stays one");
    assert_eq!(
        user(12).await["first_name"],
        "from the webhook",
        "a tie keeps the webhook's"
    );
    assert_eq!(user(29).await["first_name"], "v10");
    assert!(
        store.user("user_30").await.unwrap().is_none(),
        "unfit: not applied"
    );
    let membership = store.membership("orgmem_13").await.unwrap().unwrap();
    assert_eq!(membership["role"], "from the webhook");
    let organization = store.organization("org_9").await.unwrap().unwrap();
    assert_eq!(organization["deleted"], true);
    let app_users = common::app_users(&store).await;
    assert_eq!(
        app_users
            .iter()
            .filter(|(_, _, name, _)| name.as_deref() == Some("v10"))
            .count(),
        14 + 4,
        "{app_users:?}"
    );
}

/// Webhook deliveries committed after the first page is served and before the second is:
/// the second page's older copies change none of them.
async fn a_delivery_between_two_pages_wins(store: SyncStore) {
    let fake = Arc::new(Mutex::new(fake_clerk(1_000, 0, 0)));
    let api = api(&fake).await;
    let (arrival, go) = pause_at(&fake, "/v1/users", 490);
    let deliveries = async {
        arrival.await.unwrap();
        // users 600, 700 and 800 are on the second page.
        let newer = upsert_body(Entity::User, 600, 99, false);
        store
            .apply((&webhook("m_newer", &newer)).into())
            .await
            .unwrap();
        let gone = delete_body(Entity::User, 700, 1_716_883_300);
        store
            .apply((&webhook("m_gone", &gone)).into())
            .await
            .unwrap();
        let tie = marked(Entity::User, 800, 10);
        store.apply((&webhook("m_tie", &tie)).into()).await.unwrap();
        go.send(()).unwrap();
    };
    let (report, ()) = tokio::join!(backfill(&store, &api, false), deliveries);
    assert!(report.is_complete(), "{report}");
    let users = report.resource(Resource::Users).unwrap();
    assert_eq!(
        (
            users.listed,
            users.inserted,
            users.stale,
            users.unchanged,
            users.updated
        ),
        (1_000, 997, 2, 1, 0),
        "{report}"
    );
    let row = |id: &'static str| {
        let store = &store;
        async move { store.user(id).await.unwrap().unwrap() }
    };
    let newer = row("user_600").await;
    assert_eq!(
        (newer["updated_at"].as_i64(), newer["first_name"].as_str()),
        (Some(99), Some("v99"))
    );
    assert_eq!(row("user_700").await["deleted"], true);
    assert_eq!(row("user_800").await["first_name"], "from the webhook");
    assert_eq!(row("user_601").await["first_name"], "v10");
}

/// A prune over 20,000 rows: of the 150 live rows the listing lacks (more than one batch of
/// candidates), the 100 Clerk answers 404 for become tombstones, exactly those; the 50 it
/// still has are applied, not pruned.
async fn a_prune_of_20_000_rows_tombstones_exactly_the_100_gone(store: SyncStore) {
    // 20,000 live rows, as a backfill of this listing leaves them (written directly: a
    // listing of 20,000 in a debug build takes seconds).
    sqlx::query(
        "WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999) \
         INSERT INTO clerk_users (id, first_name, created_at, updated_at, deleted) \
         SELECT 'user_' || CAST(i AS TEXT), 'v10', 1000, 10, FALSE FROM n",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let fake = Arc::new(Mutex::new(fake_clerk(20_000, 0, 0)));
    let api = api(&fake).await;
    let gone: Vec<String> = (0..100).map(|k| format!("user_{}", 7 + 200 * k)).collect();
    {
        let mut fake = fake.lock().unwrap();
        let (mut kept, mut unlisted) = (Vec::new(), Vec::new());
        for user in fake.users.drain(..) {
            let id = user["id"].as_str().unwrap().to_owned();
            let n: usize = id["user_".len()..].parse().unwrap();
            if gone.contains(&id) {
                continue;
            }
            if n % 400 == 13 {
                unlisted.push(user);
            } else {
                kept.push(user);
            }
        }
        assert_eq!((kept.len(), unlisted.len()), (19_850, 50));
        let index = kept
            .iter()
            .chain(&unlisted)
            .map(|user| (user["id"].as_str().unwrap().to_owned(), user.clone()));
        fake.lookup_index = Some(index.collect());
        fake.users = kept;
        fake.unlisted = unlisted;
    }
    let report = backfill(&store, &api, true).await;
    assert!(report.is_complete(), "{report}");
    let users = report.resource(Resource::Users).unwrap();
    assert_eq!(
        (users.listed, users.unchanged, users.present, users.pruned),
        (19_850, 19_900, 50, 100),
        "{report}"
    );
    let mut asked = fake.lock().unwrap().lookups.clone();
    assert_eq!(
        asked.len(),
        150,
        "one question per row absent from the listing"
    );
    asked.retain(|path| gone.iter().any(|id| path == &format!("/v1/users/{id}")));
    assert_eq!(asked.len(), 100);
    let snapshot = store.snapshot().await.unwrap();
    let tombstones: Vec<&str> = snapshot
        .users
        .iter()
        .filter(|row| row["deleted"] == true)
        .map(|row| row["id"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = gone.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(tombstones, expected);
    assert_eq!(snapshot.users.len(), 20_000);
}

/// A hook that fails in the middle of the second page: the backfill stops with the error,
/// and the whole page is rolled back (mirror rows and the app's rows alike), while the
/// first page stays applied. The next run applies the rest.
async fn a_hook_error_rolls_back_its_whole_page(store: SyncStore) {
    let store = common::with_app_users(store).await;
    let fake = Arc::new(Mutex::new(fake_clerk(1_000, 0, 0)));
    let api = api(&fake).await;
    *store.hook().fail_once_for.lock().unwrap() = Some("user_750".to_owned());
    let options = BackfillOptions::default();
    let error = store
        .backfill(&api, &options, |_, _, _| {})
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("injected failure for user_750"),
        "{error}"
    );
    let (mirrored, app_users) = (
        store.snapshot().await.unwrap(),
        common::app_users(&store).await,
    );
    assert_eq!(
        (mirrored.users.len(), app_users.len()),
        (500, 500),
        "the first page only"
    );
    for n in [500, 600, 749, 751, 989] {
        assert!(
            store.user(&format!("user_{n}")).await.unwrap().is_none(),
            "user_{n}"
        );
    }
    assert!(store.user("user_499").await.unwrap().is_some());
    let report = store.backfill(&api, &options, |_, _, _| {}).await.unwrap();
    let users = report.resource(Resource::Users).unwrap();
    assert_eq!((users.inserted, users.unchanged), (500, 500), "{report}");
    assert_eq!(common::app_users(&store).await.len(), 1_000);
}

/// Objects whose data no `serde_json::Value` can hold (nested 200 deep) still have an id:
/// they anchor pages, are listed once, are never pruned, and the run ends. A listing that
/// ignores its offset is reported stuck instead of looping.
async fn unparseable_objects_and_a_stuck_listing_end_the_run(store: SyncStore) {
    let mut fake = fake_clerk(30, 0, 0);
    for user in fake.users.iter_mut().skip(5) {
        let mut deep = json!("bottom");
        for _ in 0..200 {
            deep = json!({ "d": deep });
        }
        user["unsafe_metadata"] = deep;
    }
    let fake = Arc::new(Mutex::new(fake));
    let api = api(&fake).await;
    let options = BackfillOptions {
        prune: true,
        page_size: 2,
    };
    let run = store.backfill(&api, &options, |_, _, _| {});
    let report = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run ends")
        .unwrap();
    let users = report.resource(Resource::Users).unwrap();
    assert_eq!(
        (users.listed, users.inserted, users.unfit, users.pruned),
        (30, 5, 25, 0),
        "{report}"
    );

    fake.lock().unwrap().ignore_offset = true;
    let run = store.backfill(&api, &options, |_, _, _| {});
    let report = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run ends")
        .unwrap();
    let users = report.resource(Resource::Users).unwrap();
    assert!(
        users
            .incomplete
            .as_deref()
            .is_some_and(|reason| reason.contains("makes no progress")),
        "{report}"
    );
}

/// A webhook's insert that commits while a page is applied, after the page read which ids
/// the table holds (PostgreSQL: the page's insert waits for it, then leaves that row
/// alone), is read again and compared like any held row: here it is older than the listed
/// copy, which replaces it (`updated`, not `stale`).
#[tokio::test]
async fn an_insert_racing_the_page_is_read_again_on_postgres() {
    let store = common::postgres().await;
    let fake = Arc::new(Mutex::new(fake_clerk(3, 0, 0)));
    let api = api(&fake).await;
    let mut racer = store.pool().begin().await.unwrap();
    let racer_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *racer)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO clerk_users (id, first_name, updated_at, raw) \
         VALUES ('user_1', 'from the webhook', 5, CAST('{\"id\": \"user_1\"}' AS JSONB))",
    )
    .execute(&mut *racer)
    .await
    .unwrap();
    let watcher = store.pool().clone();
    let commit_once_blocked = async move {
        let started = Instant::now();
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
            )
            .bind(racer_pid)
            .fetch_one(&watcher)
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the page never waited for the racing insert"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        racer.commit().await.unwrap();
    };
    let options = BackfillOptions::default();
    let (report, ()) = tokio::join!(
        store.backfill(&api, &options, |_, _, _| {}),
        commit_once_blocked
    );
    let report = report.unwrap();
    let users = report.resource(Resource::Users).unwrap();
    assert_eq!(
        (users.inserted, users.updated, users.stale),
        (2, 1, 0),
        "{report}"
    );
    let user = store.user("user_1").await.unwrap().unwrap();
    assert_eq!(
        user["updated_at"], 10,
        "the listed copy replaced the older row"
    );
}

/// Three backfills at once over a half-filled mirror (every page mixes rows held and rows
/// to insert) on PostgreSQL: none stops on a deadlock, and together they leave every user
/// once. (Locking the held rows before inserting the others, then locking the inserted
/// ones a webhook had raced, let two pages wait on each other in a cycle.)
#[tokio::test]
async fn three_backfills_at_once_over_a_half_filled_mirror_on_postgres() {
    let store = common::postgres().await;
    let users = 5_000;
    let mut odd = fake_clerk(users, 0, 0);
    odd.users = odd
        .users
        .into_iter()
        .enumerate()
        .filter(|(n, _)| n % 2 == 1)
        .map(|(_, user)| user)
        .collect();
    let half = Arc::new(Mutex::new(odd));
    let options = BackfillOptions::default();
    store
        .backfill(&api(&half).await, &options, |_, _, _| {})
        .await
        .unwrap();
    let all = Arc::new(Mutex::new(fake_clerk(users, 0, 0)));
    let api = api(&all).await;
    let (a, b, c) = tokio::join!(
        store.backfill(&api, &options, |_, _, _| {}),
        store.backfill(&api, &options, |_, _, _| {}),
        store.backfill(&api, &options, |_, _, _| {}),
    );
    let mut inserted = 0;
    for report in [a, b, c] {
        let report = report.unwrap_or_else(|error| panic!("a backfill stopped: {error}"));
        let listed = report.resource(Resource::Users).unwrap();
        assert_eq!(listed.listed, users, "{report}");
        inserted += listed.inserted;
    }
    assert_eq!(
        inserted,
        users / 2,
        "each missing user inserted by exactly one run"
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM clerk_users")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(rows, i64::try_from(users).unwrap());
}

/// A hook that overrides `on_changes`: what each call was given.
#[derive(Default)]
struct PageHook {
    /// The ids of each `on_changes` call, in order.
    batches: Mutex<Vec<Vec<String>>>,
    /// `on_change` calls (none expected from a backfill).
    singles: std::sync::atomic::AtomicUsize,
}

impl clerk_webhook_sync::SyncHook for PageHook {
    async fn on_change(
        &self,
        _change: &clerk_webhook_sync::MirrorChange<'_>,
        _tx: &mut sqlx::AnyConnection,
    ) -> Result<(), clerk_webhook_sync::HookError> {
        self.singles
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    async fn on_changes(
        &self,
        changes: &[clerk_webhook_sync::MirrorChange<'_>],
        _tx: &mut sqlx::AnyConnection,
    ) -> Result<(), clerk_webhook_sync::HookError> {
        let ids = changes.iter().map(|change| change.id.to_owned()).collect();
        self.batches.lock().unwrap().push(ids);
        Ok(())
    }
}

/// A backfill hands the hook each page's changes in one `on_changes` call: 1,100 users in
/// pages of 500 (overlapping by 10, whose rows are unchanged by then) are 3 calls of 500,
/// 490 and 110 distinct ids, every user once, and `on_change` is never called.
async fn a_backfill_hands_the_hook_one_call_per_page(store: SyncStore) {
    let store = store.with_hook(PageHook::default());
    let fake = Arc::new(Mutex::new(fake_clerk(1_100, 0, 0)));
    let report = store
        .backfill(&api(&fake).await, &BackfillOptions::default(), |_, _, _| {})
        .await
        .unwrap();
    assert_eq!(report.resource(Resource::Users).unwrap().inserted, 1_100);
    let batches = store.hook().batches.lock().unwrap().clone();
    let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
    assert_eq!(sizes, [500, 490, 110], "one call per page");
    let mut ids: Vec<&String> = batches.iter().flatten().collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1_100, "every user once");
    assert_eq!(
        store
            .hook()
            .singles
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

on_both_backends!(
    unparseable_objects_and_a_stuck_listing_end_the_run,
    a_backfill_hands_the_hook_one_call_per_page,
    a_backfill_and_a_prune_reach_the_hook,
    a_listing_loses_ties_against_a_delivery,
    lists_every_page_and_retries,
    races_webhooks_and_keeps_the_newest,
    prunes_only_after_a_complete_listing,
    one_deletion_during_the_listing_misses_nothing,
    many_deletions_during_the_listing_miss_nothing,
    a_prune_asks_clerk_before_tombstoning,
    a_mixed_page_gives_exact_counts,
    a_delivery_between_two_pages_wins,
    a_prune_of_20_000_rows_tombstones_exactly_the_100_gone,
    a_hook_error_rolls_back_its_whole_page
);
