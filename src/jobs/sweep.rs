//! The sweep: on `PRICE_CHECK_CRON`, one check job per *due product* (never
//! per watch), spread over the period; and the outbox sweeper, which
//! re-enqueues deliveries that a crash or a lost job left behind.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::app::App;
use crate::store::entities::{notifications, products, watches};

/// Products are updated and enqueued in chunks of this many.
const CHUNK: usize = 1000;

/// The sweep's period number at `at`: part of each check's job key.
fn bucket_of(app: &App, at: DateTime<Utc>) -> i64 {
    let period = i64::try_from(Ord::max(app.tuning.check_period.as_secs(), 1)).unwrap_or(1800);
    at.timestamp().div_euclid(period)
}

/// Where in the spread a product's check falls in a period: fixed by the
/// product and the period rather than drawn at random, so every sweeper of
/// a period (and a recovery) names the same job.
fn spread_delay(id: i64, bucket: i64, spread_ms: u64) -> Duration {
    if spread_ms == 0 {
        return Duration::ZERO;
    }
    // splitmix64: well spread for consecutive ids.
    let mut x = u64::from_ne_bytes(id.to_ne_bytes())
        ^ u64::from_ne_bytes(bucket.to_ne_bytes()).rotate_left(32);
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    Duration::from_millis(x % spread_ms)
}

/// Enqueues a check for every due product that someone watches. Returns how
/// many were enqueued. Several sweepers at once are harmless: the job key
/// names the product and the period.
pub async fn sweep_once(app: &App, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let active = Query::select()
        .expr(Expr::val(1))
        .from(watches::Entity)
        .and_where(
            Expr::col((watches::Entity, watches::Column::ProductId))
                .equals((products::Entity, products::Column::Id)),
        )
        .and_where(Expr::col((watches::Entity, watches::Column::State)).ne("paused"))
        .to_owned();
    let due: Vec<i64> = products::Entity::find()
        .select_only()
        .column(products::Column::Id)
        .filter(products::Column::NextCheckAt.lte(now))
        .filter(products::Column::GoneAt.is_null())
        .filter(Expr::exists(active))
        .into_tuple()
        .all(&app.db)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let period = app.tuning.check_period;
    let next = now + chrono::Duration::from_std(period).unwrap_or(chrono::Duration::minutes(30));
    let bucket = bucket_of(app, now);
    let spread_ms = u64::try_from(app.tuning.spread.as_millis()).unwrap_or(0);
    for chunk in due.chunks(CHUNK) {
        // Database first: the product is not due again until the next period,
        // whatever happens to the job.
        // `check_queued_at` stays set until the check finishes, so a job that
        // Redis or a killed worker lost is found and enqueued again.
        let update = Query::update()
            .table(products::Entity)
            .value(products::Column::NextCheckAt, next)
            .value(products::Column::CheckQueuedAt, now)
            .and_where(Expr::col(products::Column::Id).is_in(chunk.iter().copied()))
            .to_owned();
        app.db.execute(&update).await?;
        let jobs = chunk
            .iter()
            .map(|id| {
                let delay = spread_delay(*id, bucket, spread_ms);
                (*id, format!("check:{id}:{bucket}"), delay)
            })
            .collect();
        app.queues.push_checks(jobs).await?;
    }
    app.metrics
        .jobs_enqueued
        .fetch_add(due.len() as u64, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(products.due = due.len(), "sweep enqueued checks");
    Ok(due.len())
}

/// Re-enqueues outbox rows nobody is delivering: pending past their due time
/// plus a grace period, or claimed by a worker whose lease ran out.
pub async fn redeliver_once(app: &App, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let grace = chrono::Duration::from_std(app.tuning.redeliver_after)
        .unwrap_or(chrono::Duration::minutes(3));
    let stale: Vec<i64> = notifications::Entity::find()
        .select_only()
        .column(notifications::Column::Id)
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(notifications::Column::Status.eq("pending"))
                        .add(notifications::Column::NextAttemptAt.lte(now - grace)),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(notifications::Column::Status.eq("sending"))
                        .add(notifications::Column::LeaseUntil.lt(now)),
                ),
        )
        .limit(1000)
        .into_tuple()
        .all(&app.db)
        .await?;
    if !stale.is_empty() {
        // Push them forward so the next sweeps do not enqueue them again while
        // this job waits its turn in a long queue.
        let update = Query::update()
            .table(notifications::Entity)
            .value(notifications::Column::NextAttemptAt, now + grace)
            .and_where(Expr::col(notifications::Column::Id).is_in(stale.iter().copied()))
            .and_where(Expr::col(notifications::Column::Status).eq("pending"))
            .to_owned();
        app.db.execute(&update).await?;
        app.queues.push_deliveries(&stale, Duration::ZERO).await?;
        tracing::info!(
            notifications.requeued = stale.len(),
            "outbox sweeper re-enqueued deliveries"
        );
    }
    Ok(stale.len())
}

/// Which queued checks [`requeue_checks`] enqueues again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// Started, but the worker's lease ran out: it died mid-check.
    Lapsed,
    /// Enqueued before `cutoff` and still not started: long past its time,
    /// so its job is gone (dropped after its attempts, say).
    QueuedBefore(DateTime<Utc>),
}

/// Enqueues again the checks the database says are unfinished. Each product
/// is taken with one conditional UPDATE, so two processes recovering at once
/// enqueue it once.
pub async fn requeue_checks(app: &App, now: DateTime<Utc>, lost: Lost) -> anyhow::Result<usize> {
    let mut which = Query::select()
        .column(products::Column::Id)
        .from(products::Entity)
        .and_where(Expr::col(products::Column::CheckQueuedAt).is_not_null())
        .and_where(Expr::col(products::Column::GoneAt).is_null())
        .limit(CHUNK as u64)
        .to_owned();
    let mut update = Query::update()
        .table(products::Entity)
        .value(products::Column::CheckQueuedAt, now)
        .value(
            products::Column::CheckLeaseUntil,
            Option::<DateTime<Utc>>::None,
        )
        .to_owned();
    let cond = match lost {
        Lost::Lapsed => sea_orm::Condition::all()
            .add(Expr::col(products::Column::CheckLeaseUntil).is_not_null())
            .add(Expr::col(products::Column::CheckLeaseUntil).lt(now)),
        Lost::QueuedBefore(cutoff) => sea_orm::Condition::all()
            .add(Expr::col(products::Column::CheckQueuedAt).lt(cutoff))
            // A check running now keeps its lease; it is not lost.
            .add(
                sea_orm::Condition::any()
                    .add(Expr::col(products::Column::CheckLeaseUntil).is_null())
                    .add(Expr::col(products::Column::CheckLeaseUntil).lt(now)),
            ),
    };
    which.cond_where(cond.clone());
    update
        .and_where(Expr::col(products::Column::Id).in_subquery(which))
        .cond_where(cond)
        .returning(Query::returning().column(products::Column::Id));
    let rows = app.db.query_all(&update).await?;
    let ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.try_get::<i64>("", "id").ok())
        .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let stamp = now.timestamp_millis();
    let jobs = ids
        .iter()
        .map(|id| (*id, format!("check:{id}:r{stamp}"), Duration::ZERO))
        .collect();
    app.queues.push_checks(jobs).await?;
    tracing::info!(products = ids.len(), reason = ?lost, "re-enqueued unfinished checks");
    Ok(ids.len())
}

/// After Redis came back, perhaps empty: enqueues every check the database
/// says is queued and not running, now, under the key the sweep gave it.
/// Redis drops each one it still holds (so this is safe to run in every
/// process at once); the ones it lost run at once, at the storefronts'
/// rate limit, rather than waiting for the next sweep.
pub async fn recover_checks(app: &App, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let rows: Vec<(i64, Option<DateTime<Utc>>)> = products::Entity::find()
        .select_only()
        .column(products::Column::Id)
        .column(products::Column::CheckQueuedAt)
        .filter(products::Column::CheckQueuedAt.is_not_null())
        .filter(products::Column::GoneAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(products::Column::CheckLeaseUntil.is_null())
                .add(products::Column::CheckLeaseUntil.lt(now)),
        )
        .into_tuple()
        .all(&app.db)
        .await?;
    let jobs: Vec<(i64, String, Duration)> = rows
        .iter()
        .filter_map(|(id, at)| {
            let bucket = bucket_of(app, (*at)?);
            Some((*id, format!("check:{id}:{bucket}"), Duration::ZERO))
        })
        .collect();
    let n = jobs.len();
    for chunk in jobs.chunks(CHUNK) {
        app.queues.push_checks(chunk.to_vec()).await?;
    }
    if n > 0 {
        tracing::info!(products = n, "re-enqueued queued checks from the database");
    }
    Ok(n)
}

/// Enqueues every undelivered outbox row again (after Redis came back,
/// perhaps empty): pending rows at their due time, and rows whose delivery
/// lease ran out. A row that is still queued too is claimed only once.
pub async fn redeliver_all(app: &App, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let rows: Vec<(i64, DateTime<Utc>)> = notifications::Entity::find()
        .select_only()
        .column(notifications::Column::Id)
        .column(notifications::Column::NextAttemptAt)
        .filter(
            sea_orm::Condition::any()
                .add(notifications::Column::Status.eq("pending"))
                .add(
                    sea_orm::Condition::all()
                        .add(notifications::Column::Status.eq("sending"))
                        .add(notifications::Column::LeaseUntil.lt(now)),
                ),
        )
        .limit(10_000)
        .into_tuple()
        .all(&app.db)
        .await?;
    let due: Vec<i64> = rows
        .iter()
        .filter(|(_, at)| *at <= now)
        .map(|(id, _)| *id)
        .collect();
    app.queues.push_deliveries(&due, Duration::ZERO).await?;
    for (id, at) in rows.iter().filter(|(_, at)| *at > now) {
        let wait = (*at - now).to_std().unwrap_or(Duration::ZERO);
        app.queues.push_deliveries(&[*id], wait).await?;
    }
    if !rows.is_empty() {
        tracing::info!(
            notifications.requeued = rows.len(),
            "re-enqueued undelivered alerts"
        );
    }
    Ok(rows.len())
}

/// After Redis came back (or at start): the database is the truth; enqueue
/// every unfinished check and undelivered alert again.
pub async fn recover(app: &App) -> anyhow::Result<()> {
    let now = Utc::now();
    recover_checks(app, now).await?;
    redeliver_all(app, now).await?;
    Ok(())
}

/// Every `outbox_sweep_every` until told to stop: alerts nobody delivers,
/// checks a dead worker left, feed digests.
pub async fn outbox_loop(app: Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut outage = super::supervise::Outage::new("outbox");
    loop {
        tokio::select! {
            _ = tokio::time::sleep(app.tuning.outbox_sweep_every) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
        let now = Utc::now();
        // A job waits at most the sweep's spread; well past that it is lost
        // (a job dropped after its attempts, say).
        let stale = now
            - chrono::Duration::from_std(
                app.tuning.spread + app.tuning.redeliver_after + Duration::from_secs(300),
            )
            .unwrap_or(chrono::Duration::hours(1));
        let round = async {
            redeliver_once(&app, now).await?;
            requeue_checks(&app, now, Lost::Lapsed).await?;
            requeue_checks(&app, now, Lost::QueuedBefore(stale)).await?;
            super::feeds::digests_once(&app, now).await?;
            anyhow::Ok(())
        };
        match round.await {
            Ok(()) => outage.ok(&app.loops),
            Err(e) => {
                outage.failed(&app.loops, &e);
            }
        }
    }
}

/// Runs the price sweep on `PRICE_CHECK_CRON` until told to stop.
pub async fn cron_loop(app: Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut outage = super::supervise::Outage::log_only("sweep");
    loop {
        let Some(next) = app.config.price_check.schedule.upcoming(Utc).next() else {
            return;
        };
        let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
        // A failed push leaves the products marked queued: the recovery
        // enqueues them once Redis is back.
        match sweep_once(&app, Utc::now()).await {
            Ok(_) => outage.ok(&app.loops),
            Err(e) => {
                outage.failed(&app.loops, &e);
            }
        }
    }
}

/// Counts for `/metrics`: checks due now and deliveries waiting.
pub async fn queue_depths(app: &App, now: DateTime<Utc>) -> (Option<u64>, Option<u64>) {
    let due = Query::select()
        .expr_as(Expr::col(products::Column::Id).count(), Alias::new("n"))
        .from(products::Entity)
        .and_where(Expr::col(products::Column::NextCheckAt).lte(now))
        .and_where(Expr::col(products::Column::GoneAt).is_null())
        .to_owned();
    let pending = Query::select()
        .expr_as(
            Expr::col(notifications::Column::Id).count(),
            Alias::new("n"),
        )
        .from(notifications::Entity)
        .and_where(Expr::col(notifications::Column::Status).is_in(["pending", "sending"]))
        .to_owned();
    let count = |q| async move {
        app.db
            .query_one(&q)
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .and_then(|n| u64::try_from(n).ok())
    };
    (count(due).await, count(pending).await)
}

/// Outbox rows given up as dead (for `/metrics`).
pub async fn dead_alerts(app: &App) -> Option<u64> {
    let q = Query::select()
        .expr_as(
            Expr::col(notifications::Column::Id).count(),
            Alias::new("n"),
        )
        .from(notifications::Entity)
        .and_where(Expr::col(notifications::Column::Status).eq("dead"))
        .to_owned();
    let row = app.db.query_one(&q).await.ok()??;
    u64::try_from(row.try_get::<i64>("", "n").ok()?).ok()
}
