//! Faults a running deployment meets: Redis killed and restarted under a
//! `run` and a `worker`, a worker killed mid-check, a worker stopped or
//! killed mid-send, Telegram answering 500, and the dead alerts an operator
//! re-queues with `pricewatch outbox`. Real binaries, a test-owned
//! `redis-server`, real PostgreSQL, local fakes of Amazon and Telegram.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use std::sync::Arc;

use pricewatch::app::{App, Options, Tuning};
use pricewatch::config::Config;
use pricewatch::jobs::check_product;
use pricewatch::jobs::sweep::sweep_once;
use pricewatch::notify::SendError;
use pricewatch::store::entities::{notifications, products};
use pricewatch::tracking::{self, DestinationKind, DestinationRef, Identity, Platform};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::fake_amazon::{Answer, de_page_at};
use crate::fake_telegram::{Failure, FakeTelegram, TOKEN};
use crate::scale::{asin, repeats, seed, set_price, sweep_round};
use crate::support::{
    Mode, TestApp, delivered_keys, eventually, spawn_app_with, spawn_app_without_workers,
};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A `redis-server` of the test's own, without persistence: a restart
/// brings it back empty, as after a crash of a cache-only Redis.
struct TestRedis {
    port: u16,
    child: Option<tokio::process::Child>,
}

impl TestRedis {
    /// None (after saying why) when `redis-server` is not installed.
    async fn start() -> Option<TestRedis> {
        let mut r = TestRedis {
            port: free_port(),
            child: None,
        };
        if !r.spawn().await {
            assert!(
                std::env::var("CI").is_err(),
                "redis-server is needed for the fault tests"
            );
            eprintln!("redis-server is not installed; skipping");
            return None;
        }
        Some(r)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self) -> bool {
        let child = tokio::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let Ok(child) = child else { return false };
        self.child = Some(child);
        let url = self.url();
        eventually(20, "the test redis-server to answer", || {
            let url = url.clone();
            async move {
                let Ok(client) = redis::Client::open(url) else {
                    return false;
                };
                match client.get_multiplexed_async_connection().await {
                    Ok(mut c) => redis::cmd("PING")
                        .query_async::<String>(&mut c)
                        .await
                        .is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
        true
    }

    async fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.start_kill().unwrap();
            let _ = c.wait().await;
        }
    }

    /// Connections open now (the processes under test hold some).
    async fn clients(&self) -> usize {
        let client = redis::Client::open(self.url()).unwrap();
        let Ok(mut c) = client.get_multiplexed_async_connection().await else {
            return 0;
        };
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(&mut c)
            .await
            .unwrap_or_default();
        list.lines().count().saturating_sub(1)
    }
}

/// A `pricewatch` process (`run` or `worker`) joined to the test app, with
/// `extra` settings; its log goes to `<dir>/<name>.log`.
fn process(t: &TestApp, role: &str, name: &str, extra: &[(&str, String)]) -> tokio::process::Child {
    let log = std::fs::File::create(t.dir.join(format!("{name}.log"))).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"));
    cmd.arg(role)
        .current_dir(&t.dir)
        .env_clear()
        .envs(&t.env)
        .env("RUST_LOG", "info,sqlx=warn,sea_orm=warn")
        .kill_on_drop(true)
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn log_of(t: &TestApp, name: &str) -> String {
    std::fs::read_to_string(t.dir.join(format!("{name}.log"))).unwrap_or_default()
}

fn signal(child: &tokio::process::Child, sig: &str) {
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success()
    );
}

/// Every product is due now (the next sweep of a `run` enqueues it).
async fn all_due(t: &TestApp) {
    let q = Query::update()
        .table(products::Entity)
        .value(
            products::Column::NextCheckAt,
            chrono::Utc::now() - chrono::Duration::seconds(1),
        )
        .to_owned();
    t.app.db.execute(&q).await.unwrap();
}

async fn get(url: &str) -> Option<(u16, String)> {
    pricewatch::amazon::fetch::install_crypto_provider();
    let r = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    Some((r.status().as_u16(), r.text().await.unwrap_or_default()))
}

/// An app of the test's own on the test Redis, to sweep and check as `run`
/// would (without spreading the checks over the period).
async fn app_on(t: &TestApp, redis: &TestRedis) -> Arc<App> {
    let mut env = t.env.clone();
    env.insert("REDIS_URL".into(), redis.url());
    let config = Config::from_map(&env).unwrap();
    let mut tuning = Tuning::from_config(&config);
    tuning.spread = Duration::ZERO;
    App::build(
        config,
        Options {
            tuning: Some(tuning),
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_empty_under_run_and_worker_delays_alerts_by_seconds_and_loses_none() {
    if de_page_at(1299).is_none() {
        return;
    }
    let Some(mut redis) = TestRedis::start().await else {
        return;
    };
    let Some(t) = spawn_app_without_workers(Mode::Scaled).await else {
        return;
    };
    const PRODUCTS: usize = 20;
    const WATCHERS: usize = 60;
    seed(&t, PRODUCTS, WATCHERS).await;
    let out = t.dir.join("deliveries");
    let port = free_port();
    let env = |extra: &[(&'static str, String)]| {
        let mut v: Vec<(&'static str, String)> = vec![
            ("REDIS_URL", redis.url()),
            ("DELIVERY_LOG_DIR", out.display().to_string()),
            ("WORKER_GIVE_UP_SECS", "120".to_string()),
        ];
        v.extend(extra.iter().cloned());
        v
    };
    let mut run = process(&t, "run", "run", &env(&[("PORT", port.to_string())]));
    let mut worker = process(&t, "worker", "worker", &env(&[]));
    let readyz = format!("http://127.0.0.1:{port}/readyz");
    eventually(60, "run to be ready", || async {
        get(&readyz).await.is_some_and(|(s, _)| s == 200)
    })
    .await;
    let sweeper = app_on(&t, &redis).await;

    // Round 1, Redis up: the sweep enqueues, the processes check and deliver.
    set_price(&t, PRODUCTS, 1199);
    all_due(&t).await;
    assert_eq!(
        sweep_once(&sweeper, chrono::Utc::now()).await.unwrap(),
        PRODUCTS
    );
    eventually(60, "round 1: every alert", || async {
        delivered_keys(&out).len() >= WATCHERS
    })
    .await;

    // Redis dies. The prices drop; while Redis is away half the products
    // are checked (their alerts cannot be enqueued) and the other half are
    // swept (their checks cannot be enqueued). Only the database knows.
    redis.kill().await;
    let seen_down = std::sync::Mutex::new(String::new());
    eventually(30, "/readyz to say what is down", || async {
        match get(&readyz).await {
            Some((503, body))
                if body.contains("redis: unreachable") && body.contains("workers: down") =>
            {
                *seen_down.lock().unwrap() = body;
                true
            }
            _ => false,
        }
    })
    .await;
    let seen_down = seen_down.into_inner().unwrap();
    set_price(&t, PRODUCTS, 1099);
    all_due(&t).await;
    let ids: Vec<i64> = products::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    for id in &ids[PRODUCTS / 2..] {
        assert!(check_product::run(&sweeper, *id).await.is_err());
    }
    assert!(sweep_once(&sweeper, chrono::Utc::now()).await.is_err());
    let pending = notifications::Entity::find()
        .filter(notifications::Column::Status.eq("pending"))
        .count(&t.app.db)
        .await
        .unwrap();
    assert_eq!(pending as usize, WATCHERS / 2);
    let queued = products::Entity::find()
        .filter(products::Column::CheckQueuedAt.is_not_null())
        .count(&t.app.db)
        .await
        .unwrap();
    assert_eq!(queued as usize, PRODUCTS / 2);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(delivered_keys(&out).len(), WATCHERS);

    // Redis returns, empty. No process is restarted, and no sweep is due
    // for an hour: the workers take their work from the database.
    redis.spawn().await;
    let back = Instant::now();
    eventually(
        10,
        "round 2: every alert within 10 s of Redis returning",
        || async { delivered_keys(&out).len() >= 2 * WATCHERS },
    )
    .await;
    let took = back.elapsed();
    eventually(20, "/readyz to be ready again", || async {
        get(&readyz).await.is_some_and(|(s, _)| s == 200)
    })
    .await;
    // Nothing more arrives late, and nothing was sent twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let delivered = delivered_keys(&out).len();
    let duplicates = repeats(&out);
    assert!(run.try_wait().unwrap().is_none(), "run exited");
    assert!(worker.try_wait().unwrap().is_none(), "worker exited");
    assert_eq!(delivered, 2 * WATCHERS);
    assert_eq!(duplicates, 0, "an alert was sent twice");
    let rows = notifications::Entity::find().all(&t.app.db).await.unwrap();
    assert_eq!(rows.len(), 2 * WATCHERS);
    assert!(rows.iter().all(|n| n.status == "delivered"));
    let metrics = get(&format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .1;
    let restarts = metrics
        .lines()
        .find(|l| l.starts_with("pricewatch_worker_restarts_total{loop=\"check\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(restarts >= 1, "{metrics}");
    // One warning per loop for the outage, not one per poll.
    let log = log_of(&t, "worker");
    let warned = log
        .lines()
        .filter(|l| l.contains("worker loop ended; restarting"))
        .count();
    assert!(warned <= 4, "{warned} restart warnings:\n{log}");
    eprintln!(
        "redis restart: expected {} / delivered {delivered} / duplicates {duplicates} / lost {}; round 2 done {:.1} s after Redis returned; /readyz while down: {seen_down:?}",
        2 * WATCHERS,
        2 * WATCHERS - delivered,
        took.as_secs_f64()
    );
    signal(&run, "-TERM");
    signal(&worker, "-TERM");
    let _ = tokio::time::timeout(Duration::from_secs(40), run.wait()).await;
    let _ = tokio::time::timeout(Duration::from_secs(40), worker.wait()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_redis_is_gone_past_its_give_up_time_exits_non_zero() {
    let Some(mut redis) = TestRedis::start().await else {
        return;
    };
    let Some(t) = spawn_app_without_workers(Mode::Scaled).await else {
        return;
    };
    let mut worker = process(
        &t,
        "worker",
        "worker",
        &[
            ("REDIS_URL", redis.url()),
            ("WORKER_GIVE_UP_SECS", "3".to_string()),
        ],
    );
    eventually(60, "the worker to connect", || async {
        redis.clients().await >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(worker.try_wait().unwrap().is_none());
    redis.kill().await;
    let killed = Instant::now();
    let Ok(status) = tokio::time::timeout(Duration::from_secs(60), worker.wait()).await else {
        panic!(
            "the worker kept running without Redis:\n{}",
            log_of(&t, "worker")
        );
    };
    let status = status.unwrap();
    assert!(!status.success(), "exit status {status:?}");
    assert!(killed.elapsed() >= Duration::from_secs(3));
    let log = log_of(&t, "worker");
    assert!(log.contains("WORKER_GIVE_UP_SECS"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_check_leaves_its_product_checked_again_within_10_s() {
    let Some(page) = de_page_at(1199) else { return };
    let Some(t) = spawn_app_without_workers(Mode::Scaled).await else {
        return;
    };
    seed(&t, 1, 1).await;
    let out = t.dir.join("deliveries");
    let dir = [("DELIVERY_LOG_DIR", out.display().to_string())];
    // Amazon holds this product's page: the check stays in flight.
    t.fake.answer(
        &asin(0),
        Answer::Slow(
            Duration::from_secs(60),
            Box::new(Answer::Html(page.clone())),
        ),
    );
    let mut first = process(&t, "worker", "first", &dir);
    assert_eq!(sweep_round(&t, 1).await, 1);
    eventually(60, "the first worker to start the check", || async {
        t.fake.requests().len() == 1
    })
    .await;
    let _second = process(&t, "worker", "second", &dir);
    // The second worker is up and idle; the product stays leased meanwhile.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(t.fake.requests().len(), 1, "checked twice while leased");
    t.fake.answer(&asin(0), Answer::Html(page));
    first.start_kill().unwrap();
    let _ = first.wait().await;
    let killed = Instant::now();
    eventually(
        10,
        "the product checked again within 10 s of the kill",
        || async {
            let p = products::Entity::find()
                .one(&t.app.db)
                .await
                .unwrap()
                .unwrap();
            p.last_price_minor == Some(1199)
        },
    )
    .await;
    eprintln!(
        "killed mid-check: checked again {:.1} s later",
        killed.elapsed().as_secs_f64()
    );
    eventually(20, "the alert", || async {
        delivered_keys(&out).len() == 1
    })
    .await;
    assert_eq!(t.fake.requests().len(), 2);
}

/// `watchers` Telegram chats wait for an alert each, delivered by one worker
/// through a Telegram that answers each send after 300 ms. The worker is
/// stopped with `sig` mid-way, a second one finishes. Returns (delivered,
/// duplicates, lost, sends in flight when the signal went).
async fn stop_a_worker_mid_send(
    sig: &str,
    watchers: usize,
) -> Option<(usize, usize, usize, usize)> {
    de_page_at(1299)?;
    let tg = FakeTelegram::start().await;
    let t = spawn_app_without_workers(Mode::Scaled).await?;
    seed(&t, 1, watchers).await;
    tg.slow_sends(Duration::from_millis(300));
    let telegram = [
        ("TELEGRAM_BOT_TOKEN", TOKEN.to_string()),
        ("TELEGRAM_API_URL", tg.url()),
    ];
    let mut first = process(&t, "worker", "first", &telegram);
    set_price(&t, 1, 1199);
    assert_eq!(sweep_round(&t, 1).await, 1);
    let sends = || tg.sent("sendmessage").len() + tg.sent("sendphoto").len();
    eventually(120, "the first sends", || async { sends() >= watchers / 4 }).await;
    let in_flight = tg.sends_in_flight();
    signal(&first, sig);
    let status = tokio::time::timeout(Duration::from_secs(40), first.wait())
        .await
        .expect("the worker did not stop within 40 s")
        .unwrap();
    if sig == "-TERM" {
        assert!(status.success(), "{status:?}: {}", log_of(&t, "first"));
        assert!(log_of(&t, "first").contains("shutting down"));
    }
    let at_stop = sends();
    assert!(
        at_stop < watchers,
        "the worker finished before it was stopped"
    );
    let _second = process(&t, "worker", "second", &telegram);
    eventually(120, "every alert after the restart", || async {
        notifications::Entity::find()
            .filter(notifications::Column::Status.ne("delivered"))
            .count(&t.app.db)
            .await
            .unwrap()
            == 0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut per_chat: HashMap<i64, usize> = HashMap::new();
    for c in tg
        .sent("sendmessage")
        .into_iter()
        .chain(tg.sent("sendphoto"))
    {
        *per_chat.entry(c.chat_id()).or_default() += 1;
    }
    let delivered = per_chat.len();
    let duplicates: usize = per_chat.values().map(|n| n - 1).sum();
    let lost = watchers - delivered;
    eprintln!(
        "{sig}: expected {watchers} / delivered {delivered} / duplicates {duplicates} / lost {lost}; {in_flight} sends in flight at the signal, {at_stop} sent before it"
    );
    Some((delivered, duplicates, lost, in_flight))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_send_finishes_the_sends_in_flight_no_duplicate_none_lost() {
    let Some((delivered, duplicates, lost, in_flight)) = stop_a_worker_mid_send("-TERM", 200).await
    else {
        return;
    };
    assert!(in_flight > 0, "no send was in flight: nothing was tested");
    assert_eq!((delivered, duplicates, lost), (200, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_send_loses_nothing_and_repeats_at_most_the_sends_in_flight() {
    let Some((delivered, duplicates, lost, _)) = stop_a_worker_mid_send("-KILL", 200).await else {
        return;
    };
    assert_eq!((delivered, lost), (200, 0));
    // Telegram has no idempotency key: a send cut off before its answer
    // was recorded goes out again. At most one per concurrent delivery.
    assert!(duplicates <= 4, "{duplicates} duplicates");
}

fn someone(user: i64) -> (Identity, DestinationRef) {
    (
        Identity {
            platform: Platform::Telegram,
            user_id: user.to_string(),
            display_name: None,
            locale: None,
        },
        DestinationRef {
            kind: DestinationKind::TelegramChat,
            address: user.to_string(),
        },
    )
}

/// Tracks the amazon.de product at €12.99 for `user` and checks it at
/// €11.99: one alert goes to the outbox.
async fn one_alert(t: &TestApp, user: i64) -> i64 {
    t.fake
        .answer("B01LZ79682", Answer::Html(de_page_at(1299).unwrap()));
    let (who, dest) = someone(user);
    let tracked = tracking::track(&t.app, &who, &dest, "https://amazon.de/dp/B01LZ79682", None)
        .await
        .unwrap();
    t.fake
        .answer("B01LZ79682", Answer::Html(de_page_at(1199).unwrap()));
    check_product::run(&t.app, tracked.product.id)
        .await
        .unwrap();
    notifications::Entity::find()
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_500_is_retried_and_the_alert_arrives_once_with_its_photo() {
    if de_page_at(1299).is_none() {
        return;
    }
    let tg = FakeTelegram::start().await;
    let url = tg.url();
    let Some(mut t) = spawn_app_with(Mode::Scaled, |env| {
        env.insert("TELEGRAM_BOT_TOKEN".into(), TOKEN.into());
        env.insert("TELEGRAM_API_URL".into(), url);
    })
    .await
    else {
        return;
    };
    let user = 4242;
    tg.fail_next(Failure::ServerError);
    let id = one_alert(&t, user).await;
    eventually(90, "the alert after Telegram's 500", || async {
        !tg.to_chat(user).is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = tg.to_chat(user);
    assert_eq!(got.len(), 1, "the alert arrived more than once");
    assert_eq!(got[0].method, "sendphoto", "the alert lost its photo");
    assert!(
        got[0].text().contains("€12.99 → €11.99"),
        "{}",
        got[0].text()
    );
    assert_eq!(tg.sent("SendPhoto!refused").len(), 1);
    let row = notifications::Entity::find_by_id(id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("delivered", 2));
    t.stop_workers().await;
}

async fn cli(t: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"))
        .args(args)
        .current_dir(&t.dir)
        .env_clear()
        .envs(&t.env)
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pricewatch_outbox_lists_a_dead_alert_and_retry_delivers_it() {
    if de_page_at(1299).is_none() {
        return;
    }
    let Some(mut t) = spawn_app_with(Mode::Scaled, |_| {}).await else {
        return;
    };
    t.sent.fail_next(SendError::Permanent {
        reason: "Bad Request: test refusal".into(),
    });
    let id = one_alert(&t, 77).await;
    eventually(30, "the alert to be given up", || async {
        notifications::Entity::find_by_id(id)
            .one(&t.app.db)
            .await
            .unwrap()
            .unwrap()
            .status
            == "dead"
    })
    .await;
    assert!(t.sent.sent().is_empty());

    let (ok, list, err) = cli(&t, &["outbox", "list"]).await;
    assert!(ok, "{err}");
    let line = list
        .lines()
        .find(|l| l.starts_with(&format!("{id} ")))
        .unwrap_or_else(|| panic!("alert {id} not listed:\n{list}"));
    assert!(
        line.contains("price_drop") && line.contains("Bad Request: test refusal"),
        "{line}"
    );

    let (ok, _, err) = cli(&t, &["outbox", "retry", "999999"]).await;
    assert!(!ok);
    assert!(err.contains("999999"), "{err}");

    let (ok, said, err) = cli(&t, &["outbox", "retry", &id.to_string()]).await;
    assert!(ok, "{err}");
    assert_eq!(said.trim(), "Re-queued 1 alert.");
    eventually(30, "the re-queued alert", || async {
        t.sent.sent().len() == 1
    })
    .await;
    let (ok, list, _) = cli(&t, &["outbox", "list"]).await;
    assert!(ok);
    assert_eq!(list.trim(), "No dead alerts.");
    t.stop_workers().await;
}
