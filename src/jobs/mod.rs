//! Background work: the sweep that finds due products, `check_product`, and
//! `deliver`. Jobs carry ids only and re-read state, so a duplicate or a
//! retried job is harmless. Queues live in the database (embedded mode, see
//! `dbqueue`) or in Redis through apalis (scaled mode).

pub mod check_product;
pub mod dbqueue;
pub mod deliver;
pub mod feeds;
pub mod supervise;
pub mod sweep;

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

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

/// How often an idle apalis worker asks Redis for work; apalis otherwise
/// waits for its 30 s heartbeat, which would delay every alert.
const POLL_EVERY: Duration = Duration::from_millis(250);

const CHECK_QUEUE: &str = "check_product";
const DELIVER_QUEUE: &str = "deliver";

/// The two job queues, on one backend.
#[derive(Clone)]
pub enum Queues {
    /// Embedded mode: a table in the application's database.
    Db(dbqueue::DbQueue),
    Redis {
        check: Box<RedisStorage<CheckProduct>>,
        deliver: Box<RedisStorage<Deliver>>,
    },
}

impl Queues {
    pub fn db(db: sea_orm::DatabaseConnection) -> Queues {
        Queues::Db(dbqueue::DbQueue::new(db))
    }

    pub fn redis(conn: redis::aio::ConnectionManager, prefix: &str) -> Queues {
        // apalis-redis forgets idempotency keys at once unless a TTL of at
        // least a second is set (see notes/crates.md), so always set one.
        let cfg = |q: &str| {
            apalis_redis::Config::default()
                .queue(format!("{prefix}{q}"))
                .idempotency_ttl(Some(Duration::from_secs(3600)))
                .batch_size(32)
                // A worker that vanished (killed, or cut off from Redis) has
                // its fetched jobs handed to others after 3 missed beats.
                .heartbeat_interval(Duration::from_secs(5))
                .missed_heartbeats(3)
        };
        Queues::Redis {
            check: Box::new(RedisStorage::new(conn.clone()).with_config(cfg(CHECK_QUEUE))),
            deliver: Box::new(RedisStorage::new(conn).with_config(cfg(DELIVER_QUEUE))),
        }
    }

    /// Enqueues a check. `key` makes it one-in-flight: the same key twice
    /// while the first is queued is stored once.
    pub async fn push_check(
        &self,
        product_id: i64,
        key: &str,
        run_after: Duration,
    ) -> anyhow::Result<()> {
        self.push_checks(vec![(product_id, key.to_string(), run_after)])
            .await
            .map_err(|e| e.context(format!("while enqueueing check of product {product_id}")))
    }

    /// Enqueues many checks at once (the sweep): `(product id, key, delay)`.
    /// The backends batch these into few round trips.
    pub async fn push_checks(&self, items: Vec<(i64, String, Duration)>) -> anyhow::Result<()> {
        match self {
            Queues::Db(q) => {
                let jobs = items
                    .into_iter()
                    .map(|(product_id, key, delay)| {
                        let json = serde_json::to_string(&CheckProduct { product_id })?;
                        Ok((Some(key), json, delay))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                q.push_many(CHECK_QUEUE, jobs).await
            }
            Queues::Redis { check, .. } => {
                let tasks: Vec<_> = items
                    .into_iter()
                    .map(|(product_id, key, delay)| {
                        let t = TaskBuilder::new(CheckProduct { product_id }).idempotency_key(key);
                        delayed(t, delay).build()
                    })
                    .collect();
                check
                    .as_ref()
                    .clone()
                    .push_all(futures::stream::iter(tasks))
                    .await
                    .map_err(|e| anyhow::anyhow!("while enqueueing checks: {e}"))
            }
        }
    }

    /// Enqueues delivery of outbox rows (no key: a delivery claims its row,
    /// so a duplicate job does nothing).
    pub async fn push_deliveries(&self, ids: &[i64], run_after: Duration) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        match self {
            Queues::Db(q) => {
                let jobs = ids
                    .iter()
                    .map(|id| {
                        let json = serde_json::to_string(&Deliver {
                            notification_id: *id,
                        })?;
                        Ok((None, json, run_after))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                q.push_many(DELIVER_QUEUE, jobs).await
            }
            Queues::Redis { deliver, .. } => {
                let tasks: Vec<_> = ids
                    .iter()
                    .map(|id| {
                        let t = TaskBuilder::new(Deliver {
                            notification_id: *id,
                        });
                        delayed(t, run_after).build()
                    })
                    .collect();
                deliver
                    .as_ref()
                    .clone()
                    .push_all(futures::stream::iter(tasks))
                    .await
                    .map_err(|e| anyhow::anyhow!("while enqueueing {} deliveries: {e}", ids.len()))
            }
        }
    }

    /// Jobs waiting (queued or scheduled), per queue: (checks, deliveries).
    pub async fn depths(&self) -> (Option<u64>, Option<u64>) {
        match self {
            Queues::Db(q) => (q.depth(CHECK_QUEUE).await, q.depth(DELIVER_QUEUE).await),
            Queues::Redis { check, deliver } => {
                let mut conn = check.as_ref().clone().get_connection().clone();
                let depth = |c: &apalis_redis::Config| {
                    let mut pipe = redis::pipe();
                    pipe.llen(c.active_jobs_list())
                        .zcard(c.scheduled_jobs_set());
                    pipe
                };
                let a: Option<(u64, u64)> =
                    depth(check.get_config()).query_async(&mut conn).await.ok();
                let b: Option<(u64, u64)> = depth(deliver.get_config())
                    .query_async(&mut conn)
                    .await
                    .ok();
                (a.map(|(x, y)| x + y), b.map(|(x, y)| x + y))
            }
        }
    }

    /// Moves due scheduled jobs to the active lists, at most `PROMOTE_BATCH`
    /// per call, until none are due. apalis-redis would promote them itself,
    /// but all at once with one Lua `unpack`, which fails past about 8,000 and
    /// stops the worker: after a long outage the sweep's spread-out checks
    /// would all be due together. Promoting first keeps its share tiny.
    pub async fn promote_due(&self) -> anyhow::Result<u64> {
        let Queues::Redis { check, deliver } = self else {
            return Ok(0);
        };
        let script = redis::Script::new(PROMOTE_LUA);
        let mut conn = check.as_ref().clone().get_connection().clone();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut total = 0;
        for c in [check.get_config(), deliver.get_config()] {
            loop {
                let moved: u64 = script
                    .key(c.scheduled_jobs_set())
                    .key(c.active_jobs_list())
                    .key(c.signal_list())
                    .arg(now)
                    .arg(PROMOTE_BATCH)
                    .invoke_async(&mut conn)
                    .await?;
                total += moved;
                if moved < PROMOTE_BATCH {
                    break;
                }
            }
        }
        Ok(total)
    }
}

const PROMOTE_BATCH: u64 = 1000;

/// The first step of apalis-redis' `fetch_next.lua`, with a LIMIT.
const PROMOTE_LUA: &str = r#"
local ids = redis.call("zrangebyscore", KEYS[1], 0, ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
if #ids > 0 then
    redis.call("rpush", KEYS[2], unpack(ids))
    redis.call("zrem", KEYS[1], unpack(ids))
    redis.call("del", KEYS[3])
    redis.call("lpush", KEYS[3], 1)
end
return #ids
"#;

/// Only delayed jobs go to apalis-redis' scheduled set: it promotes all due
/// scheduled jobs with one Lua `unpack`, which fails past about 8,000.
fn delayed<T>(t: TaskBuilder<T>, delay: Duration) -> TaskBuilder<T> {
    if delay.is_zero() {
        t
    } else {
        t.run_after(delay)
    }
}

/// Every worker process promotes due scheduled jobs four times a second.
/// While Redis is away each round fails; the outage is logged once.
async fn promote_loop(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut outage = supervise::Outage::new("promote");
    loop {
        match app.queues.promote_due().await {
            Ok(_) => outage.ok(&app.loops),
            Err(e) => {
                outage.failed(&app.loops, &e);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL_EVERY) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
    }
}

async fn check_job(job: CheckProduct, app: Data<Arc<App>>) -> Result<(), BoxDynError> {
    let app: Arc<App> = (*app).clone();
    let id = job.product_id;
    let work = {
        let app = app.clone();
        async move { check_product::run(&app, id).await.map(|_| ()) }
    };
    supervise::detached(&app.in_flight, work)
        .await
        .map_err(|e| {
            tracing::warn!(product.id = id, error = %format!("{e:#}"), "check failed");
            e.into()
        })
}

async fn deliver_job(job: Deliver, app: Data<Arc<App>>) -> Result<(), BoxDynError> {
    let app: Arc<App> = (*app).clone();
    let id = job.notification_id;
    let work = {
        let app = app.clone();
        async move { deliver::run(&app, id).await.map(|_| ()) }
    };
    supervise::detached(&app.in_flight, work)
        .await
        .map_err(|e| {
            tracing::warn!(notification.id = id, error = %format!("{e:#}"), "delivery failed");
            e.into()
        })
}

/// Runs `start`'s loop under the supervisor, in `set`.
fn spawn_supervised<F, Fut>(
    set: &mut tokio::task::JoinSet<anyhow::Result<()>>,
    app: &App,
    name: &'static str,
    stop: &watch::Receiver<bool>,
    start: F,
) where
    F: FnMut(u32) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    set.spawn(supervise::supervise(
        app.loops.clone(),
        name,
        app.tuning.worker_give_up,
        stop.clone(),
        start,
    ));
}

/// Redis answers a PING within two seconds (always true without Redis).
pub async fn redis_answers(app: &App) -> anyhow::Result<()> {
    let Some(conn) = &app.redis else {
        return Ok(());
    };
    let mut c = conn.clone();
    let cmd = redis::cmd("PING");
    match tokio::time::timeout(Duration::from_secs(2), cmd.query_async::<String>(&mut c)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(anyhow::anyhow!("Redis does not answer: {e}")),
        Err(_) => Err(anyhow::anyhow!("Redis does not answer (timed out)")),
    }
}

/// How long shutdown waits for jobs in flight before the process stops anyway.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(30);

/// Runs one apalis worker until it fails (Redis went away: the supervisor
/// builds a new one) or `stop` turns true (then it finishes what it holds).
async fn run_apalis<Fut>(
    ctx: WorkerContext,
    run: Fut,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()>
where
    Fut: std::future::Future<Output = Result<(), WorkerError>>,
{
    tokio::pin!(run);
    tokio::select! {
        r = &mut run => {
            return r.map_err(|e| anyhow::anyhow!("queue worker {} stopped: {e}", ctx.name()));
        }
        _ = stop.wait_for(|v| *v) => {}
    }
    if ctx.stop().is_err() {
        // Not started yet: nothing is in flight.
        return Ok(());
    }
    match tokio::time::timeout(SHUTDOWN_LIMIT, run).await {
        Ok(r) => r.map_err(|e| anyhow::anyhow!("queue worker {} stopped: {e}", ctx.name())),
        Err(_) => {
            tracing::warn!(
                worker = ctx.name(),
                "jobs still running after 30 s; stopping anyway"
            );
            Ok(())
        }
    }
}

/// Runs this process's workers until `shutdown` resolves: price checks,
/// deliveries, and the outbox sweeper. In-flight jobs finish first.
pub async fn run_workers(
    app: Arc<App>,
    name: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_loops(app, name, shutdown, false).await
}

/// Runs every loop of this process under a supervisor (see `supervise`):
/// the queue workers, the outbox sweeper, the promoter (Redis) and, with
/// `sweep`, the price sweep on `PRICE_CHECK_CRON`. Returns when `shutdown`
/// resolves, after jobs in flight finished (up to 30 s); or with an error
/// when a loop stayed down past `WORKER_GIVE_UP_SECS`, so the process exits
/// non-zero and its supervisor restarts it.
pub async fn run_loops(
    app: Arc<App>,
    name: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    sweep: bool,
) -> anyhow::Result<()> {
    let checks = app.config.price_queue_concurrency;
    let deliveries = app.config.email_queue_concurrency.max(4);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut set: tokio::task::JoinSet<anyhow::Result<()>> = tokio::task::JoinSet::new();

    spawn_supervised(&mut set, &app, "outbox", &stop_rx, {
        let (app, stop) = (app.clone(), stop_rx.clone());
        move |_| {
            let (app, stop) = (app.clone(), stop.clone());
            async move {
                sweep::outbox_loop(app, stop).await;
                Ok(())
            }
        }
    });
    if sweep {
        spawn_supervised(&mut set, &app, "sweep", &stop_rx, {
            let (app, stop) = (app.clone(), stop_rx.clone());
            move |_| {
                let (app, stop) = (app.clone(), stop.clone());
                async move {
                    sweep::cron_loop(app, stop).await;
                    Ok(())
                }
            }
        });
    }
    match &app.queues {
        Queues::Db(q) => {
            let check = {
                let app = app.clone();
                move |payload: String| {
                    let app = app.clone();
                    async move {
                        let job: CheckProduct = serde_json::from_str(&payload)?;
                        let work = {
                            let app = app.clone();
                            async move { check_product::run(&app, job.product_id).await.map(|_| ()) }
                        };
                        supervise::detached(&app.in_flight, work).await
                    }
                }
            };
            let deliver = {
                let app = app.clone();
                move |payload: String| {
                    let app = app.clone();
                    async move {
                        let job: Deliver = serde_json::from_str(&payload)?;
                        let work = {
                            let app = app.clone();
                            async move { deliver::run(&app, job.notification_id).await.map(|_| ()) }
                        };
                        supervise::detached(&app.in_flight, work).await
                    }
                }
            };
            spawn_supervised(&mut set, &app, "check", &stop_rx, {
                let (q, stop) = (q.clone(), stop_rx.clone());
                move |_| {
                    let (q, stop, check) = (q.clone(), stop.clone(), check.clone());
                    async move {
                        q.work(CHECK_QUEUE, checks, check, stop).await;
                        Ok(())
                    }
                }
            });
            spawn_supervised(&mut set, &app, "deliver", &stop_rx, {
                let (q, stop) = (q.clone(), stop_rx.clone());
                move |_| {
                    let (q, stop, deliver) = (q.clone(), stop.clone(), deliver.clone());
                    async move {
                        q.work(DELIVER_QUEUE, deliveries, deliver, stop).await;
                        Ok(())
                    }
                }
            });
        }
        Queues::Redis { check, deliver } => {
            // Redis may have lost queued work while no process ran: the
            // database says what is still to do.
            if let Err(e) = sweep::recover(&app).await {
                tracing::warn!(error = %format!("{e:#}"), "could not re-enqueue unfinished work at start");
            }
            // Drain what fell due while no worker ran, before apalis polls.
            if let Err(e) = app.queues.promote_due().await {
                tracing::warn!(error = %format!("{e:#}"), "could not promote scheduled jobs at start");
            }
            spawn_supervised(&mut set, &app, "promote", &stop_rx, {
                let (app, stop) = (app.clone(), stop_rx.clone());
                move |_| {
                    let (app, stop) = (app.clone(), stop.clone());
                    async move {
                        promote_loop(app, stop).await;
                        Ok(())
                    }
                }
            });
            let name = name.to_string();
            spawn_supervised(&mut set, &app, "check", &stop_rx, {
                let (app, check, stop, name) = (
                    app.clone(),
                    check.as_ref().clone(),
                    stop_rx.clone(),
                    name.clone(),
                );
                move |restarts| {
                    let (app, check, stop) = (app.clone(), check.clone(), stop.clone());
                    let ctx = WorkerContext::new(&format!("{name}-check-{restarts}"));
                    async move {
                        if restarts > 0 {
                            // Only once Redis answers: a worker started
                            // without it would hang rather than fail.
                            redis_answers(&app).await?;
                            // Redis came back, perhaps empty: re-enqueue from
                            // the database before taking work again.
                            sweep::recover_checks(&app, chrono::Utc::now()).await?;
                        }
                        let worker = WorkerBuilder::new(ctx.clone())
                            .backend(check.poll_with_interval(POLL_EVERY))
                            .data(app.clone())
                            .concurrency(checks)
                            .build(check_job);
                        run_apalis(ctx, worker.run(), stop).await
                    }
                }
            });
            spawn_supervised(&mut set, &app, "deliver", &stop_rx, {
                let (app, deliver, stop, name) = (
                    app.clone(),
                    deliver.as_ref().clone(),
                    stop_rx.clone(),
                    name.clone(),
                );
                move |restarts| {
                    let (app, deliver, stop) = (app.clone(), deliver.clone(), stop.clone());
                    let ctx = WorkerContext::new(&format!("{name}-deliver-{restarts}"));
                    async move {
                        if restarts > 0 {
                            redis_answers(&app).await?;
                            sweep::redeliver_all(&app, chrono::Utc::now()).await?;
                        }
                        let worker = WorkerBuilder::new(ctx.clone())
                            .backend(deliver.poll_with_interval(POLL_EVERY))
                            .data(app.clone())
                            .concurrency(deliveries)
                            .build(deliver_job);
                        run_apalis(ctx, worker.run(), stop).await
                    }
                }
            });
        }
    }
    tracing::info!(worker = name, "workers started");

    // Until shutdown, or until a loop gives up.
    let mut failure: Option<anyhow::Error> = None;
    tokio::select! {
        _ = shutdown => {}
        Some(r) = set.join_next() => {
            failure = Some(match r {
                Ok(Err(e)) => e,
                Ok(Ok(())) => anyhow::anyhow!("a worker loop ended"),
                Err(e) => anyhow::anyhow!("a worker loop's supervisor failed: {e}"),
            });
        }
    }
    let _ = stop_tx.send(true);
    let drain = async {
        while let Some(r) = set.join_next().await {
            if let Ok(Err(e)) = r {
                tracing::warn!(error = %format!("{e:#}"), "worker loop failed while stopping");
            }
        }
    };
    if tokio::time::timeout(SHUTDOWN_LIMIT + Duration::from_secs(2), drain)
        .await
        .is_err()
    {
        tracing::warn!("worker loops did not stop in time");
    }
    let left = app.in_flight.drained(Duration::from_secs(5)).await;
    if left > 0 {
        tracing::warn!(jobs = left, "stopping with jobs still running");
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
