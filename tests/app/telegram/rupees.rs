//! An amazon.in product reads the way Amazon.in and Indian readers write
//! rupees: whole rupees, grouped in lakhs (₹2,37,097), not "₹237,097.00".

use super::{Bot, last};
use crate::fake_amazon::{Answer, page};
use crate::fake_telegram::private_text;
use crate::support::Mode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amazon_in_card_shows_whole_rupees_in_lakhs() {
    let Some(html) = page("in-B01NCE2FHK.html") else {
        return;
    };
    let Some(bot) = Bot::start(Mode::Embedded).await else {
        return;
    };
    bot.t.fake.answer("B01NCE2FHK", Answer::Html(html));
    let link = "https://www.amazon.in/dp/B01NCE2FHK";
    bot.tg.push(private_text(7171, "en", link).unwrap());
    let card = last(&bot.tg.wait_for(7171, 1).await).text();
    assert!(card.contains("Price: ₹2,37,097\n"), "{card}");
    assert!(card.contains("Lowest price seen: ₹2,37,097"), "{card}");
    assert!(!card.contains("237,097"), "{card}");
    // A German reader keeps German grouping; still no paise.
    bot.tg.push(private_text(7272, "de", link).unwrap());
    let card = last(&bot.tg.wait_for(7272, 1).await).text();
    assert!(card.contains("Preis: 237.097\u{a0}₹\n"), "{card}");
    bot.stop().await;
}
