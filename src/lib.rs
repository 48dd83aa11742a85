//! pricewatch: an Amazon price tracker that lives in chat.
//!
//! `domain` computes, `amazon` reads Amazon, `store` persists, `cli` is the
//! command line. `main.rs` only parses arguments and runs a role.

pub mod amazon;
pub mod cli;
pub mod config;
pub mod domain;
pub mod store;
pub mod telemetry;

#[doc(hidden)]
pub mod test_support;
