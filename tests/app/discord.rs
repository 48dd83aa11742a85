//! The Discord bot end to end: interactions shaped as Discord sends them,
//! signed with a test key, go to `/discord/interactions` on our HTTP server;
//! the bot answers in the HTTP response and through a local Discord REST API,
//! with the real tracking core, workers, database and queues behind it.

mod promises;

use pricewatch::store::entities::{destinations, watches};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fake_amazon::{Answer, de_page_at, page};
use crate::fake_discord::{
    APPLICATION_ID, BOT_TOKEN, Call, Failure, FakeDiscord, fixture, public_key_hex, sign,
};
use crate::support::{Mode, TestApp, eventually, spawn_app_with};
use crate::tracking::sweep_later;

const DE_URL: &str = "https://www.amazon.de/Salcar-Organizer/dp/B01LZ79682/ref=sr_1_1";
const DE_ASIN: &str = "B01LZ79682";
const ALICE: &str = "1034315047838687264";
const BOB: &str = "1033044521375764530";

struct Bot {
    t: TestApp,
    dc: FakeDiscord,
    base: String,
    client: reqwest::Client,
}

impl Bot {
    async fn start(mode: Mode) -> Option<Bot> {
        let dc = FakeDiscord::start().await;
        let url = dc.url();
        let t = spawn_app_with(mode, |env| {
            env.insert("DISCORD_APPLICATION_ID".into(), APPLICATION_ID.into());
            env.insert("DISCORD_PUBLIC_KEY".into(), public_key_hex());
            env.insert("DISCORD_BOT_TOKEN".into(), BOT_TOKEN.into());
            env.insert("DISCORD_API_URL".into(), url);
        })
        .await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes = pricewatch::bots::discord::router(t.app.clone());
        assert!(routes.is_some());
        tokio::spawn(pricewatch::http::serve(
            t.app.clone(),
            listener,
            routes,
            std::future::pending(),
        ));
        Some(Bot {
            t,
            dc,
            base,
            client: reqwest::Client::new(),
        })
    }

    /// Sends a signed interaction; returns the status and the JSON answer.
    async fn send_at(&self, body: &Value, timestamp: i64) -> (u16, Value) {
        let raw = serde_json::to_vec(body).unwrap();
        let (ts, sig) = sign(&raw, timestamp);
        let r = self
            .client
            .post(format!("{}/discord/interactions", self.base))
            .header("X-Signature-Ed25519", sig)
            .header("X-Signature-Timestamp", ts)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn send(&self, body: &Value) -> Value {
        let (status, v) = self.send_at(body, chrono::Utc::now().timestamp()).await;
        assert_eq!(status, 200, "{v}");
        v
    }

    async fn watches(&self) -> Vec<watches::Model> {
        watches::Entity::find().all(&self.t.app.db).await.unwrap()
    }
}

fn token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!(
        "aW50ZXJhY3Rpb246MTQxODU3MzI5MzQzODUwNTAyMjp{}",
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh interaction id: Discord acts on each id once.
fn interaction_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1_445_000_000_000_000_000);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

/// A slash command from `user`: in a DM (the shape of the DM fixture, with
/// `user`) or in a guild (the guild fixture, with `member.user`).
fn command(user: &str, guild: bool, name: &str, options: Value) -> Value {
    let mut c = if guild {
        let mut c = fixture("application_command_guild_number_option.adapted.json").unwrap();
        c["member"]["user"]["id"] = json!(user);
        c
    } else {
        let mut c = fixture("application_command_dm_number_option.adapted.json").unwrap();
        c["user"]["id"] = json!(user);
        c
    };
    c["application_id"] = json!(APPLICATION_ID);
    c["token"] = json!(token());
    c["id"] = json!(interaction_id());
    c["data"]["name"] = json!(name);
    c["data"]["options"] = options;
    c
}

fn opt(name: &str, value: &str) -> Value {
    json!({"type": 3, "name": name, "value": value})
}

/// A button click by `user` (the real component capture, from a guild).
fn click(user: &str, custom_id: &str) -> Value {
    let mut c = fixture("message_component_button.json").unwrap();
    c["member"]["user"]["id"] = json!(user);
    c["application_id"] = json!(APPLICATION_ID);
    c["token"] = json!(token());
    c["id"] = json!(interaction_id());
    c["data"]["custom_id"] = json!(custom_id);
    // The button is on the message it was clicked on.
    c["message"]["components"] = json!([{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "button", "custom_id": custom_id}]}]);
    c
}

/// A modal answer by `user` with one text input.
fn modal(user: &str, custom_id: &str, value: &str) -> Value {
    let mut m = fixture("modal_submit_guild.json").unwrap();
    m["member"]["user"]["id"] = json!(user);
    m["application_id"] = json!(APPLICATION_ID);
    m["token"] = json!(token());
    m["id"] = json!(interaction_id());
    m["data"] = json!({"custom_id": custom_id, "components": [
        {"type": 1, "id": 2, "components": [
            {"type": 4, "id": 3, "custom_id": "target", "value": value}]}]});
    m
}

fn autocomplete(user: &str, name: &str, typed: &str) -> Value {
    let mut a = fixture("autocomplete_guild.adapted.json").unwrap();
    a["member"]["user"]["id"] = json!(user);
    a["application_id"] = json!(APPLICATION_ID);
    a["token"] = json!(token());
    a["id"] = json!(interaction_id());
    a["data"]["name"] = json!(name);
    a["data"]["options"] = json!([{"value": typed, "type": 3, "name": "item", "focused": true}]);
    a
}

fn deferred_ephemeral(v: &Value) {
    assert_eq!(v["type"], json!(5), "{v}");
    assert_eq!(v["data"]["flags"], json!(64), "{v}");
}

fn posts(c: &Call) -> bool {
    c.method == "POST" && c.path.starts_with("/channels/") && c.path.ends_with("/messages")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn track_defers_then_a_button_sets_the_target_and_the_drop_arrives_by_dm() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let (dc, t) = (&bot.dc, &bot.t);
    t.fake.answer(DE_ASIN, Answer::Html(html));

    // /track url:… → deferred, then the original response becomes the card.
    let cmd = command(ALICE, false, "track", json!([opt("url", DE_URL)]));
    deferred_ephemeral(&bot.send(&cmd).await);
    let card = dc.edited(cmd["token"].as_str().unwrap()).await;
    let e = card.embed();
    assert!(
        e["title"]
            .as_str()
            .unwrap()
            .contains("Salcar Auto Organizer"),
        "{e}"
    );
    assert_eq!(e["url"], json!("https://www.amazon.de/dp/B01LZ79682"));
    assert!(
        e["description"]
            .as_str()
            .unwrap()
            .starts_with("Price: €12.99\nList price: €25.99\nIn stock"),
        "{e}"
    );
    assert!(
        e["thumbnail"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://"),
        "{e}"
    );
    assert_eq!(card.body["allowed_mentions"], json!({"parse": []}));
    let minus10 = card.button("−10% (€11.69)").unwrap();
    assert!(minus10.ends_with(&format!("|{ALICE}")), "{minus10}");

    // The −10% button sets the target.
    let tap = click(ALICE, &minus10);
    deferred_ephemeral(&bot.send(&tap).await);
    let done = dc.edited(tap["token"].as_str().unwrap()).await;
    let content = done.body["content"].as_str().unwrap();
    assert!(
        content.starts_with("Done! I'll let you know when"),
        "{content}"
    );
    assert!(content.contains("−10% \\(€11.69\\) or less."), "{content}");
    let w = bot.watches().await;
    assert_eq!((w.len(), w[0].target_minor), (1, Some(1169)));
    let dest = destinations::Entity::find_by_id(w[0].destination_id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (dest.kind.as_str(), dest.address.as_str()),
        ("discord_dm", ALICE)
    );

    // The price drops: a DM with the embed, the chart and buttons.
    t.fake
        .answer(DE_ASIN, Answer::Html(de_page_at(999).unwrap()));
    assert_eq!(sweep_later(t).await, 1);
    let alert = dc.wait(1, posts).await.remove(0);
    let e = alert.embed();
    assert!(
        e["title"]
            .as_str()
            .unwrap()
            .starts_with("📉 Price drop: Auto"),
        "{e}"
    );
    let d = e["description"].as_str().unwrap();
    assert!(d.contains("€12.99 → €9.99 \\(−23%\\)"), "{d}");
    assert!(d.contains("Your target: €11.69"), "{d}");
    assert_eq!(e["image"]["url"], json!("attachment://chart.png"));
    assert_eq!(alert.body["files"][0]["png"], json!(true));
    assert_eq!(alert.body["allowed_mentions"], json!({"parse": []}));
    assert_eq!(
        alert.authorization.as_deref(),
        Some(format!("Bot {BOT_TOKEN}").as_str())
    );
    assert_eq!(
        alert.button("Buy on Amazon").as_deref(),
        Some("https://www.amazon.de/dp/B01LZ79682")
    );
    assert!(
        alert
            .button("Chart")
            .unwrap()
            .ends_with(&format!("|{ALICE}"))
    );
    let open_dm = dc
        .calls()
        .into_iter()
        .find(|c| c.path == "/users/@me/channels")
        .unwrap();
    assert_eq!(open_dm.body["recipient_id"], json!(ALICE));
    assert!(
        alert
            .path
            .starts_with(&format!("/channels/9{}", &ALICE[..17]))
    );

    let sequence: Vec<String> = dc
        .calls()
        .iter()
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    eprintln!("--- REST calls ---\n{}", sequence.join("\n"));
    let mut bot = bot;
    bot.t.stop_workers().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_custom_button_opens_a_modal_whose_answer_sets_the_target() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    bot.t.fake.answer(DE_ASIN, Answer::Html(html));
    let cmd = command(BOB, true, "track", json!([opt("url", DE_URL)]));
    deferred_ephemeral(&bot.send(&cmd).await);
    let card = bot.dc.edited(cmd["token"].as_str().unwrap()).await;
    let custom = card.button("Custom…").unwrap();
    let opened = bot.send(&click(BOB, &custom)).await;
    assert_eq!(opened["type"], json!(9), "{opened}");
    assert_eq!(opened["data"]["custom_id"], json!(custom));
    assert_eq!(
        opened["data"]["components"][0]["components"][0]["type"],
        json!(4)
    );

    let bad = modal(BOB, &custom, "cheap");
    deferred_ephemeral(&bot.send(&bad).await);
    let said = bot.dc.edited(bad["token"].as_str().unwrap()).await;
    assert_eq!(
        said.body["content"],
        json!("I couldn't read that target. Send a price like 19.99 or a drop like -15%.")
    );
    let answer = modal(BOB, &custom, "10,50");
    deferred_ephemeral(&bot.send(&answer).await);
    let done = bot.dc.edited(answer["token"].as_str().unwrap()).await;
    let content = done.body["content"].as_str().unwrap();
    assert!(content.contains("€10.50 or less."), "{content}");
    assert_eq!(bot.watches().await[0].target_minor, Some(1050));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autocomplete_offers_only_your_watches_and_forged_buttons_are_refused() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(uk) = page("uk-B01LW7X0JJ.html") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    bot.t.fake.answer(DE_ASIN, Answer::Html(html));
    bot.t.fake.answer("B01LW7X0JJ", Answer::Html(uk));
    for (user, url) in [
        (ALICE, DE_URL),
        (BOB, "https://www.amazon.co.uk/dp/B01LW7X0JJ"),
    ] {
        let cmd = command(
            user,
            true,
            "track",
            json!([opt("url", url), opt("target", "-10%")]),
        );
        deferred_ephemeral(&bot.send(&cmd).await);
        bot.dc.edited(cmd["token"].as_str().unwrap()).await;
    }
    let alices = bot
        .watches()
        .await
        .into_iter()
        .find(|w| w.target_minor == Some(1169))
        .unwrap();

    let choices = bot.send(&autocomplete(ALICE, "untrack", "")).await;
    assert_eq!(choices["type"], json!(8));
    let list = choices["data"]["choices"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{choices}");
    assert!(
        list[0]["name"]
            .as_str()
            .unwrap()
            .starts_with("1. Auto-Rückenlehnenschutz")
    );
    let typed = bot.send(&autocomplete(BOB, "history", "sourcing")).await;
    assert_eq!(
        typed["data"]["choices"].as_array().unwrap().len(),
        1,
        "{typed}"
    );
    let none = bot.send(&autocomplete(BOB, "history", "salcar")).await;
    assert_eq!(none["data"]["choices"], json!([]));

    // Bob presses a copy of Alice's Remove button, then forges his own id in.
    let forged = bot
        .send(&click(BOB, &format!("x:{}|{ALICE}", alices.id)))
        .await;
    assert_eq!(forged["type"], json!(4));
    assert_eq!(forged["data"]["content"], json!("This button isn't yours."));
    let forged = bot
        .send(&click(BOB, &format!("x:{}|{BOB}", alices.id)))
        .await;
    assert_eq!(
        forged["data"]["content"],
        json!("I can't find that watch. Send /list to see yours.")
    );
    assert_eq!(forged["data"]["flags"], json!(64));
    assert_eq!(bot.watches().await.len(), 2);

    // Alice removes hers through the autocomplete value.
    let value = list[0]["value"].as_str().unwrap();
    let gone = bot
        .send(&command(
            ALICE,
            true,
            "untrack",
            json!([opt("item", value)]),
        ))
        .await;
    assert!(
        gone["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Removed Auto"),
        "{gone}"
    );
    assert_eq!(bot.watches().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_requests_signed_by_discord_and_recent_are_answered() {
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let ping = fixture("ping.json").unwrap();
    let now = chrono::Utc::now().timestamp();
    let (status, pong) = bot.send_at(&ping, now).await;
    assert_eq!((status, pong), (200, json!({"type": 1})));
    let (status, _) = bot.send_at(&ping, now - 301).await;
    assert_eq!(status, 401, "a five-minute-old request");

    let raw = serde_json::to_vec(&ping).unwrap();
    let (ts, sig) = sign(&raw, now);
    let url = format!("{}/discord/interactions", bot.base);
    let mut tampered = raw.clone();
    tampered.extend_from_slice(b" ");
    for (sig, body) in [
        ("00".repeat(64), raw.clone()),
        (sig.clone(), tampered),
        (String::new(), raw.clone()),
    ] {
        let r = bot
            .client
            .post(&url)
            .header("X-Signature-Ed25519", sig)
            .header("X-Signature-Timestamp", ts.clone())
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = bot.client.post(&url).body(raw).send().await.unwrap();
    assert_eq!(r.status(), 401, "no signature headers at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_alert_arrives_once_and_hostile_titles_post_inert() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(mut bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let hostile = |h: String| {
        h.replace(
            "Salcar Auto Organizer",
            "@everyone **FREE** [win](https://evil.example) Salcar Auto Organizer",
        )
    };
    bot.t.fake.answer(DE_ASIN, Answer::Html(hostile(html)));
    let cmd = command(
        ALICE,
        true,
        "track",
        json!([opt("url", DE_URL), opt("target", "12,00")]),
    );
    deferred_ephemeral(&bot.send(&cmd).await);
    let done = bot.dc.edited(cmd["token"].as_str().unwrap()).await;
    assert!(
        !done.embed()["title"]
            .as_str()
            .unwrap()
            .contains("@everyone")
    );

    bot.dc.fail_next_post(Failure::RateLimited(0.5));
    bot.t
        .fake
        .answer(DE_ASIN, Answer::Html(hostile(de_page_at(1099).unwrap())));
    assert_eq!(sweep_later(&bot.t).await, 1);
    let alert = bot.dc.wait(1, posts).await.remove(0);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        bot.dc.calls().iter().filter(|c| posts(c)).count(),
        1,
        "sent twice"
    );
    assert_eq!(
        bot.dc
            .calls()
            .iter()
            .filter(|c| c.method == "POST!refused")
            .count(),
        1
    );
    let title = alert.embed()["title"].as_str().unwrap();
    assert!(!title.contains("@everyone"), "{title}");
    assert!(
        title.contains("@\u{200b}everyone \\*\\*FREE\\*\\* \\[win\\]\\(https://evil.example\\)"),
        "{title}"
    );
    assert_eq!(alert.body["allowed_mentions"], json!({"parse": []}));
    bot.t.stop_workers().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_dms_pause_alerts_and_the_user_is_told_at_the_next_command() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    bot.t.fake.answer(DE_ASIN, Answer::Html(html));
    let cmd = command(
        ALICE,
        false,
        "track",
        json!([opt("url", DE_URL), opt("target", "12,00")]),
    );
    deferred_ephemeral(&bot.send(&cmd).await);
    bot.dc.edited(cmd["token"].as_str().unwrap()).await;
    bot.dc.fail_next_post(Failure::DmsClosed);
    bot.t
        .fake
        .answer(DE_ASIN, Answer::Html(de_page_at(1099).unwrap()));
    assert_eq!(sweep_later(&bot.t).await, 1);
    let dm = || async {
        destinations::Entity::find()
            .filter(destinations::Column::Kind.eq("discord_dm"))
            .one(&bot.t.app.db)
            .await
            .unwrap()
            .unwrap()
    };
    eventually(20, "the DM destination to pause", || async {
        dm().await.paused_at.is_some()
    })
    .await;
    let listed = bot.send(&command(ALICE, false, "list", json!([]))).await;
    let content = listed["data"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("I couldn't send you a direct message"),
        "{content}"
    );
    assert!(dm().await.paused_at.is_none());
    let again = bot.send(&command(ALICE, false, "list", json!([]))).await;
    assert!(
        again["data"]["content"].is_null(),
        "told only once: {again}"
    );
}

/// `pricewatch discord register` sends every command, translated, to the
/// application's (or one server's) command list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_installs_the_translated_commands() {
    let dc = FakeDiscord::start().await;
    for (args, path) in [
        (
            vec!["discord", "register"],
            format!("/applications/{APPLICATION_ID}/commands"),
        ),
        (
            vec!["discord", "register", "--guild", "1033681997136146462"],
            format!("/applications/{APPLICATION_ID}/guilds/1033681997136146462/commands"),
        ),
    ] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"))
            .args(&args)
            .env_clear()
            .env("DISCORD_APPLICATION_ID", APPLICATION_ID)
            .env("DISCORD_PUBLIC_KEY", public_key_hex())
            .env("DISCORD_BOT_TOKEN", BOT_TOKEN)
            .env("DISCORD_API_URL", dc.url())
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("Registered 8 commands"), "{stdout}");
        let put = dc
            .wait(1, |c| c.method == "PUT" && c.path == path)
            .await
            .remove(0);
        assert_eq!(
            put.authorization.as_deref(),
            Some(format!("Bot {BOT_TOKEN}").as_str())
        );
        let names: Vec<&str> = put
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "track", "list", "untrack", "history", "email", "lang", "settings", "feed"
            ]
        );
        assert_eq!(put.body[7]["default_member_permissions"], json!("16"));
        let track = &put.body[0];
        assert_eq!(track["name_localizations"]["de"], json!("beobachten"));
        assert_eq!(track["options"][0]["name"], json!("url"));
        assert_eq!(put.body[2]["options"][0]["autocomplete"], json!(true));
    }
}

/// A Discord channel's deal feed: only members who may manage channels set
/// it up; a big drop is posted to the channel through the REST API, and
/// "Track this" there makes a watch for whoever clicked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_feed_posts_drops_and_anyone_can_track_them() {
    if de_page_at(1).is_none() {
        return;
    }
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let t = &bot.t;
    let deals = "1033681997136146999";
    let on = json!([{"type": 1, "name": "on", "options": [
        {"type": 7, "name": "channel", "value": deals},
        {"type": 4, "name": "min_drop", "value": 20}]}]);
    let mut nobody = command(BOB, true, "feed", on.clone());
    nobody["member"]["permissions"] = json!("0");
    let refused = bot.send(&nobody).await;
    assert_eq!(
        refused["data"]["content"],
        json!("You need the Manage Channels permission to change a channel's deal feed.")
    );
    let ok = bot.send(&command(ALICE, true, "feed", on)).await;
    assert_eq!(
        ok["data"]["content"],
        json!("Deal feed on: products at least 20% below their 30-day median.")
    );

    t.fake
        .answer("B0000DFEED", Answer::Html(de_page_at(1000).unwrap()));
    let cmd = command(
        ALICE,
        false,
        "track",
        json!([
            opt("url", "https://www.amazon.de/dp/B0000DFEED"),
            opt("target", "1,00")
        ]),
    );
    deferred_ephemeral(&bot.send(&cmd).await);
    bot.dc.edited(cmd["token"].as_str().unwrap()).await;
    t.fake
        .answer("B0000DFEED", Answer::Html(de_page_at(750).unwrap()));
    assert_eq!(sweep_later(t).await, 1);
    let channel_path = format!("/channels/{deals}/messages");
    let post = bot
        .dc
        .wait(1, |c| c.method == "POST" && c.path == channel_path)
        .await
        .remove(0);
    let d = post.embed()["description"].as_str().unwrap();
    assert!(
        d.contains("Price: €7.50\n−25% below the 30-day median \\(€10.00\\)"),
        "{d}"
    );
    assert_eq!(post.body["allowed_mentions"], json!({"parse": []}));
    let track = post.button("Track this").unwrap();
    assert!(track.ends_with("|0"), "{track}");

    // Bob clicks "Track this" in the channel: his own watch, by DM.
    let click = click(BOB, &track);
    deferred_ephemeral(&bot.send(&click).await);
    let done = bot.dc.edited(click["token"].as_str().unwrap()).await;
    assert!(
        done.body["content"]
            .as_str()
            .unwrap()
            .starts_with("Done! I'll let you know whenever the price of"),
        "{}",
        done.body
    );
    let bobs = destinations::Entity::find()
        .filter(destinations::Column::Address.eq(BOB))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bobs.kind, "discord_dm");
    let n = watches::Entity::find()
        .filter(watches::Column::DestinationId.eq(bobs.id))
        .all(&t.app.db)
        .await
        .unwrap()
        .len();
    assert_eq!(n, 1);
}

mod channels;
