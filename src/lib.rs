//! pricewatch: an Amazon price tracker that lives in chat.
//!
//! `domain` computes, `amazon` reads Amazon, `store` persists, `cli` is the
//! command line. `main.rs` only parses arguments and runs a role.

pub mod amazon;
pub mod app;
pub mod bots;
pub mod cache;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod ratelimit;
pub mod seen;
pub mod store;
pub mod telemetry;
pub mod tracking;
// Issue #6: email alerts.
pub mod email;

#[doc(hidden)]
pub mod test_support;

// The message catalogue in `locales/`; `i18n` is the typed way in.
rust_i18n::i18n!("locales", fallback = "en");
