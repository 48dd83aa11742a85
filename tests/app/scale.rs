//! Several `pricewatch worker` processes on one PostgreSQL + Redis: every
//! alert delivered exactly once, even when a worker is killed mid-delivery.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pricewatch::jobs::sweep::sweep_once;
use pricewatch::store::entities::{destinations, notifications, products, users, watches};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::fake_amazon::{Answer, de_page_at};
use crate::support::{Mode, TestApp, delivered_keys, eventually, spawn_app_without_workers};

pub(crate) fn asin(i: usize) -> String {
    format!("B0TEST{i:04}")
}

/// `products` products at 12,99 and `watchers` any-drop watches spread over
/// them, one user and one Telegram chat each, as if tracked an hour ago.
pub(crate) async fn seed(t: &TestApp, products: usize, watchers: usize) {
    let now = Utc::now();
    let earlier = now - chrono::Duration::hours(1);
    let rows: Vec<products::ActiveModel> = (0..products)
        .map(|i| products::ActiveModel {
            marketplace: Set("amazon.de".into()),
            asin: Set(asin(i)),
            title: Set(Some(format!("Product {i}"))),
            currency: Set("EUR".into()),
            last_price_minor: Set(Some(1299)),
            availability: Set(Some("in_stock".into())),
            condition: Set(Some("new".into())),
            last_checked_at: Set(Some(earlier)),
            next_check_at: Set(now + chrono::Duration::hours(1)),
            failure_count: Set(0),
            created_at: Set(earlier),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        products::Entity::insert_many(chunk.to_vec())
            .exec(&t.app.db)
            .await
            .unwrap();
    }
    let ids: Vec<i64> = products::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    for start in (0..watchers).step_by(500) {
        let range = start..(start + 500).min(watchers);
        let us: Vec<users::ActiveModel> = range
            .clone()
            .map(|i| users::ActiveModel {
                platform: Set("telegram".into()),
                platform_user_id: Set(format!("{}", 10_000 + i)),
                locale: Set("en".into()),
                alerts_today: Set(0),
                created_at: Set(earlier),
                ..Default::default()
            })
            .collect();
        users::Entity::insert_many(us)
            .exec(&t.app.db)
            .await
            .unwrap();
        let ds: Vec<destinations::ActiveModel> = range
            .clone()
            .map(|i| destinations::ActiveModel {
                kind: Set("telegram_chat".into()),
                address: Set(format!("{}", 10_000 + i)),
                created_at: Set(earlier),
                ..Default::default()
            })
            .collect();
        destinations::Entity::insert_many(ds)
            .exec(&t.app.db)
            .await
            .unwrap();
    }
    let user_ids: Vec<i64> = users::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    let dest_ids: Vec<i64> = destinations::Entity::find()
        .all(&t.app.db)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    let ws: Vec<watches::ActiveModel> = (0..watchers)
        .map(|i| watches::ActiveModel {
            user_id: Set(user_ids[i]),
            product_id: Set(ids[i % ids.len()]),
            destination_id: Set(dest_ids[i]),
            target_kind: Set("any_drop".into()),
            reference_minor: Set(Some(1299)),
            state: Set("armed".into()),
            back_in_stock: Set(true),
            allow_used: Set(false),
            created_at: Set(earlier),
            updated_at: Set(earlier),
            ..Default::default()
        })
        .collect();
    for chunk in ws.chunks(500) {
        watches::Entity::insert_many(chunk.to_vec())
            .exec(&t.app.db)
            .await
            .unwrap();
    }
}

/// Every product shows `price_minor` from now on.
pub(crate) fn set_price(t: &TestApp, products: usize, price_minor: i64) {
    let page = Arc::new(de_page_at(price_minor).unwrap());
    for i in 0..products {
        t.fake.answer(&asin(i), Answer::Shared(page.clone()));
    }
}

/// The sweep of a later period, with every product due.
pub(crate) async fn sweep_round(t: &TestApp, round: i64) -> usize {
    let later = Utc::now() + chrono::Duration::hours(2 * round);
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

pub(crate) fn repeats(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("repeats.log")).map_or(0, |s| s.lines().count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_deliver_every_alert_of_three_price_changes_exactly_once() {
    if de_page_at(1299).is_none() {
        return;
    }
    let Some(t) = spawn_app_without_workers(Mode::Scaled).await else {
        return;
    };
    seed(&t, 200, 1000).await;
    let out = t.dir.join("deliveries");
    let _a = t.worker_process(&out);
    let _b = t.worker_process(&out);
    for (round, price) in [(1, 1199), (2, 1099), (3, 999)] {
        set_price(&t, 200, price);
        assert_eq!(sweep_round(&t, round).await, 200);
        let want = 1000 * usize::try_from(round).unwrap();
        eventually(
            180,
            &format!("round {round}: {want} deliveries"),
            || async { delivered_keys(&out).len() >= want },
        )
        .await;
    }
    // Nothing more arrives late.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let keys = delivered_keys(&out);
    assert_eq!(keys.len(), 3000);
    assert_eq!(repeats(&out), 0, "a delivery was attempted twice");
    let rows = notifications::Entity::find().all(&t.app.db).await.unwrap();
    assert_eq!(rows.len(), 3000);
    assert!(rows.iter().all(|n| n.status == "delivered"));
    // Three alerts per watch, one per price point.
    for w in watches::Entity::find().all(&t.app.db).await.unwrap() {
        let mine = rows.iter().filter(|n| n.watch_id == Some(w.id)).count();
        assert_eq!(mine, 3, "watch {}", w.id);
        assert_eq!(w.last_alert_price_minor, Some(999));
    }
    // Both workers did checks: the fake saw 600 fetches, one per product per round.
    assert_eq!(t.fake.requests().len(), 600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_delivery_loses_and_repeats_nothing() {
    if de_page_at(1299).is_none() {
        return;
    }
    let Some(mut t) = spawn_app_without_workers(Mode::Scaled).await else {
        return;
    };
    // A dead worker's claimed rows come back after the 2 s lease; rows it had
    // taken off the queue but not claimed, after 5 s.
    t.env
        .insert("OUTBOX_REDELIVER_AFTER_SECS".into(), "5".into());
    seed(&t, 1, 2000).await;
    let out = t.dir.join("deliveries");
    set_price(&t, 1, 1199);
    assert_eq!(sweep_round(&t, 1).await, 1);
    let mut first = t.worker_process(&out);
    eventually(120, "the first deliveries", || async {
        delivered_keys(&out).len() >= 100
    })
    .await;
    first.start_kill().unwrap();
    let _ = first.wait().await;
    let at_kill = delivered_keys(&out).len();
    assert!(
        at_kill < 2000,
        "the worker finished before it was killed; nothing was tested"
    );
    let pending = notifications::Entity::find()
        .filter(notifications::Column::Status.ne("delivered"))
        .count(&t.app.db)
        .await
        .unwrap();
    assert!(pending > 0);
    let _second = t.worker_process(&out);
    eventually(120, "every delivery after the restart", || async {
        notifications::Entity::find()
            .filter(notifications::Column::Status.ne("delivered"))
            .count(&t.app.db)
            .await
            .unwrap()
            == 0
    })
    .await;
    let keys = delivered_keys(&out);
    assert_eq!(keys.len(), 2000);
    let rows = notifications::Entity::find().all(&t.app.db).await.unwrap();
    let mut row_keys: Vec<String> = rows
        .iter()
        .map(|n| n.idempotency_key.replace(':', "_"))
        .collect();
    row_keys.sort();
    assert_eq!(keys, row_keys);
    // A row the dead worker had sent but not yet marked is sent again by the
    // next one; the channel's key makes that a no-op. Report how many.
    eprintln!(
        "killed after {at_kill} of 2000 deliveries; {pending} left; {} repeated attempts absorbed by the idempotency key",
        repeats(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_jobs_due_at_once_after_an_outage_do_not_stop_the_workers() {
    let Some(t) = spawn_app_without_workers(Mode::Scaled).await else {
        return;
    };
    // While no worker runs, 10,000 deliveries fall due (their rows are gone,
    // so each job finds nothing to do: this tests the queue, not delivery).
    let ids: Vec<i64> = (1_000_000..1_010_000).collect();
    t.app
        .queues
        .push_deliveries(&ids, Duration::from_secs(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(t.app.queues.depths().await.1, Some(10_000));
    let (stop, mut rx) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(pricewatch::jobs::run_workers(
        t.app.clone(),
        "outage",
        async move {
            let _ = rx.wait_for(|v| *v).await;
        },
    ));
    eventually(120, "the backlog to drain", || async {
        t.app.queues.depths().await.1 == Some(0)
    })
    .await;
    // And the workers are still alive: a real check still runs.
    seed(&t, 1, 1).await;
    set_price(&t, 1, 1199);
    assert_eq!(sweep_round(&t, 1).await, 1);
    eventually(30, "a check after the backlog", || async {
        t.fake.requests().len() == 1
    })
    .await;
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(40), workers).await;
}
