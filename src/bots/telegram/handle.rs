//! Updates in, replies out: messages with links become product cards,
//! commands and button taps become use-case calls, and every failure becomes
//! a short reply in the person's language.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dashmap::DashMap;
use teloxide::RequestError;
use teloxide::payloads::{
    AnswerCallbackQuerySetters, EditMessageTextSetters, SendMessageSetters, SendPhotoSetters,
};
use teloxide::prelude::*;
use teloxide::requests::Request;
use teloxide::types::{
    CallbackQuery, ChatMemberUpdated, InputFile, Me, Message, MessageEntityKind, MessageId,
    ParseMode, Update, UpdateKind, User,
};

use super::TgBot;
use super::render::{CAPTION_MAX, MESSAGE_MAX, escape, html, keyboard};
use crate::amazon::url::{self, Link, UrlError};
use crate::app::App;
use crate::bots::core::{self, Action, MAX_CARDS, Preset, View};
use crate::bots::dialogue::{Dialogues, Pending};
use crate::i18n::{Key, t};
use crate::store::entities::products;
use crate::tracking::scope::{self, Place};
use crate::tracking::{
    self, DestinationKind, DestinationRef, Identity, Platform, TrackError, chat as tchat,
};

pub struct Telegram {
    app: Arc<App>,
    bot: TgBot,
    username: String,
    bot_id: UserId,
    dialogues: Dialogues,
    /// One update at a time per chat, so a reply to "Custom…" is read after
    /// the tap that asked for it.
    chats: DashMap<i64, Arc<tokio::sync::Mutex<()>>>,
    /// Private chats whose alerts an unblock turned back on, and when: the
    /// `/start` that follows says so, whichever update came first.
    resumed: DashMap<ChatId, std::time::Instant>,
}

/// How long after an unblock `/start` still says alerts are on again.
const RESUMED_FOR: Duration = Duration::from_secs(600);

/// Who sent a message or tapped a button, and where.
struct Ctx {
    chat: ChatId,
    kind: ChatKind,
    who: Option<Identity>,
    locale: String,
    /// Sent on behalf of the chat itself (an anonymous group admin).
    as_chat: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChatKind {
    Private,
    Group,
    Channel,
}

impl Ctx {
    fn destination(&self) -> DestinationRef {
        DestinationRef {
            kind: DestinationKind::TelegramChat,
            address: self.chat.0.to_string(),
        }
    }

    /// What the chat may see: a group reads every answer there.
    fn place(&self) -> Place {
        match self.kind {
            ChatKind::Private => Place::Private,
            _ => Place::Shared(self.destination()),
        }
    }

    fn dialogue_key(&self) -> Option<String> {
        self.who
            .as_ref()
            .map(|w| dialogue_key(self.chat, &w.user_id))
    }
}

/// Where a person's pending answer in one chat is kept.
fn dialogue_key(chat: ChatId, user_id: &str) -> String {
    format!("tg:{}:{user_id}", chat.0)
}

fn identity(u: &User) -> Identity {
    Identity {
        platform: Platform::Telegram,
        user_id: u.id.0.to_string(),
        display_name: Some(u.first_name.clone()),
        locale: u.language_code.clone(),
    }
}

/// The links in a message: in its text or caption, and behind `text_link`
/// entities (whose visible text is something else).
fn links_in(m: &Message) -> Vec<String> {
    let text = m.text().or(m.caption()).unwrap_or_default();
    let mut links = url::find_links(text);
    let entities = m.entities().or(m.caption_entities()).unwrap_or_default();
    for e in entities {
        if let MessageEntityKind::TextLink { url } = &e.kind {
            let u = url.to_string();
            if !links.contains(&u) {
                links.push(u);
            }
        }
    }
    links
}

/// Whether a link is Amazon's business at all (a product, or an Amazon page
/// we must explain we cannot track), as opposed to any other website.
fn is_amazonish(link: &str) -> bool {
    !matches!(
        url::parse(link),
        Err(UrlError::NotAmazon
            | UrlError::NotALink
            | UrlError::UnsupportedScheme
            | UrlError::UnsafeLink(_))
    )
}

enum Command<'a> {
    /// `/name args`, addressed to us (or to no bot in particular).
    Ours(String, &'a str),
    /// `/name@OtherBot`: not for us.
    Other,
}

fn parse_command<'a>(text: &'a str, username: &str) -> Option<Command<'a>> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = rest
        .split_once(char::is_whitespace)
        .map(|(h, a)| (h, a.trim()))
        .unwrap_or((rest, ""));
    let (name, target) = match head.split_once('@') {
        Some((n, bot)) => (n, Some(bot)),
        None => (head, None),
    };
    if name.is_empty() {
        return None;
    }
    match target {
        Some(bot) if !bot.eq_ignore_ascii_case(username) => Some(Command::Other),
        _ => Some(Command::Ours(name.to_ascii_lowercase(), args)),
    }
}

impl Telegram {
    pub fn new(app: Arc<App>, bot: TgBot, me: &Me, dialogues: Dialogues) -> Telegram {
        Telegram {
            app,
            bot,
            username: me.user.username.clone().unwrap_or_default(),
            bot_id: me.user.id,
            dialogues,
            chats: DashMap::new(),
            resumed: DashMap::new(),
        }
    }

    /// Handles one update once its chat's earlier updates are done and one
    /// of `limit`'s permits is free.
    pub async fn handle(&self, update: Update, limit: &tokio::sync::Semaphore) {
        let chat = update.chat().map(|c| c.id.0);
        let lock = chat.map(|id| self.chats.entry(id).or_default().clone());
        let _guard = match &lock {
            Some(l) => Some(l.lock().await),
            None => None,
        };
        let Ok(_permit) = limit.acquire().await else {
            return;
        };
        match update.kind {
            UpdateKind::Message(m) | UpdateKind::ChannelPost(m) => self.on_message(m).await,
            UpdateKind::CallbackQuery(q) => self.on_callback(q).await,
            UpdateKind::MyChatMember(u) => self.on_membership(u).await,
            _ => {}
        }
        drop(_guard);
        if let (Some(id), Some(l)) = (chat, lock)
            && Arc::strong_count(&l) <= 2
        {
            self.chats.remove_if(&id, |_, v| Arc::strong_count(v) <= 2);
        }
    }

    async fn context(&self, chat: &teloxide::types::Chat, from: Option<&User>) -> Ctx {
        let kind = if chat.is_private() {
            ChatKind::Private
        } else if chat.is_channel() {
            ChatKind::Channel
        } else {
            ChatKind::Group
        };
        let who = from.filter(|u| !u.is_bot).map(identity);
        let locale = match &who {
            Some(w) => match tracking::ensure_user(&self.app, w).await {
                Ok(u) => u.locale,
                Err(_) => crate::i18n::supported(w.locale.as_deref()).to_string(),
            },
            None => "en".to_string(),
        };
        Ctx {
            chat: chat.id,
            kind,
            who,
            locale: crate::i18n::supported(Some(&locale)).to_string(),
            as_chat: false,
        }
    }

    async fn on_message(&self, m: Message) {
        if let Some(new) = m.migrate_to_chat_id() {
            let moved = tchat::move_chat(
                &self.app,
                DestinationKind::TelegramChat,
                &m.chat.id.0.to_string(),
                &new.0.to_string(),
            )
            .await;
            if let Err(e) = moved {
                tracing::error!(error = %e, "could not move a migrated group's watches");
            }
            return;
        }
        if m.from.as_ref().is_some_and(|u| u.is_bot)
            && m.sender_chat.as_ref().map(|c| c.id) != Some(m.chat.id)
        {
            return;
        }
        let text = m
            .text()
            .or(m.caption())
            .unwrap_or_default()
            .trim()
            .to_string();
        let command = if text.starts_with('/') {
            parse_command(&text, &self.username)
        } else {
            None
        };
        if matches!(command, Some(Command::Other)) {
            return;
        }
        let links: Vec<String> = links_in(&m);
        let amazon: Vec<&String> = links.iter().filter(|l| is_amazonish(l)).collect();
        // The answer to "Custom…" or "Edit target", in any chat.
        let pending = match (&command, amazon.is_empty(), &m.from) {
            (None, true, Some(u)) => {
                let key = dialogue_key(m.chat.id, &u.id.0.to_string());
                self.dialogues.take(&key).await
            }
            _ => None,
        };
        if !m.chat.is_private() && command.is_none() && amazon.is_empty() && pending.is_none() {
            // Chatter in a group or channel is not for us (and costs nothing).
            return;
        }
        let mut ctx = self.context(&m.chat, m.from.as_ref()).await;
        ctx.as_chat = m.sender_chat.as_ref().is_some_and(|c| c.id == m.chat.id);
        if let Some(Command::Ours(name, args)) = command {
            let addressed = text
                .split_whitespace()
                .next()
                .is_some_and(|h| h.contains('@'));
            return self.command(&ctx, &name, args, addressed).await;
        }
        if let Some(pending) = pending {
            return self.answer_dialogue(&ctx, pending, &text).await;
        }
        if amazon.is_empty() {
            if let Some(who) = &ctx.who
                && let Some(reply) = core::email_code(&self.app, who, &ctx.locale, &text).await
            {
                return self.say(&ctx, &reply).await;
            }
            let reply = if links.is_empty() {
                t(&ctx.locale, Key::Help, &[])
            } else {
                t(&ctx.locale, Key::ErrorNotAmazonLink, &[])
            };
            return self.say(&ctx, &reply).await;
        }
        if let Some(key) = ctx.dialogue_key() {
            self.dialogues.cancel(&key).await;
        }
        for link in amazon.iter().take(MAX_CARDS) {
            self.card_for(&ctx, link).await;
        }
        if amazon.len() > MAX_CARDS {
            let text = t(
                &ctx.locale,
                Key::ErrorTooManyLinks,
                &[("max", &MAX_CARDS.to_string())],
            );
            self.say(&ctx, &text).await;
        }
    }

    /// The bot was blocked, removed from a group or channel, or came back:
    /// alerts and feed posts to that chat stop or start again.
    async fn on_membership(&self, u: ChatMemberUpdated) {
        let address = u.chat.id.0.to_string();
        let r = if u.new_chat_member.kind.is_present() {
            tchat::unpause_destination(&self.app, DestinationKind::TelegramChat, &address)
                .await
                .map(|resumed| {
                    if resumed && u.chat.is_private() {
                        self.resumed.insert(u.chat.id, std::time::Instant::now());
                    }
                })
        } else {
            // The person blocked the bot: stop sending until they come back.
            match tchat::destination(&self.app, DestinationKind::TelegramChat, &address).await {
                Ok(Some(d)) => crate::jobs::deliver::pause_destination(&self.app, d.id, "blocked")
                    .await
                    .map_err(TrackError::Internal),
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            }
        };
        if let Err(e) = r {
            tracing::error!(error = %e, "could not record a chat membership change");
        }
    }

    /// The person's watches as this chat may see them: all of them in a
    /// private chat, only those alerting this group in a group.
    async fn items(
        &self,
        ctx: &Ctx,
        who: &Identity,
    ) -> Result<Vec<tracking::WatchItem>, TrackError> {
        scope::watches_at(&self.app, who, &ctx.place()).await
    }

    /// May this sender add watches for this chat?
    async fn may_add(&self, ctx: &Ctx) -> bool {
        if ctx.kind == ChatKind::Private || ctx.as_chat {
            return true;
        }
        let Some(who) = &ctx.who else { return false };
        self.members_may_add(ctx.chat).await || self.is_admin(ctx.chat, who).await
    }

    /// A group's `/settings` rule: members who are not admins may add watches.
    async fn members_may_add(&self, chat: ChatId) -> bool {
        tchat::destination(
            &self.app,
            DestinationKind::TelegramChat,
            &chat.0.to_string(),
        )
        .await
        .ok()
        .flatten()
        .is_some_and(|d| d.members_may_add)
    }

    async fn is_admin(&self, chat: ChatId, who: &Identity) -> bool {
        let Ok(id) = who.user_id.parse::<u64>() else {
            return false;
        };
        match self.bot.get_chat_member(chat, UserId(id)).await {
            Ok(member) => member.is_privileged(),
            Err(e) => {
                tracing::warn!(error = %super::redact(&e.to_string()), "could not check a member's rights");
                false
            }
        }
    }

    async fn card_for(&self, ctx: &Ctx, link: &str) {
        let app = &self.app;
        let pref = match url::parse(link) {
            Ok(Link::Product(p)) => p,
            Ok(Link::ShortLink(_)) => match app.resolver.resolve(link).await {
                Ok(p) => p,
                Err(e) => return self.say(ctx, &core::url_error_text(&ctx.locale, &e)).await,
            },
            Err(e) => return self.say(ctx, &core::url_error_text(&ctx.locale, &e)).await,
        };
        let product = match tracking::ensure_product(app, &pref).await {
            Ok(p) => p,
            Err(e) => return self.say(ctx, &core::error_text(&ctx.locale, &e)).await,
        };
        if product.gone_at.is_some() {
            return self
                .say(ctx, &t(&ctx.locale, Key::ChatProductGone, &[]))
                .await;
        }
        let (product, snapshot, problem) = match tracking::current(app, &product).await {
            Ok(r) => r,
            Err(e) => return self.say(ctx, &core::error_text(&ctx.locale, &e)).await,
        };
        if snapshot.is_none() && problem.is_some() {
            // Amazon is blocking us right now: keep a watch (any drop) for
            // the person and try later.
            if let Some(who) = &ctx.who
                && self.may_add(ctx).await
            {
                let url = pref.canonical_url();
                if let Err(e) = tracking::track(app, who, &ctx.destination(), &url, None).await {
                    return self.say(ctx, &core::error_text(&ctx.locale, &e)).await;
                }
            }
            return self
                .say(ctx, &t(&ctx.locale, Key::ErrorAmazonBlocked, &[]))
                .await;
        }
        let lowest = tchat::lowest_seen(app, product.id).await.ok().flatten();
        let view = core::card(
            &ctx.locale,
            &product,
            snapshot.as_ref(),
            lowest,
            app.config.amazon_affiliate_tag.as_deref(),
        );
        self.send_view(ctx.chat, &view).await;
    }

    async fn command(&self, ctx: &Ctx, name: &str, args: &str, addressed: bool) {
        let l = ctx.locale.as_str();
        let Some(who) = ctx.who.clone() else {
            return;
        };
        match name {
            "start" if !args.is_empty() => self.start_payload(ctx, &who, args).await,
            "start" => {
                let mut text = core::welcome(l);
                if ctx.kind == ChatKind::Private {
                    match tchat::unpause_destination(
                        &self.app,
                        DestinationKind::TelegramChat,
                        &ctx.chat.0.to_string(),
                    )
                    .await
                    {
                        Ok(resumed) => {
                            let unblocked = self
                                .resumed
                                .remove(&ctx.chat)
                                .is_some_and(|(_, at)| at.elapsed() < RESUMED_FOR);
                            if resumed || unblocked {
                                text = format!("{}\n\n{text}", t(l, Key::ChatResumed, &[]));
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "could not resume a chat"),
                    }
                }
                self.say(ctx, &text).await
            }
            "help" => self.say(ctx, &t(l, Key::Help, &[])).await,
            "track" => {
                let mut parts = args.split_whitespace();
                let Some(link) = parts.next() else {
                    return self.say(ctx, &t(l, Key::ChatTrackUsage, &[])).await;
                };
                let target: Vec<&str> = parts.collect();
                let target = (!target.is_empty()).then(|| target.join(" "));
                if !self.may_add(ctx).await {
                    return self.say(ctx, &t(l, Key::ChatAdminsOnly, &[])).await;
                }
                self.track(ctx, &who, link, target.as_deref(), None).await
            }
            "list" => {
                let view = match self.items(ctx, &who).await {
                    Ok(items) => core::list_page(l, &items, 0),
                    Err(e) => return self.say(ctx, &core::error_text(l, &e)).await,
                };
                self.send_view(ctx.chat, &view).await
            }
            "untrack" => {
                if args.is_empty() {
                    let items = self.items(ctx, &who).await.unwrap_or_default();
                    if items.is_empty() {
                        return self.say(ctx, &t(l, Key::ListEmpty, &[])).await;
                    }
                    let mut view = core::list_page(l, &items, 0);
                    view.lines.push(t(l, Key::ChatUntrackUsage, &[]));
                    return self.send_view(ctx.chat, &view).await;
                }
                match scope::find_at(&self.app, &who, &ctx.place(), args).await {
                    Ok(item) => {
                        let title = core::shorten(&core::title_of(&item.product, None), 80);
                        match tracking::untrack(&self.app, &who, item.watch.id).await {
                            Ok(()) => {
                                self.say(ctx, &t(l, Key::WatchRemoved, &[("title", &title)]))
                                    .await
                            }
                            Err(e) => self.say(ctx, &core::error_text(l, &e)).await,
                        }
                    }
                    Err(TrackError::NoSuchWatch) => {
                        self.say(ctx, &t(l, Key::ChatNotTracking, &[])).await
                    }
                    Err(e) => self.say(ctx, &core::error_text(l, &e)).await,
                }
            }
            "history" => {
                if args.is_empty() {
                    return self.say(ctx, &t(l, Key::ChatHistoryUsage, &[])).await;
                }
                match scope::find_at(&self.app, &who, &ctx.place(), args).await {
                    Ok(item) => self.send_chart(ctx, &item).await,
                    Err(TrackError::NoSuchWatch) => {
                        self.say(ctx, &t(l, Key::ChatNotTracking, &[])).await
                    }
                    Err(e) => self.say(ctx, &core::error_text(l, &e)).await,
                }
            }
            "email" => self.email(ctx, &who, args).await,
            "feed" => self.feed(ctx, &who, args).await,
            "lang" | "language" => {
                if args.is_empty() {
                    return self
                        .send_view(
                            ctx.chat,
                            &View {
                                lines: vec![t(l, Key::LangPrompt, &[])],
                                buttons: core::language_buttons(),
                                ..View::default()
                            },
                        )
                        .await;
                }
                let code = args.trim().to_ascii_lowercase();
                match crate::i18n::LOCALES.iter().find(|c| code.starts_with(**c)) {
                    Some(new) => match tchat::set_locale(&self.app, &who, new).await {
                        Ok(_) => self.say(ctx, &t(new, Key::LangChanged, &[])).await,
                        Err(e) => self.say(ctx, &core::error_text(l, &e)).await,
                    },
                    None => self.say(ctx, &t(l, Key::ChatLangUnknown, &[])).await,
                }
            }
            "settings" => self.send_settings(ctx, &who, None).await,
            _ => {
                // In a group an unknown command may be another bot's.
                if ctx.kind == ChatKind::Private || addressed {
                    self.say(ctx, &t(l, Key::ErrorUnknownCommand, &[])).await
                }
            }
        }
    }

    /// `/start t123` and `/start h123`: "Track this" and "Chart" on a feed
    /// post open a private chat with the bot and arrive here.
    async fn start_payload(&self, ctx: &Ctx, who: &Identity, payload: &str) {
        let l = ctx.locale.as_str();
        let (kind, id) = match payload.char_indices().nth(1) {
            Some((i, _)) => payload.split_at(i),
            None => (payload, ""),
        };
        let product = match id.parse::<i64>() {
            Ok(id) => scope::product_at(&self.app, who, &Place::Private, id)
                .await
                .ok(),
            Err(_) => None,
        };
        let Some(product) = product.filter(|_| ctx.kind == ChatKind::Private) else {
            return self.say(ctx, &core::welcome(l)).await;
        };
        match kind {
            "t" => {
                let url = core::buy_url(&product.marketplace, &product.asin, None);
                self.track(ctx, who, &url, None, None).await
            }
            _ => self.send_product_chart(ctx, &product, None).await,
        }
    }

    /// `/feed on|off|status [@channel] [options]`.
    async fn feed(&self, ctx: &Ctx, who: &Identity, args: &str) {
        use crate::tracking::feeds::{self as tfeeds, FeedOptionError, FeedOptions};
        let l = ctx.locale.as_str();
        let mut words: Vec<&str> = args.split_whitespace().collect();
        let verb = if words.is_empty() {
            "status".to_string()
        } else {
            words.remove(0).to_ascii_lowercase()
        };
        // A channel is named from a private chat; a group subscribes itself.
        let channel = words
            .first()
            .filter(|w| w.starts_with('@'))
            .map(|w| w.to_string());
        if channel.is_some() {
            words.remove(0);
        }
        let chat = match (&channel, ctx.kind) {
            (Some(name), _) => match self.channel_admin(ctx, who, name).await {
                Ok(id) => id,
                Err(reply) => return self.say(ctx, &reply).await,
            },
            (None, ChatKind::Private) => return self.say(ctx, &t(l, Key::FeedUsage, &[])).await,
            (None, _) => {
                // Anyone may read the status; only admins change the feed.
                let reads = verb == "status";
                if !(reads || ctx.as_chat || self.is_admin(ctx.chat, who).await) {
                    return self.say(ctx, &t(l, Key::FeedAdminsOnly, &[])).await;
                }
                ctx.chat
            }
        };
        let dest = DestinationRef {
            kind: DestinationKind::TelegramChat,
            address: chat.0.to_string(),
        };
        let reply = match verb.as_str() {
            "on" => match FeedOptions::parse(&words) {
                Ok(opts) => match tfeeds::subscribe(&self.app, &dest, who, &opts).await {
                    Ok(_) => core::feed_summary(l, &opts),
                    Err(e) => core::error_text(l, &e),
                },
                Err(
                    FeedOptionError::Unknown(w)
                    | FeedOptionError::Market(w)
                    | FeedOptionError::Min(w)
                    | FeedOptionError::Digest(w),
                ) => t(l, Key::FeedBadOption, &[("option", &w)]),
            },
            "off" => match tfeeds::unsubscribe(&self.app, &dest).await {
                Ok(true) => t(l, Key::FeedOff, &[]),
                Ok(false) => t(l, Key::FeedNone, &[]),
                Err(e) => core::error_text(l, &e),
            },
            "status" => match tfeeds::status(&self.app, &dest).await {
                Ok(Some(f)) => core::feed_summary(l, &tfeeds::options_of(&f)),
                Ok(None) => t(l, Key::FeedNone, &[]),
                Err(e) => core::error_text(l, &e),
            },
            _ => t(l, Key::FeedUsage, &[]),
        };
        self.say(ctx, &reply).await
    }

    /// The id of `@channel` when the sender is one of its admins and the bot
    /// may post there; else the reply saying what is missing.
    async fn channel_admin(&self, ctx: &Ctx, who: &Identity, name: &str) -> Result<ChatId, String> {
        let l = ctx.locale.as_str();
        let recipient = teloxide::types::Recipient::ChannelUsername(name.to_string());
        let chat = self
            .bot
            .get_chat(recipient.clone())
            .await
            .map_err(|_| t(l, Key::FeedNoChannel, &[("channel", name)]))?;
        let user = who
            .user_id
            .parse::<u64>()
            .map_err(|_| t(l, Key::FeedAdminsOnly, &[]))?;
        let member = self
            .bot
            .get_chat_member(recipient.clone(), UserId(user))
            .await
            .map_err(|_| t(l, Key::FeedAdminsOnly, &[]))?;
        if !member.is_privileged() {
            return Err(t(l, Key::FeedAdminsOnly, &[]));
        }
        let me = self
            .bot
            .get_chat_member(recipient, self.bot_id)
            .await
            .map_err(|_| t(l, Key::FeedBotNotAdmin, &[("channel", name)]))?;
        if !me.is_privileged() {
            return Err(t(l, Key::FeedBotNotAdmin, &[("channel", name)]));
        }
        Ok(chat.id)
    }

    async fn email(&self, ctx: &Ctx, who: &Identity, args: &str) {
        let reply = core::email_command(&self.app, who, &ctx.locale, args).await;
        self.say(ctx, &reply).await
    }

    async fn send_settings(&self, ctx: &Ctx, who: &Identity, edit: Option<MessageId>) {
        let l = ctx.locale.as_str();
        let user = match tracking::ensure_user(&self.app, who).await {
            Ok(u) => u,
            Err(e) => return self.say(ctx, &core::error_text(l, &e)).await,
        };
        let group = if ctx.kind == ChatKind::Private {
            None
        } else {
            Some(self.members_may_add(ctx.chat).await)
        };
        let view = core::settings(l, &user, group);
        match edit {
            Some(id) => self.edit_view(ctx.chat, id, &view).await,
            None => self.send_view(ctx.chat, &view).await,
        }
    }

    /// Creates or updates the watch and confirms it.
    async fn track(
        &self,
        ctx: &Ctx,
        who: &Identity,
        link: &str,
        target: Option<&str>,
        preset: Option<Preset>,
    ) {
        let l = ctx.locale.as_str();
        let tracked = match tracking::track(&self.app, who, &ctx.destination(), link, target).await
        {
            Ok(t) => t,
            Err(e) => return self.say(ctx, &core::error_text(l, &e)).await,
        };
        if preset == Some(Preset::Stock)
            && let Err(e) = tchat::want_back_in_stock(&self.app, who, tracked.watch.id).await
        {
            return self.say(ctx, &core::error_text(l, &e)).await;
        }
        let item = tracking::WatchItem {
            watch: tracked.watch.clone(),
            product: tracked.product.clone(),
        };
        let mut text = core::confirmation(
            l,
            &item,
            tracked.snapshot.as_ref().and_then(|s| s.price_minor),
            preset,
        );
        if tracked.fetch_problem.is_some() {
            text = format!("{text}\n{}", t(l, Key::ErrorAmazonBlocked, &[]));
        }
        self.say(ctx, &text).await
    }

    async fn answer_dialogue(&self, ctx: &Ctx, pending: Pending, text: &str) {
        let l = ctx.locale.as_str();
        let Some(who) = ctx.who.clone() else { return };
        let key = ctx.dialogue_key().unwrap_or_default();
        match pending {
            Pending::Target { product_id } => {
                let Some(product) = self.product(product_id).await else {
                    return self.say(ctx, &t(l, Key::ChatExpired, &[])).await;
                };
                let url = core::buy_url(&product.marketplace, &product.asin, None);
                match tracking::track(&self.app, &who, &ctx.destination(), &url, Some(text)).await {
                    Ok(tracked) => {
                        let item = tracking::WatchItem {
                            watch: tracked.watch,
                            product: tracked.product,
                        };
                        let price = tracked.snapshot.as_ref().and_then(|s| s.price_minor);
                        self.say(ctx, &core::confirmation(l, &item, price, None))
                            .await
                    }
                    Err(e @ TrackError::Target(_)) => {
                        // Ask again: the next message is still the answer.
                        self.dialogues.ask(&key, pending).await;
                        self.say(ctx, &core::error_text(l, &e)).await
                    }
                    Err(e) => self.say(ctx, &core::error_text(l, &e)).await,
                }
            }
            Pending::EditTarget { watch_id } => {
                match tracking::set_target(&self.app, &who, watch_id, text).await {
                    Ok(w) => {
                        let currency = match self.product(w.product_id).await {
                            Some(p) => p.currency,
                            None => String::new(),
                        };
                        let target = core::target_text(l, &w, &currency);
                        self.say(ctx, &t(l, Key::WatchTargetUpdated, &[("target", &target)]))
                            .await
                    }
                    Err(e @ TrackError::Target(_)) => {
                        self.dialogues.ask(&key, pending).await;
                        self.say(ctx, &core::error_text(l, &e)).await
                    }
                    Err(e) => self.say(ctx, &core::error_text(l, &e)).await,
                }
            }
        }
    }

    async fn product(&self, id: i64) -> Option<products::Model> {
        use sea_orm::EntityTrait;
        products::Entity::find_by_id(id)
            .one(&self.app.db)
            .await
            .ok()
            .flatten()
    }

    async fn on_callback(&self, q: CallbackQuery) {
        let Some(msg) = q.regular_message().cloned() else {
            return self.toast(&q, None, false).await;
        };
        let mut ctx = self.context(&msg.chat, Some(&q.from)).await;
        ctx.as_chat = false;
        let l = ctx.locale.clone();
        let l = l.as_str();
        let Some(action) = q.data.as_deref().and_then(Action::decode) else {
            return self
                .toast(&q, Some(t(l, Key::ChatExpired, &[])), false)
                .await;
        };
        let who = identity(&q.from);
        // A button acts only on what this chat's own list has: a forged or
        // stale id gets the answer a watch that is gone gets.
        // In a group a button must be one the bot put on that message: a
        // card's buttons name a product the group was shown.
        if ctx.kind != ChatKind::Private && !on_message(&msg, q.data.as_deref()) {
            let text = core::stale_button_text(l, &action);
            return self.toast(&q, Some(text), false).await;
        }
        let place = ctx.place();
        let allowed = match (&action, action.watch_id()) {
            (Action::ProductChart { product_id }, _) => {
                scope::product_at(&self.app, &who, &place, *product_id)
                    .await
                    .map(|_| ())
            }
            (_, Some(id)) => scope::item_at(&self.app, &who, &place, id)
                .await
                .map(|_| ()),
            _ => Ok(()),
        };
        if let Err(e) = allowed {
            return self.toast(&q, Some(core::error_text(l, &e)), false).await;
        }
        match action {
            Action::Set { product_id, preset } => {
                if !self.may_add(&ctx).await {
                    return self
                        .toast(&q, Some(t(l, Key::ChatAdminsOnly, &[])), true)
                        .await;
                }
                let Some(product) = self.product(product_id).await else {
                    return self
                        .toast(&q, Some(t(l, Key::ChatExpired, &[])), false)
                        .await;
                };
                if preset == Preset::Custom {
                    if let Some(key) = ctx.dialogue_key() {
                        self.dialogues
                            .ask(&key, Pending::Target { product_id })
                            .await;
                    }
                    self.toast(&q, None, false).await;
                    return self.prompt(&ctx, &t(l, Key::WatchCustomPrompt, &[])).await;
                }
                self.toast(&q, None, false).await;
                let target = preset.percent().map(|p| format!("-{p}%"));
                let url = core::buy_url(&product.marketplace, &product.asin, None);
                self.track(&ctx, &who, &url, target.as_deref(), Some(preset))
                    .await
            }
            Action::Chart { watch_id } => match tchat::own_item(&self.app, &who, watch_id).await {
                Ok(item) => {
                    self.toast(&q, None, false).await;
                    self.send_chart(&ctx, &item).await
                }
                Err(e) => self.toast(&q, Some(core::error_text(l, &e)), false).await,
            },
            Action::ProductChart { product_id } => {
                self.toast(&q, None, false).await;
                if let Some(p) = self.product(product_id).await {
                    self.send_product_chart(&ctx, &p, None).await
                }
            }
            Action::Edit { watch_id } => match tchat::own_item(&self.app, &who, watch_id).await {
                Ok(_) => {
                    if let Some(key) = ctx.dialogue_key() {
                        self.dialogues
                            .ask(&key, Pending::EditTarget { watch_id })
                            .await;
                    }
                    self.toast(&q, None, false).await;
                    self.prompt(&ctx, &t(l, Key::WatchCustomPrompt, &[])).await
                }
                Err(e) => self.toast(&q, Some(core::error_text(l, &e)), false).await,
            },
            Action::Pause { watch_id } | Action::Resume { watch_id } => {
                let pausing = matches!(action, Action::Pause { .. });
                let r = if pausing {
                    tracking::pause(&self.app, &who, watch_id).await
                } else {
                    tracking::resume(&self.app, &who, watch_id).await
                };
                match r {
                    Ok(w) => {
                        let title = self
                            .product(w.product_id)
                            .await
                            .map(|p| core::shorten(&core::title_of(&p, None), 60))
                            .unwrap_or_default();
                        let key = if pausing {
                            Key::WatchPaused
                        } else {
                            Key::WatchResumed
                        };
                        self.toast(&q, Some(t(l, key, &[("title", &title)])), false)
                            .await;
                        self.refresh_list(&ctx, &who, &msg).await
                    }
                    Err(e) => self.toast(&q, Some(core::error_text(l, &e)), false).await,
                }
            }
            Action::Remove { watch_id } => match tchat::own_item(&self.app, &who, watch_id).await {
                Ok(item) => {
                    let title = core::shorten(&core::title_of(&item.product, None), 60);
                    match tracking::untrack(&self.app, &who, watch_id).await {
                        Ok(()) => {
                            let text = t(l, Key::WatchRemoved, &[("title", &title)]);
                            self.toast(&q, Some(text.clone()), false).await;
                            if is_list(&msg) {
                                self.refresh_list(&ctx, &who, &msg).await
                            } else {
                                self.say(&ctx, &text).await
                            }
                        }
                        Err(e) => self.toast(&q, Some(core::error_text(l, &e)), false).await,
                    }
                }
                Err(e) => self.toast(&q, Some(core::error_text(l, &e)), false).await,
            },
            Action::Snooze { watch_id } => {
                let until = Utc::now() + chrono::Duration::hours(24);
                match tchat::snooze(&self.app, &who, watch_id, until).await {
                    Ok(item) => {
                        let title = core::shorten(&core::title_of(&item.product, None), 60);
                        self.toast(&q, Some(t(l, Key::ChatSnoozeDone, &[])), false)
                            .await;
                        self.say(&ctx, &t(l, Key::WatchSnoozed, &[("title", &title)]))
                            .await
                    }
                    Err(e) => self.toast(&q, Some(core::error_text(l, &e)), false).await,
                }
            }
            Action::Page { page } => {
                self.toast(&q, None, false).await;
                match self.items(&ctx, &who).await {
                    Ok(items) => {
                        let view = core::list_page(l, &items, page);
                        self.edit_view(ctx.chat, msg.id, &view).await
                    }
                    Err(e) => self.say(&ctx, &core::error_text(l, &e)).await,
                }
            }
            Action::Lang { locale } => {
                self.toast(&q, None, false).await;
                if locale.is_empty() {
                    let view = View {
                        lines: vec![t(l, Key::LangPrompt, &[])],
                        buttons: core::language_buttons(),
                        ..View::default()
                    };
                    return self.send_view(ctx.chat, &view).await;
                }
                match tchat::set_locale(&self.app, &who, &locale).await {
                    Ok(_) => {
                        let view = View {
                            lines: vec![t(&locale, Key::LangChanged, &[])],
                            ..View::default()
                        };
                        self.edit_view(ctx.chat, msg.id, &view).await
                    }
                    Err(e) => self.say(&ctx, &core::error_text(l, &e)).await,
                }
            }
            Action::Toggle { setting } => {
                let user = match tracking::ensure_user(&self.app, &who).await {
                    Ok(u) => u,
                    Err(e) => return self.toast(&q, Some(core::error_text(l, &e)), false).await,
                };
                let r = match core::toggled(&user, setting) {
                    Some(change) => tchat::change_setting(&self.app, &who, change)
                        .await
                        .map(|_| ()),
                    None if ctx.kind == ChatKind::Private => Ok(()),
                    None => {
                        if !self.is_admin(ctx.chat, &who).await {
                            return self
                                .toast(&q, Some(t(l, Key::ChatAdminsOnlySettings, &[])), true)
                                .await;
                        } else {
                            let open = self.members_may_add(ctx.chat).await;
                            tchat::set_members_may_add(
                                &self.app,
                                DestinationKind::TelegramChat,
                                &ctx.chat.0.to_string(),
                                !open,
                            )
                            .await
                        }
                    }
                };
                match r {
                    Ok(()) => {
                        self.toast(&q, None, false).await;
                        self.send_settings(&ctx, &who, Some(msg.id)).await
                    }
                    Err(e) => self.toast(&q, Some(core::error_text(l, &e)), false).await,
                }
            }
        }
    }

    async fn refresh_list(&self, ctx: &Ctx, who: &Identity, msg: &Message) {
        if !is_list(msg) {
            return;
        }
        if let Ok(items) = self.items(ctx, who).await {
            let page = current_page(msg);
            let view = core::list_page(&ctx.locale, &items, page);
            self.edit_view(ctx.chat, msg.id, &view).await;
        }
    }

    async fn send_chart(&self, ctx: &Ctx, item: &tracking::WatchItem) {
        self.send_product_chart(ctx, &item.product, item.watch.target_minor)
            .await
    }

    /// The 90-day chart as a PNG photo, with the stats as its caption.
    async fn send_product_chart(
        &self,
        ctx: &Ctx,
        product: &products::Model,
        target_minor: Option<i64>,
    ) {
        let l = ctx.locale.as_str();
        let Some((png, caption)) = core::chart(&self.app.db, l, product, target_minor).await else {
            return self.say(ctx, &t(l, Key::ChartNoHistory, &[])).await;
        };
        let text = html(&caption, CAPTION_MAX);
        super::pace::before_send(ctx.chat).await;
        let sent = self
            .retry(|| {
                self.bot
                    .send_photo(
                        ctx.chat,
                        InputFile::memory(png.clone()).file_name("chart.png"),
                    )
                    .caption(text.clone())
                    .parse_mode(ParseMode::Html)
                    .send()
            })
            .await;
        log_failure(sent, "chart");
    }

    async fn toast(&self, q: &CallbackQuery, text: Option<String>, alert: bool) {
        let mut req = self.bot.answer_callback_query(q.id.clone());
        if let Some(text) = text {
            // Telegram shows at most 200 characters here.
            req = req.text(core::shorten(&text, 190)).show_alert(alert);
        }
        log_failure(req.await, "answerCallbackQuery");
    }

    /// A question whose answer is the person's next message. In a group the
    /// answer must reach the bot despite privacy mode: ask for a reply.
    async fn prompt(&self, ctx: &Ctx, text: &str) {
        if ctx.kind == ChatKind::Private {
            return self.say(ctx, text).await;
        }
        super::pace::before_send(ctx.chat).await;
        let req = self
            .bot
            .send_message(ctx.chat, escape(text))
            .parse_mode(ParseMode::Html)
            .reply_markup(teloxide::types::ForceReply::new());
        log_failure(self.retry(|| req.send_ref()).await, "sendMessage");
    }

    /// A plain-text reply (escaped here).
    async fn say(&self, ctx: &Ctx, text: &str) {
        let view = View {
            lines: vec![text.to_string()],
            ..View::default()
        };
        self.send_view(ctx.chat, &view).await
    }

    /// A view as a photo with a caption when it has a picture, else a message.
    async fn send_view(&self, chat: ChatId, view: &View) {
        super::pace::before_send(chat).await;
        let markup = keyboard(&view.buttons);
        if let Some(img) = view
            .image_url
            .as_deref()
            .and_then(|u| ::url::Url::parse(u).ok())
        {
            let caption = html(view, CAPTION_MAX);
            let mut req = self
                .bot
                .send_photo(chat, InputFile::url(img))
                .caption(caption)
                .parse_mode(ParseMode::Html);
            if let Some(m) = markup.clone() {
                req = req.reply_markup(m);
            }
            match self.retry(|| req.send_ref()).await {
                Ok(_) => return,
                Err(e) => {
                    // Telegram could not fetch the picture: send the text.
                    tracing::debug!(error = %super::redact(&e.to_string()), "photo refused, sending text");
                }
            }
        }
        let text = html(view, MESSAGE_MAX);
        let mut req = self
            .bot
            .send_message(chat, text)
            .parse_mode(ParseMode::Html);
        if let Some(m) = markup {
            req = req.reply_markup(m);
        }
        log_failure(self.retry(|| req.send_ref()).await, "sendMessage");
    }

    async fn edit_view(&self, chat: ChatId, id: MessageId, view: &View) {
        let mut req = self
            .bot
            .edit_message_text(chat, id, html(view, MESSAGE_MAX))
            .parse_mode(ParseMode::Html);
        if let Some(m) = keyboard(&view.buttons) {
            req = req.reply_markup(m);
        }
        log_failure(self.retry(|| req.send_ref()).await, "editMessageText");
    }

    /// Sends once more after a short flood wait (a longer one is dropped
    /// rather than holding the chat up).
    async fn retry<T, Fut>(&self, make: impl Fn() -> Fut) -> Result<T, RequestError>
    where
        Fut: std::future::Future<Output = Result<T, RequestError>>,
    {
        match make().await {
            Err(RequestError::RetryAfter(s)) if s.duration() <= Duration::from_secs(10) => {
                tokio::time::sleep(s.duration()).await;
                make().await
            }
            other => other,
        }
    }
}

fn log_failure<T>(r: Result<T, RequestError>, what: &str) {
    if let Err(e) = r {
        tracing::warn!(what, error = %super::redact(&e.to_string()), "Telegram refused a reply");
    }
}

/// Whether `data` is the callback data of a button on `msg`.
fn on_message(msg: &Message, data: Option<&str>) -> bool {
    msg.reply_markup().is_some_and(|m| {
        m.inline_keyboard.iter().flatten().any(|b| {
            matches!(&b.kind, teloxide::types::InlineKeyboardButtonKind::CallbackData(d)
                if Some(d.as_str()) == data)
        })
    })
}

/// A `/list` message: its buttons are list buttons.
fn is_list(msg: &Message) -> bool {
    msg.reply_markup().is_some_and(|m| {
        m.inline_keyboard.iter().flatten().any(|b| {
            matches!(&b.kind, teloxide::types::InlineKeyboardButtonKind::CallbackData(d)
                if matches!(Action::decode(d), Some(Action::Pause { .. } | Action::Resume { .. } | Action::Edit { .. })))
        })
    })
}

/// The page a list message shows, from the number on its first item's
/// buttons ("6 · Chart" is on page 2).
fn current_page(msg: &Message) -> usize {
    msg.reply_markup()
        .and_then(|m| m.inline_keyboard.first()?.first().cloned())
        .and_then(|b| b.text.split(' ').next()?.parse::<usize>().ok())
        .map(|n| n.saturating_sub(1) / core::PAGE_SIZE)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_for_other_bots_are_not_ours() {
        assert!(matches!(
            parse_command("/list@PriceBot", "pricebot"),
            Some(Command::Ours(n, "")) if n == "list"
        ));
        assert!(matches!(
            parse_command("/track https://amzn.eu/d/x 19,99", "pricebot"),
            Some(Command::Ours(n, "https://amzn.eu/d/x 19,99")) if n == "track"
        ));
        assert!(matches!(
            parse_command("/start@swantabot PingGroup", "pricebot"),
            Some(Command::Other)
        ));
        assert!(parse_command("/", "pricebot").is_none());
    }
}
