//! Issue 12 through Discord interactions: what a button, a confirmation and
//! `/list` promise is what the watch does.

use super::*;
use crate::telegram::promises::{UK_ASIN, UK_URL, uk_page_at};

/// The card of the issue, at £6.62: −10% is £5.958, shown as £5.96 (it
/// used to be stored as £5.95). The confirmation repeats £5.96 and a price of exactly £5.96
/// sends the DM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figure_on_the_button_is_the_target_that_fires() {
    let Some(html) = uk_page_at("6.62") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    let (dc, t) = (&bot.dc, &bot.t);
    t.fake.answer(UK_ASIN, Answer::Html(html));

    let cmd = command(ALICE, false, "track", json!([opt("url", UK_URL)]));
    deferred_ephemeral(&bot.send(&cmd).await);
    let card = dc.edited(cmd["token"].as_str().unwrap()).await;
    let minus10 = card.button("−10% (£5.96)").unwrap_or_else(|| {
        panic!("no −10% (£5.96) button: {:?}", card.custom_ids());
    });

    let tap = click(ALICE, &minus10);
    deferred_ephemeral(&bot.send(&tap).await);
    let done = dc.edited(tap["token"].as_str().unwrap()).await;
    let content = done.body["content"].as_str().unwrap();
    assert!(content.contains("−10% \\(£5.96\\) or less."), "{content}");
    assert_eq!(bot.watches().await[0].target_minor, Some(596));

    let list = bot.send(&command(ALICE, false, "list", json!([]))).await;
    let shown = list.to_string();
    assert!(shown.contains("£5.96"), "{shown}");

    t.fake
        .answer(UK_ASIN, Answer::Html(uk_page_at("5.96").unwrap()));
    assert_eq!(sweep_later(t).await, 1);
    let alert = dc.wait(1, posts).await.remove(0);
    let d = alert.embed()["description"].as_str().unwrap().to_string();
    assert!(d.contains("£6.62 → £5.96"), "{d}");
    assert!(d.contains("Your target: £5.96"), "{d}");
    let mut bot = bot;
    bot.t.stop_workers().await;
}
