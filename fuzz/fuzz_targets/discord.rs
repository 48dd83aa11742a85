#![no_main]
//! `cargo fuzz run discord`: see [`pricewatch_fuzz::discord`] for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricewatch_fuzz::discord(data));
