//! The tracking core end to end, in both modes: track, the sweep, workers,
//! the fake Amazon changing prices, and what reaches the recording notifier.

use chrono::Utc;
use pricewatch::jobs::check_product::{self, CheckOutcome};
use pricewatch::jobs::sweep::sweep_once;
use pricewatch::notify::SendError;
use pricewatch::store::entities::{notifications, price_points, products, watches};
use pricewatch::tracking::{self, DestinationKind, DestinationRef, Identity, Platform, TrackError};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::fake_amazon::{Answer, de_page_at, page};
use crate::support::{Mode, TestApp, eventually, spawn_app, spawn_app_with};

const URL: &str = "https://www.amazon.de/Salcar-Organizer/dp/B01LZ79682/ref=sr_1_1?tag=x-21";
const ASIN: &str = "B01LZ79682";

fn person(id: &str) -> Identity {
    Identity {
        platform: Platform::Telegram,
        user_id: id.into(),
        display_name: Some(format!("User {id}")),
        locale: Some("de".into()),
    }
}

fn chat(id: &str) -> DestinationRef {
    DestinationRef {
        kind: DestinationKind::TelegramChat,
        address: id.into(),
    }
}

async fn product(t: &TestApp) -> products::Model {
    products::Entity::find()
        .filter(products::Column::Asin.eq(ASIN))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
}

macro_rules! count {
    ($entity:ty, $t:expr) => {
        <$entity>::find().count(&$t.app.db).await.unwrap()
    };
}

/// Makes every product due and runs one sweep, as the cron would a few hours
/// later (each call a later period, so the per-period job key is new).
pub async fn sweep_later(t: &TestApp) -> usize {
    static HOURS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
    let later = Utc::now()
        + chrono::Duration::hours(HOURS.fetch_add(2, std::sync::atomic::Ordering::Relaxed));
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let due = Query::update()
        .table(products::Entity)
        .value(
            products::Column::NextCheckAt,
            later - chrono::Duration::seconds(1),
        )
        .and_where(Expr::col(products::Column::GoneAt).is_null())
        .to_owned();
    t.app.db.execute(&due).await.unwrap();
    sweep_once(&t.app, later).await.unwrap()
}

async fn price_drop_scenario(mode: Mode) {
    let Some(page) = de_page_at(1299) else { return };
    let Some(mut t) = spawn_app(mode).await else {
        return;
    };
    t.fake.answer(ASIN, Answer::Html(page));

    let a = tracking::track(&t.app, &person("1"), &chat("100"), URL, Some("12,00"))
        .await
        .unwrap();
    assert!(a.created);
    assert_eq!(a.snapshot.as_ref().unwrap().price_minor, Some(1299));
    assert_eq!(a.watch.target_minor, Some(1200));
    assert!(!a.already_at_target);
    let b = tracking::track(&t.app, &person("2"), &chat("200"), URL, None)
        .await
        .unwrap();
    assert_eq!(b.watch.target_kind, "any_drop");
    // The second track came from the cache: one fetch for both.
    assert_eq!(t.fake.requests().len(), 1);
    // Tracking again updates the watch instead of adding one.
    let again = tracking::track(&t.app, &person("1"), &chat("100"), URL, Some("-10%"))
        .await
        .unwrap();
    assert_eq!(again.watch.id, a.watch.id);
    assert_eq!(again.watch.target_minor, Some(1169));
    assert_eq!(count!(watches::Entity, t), 2);
    assert_eq!(count!(price_points::Entity, t), 1);

    // A small rise: a point, no alert.
    t.fake.answer(ASIN, Answer::Html(de_page_at(1349).unwrap()));
    assert_eq!(sweep_later(&t).await, 1);
    eventually(20, "the rise to be recorded", || async {
        product(&t).await.last_price_minor == Some(1349)
    })
    .await;
    // The drop below both targets.
    t.fake.answer(ASIN, Answer::Html(de_page_at(1149).unwrap()));
    assert_eq!(sweep_later(&t).await, 1);
    eventually(20, "two alerts", || async { t.sent.sent().len() >= 2 }).await;
    // The same price again: checked, nothing new.
    assert_eq!(sweep_later(&t).await, 1);
    eventually(20, "the third check", || async {
        t.fake.requests().len() == 4
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    t.stop_workers().await;

    let sent = t.sent.sent();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    let mut to: Vec<&str> = sent.iter().map(|d| d.address.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["100", "200"]);
    for d in &sent {
        assert_eq!(d.kind, "price_drop");
        assert_eq!(d.payload.new_price_minor, Some(1149));
        assert_eq!(d.payload.old_price_minor, Some(1349));
        assert_eq!(d.payload.currency, "EUR");
        assert_eq!(d.payload.locale, "de");
        assert!(d.payload.title.starts_with("Auto-Rückenlehnenschutz"));
    }
    // 1299 -> 1349 -> 1149: three points, and both outbox rows delivered.
    assert_eq!(count!(price_points::Entity, t), 3);
    let rows = notifications::Entity::find().all(&t.app.db).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|n| n.status == "delivered" && n.delivered_at.is_some())
    );
    let w = watches::Entity::find_by_id(a.watch.id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (w.state.as_str(), w.last_alert_price_minor),
        ("fired", Some(1149))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_drop_reaches_each_watcher_once_embedded() {
    price_drop_scenario(Mode::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_drop_reaches_each_watcher_once_scaled() {
    price_drop_scenario(Mode::Scaled).await;
}

async fn blocked_scenario(mode: Mode) {
    let Some(captcha) = page("com-captcha-2019.html") else {
        return;
    };
    let Some(dogs) = page("com-503-dogs-of-amazon.html") else {
        return;
    };
    let Some(mut t) = spawn_app(mode).await else {
        return;
    };
    t.fake.answer(ASIN, Answer::Html(de_page_at(1299).unwrap()));
    tracking::track(&t.app, &person("1"), &chat("100"), URL, None)
        .await
        .unwrap();
    let before = product(&t).await;

    for (n, answer) in [(1, Answer::Html(captcha)), (2, Answer::Status(503, dogs))] {
        t.fake.answer(ASIN, answer);
        assert_eq!(sweep_later(&t).await, 1);
        eventually(20, "the blocked check", || async {
            product(&t).await.failure_count == n
        })
        .await;
        let p = product(&t).await;
        // The last good price stays; the product backs off (60 s base, doubling, +-20%).
        assert_eq!(p.last_price_minor, Some(1299));
        let min_wait = chrono::Duration::seconds(48 * (1 << (n - 1)));
        assert!(p.next_check_at > Utc::now() + min_wait - chrono::Duration::seconds(5));
    }
    t.stop_workers().await;
    assert_eq!(count!(price_points::Entity, t), 1);
    assert_eq!(count!(notifications::Entity, t), 0);
    assert!(t.sent.sent().is_empty());
    assert_eq!(product(&t).await.last_checked_at, before.last_checked_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captcha_and_503_pages_back_off_and_alert_nobody_embedded() {
    blocked_scenario(Mode::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captcha_and_503_pages_back_off_and_alert_nobody_scaled() {
    blocked_scenario(Mode::Scaled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_of_more_than_half_is_checked_again_before_it_alerts() {
    let Some(mut t) = spawn_app(Mode::Embedded).await else {
        return;
    };
    t.fake.answer(ASIN, Answer::Html(de_page_at(1299).unwrap()));
    tracking::track(&t.app, &person("1"), &chat("100"), URL, None)
        .await
        .unwrap();
    // A glitch: 1,99 for one check, then back to normal.
    t.fake.answer(ASIN, Answer::Html(de_page_at(199).unwrap()));
    let id = product(&t).await.id;
    assert_eq!(
        check_product::run(&t.app, id).await.unwrap(),
        CheckOutcome::AwaitingConfirmation
    );
    t.fake.answer(ASIN, Answer::Html(de_page_at(1299).unwrap()));
    eventually(20, "the confirmation check", || async {
        t.fake.requests().len() >= 3 && product(&t).await.pending_confirm_minor.is_none()
    })
    .await;
    assert!(t.sent.sent().is_empty());
    assert_eq!(product(&t).await.last_price_minor, Some(1299));
    // A real drop survives the second look and alerts once.
    t.fake.answer(ASIN, Answer::Html(de_page_at(599).unwrap()));
    assert_eq!(
        check_product::run(&t.app, id).await.unwrap(),
        CheckOutcome::AwaitingConfirmation
    );
    eventually(20, "the confirmed alert", || async {
        t.sent.sent().len() == 1
    })
    .await;
    t.stop_workers().await;
    assert_eq!(t.sent.sent()[0].payload.new_price_minor, Some(599));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_send_is_retried_and_arrives_once() {
    let Some(mut t) = spawn_app(Mode::Scaled).await else {
        return;
    };
    t.fake.answer(ASIN, Answer::Html(de_page_at(1299).unwrap()));
    tracking::track(&t.app, &person("1"), &chat("100"), URL, None)
        .await
        .unwrap();
    t.sent.fail_next(SendError::Transient {
        reason: "429 Too Many Requests".into(),
        retry_after: Some(std::time::Duration::from_millis(300)),
    });
    t.fake.answer(ASIN, Answer::Html(de_page_at(1199).unwrap()));
    check_product::run(&t.app, product(&t).await.id)
        .await
        .unwrap();
    eventually(20, "the retried alert", || async {
        t.sent.sent().len() == 1
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    t.stop_workers().await;
    assert_eq!(t.sent.sent().len(), 1);
    let n = notifications::Entity::find()
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    // Waiting out a 429 is not a failed attempt.
    assert_eq!((n.status.as_str(), n.attempts), ("delivered", 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_that_refuses_us_is_paused_without_retries() {
    let Some(mut t) = spawn_app(Mode::Embedded).await else {
        return;
    };
    t.fake.answer(ASIN, Answer::Html(de_page_at(1299).unwrap()));
    tracking::track(&t.app, &person("1"), &chat("100"), URL, None)
        .await
        .unwrap();
    t.sent.fail_next(SendError::DestinationGone {
        reason: "Forbidden: bot was blocked by the user".into(),
    });
    t.fake.answer(ASIN, Answer::Html(de_page_at(1199).unwrap()));
    check_product::run(&t.app, product(&t).await.id)
        .await
        .unwrap();
    eventually(20, "the refused delivery", || async {
        notifications::Entity::find()
            .filter(notifications::Column::Status.eq("dead"))
            .count(&t.app.db)
            .await
            .unwrap()
            == 1
    })
    .await;
    // Further drops alert nobody at a paused destination.
    t.fake.answer(ASIN, Answer::Html(de_page_at(999).unwrap()));
    check_product::run(&t.app, product(&t).await.id)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    t.stop_workers().await;
    assert!(t.sent.sent().is_empty());
    assert_eq!(count!(notifications::Entity, t), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pause_resume_retarget_untrack_and_history() {
    let Some(mut t) = spawn_app(Mode::Embedded).await else {
        return;
    };
    t.fake.answer(ASIN, Answer::Html(de_page_at(1299).unwrap()));
    let me = person("7");
    let w = tracking::track(&t.app, &me, &chat("7"), URL, Some("20 €"))
        .await
        .unwrap();
    // A target at or above the price is accepted, and says so.
    assert!(w.already_at_target);
    let items = tracking::list(&t.app, &me).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].product.asin, ASIN);
    assert!(
        tracking::list(&t.app, &person("8"))
            .await
            .unwrap()
            .is_empty()
    );
    let id = w.watch.id;
    assert_eq!(
        tracking::pause(&t.app, &me, id).await.unwrap().state,
        "paused"
    );
    assert_eq!(
        tracking::resume(&t.app, &me, id).await.unwrap().state,
        "armed"
    );
    assert_eq!(
        tracking::set_target(&t.app, &me, id, "9,99")
            .await
            .unwrap()
            .target_minor,
        Some(999)
    );
    // Someone else's watch is not theirs to change.
    assert!(matches!(
        tracking::untrack(&t.app, &person("8"), id).await,
        Err(TrackError::NoSuchWatch)
    ));
    assert!(matches!(
        tracking::set_target(&t.app, &me, id, "nope").await,
        Err(TrackError::Target(_))
    ));
    t.fake.answer(ASIN, Answer::Html(de_page_at(1099).unwrap()));
    check_product::run(&t.app, product(&t).await.id)
        .await
        .unwrap();
    let h = tracking::history(&t.app, product(&t).await.id, chrono::Duration::days(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.points.len(), 2);
    assert_eq!(
        (h.stats.min, h.stats.max, h.stats.current),
        (Some(1099), Some(1299), Some(1099))
    );
    assert_eq!(h.stats.lowest_90d, Some(1099));
    tracking::untrack(&t.app, &me, id).await.unwrap();
    assert!(tracking::list(&t.app, &me).await.unwrap().is_empty());
    t.stop_workers().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_limit_is_enforced_with_a_clear_message() {
    let Some(mut t) = spawn_app_with(Mode::Embedded, |env| {
        env.insert("MAX_WATCHES_PER_USER".into(), "1".into());
    })
    .await
    else {
        return;
    };
    t.fake.answer(ASIN, Answer::Html(de_page_at(1299).unwrap()));
    t.fake
        .answer("B07G2L3JMM", Answer::Html(de_page_at(2000).unwrap()));
    tracking::track(&t.app, &person("1"), &chat("1"), URL, None)
        .await
        .unwrap();
    // The same product again is an update, not a second watch.
    tracking::track(&t.app, &person("1"), &chat("1"), URL, Some("10"))
        .await
        .unwrap();
    let err = tracking::track(
        &t.app,
        &person("1"),
        &chat("1"),
        "https://amazon.de/dp/B07G2L3JMM",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "You already track 1 products, the most allowed. Remove one with /untrack first."
    );
    // Bad input costs no fetch.
    let before = t.fake.requests().len();
    assert!(matches!(
        tracking::track(
            &t.app,
            &person("2"),
            &chat("2"),
            "https://evil.example/dp/B01LZ79682",
            None
        )
        .await,
        Err(TrackError::Url(_))
    ));
    assert!(matches!(
        tracking::track(&t.app, &person("2"), &chat("2"), URL, Some("-150%")).await,
        Err(TrackError::Target(_))
    ));
    assert_eq!(t.fake.requests().len(), before);
    t.stop_workers().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_modes_stop_with_one_sentence() {
    use pricewatch::config::Config;
    let map = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    };
    let pg_only = Config::from_map(&map(&[("DATABASE_URL", "postgres://x@127.0.0.1/x")])).unwrap();
    let e = pricewatch::app::mode(&pg_only).unwrap_err();
    assert!(
        e.starts_with("DATABASE_URL is PostgreSQL, so REDIS_URL must be set too"),
        "{e}"
    );
    let sqlite_redis = Config::from_map(&map(&[("REDIS_URL", "redis://127.0.0.1")])).unwrap();
    let e = pricewatch::app::mode(&sqlite_redis).unwrap_err();
    assert!(
        e.starts_with("REDIS_URL is set but DATABASE_URL is SQLite"),
        "{e}"
    );
    // And the binary says it and stops.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"))
        .arg("worker")
        .env_clear()
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
        )
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("REDIS_URL must be set too"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_amazon_removed_is_marked_gone_and_each_watcher_told_once() {
    let Some(mut t) = spawn_app(Mode::Embedded).await else {
        return;
    };
    t.fake.answer(ASIN, Answer::Html(de_page_at(1299).unwrap()));
    tracking::track(&t.app, &person("1"), &chat("100"), URL, None)
        .await
        .unwrap();
    tracking::track(&t.app, &person("2"), &chat("200"), URL, Some("10"))
        .await
        .unwrap();
    t.fake.answer(
        ASIN,
        Answer::Status(404, "<html>Page Not Found</html>".into()),
    );
    let id = product(&t).await.id;
    assert_eq!(
        check_product::run(&t.app, id).await.unwrap(),
        CheckOutcome::Gone
    );
    // Checked again (a retry, a second worker): nothing more happens.
    assert_eq!(
        check_product::run(&t.app, id).await.unwrap(),
        CheckOutcome::Skipped
    );
    assert_eq!(sweep_later(&t).await, 0, "a gone product is never swept");
    eventually(20, "two gone notices", || async {
        t.sent.sent().len() == 2
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    t.stop_workers().await;
    let sent = t.sent.sent();
    assert_eq!(sent.len(), 2);
    assert!(
        sent.iter()
            .all(|d| d.kind == "gone" && d.payload.old_price_minor == Some(1299))
    );
    assert!(product(&t).await.gone_at.is_some());
    // Tracking it again says so instead of fetching.
    let before = t.fake.requests().len();
    assert!(matches!(
        tracking::track(&t.app, &person("3"), &chat("300"), URL, None).await,
        Err(TrackError::ProductGone)
    ));
    assert_eq!(t.fake.requests().len(), before);
}

/// A person's own daily cap (`/settings`) holds back alerts past it; others
/// still get theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_daily_cap_holds_back_alerts_past_it() {
    let Some(page) = de_page_at(1299) else { return };
    let Some(mut t) = spawn_app(Mode::Embedded).await else {
        return;
    };
    let other = "https://www.amazon.de/dp/B0743DGBT8";
    t.fake.answer(ASIN, Answer::Html(page.clone()));
    t.fake.answer("B0743DGBT8", Answer::Html(page));
    for url in [URL, other] {
        tracking::track(&t.app, &person("1"), &chat("100"), url, None)
            .await
            .unwrap();
    }
    tracking::track(&t.app, &person("2"), &chat("200"), other, None)
        .await
        .unwrap();
    tracking::chat::change_setting(
        &t.app,
        &person("1"),
        tracking::chat::Setting::DailyCap(Some(1)),
    )
    .await
    .unwrap();
    // One drop after the other: concurrent checks could both read the
    // count before either adds to it (the cap is soft under concurrency).
    t.fake.answer(ASIN, Answer::Html(de_page_at(999).unwrap()));
    assert_eq!(sweep_later(&t).await, 2);
    eventually(20, "the first alert", || async { t.sent.sent().len() == 1 }).await;
    t.fake
        .answer("B0743DGBT8", Answer::Html(de_page_at(999).unwrap()));
    assert_eq!(sweep_later(&t).await, 2);
    eventually(20, "the second alert", || async {
        t.sent.sent().len() >= 2
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    t.stop_workers().await;
    let mut to: Vec<String> = t.sent.sent().iter().map(|d| d.address.clone()).collect();
    to.sort_unstable();
    assert_eq!(to, ["100", "200"], "person 1 capped at one alert a day");
}
