#![no_main]
//! `cargo fuzz run url`: see [`pricewatch_fuzz::url`] for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| pricewatch_fuzz::url(data));
