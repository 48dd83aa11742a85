//! The latest snapshot of each product, for instant answers in chat. Redis in
//! scaled mode (shared by every process), a bounded in-process map otherwise.
//! Never the source of truth: a miss or an error just means "ask the database
//! or fetch".

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

/// What the bots need to answer about a product without fetching.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CachedSnapshot {
    pub product_id: i64,
    pub marketplace: String,
    pub asin: String,
    pub title: String,
    pub image_url: Option<String>,
    pub currency: String,
    pub price_minor: Option<i64>,
    pub list_price_minor: Option<i64>,
    pub availability: String,
    pub condition: Option<String>,
    pub seller: Option<String>,
    pub checked_at: DateTime<Utc>,
}

pub enum Cache {
    Local(LocalCache),
    Redis(RedisCache),
}

pub struct LocalCache {
    map: DashMap<String, (Instant, CachedSnapshot)>,
    ttl: Duration,
    max_entries: usize,
}

pub struct RedisCache {
    conn: redis::aio::ConnectionManager,
    prefix: String,
    ttl: Duration,
}

fn key(marketplace: &str, asin: &str) -> String {
    format!("{marketplace}/{asin}")
}

impl Cache {
    pub fn local(ttl: Duration, max_entries: usize) -> Cache {
        Cache::Local(LocalCache {
            map: DashMap::new(),
            ttl,
            max_entries: max_entries.max(1),
        })
    }

    pub fn redis(conn: redis::aio::ConnectionManager, prefix: &str, ttl: Duration) -> Cache {
        Cache::Redis(RedisCache {
            conn,
            prefix: format!("{prefix}snap:"),
            ttl,
        })
    }

    pub async fn get(&self, marketplace: &str, asin: &str) -> Option<CachedSnapshot> {
        match self {
            Cache::Local(c) => {
                let k = key(marketplace, asin);
                let hit = c.map.get(&k).map(|e| (e.0, e.1.clone()));
                match hit {
                    Some((at, snap)) if at.elapsed() < c.ttl => Some(snap),
                    Some(_) => {
                        c.map.remove(&k);
                        None
                    }
                    None => None,
                }
            }
            Cache::Redis(c) => {
                let mut conn = c.conn.clone();
                let raw: Option<String> = conn
                    .get(format!("{}{}", c.prefix, key(marketplace, asin)))
                    .await
                    .map_err(|e| tracing::warn!(error = %e, "cache read failed"))
                    .ok()
                    .flatten();
                raw.and_then(|s| serde_json::from_str(&s).ok())
            }
        }
    }

    pub async fn put(&self, snap: &CachedSnapshot) {
        match self {
            Cache::Local(c) => {
                if c.map.len() >= c.max_entries {
                    c.map.retain(|_, (at, _)| at.elapsed() < c.ttl);
                }
                if c.map.len() >= c.max_entries {
                    // Still full of fresh entries: drop an arbitrary tenth.
                    let victims: Vec<String> = c
                        .map
                        .iter()
                        .take(c.max_entries / 10 + 1)
                        .map(|e| e.key().clone())
                        .collect();
                    for v in victims {
                        c.map.remove(&v);
                    }
                }
                c.map.insert(
                    key(&snap.marketplace, &snap.asin),
                    (Instant::now(), snap.clone()),
                );
            }
            Cache::Redis(c) => {
                let Ok(json) = serde_json::to_string(snap) else {
                    return;
                };
                let mut conn = c.conn.clone();
                let k = format!("{}{}", c.prefix, key(&snap.marketplace, &snap.asin));
                let ttl = c.ttl.as_secs().max(1);
                let r: redis::RedisResult<()> = conn.set_ex(k, json, ttl).await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "cache write failed");
                }
            }
        }
    }

    pub fn len_hint(&self) -> Option<usize> {
        match self {
            Cache::Local(c) => Some(c.map.len()),
            Cache::Redis(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(asin: &str) -> CachedSnapshot {
        CachedSnapshot {
            product_id: 1,
            marketplace: "amazon.de".into(),
            asin: asin.into(),
            title: "t".into(),
            image_url: None,
            currency: "EUR".into(),
            price_minor: Some(1299),
            list_price_minor: None,
            availability: "in_stock".into(),
            condition: Some("new".into()),
            seller: None,
            checked_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn local_cache_expires_and_stays_bounded() {
        let c = Cache::local(Duration::from_millis(50), 10);
        c.put(&snap("B000000001")).await;
        assert_eq!(
            c.get("amazon.de", "B000000001").await.unwrap().price_minor,
            Some(1299)
        );
        assert!(c.get("amazon.fr", "B000000001").await.is_none());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(c.get("amazon.de", "B000000001").await.is_none());
        for i in 0..100 {
            c.put(&snap(&format!("B{i:09}"))).await;
        }
        assert!(c.len_hint().unwrap() <= 10);
    }
}
