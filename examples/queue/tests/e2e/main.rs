//! The queue example's real binary over loopback TCP: answered fast through
//! `clerk-webhook dev`, retried to the end, deduplicated, operated with `jobs` and
//! `retry-dead`, and three processes sharing PostgreSQL while one is killed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;
mod duplicates;
mod postgres;
mod retries;
mod settings;
mod through_dev;
