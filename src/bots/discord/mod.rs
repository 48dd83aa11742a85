//! Discord: slash commands over the HTTP interactions endpoint
//! (`POST /discord/interactions`, every request verified with Ed25519 against
//! `DISCORD_PUBLIC_KEY`), answers within Discord's 3 seconds (deferred when a
//! fetch is needed, then an edit of the original response), and alerts by DM
//! or in a channel through the REST API.

pub mod commands;
pub mod decode;
pub mod notifier;
pub mod render;
pub mod rest;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use serde_json::{Value, json};
use serenity::all::{
    ActionRowComponent, CommandDataOptionValue, CommandInteraction, ComponentInteraction,
    Interaction, ModalInteraction, Verifier,
};

use crate::amazon::url::{self, Link};
use crate::app::App;
use crate::bots::core::{self, Action, Preset, View};
use crate::i18n::{Key, t};
use crate::seen::SeenIds;
use crate::tracking::scope::{self, Place};
use crate::tracking::{
    self, DestinationKind, DestinationRef, Identity, Platform, TrackError, chat as tchat,
};
use render::{message, parse_custom_id, text};
use rest::{File, Rest};

/// A request older (or newer) than this is refused, so a captured request
/// cannot be replayed later.
const MAX_SKEW_SECS: i64 = 300;
/// Watches per `/list` page: four buttons each, five rows at most.
const PAGE_SIZE: usize = 4;
/// How long an interaction id is remembered: past the end of the window in
/// which its signature is accepted.
const SEEN_FOR: std::time::Duration = std::time::Duration::from_secs(2 * MAX_SKEW_SECS as u64);

pub struct Discord {
    app: Arc<App>,
    verifier: Verifier,
    rest: Rest,
    /// Interaction ids already acted on.
    seen: SeenIds,
}

pub fn rest_client(app: &App) -> Option<Rest> {
    let d = app.config.discord.as_ref()?;
    Some(Rest::new(
        d.api_url.as_ref(),
        d.bot_token.clone(),
        d.application_id,
    ))
}

/// The interactions endpoint, when the Discord application is configured.
pub fn router(app: Arc<App>) -> Option<Router> {
    let d = app.config.discord.as_ref()?;
    let verifier = Verifier::try_new(d.public_key).ok()?;
    let rest = rest_client(&app)?;
    let seen = match &app.redis {
        Some(conn) => SeenIds::redis(conn.clone(), &app.config.redis_key_prefix),
        None => SeenIds::local(),
    };
    let discord = Arc::new(Discord {
        app,
        verifier,
        rest,
        seen,
    });
    Some(
        Router::new()
            .route("/discord/interactions", post(interactions))
            .with_state(discord),
    )
}

async fn interactions(State(d): State<Arc<Discord>>, headers: HeaderMap, body: Bytes) -> Response {
    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (signature, timestamp) = (h("X-Signature-Ed25519"), h("X-Signature-Timestamp"));
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|ts| (Utc::now().timestamp() - ts).abs() <= MAX_SKEW_SECS);
    if !fresh || d.verifier.verify(signature, timestamp, &body).is_err() {
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    let interaction: Interaction = match decode::interaction(&body) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "an interaction we cannot read");
            return (StatusCode::BAD_REQUEST, "unreadable interaction").into_response();
        }
    };
    // A signed request replayed inside the window has no second effect.
    match d.seen.first(&interaction.id().to_string(), SEEN_FOR).await {
        Ok(true) => {}
        Ok(false) => return (StatusCode::CONFLICT, "interaction already handled").into_response(),
        Err(e) => {
            // Without the record a replay could act twice: act on none.
            tracing::error!(error = %e, "could not record an interaction id");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
        }
    }
    let reply = match interaction {
        Interaction::Ping(_) => json!({"type": 1}),
        Interaction::Command(c) => d.command(c).await,
        Interaction::Autocomplete(c) => d.autocomplete(c).await,
        Interaction::Component(c) => d.component(c).await,
        Interaction::Modal(m) => d.modal(m).await,
        _ => json!({"type": 4, "data": text("?")}),
    };
    axum::Json(reply).into_response()
}

/// An immediate answer; `ephemeral` ones only the caller sees.
fn say(data: Value, ephemeral: bool) -> Value {
    let mut data = data;
    if ephemeral {
        data["flags"] = json!(64);
    }
    json!({"type": 4, "data": data})
}

fn deferred(ephemeral: bool) -> Value {
    json!({"type": 5, "data": {"flags": if ephemeral { 64 } else { 0 }}})
}

/// Replaces the message the button was on.
fn update(data: Value) -> Value {
    json!({"type": 7, "data": data})
}

fn string_option(c: &CommandInteraction, name: &str) -> Option<String> {
    c.data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match &o.value {
            CommandDataOptionValue::String(s) => Some(s.clone()),
            CommandDataOptionValue::Number(n) => Some(n.to_string()),
            CommandDataOptionValue::Integer(n) => Some(n.to_string()),
            CommandDataOptionValue::Autocomplete { value, .. } => Some(value.clone()),
            _ => None,
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn identity(user: &serenity::all::User, locale: &str) -> Identity {
    Identity {
        platform: Platform::Discord,
        user_id: user.id.get().to_string(),
        display_name: Some(
            user.global_name
                .clone()
                .unwrap_or_else(|| user.name.clone()),
        ),
        locale: Some(locale.to_string()),
    }
}

/// Where a person's alerts go: their DMs, or this channel when they chose it.
fn destination(who: &Identity, channel: Option<u64>) -> DestinationRef {
    match channel {
        Some(c) => DestinationRef {
            kind: DestinationKind::DiscordChannel,
            address: c.to_string(),
        },
        None => DestinationRef {
            kind: DestinationKind::DiscordDm,
            address: who.user_id.clone(),
        },
    }
}

impl Discord {
    async fn locale(&self, who: &Identity) -> String {
        match tracking::ensure_user(&self.app, who).await {
            Ok(u) => crate::i18n::supported(Some(&u.locale)).to_string(),
            Err(_) => crate::i18n::supported(who.locale.as_deref()).to_string(),
        }
    }

    /// Told once, the next time the person uses a command: their DMs were
    /// closed, so alerts stopped; they are switched back on to try again.
    async fn dm_notice(&self, who: &Identity, locale: &str) -> Option<String> {
        match tchat::unpause_destination(&self.app, DestinationKind::DiscordDm, &who.user_id).await
        {
            Ok(true) => Some(t(locale, Key::DiscordDmClosed, &[])),
            _ => None,
        }
    }

    async fn command(self: &Arc<Self>, c: CommandInteraction) -> Value {
        let who = identity(&c.user, &c.locale);
        let l = self.locale(&who).await;
        let notice = self.dm_notice(&who, &l).await;
        let with_notice = |v: Value| with_notice_owned(notice.clone(), v);
        match c.data.name.as_str() {
            "track" => {
                let Some(link) = string_option(&c, "url") else {
                    return say(with_notice(text(&t(&l, Key::ChatTrackUsage, &[]))), true);
                };
                if let Err(e) = url::parse(&link) {
                    return say(with_notice(text(&core::url_error_text(&l, &e))), true);
                }
                // `target_price` (a number) is what earlier versions registered.
                let target =
                    string_option(&c, "target").or_else(|| string_option(&c, "target_price"));
                let channel = (string_option(&c, "alerts").as_deref() == Some("channel")
                    && c.guild_id.is_some())
                .then(|| c.channel_id.get());
                if channel.is_some() && !may_post_alerts(c.member.as_deref()) {
                    let refusal = t(&l, Key::DiscordChannelAlertsPermission, &[]);
                    return say(with_notice(text(&refusal)), true);
                }
                let me = self.clone();
                let token = c.token.clone();
                tokio::spawn(async move {
                    let body = me.track(&who, &l, &link, target.as_deref(), channel).await;
                    me.finish(&token, with_notice_owned(notice, body), Vec::new())
                        .await;
                });
                deferred(true)
            }
            "list" => {
                let body = self.list_view(&who, &l, 0).await;
                say(with_notice(body), true)
            }
            "untrack" => {
                let body = match self.pick(&who, &c).await {
                    Ok(item) => {
                        let title = core::shorten(&core::title_of(&item.product, None), 80);
                        match tracking::untrack(&self.app, &who, item.watch.id).await {
                            Ok(()) => text(&t(&l, Key::WatchRemoved, &[("title", &title)])),
                            Err(e) => text(&core::error_text(&l, &e)),
                        }
                    }
                    Err(e) => text(&core::error_text(&l, &e)),
                };
                say(with_notice(body), true)
            }
            "history" => match self.pick(&who, &c).await {
                Ok(item) => {
                    let me = self.clone();
                    let token = c.token.clone();
                    tokio::spawn(async move {
                        let (body, files) = me.chart(&l, &item).await;
                        me.finish(&token, with_notice_owned(notice, body), files)
                            .await;
                    });
                    deferred(true)
                }
                Err(e) => say(with_notice(text(&core::error_text(&l, &e))), true),
            },
            "email" => {
                // Sending the verification email may take longer than
                // Discord's three seconds: answer later.
                let args = string_option(&c, "address").unwrap_or_default();
                let me = self.clone();
                let token = c.token.clone();
                tokio::spawn(async move {
                    let reply = core::email_command(&me.app, &who, &l, &args).await;
                    me.finish(&token, with_notice_owned(notice, text(&reply)), Vec::new())
                        .await;
                });
                deferred(true)
            }
            "lang" => {
                let code = string_option(&c, "language").unwrap_or_default();
                match crate::i18n::LOCALES.iter().find(|x| **x == code) {
                    Some(new) => match tchat::set_locale(&self.app, &who, new).await {
                        Ok(_) => say(with_notice(text(&t(new, Key::LangChanged, &[]))), true),
                        Err(e) => say(text(&core::error_text(&l, &e)), true),
                    },
                    None => say(with_notice(text(&t(&l, Key::ChatLangUnknown, &[]))), true),
                }
            }
            "settings" => {
                let body = self.settings_view(&who, &l).await;
                say(with_notice(body), true)
            }
            "feed" => say(text(&self.feed(&c, &who, &l).await), true),
            _ => say(text(&t(&l, Key::ErrorUnknownCommand, &[])), true),
        }
    }

    /// `/feed on|off|status channel:#deals …`, for members who may manage
    /// channels (Discord hides the command from others; this checks again).
    async fn feed(&self, c: &CommandInteraction, who: &Identity, l: &str) -> String {
        use crate::tracking::feeds::{self as tfeeds, FeedOptions, market};
        let Some(member) = &c.member else {
            return t(l, Key::FeedGuildOnly, &[]);
        };
        if !member.permissions.is_some_and(|p| p.manage_channels()) {
            return t(l, Key::FeedManageChannels, &[]);
        }
        let Some(sub) = c.data.options.first() else {
            return t(l, Key::FeedUsage, &[]);
        };
        let CommandDataOptionValue::SubCommand(opts) = &sub.value else {
            return t(l, Key::FeedUsage, &[]);
        };
        let channel = opts
            .iter()
            .find_map(|o| match &o.value {
                CommandDataOptionValue::Channel(id) => Some(id.get()),
                _ => None,
            })
            .unwrap_or_else(|| c.channel_id.get());
        let dest = DestinationRef {
            kind: DestinationKind::DiscordChannel,
            address: channel.to_string(),
        };
        match sub.name.as_str() {
            "on" => {
                let mut o = FeedOptions::default();
                for opt in opts {
                    match (opt.name.as_str(), &opt.value) {
                        ("min_drop", CommandDataOptionValue::Integer(n)) => {
                            o.min_drop_pct = u8::try_from(*n).unwrap_or(20).clamp(1, 90);
                        }
                        ("all_time_low", CommandDataOptionValue::Boolean(b)) => o.lows = *b,
                        ("digest_hours", CommandDataOptionValue::Integer(n)) => {
                            o.digest_hours = u8::try_from(*n).ok().filter(|h| *h > 0);
                        }
                        ("markets", CommandDataOptionValue::String(list)) => {
                            for m in list.split([',', ' ']).filter(|m| !m.is_empty()) {
                                match market(m) {
                                    Some(name) => o.markets.push(name),
                                    None => return t(l, Key::FeedBadOption, &[("option", m)]),
                                }
                            }
                        }
                        _ => {}
                    }
                }
                match tfeeds::subscribe(&self.app, &dest, who, &o).await {
                    Ok(_) => core::feed_summary(l, &o),
                    Err(e) => core::error_text(l, &e),
                }
            }
            "off" => match tfeeds::unsubscribe(&self.app, &dest).await {
                Ok(true) => t(l, Key::FeedOff, &[]),
                Ok(false) => t(l, Key::FeedNone, &[]),
                Err(e) => core::error_text(l, &e),
            },
            _ => match tfeeds::status(&self.app, &dest).await {
                Ok(Some(f)) => core::feed_summary(l, &tfeeds::options_of(&f)),
                Ok(None) => t(l, Key::FeedNone, &[]),
                Err(e) => core::error_text(l, &e),
            },
        }
    }

    /// The watch an `item` option names: autocomplete gives its id; a typed
    /// value may also be a `/list` number or an ASIN.
    async fn pick(
        &self,
        who: &Identity,
        c: &CommandInteraction,
    ) -> Result<tracking::WatchItem, TrackError> {
        let raw = string_option(c, "item").ok_or(TrackError::NoSuchWatch)?;
        if let Some(id) = raw.strip_prefix("w").and_then(|s| s.parse::<i64>().ok()) {
            return tchat::own_item(&self.app, who, id).await;
        }
        tchat::find_own(&self.app, who, &raw).await
    }

    /// Autocomplete on `item`: only the caller's own watches.
    async fn autocomplete(&self, c: CommandInteraction) -> Value {
        let who = identity(&c.user, &c.locale);
        let typed = string_option(&c, "item").unwrap_or_default().to_lowercase();
        let items = tracking::list(&self.app, &who).await.unwrap_or_default();
        let choices: Vec<Value> = items
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                typed.is_empty()
                    || core::title_of(&i.product, None).to_lowercase().contains(&typed)
                    || i.product.asin.to_lowercase().contains(&typed)
            })
            .take(25)
            .map(|(n, i)| {
                json!({
                    "name": core::shorten(&format!("{}. {}", n + 1, core::title_of(&i.product, None)), 100),
                    "value": format!("w{}", i.watch.id),
                })
            })
            .collect();
        json!({"type": 8, "data": {"choices": choices}})
    }

    /// Who pressed a button (or sent a modal) and what it does; a refusal
    /// when the button was made for someone else or not by us.
    async fn caller(
        &self,
        user: &serenity::all::User,
        locale: &str,
        custom: &str,
    ) -> Result<(Identity, String, Action, bool), Value> {
        let who = identity(user, locale);
        let l = self.locale(&who).await;
        let Some((action, owner, here)) = parse_owned(custom) else {
            return Err(say(text(&t(&l, Key::ChatExpired, &[])), true));
        };
        // Owner "0": a feed post's buttons, for anyone.
        if owner != who.user_id && owner != "0" {
            // A button made for someone else, or a forged custom_id.
            return Err(say(text(&t(&l, Key::ChatNotForYou, &[])), true));
        }
        Ok((who, l, action, here))
    }

    async fn component(self: &Arc<Self>, c: ComponentInteraction) -> Value {
        let (who, l, action, here) = match self.caller(&c.user, &c.locale, &c.data.custom_id).await
        {
            Ok(v) => v,
            Err(refusal) => return refusal,
        };
        // Only a button Discord shows on that message: a forged custom_id
        // could otherwise replace a channel's message with a private list.
        if !on_message(&c) {
            return say(text(&core::stale_button_text(&l, &action)), true);
        }
        let channel = here.then(|| c.channel_id.get());
        if channel.is_some() && !may_post_alerts(c.member.as_ref()) {
            return say(text(&t(&l, Key::DiscordChannelAlertsPermission, &[])), true);
        }
        match action {
            Action::Set { product_id, preset } => {
                if preset == Preset::Custom {
                    return target_modal(&l, &c.data.custom_id);
                }
                let target = preset.percent().map(|p| format!("-{p}%"));
                self.set_later(product_id, &c.token, who, l, target, channel, preset)
                    .await
            }
            Action::Edit { .. } => target_modal(&l, &c.data.custom_id),
            // Answers are seen only by the person who clicked: the private view.
            Action::ProductChart { product_id } => {
                match scope::product_at(&self.app, &who, &Place::Private, product_id).await {
                    Ok(product) => {
                        let me = self.clone();
                        let token = c.token.clone();
                        tokio::spawn(async move {
                            let (body, files) = me.product_chart(&l, &product, None).await;
                            me.finish(&token, body, files).await;
                        });
                        deferred(true)
                    }
                    Err(e) => say(text(&core::error_text(&l, &e)), true),
                }
            }
            Action::Chart { watch_id } => match tchat::own_item(&self.app, &who, watch_id).await {
                Ok(item) => {
                    let me = self.clone();
                    let token = c.token.clone();
                    tokio::spawn(async move {
                        let (body, files) = me.chart(&l, &item).await;
                        me.finish(&token, body, files).await;
                    });
                    deferred(true)
                }
                Err(e) => say(text(&core::error_text(&l, &e)), true),
            },
            Action::Remove { watch_id } => match tchat::own_item(&self.app, &who, watch_id).await {
                Ok(item) => {
                    let title = core::shorten(&core::title_of(&item.product, None), 80);
                    match tracking::untrack(&self.app, &who, watch_id).await {
                        Ok(()) => say(text(&t(&l, Key::WatchRemoved, &[("title", &title)])), true),
                        Err(e) => say(text(&core::error_text(&l, &e)), true),
                    }
                }
                Err(e) => say(text(&core::error_text(&l, &e)), true),
            },
            Action::Pause { watch_id } | Action::Resume { watch_id } => {
                let r = if matches!(action, Action::Pause { .. }) {
                    tracking::pause(&self.app, &who, watch_id).await
                } else {
                    tracking::resume(&self.app, &who, watch_id).await
                };
                match r {
                    Ok(_) => update(self.list_view(&who, &l, 0).await),
                    Err(e) => say(text(&core::error_text(&l, &e)), true),
                }
            }
            Action::Snooze { watch_id } => {
                let until = Utc::now() + chrono::Duration::hours(24);
                match tchat::snooze(&self.app, &who, watch_id, until).await {
                    Ok(item) => {
                        let title = core::shorten(&core::title_of(&item.product, None), 80);
                        say(text(&t(&l, Key::WatchSnoozed, &[("title", &title)])), true)
                    }
                    Err(e) => say(text(&core::error_text(&l, &e)), true),
                }
            }
            Action::Page { page } => update(self.list_view(&who, &l, page).await),
            Action::Lang { locale } => {
                if locale.is_empty() {
                    let view = View {
                        lines: vec![t(&l, Key::LangPrompt, &[])],
                        buttons: core::language_buttons(),
                        ..View::default()
                    };
                    return say(message(&view, &who.user_id, None), true);
                }
                match tchat::set_locale(&self.app, &who, &locale).await {
                    Ok(_) => update(text(&t(&locale, Key::LangChanged, &[]))),
                    Err(e) => say(text(&core::error_text(&l, &e)), true),
                }
            }
            Action::Toggle { setting } => {
                let user = match tracking::ensure_user(&self.app, &who).await {
                    Ok(u) => u,
                    Err(e) => return say(text(&core::error_text(&l, &e)), true),
                };
                if let Some(change) = core::toggled(&user, setting)
                    && let Err(e) = tchat::change_setting(&self.app, &who, change).await
                {
                    return say(text(&core::error_text(&l, &e)), true);
                }
                update(self.settings_view(&who, &l).await)
            }
        }
    }

    /// A custom target typed into the modal.
    async fn modal(self: &Arc<Self>, m: ModalInteraction) -> Value {
        let (who, l, action, here) = match self.caller(&m.user, &m.locale, &m.data.custom_id).await
        {
            Ok(v) => v,
            Err(refusal) => return refusal,
        };
        let typed = m
            .data
            .components
            .iter()
            .flat_map(|row| row.components.iter())
            .find_map(|c| match c {
                ActionRowComponent::InputText(i) => i.value.clone(),
                _ => None,
            })
            .unwrap_or_default();
        let channel = here.then(|| m.channel_id.get());
        if channel.is_some() && !may_post_alerts(m.member.as_ref()) {
            return say(text(&t(&l, Key::DiscordChannelAlertsPermission, &[])), true);
        }
        match action {
            Action::Set { product_id, .. } => {
                self.set_later(
                    product_id,
                    &m.token,
                    who,
                    l,
                    Some(typed),
                    channel,
                    Preset::Custom,
                )
                .await
            }
            Action::Edit { watch_id } => {
                match tracking::set_target(&self.app, &who, watch_id, &typed).await {
                    Ok(w) => {
                        let currency = self
                            .product(w.product_id)
                            .await
                            .map(|p| p.currency)
                            .unwrap_or_default();
                        let target = core::target_text(&l, &w, &currency);
                        say(
                            text(&t(&l, Key::WatchTargetUpdated, &[("target", &target)])),
                            true,
                        )
                    }
                    Err(e) => say(text(&core::error_text(&l, &e)), true),
                }
            }
            _ => say(text(&t(&l, Key::ChatExpired, &[])), true),
        }
    }

    /// Sets a watch on a product from a button or the modal: deferred,
    /// since it may need a fetch; the answer replaces the deferred one.
    #[allow(clippy::too_many_arguments)]
    async fn set_later(
        self: &Arc<Self>,
        product_id: i64,
        token: &str,
        who: Identity,
        l: String,
        target: Option<String>,
        channel: Option<u64>,
        preset: Preset,
    ) -> Value {
        let Some(product) = self.product(product_id).await else {
            return say(text(&t(&l, Key::ChatExpired, &[])), true);
        };
        let me = self.clone();
        let token = token.to_string();
        tokio::spawn(async move {
            let url = core::buy_url(&product.marketplace, &product.asin, None);
            let body = me
                .track_preset(&who, &l, &url, target.as_deref(), channel, preset)
                .await;
            me.finish(&token, body, Vec::new()).await;
        });
        deferred(true)
    }

    async fn product(&self, id: i64) -> Option<crate::store::entities::products::Model> {
        use sea_orm::EntityTrait;
        crate::store::entities::products::Entity::find_by_id(id)
            .one(&self.app.db)
            .await
            .ok()
            .flatten()
    }

    /// `/track`: with a target, the watch and its confirmation; without,
    /// the product card with target buttons.
    async fn track(
        &self,
        who: &Identity,
        l: &str,
        link: &str,
        target: Option<&str>,
        channel: Option<u64>,
    ) -> Value {
        if target.is_none() {
            return self.card(who, l, link, channel).await;
        }
        self.track_preset(who, l, link, target, channel, Preset::Custom)
            .await
    }

    async fn track_preset(
        &self,
        who: &Identity,
        l: &str,
        link: &str,
        target: Option<&str>,
        channel: Option<u64>,
        preset: Preset,
    ) -> Value {
        let dest = destination(who, channel);
        if channel.is_some() {
            // Tracking into a channel again brings back one that was paused.
            let _ = tchat::unpause_destination(&self.app, dest.kind, &dest.address).await;
        }
        let tracked = match tracking::track(&self.app, who, &dest, link, target).await {
            Ok(t) => t,
            Err(e) => return text(&core::error_text(l, &e)),
        };
        if preset == Preset::Stock
            && let Err(e) = tchat::want_back_in_stock(&self.app, who, tracked.watch.id).await
        {
            return text(&core::error_text(l, &e));
        }
        let price = tracked.snapshot.as_ref().and_then(|s| s.price_minor);
        let item = tracking::WatchItem {
            watch: tracked.watch.clone(),
            product: tracked.product.clone(),
        };
        let mut confirmation = core::confirmation(
            l,
            &item,
            price,
            Some(preset).filter(|p| *p == Preset::Stock),
        );
        if tracked.fetch_problem.is_some() {
            confirmation = format!("{confirmation}\n{}", t(l, Key::ErrorAmazonBlocked, &[]));
        }
        let lowest = tchat::lowest_seen(&self.app, tracked.product.id)
            .await
            .ok()
            .flatten();
        let mut view = core::card(
            l,
            &tracked.product,
            tracked.snapshot.as_ref(),
            lowest,
            self.app.config.amazon_affiliate_tag.as_deref(),
        );
        let watch_id = tracked.watch.id;
        view.buttons = vec![vec![
            core::Button::action(t(l, Key::ButtonChart, &[]), Action::Chart { watch_id }),
            core::Button::action(t(l, Key::ButtonRemove, &[]), Action::Remove { watch_id }),
        ]];
        message(&view, &who.user_id, Some(&confirmation))
    }

    async fn card(&self, who: &Identity, l: &str, link: &str, channel: Option<u64>) -> Value {
        let app = &self.app;
        let pref = match url::parse(link) {
            Ok(Link::Product(p)) => p,
            Ok(Link::ShortLink(_)) => match app.resolver.resolve(link).await {
                Ok(p) => p,
                Err(e) => return text(&core::url_error_text(l, &e)),
            },
            Err(e) => return text(&core::url_error_text(l, &e)),
        };
        let product = match tracking::ensure_product(app, &pref).await {
            Ok(p) => p,
            Err(e) => return text(&core::error_text(l, &e)),
        };
        if product.gone_at.is_some() {
            return text(&t(l, Key::ChatProductGone, &[]));
        }
        let (product, snapshot, problem) = match tracking::current(app, &product).await {
            Ok(r) => r,
            Err(e) => return text(&core::error_text(l, &e)),
        };
        if snapshot.is_none() && problem.is_some() {
            // Blocked right now: keep a watch (any drop) and try later.
            let dest = destination(who, channel);
            if let Err(e) = tracking::track(app, who, &dest, &pref.canonical_url(), None).await {
                return text(&core::error_text(l, &e));
            }
            return text(&t(l, Key::ErrorAmazonBlocked, &[]));
        }
        let lowest = tchat::lowest_seen(app, product.id).await.ok().flatten();
        let view = core::card(
            l,
            &product,
            snapshot.as_ref(),
            lowest,
            app.config.amazon_affiliate_tag.as_deref(),
        );
        let owner = match channel {
            Some(_) => format!("{}|c", who.user_id),
            None => who.user_id.clone(),
        };
        message(&view, &owner, None)
    }

    async fn list_view(&self, who: &Identity, l: &str, page: usize) -> Value {
        match tracking::list(&self.app, who).await {
            Ok(items) => {
                let view = core::list_page_sized(l, &items, page, PAGE_SIZE);
                let mut body = message(&view, &who.user_id, None);
                if items.is_empty() {
                    body = text(&t(l, Key::ListEmpty, &[]));
                }
                body
            }
            Err(e) => text(&core::error_text(l, &e)),
        }
    }

    async fn settings_view(&self, who: &Identity, l: &str) -> Value {
        match tracking::ensure_user(&self.app, who).await {
            Ok(user) => message(&core::settings(l, &user, None), &who.user_id, None),
            Err(e) => text(&core::error_text(l, &e)),
        }
    }

    /// The chart as an attachment shown in the embed, with the stats.
    async fn chart(&self, l: &str, item: &tracking::WatchItem) -> (Value, Vec<File>) {
        self.product_chart(l, &item.product, item.watch.target_minor)
            .await
    }

    async fn product_chart(
        &self,
        l: &str,
        product: &crate::store::entities::products::Model,
        target_minor: Option<i64>,
    ) -> (Value, Vec<File>) {
        match core::chart(&self.app.db, l, product, target_minor).await {
            Some((png, caption)) => {
                let mut body = message(&caption, "", None);
                body["embeds"][0]["image"] = json!({"url": "attachment://chart.png"});
                body["attachments"] = json!([{"id": 0, "filename": "chart.png"}]);
                (
                    body,
                    vec![File {
                        name: "chart.png".into(),
                        bytes: png,
                    }],
                )
            }
            None => (text(&t(l, Key::ChartNoHistory, &[])), Vec::new()),
        }
    }

    /// Replaces the deferred answer; a short flood wait is waited out once.
    async fn finish(&self, token: &str, body: Value, files: Vec<File>) {
        let mut r = self.rest.edit_original(token, &body, &files).await;
        if let Err(crate::notify::SendError::Transient {
            retry_after: Some(d),
            ..
        }) = &r
            && *d <= std::time::Duration::from_secs(10)
        {
            tokio::time::sleep(*d).await;
            r = self.rest.edit_original(token, &body, &files).await;
        }
        if let Err(e) = r {
            tracing::warn!(error = %e, "could not answer a Discord interaction");
        }
    }
}

/// Whether the clicked `custom_id` is a button on the message it came from.
fn on_message(c: &ComponentInteraction) -> bool {
    c.message
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .any(|b| {
            matches!(b, ActionRowComponent::Button(b)
                if matches!(&b.data, serenity::all::ButtonKind::NonLink { custom_id, .. }
                    if *custom_id == c.data.custom_id))
        })
}

/// Alerts may go to a channel only from members who manage it: Manage
/// Channels, Manage Server or Administrator, as Discord resolved them for
/// this channel in the interaction's `member.permissions`.
fn may_post_alerts(member: Option<&serenity::all::Member>) -> bool {
    member
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.manage_channels() || p.manage_guild() || p.administrator())
}

fn with_notice_owned(notice: Option<String>, body: Value) -> Value {
    match notice {
        Some(n) => {
            let mut body = body;
            let before = body["content"].as_str().unwrap_or_default().to_string();
            body["content"] = json!(format!("{}\n{before}", render::escape(&n)).trim_end());
            body
        }
        None => body,
    }
}

/// `custom_id` = action `|` user [`|c` = alerts to this channel].
fn parse_owned(id: &str) -> Option<(Action, String, bool)> {
    let (rest, here) = match id.strip_suffix("|c") {
        Some(r) => (r, true),
        None => (id, false),
    };
    let (action, user) = parse_custom_id(rest)?;
    Some((action, user, here))
}

/// A modal asking for a target price; it carries the button's `custom_id`.
fn target_modal(l: &str, custom: &str) -> Value {
    json!({
        "type": 9,
        "data": {
            "custom_id": custom,
            "title": core::shorten(&t(l, Key::ButtonCustom, &[]), 45),
            "components": [{
                "type": 1,
                "components": [{
                    "type": 4, "custom_id": "target", "style": 1,
                    "label": core::shorten(&t(l, Key::DiscordOptTarget, &[]), 45),
                    "placeholder": "19.99 / -15%",
                    "min_length": 1, "max_length": 32, "required": true,
                }],
            }],
        },
    })
}
