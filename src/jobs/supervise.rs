//! Keeping the worker loops alive. Every loop of a process (the queue
//! workers, the promoter, the outbox sweeper, the price sweep) runs under
//! [`supervise`]: a loop that ends for any reason but shutdown is restarted
//! with back-off, each outage is logged once, `/readyz` names the loops that
//! are down, and a loop that stays down past `WORKER_GIVE_UP_SECS` stops the
//! process with an error so that its supervisor (systemd, compose) restarts it.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};

/// First wait before restarting a loop that ended; doubles up to the cap.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between two restarts: Redis coming back is noticed within it.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// A restarted loop that has run this long is counted as back.
const STABLE_AFTER: Duration = Duration::from_secs(3);

/// What one loop is doing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopState {
    Running,
    /// Ended or failing; the reason, for `/readyz`.
    Down(String),
}

#[derive(Debug, Clone)]
struct Entry {
    state: LoopState,
    restarts: u64,
}

/// The loops of this process, their state and how often each was restarted.
#[derive(Default)]
pub struct Loops {
    inner: Mutex<BTreeMap<&'static str, Entry>>,
}

impl Loops {
    fn set(&self, name: &'static str, state: LoopState) {
        if let Ok(mut m) = self.inner.lock() {
            m.entry(name)
                .and_modify(|e| e.state = state.clone())
                .or_insert(Entry { state, restarts: 0 });
        }
    }

    pub fn running(&self, name: &'static str) {
        self.set(name, LoopState::Running);
    }

    pub fn down(&self, name: &'static str, reason: &str) {
        self.set(name, LoopState::Down(reason.chars().take(200).collect()));
    }

    fn restarted(&self, name: &'static str) {
        if let Ok(mut m) = self.inner.lock()
            && let Some(e) = m.get_mut(name)
        {
            e.restarts += 1;
        }
    }

    /// A loop that stopped because the process is shutting down.
    fn forget(&self, name: &'static str) {
        if let Ok(mut m) = self.inner.lock() {
            m.remove(name);
        }
    }

    /// The loops that are down now, with why.
    pub fn down_now(&self) -> Vec<(&'static str, String)> {
        self.inner
            .lock()
            .map(|m| {
                m.iter()
                    .filter_map(|(n, e)| match &e.state {
                        LoopState::Down(why) => Some((*n, why.clone())),
                        LoopState::Running => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `(loop, restarts, running)` for `/metrics`.
    pub fn snapshot(&self) -> Vec<(&'static str, u64, bool)> {
        self.inner
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(n, e)| (*n, e.restarts, e.state == LoopState::Running))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Logs a loop's repeated failures once per outage: a warning when it starts
/// failing, one line when it works again, and nothing for the polls between.
pub struct Outage {
    name: &'static str,
    since: Option<Instant>,
    /// Whether a failing round marks the loop down for `/readyz`.
    marks: bool,
}

impl Outage {
    pub fn new(name: &'static str) -> Outage {
        Outage {
            name,
            since: None,
            marks: true,
        }
    }

    /// Logs once per outage but leaves `/readyz` alone: for a loop whose
    /// next round may be far away (the sweep), so a failure is not reported
    /// long after its cause is gone.
    pub fn log_only(name: &'static str) -> Outage {
        Outage {
            name,
            since: None,
            marks: false,
        }
    }

    /// One failed round. Returns how long the outage has lasted.
    pub fn failed(&mut self, loops: &Loops, error: &anyhow::Error) -> Duration {
        let reason = format!("{error:#}");
        if self.marks {
            loops.down(self.name, &reason);
        }
        match self.since {
            None => {
                tracing::warn!(worker.loop = self.name, error = %reason, "worker loop is failing; retrying quietly until it works again");
                self.since = Some(Instant::now());
                Duration::ZERO
            }
            Some(t) => {
                tracing::debug!(worker.loop = self.name, error = %reason, "still failing");
                t.elapsed()
            }
        }
    }

    /// One good round.
    pub fn ok(&mut self, loops: &Loops) {
        if self.marks {
            loops.running(self.name);
        }
        if let Some(t) = self.since.take() {
            tracing::info!(
                worker.loop = self.name,
                duration_ms = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
                "worker loop works again"
            );
        }
    }
}

/// Runs the loop that `start` builds until `stop` turns true; restarts it
/// with back-off whenever it ends (or panics) before that. `start` gets the
/// number of restarts so far. Returns an error when the loop has been down
/// for longer than `give_up`: the process cannot go on.
pub async fn supervise<F, Fut>(
    loops: Arc<Loops>,
    name: &'static str,
    give_up: Duration,
    stop: watch::Receiver<bool>,
    mut start: F,
) -> anyhow::Result<()>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut restarts = 0u32;
    let mut backoff = FIRST_BACKOFF;
    let mut outage: Option<Instant> = None;
    loop {
        if *stop.borrow() {
            loops.forget(name);
            return Ok(());
        }
        loops.running(name);
        // A panic ends only the spawned task: it is reported like an error.
        let mut run = tokio::spawn(start(restarts));
        let started = Instant::now();
        let mut stable = outage.is_none();
        let result = loop {
            tokio::select! {
                r = &mut run => break r,
                _ = tokio::time::sleep(STABLE_AFTER), if !stable => {
                    stable = true;
                    backoff = FIRST_BACKOFF;
                    if let Some(t) = outage.take() {
                        tracing::info!(
                            worker.loop = name,
                            duration_ms = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
                            "worker loop is running again"
                        );
                    }
                }
            }
        };
        if *stop.borrow() {
            if let Ok(Err(e)) = &result {
                tracing::warn!(worker.loop = name, error = %format!("{e:#}"), "worker loop ended with an error while shutting down");
            }
            loops.forget(name);
            return Ok(());
        }
        let reason = match result {
            Ok(Ok(())) => "ended by itself".to_string(),
            Ok(Err(e)) => format!("{e:#}"),
            Err(e) if e.is_panic() => "panicked".to_string(),
            Err(e) => format!("task failed: {e}"),
        };
        loops.down(name, &reason);
        loops.restarted(name);
        restarts = restarts.saturating_add(1);
        if started.elapsed() > STABLE_AFTER.saturating_mul(10) {
            backoff = FIRST_BACKOFF;
        }
        let since = match outage {
            Some(t) => {
                tracing::debug!(worker.loop = name, error = %reason, "worker loop ended again");
                t
            }
            None => {
                tracing::warn!(worker.loop = name, error = %reason, "worker loop ended; restarting it with back-off");
                let t = Instant::now();
                outage = Some(t);
                t
            }
        };
        if since.elapsed() >= give_up {
            tracing::error!(
                worker.loop = name,
                error = %reason,
                give_up_secs = give_up.as_secs(),
                "worker loop stayed down past WORKER_GIVE_UP_SECS; stopping the process"
            );
            anyhow::bail!(
                "the {name} loop has been down for {} s (WORKER_GIVE_UP_SECS): {reason}",
                since.elapsed().as_secs()
            );
        }
        let mut stop = stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|v| *v) => {}
        }
        backoff = Ord::min(backoff.saturating_mul(2), MAX_BACKOFF);
    }
}

/// Jobs running now. Job bodies run in tasks of their own so that a queue
/// worker that ends (Redis went away) or is dropped never cuts a send or a
/// check in half; shutdown waits for this count to reach zero.
#[derive(Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held while one job runs.
pub struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl InFlight {
    pub fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.count.fetch_add(1, Ordering::AcqRel);
        InFlightGuard(self.clone())
    }

    pub fn now(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Waits until no job runs, or `limit` passes; returns how many still run.
    pub async fn drained(&self, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let idle = self.idle.notified();
            if self.now() == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.now();
            }
        }
    }
}

/// Runs `job` in a task of its own, counted in `in_flight`. The caller may
/// be dropped; the job still finishes.
pub async fn detached<T, Fut>(in_flight: &Arc<InFlight>, job: Fut) -> anyhow::Result<T>
where
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let guard = in_flight.enter();
    let handle = tokio::spawn(async move {
        let _guard = guard;
        job.await
    });
    match handle.await {
        Ok(r) => r,
        Err(e) => Err(anyhow::anyhow!("job task failed: {e}")),
    }
}

/// Renews a lease every `every` until dropped: the work it guards keeps its
/// claim however long it takes, and a killed process's claim runs out soon.
pub struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    pub fn start<F, Fut>(every: Duration, mut renew: F) -> Heartbeat
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send,
    {
        Heartbeat(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = renew().await {
                    tracing::warn!(error = %format!("{e:#}"), "could not renew a lease");
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_loop_that_ends_is_restarted_and_counted_until_shutdown() {
        let loops = Arc::new(Loops::default());
        let (tx, rx) = watch::channel(false);
        let runs = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(supervise(
            loops.clone(),
            "t",
            Duration::from_secs(60),
            rx,
            {
                let runs = runs.clone();
                move |_| {
                    let runs = runs.clone();
                    async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        anyhow::bail!("gone")
                    }
                }
            },
        ));
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert!(runs.load(Ordering::SeqCst) >= 3);
        assert_eq!(loops.down_now()[0].0, "t");
        assert!(loops.snapshot()[0].1 >= 2);
        tx.send(true).unwrap();
        assert!(task.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn a_loop_down_past_the_give_up_time_is_an_error() {
        let loops = Arc::new(Loops::default());
        let (_tx, rx) = watch::channel(false);
        let r = supervise(loops, "t", Duration::from_millis(600), rx, |_| async {
            anyhow::bail!("redis unreachable")
        })
        .await;
        assert!(format!("{:#}", r.unwrap_err()).contains("redis unreachable"));
    }

    #[tokio::test]
    async fn a_panicking_loop_is_restarted() {
        let loops = Arc::new(Loops::default());
        let (tx, rx) = watch::channel(false);
        let runs = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(supervise(
            loops.clone(),
            "p",
            Duration::from_secs(60),
            rx,
            {
                let runs = runs.clone();
                move |_| {
                    let n = runs.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n == 0 {
                            panic!("boom");
                        }
                        std::future::pending::<()>().await;
                        Ok(())
                    }
                }
            },
        ));
        // Printing the panic's backtrace can take a while.
        for _ in 0..100 {
            if runs.load(Ordering::SeqCst) == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(loops.snapshot(), vec![("p", 1, true)]);
        tx.send(true).unwrap();
        // The pending loop does not watch `stop`; the test only checks state.
        task.abort();
    }
}
