#![no_main]
//! `cargo fuzz run email`: see [`pricewatch_fuzz::email`] for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricewatch_fuzz::email(data));
