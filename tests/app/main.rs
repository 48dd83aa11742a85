//! The one integration test binary: pricewatch against real services and
//! local fakes of the outside world.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod deploy;
mod email;
mod fake_amazon;
mod fake_openai;
mod fake_smtp;
mod fetch;
mod migrate;
mod ops;
mod scale;
mod support;
mod tracking;
