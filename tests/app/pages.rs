//! Reading pages safely: hostile pages neither crash nor stall the bot,
//! `check --file` keeps to the fetch size cap, and the README's `check`
//! examples run as written.

use std::time::{Duration, Instant};

use pricewatch::amazon::extract::hostile;
use pricewatch::jobs::check_product;
use pricewatch::store::entities::{price_points, products};
use pricewatch::tracking::{self, DestinationKind, DestinationRef, Identity, Platform};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

use crate::cli::{pricewatch, pricewatch_in, stderr, stdout};
use crate::fake_amazon::{Answer, FakeAmazon, corpus, de_page_at};
use crate::fake_telegram::{FakeTelegram, TOKEN, private_text};
use crate::support::{Mode, spawn_app_with};

/// Bound on answers while hostile pages are read: generous for a loaded
/// 2-core machine; a stalled runtime took 33 s and more.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

const HOSTILE: [&str; 4] = ["B0HOSTILE1", "B0HOSTILE2", "B0HOSTILE3", "B0HOSTILE4"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_pages_being_read_stall_neither_health_nor_another_chat() {
    let Some(good) = de_page_at(1299) else { return };
    let tg = FakeTelegram::start().await;
    let tg_url = tg.url();
    let Some(mut t) = spawn_app_with(Mode::Embedded, |env| {
        env.insert("TELEGRAM_BOT_TOKEN".into(), TOKEN.into());
        env.insert("TELEGRAM_API_URL".into(), tg_url);
    })
    .await
    else {
        return;
    };
    let (stop_bot, rx) = tokio::sync::watch::channel(false);
    let bot = pricewatch::bots::telegram::start(t.app.clone(), rx)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let healthz = format!("http://{}/healthz", listener.local_addr().unwrap());
    tokio::spawn(pricewatch::http::serve(
        t.app.clone(),
        listener,
        bot.router.clone(),
        std::future::pending(),
    ));

    // Four tracked products whose pages then turn hostile: a stack-deep
    // price (it overflowed the worker's stack) and nesting that took the
    // parser minutes on the async workers.
    let who = Identity {
        platform: Platform::Telegram,
        user_id: "41".into(),
        display_name: None,
        locale: None,
    };
    let dest = DestinationRef {
        kind: DestinationKind::TelegramChat,
        address: "41".into(),
    };
    let mut ids = Vec::new();
    for asin in HOSTILE {
        t.fake.answer(asin, Answer::Html(good.clone()));
        let link = format!("https://www.amazon.de/dp/{asin}");
        let tracked = tracking::track(&t.app, &who, &dest, &link, None)
            .await
            .unwrap();
        ids.push(tracked.product.id);
    }
    let pages = [
        hostile::spans_in_price(50_000),
        hostile::nested_divs(40_000),
        hostile::nested_divs(100_000),
        hostile::stray_end_tags(50_000),
    ];
    for (asin, html) in HOSTILE.iter().zip(pages) {
        t.fake.answer(asin, Answer::Shared(html.into()));
    }
    let points_before = price_points::Entity::find().count(&t.app.db).await.unwrap();

    // Checks read the hostile pages over and over while we talk to the app.
    let (stop_checks, checking) = tokio::sync::watch::channel(false);
    let mut checkers = Vec::new();
    for id in ids.clone() {
        let app = t.app.clone();
        let checking = checking.clone();
        checkers.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            while !*checking.borrow() {
                outcomes.push(format!("{:?}", check_product::run(&app, id).await));
            }
            outcomes
        }));
    }
    // Let the first reads start.
    let reads = HOSTILE.len() + 4;
    let deadline = Instant::now() + Duration::from_secs(60);
    while t.fake.requests().len() < reads && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let client = reqwest::Client::new();
    for _ in 0..3 {
        let asked = Instant::now();
        let health = tokio::time::timeout(ANSWER_WITHIN, client.get(&healthz).send())
            .await
            .expect("/healthz answers while hostile pages are read")
            .unwrap();
        assert_eq!(health.status(), 200);
        assert!(asked.elapsed() < ANSWER_WITHIN);
    }
    tg.push(private_text(42, "en", "/help").unwrap());
    let replied = tokio::time::timeout(ANSWER_WITHIN, tg.wait_for(42, 1))
        .await
        .expect("another chat gets its /help answer while hostile pages are read");
    assert!(!replied[0].text().trim().is_empty());

    let _ = stop_checks.send(true);
    let mut outcomes = Vec::new();
    for c in checkers {
        outcomes.extend(c.await.unwrap());
    }
    // Every read of a hostile page was refused and backed off like a
    // blocked one: no price was recorded, every product counts failures.
    assert!(outcomes.len() >= HOSTILE.len(), "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| o.contains("could not be read") || o.contains("InFlight")),
        "{outcomes:?}"
    );
    assert_eq!(
        price_points::Entity::find().count(&t.app.db).await.unwrap(),
        points_before
    );
    let rows = products::Entity::find()
        .filter(products::Column::Id.is_in(ids))
        .all(&t.app.db)
        .await
        .unwrap();
    assert!(rows.iter().all(|p| p.failure_count > 0), "{rows:?}");
    assert!(rows.iter().all(|p| p.next_check_at > chrono::Utc::now()));

    let _ = stop_bot.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), bot.task).await;
    t.stop_workers().await;
}

#[tokio::test]
async fn check_file_refuses_a_page_over_the_fetch_cap_in_one_line() {
    let dir = pricewatch::test_support::temp_dir();
    let big = dir.join("big.html");
    let body = format!("<html>{}</html>", "x".repeat(8 * 1024 * 1024));
    std::fs::write(&big, body).unwrap();
    let out = pricewatch(&["check", "--file", big.to_str().unwrap(), "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "Cannot read {}: it is larger than 8 MiB, the most a fetch accepts.",
            big.display()
        )
    );
    assert_eq!(stdout(&out), "");
    // Exactly at the cap it is read (and found to be no product page).
    let at_cap = dir.join("at-cap.html");
    std::fs::write(&at_cap, "x".repeat(8 * 1024 * 1024)).unwrap();
    let out = pricewatch(
        &["check", "--file", at_cap.to_str().unwrap(), "--json"],
        &[],
    )
    .await;
    assert_eq!(
        stderr(&out).trim(),
        format!("{} is not an Amazon product page.", at_cap.display())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn check_file_reads_a_hostile_page_as_unreadable_not_a_crash() {
    let dir = pricewatch::test_support::temp_dir();
    let file = dir.join("deep.html");
    std::fs::write(&file, hostile::spans_in_price(50_000)).unwrap();
    let out = pricewatch(&["check", "--file", file.to_str().unwrap(), "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["page"], "error");
    assert_eq!(v["price"], Value::Null);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `$ pricewatch …` commands in the README's `check` section, with
/// the lines each prints.
fn readme_check_examples() -> Vec<(Vec<String>, Vec<String>)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## `pricewatch check`")
        .nth(1)
        .and_then(|s| s.split("```text").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("README has a `pricewatch check` section with a text block");
    let mut examples: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for line in section.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            examples.push((shell_words(command), Vec::new()));
        } else if let Some((_, printed)) = examples.last_mut()
            && !line.trim().is_empty()
        {
            printed.push(line.to_string());
        }
    }
    examples
}

/// Splits a command line as a shell would (whitespace, double quotes).
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether `got` is what the README shows: equal, or starting with the
/// part before a `…` where the README cuts a long title.
fn shows(readme: &str, got: &str) -> bool {
    match readme.split_once('…') {
        Some((start, _)) => got.starts_with(start.trim_end()),
        None => readme == got,
    }
}

#[tokio::test]
async fn the_readme_check_examples_run_as_written() {
    let Some(dir) = corpus() else { return };
    let html = std::fs::read(dir.join("de-B01LZ79682.html")).unwrap();
    let fake = FakeAmazon::start().await;
    fake.answer(
        "B01LZ79682",
        Answer::Html(String::from_utf8_lossy(&html).into_owned()),
    );
    let template = fake.template();
    let work = pricewatch::test_support::temp_dir();
    std::fs::write(work.join("page.html"), &html).unwrap();

    let examples = readme_check_examples();
    assert_eq!(examples.len(), 2, "{examples:?}");
    for (command, printed) in &examples {
        assert_eq!(command[0], "pricewatch");
        let args: Vec<&str> = command[1..].iter().map(String::as_str).collect();
        let out = pricewatch_in(
            Some(&work),
            &args,
            &[("FETCH_URL_TEMPLATE", template.as_str())],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{command:?}: {}", stderr(&out));
        let got: Vec<String> = stdout(&out)
            .replace('\u{a0}', " ")
            .lines()
            .map(str::to_string)
            .collect();
        if args.contains(&"--json") {
            let want: serde_json::Map<String, Value> = serde_json::from_str(&printed[0]).unwrap();
            let got: serde_json::Map<String, Value> = serde_json::from_str(&got[0]).unwrap();
            let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(&got), keys(&want));
            for (k, w) in &want {
                let ok = match (w, &got[k]) {
                    (Value::String(w), Value::String(g)) => shows(w, g),
                    (w, g) => w == g,
                };
                assert!(ok, "{k}: README shows {w}, the command printed {}", got[k]);
            }
        } else {
            assert_eq!(got.len(), printed.len(), "{got:#?}");
            for (w, g) in printed.iter().zip(&got) {
                assert!(shows(w, g), "README shows {w:?}, the command printed {g:?}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}
