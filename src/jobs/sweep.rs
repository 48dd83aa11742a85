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
    let bucket = now.timestamp() / i64::try_from(Ord::max(period.as_secs(), 1)).unwrap_or(1800);
    let spread_ms = u64::try_from(app.tuning.spread.as_millis()).unwrap_or(0);
    for chunk in due.chunks(CHUNK) {
        // Database first: the product is not due again until the next period,
        // whatever happens to the job.
        let update = Query::update()
            .table(products::Entity)
            .value(products::Column::NextCheckAt, next)
            .and_where(Expr::col(products::Column::Id).is_in(chunk.iter().copied()))
            .to_owned();
        app.db.execute(&update).await?;
        let jobs = chunk
            .iter()
            .map(|id| {
                let delay = if spread_ms == 0 {
                    Duration::ZERO
                } else {
                    Duration::from_millis(rand::random::<u64>() % spread_ms)
                };
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

/// Every `outbox_sweep_every` until told to stop.
pub async fn outbox_loop(app: Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(app.tuning.outbox_sweep_every) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = redeliver_once(&app, Utc::now()).await {
            tracing::warn!(error = %format!("{e:#}"), "outbox sweep failed");
        }
        if let Err(e) = super::feeds::digests_once(&app, Utc::now()).await {
            tracing::warn!(error = %format!("{e:#}"), "feed digests failed");
        }
    }
}

/// Runs the price sweep on `PRICE_CHECK_CRON` until told to stop.
pub async fn cron_loop(app: Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        let Some(next) = app.config.price_check.schedule.upcoming(Utc).next() else {
            return;
        };
        let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = sweep_once(&app, Utc::now()).await {
            tracing::warn!(error = %format!("{e:#}"), "price sweep failed");
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
