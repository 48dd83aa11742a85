//! `spawn_app`: the real application against real PostgreSQL + Redis (scaled)
//! or a fresh SQLite file (embedded), with a fake Amazon and a recording
//! notifier, workers running in the background.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use pricewatch::app::{App, Options, Tuning};
use pricewatch::config::Config;
use pricewatch::notify::Notifiers;
use pricewatch::notify::record::MemoryNotifier;
use pricewatch::test_support::{
    RedisKeys, TempDir, TestDatabase, fresh_postgres, redis_url, temp_dir,
};

use crate::fake_amazon::FakeAmazon;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Embedded,
    Scaled,
}

pub struct TestApp {
    pub app: Arc<App>,
    pub fake: FakeAmazon,
    pub sent: MemoryNotifier,
    pub dir: TempDir,
    /// The environment a `pricewatch` process needs to join this app.
    pub env: HashMap<String, String>,
    stop: tokio::sync::watch::Sender<bool>,
    workers: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// What the test made outside its folder; removed last, on drop.
    _made: Made,
}

/// The database and Redis keys a test app made (scaled mode), removed when
/// dropped.
#[derive(Default)]
pub struct Made {
    pub database: Option<TestDatabase>,
    pub redis: Option<RedisKeys>,
}

impl Drop for TestApp {
    /// Stops the in-process workers first, so that nothing writes to the
    /// database or Redis while they are removed.
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        let Some(workers) = self.workers.take() else {
            return;
        };
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi_thread {
            // Other runtime threads run the workers down; wait a little.
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !workers.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        workers.abort();
    }
}

/// Settings every test app shares; `extra` overrides. What they point at is
/// removed when the returned [`Made`] is dropped.
pub async fn test_env(
    mode: Mode,
    fake: &FakeAmazon,
    dir: &std::path::Path,
) -> Option<(HashMap<String, String>, Made)> {
    let mut env = HashMap::new();
    let mut made = Made::default();
    match mode {
        Mode::Embedded => {
            env.insert(
                "DATABASE_URL".into(),
                format!("sqlite://{}?mode=rwc", dir.join("pricewatch.db").display()),
            );
        }
        Mode::Scaled => {
            let database = fresh_postgres().await?;
            let url = redis_url().await?;
            let keys = RedisKeys::new(&url, "pwt");
            env.insert("DATABASE_URL".into(), database.url().to_string());
            env.insert("REDIS_URL".into(), url);
            env.insert("REDIS_KEY_PREFIX".into(), keys.prefix().to_string());
            made.database = Some(database);
            made.redis = Some(keys);
        }
    }
    env.insert("FETCH_URL_TEMPLATE".into(), fake.template());
    env.insert("AMAZON_MAX_RPS".into(), "1000".into());
    env.insert("PRICE_CHECK_CRON".into(), "0 0 * * * *".into());
    env.insert("CHECK_BACKOFF_BASE_SECS".into(), "60".into());
    env.insert("DELIVERY_LEASE_SECS".into(), "2".into());
    env.insert("OUTBOX_REDELIVER_AFTER_SECS".into(), "1".into());
    env.insert("PRICE_QUEUE_CONCURRENCY".into(), "4".into());
    Some((env, made))
}

pub async fn spawn_app(mode: Mode) -> Option<TestApp> {
    spawn_app_with(mode, |_| {}).await
}

pub async fn spawn_app_with(
    mode: Mode,
    adjust: impl FnOnce(&mut HashMap<String, String>),
) -> Option<TestApp> {
    spawn(mode, adjust, true).await
}

/// The app without in-process workers: `pricewatch worker` processes do the work.
pub async fn spawn_app_without_workers(mode: Mode) -> Option<TestApp> {
    spawn(mode, |_| {}, false).await
}

async fn spawn(
    mode: Mode,
    adjust: impl FnOnce(&mut HashMap<String, String>),
    with_workers: bool,
) -> Option<TestApp> {
    pricewatch::telemetry::init(true);
    let fake = FakeAmazon::start().await;
    let dir = temp_dir();
    let (mut env, made) = test_env(mode, &fake, &dir).await?;
    adjust(&mut env);
    let config = Config::from_map(&env).unwrap();
    let mut tuning = Tuning::from_config(&config);
    tuning.spread = Duration::ZERO;
    tuning.confirm_delay = Duration::from_millis(300);
    tuning.outbox_sweep_every = Duration::from_millis(200);
    // Tests send many messages to one chat at once; the fake has no limits.
    tuning.telegram_limits = teloxide::adaptors::throttle::Limits {
        messages_per_sec_chat: 1000,
        messages_per_min_chat: 60_000,
        messages_per_min_channel_or_supergroup: 60_000,
        messages_per_sec_overall: 1000,
    };
    tuning.telegram_poll_timeout = Duration::from_secs(1);
    let sent = MemoryNotifier::default();
    let app = App::build(
        config,
        Options {
            notifiers: Some(Notifiers::default().with_fallback(Arc::new(sent.clone()))),
            tuning: Some(tuning),
            resolver: Some(
                pricewatch::amazon::url::ShortLinkResolver::new(None)
                    .unwrap()
                    .with_connect_to(fake.addr.unwrap()),
            ),
        },
    )
    .await
    .unwrap();
    Migrator::up(&app.db, None).await.unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let workers = with_workers.then(|| {
        tokio::spawn(pricewatch::jobs::run_workers(
            app.clone(),
            "test",
            async move {
                let mut rx = rx;
                let _ = rx.wait_for(|v| *v).await;
            },
        ))
    });
    Some(TestApp {
        app,
        fake,
        sent,
        dir,
        env,
        stop,
        workers,
        _made: made,
    })
}

impl TestApp {
    pub async fn stop_workers(&mut self) {
        let _ = self.stop.send(true);
        if let Some(w) = self.workers.take() {
            let _ = tokio::time::timeout(Duration::from_secs(40), w).await;
        }
    }
}

/// Polls `check` until it returns true, or fails after `secs` seconds.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl TestApp {
    /// Starts a `pricewatch worker` process joined to this app's database and
    /// queues, recording deliveries in `deliveries_dir`.
    pub fn worker_process(&self, deliveries_dir: &std::path::Path) -> tokio::process::Child {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"));
        cmd.arg("worker")
            .env_clear()
            .envs(&self.env)
            .env("DELIVERY_LOG_DIR", deliveries_dir)
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .stdout(std::process::Stdio::null());
        cmd.spawn().unwrap()
    }
}

/// Delivered alerts in a delivery folder: one `<key>.json` each.
pub fn delivered_keys(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut keys: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .filter_map(|n| n.strip_suffix(".json").map(String::from))
        .collect();
    keys.sort();
    keys
}

/// `pricewatch run` in `dir` with only `env` (and `PORT`), its log piped;
/// returns the process and its HTTP port.
pub fn run_process(dir: &std::path::Path, env: &[(&str, &str)]) -> (tokio::process::Child, u16) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"))
        .arg("run")
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .env("PORT", port.to_string())
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    (child, port)
}

/// Stops a process with SIGTERM; returns its log once it exited.
pub async fn sigterm_and_log(child: tokio::process::Child) -> String {
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::time::timeout(Duration::from_secs(40), child.wait_with_output())
        .await
        .expect("pricewatch did not stop within 40 s of SIGTERM")
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{log}");
    log
}
