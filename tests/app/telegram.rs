//! The Telegram bot end to end: updates as Telegram sends them go through a
//! local Bot API server into the real bot, tracking core, workers, database
//! and queues; what the bot sends back is what a person would see.

pub(crate) mod promises;

use std::collections::HashMap;

use pricewatch::store::entities::{destinations, notifications, products, watches};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::fake_amazon::{Answer, de_page_at, page};
use crate::fake_telegram::{
    BOT_USERNAME, Call, Failure, FakeTelegram, TOKEN, fixture, private_text, tap,
};
use crate::support::{Mode, TestApp, eventually, spawn_app_with};
use crate::tracking::sweep_later;

const DE_URL: &str = "https://www.amazon.de/Salcar-Organizer/dp/B01LZ79682/ref=sr_1_1";
const DE_ASIN: &str = "B01LZ79682";

struct Bot {
    t: TestApp,
    tg: FakeTelegram,
    stop: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// The webhook route, in webhook mode.
    router: Option<axum::Router>,
}

impl Bot {
    async fn start(mode: Mode) -> Option<Bot> {
        Bot::start_with(mode, |_| {}).await
    }

    async fn start_with(
        mode: Mode,
        adjust: impl FnOnce(&mut HashMap<String, String>),
    ) -> Option<Bot> {
        let tg = FakeTelegram::start().await;
        let url = tg.url();
        let t = spawn_app_with(mode, |env| {
            env.insert("TELEGRAM_BOT_TOKEN".into(), TOKEN.into());
            env.insert("TELEGRAM_API_URL".into(), url);
            adjust(env);
        })
        .await?;
        let (stop, rx) = tokio::sync::watch::channel(false);
        let started = pricewatch::bots::telegram::start(t.app.clone(), rx)
            .await
            .unwrap();
        Some(Bot {
            t,
            tg,
            stop,
            task: Some(started.task),
            router: started.router,
        })
    }

    async fn product(&self, asin: &str) -> products::Model {
        products::Entity::find()
            .filter(products::Column::Asin.eq(asin))
            .one(&self.t.app.db)
            .await
            .unwrap()
            .unwrap()
    }

    async fn watches(&self) -> Vec<watches::Model> {
        watches::Entity::find().all(&self.t.app.db).await.unwrap()
    }

    async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
        }
        self.t.stop_workers().await;
    }
}

/// The conversation in one chat as a person would read it, for the note.
fn transcript(tg: &FakeTelegram, chat: i64, said: &[(usize, String)]) -> String {
    let mut out = String::new();
    let mut said = said.iter().peekable();
    for (i, call) in tg.to_chat(chat).iter().enumerate() {
        while let Some((_, text)) = said.next_if(|(at, _)| *at <= i) {
            out.push_str(&format!("user> {text}\n"));
        }
        let kind = if call.method == "sendphoto" {
            "[photo] "
        } else {
            ""
        };
        out.push_str(&format!(
            "bot>  {kind}{}\n",
            call.text().replace('\n', "\n      ")
        ));
        let buttons: Vec<String> = call
            .buttons()
            .into_iter()
            .map(|(l, _)| format!("[{l}]"))
            .collect();
        if !buttons.is_empty() {
            out.push_str(&format!("      {}\n", buttons.join(" ")));
        }
    }
    for (_, text) in said {
        out.push_str(&format!("user> {text}\n"));
    }
    out
}

fn last(calls: &[Call]) -> &Call {
    calls.last().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paste_pick_a_target_get_the_alert_then_list_history_and_untrack() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(DE_ASIN, Answer::Html(html));
    let user = 4242;
    let mut said = Vec::new();

    // The command menu is registered in every shipped language.
    let langs: Vec<String> = tg
        .sent("SetMyCommands")
        .iter()
        .map(|c| {
            c.body["language_code"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        })
        .collect();
    assert_eq!(langs, ["default", "de", "fr", "es", "it"]);

    // Paste a link: a card with the photo, the price and target buttons.
    said.push((0, format!("look at this {DE_URL}")));
    tg.push(private_text(user, "en", &format!("look at this {DE_URL}")).unwrap());
    let card = last(&tg.wait_for(user, 1).await).clone();
    assert_eq!(card.method, "sendphoto");
    let text = card.text();
    assert!(text.contains("Salcar Auto Organizer"), "{text}");
    assert!(text.contains("Price: €12.99"), "{text}");
    assert!(text.contains("List price: €25.99"), "{text}");
    assert!(text.contains("In stock"), "{text}");
    let labels: Vec<String> = card.buttons().into_iter().map(|b| b.0).collect();
    assert_eq!(
        labels,
        [
            "−5% (€12.34)",
            "−10% (€11.69)",
            "−20% (€10.39)",
            "Any drop",
            "Custom…"
        ]
    );

    // Tap −10%: the watch is stored and confirmed.
    said.push((1, "[taps −10% (€11.69)]".into()));
    let data = card.button("−10%").unwrap();
    tg.push(tap(user, "en", user, &card, &data).unwrap());
    let replies = tg.wait_for(user, 2).await;
    let done = last(&replies).text();
    assert!(
        done.starts_with("Done! I'll let you know when Auto-Rückenlehnenschutz Salcar"),
        "{done}"
    );
    assert!(done.ends_with("drops to −10% (€11.69) or less."), "{done}");
    let w = bot.watches().await;
    assert_eq!(w.len(), 1);
    assert_eq!(
        (w[0].target_minor, w[0].target_percent),
        (Some(1169), Some(10))
    );
    assert!(!tg.sent("AnswerCallbackQuery").is_empty());

    // Amazon drops the price: the alert arrives with the right numbers.
    t.fake
        .answer(DE_ASIN, Answer::Html(de_page_at(999).unwrap()));
    assert_eq!(sweep_later(t).await, 1);
    let replies = tg.wait_for(user, 3).await;
    let alert = last(&replies).clone();
    assert_eq!(alert.method, "sendphoto");
    let text = alert.text();
    assert!(
        text.starts_with("📉 Price drop: <b>Auto-Rückenlehnenschutz"),
        "{text}"
    );
    assert!(text.contains("€12.99 → €9.99 (−23%)"), "{text}");
    assert!(text.contains("Your target: €11.69"), "{text}");
    assert!(text.contains("Lowest price in 90 days!"), "{text}");
    assert_eq!(
        alert.button("Buy on Amazon").as_deref(),
        Some("https://www.amazon.de/dp/B01LZ79682")
    );
    assert!(alert.button("Chart").is_some() && alert.button("Snooze 24 h").is_some());
    assert!(alert.button("Stop").is_some());

    // /list shows the watch with its buttons.
    said.push((3, "/list".into()));
    tg.push(private_text(user, "en", "/list").unwrap());
    let list = last(&tg.wait_for(user, 4).await).clone();
    assert!(
        list.text()
            .starts_with("Your watches (1):\n1. Auto-Rückenlehnenschutz"),
        "{}",
        list.text()
    );
    assert!(
        list.text().contains("€9.99 · target: −10% (€11.69)"),
        "{}",
        list.text()
    );
    assert!(list.button("1 · Remove").is_some());

    // /history 1 sends the chart as a PNG with the stats.
    said.push((4, "/history 1".into()));
    tg.push(private_text(user, "en", "/history 1").unwrap());
    let chart = last(&tg.wait_for(user, 5).await).clone();
    assert_eq!(chart.method, "sendphoto");
    assert_eq!(chart.body["photo"]["png"], json!(true), "{:?}", chart.body);
    assert!(chart.body["photo"]["bytes"].as_u64().unwrap() > 10_000);
    assert!(
        chart
            .text()
            .contains("Now €9.99 · lowest €9.99 · highest €12.99"),
        "{}",
        chart.text()
    );

    // /untrack 1 removes it.
    said.push((5, "/untrack 1".into()));
    tg.push(private_text(user, "en", "/untrack 1").unwrap());
    let gone = last(&tg.wait_for(user, 6).await).clone();
    assert!(
        gone.text().starts_with("Removed Auto-Rückenlehnenschutz"),
        "{}",
        gone.text()
    );
    assert!(bot.watches().await.is_empty());

    eprintln!("--- transcript ---\n{}", transcript(tg, user, &said));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_hide_behind_text_links_and_captions_and_german_users_read_german() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(us) = page("com-B0BRZXRBZL.html") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(DE_ASIN, Answer::Html(html));
    t.fake.answer("B001RB2CXY", Answer::Html(us));
    t.fake
        .short_link("5dF49o2", "https://www.amazon.de/dp/B01LZ79682?ref=x");

    // "Grab this deal now", with the link behind "this deal".
    let mut hidden = fixture("text_link_this_deal.adapted.json").unwrap();
    let chat = hidden["message"]["chat"]["id"].as_i64().unwrap();
    hidden["message"]["date"] = json!(chrono::Utc::now().timestamp());
    tg.push(hidden);
    let card = last(&tg.wait_for(chat, 1).await).clone();
    assert!(
        card.text().contains("EMUST Dog Life Vests"),
        "{}",
        card.text()
    );
    assert!(card.text().contains("Price: $13.50"), "{}", card.text());

    // A photo whose caption holds an amzn.eu short link.
    let caption = fixture("photo_caption_amazon_link.adapted.json").unwrap();
    let chat = caption["message"]["chat"]["id"].as_i64().unwrap();
    tg.push(caption);
    let card = last(&tg.wait_for(chat, 1).await).clone();
    assert!(card.text().contains("Salcar"), "{}", card.text());

    // A German user gets German, prices written the German way.
    tg.push(private_text(77, "de", DE_URL).unwrap());
    let card = last(&tg.wait_for(77, 1).await).clone();
    assert!(
        card.text().contains("Preis: 12,99\u{a0}€"),
        "{}",
        card.text()
    );
    assert!(card.text().contains("Auf Lager"), "{}", card.text());
    assert_eq!(
        card.button("Jede Senkung").map(|_| ()),
        Some(()),
        "{:?}",
        card.buttons()
    );
    tg.push(private_text(77, "de", "/frobnicate").unwrap());
    let reply = last(&tg.wait_for(77, 2).await).clone();
    assert_eq!(
        reply.text(),
        "Diesen Befehl kenne ich nicht. Versuch es mit /help."
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn titles_with_markup_arrive_escaped_and_bad_input_gets_a_clear_answer() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    let hostile = html.replace(
        "Salcar Auto Organizer",
        "&lt;b&gt;Salcar&lt;/b&gt; &amp; Auto Organizer",
    );
    t.fake.answer(DE_ASIN, Answer::Html(hostile));
    let user = 31;

    tg.push(private_text(user, "en", DE_URL).unwrap());
    let card = last(&tg.wait_for(user, 1).await).clone();
    let text = card.text();
    assert!(
        text.contains("Auto-Rückenlehnenschutz &lt;b&gt;Salcar&lt;/b&gt; &amp; Auto Organizer"),
        "{text}"
    );
    assert!(!text.contains("<b>Salcar"), "{text}");
    assert!(text.chars().count() <= 1024);

    let cases = [
        ("/frobnicate", "I don't know that command. Try /help."),
        (
            "https://example.com/dp/B01LZ79682",
            "That doesn't look like an Amazon link. Send me the link to a product on Amazon.",
        ),
        (
            "https://www.amazon.de/s?k=kettle",
            "That Amazon page isn't a product. Send me the link to a single product page.",
        ),
        (
            "/track",
            "Send /track with an Amazon link and, if you like, a target: /track https://amzn.eu/d/abc 19.99",
        ),
        (
            &format!("/track {DE_URL} cheap"),
            "I couldn't read that target. Send a price like 19.99 or a drop like -15%.",
        ),
        (
            &format!("/track {DE_URL} $5"),
            "This product is priced in EUR. Type the target in EUR, or without a currency.",
        ),
        (
            "/history 9",
            "I can't find that product in your list. Send /list to see your watches.",
        ),
        (
            "/lang xx",
            "I speak English, Deutsch, Français, Español and Italiano. Send /lang en, de, fr, es or it.",
        ),
    ];
    let mut n = 1;
    for (input, want) in cases {
        tg.push(private_text(user, "en", input).unwrap());
        n += 1;
        let got = last(&tg.wait_for(user, n).await).clone();
        assert_eq!(got.text(), want, "for {input}");
    }
    // Six links: five cards and a note.
    t.fake
        .answer("B000000001", Answer::Status(503, "busy".into()));
    let six: Vec<String> = [
        "B01LZ79682",
        "B000000001",
        "B000000002",
        "B000000003",
        "B000000004",
        "B000000005",
    ]
    .iter()
    .map(|a| format!("https://www.amazon.de/dp/{a}"))
    .collect();
    tg.push(private_text(user, "en", &six.join(" ")).unwrap());
    let got = tg.wait_for(user, n + 6).await;
    assert_eq!(
        last(&got).text(),
        "That's a lot of links! Please send at most 5 at a time."
    );
    // Amazon blocking one product: we keep the watch and say so.
    assert!(
        got.iter().any(|c| c.text()
            == "Amazon isn't letting me in right now. I've kept your watch and will try again later."),
        "{:#?}",
        got.iter().map(|c| c.text()).collect::<Vec<_>>()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_targets_are_asked_for_and_read_from_the_next_message() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(DE_ASIN, Answer::Html(html));
    let user = 55;
    tg.push(private_text(user, "de", DE_URL).unwrap());
    let card = last(&tg.wait_for(user, 1).await).clone();
    tg.push(
        tap(
            user,
            "de",
            user,
            &card,
            &card.button("Eigener Preis").unwrap(),
        )
        .unwrap(),
    );
    let prompt = last(&tg.wait_for(user, 2).await).clone();
    assert!(
        prompt.text().starts_with("Schick mir deinen Zielpreis"),
        "{}",
        prompt.text()
    );
    tg.push(private_text(user, "de", "zehn").unwrap());
    let again = last(&tg.wait_for(user, 3).await).clone();
    assert!(
        again
            .text()
            .starts_with("Diesen Zielpreis verstehe ich nicht."),
        "{}",
        again.text()
    );
    tg.push(private_text(user, "de", "10,50").unwrap());
    let done = last(&tg.wait_for(user, 4).await).clone();
    assert!(
        done.text()
            .ends_with("auf 10,50\u{a0}€ oder weniger fällt."),
        "{}",
        done.text()
    );
    let w = bot.watches().await;
    assert_eq!(w[0].target_minor, Some(1050));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_groups_admins_add_watches_for_the_group_and_chatter_is_ignored() {
    let Some(uk) = page("uk-B01LW7X0JJ.html") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer("B00EO4NN5C", Answer::Html(uk));
    let update = fixture("group_mention_amazon_link.adapted.json").unwrap();
    let group = update["message"]["chat"]["id"].as_i64().unwrap();
    let member = update["message"]["from"]["id"].as_i64().unwrap();
    tg.push(update);
    let card = last(&tg.wait_for(group, 1).await).clone();
    assert!(card.text().contains("£6.39"), "{}", card.text());

    // A member who is not an admin is told why nothing happened.
    let data = card.button("Any drop").unwrap();
    tg.push(tap(member, "en", group, &card, &data).unwrap());
    let refusal = tg
        .wait_call("AnswerCallbackQuery", |c| {
            c.body["show_alert"] == json!(true)
        })
        .await;
    assert!(
        refusal.body["text"]
            .as_str()
            .unwrap()
            .starts_with("Only the group's admins")
    );
    assert!(bot.watches().await.is_empty());

    // An admin's tap creates the group's watch.
    tg.make_admin(group, member);
    tg.push(tap(member, "en", group, &card, &data).unwrap());
    let done = last(&tg.wait_for(group, 2).await).clone();
    assert!(
        done.text()
            .starts_with("Done! I'll let you know whenever the price of Sourcingmap"),
        "{}",
        done.text()
    );
    let w = bot.watches().await;
    assert_eq!(w.len(), 1);
    let dest = destinations::Entity::find_by_id(w[0].destination_id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dest.address, group.to_string());

    // Chatter without Amazon links, and commands for other bots, get nothing.
    let mut chatter = fixture("group_command_with_bot_username.json").unwrap();
    chatter["message"]["chat"]["id"] = json!(group);
    let chatterer = 990_001;
    chatter["message"]["from"]["id"] = json!(chatterer);
    tg.push(chatter);
    let mut plain = fixture("group_mention_amazon_link.adapted.json").unwrap();
    plain["message"]["from"]["id"] = json!(chatterer + 1);
    plain["message"]["text"] = json!("anyone up for lunch? https://example.com/menu");
    plain["message"]["entities"] = json!([]);
    tg.push(plain);
    // A command addressed to us is answered.
    let mut ours = fixture("group_command_with_bot_username.json").unwrap();
    ours["message"]["chat"]["id"] = json!(group);
    ours["message"]["text"] = json!(format!("/list@{BOT_USERNAME}"));
    ours["message"]["from"] =
        fixture("group_mention_amazon_link.adapted.json").unwrap()["message"]["from"].clone();
    ours["message"]["entities"] = json!([{"offset": 0, "length": 25, "type": "bot_command"}]);
    tg.push(ours);
    let after = tg.wait_for(group, 3).await;
    assert!(
        after[2].text().starts_with("Your watches (1):"),
        "{}",
        after[2].text()
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(tg.to_chat(group).len(), 3);
    // Nothing is stored about people whose messages were not for the bot.
    for id in [chatterer, chatterer + 1] {
        let stored = pricewatch::store::entities::users::Entity::find()
            .filter(pricewatch::store::entities::users::Column::PlatformUserId.eq(id.to_string()))
            .count(&t.app.db)
            .await
            .unwrap();
        assert_eq!(stored, 0, "user {id}");
    }

    // The group becomes a supergroup: its watches follow it.
    let mut migrate = fixture("migrate_to_chat_id.adapted.json").unwrap();
    migrate["message"]["chat"]["id"] = json!(group);
    let new_id = migrate["message"]["migrate_to_chat_id"].as_i64().unwrap();
    tg.push(migrate);
    eventually(10, "the destination to move", || async {
        destinations::Entity::find_by_id(dest.id)
            .one(&t.app.db)
            .await
            .unwrap()
            .is_some_and(|d| d.address == new_id.to_string())
    })
    .await;
    assert_eq!(bot.watches().await.len(), 1);
    bot.stop().await;
}

async fn tracked_drop(bot: &Bot, user: i64) -> products::Model {
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake
        .answer(DE_ASIN, Answer::Html(de_page_at(1299).unwrap()));
    tg.push(private_text(user, "en", &format!("/track {DE_URL} 12,00")).unwrap());
    let done = last(&tg.wait_for(user, 1).await).clone();
    assert!(done.text().starts_with("Done!"), "{}", done.text());
    t.fake
        .answer(DE_ASIN, Answer::Html(de_page_at(1099).unwrap()));
    bot.product(DE_ASIN).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_wait_delays_the_alert_and_it_still_arrives_once() {
    if de_page_at(1).is_none() {
        return;
    }
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    let user = 808;
    tracked_drop(&bot, user).await;
    tg.fail_next(Failure::TooManyRequests(1));
    assert_eq!(sweep_later(t).await, 1);
    let got = tg.wait_for(user, 2).await;
    assert!(
        last(&got).text().contains("€12.99 → €10.99"),
        "{}",
        last(&got).text()
    );
    assert_eq!(tg.sent("SendPhoto!refused").len(), 1);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        tg.to_chat(user).len(),
        2,
        "the alert arrived more than once"
    );
    let delivered = notifications::Entity::find()
        .filter(notifications::Column::Status.eq("delivered"))
        .count(&t.app.db)
        .await
        .unwrap();
    assert_eq!(delivered, 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_bot_pauses_the_chat_until_start() {
    if de_page_at(1).is_none() {
        return;
    }
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    let user = 909;
    tracked_drop(&bot, user).await;
    tg.fail_next(Failure::Blocked);
    assert_eq!(sweep_later(t).await, 1);
    let dest = || async {
        destinations::Entity::find()
            .filter(destinations::Column::Address.eq(user.to_string()))
            .one(&t.app.db)
            .await
            .unwrap()
            .unwrap()
    };
    eventually(20, "the chat to be paused", || async {
        dest().await.paused_at.is_some()
    })
    .await;
    assert_eq!(tg.sent("SendPhoto!refused").len(), 1);
    // No retry storm: nothing else was tried.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        tg.sent("SendPhoto!refused").len() + tg.sent("SendPhoto").len(),
        1
    );

    tg.push(private_text(user, "en", "/start").unwrap());
    let hello = last(&tg.wait_for(user, 2).await).clone();
    assert!(
        hello
            .text()
            .starts_with("Welcome back! Alerts to this chat are on again."),
        "{}",
        hello.text()
    );
    assert!(
        hello
            .text()
            .contains("1. Send me a link to a product on Amazon.")
    );
    assert!(dest().await.paused_at.is_none());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_wants_telegrams_secret_token() {
    let Some(bot) = Bot::start_with(Mode::Embedded, |env| {
        env.insert(
            "TELEGRAM_WEBHOOK_URL".into(),
            "https://bot.example.org/telegram/hook".into(),
        );
        env.insert(
            "TELEGRAM_WEBHOOK_SECRET".into(),
            "s3cret-token_value".into(),
        );
        env.insert("PUBLIC_URL".into(), "https://bot.example.org".into());
    })
    .await
    else {
        return;
    };
    let set = bot.tg.sent("SetWebhook");
    assert_eq!(set.len(), 1);
    assert_eq!(
        set[0].body["url"],
        json!("https://bot.example.org/telegram/hook")
    );
    assert_eq!(set[0].body["secret_token"], json!("s3cret-token_value"));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(pricewatch::http::serve(
        bot.t.app.clone(),
        listener,
        bot.router.clone(),
        std::future::pending(),
    ));
    let update = private_text(61, "en", "/help").unwrap();
    let client = reqwest::Client::new();
    let hook = format!("{base}/telegram/hook");
    let none = client.post(&hook).json(&update).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = client
        .post(&hook)
        .header("X-Telegram-Bot-Api-Secret-Token", "guess")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(bot.tg.to_chat(61).is_empty());
    let right = client
        .post(&hook)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-token_value")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let help = last(&bot.tg.wait_for(61, 1).await).clone();
    assert!(
        help.text().starts_with("Send me an Amazon product link"),
        "{}",
        help.text()
    );
    // The health routes are still there.
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    bot.stop().await;
}

/// The README's quickstart: `pricewatch run` with nothing but a token (here
/// also the fakes' addresses) answers in Telegram and stops cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_only_a_token_is_a_working_bot() {
    let Some(html) = de_page_at(1299) else { return };
    let tg = FakeTelegram::start().await;
    let amazon = crate::fake_amazon::FakeAmazon::start().await;
    amazon.answer(DE_ASIN, Answer::Html(html));
    let dir = pricewatch::test_support::temp_dir();
    let (url, template) = (tg.url(), amazon.template());
    let (child, _) = crate::support::run_process(
        &dir,
        &[
            ("TELEGRAM_BOT_TOKEN", TOKEN),
            ("TELEGRAM_API_URL", url.as_str()),
            ("FETCH_URL_TEMPLATE", template.as_str()),
        ],
    );
    tg.push(private_text(5150, "en", "/start").unwrap());
    let hello = last(&tg.wait_for(5150, 1).await).clone();
    assert!(
        hello.text().starts_with("Hi! I watch Amazon prices"),
        "{}",
        hello.text()
    );
    tg.push(private_text(5150, "en", DE_URL).unwrap());
    let card = last(&tg.wait_for(5150, 2).await).clone();
    assert!(card.text().contains("Price: €12.99"), "{}", card.text());
    assert!(dir.join("data/pricewatch.db").exists());

    let log = crate::support::sigterm_and_log(child).await;
    assert!(log.contains("Telegram bot is up"), "{log}");
    assert!(
        !log.contains(TOKEN.split(':').nth(1).unwrap()),
        "the token leaked into the log"
    );
}

/// `/email` in Telegram: the verification email arrives, its 6-digit code
/// sent back in chat confirms the address, `/email off` removes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_address_is_linked_with_the_code_from_the_email() {
    let smtp = crate::fake_smtp::FakeSmtp::start().await;
    let vars = smtp.env();
    let Some(bot) = Bot::start_with(Mode::Scaled, |env| {
        env.extend(vars.into_iter().map(|(k, v)| (k.to_string(), v)));
        env.insert(
            "JWT_SECRET".into(),
            "a-test-secret-that-is-long-enough-0123456789".into(),
        );
        env.insert("PUBLIC_URL".into(), "https://pricewatch.example.org".into());
    })
    .await
    else {
        return;
    };
    let (tg, user) = (&bot.tg, 7070);
    tg.push(private_text(user, "en", "/email ada@example").unwrap());
    let got = last(&tg.wait_for(user, 1).await).clone();
    assert_eq!(got.text(), "That doesn't look like an email address.");
    tg.push(private_text(user, "en", "/email ada@example.org").unwrap());
    let got = last(&tg.wait_for(user, 2).await).clone();
    assert_eq!(
        got.text(),
        "I've sent a confirmation link to ada@example.org. Open it to get alerts by email too.\nOr send me the 6-digit code from the email."
    );
    let mail = smtp.mails_to("ada@example.org").remove(0);
    let code = crate::email::code_in(&mail);
    tg.push(private_text(user, "en", "000000").unwrap());
    let wrong = last(&tg.wait_for(user, 3).await).clone();
    assert_ne!(
        wrong.text(),
        "Your email address is confirmed. Alerts will now also arrive by email."
    );
    tg.push(private_text(user, "en", &code).unwrap());
    let ok = last(&tg.wait_for(user, 4).await).clone();
    assert_eq!(
        ok.text(),
        "Your email address is confirmed. Alerts will now also arrive by email."
    );
    let u = pricewatch::store::entities::users::Entity::find()
        .filter(pricewatch::store::entities::users::Column::PlatformUserId.eq(user.to_string()))
        .one(&bot.t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.email.as_deref(), Some("ada@example.org"));
    assert!(u.email_verified_at.is_some());
    tg.push(private_text(user, "en", "/email off").unwrap());
    let off = last(&tg.wait_for(user, 5).await).clone();
    assert_eq!(
        off.text(),
        "Email alerts are off. I'll only message you here."
    );
    bot.stop().await;
}

/// A Telegram channel's deal feed: admins subscribe it from a private chat;
/// big drops among everyone's products are posted once a day at most;
/// "Track this" opens a private chat that makes a watch for whoever tapped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_feed_posts_big_drops_once_a_day_and_track_this_makes_a_watch() {
    if de_page_at(1).is_none() {
        return;
    }
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    let channel = fixture("channel_post.json").unwrap()["channel_post"]["chat"]["id"]
        .as_i64()
        .unwrap();
    tg.add_channel("deals_channel", channel);
    let (admin, member) = (4242, 5151);
    tg.make_admin(channel, admin);

    let feed_on = "/feed on @deals_channel min=20%";
    tg.push(private_text(member, "en", feed_on).unwrap());
    let refused = last(&tg.wait_for(member, 1).await).clone();
    assert_eq!(
        refused.text(),
        "Only the chat's admins can change its deal feed."
    );
    tg.push(private_text(admin, "en", feed_on).unwrap());
    let not_yet = last(&tg.wait_for(admin, 1).await).clone();
    assert_eq!(
        not_yet.text(),
        "Make me an admin of @deals_channel first, so I can post there."
    );
    tg.make_admin(channel, crate::fake_telegram::BOT_ID);
    tg.push(private_text(admin, "en", feed_on).unwrap());
    let on = last(&tg.wait_for(admin, 2).await).clone();
    assert_eq!(
        on.text(),
        "Deal feed on: products at least 20% below their 30-day median."
    );

    // Three products someone tracks drop by 10%, 25% and 40%.
    let asins = ["B0000FEED1", "B0000FEED2", "B0000FEED3"];
    let tracker = pricewatch::tracking::Identity {
        platform: pricewatch::tracking::Platform::Telegram,
        user_id: "31337".into(),
        display_name: Some("Secret Tracker".into()),
        locale: Some("en".into()),
    };
    for asin in asins {
        t.fake.answer(asin, Answer::Html(de_page_at(1000).unwrap()));
        let dest = pricewatch::tracking::DestinationRef {
            kind: pricewatch::tracking::DestinationKind::TelegramChat,
            address: "31337".into(),
        };
        let url = format!("https://www.amazon.de/dp/{asin}");
        pricewatch::tracking::track(&t.app, &tracker, &dest, &url, None)
            .await
            .unwrap();
    }
    for (asin, price) in asins.iter().zip([900, 750, 600]) {
        t.fake
            .answer(asin, Answer::Html(de_page_at(price).unwrap()));
    }
    assert_eq!(sweep_later(t).await, 3);
    let posts = tg.wait_for(channel, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let posts = if tg.to_chat(channel).len() == 2 {
        posts
    } else {
        tg.to_chat(channel)
    };
    assert_eq!(
        posts.len(),
        2,
        "{:#?}",
        posts.iter().map(Call::text).collect::<Vec<_>>()
    );
    let texts: Vec<String> = posts.iter().map(Call::text).collect();
    for want in [
        "Price: €6.00\n−40% below the 30-day median (€10.00)\nLowest price ever seen!",
        "Price: €7.50\n−25% below the 30-day median (€10.00)",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(want)),
            "{want} in {texts:#?}"
        );
    }
    for p in &posts {
        assert!(!p.text().contains("Secret Tracker") && !p.text().contains("31337"));
    }
    let third = bot.product("B0000FEED3").await;
    let track_this = posts
        .iter()
        .find_map(|p| {
            p.button("Track this")
                .filter(|u| u.ends_with(&format!("t{}", third.id)))
        })
        .unwrap();
    assert_eq!(
        track_this,
        format!("https://t.me/{BOT_USERNAME}?start=t{}", third.id)
    );

    // Another drop of the same product within 24 hours: no second post.
    t.fake
        .answer("B0000FEED3", Answer::Html(de_page_at(500).unwrap()));
    assert_eq!(sweep_later(t).await, 3);
    eventually(20, "the new price to be recorded", || async {
        bot.product("B0000FEED3").await.last_price_minor == Some(500)
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(tg.to_chat(channel).len(), 2);

    // "Track this" opens the bot with /start t<id>: a watch for the tapper.
    tg.push(private_text(77, "en", &format!("/start t{}", third.id)).unwrap());
    let done = last(&tg.wait_for(77, 1).await).clone();
    assert!(
        done.text()
            .starts_with("Done! I'll let you know whenever the price of"),
        "{}",
        done.text()
    );
    let mine = bot
        .watches()
        .await
        .into_iter()
        .filter(|w| w.product_id == third.id)
        .count();
    assert_eq!(mine, 2, "the tracker's watch and the tapper's");

    // The channel removes the bot: its feed stops.
    let mut removed = fixture("my_chat_member_bot_blocked.json").unwrap();
    removed["my_chat_member"]["chat"] = json!({"id": channel, "title": "Deals", "type": "channel"});
    tg.push(removed);
    eventually(10, "the channel to be paused", || async {
        destinations::Entity::find()
            .filter(destinations::Column::Address.eq(channel.to_string()))
            .one(&t.app.db)
            .await
            .unwrap()
            .is_some_and(|d| d.paused_at.is_some())
    })
    .await;
    bot.stop().await;
}

/// A group's feed with a digest: deals are held and posted together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_feed_groups_its_deals_into_one_post() {
    if de_page_at(1).is_none() {
        return;
    }
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    let update = fixture("group_mention_amazon_link.adapted.json").unwrap();
    let group = update["message"]["chat"]["id"].as_i64().unwrap();
    let admin = update["message"]["from"]["id"].as_i64().unwrap();
    tg.make_admin(group, admin);
    let mut cmd = update.clone();
    cmd["message"]["text"] = json!("/feed on min=20% digest=6h");
    cmd["message"]["entities"] = json!([{"offset": 0, "length": 5, "type": "bot_command"}]);
    tg.push(cmd);
    let on = last(&tg.wait_for(group, 1).await).clone();
    assert_eq!(
        on.text(),
        "Deal feed on: products at least 20% below their 30-day median, as a digest every 6 h."
    );
    for asin in ["B0000DIGE1", "B0000DIGE2"] {
        t.fake.answer(asin, Answer::Html(de_page_at(1000).unwrap()));
        tg.push(private_text(9, "en", &format!("/track https://www.amazon.de/dp/{asin}")).unwrap());
    }
    tg.wait_for(9, 2).await;
    for asin in ["B0000DIGE1", "B0000DIGE2"] {
        t.fake.answer(asin, Answer::Html(de_page_at(700).unwrap()));
    }
    assert_eq!(sweep_later(t).await, 2);
    eventually(20, "two deals held", || async {
        notifications::Entity::find()
            .filter(notifications::Column::Status.eq("held"))
            .count(&t.app.db)
            .await
            .unwrap()
            == 2
    })
    .await;
    assert_eq!(
        tg.to_chat(group).len(),
        1,
        "nothing posted before the digest"
    );
    let later = chrono::Utc::now() + chrono::Duration::hours(7);
    assert_eq!(
        pricewatch::jobs::feeds::digests_once(&t.app, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        pricewatch::jobs::feeds::digests_once(&t.app, later)
            .await
            .unwrap(),
        0
    );
    let digest = last(&tg.wait_for(group, 2).await).clone();
    let text = digest.text();
    assert!(text.starts_with("<b>🔥 2 deals</b>"), "{text}");
    assert_eq!(
        text.matches("−30% below the 30-day median (€10.00)")
            .count(),
        2,
        "{text}"
    );
    assert_eq!(digest.buttons().len(), 2);
    bot.stop().await;
}

/// Links in forwarded messages and in channel posts get cards too; /lang
/// and /settings change what the person gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_and_channel_posts_get_cards_and_settings_switch() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(DE_ASIN, Answer::Html(html));

    let mut forwarded = fixture("forwarded_message_origin_user.json").unwrap();
    forwarded["message"]["text"] = json!(format!("Guarda qui {DE_URL}"));
    let chat = forwarded["message"]["chat"]["id"].as_i64().unwrap();
    tg.push(forwarded);
    let card = last(&tg.wait_for(chat, 1).await).clone();
    assert!(card.text().contains("Price: €12.99"), "{}", card.text());

    let mut post = fixture("channel_post.json").unwrap();
    post["channel_post"]["text"] = json!(format!("Deal: {DE_URL}"));
    let channel = post["channel_post"]["chat"]["id"].as_i64().unwrap();
    tg.push(post);
    let card = last(&tg.wait_for(channel, 1).await).clone();
    assert!(card.text().contains("Price: €12.99"), "{}", card.text());

    let user = 2323;
    tg.push(private_text(user, "en", "/lang de").unwrap());
    let switched = last(&tg.wait_for(user, 1).await).clone();
    assert_eq!(
        switched.text(),
        "Alles klar, ab jetzt schreibe ich dir auf Deutsch."
    );
    tg.push(private_text(user, "en", "/settings").unwrap());
    let settings = last(&tg.wait_for(user, 2).await).clone();
    assert!(
        settings.text().contains("Gebrauchtangebote: aus"),
        "{}",
        settings.text()
    );
    let used = settings.button("Gebrauchtangebote").unwrap();
    tg.push(tap(user, "de", user, &settings, &used).unwrap());
    let edited = tg
        .wait_call("EditMessageText", |c| {
            c.text().contains("Gebrauchtangebote: an")
        })
        .await;
    assert!(
        edited.text().contains("Wieder-verfügbar-Meldungen: an"),
        "{}",
        edited.text()
    );
    let u = pricewatch::store::entities::users::Entity::find()
        .filter(pricewatch::store::entities::users::Column::PlatformUserId.eq(user.to_string()))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(u.allow_used);
    assert_eq!(u.locale, "de");
    bot.stop().await;
}

/// An alert sent to a group that just became a supergroup: Telegram answers
/// with the new id, the chat follows it, and the retry arrives there once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_follows_a_group_that_became_a_supergroup() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(DE_ASIN, Answer::Html(html));
    let mut update = fixture("migrate_to_chat_id.adapted.json").unwrap();
    let (old, new) = (
        update["message"]["chat"]["id"].as_i64().unwrap(),
        update["message"]["migrate_to_chat_id"].as_i64().unwrap(),
    );
    let admin = update["message"]["from"]["id"].as_i64().unwrap();
    tg.make_admin(old, admin);
    let m = update["message"].as_object_mut().unwrap();
    m.remove("migrate_to_chat_id");
    let text = format!("/track {DE_URL} 12,00");
    m.insert("text".into(), json!(text));
    m.insert(
        "entities".into(),
        json!([{"offset": 0, "length": 6, "type": "bot_command"}]),
    );
    tg.push(update);
    let done = last(&tg.wait_for(old, 1).await).clone();
    assert!(done.text().starts_with("Done!"), "{}", done.text());

    tg.fail_next(Failure::Migrated(new));
    t.fake
        .answer(DE_ASIN, Answer::Html(de_page_at(1099).unwrap()));
    assert_eq!(sweep_later(t).await, 1);
    let alert = last(&tg.wait_for(new, 1).await).clone();
    assert!(alert.text().contains("€12.99 → €10.99"), "{}", alert.text());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(tg.to_chat(new).len(), 1);
    assert_eq!(
        tg.to_chat(old).len(),
        1,
        "only the confirmation went to the old id"
    );
    bot.stop().await;
}

mod groups;
mod rupees;
mod webhook;
