//! Deal feeds: a group, channel or Discord text channel subscribed to price
//! drops among every product this instance tracks. One feed per chat.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{DestinationRef, Identity, TrackError, ensure_destination, ensure_user};
use crate::app::App;
use crate::domain::Marketplace;
use crate::store::entities::feeds;

/// What a feed posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedOptions {
    /// At least this many percent below the 30-day median (1–90).
    pub min_drop_pct: u8,
    /// Also post a product at its lowest price ever seen.
    pub lows: bool,
    /// Only these storefronts (`amazon.de`); empty: all.
    pub markets: Vec<String>,
    /// Post up to 10 deals together every N hours instead of one by one.
    pub digest_hours: Option<u8>,
}

impl Default for FeedOptions {
    fn default() -> Self {
        FeedOptions {
            min_drop_pct: 20,
            lows: false,
            markets: Vec::new(),
            digest_hours: None,
        }
    }
}

/// Why feed options were refused; the bots say it in the person's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedOptionError {
    #[error("min must be a whole percentage between 1% and 90%: {0}")]
    Min(String),
    #[error("unknown store {0}")]
    Market(String),
    #[error("digest must be between 1 and 168 hours: {0}")]
    Digest(String),
    #[error("unknown option {0}")]
    Unknown(String),
}

/// A storefront from what people type: `de`, `co.uk`, `uk`, `amazon.fr`.
pub fn market(code: &str) -> Option<String> {
    let c = code.trim().trim_start_matches('.').to_ascii_lowercase();
    let c = c.strip_prefix("amazon.").unwrap_or(&c);
    let aliases = [
        ("uk", "co.uk"),
        ("jp", "co.jp"),
        ("br", "com.br"),
        ("mx", "com.mx"),
        ("au", "com.au"),
        ("tr", "com.tr"),
        ("us", "com"),
    ];
    let tld = aliases
        .iter()
        .find(|(a, _)| *a == c)
        .map(|(_, t)| *t)
        .unwrap_or(c);
    Marketplace::from_tld(tld).map(|m| m.name())
}

impl FeedOptions {
    /// `min=20% lows markets=de,fr digest=6h`, in any order.
    pub fn parse(words: &[&str]) -> Result<FeedOptions, FeedOptionError> {
        let mut o = FeedOptions::default();
        for w in words {
            let (k, v) = w.split_once('=').unwrap_or((w, ""));
            match k.to_ascii_lowercase().as_str() {
                "min" | "min_drop" => {
                    let n = v.trim_end_matches('%').trim_start_matches('-');
                    o.min_drop_pct = n
                        .parse::<u8>()
                        .ok()
                        .filter(|n| (1..=90).contains(n))
                        .ok_or_else(|| FeedOptionError::Min(w.to_string()))?;
                }
                "lows" | "low" => o.lows = true,
                "markets" | "market" | "stores" => {
                    o.markets = v
                        .split(',')
                        .filter(|s| !s.trim().is_empty())
                        .map(|s| market(s).ok_or_else(|| FeedOptionError::Market(s.to_string())))
                        .collect::<Result<_, _>>()?;
                }
                "digest" => {
                    let h = v.trim_end_matches('h');
                    o.digest_hours = Some(
                        h.parse::<u8>()
                            .ok()
                            .filter(|h| (1..=168).contains(h))
                            .ok_or_else(|| FeedOptionError::Digest(w.to_string()))?,
                    );
                }
                _ => return Err(FeedOptionError::Unknown(w.to_string())),
            }
        }
        Ok(o)
    }
}

/// The options a stored feed was made with.
pub fn options_of(f: &feeds::Model) -> FeedOptions {
    FeedOptions {
        min_drop_pct: u8::try_from(f.min_drop_pct).unwrap_or(20),
        lows: f.lows_only,
        markets: f
            .marketplaces
            .as_deref()
            .map(|m| m.split(',').map(String::from).collect())
            .unwrap_or_default(),
        digest_hours: f.digest_hours.and_then(|h| u8::try_from(h).ok()),
    }
}

/// Subscribes `dest` (replacing its earlier options), on behalf of `by`.
pub async fn subscribe(
    app: &App,
    dest: &DestinationRef,
    by: &Identity,
    opts: &FeedOptions,
) -> Result<feeds::Model, TrackError> {
    let user = ensure_user(app, by).await?;
    let destination = ensure_destination(app, dest, Some(user.id)).await?;
    // Subscribing again is how a chat that lost the bot comes back.
    super::chat::unpause_destination(app, dest.kind, &dest.address).await?;
    let markets = (!opts.markets.is_empty()).then(|| opts.markets.join(","));
    let existing = feeds::Entity::find()
        .filter(feeds::Column::DestinationId.eq(destination.id))
        .one(&app.db)
        .await?;
    let (mut m, new): (feeds::ActiveModel, bool) = match existing {
        Some(f) => (f.into(), false),
        None => (
            feeds::ActiveModel {
                destination_id: Set(destination.id),
                created_at: Set(Utc::now()),
                ..Default::default()
            },
            true,
        ),
    };
    m.min_drop_pct = Set(i16::from(opts.min_drop_pct));
    m.lows_only = Set(opts.lows);
    m.marketplaces = Set(markets);
    m.digest_hours = Set(opts.digest_hours.map(i16::from));
    m.created_by_user_id = Set(Some(user.id));
    m.paused_at = Set(None);
    Ok(if new {
        m.insert(&app.db).await?
    } else {
        m.update(&app.db).await?
    })
}

/// The feed of a chat, if it has one.
pub async fn status(app: &App, dest: &DestinationRef) -> Result<Option<feeds::Model>, TrackError> {
    let Some(d) = super::chat::destination(app, dest.kind, &dest.address).await? else {
        return Ok(None);
    };
    Ok(feeds::Entity::find()
        .filter(feeds::Column::DestinationId.eq(d.id))
        .one(&app.db)
        .await?)
}

/// Ends a chat's feed; false when it had none.
pub async fn unsubscribe(app: &App, dest: &DestinationRef) -> Result<bool, TrackError> {
    match status(app, dest).await? {
        Some(f) => {
            feeds::Entity::delete_by_id(f.id).exec(&app.db).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_the_way_people_type_them() {
        let o = FeedOptions::parse(&["min=25%", "lows", "markets=de,uk,amazon.fr", "digest=6h"])
            .unwrap();
        assert_eq!(o.min_drop_pct, 25);
        assert!(o.lows);
        assert_eq!(o.markets, ["amazon.de", "amazon.co.uk", "amazon.fr"]);
        assert_eq!(o.digest_hours, Some(6));
        assert_eq!(FeedOptions::parse(&[]).unwrap(), FeedOptions::default());
        assert_eq!(
            FeedOptions::parse(&["min=95%"]),
            Err(FeedOptionError::Min("min=95%".into()))
        );
        assert_eq!(
            FeedOptions::parse(&["markets=xx"]),
            Err(FeedOptionError::Market("xx".into()))
        );
        assert!(matches!(
            FeedOptions::parse(&["bogus"]),
            Err(FeedOptionError::Unknown(_))
        ));
    }
}
