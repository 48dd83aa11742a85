//! A group sees only its own watches: a member's private watches are never
//! listed in, charted into or removed from the group, numbers in the group
//! are the group's `/list`, and a forged button gets the "can't find" answer.

use serde_json::{Value, json};

use super::{Bot, DE_ASIN, DE_URL, last};
use crate::fake_amazon::{Answer, de_page_at, page};
use crate::fake_telegram::{Call, fixture, private_text, tap};
use crate::support::Mode;

const UK_ASIN: &str = "B00EO4NN5C";
const UK_URL: &str = "https://www.amazon.co.uk/dp/B00EO4NN5C/";
const GROUP: i64 = -1001650852901;

/// A command from `user` in the group, shaped as Telegram sends one.
fn in_group(user: i64, text: &str) -> Value {
    let mut u = fixture("group_mention_amazon_link.adapted.json").unwrap();
    let m = &mut u["message"];
    m["chat"]["id"] = json!(GROUP);
    m["from"]["id"] = json!(user);
    m["from"]["language_code"] = json!("en");
    m["text"] = json!(text);
    let len = text
        .split_whitespace()
        .next()
        .unwrap()
        .encode_utf16()
        .count();
    m["entities"] = json!([{"offset": 0, "length": len, "type": "bot_command"}]);
    u
}

/// A bot message in the group carrying a button with `data`, as a client
/// that forges callback data would make it look.
fn forged_message(data: &str) -> Call {
    Call {
        method: "sendmessage".into(),
        body: json!({"chat_id": GROUP, "text": "…", "reply_markup":
            {"inline_keyboard": [[{"text": "forged", "callback_data": data}]]}}),
    }
}

/// Taps `data` on `message` in the group; returns the toast's text.
async fn toast(bot: &Bot, user: i64, message: &Call, data: &str) -> String {
    let update = tap(user, "en", GROUP, message, data).unwrap();
    let id = update["callback_query"]["id"].clone();
    bot.tg.push(update);
    let answer = bot
        .tg
        .wait_call("AnswerCallbackQuery", |c| c.body["callback_query_id"] == id)
        .await;
    answer.body["text"].as_str().unwrap_or_default().to_string()
}

fn photos(bot: &Bot, chat: i64) -> usize {
    bot.tg
        .to_chat(chat)
        .iter()
        .filter(|c| c.method == "sendphoto")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commands_and_buttons_see_only_the_groups_watches() {
    let (Some(de), Some(uk)) = (de_page_at(1299), page("uk-B01LW7X0JJ.html")) else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(DE_ASIN, Answer::Html(de));
    t.fake.answer(UK_ASIN, Answer::Html(uk));
    let alice = 4343;
    tg.make_admin(GROUP, alice);

    // Alice watches the Salcar organizer privately, Sourcingmap for the group.
    tg.push(private_text(alice, "en", &format!("/track {DE_URL} 10")).unwrap());
    let private = last(&tg.wait_for(alice, 1).await).text();
    assert!(private.starts_with("Done!"), "{private}");
    tg.push(in_group(alice, &format!("/track {UK_URL}")));
    let done = last(&tg.wait_for(GROUP, 1).await).text();
    assert!(done.starts_with("Done!"), "{done}");
    let salcar = bot.product(DE_ASIN).await;
    let sourcingmap = bot.product(UK_ASIN).await;
    let private_watch = bot
        .watches()
        .await
        .into_iter()
        .find(|w| w.product_id == salcar.id)
        .unwrap();

    // /untrack alone lists the group's watches only.
    tg.push(in_group(alice, "/untrack"));
    let listed = last(&tg.wait_for(GROUP, 2).await).clone();
    let text = listed.text();
    assert!(
        text.starts_with("Your watches (1):\n1. Sourcingmap"),
        "{text}"
    );
    assert!(!text.contains("Salcar"), "{text}");

    // Numbers and ASINs mean the group's list: no private chart, no removal.
    for (i, command) in [
        "/history 2".to_string(),
        format!("/history {DE_ASIN}"),
        "/untrack 2".to_string(),
        format!("/untrack {DE_ASIN}"),
    ]
    .iter()
    .enumerate()
    {
        tg.push(in_group(alice, command));
        let reply = last(&tg.wait_for(GROUP, 3 + i).await).text();
        assert_eq!(
            reply, "I can't find that product in your list. Send /list to see your watches.",
            "{command}"
        );
    }
    assert_eq!(photos(&bot, GROUP), 0);
    assert_eq!(bot.watches().await.len(), 2);

    // /history 1 in the group is the group's product.
    tg.push(in_group(alice, "/history 1"));
    let chart = last(&tg.wait_for(GROUP, 7).await).clone();
    assert_eq!(chart.method, "sendphoto");
    assert!(chart.text().contains("Sourcingmap"), "{}", chart.text());

    // Forged buttons for the private watch or product get "can't find".
    let forged = [
        (
            format!("h:{}", salcar.id),
            "I can't find that product here.",
        ),
        (
            format!("c:{}", private_watch.id),
            "I can't find that watch. Send /list to see yours.",
        ),
        (
            format!("x:{}", private_watch.id),
            "I can't find that watch. Send /list to see yours.",
        ),
        (
            format!("p:{}", private_watch.id),
            "I can't find that watch. Send /list to see yours.",
        ),
    ];
    for (data, want) in &forged {
        // Whether or not the button is on the message it came with.
        assert_eq!(toast(&bot, alice, &listed, data).await, *want, "{data}");
        let message = forged_message(data);
        assert_eq!(toast(&bot, alice, &message, data).await, *want, "{data}");
    }
    // A target button for a product never shown in the group sets nothing.
    let set = format!("s:{}:a", salcar.id);
    assert_eq!(
        toast(&bot, alice, &listed, &set).await,
        "I can't find that product here."
    );
    assert_eq!(bot.watches().await.len(), 2);
    assert_eq!(photos(&bot, GROUP), 1);
    let kept = bot
        .watches()
        .await
        .into_iter()
        .find(|w| w.id == private_watch.id)
        .unwrap();
    assert_eq!(kept.state, "armed");
    // The group's own product still charts from a button.
    let chart = format!("h:{}", sourcingmap.id);
    assert_eq!(
        toast(&bot, alice, &forged_message(&chart), &chart).await,
        ""
    );
    tg.wait_for(GROUP, 8).await;
    assert_eq!(photos(&bot, GROUP), 2);

    // A "Chart" link for a product no feed posted shows nothing to a stranger.
    let bob = 4444;
    tg.push(private_text(bob, "en", &format!("/start h{}", salcar.id)).unwrap());
    let welcome = last(&tg.wait_for(bob, 1).await).clone();
    assert_eq!(welcome.method, "sendmessage");
    assert!(welcome.text().starts_with("Hi! I watch Amazon prices"));

    // /untrack 1 in the group removes the group's watch, not the private one.
    tg.push(in_group(alice, "/untrack 1"));
    let removed = last(&tg.wait_for(GROUP, 9).await).text();
    assert!(removed.starts_with("Removed Sourcingmap"), "{removed}");
    let left = bot.watches().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, private_watch.id);
    bot.stop().await;
}
