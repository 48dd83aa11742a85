//! Telegram: long polling by default, or a webhook on our own HTTP server
//! (checked against `X-Telegram-Bot-Api-Secret-Token` before the body is
//! read, see `webhook.rs`) when
//! `TELEGRAM_WEBHOOK_URL` is set. `TELEGRAM_API_URL` points it at a
//! self-hosted Bot API server (or the tests' fake).

mod handle;
pub mod notifier;
mod pace;
pub mod render;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use secrecy::ExposeSecret;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::{Limits, Settings};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, Me};
use teloxide::update_listeners::{Polling, UpdateListener, webhooks};
use teloxide::{ApiError, RequestError};

use crate::app::App;
use crate::bots::dialogue::Dialogues;
use crate::config::TelegramConfig;
use crate::i18n::{Key, LOCALES, t};

pub use handle::Telegram;

/// The Bot API client every part of a process shares, rate limited the way
/// Telegram asks (1 message a second per chat, 20 a minute per group, 30 a
/// second overall; basic groups are paced in `pace`). A 429 comes back as an error rather than being retried
/// in place: alerts wait in the outbox, replies retry once.
pub type TgBot = Throttle<Bot>;

pub fn client(config: &TelegramConfig, limits: Limits) -> TgBot {
    crate::amazon::fetch::install_crypto_provider();
    let mut bot = Bot::new(config.token.expose_secret());
    if let Some(url) = &config.api_url {
        bot = bot.set_api_url(url.clone());
    }
    pace::set_group_limit(limits.messages_per_min_channel_or_supergroup);
    Throttle::spawn_with_settings(bot, Settings::default().limits(limits).no_retry())
}

/// `/command` and its description key, in the order Telegram shows them.
const COMMANDS: [(&str, Key); 10] = [
    ("start", Key::CmdStart),
    ("help", Key::CmdHelp),
    ("track", Key::CmdTrack),
    ("list", Key::CmdList),
    ("untrack", Key::CmdUntrack),
    ("history", Key::CmdHistory),
    ("email", Key::CmdEmail),
    ("lang", Key::CmdLang),
    ("settings", Key::CmdSettings),
    ("feed", Key::FeedCmdFeed),
];

fn commands(locale: &str) -> Vec<BotCommand> {
    COMMANDS
        .iter()
        .map(|(c, k)| BotCommand::new(*c, t(locale, *k, &[])))
        .collect()
}

/// Registers the command menu in English (the default) and in every shipped
/// language.
async fn register_commands(bot: &TgBot) -> Result<(), RequestError> {
    bot.set_my_commands(commands("en")).await?;
    for locale in &LOCALES[1..] {
        bot.set_my_commands(commands(locale))
            .language_code(*locale)
            .await?;
    }
    Ok(())
}

/// A bot that is receiving updates (or still trying to reach Telegram).
pub struct Started {
    /// The webhook route, to merge into the HTTP server (webhook mode only).
    pub router: Option<axum::Router>,
    /// Ends at shutdown; ends early with an error only when Telegram refuses
    /// the token.
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// The wait before retry number `attempt` (0-based): 1, 2, 4 … 60 s.
pub fn retry_delay(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(6)).min(Duration::from_secs(60))
}

/// One hello: who we are, with the command menu registered. The outer error
/// is final (Telegram refused the token); the inner one is worth retrying
/// (network, 5xx, flood wait).
async fn try_hello(bot: &TgBot) -> anyhow::Result<Result<Me, RequestError>> {
    let result = match bot.get_me().await {
        Ok(me) => register_commands(bot).await.map(|()| me),
        Err(e) => Err(e),
    };
    match result {
        Err(RequestError::Api(ApiError::InvalidToken)) => anyhow::bail!(
            "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the token from @BotFather again"
        ),
        other => Ok(other),
    }
}

/// Says hello again after `error`, with back-off, for as long as it takes.
/// `None` when shutdown came first.
async fn hello_again(
    bot: &TgBot,
    mut error: RequestError,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<Me>> {
    let mut attempt = 0;
    loop {
        let wait = retry_delay(attempt);
        tracing::warn!(
            error = %redact(&error.to_string()),
            "cannot reach Telegram, retrying in {} s",
            wait.as_secs()
        );
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.wait_for(|v| *v) => return Ok(None),
        }
        match try_hello(bot).await? {
            Ok(me) => return Ok(Some(me)),
            Err(e) => error = e,
        }
        attempt += 1;
    }
}

async fn set_webhook(bot: &TgBot, url: url::Url, secret: String) -> anyhow::Result<()> {
    bot.set_webhook(url)
        .secret_token(secret)
        .drop_pending_updates(false)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "Telegram did not accept the webhook: {}",
                redact(&e.to_string())
            )
        })?;
    Ok(())
}

/// Checks the token, registers the commands and starts receiving updates:
/// by webhook when `TELEGRAM_WEBHOOK_URL` is set, else by long polling.
/// When Telegram cannot be reached, the returned task keeps trying in the
/// background (the rest of the process runs meanwhile); a token Telegram
/// refuses is an error, at once or from the task.
pub async fn start(
    app: Arc<App>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Started> {
    let config = app
        .config
        .telegram
        .clone()
        .context("TELEGRAM_BOT_TOKEN is not set")?;
    let bot = app
        .telegram
        .clone()
        .context("the Telegram client was not built")?;
    let dialogues = match &app.redis {
        Some(conn) => Dialogues::redis(conn.clone(), &app.config.redis_key_prefix),
        None => Dialogues::local(),
    };
    let first = try_hello(&bot).await?;
    match (&config.webhook_url, &config.webhook_secret) {
        (Some(url), Some(secret)) => {
            let path = url.path().to_string();
            let secret = secret.expose_secret().to_string();
            let opts = webhooks::Options::new(([0, 0, 0, 0], app.config.port).into(), url.clone())
                .path(path)
                .secret_token(secret.clone());
            // The route is served at once; Telegram learns about it once it answers.
            let (listener, _stop, router) = webhooks::axum_no_setup(opts);
            let guarded = webhook::guard(router, secret.clone().into());
            let url = url.clone();
            let first = match first {
                Ok(me) => {
                    set_webhook(&bot, url.clone(), secret.clone()).await?;
                    Ok(me)
                }
                Err(e) => Err(e),
            };
            let task = tokio::spawn(async move {
                let me = match first {
                    Ok(me) => me,
                    Err(e) => {
                        let Some(me) = hello_again(&bot, e, &mut shutdown).await? else {
                            return Ok(());
                        };
                        set_webhook(&bot, url, secret).await?;
                        me
                    }
                };
                let tg = Arc::new(Telegram::new(app, bot, &me, dialogues));
                up(&me);
                receive(tg, listener, shutdown).await;
                Ok(())
            });
            Ok(Started {
                router: Some(guarded),
                task,
            })
        }
        _ => {
            let task = tokio::spawn(async move {
                let me = match first {
                    Ok(me) => me,
                    Err(e) => match hello_again(&bot, e, &mut shutdown).await? {
                        Some(me) => me,
                        None => return Ok(()),
                    },
                };
                let listener = Polling::builder(bot.clone())
                    .timeout(app.tuning.telegram_poll_timeout)
                    .delete_webhook()
                    .await
                    .build();
                let tg = Arc::new(Telegram::new(app, bot, &me, dialogues));
                up(&me);
                receive(tg, listener, shutdown).await;
                Ok(())
            });
            Ok(Started { router: None, task })
        }
    }
}

fn up(me: &Me) {
    tracing::info!(
        bot = me.user.username.as_deref().unwrap_or_default(),
        "Telegram bot is up"
    );
}

/// Takes updates from the listener until shutdown, each handled in its own
/// task; one chat's updates are handled in order.
async fn receive<L>(
    tg: Arc<Telegram>,
    mut listener: L,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) where
    L: UpdateListener,
    L::Err: std::fmt::Debug,
{
    let stop = listener.stop_token();
    let limit = Arc::new(tokio::sync::Semaphore::new(64));
    let stream = listener.as_stream();
    futures::pin_mut!(stream);
    let mut stopping = false;
    loop {
        let next = tokio::select! {
            u = stream.next() => u,
            _ = shutdown.wait_for(|v| *v), if !stopping => {
                // Polling makes one last call to confirm what it got.
                stop.stop();
                stopping = true;
                continue;
            }
        };
        let Some(update) = next else { break };
        match update {
            Ok(update) => {
                // The permit is taken inside, after the chat's turn comes,
                // so one busy chat cannot hold every permit.
                let (tg, limit) = (tg.clone(), limit.clone());
                tokio::spawn(async move { tg.handle(update, &limit).await });
            }
            Err(e) => {
                tracing::warn!(error = %redact(&format!("{e:?}")), "could not receive Telegram updates");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    // Let in-flight handlers finish.
    let _ = limit.acquire_many(64).await;
}

/// Error texts from teloxide can contain the request URL, and with it the
/// bot token: keep only what is not a secret.
pub fn redact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("/bot") {
        out.push_str(&rest[..i + 4]);
        let after = &rest[i + 4..];
        let end = after.find(['/', ' ', '"', ')']).unwrap_or(after.len());
        out.push_str("<token>");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_reach_the_log() {
        let e = "error sending request for url (https://api.telegram.org/bot123:AAE-secret/GetMe)";
        let r = redact(e);
        assert!(!r.contains("AAE-secret"), "{r}");
        assert!(r.contains("/bot<token>/GetMe"), "{r}");
    }

    #[test]
    fn retries_back_off_to_a_minute() {
        let waits: Vec<u64> = (0..9).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn every_command_has_a_description_in_every_language() {
        for locale in LOCALES {
            for c in commands(locale) {
                assert!(
                    (3..=256).contains(&c.description.chars().count()),
                    "{locale} {}",
                    c.command
                );
            }
        }
    }
}
