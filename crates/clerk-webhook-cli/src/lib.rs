#![doc = include_str!("../README.md")]

pub mod check;
pub mod delivery;
pub mod dev;
pub mod ids;
pub mod offline;
pub mod replay;
pub mod send;
pub mod soak;

pub use delivery::{Answer, CliError, Deliverer, SignedDelivery, sign_now};
