//! Issue 12 through the fake Bot API: what a button, a confirmation and
//! `/list` promise is what the watch does.

use super::*;

/// The real amazon.com page of B07CL39Z8Q ($2.27), showing `price` instead.
pub(crate) fn us_page_at(price: &str) -> Option<String> {
    Some(page("com-B07CL39Z8Q.html")?.replace("2.27", price))
}

const US_URL: &str = "https://www.amazon.com/dp/B07CL39Z8Q";
const US_ASIN: &str = "B07CL39Z8Q";

/// The real amazon.co.uk page of 1473210208 (£6.62), showing `price` instead.
pub(crate) fn uk_page_at(price: &str) -> Option<String> {
    Some(page("uk-1473210208.html")?.replace("6.62", price))
}

/// A book: its ASIN is its ISBN-10, all digits.
pub(crate) const UK_URL: &str = "https://www.amazon.co.uk/dp/1473210208";
pub(crate) const UK_ASIN: &str = "1473210208";

/// The card of the issue, at $2.27: −5% is $2.1565, shown as $2.16 (it
/// used to be stored as $2.15). The confirmation and `/list` repeat $2.16,
/// and a price of exactly $2.16 brings the alert ("drops to $2.16 or less").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figure_on_the_button_is_the_target_that_fires() {
    let Some(html) = us_page_at("2.27") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(US_ASIN, Answer::Html(html));
    let user = 5151;

    tg.push(private_text(user, "en", US_URL).unwrap());
    let card = last(&tg.wait_for(user, 1).await).clone();
    let data = card.button("−5% ($2.16)").unwrap_or_else(|| {
        panic!("no −5% ($2.16) button: {:?}", card.buttons());
    });

    tg.push(tap(user, "en", user, &card, &data).unwrap());
    let done = last(&tg.wait_for(user, 2).await).text();
    assert!(done.ends_with("drops to −5% ($2.16) or less."), "{done}");
    assert_eq!(bot.watches().await[0].target_minor, Some(216));

    tg.push(private_text(user, "en", "/list").unwrap());
    let list = last(&tg.wait_for(user, 3).await).text();
    assert!(list.contains("target: −5% ($2.16)"), "{list}");

    t.fake
        .answer(US_ASIN, Answer::Html(us_page_at("2.16").unwrap()));
    assert_eq!(sweep_later(t).await, 1);
    let alert = last(&tg.wait_for(user, 4).await).text();
    assert!(alert.contains("Price drop"), "{alert}");
    assert!(alert.contains("$2.27 → $2.16"), "{alert}");
    assert!(alert.contains("Your target: $2.16"), "{alert}");
    bot.stop().await;
}

/// Issue 11, item 5: "19.999" on a dollar product is neither $19.999 (the
/// dollar has two decimals) nor a guess of $19,999.00: the bot refuses it
/// with the bad-target message and stores nothing; "19.99" then works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_three_decimals_on_dollars_is_refused() {
    let Some(html) = us_page_at("2.27") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(US_ASIN, Answer::Html(html));
    let user = 5252;

    tg.push(private_text(user, "en", &format!("/track {US_URL} 19.999")).unwrap());
    let said = last(&tg.wait_for(user, 1).await).text();
    assert_eq!(
        said,
        "I couldn't read that target. Send a price like 19.99 or a drop like -15%."
    );
    assert!(bot.watches().await.is_empty());

    // In German, too: "1,999" is not 1.999 and not guessed as 1999.
    let german = user + 1;
    tg.push(private_text(german, "de", &format!("/track {US_URL} 1,999")).unwrap());
    let said = last(&tg.wait_for(german, 1).await).text();
    assert!(
        said.starts_with("Diesen Zielpreis verstehe ich nicht."),
        "{said}"
    );
    assert!(bot.watches().await.is_empty());

    tg.push(private_text(user, "en", &format!("/track {US_URL} 1.99")).unwrap());
    let said = last(&tg.wait_for(user, 2).await).text();
    assert!(said.ends_with("drops to $1.99 or less."), "{said}");
    assert_eq!(bot.watches().await[0].target_minor, Some(199));
    bot.stop().await;
}

/// Issue 12, item 4: a book's ASIN is all digits; `/history 1473210208`
/// and `/untrack 1473210208` mean the book, not watch number 1,473,210,208.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_untrack_take_an_all_digit_asin() {
    let Some(html) = uk_page_at("6.62") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(UK_ASIN, Answer::Html(html));
    let user = 5353;

    tg.push(private_text(user, "en", &format!("/track {UK_URL} 5")).unwrap());
    let said = last(&tg.wait_for(user, 1).await).text();
    assert!(said.ends_with("drops to £5.00 or less."), "{said}");

    tg.push(private_text(user, "en", &format!("/history {UK_ASIN}")).unwrap());
    let chart = last(&tg.wait_for(user, 2).await).clone();
    assert_eq!(chart.method, "sendphoto", "{}", chart.text());
    assert!(chart.text().contains("Now £6.62"), "{}", chart.text());

    tg.push(private_text(user, "en", &format!("/untrack {UK_ASIN}")).unwrap());
    let said = last(&tg.wait_for(user, 3).await).text();
    assert!(said.starts_with("Removed"), "{said}");
    assert!(bot.watches().await.is_empty());
    bot.stop().await;
}

/// Issue 12, item 2: a watch set with "Back in stock" is listed as one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_back_in_stock_watch_is_listed_as_back_in_stock() {
    let Some(html) = page("com-B01GAWQSFW-unavailable.html") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer("B01GAWQSFW", Answer::Html(html));
    let user = 5454;

    let url = "https://www.amazon.com/dp/B01GAWQSFW";
    tg.push(private_text(user, "en", url).unwrap());
    let card = last(&tg.wait_for(user, 1).await).clone();
    let data = card.button("Back in stock").unwrap_or_else(|| {
        panic!("no Back in stock button: {:?}", card.buttons());
    });
    tg.push(tap(user, "en", user, &card, &data).unwrap());
    tg.wait_for(user, 2).await;

    tg.push(private_text(user, "en", "/list").unwrap());
    let list = last(&tg.wait_for(user, 3).await).text();
    assert!(list.contains("target: back in stock"), "{list}");
    assert!(!list.contains("any drop"), "{list}");

    // German, too.
    tg.push(private_text(user, "en", "/lang de").unwrap());
    tg.wait_for(user, 4).await;
    tg.push(private_text(user, "en", "/list").unwrap());
    let list = last(&tg.wait_for(user, 5).await).text();
    assert!(list.contains("Ziel: wieder verfügbar"), "{list}");
    bot.stop().await;
}

/// Issue 12, item 3: once Amazon removed a product and the bot said it
/// stopped watching it, `/list` says so instead of showing the old price
/// and target as if it were still watched; Remove still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_amazon_removed_shows_as_gone_in_the_list() {
    let Some(html) = us_page_at("2.27") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(US_ASIN, Answer::Html(html));
    let user = 5555;

    tg.push(private_text(user, "en", &format!("/track {US_URL} 2")).unwrap());
    tg.wait_for(user, 1).await;
    t.fake.answer(
        US_ASIN,
        Answer::Status(404, "<html>Page Not Found</html>".into()),
    );
    let id = bot.product(US_ASIN).await.id;
    pricewatch::jobs::check_product::run(&t.app, id)
        .await
        .unwrap();
    let told = last(&tg.wait_for(user, 2).await).text();
    assert!(told.contains("stopped watching it"), "{told}");

    tg.push(private_text(user, "en", "/list").unwrap());
    let list = last(&tg.wait_for(user, 3).await).clone();
    let text = list.text();
    assert!(text.contains("no longer on Amazon"), "{text}");
    assert!(!text.contains("$2.27"), "{text}");
    assert!(!text.contains("target:"), "{text}");
    let labels: Vec<String> = list.buttons().into_iter().map(|b| b.0).collect();
    assert_eq!(labels, ["1 · Chart", "1 · Remove"]);

    tg.push(private_text(user, "en", &format!("/untrack {US_ASIN}")).unwrap());
    let said = last(&tg.wait_for(user, 4).await).text();
    assert!(said.starts_with("Removed"), "{said}");
    assert!(bot.watches().await.is_empty());
    bot.stop().await;
}

/// Issue 12, item 7: a link pasted while the sweep's check of that product
/// is still reading Amazon waits for that check, and the card has the title
/// and the price, not "No price right now" with the ASIN; Amazon is asked once.
async fn a_link_pasted_during_its_check_gets_the_price(mode: Mode) {
    let Some(html) = us_page_at("2.27") else {
        return;
    };
    let Some(bot) = Bot::start(mode).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    // Someone watches it; Amazon did not answer then, so nothing is known.
    t.fake.answer(US_ASIN, Answer::Status(503, "busy".into()));
    let someone = pricewatch::tracking::Identity {
        platform: pricewatch::tracking::Platform::Telegram,
        user_id: "77".into(),
        display_name: None,
        locale: Some("en".into()),
    };
    let their_chat = pricewatch::tracking::DestinationRef {
        kind: pricewatch::tracking::DestinationKind::TelegramChat,
        address: "77".into(),
    };
    pricewatch::tracking::track(&t.app, &someone, &their_chat, US_URL, None)
        .await
        .unwrap();
    // The sweep's check now takes a while to read the page.
    let slow = std::time::Duration::from_secs(3);
    t.fake
        .answer(US_ASIN, Answer::Slow(slow, Box::new(Answer::Html(html))));
    let before = t.fake.requests().len();
    assert_eq!(sweep_later(t).await, 1);
    eventually(20, "the sweep's check to reach Amazon", || async {
        t.fake.requests().len() == before + 1
    })
    .await;

    let user = 5656;
    tg.push(private_text(user, "en", US_URL).unwrap());
    let card = last(&tg.wait_for(user, 1).await).clone();
    let text = card.text();
    assert!(text.contains("Palarn Women Tops"), "{text}");
    assert!(text.contains("Price: $2.27"), "{text}");
    assert!(!text.contains("No price right now"), "{text}");
    assert!(card.button("−5% ($2.16)").is_some(), "{:?}", card.buttons());
    assert_eq!(
        t.fake.requests().len(),
        before + 1,
        "the paste waited for the check, it did not fetch again"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_pasted_during_its_check_gets_the_price_embedded() {
    a_link_pasted_during_its_check_gets_the_price(Mode::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_pasted_during_its_check_gets_the_price_scaled() {
    a_link_pasted_during_its_check_gets_the_price(Mode::Scaled).await;
}

/// Issue 12, item 9: with the limits a real instance runs with, 25 quick
/// messages in a private chat are all answered at about one a second; the
/// group limit (20 a minute) used to silence the chat for 40 s after 20.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_chat_is_answered_at_one_a_second_not_twenty_a_minute() {
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let config = pricewatch::config::Config::from_map(&bot.t.env).unwrap();
    let real = pricewatch::app::Tuning::from_config(&config).telegram_limits;
    let client = bot.t.app.telegram.clone().unwrap();
    // The throttle takes new limits only while requests flow: the first
    // answer lets them in.
    let setting = tokio::spawn(async move { client.set_limits(real).await });
    let tg = &bot.tg;
    let user = 5757;
    let started = std::time::Instant::now();
    for _ in 0..25 {
        tg.push(private_text(user, "en", "/help").unwrap());
    }
    // At one a second this takes about 25 s; 20 a minute took over 60 s.
    let deadline = started + std::time::Duration::from_secs(50);
    while tg.to_chat(user).len() < 25 {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of 25 answered in 50 s",
            tg.to_chat(user).len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(setting.is_finished(), "the real limits were in force");
    bot.stop().await;
}

/// Issue 12, item 10: any member may ask `/feed status` in a group (it
/// changes nothing); turning the feed off stays with the admins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_reads_the_feed_status_but_cannot_change_it() {
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let tg = &bot.tg;
    let Some(update) = fixture("group_mention_amazon_link.adapted.json") else {
        return;
    };
    let group = update["message"]["chat"]["id"].as_i64().unwrap();
    let admin = update["message"]["from"]["id"].as_i64().unwrap();
    let member = admin + 1;
    tg.make_admin(group, admin);
    let command = |from: i64, text: &str| {
        let mut cmd = update.clone();
        cmd["message"]["from"]["id"] = json!(from);
        cmd["message"]["text"] = json!(text);
        let len = text.split_whitespace().next().unwrap_or("").len();
        cmd["message"]["entities"] = json!([{"offset": 0, "length": len, "type": "bot_command"}]);
        cmd
    };
    tg.push(command(member, "/feed status"));
    let said = last(&tg.wait_for(group, 1).await).text();
    assert_eq!(
        said,
        "There's no deal feed here. Send /feed on to start one."
    );

    tg.push(command(admin, "/feed on min=20%"));
    tg.wait_for(group, 2).await;
    tg.push(command(member, "/feed status"));
    let said = last(&tg.wait_for(group, 3).await).text();
    assert!(said.starts_with("Deal feed on:"), "{said}");
    assert!(said.contains("20%"), "{said}");

    tg.push(command(member, "/feed off"));
    let said = last(&tg.wait_for(group, 4).await).text();
    assert_eq!(said, "Only the chat's admins can change its deal feed.");
    tg.push(command(member, "/feed"));
    let said = last(&tg.wait_for(group, 5).await).text();
    assert!(said.starts_with("Deal feed on:"), "{said}");
    bot.stop().await;
}

/// Issue 12, item 11: after an unblock, Telegram may deliver the
/// membership update before the `/start`; alerts were off, so `/start`
/// still says they are on again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_after_an_unblock_says_alerts_are_back_whichever_update_came_first() {
    let Some(html) = us_page_at("2.27") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(US_ASIN, Answer::Html(html));
    let user = 5858;
    tg.push(private_text(user, "en", &format!("/track {US_URL} 2")).unwrap());
    tg.wait_for(user, 1).await;
    let paused = || async {
        destinations::Entity::find()
            .filter(destinations::Column::Address.eq(user.to_string()))
            .one(&t.app.db)
            .await
            .unwrap()
            .unwrap()
            .paused_at
            .is_some()
    };
    let membership = |status: &str| {
        let mut u = fixture("my_chat_member_bot_blocked.json").unwrap();
        let m = &mut u["my_chat_member"];
        m["chat"]["id"] = json!(user);
        m["from"]["id"] = json!(user);
        m["new_chat_member"]["status"] = json!(status);
        m["date"] = json!(chrono::Utc::now().timestamp());
        u
    };
    tg.push(membership("kicked"));
    eventually(20, "the chat to be paused", || async { paused().await }).await;

    // Unblocked: the membership update is handled before the /start.
    tg.push(membership("member"));
    eventually(20, "the chat to be resumed", || async { !paused().await }).await;
    tg.push(private_text(user, "en", "/start").unwrap());
    let hello = last(&tg.wait_for(user, 2).await).text();
    assert!(
        hello.starts_with("Welcome back! Alerts to this chat are on again."),
        "{hello}"
    );
    // Said once: a later /start is the plain welcome.
    tg.push(private_text(user, "en", "/start").unwrap());
    let again = last(&tg.wait_for(user, 3).await).text();
    assert!(!again.contains("Welcome back!"), "{again}");
    bot.stop().await;
}

/// Issue 12, item 12: after five wrong email codes the verification takes
/// none; the right code then gets an answer that says so and what to do
/// (send /email again), not the help text; a new /email works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_wrong_email_codes_say_to_send_email_again() {
    let smtp = crate::fake_smtp::FakeSmtp::start().await;
    let mail_env = smtp.env();
    let Some(bot) = Bot::start_with(Mode::Embedded, |env| {
        env.extend(mail_env.into_iter().map(|(k, v)| (k.to_string(), v)));
        env.insert(
            "JWT_SECRET".into(),
            "test-secret-0123456789abcdef0123456789".into(),
        );
        env.insert("PUBLIC_URL".into(), "https://bot.example.org".into());
    })
    .await
    else {
        return;
    };
    let tg = &bot.tg;
    let user = 5959;
    let address = "grace@example.org";
    let mut n = 0;
    let mut say = |text: &str| {
        n += 1;
        tg.push(private_text(user, "en", text).unwrap());
        n
    };

    let at = say(&format!("/email {address}"));
    tg.wait_for(user, at).await;
    let code = crate::email::code_in(&smtp.mails_to(address)[0]);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        let at = say(wrong);
        let said = last(&tg.wait_for(user, at).await).text();
        assert!(said.starts_with("That code doesn't match"), "{said}");
    }
    let at = say(wrong);
    let said = last(&tg.wait_for(user, at).await).text();
    assert_eq!(
        said,
        "That's too many wrong codes, so this one no longer works. \
         Send /email with your address again for a new code."
    );
    let at = say(&code);
    let said = last(&tg.wait_for(user, at).await).text();
    assert!(said.starts_with("That's too many wrong codes"), "{said}");

    // Starting over works.
    let at = say(&format!("/email {address}"));
    tg.wait_for(user, at).await;
    let mails = smtp.mails_to(address);
    assert_eq!(mails.len(), 2);
    let at = say(&crate::email::code_in(&mails[1]));
    let said = last(&tg.wait_for(user, at).await).text();
    assert!(!said.contains("wrong codes"), "{said}");
    assert!(!said.contains("doesn't match"), "{said}");
    bot.stop().await;
}
