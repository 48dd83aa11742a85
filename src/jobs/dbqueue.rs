//! The embedded mode's job queue: a table in the application's own database.
//!
//! apalis-sqlite 1.0 was the first choice, but its poller intermittently
//! stopped fetching under load (due jobs left `Pending`, unlocked, for 20 s
//! and more while the worker lived; about one run in three of our suite on 2
//! cores). This queue is small enough to reason about: a job is claimed with
//! one `UPDATE … RETURNING` under a lease, deleted when done, retried with
//! back-off when it fails. `(queue, key)` is unique while a job is queued or
//! running, which is exactly "one in flight". Pushes in this process wake the
//! workers at once; a short poll covers everything else.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::{Notify, watch};

use crate::store::entities::queue_jobs::{Column as C, Entity as QueueJobs};

/// How long a claimed job is its worker's before another may take it.
const LEASE: Duration = Duration::from_secs(120);
/// How often an idle worker looks for jobs nobody told it about.
const POLL: Duration = Duration::from_millis(200);
/// Attempts before a failing job is dropped (the database state it was about
/// — a product's next check, an outbox row — brings the work back).
const MAX_ATTEMPTS: i32 = 5;

#[derive(Clone)]
pub struct DbQueue {
    db: DatabaseConnection,
    wake: Arc<Notify>,
}

/// One job to push: an optional de-duplication key, the JSON, a delay.
pub type NewJob = (Option<String>, String, Duration);

impl DbQueue {
    pub fn new(db: DatabaseConnection) -> DbQueue {
        DbQueue {
            db,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Inserts jobs; one whose `(queue, key)` is already queued is skipped.
    pub async fn push_many(&self, queue: &str, jobs: Vec<NewJob>) -> anyhow::Result<()> {
        let now = Utc::now();
        for chunk in jobs.chunks(500) {
            let mut q = Query::insert()
                .into_table(QueueJobs)
                .columns([
                    C::Queue,
                    C::Key,
                    C::Payload,
                    C::RunAt,
                    C::Attempts,
                    C::CreatedAt,
                ])
                .to_owned();
            for (key, payload, delay) in chunk {
                let run_at = now + chrono::Duration::from_std(*delay).unwrap_or_default();
                q.values([
                    queue.into(),
                    key.clone().into(),
                    payload.clone().into(),
                    run_at.into(),
                    0i32.into(),
                    now.into(),
                ])?;
            }
            q.on_conflict(
                OnConflict::columns([C::Queue, C::Key])
                    .do_nothing()
                    .to_owned(),
            );
            self.db.execute(&q).await?;
        }
        self.wake.notify_waiters();
        Ok(())
    }

    /// Claims the next due job of `queue`: `(id, payload, attempt)`.
    async fn claim(&self, queue: &str) -> anyhow::Result<Option<(i64, String, i32)>> {
        let now = Utc::now();
        let free = || {
            sea_orm::Condition::any()
                .add(Expr::col(C::LockedUntil).is_null())
                .add(Expr::col(C::LockedUntil).lt(now))
        };
        let next = Query::select()
            .column(C::Id)
            .from(QueueJobs)
            .and_where(Expr::col(C::Queue).eq(queue))
            .and_where(Expr::col(C::RunAt).lte(now))
            .cond_where(free())
            .order_by(C::RunAt, sea_orm::Order::Asc)
            .limit(1)
            .to_owned();
        let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let q = Query::update()
            .table(QueueJobs)
            .value(C::LockedUntil, lease)
            .value(C::Attempts, Expr::col(C::Attempts).add(1))
            .and_where(Expr::col(C::Id).in_subquery(next))
            // Checked again under the row lock: two claimers cannot both win.
            .cond_where(free())
            .returning(Query::returning().columns([C::Id, C::Payload, C::Attempts]))
            .to_owned();
        let Some(row) = self.db.query_one(&q).await? else {
            return Ok(None);
        };
        let id: i64 = row.try_get("", "id")?;
        let attempts: i32 = row.try_get("", "attempts")?;
        if attempts > MAX_ATTEMPTS {
            self.delete(id).await?;
            tracing::warn!(
                job.id = id,
                queue,
                "job dropped after {MAX_ATTEMPTS} attempts"
            );
            return Ok(None);
        }
        Ok(Some((id, row.try_get("", "payload")?, attempts)))
    }

    async fn delete(&self, id: i64) -> anyhow::Result<()> {
        let q = Query::delete()
            .from_table(QueueJobs)
            .and_where(Expr::col(C::Id).eq(id))
            .to_owned();
        self.db.execute(&q).await?;
        Ok(())
    }

    /// Releases a failed job for a later attempt (1 s, 2 s, 4 s, … up to a minute).
    async fn retry_later(&self, id: i64, attempt: u32) -> anyhow::Result<()> {
        let wait = Ord::min(
            Duration::from_secs(1u64 << Ord::min(attempt, 6)),
            Duration::from_secs(60),
        );
        let q = Query::update()
            .table(QueueJobs)
            .value(C::LockedUntil, Option::<chrono::DateTime<Utc>>::None)
            .value(
                C::RunAt,
                Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
            )
            .and_where(Expr::col(C::Id).eq(id))
            .to_owned();
        self.db.execute(&q).await?;
        Ok(())
    }

    /// Jobs waiting in `queue` (for metrics).
    pub async fn depth(&self, queue: &str) -> Option<u64> {
        let q = Query::select()
            .expr_as(
                Expr::col(C::Id).count(),
                sea_orm::sea_query::Alias::new("n"),
            )
            .from(QueueJobs)
            .and_where(Expr::col(C::Queue).eq(queue))
            .to_owned();
        let row = self.db.query_one(&q).await.ok()??;
        u64::try_from(row.try_get::<i64>("", "n").ok()?).ok()
    }

    /// Runs `concurrency` workers on `queue` until `stop` turns true; jobs in
    /// hand are finished first.
    pub async fn work<F, Fut>(
        &self,
        queue: &'static str,
        concurrency: usize,
        handler: F,
        stop: watch::Receiver<bool>,
    ) where
        F: Fn(String) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send,
    {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..concurrency.max(1) {
            let (me, handler, mut stop) = (self.clone(), handler.clone(), stop.clone());
            tasks.spawn(async move {
                let mut attempt_failures = 0u32;
                while !*stop.borrow() {
                    let claimed = me.claim(queue).await;
                    if claimed.is_ok() && attempt_failures > 0 {
                        tracing::info!(queue, "claiming jobs works again");
                        attempt_failures = 0;
                    }
                    match claimed {
                        Ok(Some((id, payload, attempt))) => {
                            match handler(payload).await {
                                Ok(()) => {
                                    if let Err(e) = me.delete(id).await {
                                        tracing::warn!(job.id = id, error = %e, "could not remove a finished job");
                                    }
                                }
                                Err(e) => {
                                    tracing::warn!(job.id = id, queue, error = %format!("{e:#}"), "job failed; retrying later");
                                    let attempt = u32::try_from(attempt).unwrap_or(1);
                                    let _ = me.retry_later(id, attempt).await;
                                }
                            }
                        }
                        Ok(None) => {
                            let woken = me.wake.notified();
                            tokio::select! {
                                _ = woken => {}
                                _ = tokio::time::sleep(POLL) => {}
                                _ = stop.changed() => {}
                            }
                        }
                        Err(e) => {
                            // The database is busy or gone: back off, never spin.
                            attempt_failures += 1;
                            // Once per outage, not once per poll.
                            if attempt_failures == 1 {
                                tracing::warn!(queue, error = %format!("{e:#}"), "could not claim a job; retrying quietly");
                            } else {
                                tracing::debug!(queue, error = %format!("{e:#}"), "could not claim a job");
                            }
                            let wait = POLL * 2u32.saturating_pow(Ord::min(attempt_failures, 5));
                            tokio::select! {
                                _ = tokio::time::sleep(wait) => {}
                                _ = stop.changed() => {}
                            }
                        }
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }
}
