//! Mirror Clerk users, organizations and memberships into your database from verified
//! webhooks, correctly under at-least-once, out-of-order delivery.
//!
//! Svix delivers each message at least once (a retry repeats the `svix-id` with a new
//! timestamp and signature, for about 28 hours) and in no guaranteed order. [`SyncStore`]
//! applies each delivery in one transaction together with a ledger keyed by `svix-id`:
//!
//! | event | effect | outcome |
//! |---|---|---|
//! | a `svix-id` seen before | nothing | `duplicate` |
//! | `user.created`/`.updated` (likewise `organization.*`, `organizationMembership.*`) | upsert, only over a live row whose `updated_at` is not newer | `inserted`, `updated` or `stale` |
//! | `user.deleted` (likewise `organization.deleted`, `organizationMembership.deleted`) | tombstone: data cleared, `deleted = true`, `deleted_at` = the envelope timestamp in ms (or the receive time); terminal, even when it arrives first | `deleted` |
//! | one of [`MIRRORED_EVENT_TYPES`] whose `data` does not fit the types ([`ClerkEvent::Mismatched`](clerk_webhook_core::ClerkEvent::Mismatched): Clerk changed a field) | the body kept as received in `clerk_webhook_quarantine`; answer 2xx: it is not lost, and not retried for 28 hours | `quarantined` |
//! | anything else | recorded in the ledger | `ignored` |
//!
//! The ordering guards are in SQL (conditional upserts), not in-process locks, so several
//! receivers sharing one PostgreSQL converge too. A tombstone clears the row's data, so the
//! final state does not depend on what arrived before it.
//!
//! # Tables
//!
//! Created by embedded migrations at start-up. Their names and columns are a public
//! contract; times are integer Unix milliseconds as Clerk sends them; metadata and `raw`
//! (the event's `data` as received) are JSON text on SQLite and `JSONB` on PostgreSQL.
//!
//! - `clerk_webhook_deliveries(svix_id PRIMARY KEY, event_type, received_at)`
//! - `clerk_users(id PRIMARY KEY, external_id, primary_email_address, username, first_name,
//!   last_name, image_url, public_metadata, private_metadata, unsafe_metadata, created_at,
//!   updated_at, deleted, deleted_at, raw)`
//! - `clerk_organizations(id PRIMARY KEY, name, slug, image_url, public_metadata,
//!   private_metadata, created_at, updated_at, deleted, deleted_at, raw)`
//! - `clerk_organization_memberships(id PRIMARY KEY, organization_id, user_id, role,
//!   created_at, updated_at, deleted, deleted_at, raw)`
//! - `clerk_webhook_quarantine(svix_id PRIMARY KEY, event_type, error, body, received_at)`
//!
//! # When Clerk changes a field: quarantine, upgrade, replay
//!
//! A delivery of a mirrored type whose data does not fit this version's types is written to
//! `clerk_webhook_quarantine` in the same transaction as its ledger row, and the outcome is
//! [`SyncOutcome::Quarantined`]: answer it 2xx. To apply what was quarantined:
//!
//! 1. Deploy a version of `clerk-webhook-core` whose types follow Clerk's change (the log
//!    says which event type and field did not fit).
//! 2. Run [`SyncStore::replay_quarantined`] once (`example-sync replay`). Each delivery
//!    that now fits is applied through the same guards as a live one, so a late replay
//!    never overwrites newer data and never resurrects a tombstone, and leaves quarantine;
//!    the rest stay, with the current reason. The [`ReplayReport`] lists every delivery
//!    (applied, stale, still quarantined).
//!
//! ## Private data
//!
//! The tables are a copy of what Clerk's backend knows, not what a user may see. These
//! columns hold private data: never serve them from an API without deciding, field by field,
//! what to show (`example-sync` answers an explicit public projection, behind a token).
//!
//! | column | why it is private |
//! |---|---|
//! | `private_metadata` (users, organizations) | Clerk's backend-only metadata: apps keep billing ids, roles and internal flags there |
//! | `unsafe_metadata` (users) | written by the user's own browser: untrusted, and the user's own business |
//! | `raw` (every table) | the whole Clerk object: every email address, phone number, external account and both metadata above |
//! | `external_id`, `primary_email_address` (users) | your app's own id for the user; personal data, for the user and your own tools |
//!
//! [`SyncStore::user`] and the other readers return every column: project before you serve.
//!
//! # Example
//!
//! ```
//! use clerk_webhook_core::WebhookVerifier;
//! use clerk_webhook_sync::{SyncOutcome, SyncStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("clerk-sync-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let url = format!("sqlite://{}/doc.db", dir.display());
//! let store = SyncStore::connect(&url).await?; // or DATABASE_URL, e.g. postgres://…
//! # let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! # let body = br#"{"type":"user.created","data":{"id":"user_1","updated_at":1}}"#;
//! # let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
//! # let (ts, sig) = (now.to_string(), verifier.sign("msg_1", now, body));
//! # let headers = [("svix-id", "msg_1"), ("svix-timestamp", ts.as_str()), ("svix-signature", sig.as_str())];
//! let webhook = verifier.verify(&headers, body.as_slice())?;
//! assert_eq!(store.apply((&webhook).into()).await?, SyncOutcome::Inserted);
//! // Svix retries the same message: nothing changes.
//! assert_eq!(store.apply((&webhook).into()).await?, SyncOutcome::Duplicate);
//! assert!(store.user("user_1").await?.is_some());
//! # Ok(())
//! # }
//! ```

mod backend;
mod change;
mod error;
mod outcome;
mod replay;
mod store;
mod tables;
#[cfg(feature = "testing")]
pub mod testing;

pub use backend::Backend;
pub use change::{MIRRORED_EVENT_TYPES, SyncEvent, timestamp_millis};
pub use error::SyncError;
pub use outcome::SyncOutcome;
pub use replay::{Quarantined, ReplayOutcome, ReplayReport, ReplayedDelivery};
pub use store::{DEFAULT_DATABASE_URL, Snapshot, SyncStore};
