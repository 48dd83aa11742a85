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
    let url = tg.url();
    let (child, port) = crate::support::run_process(
        &dir,
        &[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_API_URL", url.as_str()),
            (
                "TELEGRAM_WEBHOOK_URL",
                "https://bot.example.org/telegram/hook",
            ),
            ("TELEGRAM_WEBHOOK_SECRET", SECRET),
        ],
    );
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

    // 2 MB announced without the secret (or with a wrong one): 401 comes
    // before a byte of the body is sent, not 413 after reading it.
    let no_secret = answer_to_headers(port, None).await;
    assert!(no_secret.starts_with("HTTP/1.1 401"), "{no_secret}");
    let wrong = answer_to_headers(port, Some("s3cret-token_valuf")).await;
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");

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

    let log = crate::support::sigterm_and_log(child).await;
    assert!(log.contains("unreadable Telegram update"), "{log}");
    assert!(
        !log.contains(private),
        "the message text reached the log:\n{log}"
    );
}

/// Sends only the headers of a 2 MB POST to the hook and reads the answer.
async fn answer_to_headers(port: u16, secret: Option<&str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let secret = secret
        .map(|s| format!("{HEADER}: {s}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST /telegram/hook HTTP/1.1\r\nHost: 127.0.0.1\r\n{secret}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        2 * 1024 * 1024 + 1024
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    // A bound on a hang (the old server waited for the body), not a timing.
    let n = tokio::time::timeout(std::time::Duration::from_secs(20), conn.read(&mut answer))
        .await
        .expect("no answer before the body was sent")
        .unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}
