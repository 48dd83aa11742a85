#![no_main]
//! `cargo fuzz run discord`: see [`pricewatch_fuzz::discord`] for what it checks.

// The decoder turns a panic inside serenity into an error, so the hook must
// let the panic unwind to it; a panic anywhere else still reaches
// libfuzzer-sys, which aborts and records the input.
libfuzzer_sys::fuzz_target!(
    init: {
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| pricewatch_fuzz::discord(data)
);
