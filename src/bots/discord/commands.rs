//! The slash commands, with names and descriptions in every shipped
//! language, and `pricewatch discord register` to install them.

use serde_json::{Value, json};

use crate::i18n::{Key, LOCALES, t};

/// Discord's locale code for each of ours (Spanish is `es-ES` there).
pub fn discord_locale(ours: &str) -> &'static str {
    match ours {
        "de" => "de",
        "fr" => "fr",
        "es" => "es-ES",
        "it" => "it",
        _ => "en-US",
    }
}

fn localized(key: Key) -> Value {
    let mut m = serde_json::Map::new();
    for l in &LOCALES[1..] {
        m.insert(discord_locale(l).to_string(), json!(t(l, key, &[])));
    }
    Value::Object(m)
}

fn description(key: Key) -> String {
    crate::bots::core::shorten(&t("en", key, &[]), 100)
}

fn localized_description(key: Key) -> Value {
    let mut m = serde_json::Map::new();
    for l in &LOCALES[1..] {
        m.insert(
            discord_locale(l).to_string(),
            json!(crate::bots::core::shorten(&t(l, key, &[]), 100)),
        );
    }
    Value::Object(m)
}

fn option(kind: u8, name: &str, key: Key, required: bool) -> Value {
    json!({
        "type": kind, "name": name, "required": required,
        "description": description(key),
        "description_localizations": localized_description(key),
    })
}

fn command(name: &str, name_key: Key, desc_key: Key, options: Vec<Value>) -> Value {
    json!({
        "type": 1,
        "name": name,
        "name_localizations": localized(name_key),
        "description": description(desc_key),
        "description_localizations": localized_description(desc_key),
        "options": options,
        // Guilds and DMs with the bot; installed to servers.
        "contexts": [0, 1],
        "integration_types": [0],
    })
}

/// Every command, as `PUT /applications/{id}/commands` takes them.
pub fn all() -> Value {
    let item = || {
        let mut o = option(3, "item", Key::DiscordOptItem, true);
        o["autocomplete"] = json!(true);
        o
    };
    let mut alerts = option(3, "alerts", Key::DiscordOptAlerts, false);
    alerts["choices"] = json!([
        {"name": t("en", Key::DiscordAlertsDm, &[]), "value": "dm",
         "name_localizations": localized(Key::DiscordAlertsDm)},
        {"name": t("en", Key::DiscordAlertsChannel, &[]), "value": "channel",
         "name_localizations": localized(Key::DiscordAlertsChannel)},
    ]);
    let mut language = option(3, "language", Key::DiscordOptLanguage, true);
    language["choices"] = Value::Array(
        LOCALES
            .iter()
            .map(|l| json!({"name": t(l, Key::LangName, &[]), "value": l}))
            .collect(),
    );
    json!([
        command(
            "track",
            Key::DiscordNameTrack,
            Key::CmdTrack,
            vec![
                option(3, "url", Key::DiscordOptUrl, true),
                option(3, "target", Key::DiscordOptTarget, false),
                alerts,
            ],
        ),
        command("list", Key::DiscordNameList, Key::CmdList, vec![]),
        command(
            "untrack",
            Key::DiscordNameUntrack,
            Key::CmdUntrack,
            vec![item()]
        ),
        command(
            "history",
            Key::DiscordNameHistory,
            Key::CmdHistory,
            vec![item()]
        ),
        command(
            "email",
            Key::DiscordNameEmail,
            Key::CmdEmail,
            vec![option(3, "address", Key::DiscordOptAddress, true)],
        ),
        command("lang", Key::DiscordNameLang, Key::CmdLang, vec![language]),
        command(
            "settings",
            Key::DiscordNameSettings,
            Key::CmdSettings,
            vec![]
        ),
        feed(),
    ])
}

/// `/feed on|off|status`, shown only to members who may manage channels.
fn feed() -> Value {
    let channel = || {
        let mut o = option(7, "channel", Key::FeedOptChannel, true);
        o["channel_types"] = json!([0, 5]);
        o
    };
    let sub = |name: &str, key: Key, options: Vec<Value>| {
        json!({
            "type": 1, "name": name,
            "description": description(key),
            "description_localizations": localized_description(key),
            "options": options,
        })
    };
    let mut min = option(4, "min_drop", Key::FeedOptMinDrop, false);
    min["min_value"] = json!(1);
    min["max_value"] = json!(90);
    let mut digest = option(4, "digest_hours", Key::FeedOptDigest, false);
    digest["min_value"] = json!(1);
    digest["max_value"] = json!(168);
    let mut c = command(
        "feed",
        Key::FeedNameFeed,
        Key::FeedCmdFeed,
        vec![
            sub(
                "on",
                Key::FeedSubOn,
                vec![
                    channel(),
                    min,
                    option(5, "all_time_low", Key::FeedOptLows, false),
                    option(3, "markets", Key::FeedOptMarkets, false),
                    digest,
                ],
            ),
            sub("off", Key::FeedSubOff, vec![channel()]),
            sub("status", Key::FeedSubStatus, vec![channel()]),
        ],
    );
    // Manage Channels; servers only.
    c["default_member_permissions"] = json!("16");
    c["contexts"] = json!([0]);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_descriptions_follow_discords_rules() {
        let name_ok = |n: &str| {
            (1..=32).contains(&n.chars().count())
                && n.chars()
                    .all(|c| c == '-' || c == '_' || c.is_alphanumeric())
                && n.to_lowercase() == n
        };
        for c in all().as_array().unwrap() {
            assert!(name_ok(c["name"].as_str().unwrap()));
            for (locale, n) in c["name_localizations"].as_object().unwrap() {
                assert!(name_ok(n.as_str().unwrap()), "{locale} {n}");
            }
            for d in c["description_localizations"].as_object().unwrap().values() {
                assert!((1..=100).contains(&d.as_str().unwrap().chars().count()));
            }
            assert_eq!(c["description_localizations"].as_object().unwrap().len(), 4);
        }
    }
}
