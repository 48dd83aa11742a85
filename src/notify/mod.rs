//! Delivering alerts. Every channel (Telegram, Discord, email, and the
//! recording notifier used for dry runs and tests) implements [`Notifier`].

pub mod chart;
pub mod record;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One alert on its way to one destination.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Delivery {
    /// Unique per (watch, price point, channel): channels that can
    /// de-duplicate (email Message-ID, Discord nonce) pass it on.
    pub idempotency_key: String,
    pub channel: String,
    pub destination_kind: String,
    pub address: String,
    pub kind: String,
    pub payload: AlertPayload,
}

/// What an alert says, frozen when it was decided. Prices in minor units.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct AlertPayload {
    pub watch_id: Option<i64>,
    pub product_id: i64,
    pub marketplace: String,
    pub asin: String,
    pub title: String,
    pub image_url: Option<String>,
    pub currency: String,
    pub old_price_minor: Option<i64>,
    pub new_price_minor: Option<i64>,
    pub target_minor: Option<i64>,
    pub lowest_90d: bool,
    pub locale: String,
    /// A feed digest: the deals it gathers (each like a single feed post).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<AlertPayload>,
}

/// Why a send failed, by what the outbox should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later (network, 5xx, 429 with its `retry_after`).
    #[error("transient: {reason}")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The destination refuses us for good (bot blocked, DMs closed):
    /// pause it, do not retry.
    #[error("destination refused: {reason}")]
    DestinationGone { reason: String },
    /// This message can never be sent (bad request): give up on it.
    #[error("permanent: {reason}")]
    Permanent { reason: String },
}

#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    async fn send(&self, delivery: &Delivery) -> Result<(), SendError>;
}

/// The notifier for each channel name (`telegram`, `discord`, `email`).
#[derive(Clone, Default)]
pub struct Notifiers {
    by_channel: HashMap<String, Arc<dyn Notifier>>,
    fallback: Option<Arc<dyn Notifier>>,
}

impl Notifiers {
    pub fn with(mut self, channel: &str, n: Arc<dyn Notifier>) -> Self {
        self.by_channel.insert(channel.to_string(), n);
        self
    }

    /// A notifier for every channel that has none of its own (dry runs, tests).
    pub fn with_fallback(mut self, n: Arc<dyn Notifier>) -> Self {
        self.fallback = Some(n);
        self
    }

    /// A notifier of its own (not the fallback) serves `channel`.
    pub fn has(&self, channel: &str) -> bool {
        self.by_channel.contains_key(channel)
    }

    pub fn get(&self, channel: &str) -> Option<Arc<dyn Notifier>> {
        self.by_channel
            .get(channel)
            .cloned()
            .or_else(|| self.fallback.clone())
    }
}

/// Outside text made safe inside HTML text and double-quoted attributes
/// (Telegram's HTML parse mode, emails, our web pages).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// The channel that serves a destination kind.
pub fn channel_for(destination_kind: &str) -> &'static str {
    match destination_kind {
        "telegram_chat" => "telegram",
        "discord_dm" | "discord_channel" => "discord",
        "email" => "email",
        _ => "unknown",
    }
}
