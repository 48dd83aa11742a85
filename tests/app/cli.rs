//! `pricewatch check` as a user runs it: output, JSON and exit codes.

use std::process::Output;

use serde_json::Value;

use crate::fake_amazon::{Answer, FakeAmazon, corpus, page};

/// Runs the real binary with a clean environment plus `env`.
pub(crate) async fn pricewatch(args: &[&str], env: &[(&str, &str)]) -> Output {
    pricewatch_in(None, args, env).await
}

/// [`pricewatch`], started in `dir` when given.
pub(crate) async fn pricewatch_in(
    dir: Option<&std::path::Path>,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pricewatch"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn check_file_json_prints_exactly_the_documented_object() {
    let Some(dir) = corpus() else { return };
    let file = dir.join("de-B01LZ79682.html");
    let out = pricewatch(&["check", "--file", file.to_str().unwrap(), "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.lines().count(),
        1,
        "one JSON object on one line: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    // Exactly these keys, in this order (checked on the raw text: a parsed
    // JSON map forgets order).
    let keys = [
        "page",
        "marketplace",
        "asin",
        "title",
        "price",
        "currency",
        "list_price",
        "availability",
        "condition",
        "seller",
    ];
    assert_eq!(v.as_object().unwrap().len(), keys.len());
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} missing"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(text.starts_with("{\"page\":\"product\",\"marketplace\":\"amazon.de\","));
    assert_eq!(v["page"], "product");
    assert_eq!(v["marketplace"], "amazon.de");
    assert_eq!(v["asin"], "B01LZ79682");
    assert_eq!(v["price"], "12.99");
    assert_eq!(v["currency"], "EUR");
    assert_eq!(v["list_price"], "25.99");
    assert_eq!(v["availability"], "in_stock");
    assert_eq!(v["condition"], "new");
    assert!(
        v["title"]
            .as_str()
            .unwrap()
            .starts_with("Auto-Rückenlehnenschutz Salcar")
    );
}

#[tokio::test]
async fn check_file_json_agrees_with_expected_for_every_corpus_page() {
    let Some(dir) = corpus() else { return };
    let expected: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let mut wrong = Vec::new();
    for e in &expected {
        let file = dir.join(e["file"].as_str().unwrap());
        let out = pricewatch(&["check", "--file", file.to_str().unwrap(), "--json"], &[]).await;
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
        for k in [
            "page",
            "marketplace",
            "asin",
            "title",
            "price",
            "currency",
            "list_price",
            "availability",
            "condition",
        ] {
            if v[k] != e[k] {
                wrong.push(format!("{}: {k} = {} (expected {})", e["file"], v[k], e[k]));
            }
        }
        let want_code = match e["page"].as_str() {
            Some("product") => 0,
            Some("captcha") => 3,
            _ => 3,
        };
        if out.status.code() != Some(want_code) {
            wrong.push(format!("{}: exit {:?}", e["file"], out.status.code()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn bad_input_exits_2_with_one_sentence_and_no_connection() {
    let fake = FakeAmazon::start().await;
    let template = fake.template();
    let env = [("FETCH_URL_TEMPLATE", template.as_str())];
    for input in [
        "https://www.google.com/",
        "https://amazon.com@evil.example/dp/B002MUC0ZY",
        "https://www.amazon.com.evil.example/dp/B002MUC0ZY",
        "http://127.0.0.1/dp/B002MUC0ZY",
        "ftp://www.amazon.com/dp/B002MUC0ZY",
        "https://www.amazon.com/s?k=echo+dot",
        "not a link at all",
    ] {
        let out = pricewatch(&["check", input], &env).await;
        assert_eq!(out.status.code(), Some(2), "{input}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{input}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = pricewatch(&["check", "--file", "/nonexistent/page.html"], &env).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "Cannot read /nonexistent/page.html: no such file."
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[tokio::test]
async fn a_bad_setting_stops_with_one_sentence_naming_it() {
    let out = pricewatch(&["check", "--file", "x.html"], &[("PORT", "eighty")]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "Configuration error: PORT must be a whole number from 1 to 65535, not \"eighty\"."
    );
}

#[tokio::test]
async fn live_check_prints_the_product_as_a_person_reads_it() {
    let Some(html) = page("de-B01LZ79682.html") else {
        return;
    };
    let fake = FakeAmazon::start().await;
    fake.answer("B01LZ79682", Answer::Html(html));
    let template = fake.template();
    let env = [("FETCH_URL_TEMPLATE", template.as_str())];
    let url =
        "https://www.amazon.de/Auto-R%C3%BCckenlehnenschutz/dp/B01LZ79682/ref=sr_1_1?tag=x-21&th=1";
    let out = pricewatch(&["check", url], &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Price:         12,99\u{a0}€"), "{text}");
    assert!(text.contains("List price:    25,99\u{a0}€"), "{text}");
    assert!(text.contains("Availability:  in stock"), "{text}");
    assert!(text.contains("Condition:     new"), "{text}");
    assert!(
        text.contains("https://www.amazon.de/dp/B01LZ79682"),
        "{text}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn live_exit_codes_say_blocked_and_gone() {
    let Some(captcha) = page("com-captcha-2019.html") else {
        return;
    };
    let fake = FakeAmazon::start().await;
    fake.answer("B07G2L3JMM", Answer::Html(captcha));
    fake.answer("B0057OC5O8", Answer::Status(404, "gone".into()));
    fake.answer("B0BRZXRBZL", Answer::Status(500, "oops".into()));
    let template = fake.template();
    let env = [("FETCH_URL_TEMPLATE", template.as_str())];
    let out = pricewatch(
        &["check", "https://www.amazon.com/dp/B07G2L3JMM", "--json"],
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["page"], "captcha");
    assert_eq!(v["price"], Value::Null);
    let out = pricewatch(&["check", "https://amazon.com/dp/B0057OC5O8"], &env).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let out = pricewatch(&["check", "https://amazon.com/dp/B0BRZXRBZL"], &env).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// Issue 13, item 3: a file that is not an Amazon page, or the page of
/// another product than the link names, is bad input with a sentence saying so.
#[tokio::test]
async fn check_file_says_what_is_wrong_with_the_file() {
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let out = pricewatch(&["check", "--file", readme], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!("{readme} is not an Amazon product page.")
    );
    let Some(dir) = corpus() else { return };
    let file = dir.join("de-B01LZ79682.html");
    let file = file.to_str().unwrap();
    let out = pricewatch(
        &[
            "check",
            "--file",
            file,
            "https://www.amazon.de/dp/B0743DGBT8",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "{file} shows product B01LZ79682, but the link names B0743DGBT8: they are different products."
        )
    );
    // The link that names the page's own product still works.
    let out = pricewatch(
        &[
            "check",
            "--file",
            file,
            "https://www.amazon.de/dp/B01LZ79682",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Issue 13, item 8: `bench scale` works below 1,000 products, and `bench
/// render --n 0` is refused instead of printing "1 messages".
#[tokio::test]
async fn benches_take_small_sizes_and_refuse_nothing_to_measure() {
    let out = pricewatch(&["bench", "render", "--n", "0"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid value '0' for '--n <N>'"));
    let (Some(_), Some(_)) = (
        pricewatch::test_support::fresh_postgres().await,
        pricewatch::test_support::redis_url().await,
    ) else {
        return;
    };
    let Some(dir) = corpus() else { return };
    let page = dir.join("de-B01LZ79682.html");
    let out = pricewatch(
        &[
            "bench",
            "scale",
            "--products",
            "20",
            "--watches",
            "100",
            "--fanout",
            "10",
            "--checks",
            "10",
            "--page",
            page.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("20 products, 100 watches"), "{text}");
    assert!(text.contains("bytes per price point"), "{text}");
}
