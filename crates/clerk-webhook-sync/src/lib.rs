#![doc = include_str!("../README.md")]

mod api;
mod backend;
mod backfill;
mod change;
mod error;
mod outcome;
mod replay;
mod store;
mod tables;
#[cfg(feature = "testing")]
pub mod testing;

pub use api::{
    API_URL_VAR, ClerkApi, DEFAULT_API_URL, MAX_PAGE_SIZE, Resource, RetryPolicy, SECRET_KEY_VAR,
};
pub use backend::Backend;
pub use backfill::{BackfillOptions, BackfillReport, PRUNE_MARGIN_MS, ResourceReport};
pub use change::{MIRRORED_EVENT_TYPES, SyncEvent, timestamp_millis};
pub use error::{BackfillError, SyncError};
pub use outcome::SyncOutcome;
pub use replay::{Quarantined, ReplayOutcome, ReplayReport, ReplayedDelivery};
pub use store::{DEFAULT_DATABASE_URL, Snapshot, SyncStore};
