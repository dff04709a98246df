//! `clerk-webhook`: test Clerk webhooks locally, with no ngrok and no Clerk account.
//!
//! - `send`: deliver realistic sample events, signed exactly as Svix signs them, to your
//!   local server, and measure throughput and latency;
//! - `sign` / `verify`: sign a payload, or verify a captured delivery, offline;
//! - `check`: audit any webhook endpoint, in any language, against forged, replayed,
//!   re-serialized and oversized deliveries;
//! - `soak`: many mixed deliveries (valid, duplicate, tampered, stale, oversized) at full
//!   speed, each judged by the answer it must get, with the server's memory sampled;
//! - `samples`, `secret`: list sample payloads; make a fresh development secret.
//!
//! The binary is a thin layer over this library, which the tests drive directly.

pub mod check;
pub mod delivery;
pub mod ids;
pub mod offline;
pub mod send;
pub mod soak;

pub use delivery::{Answer, CliError, Deliverer, SignedDelivery, sign_now};
