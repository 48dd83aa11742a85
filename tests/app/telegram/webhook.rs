//! The webhook of a running `pricewatch run`: the secret is checked before
//! the body is read, and an update that cannot be read is logged without
//! its content (it may hold a person's message).

use super::{TOKEN, last};
use crate::fake_telegram::{FakeTelegram, private_text};

const SECRET: &str = "s3cret-token_value";
const HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_checks_the_secret_first_and_logs_no_message_text() {
    if pricewatch::test_support::fixtures_dir().is_none() {
        return;
    }
    pricewatch::amazon::fetch::install_crypto_provider();
    let tg = FakeTelegram::start().await;
    let dir = pricewatch::test_support::temp_dir();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"))
        .arg("run")
        .current_dir(&dir)
        .env_clear()
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env(
            "TELEGRAM_WEBHOOK_URL",
            "https://bot.example.org/telegram/hook",
        )
        .env("TELEGRAM_WEBHOOK_SECRET", SECRET)
        .env("PORT", port.to_string())
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let hook = format!("http://127.0.0.1:{port}/telegram/hook");
    let client = reqwest::Client::new();
    crate::support::eventually(60, "the webhook to be served", || {
        let (client, hook) = (client.clone(), hook.clone());
        async move {
            client
                .post(&hook)
                .body("{}")
                .send()
                .await
                .is_ok_and(|r| r.status() == 401)
        }
    })
    .await;

    // 2 MB without the secret (or with a wrong one): 401, not 413.
    let big = vec![b'x'; 2 * 1024 * 1024 + 1024];
    let r = client.post(&hook).body(big.clone()).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(&hook)
        .header(HEADER, "s3cret-token_valuf")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // A body that is not an update, with the right secret: accepted (so
    // Telegram does not resend it) and logged without its text.
    let private = "my-private-words-4711";
    let whole = serde_json::to_string(&private_text(6161, "en", private).unwrap()).unwrap();
    let broken = whole[..whole.len() - 2].to_string();
    let r = client
        .post(&hook)
        .header(HEADER, SECRET)
        .header("content-type", "application/json")
        .body(broken)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A good update after it is answered.
    let r = client
        .post(&hook)
        .header(HEADER, SECRET)
        .json(&private_text(6161, "en", "/help").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let help = last(&tg.wait_for(6161, 1).await).clone();
    assert!(help.text().starts_with("Send me an Amazon product link"));

    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::time::timeout(std::time::Duration::from_secs(40), child.wait_with_output())
        .await
        .expect("pricewatch run did not stop within 40 s of SIGTERM")
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("unreadable Telegram update"), "{log}");
    assert!(
        !log.contains(private),
        "the message text reached the log:\n{log}"
    );
}
