//! Operating pricewatch: health, readiness, metrics, and the `run` role
//! starting and stopping cleanly.

use std::time::Duration;

use pricewatch::jobs::check_product;
use pricewatch::tracking::{self, DestinationKind, DestinationRef, Identity, Platform};

use crate::fake_amazon::{Answer, de_page_at};
use crate::support::{Mode, eventually, spawn_app};

async fn get(url: &str) -> (u16, String) {
    pricewatch::amazon::fetch::install_crypto_provider();
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_report_what_happened() {
    let Some(page) = de_page_at(1299) else { return };
    let Some(mut t) = spawn_app(Mode::Scaled).await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(pricewatch::http::serve(
        t.app.clone(),
        listener,
        None,
        std::future::pending(),
    ));

    assert_eq!(get(&format!("{base}/healthz")).await, (200, "ok".into()));
    assert_eq!(
        get(&format!("{base}/readyz")).await,
        (200, "database: ok\nredis: ok\nworkers: ok\n".into())
    );
    t.fake.answer("B01LZ79682", Answer::Html(page));
    let who = Identity {
        platform: Platform::Telegram,
        user_id: "1".into(),
        display_name: None,
        locale: None,
    };
    let dest = DestinationRef {
        kind: DestinationKind::TelegramChat,
        address: "1".into(),
    };
    let tracked = tracking::track(&t.app, &who, &dest, "https://amazon.de/dp/B01LZ79682", None)
        .await
        .unwrap();
    t.fake
        .answer("B01LZ79682", Answer::Status(503, "busy".into()));
    check_product::run(&t.app, tracked.product.id)
        .await
        .unwrap();
    t.fake
        .answer("B01LZ79682", Answer::Html(de_page_at(1199).unwrap()));
    check_product::run(&t.app, tracked.product.id)
        .await
        .unwrap();
    // The sent counter moves just after the notifier returns.
    let metrics_url = format!("{base}/metrics");
    eventually(20, "the alert to be counted as sent", || async {
        get(&metrics_url)
            .await
            .1
            .lines()
            .any(|l| l == "pricewatch_alerts_sent_total 1")
    })
    .await;
    assert_eq!(t.sent.sent().len(), 1);
    let (status, metrics) = get(&metrics_url).await;
    assert_eq!(status, 200);
    for line in [
        "pricewatch_checks_total{outcome=\"ok\"} 2",
        "pricewatch_checks_total{outcome=\"blocked\"} 1",
        "pricewatch_alerts_created_total 1",
        "pricewatch_alerts_sent_total 1",
        "pricewatch_fetch_latency_seconds_count 3",
        "pricewatch_queue_depth{queue=\"deliver\"} 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line:?} in\n{metrics}"
        );
    }
    t.stop_workers().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_http_on_port_and_stops_on_sigterm() {
    let dir = pricewatch::test_support::temp_dir();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"))
        .arg("run")
        .current_dir(&dir)
        .env_clear()
        .env("PORT", port.to_string())
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/readyz");
    eventually(60, "pricewatch run to answer", || {
        let url = url.clone();
        async move {
            match reqwest::get(&url).await {
                Ok(r) => {
                    r.status() == 200
                        && r.text().await.unwrap_or_default()
                            == "database: ok\nredis: not used\nworkers: ok\n"
                }
                Err(_) => false,
            }
        }
    })
    .await;
    // The embedded default created its database under ./data.
    assert!(dir.join("data/pricewatch.db").exists());
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::time::timeout(Duration::from_secs(40), child.wait_with_output())
        .await
        .expect("pricewatch run did not stop within 40 s of SIGTERM")
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("shutting down"));
}
