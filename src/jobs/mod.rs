//! Background work: the sweep that finds due products, `check_product`, and
//! `deliver`. Jobs carry ids only and re-read state, so a duplicate or a
//! retried job is harmless. Queues live in SQLite (embedded) or Redis (scaled).

pub mod check_product;
pub mod deliver;
pub mod sweep;

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use serde::{Deserialize, Serialize};

use crate::app::App;

/// Check one product's price now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckProduct {
    pub product_id: i64,
}

/// Deliver one outbox row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deliver {
    pub notification_id: i64,
}

/// How often an idle worker asks its queue for work. apalis otherwise waits
/// for its 30 s heartbeat, which would delay every alert.
const POLL_EVERY: Duration = Duration::from_millis(250);

const CHECK_QUEUE: &str = "check_product";
const DELIVER_QUEUE: &str = "deliver";

/// The two job queues, on one backend.
#[derive(Clone)]
pub enum Queues {
    Sqlite {
        check: SqliteStorage<CheckProduct>,
        deliver: SqliteStorage<Deliver>,
    },
    Redis {
        check: RedisStorage<CheckProduct>,
        deliver: RedisStorage<Deliver>,
    },
}

impl Queues {
    pub async fn sqlite(pool: apalis_sqlite::SqlitePool) -> anyhow::Result<Queues> {
        SqliteStorage::setup(&pool)
            .await
            .map_err(|e| anyhow::anyhow!("while creating the SQLite job tables: {e}"))?;
        let cfg = |q: &str| apalis_sqlite::Config::default().queue(q);
        Ok(Queues::Sqlite {
            check: SqliteStorage::new(&pool).with_config(cfg(CHECK_QUEUE)),
            deliver: SqliteStorage::new(&pool).with_config(cfg(DELIVER_QUEUE)),
        })
    }

    pub fn redis(conn: redis::aio::ConnectionManager, prefix: &str) -> Queues {
        // apalis-redis forgets idempotency keys at once unless a TTL of at
        // least a second is set (see notes/crates.md), so always set one.
        let cfg = |q: &str| {
            apalis_redis::Config::default()
                .queue(format!("{prefix}{q}"))
                .idempotency_ttl(Some(Duration::from_secs(3600)))
        };
        Queues::Redis {
            check: RedisStorage::new(conn.clone()).with_config(cfg(CHECK_QUEUE)),
            deliver: RedisStorage::new(conn).with_config(cfg(DELIVER_QUEUE)),
        }
    }

    /// Enqueues a check. `key` makes it one-in-flight: the same key twice
    /// within the backend's memory of it is stored once.
    pub async fn push_check(
        &self,
        product_id: i64,
        key: &str,
        run_after: Duration,
    ) -> anyhow::Result<()> {
        let mut task = TaskBuilder::new(CheckProduct { product_id }).idempotency_key(key);
        // Only delayed jobs go to the scheduled set: apalis-redis promotes all
        // due scheduled jobs with one Lua unpack, which fails past ~8,000.
        if !run_after.is_zero() {
            task = task.run_after(run_after);
        }
        let task = task.build();
        let result = match self {
            Queues::Sqlite { check, .. } => check
                .clone()
                .push_task(task)
                .await
                .map_err(|e| e.to_string()),
            Queues::Redis { check, .. } => check
                .clone()
                .push_task(task)
                .await
                .map_err(|e| e.to_string()),
        };
        result.map_err(|e| anyhow::anyhow!("while enqueueing check of product {product_id}: {e}"))
    }

    /// Enqueues many checks at once (the sweep): `(product id, key, delay)`.
    /// The backends batch these into few round trips.
    pub async fn push_checks(&self, items: Vec<(i64, String, Duration)>) -> anyhow::Result<()> {
        let tasks: Vec<_> = items
            .into_iter()
            .map(|(product_id, key, run_after)| {
                let mut t = TaskBuilder::new(CheckProduct { product_id }).idempotency_key(key);
                if !run_after.is_zero() {
                    t = t.run_after(run_after);
                }
                t.build()
            })
            .collect();
        let result = match self {
            Queues::Sqlite { check, .. } => check
                .clone()
                .push_all(futures::stream::iter(tasks))
                .await
                .map_err(|e| e.to_string()),
            Queues::Redis { check, .. } => check
                .clone()
                .push_all(futures::stream::iter(tasks))
                .await
                .map_err(|e| e.to_string()),
        };
        result.map_err(|e| anyhow::anyhow!("while enqueueing checks: {e}"))
    }

    /// Enqueues delivery of outbox rows (no key: a delivery claims its row,
    /// so a duplicate job does nothing).
    pub async fn push_deliveries(&self, ids: &[i64], run_after: Duration) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let tasks: Vec<_> = ids
            .iter()
            .map(|id| {
                let mut t = TaskBuilder::new(Deliver {
                    notification_id: *id,
                });
                if !run_after.is_zero() {
                    t = t.run_after(run_after);
                }
                t.build()
            })
            .collect();
        let result = match self {
            Queues::Sqlite { deliver, .. } => deliver
                .clone()
                .push_all(futures::stream::iter(tasks))
                .await
                .map_err(|e| e.to_string()),
            Queues::Redis { deliver, .. } => deliver
                .clone()
                .push_all(futures::stream::iter(tasks))
                .await
                .map_err(|e| e.to_string()),
        };
        result.map_err(|e| anyhow::anyhow!("while enqueueing {} deliveries: {e}", ids.len()))
    }
}

async fn check_job(job: CheckProduct, app: Data<Arc<App>>) -> Result<(), BoxDynError> {
    check_product::run(&app, job.product_id)
        .await
        .map(|_| ())
        .map_err(|e| {
            tracing::warn!(product.id = job.product_id, error = %format!("{e:#}"), "check failed");
            e.into()
        })
}

async fn deliver_job(job: Deliver, app: Data<Arc<App>>) -> Result<(), BoxDynError> {
    deliver::run(&app, job.notification_id)
        .await
        .map(|_| ())
        .map_err(|e| {
            tracing::warn!(notification.id = job.notification_id, error = %format!("{e:#}"), "delivery failed");
            e.into()
        })
}

/// Runs this process's workers until `shutdown` resolves: price checks,
/// deliveries, and the outbox sweeper. In-flight jobs finish first.
pub async fn run_workers(
    app: Arc<App>,
    name: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let checks = app.config.price_queue_concurrency;
    let deliveries = app.config.email_queue_concurrency.max(4);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let outbox = tokio::spawn(sweep::outbox_loop(app.clone(), stop_rx));
    // The same two workers on either backend (their storage types differ).
    macro_rules! monitor {
        ($check:expr, $deliver:expr) => {
            Monitor::new()
                .register({
                    let (app, check, name) = (app.clone(), $check.clone(), format!("{name}-check"));
                    move |_| {
                        WorkerBuilder::new(name.clone())
                            .backend(check.clone().poll_with_interval(POLL_EVERY))
                            .data(app.clone())
                            .concurrency(checks)
                            .build(check_job)
                    }
                })
                .register({
                    let (app, deliver, name) =
                        (app.clone(), $deliver.clone(), format!("{name}-deliver"));
                    move |_| {
                        WorkerBuilder::new(name.clone())
                            .backend(deliver.clone().poll_with_interval(POLL_EVERY))
                            .data(app.clone())
                            .concurrency(deliveries)
                            .build(deliver_job)
                    }
                })
        };
    }
    let monitor = match &app.queues {
        Queues::Sqlite { check, deliver } => monitor!(check, deliver),
        Queues::Redis { check, deliver } => monitor!(check, deliver),
    };
    let result = monitor
        .shutdown_timeout(Duration::from_secs(30))
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await;
    let _ = stop_tx.send(true);
    let _ = outbox.await;
    result.map_err(|e| anyhow::anyhow!("workers stopped with an error: {e}"))
}
