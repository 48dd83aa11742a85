//! `pricewatch doctor`: checks every outside service the settings name, the
//! way the running program uses it, and prints a checklist with a fix for
//! each failure. Exits 0 only when everything configured works. Prints no
//! secret: hosts and ports only, never tokens, passwords or full URLs.

use std::future::Future;
use std::time::Duration;

use secrecy::ExposeSecret;

use crate::app::{Mode, mode};
use crate::config::{Config, DatabaseUrl};

/// How long one check may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Ok(String),
    /// What went wrong, and what to do about it.
    Failed {
        what: String,
        fix: String,
    },
    /// Not configured, so not checked.
    Skipped(String),
}

fn failed(what: impl Into<String>, fix: impl Into<String>) -> Status {
    Status::Failed {
        what: what.into(),
        fix: fix.into(),
    }
}

/// Runs every check and prints the checklist; returns the exit code.
pub async fn run(config: &Config) -> u8 {
    let checks = check_all(config).await;
    let mut failures = 0;
    let mut checked = 0;
    for (name, status) in &checks {
        match status {
            Status::Ok(detail) => {
                checked += 1;
                println!("[ok]   {name}: {detail}");
            }
            Status::Failed { what, fix } => {
                checked += 1;
                failures += 1;
                println!("[FAIL] {name}: {what}");
                println!("       fix: {fix}");
            }
            Status::Skipped(why) => println!("[--]   {name}: {why}"),
        }
    }
    if failures == 0 {
        println!("All {checked} checks passed.");
        0
    } else {
        println!("{failures} of {checked} checks failed.");
        1
    }
}

/// Every check, in the order a newcomer fixes things.
pub async fn check_all(config: &Config) -> Vec<(&'static str, Status)> {
    crate::amazon::fetch::install_crypto_provider();
    let mut out = vec![("settings", settings(config))];
    out.push(("database", timed(database(config)).await));
    out.push(("Redis", timed(redis(config)).await));
    out.extend(timed_pair(telegram(config)).await);
    out.push(("Discord", timed(discord(config)).await));
    out.push(("SMTP", timed(smtp(config)).await));
    out.push(("AI endpoint", timed(ai(config)).await));
    out.push(("PUBLIC_URL", timed(public_url(config)).await));
    out.push(("FETCH_URL_TEMPLATE", timed(fetch_template(config)).await));
    out
}

async fn timed(check: impl Future<Output = Status>) -> Status {
    tokio::time::timeout(TIMEOUT, check)
        .await
        .unwrap_or_else(|_| {
            failed(
                format!("no answer within {} s", TIMEOUT.as_secs()),
                "check that the service is running and reachable from here",
            )
        })
}

async fn timed_pair(
    check: impl Future<Output = [(&'static str, Status); 2]>,
) -> [(&'static str, Status); 2] {
    let late = || {
        failed(
            format!("no answer within {} s", TIMEOUT.as_secs()),
            "check the network, or TELEGRAM_API_URL",
        )
    };
    tokio::time::timeout(TIMEOUT * 2, check)
        .await
        .unwrap_or_else(|_| [("Telegram", late()), ("Telegram webhook", late())])
}

fn settings(config: &Config) -> Status {
    match mode(config) {
        Ok(Mode::Embedded) => Status::Ok("embedded mode (SQLite, no Redis)".into()),
        Ok(Mode::Scaled) => Status::Ok("scaled mode (PostgreSQL and Redis)".into()),
        Err(sentence) => failed("DATABASE_URL and REDIS_URL do not fit together", sentence),
    }
}

/// `host:port` of a URL, for messages (never its credentials or path).
fn host_port(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => "?".into(),
        },
        Err(_) => "?".into(),
    }
}

async fn database(config: &Config) -> Status {
    let place = match &config.database_url {
        DatabaseUrl::Postgres(s) => format!("PostgreSQL at {}", host_port(s)),
        DatabaseUrl::Sqlite(s) => {
            let path = s
                .strip_prefix("sqlite://")
                .and_then(|p| p.split('?').next())
                .unwrap_or(s);
            if !path.starts_with(':') && !std::path::Path::new(path).exists() {
                return failed(
                    format!("the SQLite file {path} does not exist yet"),
                    "run `pricewatch migrate` (or `pricewatch run`, which migrates first)",
                );
            }
            format!("SQLite file {path}")
        }
    };
    let db = match crate::store::connect(&config.database_url).await {
        Ok(db) => db,
        Err(e) => {
            // A PostgreSQL connect error already says where.
            let what = format!("{e:#}");
            let what = if what.contains(&place) {
                what
            } else {
                format!("{place}: {what}")
            };
            return failed(what, "start the database, or correct DATABASE_URL");
        }
    };
    let total = {
        use migration::MigratorTrait;
        migration::Migrator::migrations().len()
    };
    let status = match crate::store::pending_migrations(&db).await {
        Ok(0) => Status::Ok(format!("{place}, all {total} migrations applied")),
        Ok(n) => failed(
            format!("{place} lacks {n} of {total} migrations"),
            "run `pricewatch migrate`",
        ),
        Err(e) => failed(format!("{place}: {e:#}"), "check DATABASE_URL"),
    };
    let _ = db.close().await;
    status
}

async fn redis(config: &Config) -> Status {
    let Some(url) = &config.redis_url else {
        return Status::Skipped(
            "REDIS_URL is not set (embedded mode keeps queues in the database)".into(),
        );
    };
    let url = url.expose_secret();
    let at = host_port(url);
    let answer = async {
        let client = redis::Client::open(url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match answer.await {
        Ok(_) => Status::Ok(format!("{at} answers PING")),
        Err(e) => failed(format!("{at}: {e}"), "start Redis, or correct REDIS_URL"),
    }
}

/// The token (`getMe`) and the webhook state (`getWebhookInfo`).
async fn telegram(config: &Config) -> [(&'static str, Status); 2] {
    use teloxide::prelude::Requester;
    use teloxide::{ApiError, RequestError};
    let Some(tg) = &config.telegram else {
        let skip = || Status::Skipped("TELEGRAM_BOT_TOKEN is not set".into());
        return [("Telegram", skip()), ("Telegram webhook", skip())];
    };
    let bot = crate::bots::telegram::client(tg, teloxide::adaptors::throttle::Limits::default());
    let api = tg.api_url.as_ref().map_or_else(
        || "api.telegram.org:443".to_string(),
        |u| host_port(u.as_str()),
    );
    let me = match bot.get_me().await {
        Ok(me) => me,
        Err(RequestError::Api(ApiError::InvalidToken)) => {
            let fix =
                "copy the token from @BotFather (/mybots → API Token) into TELEGRAM_BOT_TOKEN";
            return [
                (
                    "Telegram",
                    failed(
                        "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized)",
                        fix,
                    ),
                ),
                (
                    "Telegram webhook",
                    Status::Skipped("needs a valid token".into()),
                ),
            ];
        }
        Err(e) => {
            let what = format!(
                "cannot reach the Bot API at {api}: {}",
                crate::bots::telegram::redact(&e.to_string())
            );
            return [
                (
                    "Telegram",
                    failed(what, "check the network, or TELEGRAM_API_URL"),
                ),
                ("Telegram webhook", Status::Skipped("needs Telegram".into())),
            ];
        }
    };
    let name = me.user.username.clone().unwrap_or_default();
    let bot_status = Status::Ok(format!("token valid for @{name}"));
    let hook = match bot.get_webhook_info().await {
        Err(e) => failed(
            format!(
                "getWebhookInfo failed: {}",
                crate::bots::telegram::redact(&e.to_string())
            ),
            "try again; check TELEGRAM_API_URL",
        ),
        Ok(info) => webhook_state(
            tg.webhook_url.as_ref(),
            info.url.as_ref(),
            info.last_error_message.as_deref(),
        ),
    };
    [("Telegram", bot_status), ("Telegram webhook", hook)]
}

/// What the webhook Telegram holds means for the mode we are set up for.
fn webhook_state(
    wanted: Option<&url::Url>,
    held: Option<&url::Url>,
    last_error: Option<&str>,
) -> Status {
    match (wanted, held) {
        (None, None) => Status::Ok("none set: `pricewatch run` uses long polling".into()),
        (None, Some(_)) => Status::Ok(
            "Telegram holds a webhook; `pricewatch run` removes it when it starts long polling"
                .into(),
        ),
        (Some(_), None) => Status::Ok("not set yet: `pricewatch run` sets it".into()),
        (Some(w), Some(h)) if w != h => Status::Ok(format!(
            "Telegram holds another URL ({}); `pricewatch run` replaces it",
            host_port(h.as_str())
        )),
        (Some(w), Some(_)) => match last_error {
            Some(err) => failed(
                format!(
                    "Telegram cannot deliver to {}: {err}",
                    host_port(w.as_str())
                ),
                "make TELEGRAM_WEBHOOK_URL reach this process's PORT over HTTPS (reverse proxy or tunnel)",
            ),
            None => Status::Ok(format!(
                "set to {}, no delivery errors",
                host_port(w.as_str())
            )),
        },
    }
}

/// The application behind the bot token, and that its public key is ours.
async fn discord(config: &Config) -> Status {
    let Some(d) = &config.discord else {
        return Status::Skipped("DISCORD_APPLICATION_ID is not set".into());
    };
    let base = d.api_url.as_ref().map_or_else(
        || crate::bots::discord::rest::DEFAULT_BASE.to_string(),
        |u| u.as_str().trim_end_matches('/').to_string(),
    );
    let at = host_port(&base);
    let client = match http_client() {
        Ok(c) => c,
        Err(s) => return s,
    };
    let resp = client
        .get(format!("{base}/applications/@me"))
        .header(
            "Authorization",
            format!("Bot {}", d.bot_token.expose_secret()),
        )
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            return failed(
                format!("cannot reach Discord at {at}: {}", e.without_url()),
                "check the network, or DISCORD_API_URL",
            );
        }
    };
    let status = resp.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return failed(
            "Discord rejected DISCORD_BOT_TOKEN (401)",
            "reset the token under Bot in the Developer Portal and copy it into DISCORD_BOT_TOKEN",
        );
    }
    if !status.is_success() {
        return failed(
            format!("Discord answered {status}"),
            "try again later; check DISCORD_API_URL",
        );
    }
    let app: serde_json::Value = resp.json().await.unwrap_or_default();
    let id = app["id"].as_str().unwrap_or_default();
    let key = app["verify_key"].as_str().unwrap_or_default();
    let ours: String = d.public_key.iter().map(|b| format!("{b:02x}")).collect();
    if id != d.application_id.to_string() {
        failed(
            format!("the bot token belongs to application {id}, not DISCORD_APPLICATION_ID"),
            "copy the Application ID from General Information into DISCORD_APPLICATION_ID",
        )
    } else if !key.eq_ignore_ascii_case(&ours) {
        failed(
            "DISCORD_PUBLIC_KEY is not this application's public key",
            "copy the Public Key from General Information into DISCORD_PUBLIC_KEY",
        )
    } else {
        Status::Ok(format!("application {id}, public key matches"))
    }
}

async fn smtp(config: &Config) -> Status {
    let Some(e) = &config.email else {
        return Status::Skipped("EMAIL_HOST is not set".into());
    };
    let at = format!("{}:{}", e.host, e.port);
    let mailer = match crate::email::smtp::Mailer::new(e) {
        Ok(m) => m,
        Err(err) => return failed(format!("{err:#}"), "correct EMAIL_FROM / EMAIL_HOST"),
    };
    let login = if e.user.is_some() {
        " and logged in"
    } else {
        ""
    };
    match mailer.test_connection().await {
        Ok(()) => Status::Ok(format!("{at} connected{login} (nothing sent)")),
        Err(err) => failed(
            format!("{at}: {err}"),
            "check EMAIL_HOST, EMAIL_PORT and EMAIL_TLS, and EMAIL_USER/EMAIL_PASS with your provider",
        ),
    }
}

/// One request of one token: the key, the base URL and the model together.
async fn ai(config: &Config) -> Status {
    let Some(ai) = &config.openai else {
        return Status::Skipped("OPENAI_API_KEY is not set (emails use templates)".into());
    };
    let base = ai.base_url.as_ref().map_or_else(
        || "https://api.openai.com/v1".to_string(),
        |u| u.as_str().trim_end_matches('/').to_string(),
    );
    let at = host_port(&base);
    let client = match http_client() {
        Ok(c) => c,
        Err(s) => return s,
    };
    let body = serde_json::json!({
        "model": ai.model,
        "messages": [{"role": "user", "content": "Say ok."}],
        "max_tokens": 1,
    });
    let resp = client
        .post(format!("{base}/chat/completions"))
        .bearer_auth(ai.api_key.expose_secret())
        .json(&body)
        .send()
        .await;
    match resp {
        Err(e) => failed(
            format!("cannot reach {at}: {}", e.without_url()),
            "check OPENAI_BASE_URL (it ends in /v1) and that the server runs",
        ),
        Ok(r) if r.status().is_success() => {
            Status::Ok(format!("{at} answered with model {}", ai.model))
        }
        Ok(r) if r.status() == reqwest::StatusCode::UNAUTHORIZED => failed(
            format!("{at} rejected OPENAI_API_KEY (401)"),
            "set OPENAI_API_KEY to a key for this endpoint",
        ),
        Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => failed(
            format!("{at} answered 404 for model {}", ai.model),
            "check OPENAI_MODEL and that OPENAI_BASE_URL ends in /v1",
        ),
        Ok(r) => failed(
            format!("{at} answered {}", r.status()),
            "try again later, or check OPENAI_BASE_URL and OPENAI_MODEL",
        ),
    }
}

/// This instance's own `/healthz` through `PUBLIC_URL`, as Discord, Telegram
/// and email links will reach it.
async fn public_url(config: &Config) -> Status {
    let Some(base) = &config.public_url else {
        return Status::Skipped("PUBLIC_URL is not set".into());
    };
    let at = host_port(base.as_str());
    let url = format!("{}/healthz", base.as_str().trim_end_matches('/'));
    let client = match http_client() {
        Ok(c) => c,
        Err(s) => return s,
    };
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => Status::Ok(format!("{at}/healthz answers")),
        Ok(r) => failed(
            format!("{at}/healthz answered {}", r.status()),
            "point PUBLIC_URL (or your reverse proxy) at this process's PORT",
        ),
        Err(e) => failed(
            format!("cannot reach {at}: {}", e.without_url()),
            "start `pricewatch run`, and make PUBLIC_URL reach its PORT (reverse proxy or tunnel)",
        ),
    }
}

/// The scraping API answers for a product URL (any page counts; a refusal
/// of the key or a server error does not).
async fn fetch_template(config: &Config) -> Status {
    let Some(template) = &config.fetch.url_template else {
        return Status::Skipped("not set (pages are fetched from Amazon directly)".into());
    };
    let product = percent_encoding::utf8_percent_encode(
        "https://www.amazon.com/dp/B000000000",
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let url = template.replace("{url}", &product);
    let at = host_port(&url);
    let client = match http_client() {
        Ok(c) => c,
        Err(s) => return s,
    };
    match client.get(&url).send().await {
        Err(e) => failed(
            format!("cannot reach {at}: {}", e.without_url()),
            "check FETCH_URL_TEMPLATE and that the service runs",
        ),
        Ok(r) if matches!(r.status().as_u16(), 401..=403) => failed(
            format!("{at} refused the request ({})", r.status()),
            "check the API key or plan in FETCH_URL_TEMPLATE",
        ),
        Ok(r) if r.status().is_server_error() => failed(
            format!("{at} answered {}", r.status()),
            "try again later, or ask the scraping service",
        ),
        Ok(r) => Status::Ok(format!("{at} answers ({})", r.status())),
    }
}

fn http_client() -> Result<reqwest::Client, Status> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| {
            failed(
                format!("cannot build an HTTP client: {e}"),
                "report this as a bug",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_never_shows_credentials() {
        assert_eq!(
            host_port("postgres://u:hunter2@db.example:6543/x"),
            "db.example:6543"
        );
        assert_eq!(
            host_port("https://api.example/?key=K&url=x"),
            "api.example:443"
        );
    }

    #[test]
    fn a_webhook_fails_only_when_telegram_cannot_deliver_to_ours() {
        let ours = url::Url::parse("https://bot.example.org/tg").ok();
        let other = url::Url::parse("https://old.example.org/tg").ok();
        assert!(matches!(webhook_state(None, None, None), Status::Ok(_)));
        assert!(matches!(
            webhook_state(ours.as_ref(), None, None),
            Status::Ok(_)
        ));
        assert!(matches!(
            webhook_state(ours.as_ref(), other.as_ref(), Some("x")),
            Status::Ok(_)
        ));
        assert!(matches!(
            webhook_state(ours.as_ref(), ours.as_ref(), Some("Connection refused")),
            Status::Failed { .. }
        ));
    }
}
