//! Interactions act once, channel alerts need a member who manages the
//! channel, and a forged product button finds nothing.

use pricewatch::store::entities::{destinations, products, users, watches};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{ALICE, BOB, Bot, DE_ASIN, DE_URL, click, command, deferred_ephemeral, opt};
use crate::fake_amazon::{Answer, de_page_at};
use crate::support::Mode;

const REFUSED: &str = "Alerts in a channel need the Manage Channels or Manage Server permission there. Leave out alerts:channel to get them by DM.";

async fn channel_watches(bot: &Bot, user: &str) -> usize {
    let Some(channel) = destinations::Entity::find()
        .filter(destinations::Column::Kind.eq("discord_channel"))
        .one(&bot.t.app.db)
        .await
        .unwrap()
    else {
        return 0;
    };
    let users = users::Entity::find()
        .filter(users::Column::PlatformUserId.eq(user))
        .all(&bot.t.app.db)
        .await
        .unwrap();
    let Some(user) = users.first() else { return 0 };
    watches::Entity::find()
        .filter(watches::Column::DestinationId.eq(channel.id))
        .filter(watches::Column::UserId.eq(user.id))
        .all(&bot.t.app.db)
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_interaction_acts_once_and_channel_alerts_need_manage_rights() {
    let Some(html) = de_page_at(1299) else { return };
    let Some(bot) = Bot::start(Mode::Scaled).await else {
        return;
    };
    bot.t.fake.answer(DE_ASIN, Answer::Html(html));

    // A correctly signed /track, sent again inside the window: one answer.
    let track = command(
        ALICE,
        false,
        "track",
        json!([opt("url", DE_URL), opt("target", "10")]),
    );
    let now = chrono::Utc::now().timestamp();
    let (status, first) = bot.send_at(&track, now).await;
    assert_eq!(status, 200);
    deferred_ephemeral(&first);
    let (status, _) = bot.send_at(&track, now).await;
    assert_eq!(status, 409, "the replay");
    let (status, _) = bot.send_at(&track, now + 1).await;
    assert_eq!(status, 409, "the same id signed again");
    let token = track["token"].as_str().unwrap();
    bot.dc.edited(token).await;
    let edits = bot
        .dc
        .calls()
        .into_iter()
        .filter(|c| c.method == "PATCH" && c.path.contains(token))
        .count();
    assert_eq!(edits, 1);
    let product = products::Entity::find()
        .filter(products::Column::Asin.eq(DE_ASIN))
        .one(&bot.t.app.db)
        .await
        .unwrap()
        .unwrap();

    // alerts:channel from members without Manage Channels/Server: refused.
    let to_channel = json!([
        opt("url", DE_URL),
        opt("target", "10"),
        opt("alerts", "channel")
    ]);
    for permissions in ["0", "2048", "1024"] {
        let mut cmd = command(BOB, true, "track", to_channel.clone());
        cmd["member"]["permissions"] = json!(permissions);
        let answer = bot.send(&cmd).await;
        assert_eq!(answer["data"]["content"], json!(REFUSED), "{permissions}");
        assert_eq!(answer["data"]["flags"], json!(64));
    }
    assert_eq!(channel_watches(&bot, BOB).await, 0);
    // A forged channel button from the same member is refused too.
    let forged = format!("s:{}:a|0|c", product.id);
    let mut tap = click(BOB, &forged);
    tap["member"]["permissions"] = json!("2048");
    let answer = bot.send(&tap).await;
    assert_eq!(answer["data"]["content"], json!(REFUSED));
    assert_eq!(channel_watches(&bot, BOB).await, 0);

    // Manage Channels (0x10), Manage Server (0x20) or Administrator (0x8).
    let members = [
        ("1033044521375764531", "16"),
        ("1033044521375764532", "32"),
        ("1033044521375764533", "8"),
    ];
    for (user, permissions) in members {
        let mut cmd = command(user, true, "track", to_channel.clone());
        cmd["member"]["permissions"] = json!(permissions);
        deferred_ephemeral(&bot.send(&cmd).await);
        let done = bot.dc.edited(cmd["token"].as_str().unwrap()).await;
        let content = done.body["content"].as_str().unwrap_or_default();
        assert!(content.starts_with("Done!"), "{permissions}: {content}");
        assert_eq!(channel_watches(&bot, user).await, 1, "{permissions}");
    }

    // A forged "Chart" for a product no feed posted and Bob does not track.
    let answer = bot.send(&click(BOB, &format!("h:{}|0", product.id))).await;
    assert_eq!(
        answer["data"]["content"],
        json!("I can't find that product here.")
    );
    assert_eq!(answer["data"]["flags"], json!(64));

    // A button that is not on the message clicked (a forged custom_id on a
    // channel alert) changes nothing and shows nothing there.
    let mut page = click(BOB, &format!("l:0|{BOB}"));
    page["message"]["components"] = json!([]);
    let answer = bot.send(&page).await;
    assert_eq!(answer["type"], json!(4), "a new private answer: {answer}");
    assert_eq!(
        answer["data"]["content"],
        json!("That has expired. Send the link again.")
    );
    assert_eq!(answer["data"]["flags"], json!(64));
}
