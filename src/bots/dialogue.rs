//! What the bot is waiting for from one person in one chat ("Custom…" asked
//! for a price; "Edit target" for a new one). Kept in Redis in scaled mode,
//! so any bot process can take the answer, and in process otherwise. An
//! unanswered question expires after ten minutes.

use std::time::{Duration, Instant};

use dashmap::DashMap;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

pub const TTL: Duration = Duration::from_secs(600);

/// The question the next message answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pending {
    /// A target for this product, to create the watch.
    Target { product_id: i64 },
    /// A new target for this watch.
    EditTarget { watch_id: i64 },
}

pub enum Dialogues {
    Local(DashMap<String, (Instant, Pending)>),
    Redis {
        conn: redis::aio::ConnectionManager,
        prefix: String,
    },
}

impl Dialogues {
    pub fn local() -> Self {
        Dialogues::Local(DashMap::new())
    }

    pub fn redis(conn: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Dialogues::Redis {
            conn,
            prefix: format!("{prefix}dialogue:"),
        }
    }

    pub async fn ask(&self, key: &str, pending: Pending) {
        match self {
            Dialogues::Local(map) => {
                if map.len() > 10_000 {
                    map.retain(|_, (at, _)| at.elapsed() < TTL);
                }
                map.insert(key.to_string(), (Instant::now(), pending));
            }
            Dialogues::Redis { conn, prefix } => {
                let Ok(value) = serde_json::to_string(&pending) else {
                    return;
                };
                let mut c = conn.clone();
                let r: redis::RedisResult<()> = c
                    .set_ex(format!("{prefix}{key}"), value, TTL.as_secs())
                    .await;
                if let Err(e) = r {
                    tracing::warn!(error = %e, "could not store a dialogue step");
                }
            }
        }
    }

    /// The pending question, removed: each answer is taken once.
    pub async fn take(&self, key: &str) -> Option<Pending> {
        match self {
            Dialogues::Local(map) => {
                let (_, (at, pending)) = map.remove(key)?;
                (at.elapsed() < TTL).then_some(pending)
            }
            Dialogues::Redis { conn, prefix } => {
                let mut c = conn.clone();
                let raw: Option<String> = redis::cmd("GETDEL")
                    .arg(format!("{prefix}{key}"))
                    .query_async(&mut c)
                    .await
                    .map_err(|e| tracing::warn!(error = %e, "could not read a dialogue step"))
                    .ok()
                    .flatten();
                raw.and_then(|s| serde_json::from_str(&s).ok())
            }
        }
    }

    pub async fn cancel(&self, key: &str) {
        let _ = self.take(key).await;
    }
}
