#![doc = include_str!("../README.md")]

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
