//! Alerts to Discord: a DM (the DM channel is opened first) or a post in
//! the channel the person chose, with the embed, the price chart and
//! buttons that only the watch's owner can use. Nothing it posts can ping.

use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::json;

use super::render::message;
use super::rest::{File, Rest};
use crate::bots::core;
use crate::notify::{Delivery, Notifier, SendError};
use crate::store::entities::{products, users, watches};

pub struct DiscordNotifier {
    rest: Rest,
    db: DatabaseConnection,
    affiliate_tag: Option<String>,
}

impl DiscordNotifier {
    pub fn new(rest: Rest, db: DatabaseConnection, affiliate_tag: Option<String>) -> Self {
        DiscordNotifier {
            rest,
            db,
            affiliate_tag,
        }
    }

    /// The Discord user a watch belongs to (the buttons are theirs).
    async fn owner(&self, d: &Delivery) -> Option<String> {
        if d.destination_kind == "discord_dm" {
            return Some(d.address.clone());
        }
        let w = watches::Entity::find_by_id(d.payload.watch_id?)
            .one(&self.db)
            .await
            .ok()??;
        let u = users::Entity::find_by_id(w.user_id)
            .one(&self.db)
            .await
            .ok()??;
        Some(u.platform_user_id)
    }
}

#[async_trait::async_trait]
impl Notifier for DiscordNotifier {
    async fn send(&self, d: &Delivery) -> Result<(), SendError> {
        let locale = crate::i18n::supported(Some(&d.payload.locale));
        let feed = d.kind.starts_with("feed_");
        let view = if feed {
            // Buttons anyone in the channel can use ("0" = anyone).
            let buttons = core::FeedButtons {
                track: Box::new(|product_id| {
                    core::ButtonTarget::Action(core::Action::Set {
                        product_id,
                        preset: core::Preset::Any,
                    })
                }),
                chart: Box::new(|product_id| {
                    core::ButtonTarget::Action(core::Action::ProductChart { product_id })
                }),
            };
            core::feed_post(locale, &d.payload, &buttons, self.affiliate_tag.as_deref())
        } else {
            core::alert(locale, &d.kind, &d.payload, self.affiliate_tag.as_deref())
        };
        let owner = if feed {
            "0".to_string()
        } else {
            self.owner(d).await.unwrap_or_default()
        };
        let mut body = message(&view, &owner, None);
        // Idempotency: Discord drops a second message with the same nonce.
        body["nonce"] = json!(nonce(&d.idempotency_key));
        body["enforce_nonce"] = json!(true);
        let mut files = Vec::new();
        if d.kind == "price_drop"
            && let Ok(Some(product)) = products::Entity::find_by_id(d.payload.product_id)
                .one(&self.db)
                .await
            && let Some((png, _)) =
                core::chart(&self.db, locale, &product, d.payload.target_minor).await
        {
            body["embeds"][0]["image"] = json!({"url": "attachment://chart.png"});
            body["attachments"] = json!([{"id": 0, "filename": "chart.png"}]);
            files.push(File {
                name: "chart.png".into(),
                bytes: png,
            });
        }
        let channel = match d.destination_kind.as_str() {
            "discord_dm" => self.rest.dm_channel(&d.address).await?,
            _ => d.address.clone(),
        };
        self.rest.post(&channel, &body, &files).await
    }
}

/// A nonce of at most 25 characters derived from the outbox key.
fn nonce(key: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    format!("pw{:x}", h.finish())
}
