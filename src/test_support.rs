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

/// A unique name for this test's database or key prefix. When
/// `PRICEWATCH_TEST_RUN` is set (`.ci/run` sets it), the name carries it, so
/// that a run can look for what it left behind and only for that.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}{}{}_{}_{}",
        run_tag(),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// `PRICEWATCH_TEST_RUN` reduced to lowercase letters and digits, plus `_`.
fn run_tag() -> String {
    let tag: String = std::env::var("PRICEWATCH_TEST_RUN")
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(16)
        .collect();
    if tag.is_empty() {
        tag
    } else {
        format!("{tag}_")
    }
}

/// Runs `f` to completion on a runtime of its own, on a thread of its own:
/// usable from `Drop`, inside or outside a runtime.
fn block_on_aside<F>(f: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let worker = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(f);
        }
    });
    let _ = worker.join();
}

/// A PostgreSQL database made for one test: dropped, with any connection
/// still open to it, when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    admin: String,
    name: String,
}

impl TestDatabase {
    /// The database's URL, for `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl std::ops::Deref for TestDatabase {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        block_on_aside(async move {
            use sea_orm::{ConnectionTrait, Database};
            if let Ok(db) = Database::connect(&admin).await {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                if let Err(e) = db.execute_unprepared(&sql).await {
                    eprintln!("could not drop test database {name}: {e}");
                }
                let _ = db.close().await;
            }
        });
    }
}

/// Creates a fresh, empty PostgreSQL database; it is dropped again when the
/// returned value is.
///
/// The server comes from `PRICEWATCH_TEST_POSTGRES` (default
/// `postgres://postgres@127.0.0.1:5432/postgres`). Test databases are named
/// `pw_test_…`.
pub async fn fresh_postgres() -> Option<TestDatabase> {
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
    Some(TestDatabase {
        url: format!("{base}/{name}"),
        admin,
        name,
    })
}

/// A folder for one test under the system temp dir, removed with everything
/// in it when this value is dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh folder under the system temp dir (`pricewatch-test-…`).
pub fn temp_dir() -> TempDir {
    let p = std::env::temp_dir().join(unique_name("pricewatch-test-"));
    std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    TempDir(p)
}

/// The sorted set in which apalis lists every queue it has seen, whatever
/// the prefix.
const APALIS_QUEUES: &str = "core:apalis:queues:list";

/// The Redis keys of one test (everything under its prefix), deleted with
/// SCAN + UNLINK when this value is dropped; the test's queues leave
/// apalis's list of queues too.
#[derive(Debug)]
pub struct RedisKeys {
    url: String,
    prefix: String,
}

impl RedisKeys {
    /// A new unique prefix (`<name>…:`) on the Redis at `url`.
    pub fn new(url: &str, name: &str) -> RedisKeys {
        RedisKeys {
            url: url.to_string(),
            prefix: format!("{}:", unique_name(name)),
        }
    }

    /// The value for `REDIS_KEY_PREFIX`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn delete(&self) -> redis::RedisResult<()> {
        let client = redis::Client::open(self.url.as_str())?;
        let mut conn = client.get_connection()?;
        let pattern = format!("{}*", self.prefix);
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query(&mut conn)?;
            if !keys.is_empty() {
                redis::cmd("UNLINK").arg(&keys).query::<()>(&mut conn)?;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        let mut cursor = 0u64;
        loop {
            let (next, found): (u64, Vec<String>) = redis::cmd("ZSCAN")
                .arg(APALIS_QUEUES)
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query(&mut conn)?;
            // ZSCAN answers member, score, member, score …
            let members: Vec<&String> = found.iter().step_by(2).collect();
            if !members.is_empty() {
                redis::cmd("ZREM")
                    .arg(APALIS_QUEUES)
                    .arg(members)
                    .query::<()>(&mut conn)?;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        Ok(())
    }
}

impl Drop for RedisKeys {
    fn drop(&mut self) {
        if let Err(e) = self.delete() {
            eprintln!("could not delete test keys {}*: {e}", self.prefix);
        }
    }
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
