//! Starting `pricewatch` as a newcomer does: a network that is not there yet,
//! settings that do not fit together, a database that was never migrated.
//! Each case is the real binary; the test reads what the operator reads.

use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};

use pricewatch::test_support::{fresh_postgres, redis_url, temp_dir};
use sea_orm::{ConnectionTrait, Database, Statement};
use tokio::io::AsyncBufReadExt;

use crate::fake_telegram::{FakeTelegram, TOKEN, private_text};
use crate::support::eventually;

fn bin() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .kill_on_drop(true);
    cmd
}

/// Runs `pricewatch args` in `cwd` with only `env`, to the end.
async fn pricewatch(args: &[&str], cwd: &std::path::Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = bin();
    cmd.args(args).current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A local port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A running `pricewatch run` whose log lines are collected as they come.
struct Running {
    child: tokio::process::Child,
    log: Arc<Mutex<String>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Running {
    fn start(cwd: &std::path::Path, env: &[(&str, String)]) -> Running {
        let mut cmd = bin();
        cmd.arg("run")
            .current_dir(cwd)
            .stderr(Stdio::piped())
            .stdout(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        let reader = tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Running { child, log, reader }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    async fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().unwrap().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let status = tokio::time::timeout(std::time::Duration::from_secs(40), self.child.wait())
            .await
            .expect("pricewatch run did not stop within 40 s of SIGTERM")
            .unwrap();
        // The reader ends when the pipe closes.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.reader).await;
        let log = self.log.lock().unwrap().clone();
        (status, log)
    }
}

async fn healthz(port: u16) -> Option<String> {
    pricewatch::amazon::fetch::install_crypto_provider();
    let r = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .ok()?;
    r.status().is_success().then_some(())?;
    r.text().await.ok()
}

/// Issue 13, item 1: Telegram is unreachable when `run` starts. The process
/// stays up and healthy, says it is retrying, and the bot answers once the
/// Bot API comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_unreachable_at_start_keeps_run_up_until_it_comes_back() {
    let dir = temp_dir();
    let api_port = free_port();
    let port = free_port();
    let run = Running::start(
        &dir,
        &[
            ("TELEGRAM_BOT_TOKEN", TOKEN.into()),
            ("TELEGRAM_API_URL", format!("http://127.0.0.1:{api_port}")),
            ("PORT", port.to_string()),
            ("RUST_LOG", "info".into()),
        ],
    );
    let log = run.log.clone();
    eventually(30, "a retry message in the log", || {
        let log = log.clone();
        async move {
            log.lock()
                .unwrap()
                .contains("cannot reach Telegram, retrying in")
        }
    })
    .await;
    eventually(30, "/healthz to answer", || async move {
        healthz(port).await.as_deref() == Some("ok")
    })
    .await;
    assert!(!run.log().contains("Telegram bot is up"), "{}", run.log());

    // The Bot API comes up where the bot keeps looking.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", api_port))
        .await
        .unwrap();
    let tg = FakeTelegram::start_on(listener);
    let Some(update) = private_text(5151, "en", "/start") else {
        return;
    };
    tg.push(update);
    let hello = tg.wait_for(5151, 1).await;
    assert!(
        hello[0].text().starts_with("Hi! I watch Amazon prices"),
        "{}",
        hello[0].text()
    );
    let (status, log) = run.stop().await;
    assert!(status.success(), "{log}");
    assert!(log.contains("Telegram bot is up"), "{log}");
    assert!(
        !log.contains(TOKEN.split(':').nth(1).unwrap()),
        "the token leaked into the log"
    );
    assert!(!log.contains("Check the token"), "{log}");
}

/// A token Telegram rejects (401) stops `run` with that reason, said once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_telegram_rejects_stops_run_with_that_reason_once() {
    let dir = temp_dir();
    let tg = FakeTelegram::start().await;
    let out = pricewatch(
        &["run"],
        &dir,
        &[
            (
                "TELEGRAM_BOT_TOKEN",
                "123456789:AAWrongWrongWrongWrongWrongWrong",
            ),
            ("TELEGRAM_API_URL", &tg.url()),
            ("PORT", &free_port().to_string()),
        ],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.matches("Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized)")
            .count(),
        1,
        "{err}"
    );
    assert!(!err.contains("retrying"), "{err}");
    assert!(!err.contains("AAWrongWrong"), "the token leaked: {err}");
}

async fn has_table(url: &str, table: &str) -> bool {
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => format!(
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = '{table}'"
        ),
        _ => format!("SELECT count(*) AS n FROM sqlite_master WHERE name = '{table}'"),
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    let n = row.try_get::<i64>("", "n").unwrap();
    let _ = db.close().await;
    n == 1
}

/// Item 2: PostgreSQL without Redis is refused before anything is written,
/// in one sentence.
#[tokio::test]
async fn postgres_without_redis_stops_before_migrating_and_says_so_once() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let dir = temp_dir();
    let out = pricewatch(&["run"], &dir, &[("DATABASE_URL", db.url())]).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.trim(),
        "pricewatch stopped: DATABASE_URL is PostgreSQL, so REDIS_URL must be set too: \
         the job queues and the shared cache live in Redis."
    );
    assert!(
        !has_table(&db, "seaql_migrations").await,
        "migrations ran before the settings were checked"
    );
}

/// Item 3: a worker (or `run --no-migrate`) on a database that was never
/// migrated says what to do, once, and stops.
#[tokio::test]
async fn an_unmigrated_database_asks_for_pricewatch_migrate_once() {
    let dir = temp_dir();
    let db = format!("sqlite:{}", dir.join("fresh.db").display());
    for args in [&["worker"][..], &["run", "--no-migrate"][..]] {
        let out = pricewatch(
            args,
            &dir,
            &[("DATABASE_URL", &db), ("PORT", &free_port().to_string())],
        )
        .await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(
            err.matches("run `pricewatch migrate` first").count(),
            1,
            "{args:?}: {err}"
        );
        assert!(!err.contains("no such table"), "{args:?}: {err}");
    }
    // Scaled mode: the same sentence.
    let (Some(pg), Some(redis)) = (fresh_postgres().await, redis_url().await) else {
        return;
    };
    let keys = pricewatch::test_support::RedisKeys::new(&redis, "pwt");
    let out = pricewatch(
        &["worker"],
        &dir,
        &[
            ("DATABASE_URL", pg.url()),
            ("REDIS_URL", &redis),
            ("REDIS_KEY_PREFIX", keys.prefix()),
        ],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("run `pricewatch migrate` first"), "{err}");
}

/// Item 3: nothing listens where DATABASE_URL points: the connect error at
/// once, not a pool timing out.
#[tokio::test]
async fn a_refused_postgres_connection_is_reported_as_such() {
    let dir = temp_dir();
    let url = format!(
        "postgres://pricewatch:hunter2@127.0.0.1:{}/pricewatch",
        free_port()
    );
    let out = pricewatch(&["migrate"], &dir, &[("DATABASE_URL", &url)]).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot connect to PostgreSQL at 127.0.0.1"),
        "{err}"
    );
    assert!(err.contains("Connection refused"), "{err}");
    assert!(!err.contains("timed out"), "{err}");
    assert!(!err.contains("hunter2"), "the password leaked: {err}");
}

/// Item 3: every way of naming an SQLite file works and creates it.
#[tokio::test]
async fn sqlite_urls_and_plain_paths_create_the_file() {
    let dir = temp_dir();
    let abs = |name: &str| dir.join(name).display().to_string();
    for (url, file) in [
        (format!("sqlite:{}", abs("a.db")), abs("a.db")),
        (format!("sqlite://{}", abs("b.db")), abs("b.db")),
        (abs("c.db"), abs("c.db")),
        ("data/d.db".to_string(), abs("data/d.db")),
        ("sqlite:e.db".to_string(), abs("e.db")),
    ] {
        let out = pricewatch(&["migrate"], &dir, &[("DATABASE_URL", &url)]).await;
        assert!(out.status.success(), "{url}: {}", stderr(&out));
        assert!(
            std::path::Path::new(&file).is_file(),
            "{url}: {file} not created"
        );
    }
}

/// Item 8: `RUST_LOG=` (empty, as a copied .env leaves it) logs like unset.
#[tokio::test]
async fn an_empty_rust_log_still_shows_the_start_up_lines() {
    let dir = temp_dir();
    let out = pricewatch(&["migrate"], &dir, &[("RUST_LOG", "")]).await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("database is up to date"), "{err}");
}

/// A stand-in for Discord's REST API that answers each `PUT` with the next
/// status in `answers` (then 200), counting the calls.
async fn discord_answering(answers: Vec<u16>) -> (String, Arc<Mutex<usize>>) {
    use axum::http::StatusCode;
    let calls = Arc::new(Mutex::new(0usize));
    let seen = calls.clone();
    let app = axum::Router::new().route(
        "/api/v10/{*rest}",
        axum::routing::put(move || {
            let seen = seen.clone();
            let answers = answers.clone();
            async move {
                let n = {
                    let mut c = seen.lock().unwrap();
                    *c += 1;
                    *c
                };
                match answers.get(n - 1) {
                    Some(&code) => (
                        StatusCode::from_u16(code).unwrap(),
                        axum::Json(serde_json::json!({"message": "no", "code": 0})),
                    ),
                    None => (
                        StatusCode::OK,
                        axum::Json(serde_json::json!([{"name": "track"}])),
                    ),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v10", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

/// Item 1, Discord: `discord register` retries while Discord is unreachable
/// or failing, and tells a refusal apart from an outage.
#[tokio::test]
async fn discord_register_retries_an_outage_and_names_a_refusal() {
    let dir = temp_dir();
    let key = "ab".repeat(32);
    let register = |url: String| {
        let dir = dir.to_path_buf();
        let key = key.clone();
        async move {
            pricewatch(
                &["discord", "register"],
                &dir,
                &[
                    ("DISCORD_APPLICATION_ID", "1234"),
                    ("DISCORD_PUBLIC_KEY", &key),
                    ("DISCORD_BOT_TOKEN", "bot-token"),
                    ("DISCORD_API_URL", &url),
                ],
            )
            .await
        }
    };
    let (url, calls) = discord_answering(vec![502, 503]).await;
    let out = register(url).await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("cannot reach Discord").count(), 2, "{err}");
    assert!(err.contains("retrying in 1 s"), "{err}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("Registered 1 commands"),
        "{out:?}"
    );
    assert_eq!(*calls.lock().unwrap(), 3);

    let (url, calls) = discord_answering(vec![401]).await;
    let out = register(url).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Discord refused the commands (Discord 401"),
        "{err}"
    );
    assert!(!err.contains("retrying"), "{err}");
    assert_eq!(*calls.lock().unwrap(), 1);
}

/// Item 8: a first start on PostgreSQL says a few plain lines at the default
/// log level (no notices from the migrations, no `Some(…)`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_start_on_postgres_says_a_few_plain_lines() {
    let (Some(db), Some(redis)) = (fresh_postgres().await, redis_url().await) else {
        return;
    };
    let keys = pricewatch::test_support::RedisKeys::new(&redis, "pwt");
    let dir = temp_dir();
    let port = free_port();
    let run = Running::start(
        &dir,
        &[
            ("DATABASE_URL", db.url().to_string()),
            ("REDIS_URL", redis.clone()),
            ("REDIS_KEY_PREFIX", keys.prefix().to_string()),
            ("PORT", port.to_string()),
        ],
    );
    eventually(60, "/healthz to answer", || async move {
        healthz(port).await.as_deref() == Some("ok")
    })
    .await;
    let log = run.log.clone();
    eventually(30, "the workers to start", || {
        let log = log.clone();
        async move { log.lock().unwrap().contains("started") }
    })
    .await;
    let (status, log) = run.stop().await;
    assert!(status.success(), "{log}");
    let start: Vec<&str> = log
        .lines()
        .take_while(|l| !l.contains("shutting down"))
        .collect();
    assert!(start.len() <= 6, "{} lines:\n{log}", start.len());
    assert!(log.contains("pricewatch is running port="), "{log}");
    assert!(log.contains("mode=scaled"), "{log}");
    assert!(!log.contains("already exists"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log}"
    );
}

/// Item 2: a setting that only fails when used (a sender address the mailer
/// cannot read) stops `run` before the database file is even created.
#[tokio::test]
async fn a_bad_sender_stops_run_before_the_database_is_made() {
    let dir = temp_dir();
    let db = dir.join("never.db");
    let out = pricewatch(
        &["run"],
        &dir,
        &[
            ("DATABASE_URL", &db.display().to_string()),
            ("EMAIL_HOST", "127.0.0.1"),
            ("EMAIL_FROM", "pricewatch <alerts@example"),
            ("PORT", &free_port().to_string()),
        ],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("EMAIL_FROM").count(), 1, "{err}");
    assert!(!db.exists(), "the database was created before the check");
}
