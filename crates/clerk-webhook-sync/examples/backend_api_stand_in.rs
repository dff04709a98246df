//! A local stand-in for the three listings of Clerk's Backend API (and the single-object
//! look-ups a prune makes), to measure `example-sync backfill` without Clerk: see
//! `scripts/bench-backfill.sh`. Objects are Clerk's published samples with their ids,
//! emails and times made unique; each answer is held back so that one connection gets
//! about `OBJECTS_PER_SECOND` objects a second, as from Clerk's API.
//!
//! ```text
//! PORT=3940 USERS=100000 ORGANIZATIONS=500 MEMBERSHIPS=5000 OBJECTS_PER_SECOND=20000 \
//!   cargo run --release -p clerk-webhook-sync --example backend_api_stand_in
//! ```
//!
//! Any `Authorization: Bearer sk_…` is accepted. `UPDATED_AT` (default 1) sets every
//! object's `updated_at`: raise it between two runs to make a backfill update every row.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark tool: a bad setting stops it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// The instance served: each kind of object as JSON text with placeholders, filled in
/// per object (cheap enough to serve tens of thousands a second).
struct Instance {
    users: usize,
    organizations: usize,
    memberships: usize,
    objects_per_second: f64,
    updated_at: i64,
    user: String,
    organization: String,
    membership: String,
}

/// Listed objects are ordered by `created_at`: object `n` was created at `EPOCH + n` ms.
const EPOCH: i64 = 1_700_000_000_000;

/// Replaced by the object's number (9 digits), and by its times.
const N: &str = "@N@";
const CREATED: &str = "\"@CREATED@\"";
const UPDATED: &str = "\"@UPDATED@\"";
/// Replaced by the membership's organization, and its user's number.
const ORGANIZATION: &str = "\"@ORGANIZATION@\"";
const USER: &str = "@USER@";

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .map(|value| {
            value.parse().unwrap_or_else(|_| {
                eprintln!("{name}={value:?} is not a number");
                std::process::exit(2)
            })
        })
        .unwrap_or(default)
}

fn sample(event_type: &str) -> Value {
    let body: Value =
        serde_json::from_str(clerk_webhook_core::samples::sample(event_type).unwrap()).unwrap();
    body["data"].clone()
}

impl Instance {
    fn from_env() -> Self {
        let times = |object: &mut Value| {
            object["created_at"] = json!("@CREATED@");
            object["updated_at"] = json!("@UPDATED@");
        };
        let mut user = sample("user.created");
        user["id"] = json!(format!("user_{N}"));
        user["username"] = json!(format!("user{N}"));
        user["primary_email_address_id"] = json!(format!("idn_{N}"));
        user["email_addresses"] = json!([{
            "object": "email_address", "id": format!("idn_{N}"),
            "email_address": format!("user{N}@example.com"),
            "reserved": false, "linked_to": [],
            "verification": {"object": "verification_otp", "status": "verified",
                "strategy": "email_code", "attempts": 1, "expire_at": 1_716_883_800_000_i64},
            "created_at": "@CREATED@", "updated_at": "@UPDATED@"
        }]);
        user["public_metadata"] = json!({"plan": "pro", "number": N});
        times(&mut user);
        let mut organization = sample("organization.created");
        organization["id"] = json!(format!("org_{N}"));
        organization["slug"] = json!(format!("org-{N}"));
        organization["name"] = json!(format!("Organization {N}"));
        times(&mut organization);
        let mut membership = sample("organizationMembership.created");
        membership["id"] = json!(format!("orgmem_{N}"));
        membership["organization"] = json!("@ORGANIZATION@");
        membership["public_user_data"]["user_id"] = json!(format!("user_{USER}"));
        times(&mut membership);
        Self {
            users: setting("USERS", 100_000),
            organizations: setting("ORGANIZATIONS", 500),
            memberships: setting("MEMBERSHIPS", 5_000),
            objects_per_second: setting("OBJECTS_PER_SECOND", 20_000.0),
            updated_at: setting("UPDATED_AT", 1),
            user: user.to_string(),
            organization: organization.to_string(),
            membership: membership.to_string(),
        }
    }

    /// `template` for object `n`.
    fn fill(&self, template: &str, n: usize) -> String {
        let time = EPOCH + n as i64;
        template
            .replace(N, &format!("{n:09}"))
            .replace(CREATED, &time.to_string())
            .replace(UPDATED, &(time + self.updated_at).to_string())
    }

    fn user(&self, n: usize) -> String {
        self.fill(&self.user, n)
    }

    fn organization(&self, n: usize) -> String {
        self.fill(&self.organization, n)
    }

    fn membership(&self, n: usize) -> String {
        let organization = self.organization(n % self.organizations.max(1));
        self.fill(&self.membership, n)
            .replace(ORGANIZATION, &organization)
            .replace(USER, &format!("{:09}", n % self.users.max(1)))
    }
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("Bearer sk_"))
}

async fn listing(
    instance: &Instance,
    path: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Response {
    let started = Instant::now();
    if !authorized(headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let number = |name: &str, default: usize| {
        query
            .get(name)
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    let (limit, offset) = (number("limit", 10).min(500), number("offset", 0));
    let (total, object): (usize, fn(&Instance, usize) -> String) = match path {
        "users" => (instance.users, Instance::user),
        "organizations" => (instance.organizations, Instance::organization),
        _ => (instance.memberships, Instance::membership),
    };
    let end = total.min(offset.saturating_add(limit));
    let objects: Vec<String> = (offset.min(end)..end)
        .map(|n| object(instance, n))
        .collect();
    if instance.objects_per_second > 0.0 {
        // The page takes as long as Clerk would take to serve it.
        let due = Duration::from_secs_f64(objects.len() as f64 / instance.objects_per_second);
        tokio::time::sleep(due.saturating_sub(started.elapsed())).await;
    }
    let objects = objects.join(",");
    json_response(if path == "users" {
        format!("[{objects}]")
    } else {
        format!("{{\"data\":[{objects}],\"total_count\":{total}}}")
    })
}

/// `GET /v1/users/{id}` and `/v1/organizations/{id}`: the object, or 404.
fn lookup(instance: &Instance, path: &str, headers: &HeaderMap, id: &str) -> Response {
    if !authorized(headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let (prefix, total, object): (&str, usize, fn(&Instance, usize) -> String) = match path {
        "users" => ("user_", instance.users, Instance::user),
        _ => ("org_", instance.organizations, Instance::organization),
    };
    match id
        .strip_prefix(prefix)
        .and_then(|n| n.parse::<usize>().ok())
    {
        Some(n) if n < total => json_response(object(instance, n)),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::main]
async fn main() {
    let instance = Arc::new(Instance::from_env());
    let port: u16 = setting("PORT", 3940);
    let list = |path: &'static str| {
        get(
            move |State(instance): State<Arc<Instance>>,
                  headers: HeaderMap,
                  Query(query): Query<HashMap<String, String>>| async move {
                listing(&instance, path, &headers, &query).await
            },
        )
    };
    let find = |path: &'static str| {
        get(
            move |State(instance): State<Arc<Instance>>,
                  headers: HeaderMap,
                  Path(id): Path<String>| async move {
                lookup(&instance, path, &headers, &id)
            },
        )
    };
    let app = Router::new()
        .route("/v1/users", list("users"))
        .route("/v1/organizations", list("organizations"))
        .route("/v1/organization_memberships", list("memberships"))
        .route("/v1/users/{id}", find("users"))
        .route("/v1/organizations/{id}", find("organizations"))
        // Not served: a prune asking about a membership stops, incomplete, and never
        // tombstones on a 404 of the router's.
        .route(
            "/v1/organizations/{id}/memberships",
            get(|| async { (StatusCode::NOT_IMPLEMENTED, "not served by the stand-in") }),
        )
        .with_state(Arc::clone(&instance));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free");
    eprintln!(
        "Backend API stand-in on http://127.0.0.1:{port}: {} users, {} organizations, {} memberships, {} objects/s",
        instance.users, instance.organizations, instance.memberships, instance.objects_per_second
    );
    axum::serve(listener, app).await.unwrap();
}
