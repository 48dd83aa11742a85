//! `deliver`: send one outbox row. The row is claimed with a lease before
//! sending, so a second worker or a duplicate job does nothing; a worker that
//! dies mid-send leaves a lease that runs out, and the outbox sweeper hands
//! the row to another worker.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::app::App;
use crate::notify::{AlertPayload, Delivery, SendError};
use crate::store::entities::{destinations, notifications, products};

/// Attempts before a transient failure (a 5xx, a timeout, a reset
/// connection) gives the alert up. With the back-off below (5 s doubling to
/// 10 min, ±20 %) that is about two hours of retrying, never under 1.5 h.
/// A dead row stays visible: `pricewatch outbox list` shows it, `retry`
/// sends it again with fresh attempts.
pub const MAX_ATTEMPTS: i32 = 18;
/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliverOutcome {
    Delivered,
    /// Someone else holds it, or it was delivered already.
    NotMine,
    RetryLater,
    Dead(String),
}

pub async fn run(app: &App, id: i64) -> anyhow::Result<DeliverOutcome> {
    let now = Utc::now();
    let lease = now + chrono::Duration::from_std(app.tuning.delivery_lease).unwrap_or_default();
    // Claim: pending and due, or sending with a lease that ran out.
    let claim = Query::update()
        .table(notifications::Entity)
        .value(notifications::Column::Status, "sending")
        .value(notifications::Column::LeaseUntil, lease)
        .value(
            notifications::Column::Attempts,
            Expr::col(notifications::Column::Attempts).add(1),
        )
        .and_where(Expr::col(notifications::Column::Id).eq(id))
        .cond_where(
            sea_orm::Condition::any()
                .add(Expr::col(notifications::Column::Status).eq("pending"))
                .add(
                    sea_orm::Condition::all()
                        .add(Expr::col(notifications::Column::Status).eq("sending"))
                        .add(Expr::col(notifications::Column::LeaseUntil).lt(now)),
                ),
        )
        .to_owned();
    if app.db.execute(&claim).await?.rows_affected() != 1 {
        return Ok(DeliverOutcome::NotMine);
    }
    // The lease is short and renewed while this delivery runs, so a killed
    // worker's row goes to another within seconds.
    let heartbeat = renew_lease(app, id);
    let Some(row) = notifications::Entity::find_by_id(id).one(&app.db).await? else {
        return Ok(DeliverOutcome::NotMine);
    };
    let Some(dest) = destinations::Entity::find_by_id(row.destination_id)
        .one(&app.db)
        .await?
    else {
        return finish(app, id, "dead", Some("destination removed")).await;
    };
    if dest.paused_at.is_some() {
        return finish(app, id, "dead", Some("destination paused")).await;
    }
    let Some(notifier) = app.notifiers.get(&row.channel) else {
        // No sender configured for this channel (yet): keep it for later.
        release(app, id, row.attempts, "no notifier for this channel", None).await?;
        return Ok(DeliverOutcome::RetryLater);
    };
    let mut payload: AlertPayload = serde_json::from_str(&row.payload).unwrap_or_default();
    // The outbox row freezes the alert's prices; the product's name and
    // picture come from its row now (for each deal of a feed digest, too).
    describe(app, &mut payload).await?;
    for item in &mut payload.items {
        describe(app, item).await?;
    }
    let delivery = Delivery {
        idempotency_key: row.idempotency_key.clone(),
        channel: row.channel.clone(),
        destination_kind: dest.kind.clone(),
        address: dest.address.clone(),
        kind: row.kind.clone(),
        payload,
    };
    let sent = notifier.send(&delivery).await;
    // Record the send at once, in this task: a crash between the send and
    // this line is the only way an alert can go out twice.
    if sent.is_ok() {
        mark_delivered(app, id).await?;
        drop(heartbeat);
        app.metrics.alerts_sent.fetch_add(1, Relaxed);
        return Ok(DeliverOutcome::Delivered);
    }
    drop(heartbeat);
    match sent {
        Ok(()) => Ok(DeliverOutcome::Delivered),
        Err(SendError::Transient {
            reason,
            retry_after,
        }) => {
            app.metrics.alerts_failed.fetch_add(1, Relaxed);
            if row.attempts >= MAX_ATTEMPTS {
                return finish(app, id, "dead", Some(&reason)).await;
            }
            release(app, id, row.attempts, &reason, retry_after).await?;
            Ok(DeliverOutcome::RetryLater)
        }
        Err(SendError::DestinationGone { reason }) => {
            app.metrics.alerts_failed.fetch_add(1, Relaxed);
            pause_destination(app, dest.id, &reason).await?;
            finish(app, id, "dead", Some(&reason)).await
        }
        Err(SendError::Permanent { reason }) => {
            app.metrics.alerts_failed.fetch_add(1, Relaxed);
            finish(app, id, "dead", Some(&reason)).await
        }
    }
}

/// Gives the row back for a later attempt, with back-off (or the platform's
/// `retry_after`), and enqueues that attempt.
async fn release(
    app: &App,
    id: i64,
    attempts: i32,
    reason: &str,
    retry_after: Option<Duration>,
) -> anyhow::Result<()> {
    let exp = u32::try_from(attempts.clamp(1, 10) - 1).unwrap_or(0);
    let wait = retry_after.unwrap_or_else(|| {
        let base = Duration::from_secs(5).saturating_mul(2u32.saturating_pow(exp));
        base.min(MAX_BACKOFF)
            .mul_f64(0.8 + rand::random::<f64>() * 0.4)
    });
    let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
    let mut q = Query::update()
        .table(notifications::Entity)
        .value(notifications::Column::Status, "pending")
        .value(notifications::Column::NextAttemptAt, next)
        .value(
            notifications::Column::LeaseUntil,
            Option::<chrono::DateTime<Utc>>::None,
        )
        .value(notifications::Column::LastError, truncate(reason))
        .and_where(Expr::col(notifications::Column::Id).eq(id))
        .to_owned();
    if retry_after.is_some() {
        // Waiting out a rate limit is not a failed attempt: a long flood
        // wait must not use up the alert's attempts.
        q.value(
            notifications::Column::Attempts,
            Expr::col(notifications::Column::Attempts).sub(1),
        );
    }
    app.db.execute(&q).await?;
    app.queues.push_deliveries(&[id], wait).await
}

async fn finish(
    app: &App,
    id: i64,
    status: &str,
    error: Option<&str>,
) -> anyhow::Result<DeliverOutcome> {
    let q = Query::update()
        .table(notifications::Entity)
        .value(notifications::Column::Status, status)
        .value(
            notifications::Column::LeaseUntil,
            Option::<chrono::DateTime<Utc>>::None,
        )
        .value(notifications::Column::LastError, error.map(truncate))
        .and_where(Expr::col(notifications::Column::Id).eq(id))
        .to_owned();
    app.db.execute(&q).await?;
    let reason = error.unwrap_or_default();
    app.metrics.alerts_dead.fetch_add(1, Relaxed);
    tracing::warn!(
        notification.id = id,
        reason,
        "alert given up; `pricewatch outbox retry {id}` sends it again"
    );
    Ok(DeliverOutcome::Dead(reason.to_string()))
}

/// Marks the row delivered; a database hiccup here is retried at once for
/// a moment (the lease still covers it), so the row is not sent again.
async fn mark_delivered(app: &App, id: i64) -> anyhow::Result<()> {
    let done = Query::update()
        .table(notifications::Entity)
        .value(notifications::Column::Status, "delivered")
        .value(notifications::Column::DeliveredAt, Utc::now())
        .value(
            notifications::Column::LeaseUntil,
            Option::<chrono::DateTime<Utc>>::None,
        )
        .value(notifications::Column::LastError, Option::<String>::None)
        .and_where(Expr::col(notifications::Column::Id).eq(id))
        .to_owned();
    let mut wait = Duration::from_millis(100);
    let mut tries = 0;
    loop {
        tries += 1;
        match app.db.execute(&done).await {
            Ok(_) => return Ok(()),
            Err(e) if tries < 5 => {
                tracing::warn!(notification.id = id, error = %e, "could not record a sent alert; trying again");
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("while recording delivery of alert {id}")));
            }
        }
    }
}

/// Keeps this delivery's lease until the guard is dropped.
fn renew_lease(app: &App, id: i64) -> super::supervise::Heartbeat {
    let db = app.db.clone();
    let lease = app.tuning.delivery_lease;
    let every = (lease / 3).max(Duration::from_millis(200));
    super::supervise::Heartbeat::start(every, move || {
        let db = db.clone();
        async move {
            let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
            let q = Query::update()
                .table(notifications::Entity)
                .value(notifications::Column::LeaseUntil, until)
                .and_where(Expr::col(notifications::Column::Id).eq(id))
                .and_where(Expr::col(notifications::Column::Status).eq("sending"))
                .to_owned();
            db.execute(&q).await?;
            Ok(())
        }
    })
}

/// The platform refuses this destination: pause it (and so every watch that
/// alerts there) until the user comes back.
/// Fills in the product's current name, picture and storefront.
async fn describe(app: &App, payload: &mut AlertPayload) -> anyhow::Result<()> {
    if let Some(p) = products::Entity::find_by_id(payload.product_id)
        .one(&app.db)
        .await?
    {
        payload.marketplace = p.marketplace;
        payload.asin = p.asin;
        payload.title = p.title.unwrap_or_default();
        payload.image_url = p.image_url;
    }
    Ok(())
}

pub async fn pause_destination(app: &App, destination_id: i64, reason: &str) -> anyhow::Result<()> {
    let now = Utc::now();
    let q = Query::update()
        .table(destinations::Entity)
        .value(destinations::Column::PausedAt, now)
        .value(destinations::Column::PausedReason, truncate(reason))
        .and_where(Expr::col(destinations::Column::Id).eq(destination_id))
        .and_where(Expr::col(destinations::Column::PausedAt).is_null())
        .to_owned();
    app.db.execute(&q).await?;
    tracing::info!(
        destination.id = destination_id,
        "destination refused delivery; paused it"
    );
    Ok(())
}

fn truncate(s: &str) -> String {
    s.chars().take(500).collect()
}

/// One alert given up, as `pricewatch outbox list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadAlert {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub attempts: i32,
    pub created_at: chrono::DateTime<Utc>,
    pub last_error: Option<String>,
}

/// Dead outbox rows, oldest first.
pub async fn dead(app_db: &sea_orm::DatabaseConnection) -> anyhow::Result<Vec<DeadAlert>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let rows = notifications::Entity::find()
        .filter(notifications::Column::Status.eq("dead"))
        .order_by_asc(notifications::Column::Id)
        .all(app_db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|n| DeadAlert {
            id: n.id,
            channel: n.channel,
            kind: n.kind,
            attempts: n.attempts,
            created_at: n.created_at,
            last_error: n.last_error,
        })
        .collect())
}

/// Gives dead rows (one, or all with `None`) fresh attempts and enqueues
/// their delivery. Returns the ids re-queued.
pub async fn retry_dead(app: &App, id: Option<i64>) -> anyhow::Result<Vec<i64>> {
    let mut q = Query::update()
        .table(notifications::Entity)
        .value(notifications::Column::Status, "pending")
        .value(notifications::Column::Attempts, 0)
        .value(notifications::Column::NextAttemptAt, Utc::now())
        .and_where(Expr::col(notifications::Column::Status).eq("dead"))
        .returning(Query::returning().column(notifications::Column::Id))
        .to_owned();
    if let Some(id) = id {
        q.and_where(Expr::col(notifications::Column::Id).eq(id));
    }
    let ids: Vec<i64> = app
        .db
        .query_all(&q)
        .await?
        .iter()
        .filter_map(|r| r.try_get::<i64>("", "id").ok())
        .collect();
    app.queues.push_deliveries(&ids, Duration::ZERO).await?;
    Ok(ids)
}
