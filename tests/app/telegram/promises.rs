//! Issue 12 through the fake Bot API: what a button, a confirmation and
//! `/list` promise is what the watch does.

use super::*;

/// A card at €2.27: −5% is €2.1565, shown as €2.16. The confirmation and
/// `/list` repeat €2.16, and a price of exactly €2.16 brings the alert
/// ("drops to €2.16 or less").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figure_on_the_button_is_the_target_that_fires() {
    let Some(html) = de_page_at(227) else { return };
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    let (tg, t) = (&bot.tg, &bot.t);
    t.fake.answer(DE_ASIN, Answer::Html(html));
    let user = 5151;

    tg.push(private_text(user, "en", DE_URL).unwrap());
    let card = last(&tg.wait_for(user, 1).await).clone();
    let data = card.button("−5% (€2.16)").unwrap_or_else(|| {
        panic!("no −5% (€2.16) button: {:?}", card.buttons());
    });

    tg.push(tap(user, "en", user, &card, &data).unwrap());
    let done = last(&tg.wait_for(user, 2).await).text();
    assert!(done.ends_with("drops to −5% (€2.16) or less."), "{done}");
    assert_eq!(bot.watches().await[0].target_minor, Some(216));

    tg.push(private_text(user, "en", "/list").unwrap());
    let list = last(&tg.wait_for(user, 3).await).text();
    assert!(list.contains("target: −5% (€2.16)"), "{list}");

    t.fake
        .answer(DE_ASIN, Answer::Html(de_page_at(216).unwrap()));
    assert_eq!(sweep_later(t).await, 1);
    let alert = last(&tg.wait_for(user, 4).await).text();
    assert!(alert.contains("Price drop"), "{alert}");
    assert!(alert.contains("€2.27 → €2.16"), "{alert}");
    assert!(alert.contains("Your target: €2.16"), "{alert}");
    bot.stop().await;
}
