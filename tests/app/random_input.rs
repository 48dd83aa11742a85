//! Bounded random input for every parser, in the normal suite: a seeded
//! mutator turns the shared corpus (price strings, Amazon links, Telegram
//! updates, Discord interactions, Amazon pages) into a fixed number of
//! hostile variants and feeds them to the same checks the `cargo fuzz`
//! targets run (`fuzz/src/lib.rs`). Deterministic: the same seed gives the
//! same inputs, so a failure here reproduces. `PRICEWATCH_RANDOM_SEED` and
//! `PRICEWATCH_RANDOM_ROUNDS` (a multiplier) explore further by hand.

#[path = "../../fuzz/src/lib.rs"]
mod checks;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use pricewatch::amazon::extract::{ExtractHint, Page, extract};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use pricewatch::test_support::fixtures_dir;

/// Tokens that steer mutations towards what each parser decides on.
const PRICE_WORDS: &[&str] = &[
    "€", "$", "£", "¥", "₹", "US$", "CDN$", "EUR", "kr", "zł", ",", ".", "'", " ", "\u{a0}",
    "\u{202f}", "-", "−", "%", "％", "１", "٣", "0", "999", ",-", "Free", "1.234,56", "1,234.56",
    "|",
];
const URL_WORDS: &[&str] = &[
    "https://",
    "http://",
    "www.amazon.",
    "amazon.co.jp",
    "amzn.to/",
    "a.co/d/",
    "/dp/",
    "/gp/",
    "product/",
    "B0",
    "0575090677",
    "?tag=",
    "#",
    "@",
    ":8080",
    "%2F",
    "%",
    "//",
    "..",
    "\n",
    "xn--",
    "[::1]",
    "127.0.0.1",
    " ",
    "<",
    ">",
];
const JSON_WORDS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "0",
    "-1",
    "1e400",
    "18446744073709551616",
    "\"text\":\"/track https://amzn.eu/d/x 19,99\"",
    "\"data\":\"s:1:5\"",
    "\"custom_id\":",
    "\"type\":",
    "\\u0000",
    "\\ud800",
    "|c",
    "|0",
];
const HTML_WORDS: &[&str] = &[
    "<span>",
    "</span>",
    "<div>",
    "</div>",
    "<table>",
    "<!--",
    "-->",
    "<script>",
    "<![CDATA[",
    "&nbsp;",
    "&#x20AC;",
    "<span class=\"a-price-whole\">",
    "<span class=\"a-offscreen\">",
    "id=\"productTitle\"",
    "id=\"ASIN\" value=\"",
    "\0",
];
const EMAIL_WORDS: &[&str] = &[
    "@", ".", "mailto:", "<", ">", "\r\n", ",", ";", "\"", "..", "-", "xn--", "123456", " ",
];

/// Rounds per parser, before `PRICEWATCH_RANDOM_ROUNDS` scales them; sized
/// for a few seconds each in a debug build (a price string is read under
/// eight hints and shown back in three styles, a target in every currency).
const PRICE_ROUNDS: usize = 250;
const TARGET_ROUNDS: usize = 200;
const STRING_ROUNDS: usize = 4_000;
const JSON_ROUNDS: usize = 1_500;
const PAGE_ROUNDS: usize = 800;

fn seed() -> u64 {
    std::env::var("PRICEWATCH_RANDOM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7072_6963_6577)
}

fn rounds(base: usize) -> usize {
    let scale = std::env::var("PRICEWATCH_RANDOM_ROUNDS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1);
    base * scale
}

/// Mutates corpus entries the way a fuzzer does: flips, inserts, deletes,
/// repeats and splices bytes, and drops in tokens the parser cares about.
struct Mutator {
    rng: StdRng,
    corpus: Vec<Vec<u8>>,
    words: &'static [&'static str],
}

impl Mutator {
    fn new(name: &str, corpus: Vec<Vec<u8>>, words: &'static [&'static str]) -> Mutator {
        assert!(!corpus.is_empty(), "no corpus for {name}");
        let salt = name
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        Mutator {
            rng: StdRng::seed_from_u64(seed() ^ salt),
            corpus,
            words,
        }
    }

    fn next(&mut self) -> Vec<u8> {
        let pick = self.rng.random_range(0..self.corpus.len());
        let mut input = self.corpus[pick].clone();
        for _ in 0..self.rng.random_range(1..=4) {
            self.mutate(&mut input);
        }
        input
    }

    fn mutate(&mut self, input: &mut Vec<u8>) {
        let at = self.rng.random_range(0..=input.len());
        match self.rng.random_range(0..7) {
            0 if !input.is_empty() => {
                let i = at.min(input.len() - 1);
                input[i] = self.rng.random();
            }
            1 | 2 => {
                let word = self.words[self.rng.random_range(0..self.words.len())];
                let times = if self.rng.random_ratio(1, 8) {
                    self.rng.random_range(2..64)
                } else {
                    1
                };
                let insert = word.repeat(times).into_bytes();
                input.splice(at..at, insert);
            }
            3 => {
                let end = self.rng.random_range(at..=input.len().min(at + 16));
                input.drain(at..end);
            }
            4 => {
                let end = self.rng.random_range(at..=input.len().min(at + 32));
                let chunk = input[at..end].to_vec();
                input.splice(end..end, chunk);
            }
            5 => {
                let other = &self.corpus[self.rng.random_range(0..self.corpus.len())];
                let from = self.rng.random_range(0..=other.len());
                input.truncate(at);
                input.extend_from_slice(&other[from..]);
            }
            _ => {
                let digits: String = (0..self.rng.random_range(1..24))
                    .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
                    .collect();
                input.splice(at..at, digits.into_bytes());
            }
        }
    }
}

/// Feeds `rounds` mutated inputs to `check`; a failure names the input.
fn run(name: &str, check: fn(&[u8]), mut mutator: Mutator, rounds: usize) {
    for _ in 0..rounds {
        let input = mutator.next();
        exercise(name, check, &input);
    }
}

fn exercise(name: &str, check: fn(&[u8]), input: &[u8]) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(input))) {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let shown: String = String::from_utf8_lossy(input).chars().take(2_000).collect();
        panic!("the {name} parser failed on {shown:?}: {why}");
    }
}

fn json_array_field(fixtures: &Path, file: &str, field: &str) -> Vec<Vec<u8>> {
    let text = read(&fixtures.join(file));
    let rows: serde_json::Value = serde_json::from_slice(&text).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r[field].as_str())
        .map(|s| s.as_bytes().to_vec())
        .collect()
}

fn json_files(fixtures: &Path, dir: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures.join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files.iter().map(|p| read(p)).collect()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn product_seed() -> Vec<u8> {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/product.html"))
}

fn with_words(mut corpus: Vec<Vec<u8>>, words: &[&str]) -> Vec<Vec<u8>> {
    corpus.extend(words.iter().map(|w| w.as_bytes().to_vec()));
    corpus
}

#[test]
fn price_strings_survive_random_input() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    let corpus = json_array_field(&fixtures, "price-strings.json", "input");
    assert!(corpus.len() > 100, "the price corpus is missing");
    let m = Mutator::new("price", corpus, PRICE_WORDS);
    run("price", checks::price_string, m, rounds(PRICE_ROUNDS));
}

#[test]
fn targets_survive_random_input() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    let corpus = with_words(
        json_array_field(&fixtures, "price-strings.json", "input"),
        &[
            "19.99",
            "19,99 €",
            "-15%",
            "any drop",
            "1.234,56",
            "¥1,234",
            "１５％",
            "19,-",
        ],
    );
    let m = Mutator::new("target", corpus, PRICE_WORDS);
    run("target", checks::target, m, rounds(TARGET_ROUNDS));
}

#[test]
fn links_survive_random_input() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    let corpus = json_array_field(&fixtures, "amazon-urls.json", "url");
    assert!(corpus.len() > 50, "the URL corpus is missing");
    let m = Mutator::new("url", corpus, URL_WORDS);
    run("URL", checks::url, m, rounds(STRING_ROUNDS));
}

#[test]
fn email_input_survives_random_input() {
    let token = pricewatch::email::token::sign(
        b"another secret",
        &pricewatch::email::token::Claims {
            purpose: pricewatch::email::token::Purpose::Verify,
            user_id: 42,
            subject: "7".into(),
            expires: 2_000_000_000,
        },
    );
    let corpus = with_words(
        Vec::new(),
        &[
            "ada@example.org",
            " mailto:<Ada.Lovelace+alerts@Example.CO.UK> ",
            "a@b",
            "x@-bad-.com",
            "123456",
            " 654321 ",
            &token,
        ],
    );
    let m = Mutator::new("email", corpus, EMAIL_WORDS);
    run("email", checks::email, m, rounds(STRING_ROUNDS / 2));
}

#[test]
fn discord_interactions_survive_random_input() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    let corpus = with_words(
        json_files(&fixtures, "discord"),
        &["s:42:5|506759329068613643", "x:7|1|c", "g:de|0", "l:9999|1"],
    );
    let m = Mutator::new("discord", corpus, JSON_WORDS);
    run("Discord", checks::discord, m, rounds(JSON_ROUNDS));
}

#[test]
fn telegram_updates_survive_random_input() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    let corpus = with_words(
        json_files(&fixtures, "telegram"),
        &["s:42:c", "h:1", "o:g", "g:?"],
    );
    assert!(corpus.len() > 20, "the Telegram corpus is missing");
    let m = Mutator::new("telegram", corpus, JSON_WORDS);
    run("Telegram", checks::telegram, m, rounds(JSON_ROUNDS));
}

#[test]
fn pages_survive_random_input() {
    let Some(fixtures) = fixtures_dir() else {
        return;
    };
    // The seed must read as a product, or the mutations would never reach
    // the price and offer code.
    let seed = String::from_utf8(product_seed()).unwrap();
    match extract(&seed, &ExtractHint::default()) {
        Page::Product(p) => {
            assert_eq!(
                p.price.map(|m| m.to_decimal_string()).as_deref(),
                Some("24.99")
            );
            assert_eq!(
                p.list_price.map(|m| m.to_decimal_string()).as_deref(),
                Some("39.90")
            );
        }
        other => panic!("the seed page reads as {other:?}"),
    }
    let amazon = fixtures.join("amazon");
    let corpus = vec![
        seed.into_bytes(),
        read(&amazon.join("com-503-dogs-of-amazon.html")),
        read(&amazon.join("com-captcha-2019.html")),
    ];
    let m = Mutator::new("page", corpus, HTML_WORDS);
    run("page", checks::page, m, rounds(PAGE_ROUNDS));
}

/// Set in the child process that reads one deeply nested page.
const NESTING_CASE: &str = "PRICEWATCH_NESTING_CASE";

/// Pages built to exhaust a recursive reader: tens of thousands of nested
/// elements inside the price, the title, and the body.
fn nested_page(case: &str) -> Option<String> {
    let seed = String::from_utf8(product_seed()).ok()?;
    let (anchor, tag, depth) = match case {
        "price-spans" => ("<span class=\"a-offscreen\">", "span", 50_000),
        "title-bold" => ("<span id=\"productTitle\">", "b", 20_000),
        "body-divs" => ("<div id=\"ppd\">", "div", 100_000),
        _ => return None,
    };
    let open = format!("<{tag}>").repeat(depth);
    let close = format!("</{tag}>").repeat(depth);
    let at = seed.find(anchor)? + anchor.len();
    Some(format!("{}{open}1{close}{}", &seed[..at], &seed[at..]))
}

/// A stack overflow aborts the whole process, so each page is read in a
/// child copy of this test binary, on a thread with the 2 MiB stack of a
/// tokio worker; the parent reports a crash as a plain failure.
#[test]
fn pages_with_deep_nesting_do_not_crash_the_reader() {
    if let Ok(case) = std::env::var(NESTING_CASE) {
        let page = nested_page(&case).unwrap();
        let reader = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || checks::page(page.as_bytes()))
            .unwrap();
        reader.join().unwrap();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for case in ["price-spans", "title-bold", "body-divs"] {
        assert!(nested_page(case).is_some(), "{case}: the seed page changed");
        let out = std::process::Command::new(&exe)
            .args([
                "random_input::pages_with_deep_nesting_do_not_crash_the_reader",
                "--exact",
                "--nocapture",
            ])
            .env(NESTING_CASE, case)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String = stderr.lines().rev().take(5).collect::<Vec<_>>().join("\n");
        assert!(
            out.status.success(),
            "reading a page with deep nesting ({case}) crashed the reader: {:?}\n{tail}",
            out.status
        );
    }
}
