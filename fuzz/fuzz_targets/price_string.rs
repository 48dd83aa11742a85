#![no_main]
//! `cargo fuzz run price_string`: see [`pricewatch_fuzz::price_string`] for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricewatch_fuzz::price_string(data));
