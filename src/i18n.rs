//! The message catalogue every channel shares (Telegram, Discord, email):
//! typed keys into `locales/*.yml` (loaded by rust-i18n at build time), the
//! mapping from a platform's language code to one of our five locales, and
//! money written the way each language writes it.
//!
//! Bots never format user-facing text themselves; they call [`t`] with a
//! [`Key`] and the placeholder values, already formatted ([`format_money`]).

use crate::domain::{Money, NumberStyle};

// rust-i18n reads `locales/` inside a proc macro, which cargo does not know
// to watch: an edited YAML file would leave a stale catalogue in the binary.
// Including the files here makes cargo rebuild when any of them changes.
const _: [&str; 5] = [
    include_str!("../locales/en.yml"),
    include_str!("../locales/de.yml"),
    include_str!("../locales/fr.yml"),
    include_str!("../locales/es.yml"),
    include_str!("../locales/it.yml"),
];

/// The locales we ship, fallback first.
pub const LOCALES: [&str; 5] = ["en", "de", "fr", "es", "it"];

/// Maps a platform language code (`"de-AT"`, `"pt_BR"`, `None`) to one of
/// [`LOCALES`], by its primary language subtag; anything else is English.
pub fn supported(locale: Option<&str>) -> &'static str {
    let primary = locale
        .and_then(|l| l.trim().split(['-', '_']).next())
        .unwrap_or_default();
    LOCALES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(primary))
        .copied()
        .unwrap_or(LOCALES[0])
}

/// How numbers are written in `locale`: `$1,234.56` (en), `1.234,56 €`
/// (de, es, it), `1 234,56 €` (fr).
pub fn number_style(locale: &str) -> NumberStyle {
    match supported(Some(locale)) {
        "en" => NumberStyle::DotDecimal,
        "fr" => NumberStyle::SpaceGroupCommaDecimal,
        _ => NumberStyle::CommaDecimal,
    }
}

/// `m` as a reader of `locale` expects it: `€12.99` (en), `12,99 €` (de).
pub fn format_money(m: Money, locale: &str) -> String {
    m.display(number_style(locale))
}

/// The text for `key` in `locale` (any code [`supported`] understands), with
/// each `%{name}` replaced by its value from `args`. Placeholders without a
/// value are left as they are, so a test catches them.
pub fn t(locale: &str, key: Key, args: &[(&str, &str)]) -> String {
    let text = crate::_rust_i18n_translate(supported(Some(locale)), key.as_str());
    if args.is_empty() {
        return text.into_owned();
    }
    let (names, values): (Vec<&str>, Vec<String>) =
        args.iter().map(|(n, v)| (*n, (*v).to_owned())).unzip();
    rust_i18n::replace_patterns(&text, &names, &values)
}

macro_rules! keys {
    ($( $(#[$doc:meta])* $variant:ident => $key:literal, )*) => {
        /// A message in the catalogue; its placeholders are listed in `locales/en.yml`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Key {
            $( $(#[$doc])* $variant, )*
        }

        impl Key {
            /// Every key, for tests that check each locale is complete.
            pub const ALL: &[Key] = &[$(Key::$variant,)*];

            /// The dotted key in the YAML files.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Key::$variant => $key, )*
                }
            }
        }
    };
}

keys! {
    /// The language's own name ("Deutsch"), for `/settings` and `/lang`.
    LangName => "lang.name",
    /// `/lang` confirmation, written in the new language.
    LangChanged => "lang.changed",
    LangPrompt => "lang.prompt",

    StartWelcome => "start.welcome",
    StartHowto1 => "start.howto_1",
    StartHowto2 => "start.howto_2",
    StartHowto3 => "start.howto_3",
    Help => "help.text",

    /// `%{title}`
    ProductTitle => "product.title",
    /// `%{price}`
    ProductPrice => "product.price",
    /// `%{price}`
    ProductListPrice => "product.list_price",
    ProductInStock => "product.in_stock",
    ProductOutOfStock => "product.out_of_stock",
    ProductUnavailable => "product.unavailable",
    ProductOtherSellersOnly => "product.other_sellers_only",
    /// `%{price}`
    ProductLowestSeen => "product.lowest_seen",

    /// `%{price}`: the target this button would set.
    ButtonDrop5 => "button.drop_5",
    /// `%{price}`
    ButtonDrop10 => "button.drop_10",
    /// `%{price}`
    ButtonDrop20 => "button.drop_20",
    ButtonAnyDrop => "button.any_drop",
    ButtonCustom => "button.custom",
    ButtonBackInStock => "button.back_in_stock",
    ButtonBuy => "button.buy",
    ButtonChart => "button.chart",
    ButtonSnooze => "button.snooze",
    ButtonStop => "button.stop",
    ButtonEditTarget => "button.edit_target",
    ButtonPause => "button.pause",
    ButtonResume => "button.resume",
    ButtonRemove => "button.remove",
    ButtonPrevious => "button.previous",
    ButtonNext => "button.next",

    /// `%{title}`, `%{target}`
    WatchSetTarget => "watch.set_target",
    /// `%{title}`
    WatchSetAnyDrop => "watch.set_any_drop",
    /// `%{title}`
    WatchSetBackInStock => "watch.set_back_in_stock",
    /// `%{title}`, `%{price}`, `%{target}`
    WatchAlreadyBelow => "watch.already_below",
    /// `%{target}`
    WatchTargetUpdated => "watch.target_updated",
    /// `%{title}`
    WatchPaused => "watch.paused",
    /// `%{title}`
    WatchResumed => "watch.resumed",
    /// `%{title}`
    WatchRemoved => "watch.removed",
    /// `%{title}`
    WatchSnoozed => "watch.snoozed",
    WatchCustomPrompt => "watch.custom_prompt",

    /// `%{count}`
    ListHeader => "list.header",
    ListEmpty => "list.empty",
    /// `%{page}`, `%{pages}`
    ListPage => "list.page",
    ListPausedTag => "list.paused_tag",

    /// `%{title}`
    AlertPriceDrop => "alert.price_drop",
    /// `%{old}`, `%{new}`, `%{change}` (a signed percentage, already formatted).
    AlertPriceChange => "alert.price_change",
    /// `%{target}`
    AlertTarget => "alert.target",
    AlertLowest90Days => "alert.lowest_90_days",
    /// `%{title}`, `%{price}`
    AlertBackInStock => "alert.back_in_stock",
    /// `%{title}`
    AlertProductGone => "alert.product_gone",

    ErrorUnknownCommand => "error.unknown_command",
    ErrorBadTarget => "error.bad_target",
    ErrorNotAmazonLink => "error.not_amazon_link",
    ErrorNotAProduct => "error.not_a_product",
    ErrorAmazonBlocked => "error.amazon_blocked",
    /// `%{max}`
    ErrorTooManyLinks => "error.too_many_links",
    /// `%{limit}`
    ErrorWatchLimit => "error.watch_limit",
    ErrorGeneric => "error.generic",

    SettingsTitle => "settings.title",
    /// `%{language}`: the [`Key::LangName`] of the chat's locale.
    SettingsLanguage => "settings.language",
    /// `%{email}`: the address, or [`Key::SettingsEmailNone`].
    SettingsEmail => "settings.email",
    SettingsEmailNone => "settings.email_none",
    SettingsChangeLanguage => "settings.change_language",
    SettingsChangeEmail => "settings.change_email",

    EmailUsage => "email.usage",
    EmailInvalid => "email.invalid",
    /// `%{email}`
    EmailLinkSent => "email.link_sent",
    EmailVerifySubject => "email.verify_subject",
    /// `%{link}`, `%{code}`: the 6-digit code the user may send in chat instead.
    EmailVerifyBody => "email.verify_body",
    EmailVerified => "email.verified",
    EmailLinkExpired => "email.link_expired",
    EmailOff => "email.off",
    /// The third verification email today was the last one.
    EmailTooMany => "email.too_many",
    /// EMAIL_HOST (or JWT_SECRET / PUBLIC_URL) is not set.
    EmailNotConfigured => "email.not_configured",
    EmailBadCode => "email.bad_code",
    EmailCodeLocked => "email.code_locked",
    EmailSendFailed => "email.send_failed",
    /// Appended to [`Key::EmailLinkSent`].
    EmailCodeHint => "email.code_hint",
    /// Chat message (notification kind `email_bouncing`).
    EmailBouncing => "email.bouncing",
    /// Web page: `%{email}`
    EmailVerifyConfirm => "email.verify_confirm",
    EmailVerifyButton => "email.verify_button",
    /// Web page: `%{email}`
    EmailUnsubscribeConfirm => "email.unsubscribe_confirm",
    EmailUnsubscribeButton => "email.unsubscribe_button",
    EmailUnsubscribed => "email.unsubscribed",
    /// Web page: a forged, damaged or expired link.
    EmailLinkInvalid => "email.link_invalid",
    /// Alert email: `%{name}`: the user's first name.
    EmailGreeting => "email.greeting",
    EmailGreetingAnon => "email.greeting_anon",
    /// Alert email subject (template): `%{title}`, `%{price}`
    EmailDropSubject => "email.drop_subject",
    /// `%{title}`, `%{price}`
    EmailBackSubject => "email.back_subject",
    /// Alert email paragraph (template): `%{old}`, `%{new}`
    EmailDropText => "email.drop_text",
    /// `%{price}`
    EmailBackText => "email.back_text",
    /// `%{low}`, `%{high}`
    EmailRange90d => "email.range_90d",
    /// Why the email came: `%{target}`
    EmailWhyTarget => "email.why_target",
    EmailWhyAny => "email.why_any",
    EmailWhyStock => "email.why_stock",
    EmailUnsubscribeLink => "email.unsubscribe_link",
    EmailChartAlt => "email.chart_alt",
    /// `pricewatch email test <address>`
    EmailTestSubject => "email.test_subject",
    EmailTestBody => "email.test_body",

    ChartNoHistory => "chart.no_history",

    CmdStart => "cmd.start",
    CmdHelp => "cmd.help",
    CmdTrack => "cmd.track",
    CmdList => "cmd.list",
    CmdUntrack => "cmd.untrack",
    CmdHistory => "cmd.history",
    CmdEmail => "cmd.email",
    CmdLang => "cmd.lang",
    CmdSettings => "cmd.settings",

    ChatResumed => "chat.resumed",
    ChatNoPrice => "chat.no_price",
    ChatTargetAny => "chat.target_any",
    ChatTargetStock => "chat.target_stock",
    /// `%{percent}`, `%{price}`
    ChatTargetPercent => "chat.target_percent",
    /// `%{n}`, `%{title}`, `%{price}`, `%{target}`
    ChatListItem => "chat.list_item",
    /// `%{n}`, `%{title}`: a watch whose product Amazon removed.
    ChatListItemGone => "chat.list_item_gone",
    /// `%{current}`, `%{min}`, `%{max}`, `%{average}`
    ChatHistoryStats => "chat.history_stats",
    ChatHistoryUsage => "chat.history_usage",
    ChatUntrackUsage => "chat.untrack_usage",
    ChatTrackUsage => "chat.track_usage",
    ChatLangUnknown => "chat.lang_unknown",
    ChatAdminsOnly => "chat.admins_only",
    ChatAdminsOnlySettings => "chat.admins_only_settings",
    ChatNotForYou => "chat.not_for_you",
    ChatExpired => "chat.expired",
    ChatStateOn => "chat.state_on",
    ChatStateOff => "chat.state_off",
    /// `%{state}`
    ChatSettingsStock => "chat.settings_stock",
    /// `%{state}`
    ChatSettingsUsed => "chat.settings_used",
    /// `%{cap}`
    ChatSettingsCap => "chat.settings_cap",
    /// `%{who}`
    ChatSettingsGroup => "chat.settings_group",
    ChatWhoAdmins => "chat.who_admins",
    ChatWhoEveryone => "chat.who_everyone",
    /// `%{store}`
    ChatUnknownStore => "chat.unknown_store",
    ChatBadLink => "chat.bad_link",
    ChatShortLink => "chat.short_link",
    /// `%{currency}`
    ChatTargetCurrency => "chat.target_currency",
    ChatTargetPercentRange => "chat.target_percent_range",
    ChatTargetPositive => "chat.target_positive",
    ChatProductGone => "chat.product_gone",
    ChatNoSuchWatch => "chat.no_such_watch",
    ChatNoSuchProduct => "chat.no_such_product",
    ChatSnoozeDone => "chat.snooze_done",
    ChatNotTracking => "chat.not_tracking",

    DiscordNameTrack => "discord.name_track",
    DiscordNameList => "discord.name_list",
    DiscordNameUntrack => "discord.name_untrack",
    DiscordNameHistory => "discord.name_history",
    DiscordNameEmail => "discord.name_email",
    DiscordNameLang => "discord.name_lang",
    DiscordNameSettings => "discord.name_settings",
    DiscordOptUrl => "discord.opt_url",
    DiscordOptTarget => "discord.opt_target",
    DiscordOptItem => "discord.opt_item",
    DiscordOptAddress => "discord.opt_address",
    DiscordOptLanguage => "discord.opt_language",
    DiscordOptAlerts => "discord.opt_alerts",
    DiscordAlertsDm => "discord.alerts_dm",
    DiscordAlertsChannel => "discord.alerts_channel",
    DiscordDmClosed => "discord.dm_closed",
    /// `/track … alerts:channel` by a member who may not manage the channel.
    DiscordChannelAlertsPermission => "discord.channel_alerts_permission",
    DiscordChartTitle => "discord.chart_title",

    FeedUsage => "feed.usage",
    FeedOn => "feed.on",
    FeedLowsPart => "feed.lows_part",
    FeedMarketsPart => "feed.markets_part",
    FeedDigestPart => "feed.digest_part",
    FeedOff => "feed.off",
    FeedNone => "feed.none",
    FeedAdminsOnly => "feed.admins_only",
    FeedBotNotAdmin => "feed.bot_not_admin",
    FeedNoChannel => "feed.no_channel",
    FeedBadOption => "feed.bad_option",
    FeedDrop => "feed.drop",
    FeedAllTimeLow => "feed.all_time_low",
    FeedDigestTitle => "feed.digest_title",
    FeedTrackThis => "feed.track_this",
    FeedGuildOnly => "feed.guild_only",
    FeedManageChannels => "feed.manage_channels",
    FeedCmdFeed => "feed.cmd_feed",
    FeedNameFeed => "feed.name_feed",
    FeedOptChannel => "feed.opt_channel",
    FeedOptMinDrop => "feed.opt_min_drop",
    FeedOptLows => "feed.opt_lows",
    FeedOptMarkets => "feed.opt_markets",
    FeedOptDigest => "feed.opt_digest",
    FeedSubOn => "feed.sub_on",
    FeedSubOff => "feed.sub_off",
    FeedSubStatus => "feed.sub_status",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;
    use std::collections::BTreeSet;

    /// The raw text for `key` in `locale`, without falling back to English.
    fn raw(locale: &str, key: Key) -> Option<String> {
        crate::_rust_i18n_backend()
            .translate(locale, key.as_str())
            .map(|s| s.into_owned())
    }

    fn placeholders(text: &str) -> BTreeSet<String> {
        text.split("%{")
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
            .collect()
    }

    #[test]
    fn every_key_is_translated_in_every_locale_with_the_same_placeholders() {
        for key in Key::ALL {
            let english = raw("en", *key).unwrap_or_else(|| panic!("en lacks {key:?}"));
            let names = placeholders(&english);
            for locale in LOCALES {
                let text = raw(locale, *key).unwrap_or_else(|| panic!("{locale} lacks {key:?}"));
                assert!(!text.trim().is_empty(), "{locale} {key:?} is empty");
                assert_eq!(placeholders(&text), names, "{locale} {key:?} placeholders");

                let args: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "X")).collect();
                let rendered = t(locale, *key, &args);
                assert!(!rendered.contains("%{"), "{locale} {key:?}: {rendered}");
                assert!(!rendered.trim().is_empty());
            }
        }
    }

    #[test]
    fn the_yaml_holds_no_key_the_code_does_not_know() {
        let known: BTreeSet<&str> = Key::ALL.iter().map(|k| k.as_str()).collect();
        for locale in LOCALES {
            let messages = crate::_rust_i18n_backend()
                .messages_for_locale(locale)
                .unwrap_or_else(|| panic!("no messages for {locale}"));
            for (key, _) in messages {
                assert!(known.contains(key.as_ref()), "{locale}: unknown key {key}");
            }
        }
    }

    #[test]
    fn translations_are_not_english_copies() {
        // Texts that are the same in every language: an emoji and the title,
        // a price change, a percentage with the price.
        let same_everywhere = [
            Key::ProductTitle,
            Key::AlertPriceChange,
            Key::ButtonDrop5,
            Key::ButtonDrop10,
            Key::ButtonDrop20,
            Key::ChatTargetPercent,
        ];
        for locale in &LOCALES[1..] {
            for key in Key::ALL.iter().filter(|k| !same_everywhere.contains(k)) {
                // "In stock" is "En stock" in French and Spanish alike, but
                // never the English words.
                assert_ne!(raw(locale, *key), raw("en", *key), "{locale} {key:?}");
            }
        }
        let welcome = t("de", Key::StartWelcome, &[]);
        assert!(welcome.starts_with("Hallo!"), "{welcome}");
        assert_eq!(t("de", Key::LangName, &[]), "Deutsch");
    }

    #[test]
    fn renders_with_arguments_and_unknown_locales_fall_back_to_english() {
        assert_eq!(
            t("de", Key::ErrorWatchLimit, &[("limit", "20")]),
            "Du hast das Limit von 20 Beobachtungen erreicht. \
             Entferne eine, um eine neue hinzuzufügen."
        );
        assert_eq!(
            t("pt-BR", Key::ListPage, &[("page", "2"), ("pages", "3")]),
            "Page 2 of 3"
        );
        assert_eq!(
            t("de-AT", Key::ButtonDrop10, &[("price", "17,99\u{a0}€")]),
            "−10 % (17,99\u{a0}€)"
        );
    }

    #[test]
    fn money_is_written_the_way_each_language_writes_it() {
        let eur = Money::from_minor(123_456, Currency::EUR);
        let usd = Money::from_minor(123_456, Currency::USD);
        let cases = [
            (eur, "en", "€1,234.56"),
            (usd, "en", "$1,234.56"),
            (Money::from_minor(1299, Currency::EUR), "en", "€12.99"),
            (Money::from_minor(1299, Currency::EUR), "de", "12,99\u{a0}€"),
            (eur, "de", "1.234,56\u{a0}€"),
            (eur, "es", "1.234,56\u{a0}€"),
            (eur, "it", "1.234,56\u{a0}€"),
            (eur, "fr", "1\u{202f}234,56\u{a0}€"),
            (Money::from_minor(1299, Currency::EUR), "fr", "12,99\u{a0}€"),
            (Money::from_minor(1234, Currency::JPY), "de", "1.234\u{a0}¥"),
            (usd, "pt-BR", "$1,234.56"),
            (
                Money::from_minor(23_709_700, Currency::INR),
                "en",
                "₹2,37,097",
            ),
            (
                Money::from_minor(23_709_700, Currency::INR),
                "de",
                "237.097\u{a0}₹",
            ),
        ];
        for (money, locale, want) in cases {
            assert_eq!(format_money(money, locale), want, "{locale}");
        }
    }

    #[test]
    fn platform_language_codes_map_to_a_supported_locale() {
        let cases = [
            (Some("de-AT"), "de"),
            (Some("de"), "de"),
            (Some("FR_ca"), "fr"),
            (Some("es-419"), "es"),
            (Some("it"), "it"),
            (Some("en-GB"), "en"),
            (Some("pt-BR"), "en"),
            (Some(""), "en"),
            (Some("  "), "en"),
            (None, "en"),
        ];
        for (code, want) in cases {
            assert_eq!(supported(code), want, "{code:?}");
        }
    }
}
