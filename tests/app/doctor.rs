//! `pricewatch doctor` against the fakes: every configured service green
//! exits 0; one broken service exits non-zero with its fix.

use std::process::Output;

use pricewatch::test_support::{RedisKeys, fresh_postgres, redis_url, temp_dir};

use crate::fake_amazon::FakeAmazon;
use crate::fake_openai::{Behaviour, FakeOpenAi};
use crate::fake_smtp::FakeSmtp;
use crate::fake_telegram::{BOT_USERNAME, FakeTelegram, TOKEN};

const APPLICATION_ID: &str = "1419000000000000001";

/// Discord's `GET /applications/@me` for one application and public key.
async fn discord_application(public_key: &str) -> String {
    let body = serde_json::json!({"id": APPLICATION_ID, "name": "pricewatch",
        "verify_key": public_key, "bot_public": true});
    let app = axum::Router::new().route(
        "/api/v10/applications/@me",
        axum::routing::get(move || async move { axum::Json(body) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v10", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Stands in for this instance behind PUBLIC_URL.
async fn healthz() -> String {
    let app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn pricewatch(args: &[&str], env: &[(String, String)]) -> Output {
    let dir = temp_dir();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"))
        .args(args)
        .current_dir(&dir)
        .env_clear()
        .envs(env.iter().cloned())
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_is_green_when_every_service_works_and_names_the_fix_for_one_that_does_not() {
    let (Some(db), Some(redis)) = (fresh_postgres().await, redis_url().await) else {
        return;
    };
    let keys = RedisKeys::new(&redis, "pwt");
    let tg = FakeTelegram::start().await;
    let smtp = FakeSmtp::start().await;
    let ai = FakeOpenAi::start(Behaviour::Reply {
        subject: "s".into(),
        paragraph: "p".into(),
    })
    .await;
    let amazon = FakeAmazon::start().await;
    let key = "5c".repeat(32);
    let mut env: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), db.url().into()),
        ("REDIS_URL".into(), redis.clone()),
        ("REDIS_KEY_PREFIX".into(), keys.prefix().into()),
        ("TELEGRAM_BOT_TOKEN".into(), TOKEN.into()),
        ("TELEGRAM_API_URL".into(), tg.url()),
        ("DISCORD_APPLICATION_ID".into(), APPLICATION_ID.into()),
        ("DISCORD_PUBLIC_KEY".into(), key.clone()),
        ("DISCORD_BOT_TOKEN".into(), "discord-bot-token".into()),
        ("DISCORD_API_URL".into(), discord_application(&key).await),
        ("PUBLIC_URL".into(), healthz().await),
        ("FETCH_URL_TEMPLATE".into(), amazon.template()),
    ];
    env.extend(smtp.env().into_iter().map(|(k, v)| (k.to_string(), v)));
    env.extend(ai.env().into_iter().map(|(k, v)| (k.to_string(), v)));

    // Not migrated yet: the database line says what to run.
    let out = pricewatch(&["doctor"], &env).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("[FAIL] database: PostgreSQL at 127.0.0.1:5432 lacks 11 of 11 migrations\n       fix: run `pricewatch migrate`"),
        "{text}"
    );
    assert!(text.contains("1 of 10 checks failed."), "{text}");

    let migrated = pricewatch(&["migrate"], &env).await;
    assert!(migrated.status.success(), "{migrated:?}");
    let out = pricewatch(&["doctor"], &env).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    for line in [
        "[ok]   settings: scaled mode (PostgreSQL and Redis)",
        "[ok]   database: PostgreSQL at 127.0.0.1:5432, all 11 migrations applied",
        "[ok]   Redis: 127.0.0.1:6379 answers PING",
        &format!("[ok]   Telegram: token valid for @{BOT_USERNAME}"),
        "[ok]   Telegram webhook: none set: `pricewatch run` uses long polling",
        &format!("[ok]   Discord: application {APPLICATION_ID}, public key matches"),
        "[ok]   SMTP: 127.0.0.1:",
        "[ok]   AI endpoint: 127.0.0.1:",
        "[ok]   PUBLIC_URL: 127.0.0.1:",
        "[ok]   FETCH_URL_TEMPLATE: 127.0.0.1:",
        "All 10 checks passed.",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    // Nothing was sent: the SMTP check logs in and leaves.
    assert!(smtp.inbox().is_empty());
    assert!(!text.contains(TOKEN.split(':').nth(1).unwrap()));

    // One broken service: a token Telegram rejects.
    for (k, v) in &mut env {
        if k == "TELEGRAM_BOT_TOKEN" {
            *v = "123456789:AAWrongWrongWrongWrongWrongWrong".into();
        }
    }
    let out = pricewatch(&["doctor"], &env).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "[FAIL] Telegram: Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized)\n       fix: copy the token from @BotFather"
        ),
        "{text}"
    );
    assert!(text.contains("1 of 9 checks failed."), "{text}");
    assert!(!text.contains("AAWrongWrong"), "{text}");
}
