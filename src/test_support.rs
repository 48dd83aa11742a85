//! Where tests find the shared fixtures. Compiled only for tests.
//!
//! `PRICEWATCH_FIXTURES` names the fixtures folder (default `../shared/fixtures`
//! next to this repository); `PRICEWATCH_CORPUS` the Amazon pages (default
//! `$PRICEWATCH_FIXTURES/amazon`). Under `CI=true` a missing folder fails the
//! test; elsewhere the test says so and returns.

use std::path::PathBuf;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn existing(p: PathBuf, what: &str) -> Option<PathBuf> {
    if p.is_dir() {
        return Some(p);
    }
    assert!(!in_ci(), "{what} not found at {} (CI=true: failing, not skipping)", p.display());
    eprintln!("SKIPPED: {what} not found at {}", p.display());
    None
}

/// The shared fixtures folder, or `None` (outside CI) when it is missing.
pub fn fixtures_dir() -> Option<PathBuf> {
    let p = std::env::var_os("PRICEWATCH_FIXTURES").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures")),
        PathBuf::from,
    );
    existing(p, "fixtures folder (PRICEWATCH_FIXTURES)")
}

/// The folder of real Amazon pages with `expected.json`.
pub fn corpus_dir() -> Option<PathBuf> {
    match std::env::var_os("PRICEWATCH_CORPUS") {
        Some(p) => existing(PathBuf::from(p), "Amazon page corpus (PRICEWATCH_CORPUS)"),
        None => existing(fixtures_dir()?.join("amazon"), "Amazon page corpus"),
    }
}
