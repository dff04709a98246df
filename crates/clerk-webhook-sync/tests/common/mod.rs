//! Stores on both backends, and signed deliveries to apply.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)] // Test helpers fail by panicking.

use std::time::{Duration, UNIX_EPOCH};

use clerk_webhook_core::testing::SignedDelivery;
use clerk_webhook_core::{VerifiedWebhook, WebhookVerifier};
use clerk_webhook_sync::SyncStore;

/// A fresh SQLite store.
pub async fn sqlite() -> SyncStore {
    clerk_webhook_sync::testing::sqlite_store().await.unwrap()
}

/// A fresh PostgreSQL store (a test using it fails, saying why, without PostgreSQL).
pub async fn postgres() -> SyncStore {
    clerk_webhook_sync::testing::postgres_store().await.unwrap()
}

/// For each `check(store: SyncStore)` named, a module of two tests: `check::on_sqlite`
/// and `check::on_postgres` (the server at `CLERK_SYNC_TEST_POSTGRES_URL`, by default
/// 127.0.0.1:5432).
#[macro_export]
macro_rules! on_both_backends {
    ($($check:ident),* $(,)?) => {$(
        mod $check {
            #[tokio::test]
            async fn on_sqlite() {
                super::$check(super::common::sqlite().await).await;
            }

            #[tokio::test]
            async fn on_postgres() {
                super::$check(super::common::postgres().await).await;
            }
        }
    )*};
}

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// `body` as a verified delivery with message id `id`.
pub fn webhook(id: &str, body: &serde_json::Value) -> VerifiedWebhook {
    let verifier = WebhookVerifier::new(SECRET).unwrap();
    let now = 1_716_883_200;
    let at = UNIX_EPOCH + Duration::from_secs(1_716_883_200);
    SignedDelivery::sign(&verifier, id, now, body.to_string())
        .verify_with(&verifier, at)
        .unwrap()
}

/// The kinds of entity the store mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    User,
    Organization,
    Membership,
}

impl Entity {
    pub fn prefix(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Organization => "organization",
            Self::Membership => "organizationMembership",
        }
    }

    pub fn id(self, n: usize) -> String {
        match self {
            Self::User => format!("user_{n}"),
            Self::Organization => format!("org_{n}"),
            Self::Membership => format!("orgmem_{n}"),
        }
    }
}

/// A create or update of `entity` number `n`, version `version` (its `updated_at`).
pub fn upsert_body(entity: Entity, n: usize, version: i64, created: bool) -> serde_json::Value {
    let id = entity.id(n);
    let action = if created { "created" } else { "updated" };
    let data = match entity {
        Entity::User => serde_json::json!({
            "object": "user", "id": id, "first_name": format!("v{version}"), "last_name": null,
            "username": format!("u{n}"), "external_id": null, "image_url": "https://img/x",
            "primary_email_address_id": "idn_1",
            "email_addresses": [{"id": "idn_1", "email_address": format!("u{n}.v{version}@example.com")}],
            "public_metadata": {"version": version}, "private_metadata": null, "unsafe_metadata": {},
            "created_at": 1000, "updated_at": version,
        }),
        Entity::Organization => serde_json::json!({
            "object": "organization", "id": id, "name": format!("Org v{version}"), "slug": format!("org-{n}"),
            "public_metadata": {"version": version}, "private_metadata": {}, "created_at": 1000, "updated_at": version,
        }),
        Entity::Membership => serde_json::json!({
            "object": "organization_membership", "id": id, "role": format!("org:role_v{version}"),
            "organization": {"id": format!("org_{n}")}, "public_user_data": {"user_id": format!("user_{n}")},
            "created_at": 1000, "updated_at": version,
        }),
    };
    serde_json::json!({"type": format!("{}.{action}", entity.prefix()), "object": "event", "timestamp": 1_716_883_200 + version, "data": data})
}

/// The deletion of `entity` number `n`, at envelope time `timestamp` (seconds).
pub fn delete_body(entity: Entity, n: usize, timestamp: i64) -> serde_json::Value {
    let id = entity.id(n);
    let data = match entity {
        Entity::Membership => serde_json::json!({
            "object": "organization_membership", "id": id, "role": "org:member",
            "organization": {"id": format!("org_{n}")}, "public_user_data": {"user_id": format!("user_{n}")},
            "created_at": 1000, "updated_at": 99_999,
        }),
        Entity::User | Entity::Organization => {
            serde_json::json!({"object": entity.prefix(), "id": id, "deleted": true})
        }
    };
    serde_json::json!({"type": format!("{}.deleted", entity.prefix()), "object": "event", "timestamp": timestamp, "data": data})
}
