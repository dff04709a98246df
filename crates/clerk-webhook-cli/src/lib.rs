#![doc = include_str!("../README.md")]

pub mod check;
pub mod delivery;
pub mod ids;
pub mod offline;
pub mod replay;
pub mod send;
pub mod soak;

pub use delivery::{Answer, CliError, Deliverer, SignedDelivery, sign_now};

/// `clerk-webhook dev`'s engine, store, API and console: the `clerk-webhook-dev` crate.
pub use clerk_webhook_dev as dev;
