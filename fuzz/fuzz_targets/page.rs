#![no_main]
//! `cargo fuzz run page`: see [`pricewatch_fuzz::page`] for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricewatch_fuzz::page(data));
