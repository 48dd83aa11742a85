//! pricewatch: an Amazon price tracker that lives in chat.
//!
//! `domain` computes, `amazon` reads Amazon, `store` persists, `cli` is the
//! command line. `main.rs` only parses arguments and runs a role.

pub mod amazon;
pub mod app;
pub mod cache;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod ratelimit;
pub mod store;
pub mod telemetry;
pub mod tracking;

#[doc(hidden)]
pub mod test_support;
