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

/// What an older version, whose types were stricter, left in quarantine: `body` fits today.
pub async fn quarantined_by_an_older_version<H: clerk_webhook_sync::SyncHook>(
    store: &SyncStore<H>,
    id: &str,
    body: &serde_json::Value,
) {
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

/// The application-owned table a hook keeps in step, as `example-sync` has it.
pub const APP_USERS: &str = "CREATE TABLE app_users (id TEXT PRIMARY KEY, email TEXT, \
     display_name TEXT, deleted BOOLEAN NOT NULL)";

/// A hook writing `app_users`, counting its calls, and failing once for one id if asked.
#[derive(Default)]
pub struct AppUsers {
    pub calls: std::sync::atomic::AtomicUsize,
    pub fail_once_for: std::sync::Mutex<Option<String>>,
}

impl clerk_webhook_sync::SyncHook for AppUsers {
    async fn on_change(
        &self,
        change: &clerk_webhook_sync::MirrorChange<'_>,
        tx: &mut sqlx::AnyConnection,
    ) -> Result<(), clerk_webhook_sync::HookError> {
        use clerk_webhook_sync::{Mirrored, Resource};
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        {
            let mut fail = self.fail_once_for.lock().unwrap();
            if fail.as_deref() == Some(change.id) {
                *fail = None;
                return Err(format!("injected failure for {}", change.id).into());
            }
        }
        let (email, display_name, deleted) = match change.object {
            Mirrored::User(user) => {
                let email = user.primary_email_address().map(str::to_owned);
                let name = format!(
                    "{} {}",
                    user.first_name.as_deref().unwrap_or_default(),
                    user.last_name.as_deref().unwrap_or_default()
                );
                let name = Some(name.trim().to_owned())
                    .filter(|name| !name.is_empty())
                    .or_else(|| user.username.clone())
                    .or_else(|| email.clone());
                (email, name, false)
            }
            Mirrored::Deleted if change.resource == Resource::Users => (None, None, true),
            _ => return Ok(()),
        };
        sqlx::query(
            "INSERT INTO app_users (id, email, display_name, deleted) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET email = excluded.email, \
             display_name = excluded.display_name, deleted = excluded.deleted",
        )
        .bind(change.id)
        .bind(email)
        .bind(display_name)
        .bind(deleted)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// `store` with an [`AppUsers`] hook and its table.
pub async fn with_app_users(store: SyncStore) -> SyncStore<AppUsers> {
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    let migrator = Migrator::with_migrations(vec![Migration::new(
        1,
        "app_users".into(),
        MigrationType::Simple,
        sqlx::SqlStr::from_static(APP_USERS),
        false,
    )]);
    let store = store.with_hook(AppUsers::default());
    store.run_migrations(&migrator).await.unwrap();
    store
}

/// Every `app_users` row, by id.
pub async fn app_users<H>(
    store: &SyncStore<H>,
) -> Vec<(String, Option<String>, Option<String>, bool)>
where
    H: clerk_webhook_sync::SyncHook,
{
    use sqlx::Row as _;
    sqlx::query("SELECT id, email, display_name, CAST(deleted AS INTEGER) AS deleted FROM app_users ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| {
            (
                row.get("id"),
                row.get("email"),
                row.get("display_name"),
                row.get::<i64, _>("deleted") != 0,
            )
        })
        .collect()
}
