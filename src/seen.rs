//! "Have we acted on this id already?" for signed requests that could be
//! replayed: a captured Discord interaction keeps a valid signature for the
//! five minutes Discord's timestamp window allows, so each interaction id is
//! remembered for longer than that and acted on once.
//!
//! Scaled mode keeps the ids in Redis (`SET NX EX`), so every process serving
//! the endpoint sees the others' ids and they expire on their own. Embedded
//! mode runs one HTTP server, so an in-process map is enough. A database table
//! would need a migration and a cleanup job for rows that matter five minutes.

use std::time::{Duration, Instant};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

/// Entries the in-process map holds before it drops expired ones.
const PRUNE_AT: usize = 10_000;

pub enum SeenIds {
    Local(DashMap<String, Instant>),
    Redis {
        conn: redis::aio::ConnectionManager,
        prefix: String,
    },
}

impl SeenIds {
    pub fn local() -> SeenIds {
        SeenIds::Local(DashMap::new())
    }

    /// Ids under `{prefix}seen:{id}` in Redis.
    pub fn redis(conn: redis::aio::ConnectionManager, prefix: &str) -> SeenIds {
        SeenIds::Redis {
            conn,
            prefix: format!("{prefix}seen:"),
        }
    }

    /// True the first time `id` is offered within `ttl`, false for a repeat.
    /// An error means Redis could not say: the caller must not act (acting
    /// at most once wins over acting at all).
    pub async fn first(&self, id: &str, ttl: Duration) -> Result<bool, redis::RedisError> {
        match self {
            SeenIds::Local(map) => {
                let now = Instant::now();
                if map.len() >= PRUNE_AT {
                    map.retain(|_, until| *until > now);
                }
                Ok(match map.entry(id.to_string()) {
                    Entry::Occupied(mut e) if *e.get() <= now => {
                        e.insert(now + ttl);
                        true
                    }
                    Entry::Occupied(_) => false,
                    Entry::Vacant(e) => {
                        e.insert(now + ttl);
                        true
                    }
                })
            }
            SeenIds::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let stored: Option<String> = redis::cmd("SET")
                    .arg(format!("{prefix}{id}"))
                    .arg(1)
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl.as_secs().max(1))
                    .query_async(&mut conn)
                    .await?;
                Ok(stored.is_some())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_id_counts_once_until_it_expires() {
        let seen = SeenIds::local();
        let ten_minutes = Duration::from_secs(600);
        assert_eq!(seen.first("1", ten_minutes).await.ok(), Some(true));
        assert_eq!(seen.first("1", ten_minutes).await.ok(), Some(false));
        assert_eq!(seen.first("2", ten_minutes).await.ok(), Some(true));
        assert_eq!(seen.first("3", Duration::ZERO).await.ok(), Some(true));
        // Expired at once: the id may be used again.
        assert_eq!(seen.first("3", ten_minutes).await.ok(), Some(true));
    }
}
