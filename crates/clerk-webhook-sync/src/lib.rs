#![doc = include_str!("../README.md")]

mod api;
mod backend;
mod backfill;
mod batch_sql;
mod change;
mod error;
mod hook;
mod listed_ids;
mod listed_page;
mod metrics;
mod outcome;
mod prefetch;
mod replay;
mod store;
mod tables;
#[cfg(feature = "testing")]
pub mod testing;

/// The sqlx this crate uses, for the code of a [`SyncHook`] (`AnyConnection`, queries,
/// migrations) without a second sqlx dependency to keep in step.
pub use sqlx;

pub use api::{
    API_URL_VAR, ClerkApi, DEFAULT_API_URL, MAX_PAGE_SIZE, Resource, RetryPolicy, SECRET_KEY_VAR,
};
pub use backend::Backend;
pub use backfill::{
    BackfillOptions, BackfillReport, MIN_PAGE_SIZE, PRUNE_MARGIN_MS, ResourceReport,
};
pub use change::{MIRRORED_EVENT_TYPES, SyncEvent, timestamp_millis};
pub use error::{BackfillError, SyncError};
pub use hook::{ChangeKind, HookError, MirrorChange, Mirrored, SyncHook};
pub use outcome::SyncOutcome;
pub use replay::{Quarantined, ReplayOutcome, ReplayReport, ReplayedDelivery};
pub use store::{
    DEFAULT_DATABASE_URL, DEFAULT_DATABASE_WAIT, MIGRATIONS_TABLE, Snapshot, StoreOptions,
    SyncStore,
};
