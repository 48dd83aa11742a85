#![no_main]
//! `cargo fuzz run telegram`: see [`pricewatch_fuzz::telegram`] for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricewatch_fuzz::telegram(data));
