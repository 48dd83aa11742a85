//! Alerts to Telegram chats: the product photo with the old and new price,
//! and buttons to buy, see the chart, snooze or stop. What Telegram answers
//! decides what the outbox does next.

use teloxide::RequestError;
use teloxide::payloads::{SendMessageSetters, SendPhotoSetters};
use teloxide::prelude::*;
use teloxide::types::{InputFile, ParseMode};

use super::TgBot;
use super::render::{CAPTION_MAX, MESSAGE_MAX, html, keyboard};
use crate::bots::core;
use crate::notify::{Delivery, Notifier, SendError};

pub struct TelegramNotifier {
    bot: TgBot,
    db: sea_orm::DatabaseConnection,
    affiliate_tag: Option<String>,
    /// The bot's @username, for feed posts' deep links (asked once).
    username: tokio::sync::OnceCell<String>,
}

impl TelegramNotifier {
    pub fn new(bot: TgBot, db: sea_orm::DatabaseConnection, affiliate_tag: Option<String>) -> Self {
        TelegramNotifier {
            bot,
            db,
            affiliate_tag,
            username: tokio::sync::OnceCell::new(),
        }
    }

    /// Telegram says the group became a supergroup: point the chat's
    /// destination at the new id (unless the new chat already has one; the
    /// migration's service message merges those), so the retry lands there.
    async fn follow_migration(&self, from: ChatId, to: ChatId) {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

        use crate::store::entities::destinations;
        let find = |id: ChatId| {
            destinations::Entity::find()
                .filter(destinations::Column::Kind.eq("telegram_chat"))
                .filter(destinations::Column::Address.eq(id.0.to_string()))
        };
        if let Ok(None) = find(to).one(&self.db).await
            && let Ok(Some(old)) = find(from).one(&self.db).await
        {
            let mut m: destinations::ActiveModel = old.into();
            m.address = sea_orm::Set(to.0.to_string());
            if let Err(e) = sea_orm::ActiveModelTrait::update(m, &self.db).await {
                tracing::warn!(error = %e, "could not follow a group's migration");
            }
        }
    }

    async fn username(&self) -> Result<&str, SendError> {
        self.username
            .get_or_try_init(|| async {
                self.bot
                    .get_me()
                    .await
                    .map(|me| me.user.username.clone().unwrap_or_default())
                    .map_err(|e| classify(&e))
            })
            .await
            .map(String::as_str)
    }

    /// A feed post: "Track this" and "Chart" open a private chat with the
    /// bot (`/start t123`, `/start h123`), so nothing is posted in the group.
    async fn feed_view(&self, locale: &str, d: &Delivery) -> Result<core::View, SendError> {
        let bot = self.username().await?.to_string();
        let link = move |kind: &'static str| {
            let bot = bot.clone();
            Box::new(move |pid: i64| {
                core::ButtonTarget::Url(format!("https://t.me/{bot}?start={kind}{pid}"))
            }) as Box<dyn Fn(i64) -> core::ButtonTarget + Send + Sync>
        };
        let buttons = core::FeedButtons {
            track: link("t"),
            chart: link("h"),
        };
        Ok(core::feed_post(
            locale,
            &d.payload,
            &buttons,
            self.affiliate_tag.as_deref(),
        ))
    }
}

/// What a failed Bot API call means for the alert.
pub fn classify(e: &RequestError) -> SendError {
    let reason = super::redact(&e.to_string());
    match e {
        RequestError::RetryAfter(s) => SendError::Transient {
            reason,
            retry_after: Some(s.duration()),
        },
        // The group became a supergroup; the service message about it moves
        // the destination, and the retry goes to the new id.
        RequestError::MigrateToChatId(_) => SendError::Transient {
            reason,
            retry_after: Some(std::time::Duration::from_secs(1)),
        },
        // Telegram's 5xx answers ("Internal Server Error", "Bad Gateway", …)
        // reach us as errors teloxide does not know; only a 4xx is about the
        // message or the chat. Anything else is retried with back-off.
        RequestError::Api(teloxide::ApiError::Unknown(text)) if !is_client_error(text) => {
            SendError::Transient {
                reason,
                retry_after: None,
            }
        }
        RequestError::Api(api) => {
            let text = api.to_string();
            if text.starts_with("Forbidden")
                || text.starts_with("Unauthorized: bot")
                || text.contains("chat not found")
                || text.contains("bot was kicked")
                || text.contains("user is deactivated")
            {
                SendError::DestinationGone { reason }
            } else {
                SendError::Permanent { reason }
            }
        }
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            SendError::Transient {
                reason,
                retry_after: None,
            }
        }
    }
}

/// A Bot API description of a 4xx answer: the request or the chat is at fault.
fn is_client_error(description: &str) -> bool {
    [
        "Bad Request",
        "Unauthorized",
        "Forbidden",
        "Not Found",
        "Conflict",
    ]
    .iter()
    .any(|p| description.starts_with(p))
}

#[async_trait::async_trait]
impl Notifier for TelegramNotifier {
    async fn send(&self, d: &Delivery) -> Result<(), SendError> {
        let chat: i64 = d.address.parse().map_err(|_| SendError::Permanent {
            reason: "not a Telegram chat id".into(),
        })?;
        let chat = ChatId(chat);
        super::pace::before_send(chat).await;
        let locale = crate::i18n::supported(Some(&d.payload.locale));
        let view = if d.kind.starts_with("feed_") {
            self.feed_view(locale, d).await?
        } else {
            core::alert(locale, &d.kind, &d.payload, self.affiliate_tag.as_deref())
        };
        let markup = keyboard(&view.buttons);
        if let Some(img) = view
            .image_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        {
            let mut req = self
                .bot
                .send_photo(chat, InputFile::url(img))
                .caption(html(&view, CAPTION_MAX))
                .parse_mode(ParseMode::Html);
            if let Some(m) = markup.clone() {
                req = req.reply_markup(m);
            }
            match req.await {
                Ok(_) => return Ok(()),
                Err(RequestError::MigrateToChatId(to)) => {
                    self.follow_migration(chat, to).await;
                    return Err(SendError::Transient {
                        reason: "the group became a supergroup".into(),
                        retry_after: Some(std::time::Duration::from_secs(1)),
                    });
                }
                Err(e) => match classify(&e) {
                    // Telegram could not use the picture: send the text.
                    SendError::Permanent { .. } => {}
                    other => return Err(other),
                },
            }
        }
        let mut req = self
            .bot
            .send_message(chat, html(&view, MESSAGE_MAX))
            .parse_mode(ParseMode::Html);
        if let Some(m) = markup {
            req = req.reply_markup(m);
        }
        match req.await {
            Ok(_) => Ok(()),
            Err(e) => {
                if let RequestError::MigrateToChatId(to) = &e {
                    self.follow_migration(chat, *to).await;
                }
                Err(classify(&e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_5xx_from_telegram_is_transient_and_a_bad_request_is_not() {
        let api = |text: &str| RequestError::Api(teloxide::ApiError::Unknown(text.into()));
        for text in ["Internal Server Error", "Bad Gateway", "Gateway Timeout"] {
            assert!(
                matches!(classify(&api(text)), SendError::Transient { .. }),
                "{text}"
            );
        }
        assert!(matches!(
            classify(&api("Bad Request: wrong file identifier")),
            SendError::Permanent { .. }
        ));
        assert!(matches!(
            classify(&RequestError::Api(teloxide::ApiError::BotBlocked)),
            SendError::DestinationGone { .. }
        ));
    }
}
