//! Every setting pricewatch reads from the environment, typed and validated
//! once at start-up. A bad value stops the program with one sentence naming
//! the variable. Secrets are [`SecretString`]s: `Debug` prints them redacted and
//! no error message repeats them.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// A setting that is missing or malformed: names the variable and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn bad(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

/// Where pricewatch keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    /// The connection string; may hold a password, so never log it.
    pub fn as_str(&self) -> &str {
        match self {
            DatabaseUrl::Postgres(s) | DatabaseUrl::Sqlite(s) => s,
        }
    }
}

/// How to talk to the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailTls {
    StartTls,
    Tls,
    None,
}

#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub pass: Option<SecretString>,
    pub from: String,
    pub tls: EmailTls,
}

#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    pub api_key: SecretString,
    pub base_url: Option<Url>,
    pub model: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct TelegramConfig {
    pub token: SecretString,
    pub api_url: Option<Url>,
    pub webhook_url: Option<Url>,
    pub webhook_secret: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct DiscordConfig {
    pub application_id: u64,
    /// Ed25519 public key, 32 bytes.
    pub public_key: [u8; 32],
    pub bot_token: SecretString,
    pub api_url: Option<Url>,
}

/// How product pages are fetched.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// `https://api.example/?key=K&url={url}`: fetch through a scraping API
    /// (or a local server in tests). `{url}` becomes the percent-encoded
    /// canonical product URL.
    pub url_template: Option<String>,
    /// Proxy for every fetch (`http://`, `https://` or `socks5://`); may hold credentials.
    pub proxy_url: Option<SecretString>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Largest page body accepted, after decompression.
    pub max_body_bytes: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            url_template: None,
            proxy_url: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(20),
            max_body_bytes: 8 * 1024 * 1024,
        }
    }
}

/// A validated cron expression (5 fields, or 6 with seconds first).
#[derive(Debug, Clone)]
pub struct CheckSchedule {
    /// The expression as the user wrote it.
    pub expression: String,
    pub schedule: cron::Schedule,
}

/// Everything pricewatch reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub public_url: Option<Url>,
    pub database_url: DatabaseUrl,
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key (queues, cache, rate limits), so several
    /// instances can share one Redis.
    pub redis_key_prefix: String,
    pub jwt_secret: Option<SecretString>,
    pub price_check: CheckSchedule,
    pub price_queue_concurrency: usize,
    pub email_queue_concurrency: usize,
    pub amazon_max_rps: u32,
    pub amazon_affiliate_tag: Option<String>,
    pub max_watches_per_user: u32,
    pub alert_step_pct: u32,
    pub max_alerts_per_day: u32,
    pub fetch: FetchConfig,
    pub telegram: Option<TelegramConfig>,
    pub discord: Option<DiscordConfig>,
    pub email: Option<EmailConfig>,
    pub openai: Option<OpenAiConfig>,
    /// Dry run: write every alert as a JSON file into this folder instead of
    /// sending it (also how the tests watch deliveries across processes).
    pub delivery_log_dir: Option<String>,
    /// How long a worker owns a delivery it claimed.
    pub delivery_lease_secs: u64,
    /// Undelivered outbox rows older than this are handed to another worker.
    pub outbox_redeliver_after_secs: u64,
    /// First back-off after a blocked check (doubles per failure, capped at 12 h).
    pub check_backoff_base_secs: u64,
    /// A worker loop down this long (e.g. Redis unreachable) stops the
    /// process with a non-zero exit code, for its supervisor to restart.
    pub worker_give_up_secs: u64,
}

impl Config {
    /// Time between two sweeps: a product checked now is due again after it.
    pub fn check_period(&self) -> Duration {
        let mut next = self.price_check.schedule.upcoming(chrono::Utc);
        match (next.next(), next.next()) {
            (Some(a), Some(b)) => (b - a).to_std().unwrap_or(Duration::from_secs(1800)),
            _ => Duration::from_secs(1800),
        }
    }
}

/// Every variable pricewatch reads; `.env.example` documents each one.
pub const VARIABLES: &[&str] = &[
    "PORT",
    "PUBLIC_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_KEY_PREFIX",
    "JWT_SECRET",
    "PRICE_CHECK_CRON",
    "PRICE_QUEUE_CONCURRENCY",
    "EMAIL_QUEUE_CONCURRENCY",
    "AMAZON_MAX_RPS",
    "AMAZON_AFFILIATE_TAG",
    "MAX_WATCHES_PER_USER",
    "ALERT_STEP_PCT",
    "MAX_ALERTS_PER_DAY",
    "FETCH_URL_TEMPLATE",
    "FETCH_PROXY_URL",
    "FETCH_CONNECT_TIMEOUT_SECS",
    "FETCH_READ_TIMEOUT_SECS",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "DISCORD_APPLICATION_ID",
    "DISCORD_PUBLIC_KEY",
    "DISCORD_BOT_TOKEN",
    "DISCORD_API_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USER",
    "EMAIL_PASS",
    "EMAIL_FROM",
    "EMAIL_TLS",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "OPENAI_TIMEOUT_SECS",
    "DELIVERY_LOG_DIR",
    "DELIVERY_LEASE_SECS",
    "OUTBOX_REDELIVER_AFTER_SECS",
    "CHECK_BACKOFF_BASE_SECS",
    "WORKER_GIVE_UP_SECS",
    "RUST_LOG",
    "HOSTNAME",
];

/// Variables `.env.example` documents for `docker compose`, which pricewatch
/// itself never reads.
pub const COMPOSE_ONLY: &[&str] = &["POSTGRES_PASSWORD"];

/// Reads variables, treating empty values as unset (as `.env` files often leave them).
struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn get(&self, var: &str) -> Option<String> {
        debug_assert!(VARIABLES.contains(&var), "{var} missing from VARIABLES");
        (self.0)(var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn secret(&self, var: &str) -> Option<SecretString> {
        self.get(var).map(SecretString::from)
    }

    fn number<T: FromStr + PartialOrd + fmt::Display + Copy>(
        &self,
        var: &'static str,
        default: T,
        min: T,
        max: T,
    ) -> Result<T, ConfigError> {
        let Some(raw) = self.get(var) else {
            return Ok(default);
        };
        match raw.parse::<T>() {
            Ok(n) if n >= min && n <= max => Ok(n),
            _ => Err(bad(
                var,
                format!("must be a whole number from {min} to {max}, not \"{raw}\"."),
            )),
        }
    }

    fn url(&self, var: &'static str, schemes: &[&str]) -> Result<Option<Url>, ConfigError> {
        let Some(raw) = self.get(var) else {
            return Ok(None);
        };
        let url = Url::parse(&raw)
            .map_err(|_| bad(var, "must be an absolute URL such as https://example.com."))?;
        if !schemes.contains(&url.scheme()) {
            return Err(bad(
                var,
                format!("must start with {}://.", schemes.join(":// or ")),
            ));
        }
        Ok(Some(url))
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Reads from a map (tests).
    pub fn from_map(map: &HashMap<String, String>) -> Result<Config, ConfigError> {
        Config::from_lookup(&|k| map.get(k).cloned())
    }

    fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let v = Vars(lookup);
        let port = v.number("PORT", 5000u16, 1, u16::MAX)?;
        let public_url = v.url("PUBLIC_URL", &["http", "https"])?;
        let database_url = database_url(&v)?;
        let redis_url = match v.get("REDIS_URL") {
            None => None,
            Some(raw) => {
                let ok = Url::parse(&raw)
                    .is_ok_and(|u| matches!(u.scheme(), "redis" | "rediss" | "redis+unix"));
                if !ok {
                    return Err(bad(
                        "REDIS_URL",
                        "must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379.",
                    ));
                }
                Some(SecretString::from(raw))
            }
        };
        let jwt_secret = match v.get("JWT_SECRET") {
            Some(s) if s.len() < 32 => {
                return Err(bad(
                    "JWT_SECRET",
                    "must be at least 32 characters long (try `openssl rand -hex 32`).",
                ));
            }
            s => s.map(SecretString::from),
        };
        let price_check = schedule(&v)?;
        let fetch = fetch_config(&v)?;
        Ok(Config {
            port,
            public_url,
            database_url,
            redis_url,
            redis_key_prefix: redis_key_prefix(&v)?,
            jwt_secret,
            price_check,
            price_queue_concurrency: v.number("PRICE_QUEUE_CONCURRENCY", 4usize, 1, 256)?,
            // The deliver queue runs at least 4 at once (jobs::run_workers).
            email_queue_concurrency: v.number("EMAIL_QUEUE_CONCURRENCY", 4usize, 1, 64)?,
            amazon_max_rps: v.number("AMAZON_MAX_RPS", 1u32, 1, 1000)?,
            amazon_affiliate_tag: affiliate_tag(&v)?,
            max_watches_per_user: v.number("MAX_WATCHES_PER_USER", 100u32, 1, 100_000)?,
            alert_step_pct: v.number("ALERT_STEP_PCT", 5u32, 0, 90)?,
            max_alerts_per_day: v.number("MAX_ALERTS_PER_DAY", 10u32, 1, 10_000)?,
            fetch,
            telegram: telegram(&v)?,
            discord: discord(&v)?,
            email: email(&v)?,
            openai: openai(&v)?,
            delivery_log_dir: v.get("DELIVERY_LOG_DIR"),
            delivery_lease_secs: v.number("DELIVERY_LEASE_SECS", 30u64, 1, 3600)?,
            outbox_redeliver_after_secs: v.number(
                "OUTBOX_REDELIVER_AFTER_SECS",
                180u64,
                1,
                86_400,
            )?,
            check_backoff_base_secs: v.number("CHECK_BACKOFF_BASE_SECS", 300u64, 1, 86_400)?,
            worker_give_up_secs: v.number("WORKER_GIVE_UP_SECS", 300u64, 1, 86_400)?,
        })
    }
}

fn database_url(v: &Vars) -> Result<DatabaseUrl, ConfigError> {
    let Some(raw) = v.get("DATABASE_URL") else {
        return Ok(DatabaseUrl::Sqlite(
            "sqlite://data/pricewatch.db?mode=rwc".into(),
        ));
    };
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        Ok(DatabaseUrl::Postgres(raw))
    } else if let Some(url) = sqlite_url(&raw) {
        Ok(DatabaseUrl::Sqlite(url))
    } else {
        Err(bad(
            "DATABASE_URL",
            "must start with postgres:// or sqlite:, or be a file path (leave it unset for the built-in SQLite file).",
        ))
    }
}

/// Every way people write an SQLite location (`sqlite:/tmp/x.db`,
/// `sqlite:///tmp/x.db`, `sqlite://data/x.db`, `sqlite:x.db`, a plain path)
/// as one `sqlite://PATH?mode=rwc` URL, so that the file is created.
fn sqlite_url(raw: &str) -> Option<String> {
    if raw.starts_with("sqlite::memory:") {
        return Some(raw.to_string());
    }
    let rest = match raw.strip_prefix("sqlite:") {
        Some(r) => r.strip_prefix("//").unwrap_or(r),
        // Anything else with a scheme (mysql://, http://) is not a path.
        None if raw.contains("://") => return None,
        None => raw,
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return None;
    }
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Some(format!("sqlite://{path}?{}", params.join("&")))
}

fn redis_key_prefix(v: &Vars) -> Result<String, ConfigError> {
    match v.get("REDIS_KEY_PREFIX") {
        None => Ok("pw:".into()),
        Some(p) if p.len() <= 64 && !p.contains(char::is_whitespace) => Ok(p),
        Some(_) => Err(bad(
            "REDIS_KEY_PREFIX",
            "must be at most 64 characters without spaces, such as pw:.",
        )),
    }
}

fn schedule(v: &Vars) -> Result<CheckSchedule, ConfigError> {
    let expression = v
        .get("PRICE_CHECK_CRON")
        .unwrap_or_else(|| "*/30 * * * *".into());
    let fields = expression.split_whitespace().count();
    // The cron crate wants seconds first; the usual 5-field form gets "0".
    let full = match fields {
        5 => format!("0 {expression}"),
        6 | 7 => expression.clone(),
        _ => {
            return Err(bad(
                "PRICE_CHECK_CRON",
                "must be a cron expression with 5 fields (like \"*/30 * * * *\") or 6 with seconds first.",
            ));
        }
    };
    let schedule = cron::Schedule::from_str(&full).map_err(|_| {
        bad(
            "PRICE_CHECK_CRON",
            format!("is not a valid cron expression: \"{expression}\"."),
        )
    })?;
    Ok(CheckSchedule {
        expression,
        schedule,
    })
}

fn fetch_config(v: &Vars) -> Result<FetchConfig, ConfigError> {
    let url_template = match v.get("FETCH_URL_TEMPLATE") {
        None => None,
        Some(t) => {
            let probe = t.replace("{url}", "x");
            if !t.contains("{url}") {
                return Err(bad("FETCH_URL_TEMPLATE", "must contain {url}."));
            }
            let ok = Url::parse(&probe).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(bad(
                    "FETCH_URL_TEMPLATE",
                    "must be an http(s) URL containing {url}, such as https://api.example/?url={url}.",
                ));
            }
            Some(t)
        }
    };
    let proxy_url = match v.get("FETCH_PROXY_URL") {
        None => None,
        Some(raw) => {
            let ok = Url::parse(&raw).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") && u.has_host()
            });
            if !ok {
                return Err(bad(
                    "FETCH_PROXY_URL",
                    "must be an http://, https:// or socks5:// proxy URL.",
                ));
            }
            Some(SecretString::from(raw))
        }
    };
    let d = FetchConfig::default();
    Ok(FetchConfig {
        url_template,
        proxy_url,
        connect_timeout: Duration::from_secs(v.number(
            "FETCH_CONNECT_TIMEOUT_SECS",
            10u64,
            1,
            120,
        )?),
        read_timeout: Duration::from_secs(v.number("FETCH_READ_TIMEOUT_SECS", 20u64, 1, 300)?),
        max_body_bytes: d.max_body_bytes,
    })
}

fn affiliate_tag(v: &Vars) -> Result<Option<String>, ConfigError> {
    match v.get("AMAZON_AFFILIATE_TAG") {
        Some(t)
            if t.len() > 64
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Err(bad(
                "AMAZON_AFFILIATE_TAG",
                "must be an Amazon associate tag such as mytag-20 (letters, digits, - and _).",
            ))
        }
        t => Ok(t),
    }
}

fn telegram(v: &Vars) -> Result<Option<TelegramConfig>, ConfigError> {
    let Some(token) = v.get("TELEGRAM_BOT_TOKEN") else {
        return Ok(None);
    };
    // BotFather tokens look like 123456789:AA... ; check the shape, never echo it.
    let shape_ok = token.split_once(':').is_some_and(|(id, rest)| {
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && rest.len() >= 20
    });
    if !shape_ok {
        return Err(bad(
            "TELEGRAM_BOT_TOKEN",
            "does not look like a bot token from @BotFather (digits, a colon, then at least 20 characters).",
        ));
    }
    let webhook_url = v.url("TELEGRAM_WEBHOOK_URL", &["https", "http"])?;
    let webhook_secret = match v.get("TELEGRAM_WEBHOOK_SECRET") {
        Some(s)
            if s.is_empty()
                || s.len() > 256
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            return Err(bad(
                "TELEGRAM_WEBHOOK_SECRET",
                "must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule).",
            ));
        }
        s => s.map(SecretString::from),
    };
    if webhook_url.is_some() && webhook_secret.is_none() {
        return Err(bad(
            "TELEGRAM_WEBHOOK_SECRET",
            "must be set when TELEGRAM_WEBHOOK_URL is set, so that only Telegram can call the webhook.",
        ));
    }
    Ok(Some(TelegramConfig {
        token: SecretString::from(token),
        api_url: v.url("TELEGRAM_API_URL", &["http", "https"])?,
        webhook_url,
        webhook_secret,
    }))
}

fn discord(v: &Vars) -> Result<Option<DiscordConfig>, ConfigError> {
    let app = v.get("DISCORD_APPLICATION_ID");
    let key = v.get("DISCORD_PUBLIC_KEY");
    let token = v.get("DISCORD_BOT_TOKEN");
    if app.is_none() && key.is_none() && token.is_none() {
        return Ok(None);
    }
    let application_id = app
        .ok_or_else(|| bad("DISCORD_APPLICATION_ID", "must be set to use Discord."))?
        .parse::<u64>()
        .map_err(|_| {
            bad(
                "DISCORD_APPLICATION_ID",
                "must be the numeric application id.",
            )
        })?;
    let key = key.ok_or_else(|| bad("DISCORD_PUBLIC_KEY", "must be set to use Discord."))?;
    let public_key = parse_hex32(&key).ok_or_else(|| {
        bad(
            "DISCORD_PUBLIC_KEY",
            "must be the 64-character hex public key from the Developer Portal.",
        )
    })?;
    let bot_token = token.ok_or_else(|| bad("DISCORD_BOT_TOKEN", "must be set to use Discord."))?;
    Ok(Some(DiscordConfig {
        application_id,
        public_key,
        bot_token: SecretString::from(bot_token),
        api_url: v.url("DISCORD_API_URL", &["http", "https"])?,
    }))
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        let hi = char::from(b[2 * i]).to_digit(16)?;
        let lo = char::from(b[2 * i + 1]).to_digit(16)?;
        *o = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

fn email(v: &Vars) -> Result<Option<EmailConfig>, ConfigError> {
    let Some(host) = v.get("EMAIL_HOST") else {
        return Ok(None);
    };
    let tls = match v
        .get("EMAIL_TLS")
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("starttls") => EmailTls::StartTls,
        Some("tls") => EmailTls::Tls,
        Some("none") => EmailTls::None,
        Some(_) => return Err(bad("EMAIL_TLS", "must be starttls, tls or none.")),
    };
    let default_port = match tls {
        EmailTls::StartTls => 587,
        EmailTls::Tls => 465,
        EmailTls::None => 25,
    };
    let from = v.get("EMAIL_FROM").ok_or_else(|| {
        bad(
            "EMAIL_FROM",
            "must be set when EMAIL_HOST is set, e.g. \"pricewatch <alerts@example.com>\".",
        )
    })?;
    if !from.contains('@') {
        return Err(bad(
            "EMAIL_FROM",
            "must be an email address, optionally with a name: \"pricewatch <alerts@example.com>\".",
        ));
    }
    let user = v.get("EMAIL_USER");
    let pass = v.secret("EMAIL_PASS");
    if user.is_some() != pass.is_some() {
        return Err(bad(
            if user.is_some() {
                "EMAIL_PASS"
            } else {
                "EMAIL_USER"
            },
            "must be set together with the other (EMAIL_USER and EMAIL_PASS).",
        ));
    }
    Ok(Some(EmailConfig {
        host,
        port: v.number("EMAIL_PORT", default_port, 1, u16::MAX)?,
        user,
        pass,
        from,
        tls,
    }))
}

fn openai(v: &Vars) -> Result<Option<OpenAiConfig>, ConfigError> {
    let base_url = v.url("OPENAI_BASE_URL", &["http", "https"])?;
    let Some(key) = v.secret("OPENAI_API_KEY") else {
        return Ok(None);
    };
    Ok(Some(OpenAiConfig {
        api_key: key,
        base_url,
        model: v
            .get("OPENAI_MODEL")
            .unwrap_or_else(|| "gpt-4o-mini".into()),
        timeout: Duration::from_secs(v.number("OPENAI_TIMEOUT_SECS", 8u64, 1, 120)?),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        Config::from_map(&map)
    }

    #[test]
    fn defaults_need_nothing() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.port, 5000);
        assert!(matches!(c.database_url, DatabaseUrl::Sqlite(_)));
        assert_eq!(c.price_queue_concurrency, 4);
        assert_eq!(c.max_watches_per_user, 100);
        assert_eq!(c.price_check.expression, "*/30 * * * *");
        assert!(c.telegram.is_none() && c.discord.is_none() && c.email.is_none());
        assert_eq!(c.fetch.max_body_bytes, 8 * 1024 * 1024);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (pairs, var) in [
            (vec![("PORT", "abc")], "PORT"),
            (vec![("PORT", "0")], "PORT"),
            (vec![("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
            (vec![("REDIS_URL", "http://x")], "REDIS_URL"),
            (vec![("REDIS_KEY_PREFIX", "a b")], "REDIS_KEY_PREFIX"),
            (vec![("PRICE_CHECK_CRON", "every hour")], "PRICE_CHECK_CRON"),
            (
                vec![("PRICE_CHECK_CRON", "*/61 * * * * * * *")],
                "PRICE_CHECK_CRON",
            ),
            (
                vec![("PRICE_QUEUE_CONCURRENCY", "0")],
                "PRICE_QUEUE_CONCURRENCY",
            ),
            (
                vec![("EMAIL_QUEUE_CONCURRENCY", "-1")],
                "EMAIL_QUEUE_CONCURRENCY",
            ),
            (vec![("JWT_SECRET", "short")], "JWT_SECRET"),
            (
                vec![("FETCH_URL_TEMPLATE", "http://x/")],
                "FETCH_URL_TEMPLATE",
            ),
            (
                vec![("FETCH_URL_TEMPLATE", "ftp://x/{url}")],
                "FETCH_URL_TEMPLATE",
            ),
            (vec![("FETCH_PROXY_URL", "not a url")], "FETCH_PROXY_URL"),
            (vec![("TELEGRAM_BOT_TOKEN", "nope")], "TELEGRAM_BOT_TOKEN"),
            (vec![("EMAIL_HOST", "smtp.example.com")], "EMAIL_FROM"),
            (
                vec![
                    ("EMAIL_HOST", "h"),
                    ("EMAIL_FROM", "a@b.c"),
                    ("EMAIL_TLS", "maybe"),
                ],
                "EMAIL_TLS",
            ),
            (
                vec![
                    ("EMAIL_HOST", "h"),
                    ("EMAIL_FROM", "a@b.c"),
                    ("EMAIL_USER", "u"),
                ],
                "EMAIL_PASS",
            ),
            (vec![("DISCORD_PUBLIC_KEY", "zz")], "DISCORD_APPLICATION_ID"),
            (
                vec![
                    ("DISCORD_APPLICATION_ID", "1"),
                    ("DISCORD_PUBLIC_KEY", "zz"),
                    ("DISCORD_BOT_TOKEN", "t"),
                ],
                "DISCORD_PUBLIC_KEY",
            ),
            (
                vec![("OPENAI_BASE_URL", "localhost:11434")],
                "OPENAI_BASE_URL",
            ),
            (
                vec![("AMAZON_AFFILIATE_TAG", "a tag")],
                "AMAZON_AFFILIATE_TAG",
            ),
        ] {
            let err = cfg(&pairs).unwrap_err();
            assert_eq!(err.var, var, "{pairs:?}");
            let text = err.to_string();
            assert!(text.starts_with(var) && text.ends_with('.'), "{text}");
        }
    }

    #[test]
    fn secrets_are_never_printed() {
        let token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let c = cfg(&[
            ("TELEGRAM_BOT_TOKEN", token),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("REDIS_URL", "redis://:hunter2@127.0.0.1/"),
        ])
        .unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("ABCDEFGHIJ"), "{debug}");
        assert!(!debug.contains("0123456789abcdef"));
        assert!(!debug.contains("hunter2"));
        assert_eq!(c.telegram.unwrap().token.expose_secret(), token);
        // A malformed secret is reported without its value.
        let err = cfg(&[("JWT_SECRET", "tooshort-secret")]).unwrap_err();
        assert!(!err.to_string().contains("tooshort"));
    }

    #[test]
    fn env_example_documents_every_variable() {
        let text = include_str!("../.env.example");
        let documented: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
            .collect();
        for var in VARIABLES {
            assert!(documented.contains(var), "{var} is not in .env.example");
        }
        for var in &documented {
            assert!(
                VARIABLES.contains(var) || COMPOSE_ONLY.contains(var),
                "{var} in .env.example is never read"
            );
        }
        // Each variable has a comment line right above it.
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !l.starts_with('#') && l.contains('=') {
                let mut j = i;
                while j > 0 && !lines[j - 1].starts_with('#') && !lines[j - 1].is_empty() {
                    j -= 1;
                }
                assert!(
                    j > 0 && lines[j - 1].starts_with('#'),
                    "no comment above {l}"
                );
            }
        }
        // And the example file itself is a valid configuration.
        let map = documented_values(text);
        Config::from_map(&map).unwrap();
    }

    fn documented_values(text: &str) -> HashMap<String, String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect()
    }

    #[test]
    fn cron_takes_five_or_six_fields() {
        let c = cfg(&[("PRICE_CHECK_CRON", "*/15 * * * *")]).unwrap();
        assert!(
            c.price_check
                .schedule
                .upcoming(chrono::Utc)
                .next()
                .is_some()
        );
        assert_eq!(c.check_period(), Duration::from_secs(900));
        let c = cfg(&[("PRICE_CHECK_CRON", "*/20 * * * * *")]).unwrap();
        assert_eq!(c.price_check.expression, "*/20 * * * * *");
        assert_eq!(c.check_period(), Duration::from_secs(20));
    }

    #[test]
    fn email_defaults_port_from_tls() {
        let c = cfg(&[
            ("EMAIL_HOST", "smtp.example.com"),
            ("EMAIL_FROM", "a@example.com"),
        ])
        .unwrap();
        let e = c.email.unwrap();
        assert_eq!((e.port, e.tls), (587, EmailTls::StartTls));
        let c = cfg(&[
            ("EMAIL_HOST", "h"),
            ("EMAIL_FROM", "a@example.com"),
            ("EMAIL_TLS", "tls"),
        ])
        .unwrap();
        assert_eq!(c.email.unwrap().port, 465);
    }

    #[test]
    fn every_sqlite_form_becomes_a_file_that_is_created() {
        for (given, want) in [
            ("sqlite:/tmp/x.db", "sqlite:///tmp/x.db?mode=rwc"),
            ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db?mode=rwc"),
            ("sqlite://data/x.db", "sqlite://data/x.db?mode=rwc"),
            ("sqlite:x.db", "sqlite://x.db?mode=rwc"),
            (
                "/var/lib/pricewatch/x.db",
                "sqlite:///var/lib/pricewatch/x.db?mode=rwc",
            ),
            ("./data/x.db", "sqlite://./data/x.db?mode=rwc"),
            ("sqlite://x.db?mode=ro", "sqlite://x.db?mode=ro"),
            ("sqlite::memory:", "sqlite::memory:"),
        ] {
            let c = cfg(&[("DATABASE_URL", given)]).unwrap();
            assert_eq!(c.database_url, DatabaseUrl::Sqlite(want.into()), "{given}");
        }
        assert!(cfg(&[("DATABASE_URL", "mysql://x/y")]).is_err());
    }

    #[test]
    fn discord_key_is_hex() {
        let key = "ab".repeat(32);
        let c = cfg(&[
            ("DISCORD_APPLICATION_ID", "123"),
            ("DISCORD_PUBLIC_KEY", &key),
            ("DISCORD_BOT_TOKEN", "t"),
        ])
        .unwrap();
        assert_eq!(c.discord.unwrap().public_key, [0xab; 32]);
    }
}
