//! The one integration test binary: pricewatch against real services and
//! local fakes of the outside world.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod deploy;
mod discord;
mod doctor;
mod email;
mod fake_amazon;
mod fake_discord;
mod fake_openai;
mod fake_smtp;
mod fake_telegram;
mod faults;
mod fetch;
mod migrate;
mod multipart;
mod ops;
mod pages;
mod random_input;
mod readme;
mod scale;
mod startup;
mod support;
mod telegram;
mod tracking;
