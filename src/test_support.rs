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
    assert!(
        !in_ci(),
        "{what} not found at {} (CI=true: failing, not skipping)",
        p.display()
    );
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

/// A unique name for this test's database or key prefix.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Creates a fresh, empty PostgreSQL database and returns its URL.
///
/// The server comes from `PRICEWATCH_TEST_POSTGRES` (default
/// `postgres://postgres@127.0.0.1:5432/postgres`). Test databases are named
/// `pw_test_…`; `.ci/run` drops leftovers before a run.
pub async fn fresh_postgres() -> Option<String> {
    use sea_orm::{ConnectionTrait, Database};
    let admin = std::env::var("PRICEWATCH_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = match Database::connect(&admin).await {
        Ok(db) => db,
        Err(e) => {
            assert!(
                !in_ci(),
                "PostgreSQL unreachable at {admin} (CI=true: failing): {e}"
            );
            eprintln!("SKIPPED: PostgreSQL unreachable at {admin}: {e}");
            return None;
        }
    };
    let name = unique_name("pw_test_");
    db.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let _ = db.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// A fresh folder under the system temp dir.
pub fn temp_dir() -> PathBuf {
    let p = std::env::temp_dir().join(unique_name("pricewatch-test-"));
    std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    p
}

/// The Redis URL for tests (`PRICEWATCH_TEST_REDIS`, default
/// `redis://127.0.0.1:6379`) after checking it answers; `None` outside CI
/// when it does not. Give each test its own key prefix ([`unique_name`]).
pub async fn redis_url() -> Option<String> {
    let url =
        std::env::var("PRICEWATCH_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let ok = match redis::Client::open(url.as_str()) {
        Ok(c) => match c.get_multiplexed_async_connection().await {
            Ok(mut conn) => redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .is_ok(),
            Err(_) => false,
        },
        Err(_) => false,
    };
    if ok {
        return Some(url);
    }
    assert!(
        !in_ci(),
        "Redis unreachable at {url} (CI=true: failing, not skipping)"
    );
    eprintln!("SKIPPED: Redis unreachable at {url}");
    None
}
