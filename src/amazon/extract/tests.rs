//! The corpus of real pages: `expected.json` says what a shopper sees on
//! each, and `extract` must agree on every field, with and without a hint.
//! The handwritten trap pages are in `traps`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test that cannot read its fixtures should fail loudly"
)]

use std::path::Path;

use serde_json::Value;

use super::*;

fn load_expected(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
    serde_json::from_str::<Vec<Value>>(&text).expect("expected.json is an array")
}

fn read_page(dir: &Path, file: &str) -> String {
    let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn availability_name(a: Availability) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn condition_name(c: Condition) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Every difference between what `extract` says and what a shopper sees.
fn mismatches(file: &str, want: &Value, html: &str, hint: &ExtractHint) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, got: Option<String>, want: Option<String>| {
        if got != want {
            out.push(format!("{file}: {field}: got {got:?}, want {want:?}"));
        }
    };
    let page = extract(html, hint);
    let kind = match &page {
        Page::Product(_) => "product",
        Page::Captcha => "captcha",
        Page::Error(_) => "error",
    };
    // An Amazon page that is no product (search results) may read as an
    // error page: neither is a price.
    let want_kind = opt_str(want, "page").map(|k| match k.as_str() {
        "not_product" => "error".to_string(),
        _ => k,
    });
    check("page", Some(kind.to_string()), want_kind);
    match page {
        Page::Product(p) => {
            check(
                "marketplace",
                Some(p.marketplace.name()),
                opt_str(want, "marketplace"),
            );
            check("asin", Some(p.asin.to_string()), opt_str(want, "asin"));
            check(
                "title",
                Some(dom::collapse(&p.title)),
                opt_str(want, "title").map(|t| dom::collapse(&t)),
            );
            check(
                "price",
                p.price.map(|m| m.to_decimal_string()),
                opt_str(want, "price"),
            );
            check(
                "currency",
                Some(p.marketplace.currency().code().to_string()),
                opt_str(want, "currency"),
            );
            if let Some(m) = p.price {
                check(
                    "price currency",
                    Some(m.currency().code().to_string()),
                    opt_str(want, "currency"),
                );
            }
            check(
                "list_price",
                p.list_price.map(|m| m.to_decimal_string()),
                opt_str(want, "list_price"),
            );
            check(
                "availability",
                Some(availability_name(p.availability)),
                opt_str(want, "availability"),
            );
            check(
                "condition",
                p.condition.map(condition_name),
                opt_str(want, "condition"),
            );
        }
        Page::Captcha | Page::Error(_) => {
            check(
                "page_marketplace",
                page_marketplace(html).map(|m| m.name()),
                opt_str(want, "marketplace"),
            );
        }
    }
    out
}

/// The corpus, and beside it `amazon-more` (layout families the main
/// corpus lacks: books `#price` buy box, new/used accordion, clip coupons,
/// a search page), each with its `expected.json`.
fn corpus_dirs() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = crate::test_support::corpus_dir().into_iter().collect();
    if !dirs.is_empty()
        && let Some(more) = crate::test_support::fixtures_dir().map(|f| f.join("amazon-more"))
        && more.join("expected.json").is_file()
    {
        dirs.push(more);
    }
    dirs
}

fn run_corpus(with_hint: bool) {
    let mut problems = Vec::new();
    let mut pages = 0;
    for dir in corpus_dirs() {
        let expected = load_expected(&dir);
        assert!(!expected.is_empty(), "expected.json lists no pages");
        pages += expected.len();
        problems.extend(mismatches_in(&dir, &expected, with_hint));
    }
    for p in &problems {
        eprintln!("MISMATCH {p}");
    }
    assert!(
        problems.is_empty(),
        "{} mismatches over {pages} pages (see above)",
        problems.len(),
    );
}

fn mismatches_in(dir: &Path, expected: &[Value], with_hint: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for want in expected {
        let file = opt_str(want, "file").expect("every entry names its file");
        let html = read_page(dir, &file);
        let hint = if with_hint {
            ExtractHint {
                marketplace: opt_str(want, "marketplace").and_then(|m| Marketplace::from_name(&m)),
                asin: opt_str(want, "asin").and_then(|a| Asin::parse(&a)),
            }
        } else {
            ExtractHint::default()
        };
        problems.extend(mismatches(&file, want, &html, &hint));
    }
    problems
}

#[test]
fn corpus_agrees_with_expected() {
    run_corpus(false);
}

#[test]
fn corpus_agrees_with_expected_given_the_hint() {
    run_corpus(true);
}

/// Parsing only the part [`trim::parse_extent`] keeps must not change what
/// is read from any page.
#[test]
fn trimming_never_changes_the_answer() {
    for dir in corpus_dirs() {
        for want in load_expected(&dir) {
            let file = opt_str(&want, "file").expect("file");
            let html = read_page(&dir, &file);
            let whole = read(&Html::parse_document(&html), &html, &ExtractHint::default());
            assert_eq!(extract(&html, &ExtractHint::default()), whole, "{file}");
        }
    }
}
