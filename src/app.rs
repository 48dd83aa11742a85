//! The running application: database, queues, cache, fetcher and notifiers,
//! wired for one of two modes.
//!
//! - Embedded (default): SQLite file, the job queue as a table in it, in-process
//!   cache and rate limiter. Nothing to install.
//! - Scaled: PostgreSQL + Redis (apalis-redis queues, Redis cache and rate
//!   limiter), any number of worker processes.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::amazon::fetch::Fetcher;
use crate::amazon::url::ShortLinkResolver;
use crate::cache::Cache;
use crate::config::{Config, DatabaseUrl};
use crate::domain::alert::Rules;
use crate::jobs::Queues;
use crate::metrics::Metrics;
use crate::notify::Notifiers;
use crate::notify::record::FileNotifier;
use crate::ratelimit::RateLimiter;

/// Timings that tests and operators may tighten; defaults suit production.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// How long after a check a product is due again (from PRICE_CHECK_CRON).
    pub check_period: Duration,
    /// Spread each sweep's checks over this much of the period (0 = all at once).
    pub spread: Duration,
    /// A drop of more than half is checked again after this delay.
    pub confirm_delay: Duration,
    /// First back-off after a blocked check; doubles per failure up to the cap.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A worker owns a claimed delivery this long.
    pub delivery_lease: Duration,
    /// Undelivered outbox rows older than this are re-enqueued by the sweeper.
    pub redeliver_after: Duration,
    /// How often each worker looks for outbox rows to re-enqueue.
    pub outbox_sweep_every: Duration,
    /// A worker loop down this long (Redis unreachable, say) stops the
    /// process with an error, for its supervisor to restart.
    pub worker_give_up: Duration,
    /// A cached snapshot younger than this answers `track` without a fetch.
    pub snapshot_fresh_for: Duration,
    /// Telegram's flood limits, enforced before each request.
    pub telegram_limits: teloxide::adaptors::throttle::Limits,
    /// How long one `getUpdates` long poll waits.
    pub telegram_poll_timeout: Duration,
}

impl Tuning {
    pub fn from_config(config: &Config) -> Tuning {
        let period = config.check_period();
        Tuning {
            check_period: period,
            spread: period.mul_f64(0.9),
            confirm_delay: Duration::from_secs(120),
            backoff_base: Duration::from_secs(config.check_backoff_base_secs),
            backoff_cap: Duration::from_secs(12 * 3600),
            delivery_lease: Duration::from_secs(config.delivery_lease_secs),
            redeliver_after: Duration::from_secs(config.outbox_redeliver_after_secs),
            // Also how soon a killed worker's checks are enqueued again.
            outbox_sweep_every: Duration::from_secs(config.outbox_redeliver_after_secs.clamp(1, 5)),
            worker_give_up: Duration::from_secs(config.worker_give_up_secs),
            snapshot_fresh_for: Duration::from_secs(600),
            // teloxide's throttle classifies chats by id only: private chats
            // and basic groups share `messages_per_min_chat`. Its default
            // (20) silenced private chats for 40 s after 20 messages; 60
            // leaves them at one a second. Supergroups and channels get 20
            // a minute; the Telegram adapter holds basic groups to that too.
            telegram_limits: teloxide::adaptors::throttle::Limits {
                messages_per_sec_chat: 1,
                messages_per_min_chat: 60,
                messages_per_min_channel_or_supergroup: 20,
                messages_per_sec_overall: 30,
            },
            telegram_poll_timeout: Duration::from_secs(10),
        }
    }
}

pub struct App {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub fetcher: Fetcher,
    pub resolver: ShortLinkResolver,
    pub cache: Cache,
    pub limiter: RateLimiter,
    pub queues: Queues,
    pub notifiers: Notifiers,
    pub metrics: Metrics,
    pub rules: Rules,
    pub tuning: Tuning,
    pub redis: Option<redis::aio::ConnectionManager>,
    /// The Bot API client, when TELEGRAM_BOT_TOKEN is set (bots and the
    /// workers that deliver alerts share it).
    pub telegram: Option<crate::bots::telegram::TgBot>,
    /// This process's worker loops, for `/readyz` and `/metrics`.
    pub loops: Arc<crate::jobs::supervise::Loops>,
    /// Jobs running now; shutdown waits for them.
    pub in_flight: Arc<crate::jobs::supervise::InFlight>,
}

/// Which mode the settings ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Embedded,
    Scaled,
}

impl Mode {
    /// How the log and the README name it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Embedded => "embedded",
            Mode::Scaled => "scaled",
        }
    }
}

/// The mode, or one sentence saying what to set.
pub fn mode(config: &Config) -> Result<Mode, String> {
    match (&config.database_url, config.redis_url.is_some()) {
        (DatabaseUrl::Sqlite(_), false) => Ok(Mode::Embedded),
        (DatabaseUrl::Postgres(_), true) => Ok(Mode::Scaled),
        (DatabaseUrl::Postgres(_), false) => Err(
            "DATABASE_URL is PostgreSQL, so REDIS_URL must be set too: the job queues and the shared cache live in Redis."
                .into(),
        ),
        (DatabaseUrl::Sqlite(_), true) => Err(
            "REDIS_URL is set but DATABASE_URL is SQLite: set DATABASE_URL=postgres://… to run several workers, or unset REDIS_URL for the single-process mode."
                .into(),
        ),
    }
}

/// Options the caller (a role or a test) adds to the configuration.
#[derive(Default)]
pub struct Options {
    pub notifiers: Option<Notifiers>,
    pub tuning: Option<Tuning>,
    /// Short links resolved some other way (tests point it at a local server).
    pub resolver: Option<ShortLinkResolver>,
}

impl App {
    pub async fn build(config: Config, opts: Options) -> anyhow::Result<Arc<App>> {
        let mode = mode(&config).map_err(anyhow::Error::msg)?;
        let db = crate::store::connect(&config.database_url).await?;
        let tuning = opts.tuning.unwrap_or_else(|| Tuning::from_config(&config));
        let prefix = config.redis_key_prefix.clone();
        let cache_ttl = tuning.check_period.max(Duration::from_secs(60));
        let (cache, limiter, queues, redis) = match mode {
            Mode::Embedded => (
                Cache::local(cache_ttl, 50_000),
                RateLimiter::local(config.amazon_max_rps),
                Queues::db(db.clone()),
                None,
            ),
            Mode::Scaled => {
                let url = config
                    .redis_url
                    .as_ref()
                    .map(|s| s.expose_secret().to_string())
                    .unwrap_or_default();
                // Few, quick reconnect attempts: while Redis is away a command
                // fails within a second or two instead of hanging for many,
                // so the workers notice, /readyz answers, and the supervisor
                // decides (see jobs::supervise).
                let manager = redis::aio::ConnectionManagerConfig::new()
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_secs(1))
                    .set_connection_timeout(Some(Duration::from_secs(1)));
                let conn = redis::Client::open(url)
                    .context("REDIS_URL is not a Redis URL")?
                    .get_connection_manager_with_config(manager)
                    .await
                    .context("while connecting to Redis (check REDIS_URL)")?;
                (
                    Cache::redis(conn.clone(), &prefix, cache_ttl),
                    RateLimiter::redis(config.amazon_max_rps, conn.clone(), &prefix),
                    Queues::redis(conn.clone(), &prefix),
                    Some(conn),
                )
            }
        };
        let proxy = config
            .fetch
            .proxy_url
            .as_ref()
            .map(|s| s.expose_secret().to_string());
        let resolver = match opts.resolver {
            Some(r) => r,
            None => ShortLinkResolver::new(proxy.as_deref())
                .map_err(|e| anyhow::anyhow!("short-link resolver: {e}"))?,
        };
        let mut notifiers = opts.notifiers.unwrap_or_default();
        if !notifiers.has("email")
            && let Some(email) = crate::email::EmailNotifier::from_config(&config, &db, &queues)?
        {
            notifiers = notifiers.with("email", Arc::new(email));
        }
        if let Some(dir) = config.delivery_log_dir.clone() {
            notifiers = notifiers.with_fallback(Arc::new(FileNotifier::new(PathBuf::from(dir))));
        }
        let telegram = config
            .telegram
            .as_ref()
            .map(|tg| crate::bots::telegram::client(tg, tuning.telegram_limits));
        if let Some(bot) = &telegram
            && !notifiers.has("telegram")
        {
            notifiers = notifiers.with(
                "telegram",
                Arc::new(crate::bots::telegram::notifier::TelegramNotifier::new(
                    bot.clone(),
                    db.clone(),
                    config.amazon_affiliate_tag.clone(),
                )),
            );
        }
        if let Some(d) = &config.discord
            && !notifiers.has("discord")
        {
            let rest = crate::bots::discord::rest::Rest::new(
                d.api_url.as_ref(),
                d.bot_token.clone(),
                d.application_id,
            );
            notifiers = notifiers.with(
                "discord",
                Arc::new(crate::bots::discord::notifier::DiscordNotifier::new(
                    rest,
                    db.clone(),
                    config.amazon_affiliate_tag.clone(),
                )),
            );
        }
        let rules = Rules {
            step_pct: config.alert_step_pct,
            max_alerts_per_day: config.max_alerts_per_day,
            ..Rules::default()
        };
        Ok(Arc::new(App {
            fetcher: Fetcher::new(&config.fetch)?,
            db,
            config: Arc::new(config),
            resolver,
            cache,
            limiter,
            queues,
            notifiers,
            metrics: Metrics::default(),
            rules,
            tuning,
            redis,
            telegram,
            loops: Arc::default(),
            in_flight: Arc::default(),
        }))
    }
}
