#![no_main]
//! `cargo fuzz run target`: see [`pricewatch_fuzz::target`] for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricewatch_fuzz::target(data));
