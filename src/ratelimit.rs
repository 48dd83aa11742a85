//! Requests per second to each Amazon storefront (`AMAZON_MAX_RPS`), held
//! across all workers: a counter per storefront per second in Redis in scaled
//! mode, in process otherwise.

use std::sync::Mutex;
use std::time::Duration;

use dashmap::DashMap;

pub enum RateLimiter {
    Local {
        rps: u32,
        windows: DashMap<String, Mutex<(u64, u32)>>,
    },
    Redis {
        rps: u32,
        conn: redis::aio::ConnectionManager,
        prefix: String,
    },
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl RateLimiter {
    pub fn local(rps: u32) -> Self {
        RateLimiter::Local {
            rps: rps.max(1),
            windows: DashMap::new(),
        }
    }

    pub fn redis(rps: u32, conn: redis::aio::ConnectionManager, prefix: &str) -> Self {
        RateLimiter::Redis {
            rps: rps.max(1),
            conn,
            prefix: format!("{prefix}rl:"),
        }
    }

    /// Waits until a request to `marketplace` is allowed.
    pub async fn acquire(&self, marketplace: &str) {
        loop {
            let now = now_ms();
            let second = now / 1000;
            if self.try_take(marketplace, second).await {
                return;
            }
            // Sleep to the start of the next second, plus a little jitter so
            // waiting workers do not all wake at once.
            let jitter = rand::random::<u64>() % 50;
            tokio::time::sleep(Duration::from_millis(1000 - now % 1000 + jitter)).await;
        }
    }

    async fn try_take(&self, marketplace: &str, second: u64) -> bool {
        match self {
            RateLimiter::Local { rps, windows } => {
                let entry = windows
                    .entry(marketplace.to_string())
                    .or_insert_with(|| Mutex::new((second, 0)));
                let Ok(mut w) = entry.lock() else {
                    return true;
                };
                if w.0 != second {
                    *w = (second, 0);
                }
                if w.1 < *rps {
                    w.1 += 1;
                    true
                } else {
                    false
                }
            }
            RateLimiter::Redis { rps, conn, prefix } => {
                let key = format!("{prefix}{marketplace}:{second}");
                let mut conn = conn.clone();
                let r: redis::RedisResult<(u32, i32)> = redis::pipe()
                    .atomic()
                    .incr(&key, 1u32)
                    .expire(&key, 2)
                    .query_async(&mut conn)
                    .await;
                match r {
                    Ok((n, _)) => n <= *rps,
                    Err(e) => {
                        // Fail open but slowly: a Redis hiccup must not stop checks.
                        tracing::warn!(error = %e, "rate limiter unavailable");
                        tokio::time::sleep(Duration::from_millis(1000 / u64::from(*rps))).await;
                        true
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_limit_spreads_requests_over_seconds() {
        let rl = RateLimiter::local(5);
        let start = std::time::Instant::now();
        for _ in 0..11 {
            rl.acquire("amazon.de").await;
        }
        // 11 requests at 5/s need at least two second boundaries.
        assert!(
            start.elapsed() >= Duration::from_millis(900),
            "{:?}",
            start.elapsed()
        );
        // Another storefront is not held back.
        let t = std::time::Instant::now();
        rl.acquire("amazon.fr").await;
        assert!(t.elapsed() < Duration::from_millis(100));
    }
}

#[cfg(test)]
mod redis_tests {
    use super::*;

    #[tokio::test]
    async fn the_limit_holds_across_workers_sharing_redis() {
        let Some(url) = crate::test_support::redis_url().await else {
            return;
        };
        let keys = crate::test_support::RedisKeys::new(&url, "rl");
        let client = redis::Client::open(url).unwrap();
        let conn = redis::aio::ConnectionManager::new(client).await.unwrap();
        let prefix = keys.prefix().to_string();
        // Two workers, one storefront, 4 requests per second between them.
        let a = RateLimiter::redis(4, conn.clone(), &prefix);
        let b = RateLimiter::redis(4, conn, &prefix);
        let start = std::time::Instant::now();
        let both = async {
            for _ in 0..5 {
                a.acquire("amazon.de").await;
            }
        };
        let other = async {
            for _ in 0..5 {
                b.acquire("amazon.de").await;
            }
        };
        tokio::join!(both, other);
        // 10 requests at 4/s cross at least two second boundaries.
        assert!(
            start.elapsed() >= Duration::from_millis(1000),
            "{:?}",
            start.elapsed()
        );
    }
}
