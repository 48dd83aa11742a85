//! Counters for `GET /metrics`, in the Prometheus text format. Plain atomics:
//! each process reports its own; Prometheus sums across processes.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Fetch-latency histogram bucket bounds, in milliseconds.
const LATENCY_BUCKETS_MS: [u64; 8] = [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000];

#[derive(Default)]
pub struct Metrics {
    pub checks_ok: AtomicU64,
    pub checks_blocked: AtomicU64,
    pub checks_not_found: AtomicU64,
    pub checks_transient: AtomicU64,
    pub checks_unreadable: AtomicU64,
    pub alerts_created: AtomicU64,
    pub alerts_sent: AtomicU64,
    pub alerts_failed: AtomicU64,
    /// Alerts given up (the outbox row is dead).
    pub alerts_dead: AtomicU64,
    pub jobs_enqueued: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS_MS.len()],
    latency_count: AtomicU64,
    latency_sum_ms: AtomicU64,
}

/// Worker loops and dead alerts, for `GET /metrics`: `(loop, restarts,
/// running)` per loop of this process, and the dead rows in the outbox.
pub fn render_workers(loops: &[(&str, u64, bool)], dead_rows: Option<u64>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# HELP pricewatch_worker_restarts_total Worker loops restarted after they ended on their own."
    );
    let _ = writeln!(s, "# TYPE pricewatch_worker_restarts_total counter");
    for (name, restarts, _) in loops {
        let _ = writeln!(
            s,
            "pricewatch_worker_restarts_total{{loop=\"{name}\"}} {restarts}"
        );
    }
    let _ = writeln!(
        s,
        "# HELP pricewatch_worker_up Whether each worker loop of this process runs (1) or is down (0)."
    );
    let _ = writeln!(s, "# TYPE pricewatch_worker_up gauge");
    for (name, _, up) in loops {
        let _ = writeln!(
            s,
            "pricewatch_worker_up{{loop=\"{name}\"}} {}",
            u8::from(*up)
        );
    }
    if let Some(n) = dead_rows {
        let _ = writeln!(
            s,
            "# HELP pricewatch_outbox_dead Alerts given up, waiting for `pricewatch outbox retry`."
        );
        let _ = writeln!(s, "# TYPE pricewatch_outbox_dead gauge");
        let _ = writeln!(s, "pricewatch_outbox_dead {n}");
    }
    s
}

impl Metrics {
    pub fn observe_fetch_ms(&self, ms: u64) {
        for (i, b) in LATENCY_BUCKETS_MS.iter().enumerate() {
            if ms <= *b {
                self.latency_buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Relaxed);
        self.latency_sum_ms.fetch_add(ms, Relaxed);
    }

    /// The Prometheus exposition; `queue_depth` per queue comes from the caller.
    pub fn render(&self, queue_depth: &[(&str, Option<u64>)]) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP pricewatch_checks_total Product checks by outcome."
        );
        let _ = writeln!(s, "# TYPE pricewatch_checks_total counter");
        for (outcome, v) in [
            ("ok", &self.checks_ok),
            ("blocked", &self.checks_blocked),
            ("not_found", &self.checks_not_found),
            ("transient", &self.checks_transient),
            ("unreadable", &self.checks_unreadable),
        ] {
            let _ = writeln!(
                s,
                "pricewatch_checks_total{{outcome=\"{outcome}\"}} {}",
                v.load(Relaxed)
            );
        }
        for (name, help, v) in [
            (
                "pricewatch_alerts_created_total",
                "Alerts written to the outbox.",
                &self.alerts_created,
            ),
            (
                "pricewatch_alerts_sent_total",
                "Alerts delivered.",
                &self.alerts_sent,
            ),
            (
                "pricewatch_alerts_failed_total",
                "Delivery attempts that failed.",
                &self.alerts_failed,
            ),
            (
                "pricewatch_alerts_dead_total",
                "Alerts given up by this process (see `pricewatch outbox list`).",
                &self.alerts_dead,
            ),
            (
                "pricewatch_jobs_enqueued_total",
                "Jobs pushed to the queues.",
                &self.jobs_enqueued,
            ),
        ] {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Relaxed)
            );
        }
        let _ = writeln!(s, "# HELP pricewatch_queue_depth Jobs waiting, by queue.");
        let _ = writeln!(s, "# TYPE pricewatch_queue_depth gauge");
        for (q, d) in queue_depth {
            if let Some(d) = d {
                let _ = writeln!(s, "pricewatch_queue_depth{{queue=\"{q}\"}} {d}");
            }
        }
        let _ = writeln!(
            s,
            "# HELP pricewatch_fetch_latency_seconds Time to fetch a product page."
        );
        let _ = writeln!(s, "# TYPE pricewatch_fetch_latency_seconds histogram");
        for (i, b) in LATENCY_BUCKETS_MS.iter().enumerate() {
            let _ = writeln!(
                s,
                "pricewatch_fetch_latency_seconds_bucket{{le=\"{}\"}} {}",
                *b as f64 / 1000.0,
                self.latency_buckets[i].load(Relaxed)
            );
        }
        let count = self.latency_count.load(Relaxed);
        let _ = writeln!(
            s,
            "pricewatch_fetch_latency_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "pricewatch_fetch_latency_seconds_sum {}",
            self.latency_sum_ms.load(Relaxed) as f64 / 1000.0
        );
        let _ = writeln!(s, "pricewatch_fetch_latency_seconds_count {count}");
        s
    }
}
