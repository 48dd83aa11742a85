//! What each fuzz target checks, one function per parser.
//!
//! Each function takes raw bytes, feeds them to one of pricewatch's input
//! parsers the way the bot meets such input, and asserts the parser's
//! invariants: it never panics, and what it accepts survives a round trip
//! (a price the bot shows reads back as the same price, a canonical link
//! names the same product, a button's callback data decodes to the same
//! action). A failed assertion is a finding.
//!
//! The `cargo fuzz` targets in `fuzz_targets/` call these functions, and the
//! bounded random-input test of the normal suite (`tests/app/random_input.rs`)
//! includes this file, so both hold the parsers to the same rules.

use chrono::{DateTime, TimeZone, Utc};
use pricewatch::amazon::extract::{ExtractHint, Page, extract, page_marketplace};
use pricewatch::amazon::url::{Link, find_links, parse as parse_link};
use pricewatch::bots::core::Action;
use pricewatch::bots::discord::render::{custom_id, parse_custom_id};
use pricewatch::domain::price::{PriceHint, parse_currency, parse_price, parse_split_price};
use pricewatch::domain::target::Target;
use pricewatch::domain::{Asin, Currency, Marketplace, Money, NumberStyle};
use pricewatch::email::address::EmailAddress;
use pricewatch::email::looks_like_code;
use pricewatch::email::token::{self, Claims, Purpose};
use pricewatch::tracking::feeds::FeedOptions;

const STYLES: [NumberStyle; 3] = [
    NumberStyle::DotDecimal,
    NumberStyle::CommaDecimal,
    NumberStyle::SpaceGroupCommaDecimal,
];

/// Telegram's limit for callback data, the tighter of the two platforms.
const CALLBACK_DATA_MAX: usize = 64;

/// The currencies the bot prices products in (every storefront's), plus a
/// three-decimal one, which reads separators differently.
fn currencies() -> Vec<Currency> {
    let mut all: Vec<Currency> = Marketplace::all().map(|m| m.currency()).collect();
    all.extend(Currency::parse("KWD"));
    all.sort();
    all.dedup();
    all
}

fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Price text as pages and shops write it (`parse_price`, `parse_currency`,
/// `parse_split_price`), under every kind of hint the page reader passes.
pub fn price_string(data: &[u8]) {
    let text = text_of(data);
    let mut hints = vec![PriceHint::default()];
    for sep in ['.', ',', '€'] {
        hints.push(PriceHint {
            decimal_separator: Some(sep),
            currency: None,
        });
    }
    for currency in [Currency::USD, Currency::EUR, Currency::JPY, Currency::INR] {
        hints.push(PriceHint {
            decimal_separator: None,
            currency: Some(currency),
        });
    }
    for hint in &hints {
        if let Some(parsed) = parse_price(&text, hint) {
            // A price the page reader accepts, shown back to a shopper in any
            // language, must read as the same amount.
            let currency = parsed.currency.or(hint.currency).unwrap_or(Currency::EUR);
            if let Some(money) = Money::from_amount(parsed.amount.normalized(), currency) {
                assert_shown_price_reads_back(money);
            }
        }
        let _ = parse_currency(&text, hint);
    }
    // Amazon's split spans: the whole part, then the fraction.
    let (whole, fraction) = text.split_once('|').unwrap_or((&text, ""));
    if let Some(amount) = parse_split_price(whole, fraction, &PriceHint::default()) {
        let fraction_digits = fraction.trim().chars().count();
        assert_eq!(
            usize::from(amount.scale()),
            fraction_digits,
            "split price {whole:?} | {fraction:?} read as {amount}"
        );
    }
}

/// `money` as the bot displays it, in each number style, parses back to it.
fn assert_shown_price_reads_back(money: Money) {
    if money.minor() < 0 {
        return;
    }
    let currency = money.currency();
    let hint = PriceHint {
        decimal_separator: None,
        currency: Some(currency),
    };
    for style in STYLES {
        let shown = money.display(style);
        let read = parse_price(&shown, &hint)
            .and_then(|p| Money::from_amount(p.amount, currency).map(|m| (m, p.currency)));
        match read {
            Some((back, named)) => {
                assert_eq!(back, money, "{shown:?} read back as {back:?}");
                assert!(
                    named.is_none_or(|c| c == currency),
                    "{shown:?} names {named:?}, not {currency}"
                );
            }
            None => panic!("the price the bot shows, {shown:?}, does not read back"),
        }
    }
}

/// What a user types as a watch's target (`Target::parse`), for a product
/// in each storefront currency.
pub fn target(data: &[u8]) {
    let text = text_of(data);
    let reference = data.iter().fold(0i64, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(i64::from(*b))
    });
    for currency in currencies() {
        let parsed = Target::parse(&text, currency);
        match &parsed {
            Ok(Target::Price(money)) => {
                assert_eq!(money.currency(), currency, "{text:?} in {currency}");
                assert!(money.minor() > 0, "{text:?} accepted as {money:?}");
                // The target the bot confirms, typed back, is the same target.
                let plain = money.to_decimal_string();
                assert_eq!(
                    Target::parse(&plain, currency).as_ref(),
                    Ok(&Target::Price(*money)),
                    "{text:?} -> {plain:?}"
                );
                for style in STYLES {
                    let shown = money.display(style);
                    assert_eq!(
                        Target::parse(&shown, currency).as_ref(),
                        Ok(&Target::Price(*money)),
                        "{text:?} -> shown as {shown:?}"
                    );
                }
            }
            Ok(Target::PercentBelow(p)) => {
                assert!((1..=90).contains(p), "{text:?} accepted as -{p}%");
                let again = format!("-{p}%");
                assert_eq!(Target::parse(&again, currency), parsed, "{text:?}");
                let at = reference.unsigned_abs().min(i64::MAX as u64) as i64;
                let resolved = parsed
                    .as_ref()
                    .ok()
                    .and_then(|t| t.resolve(Some(Money::from_minor(at, currency))));
                assert!(
                    resolved.is_some_and(|r| (0..=at).contains(&r)),
                    "-{p}% of {at} resolved to {resolved:?}"
                );
            }
            Ok(Target::AnyDrop) => {}
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

/// A pasted link (`amazon::url::parse`), links found in a chat message
/// (`find_links`) and a bare ASIN (`Asin::parse`).
pub fn url(data: &[u8]) {
    let text = text_of(data);
    check_link(&text);
    let found = find_links(&text);
    for (i, link) in found.iter().enumerate() {
        assert!(!link.is_empty(), "an empty link in {text:?}");
        assert!(text.contains(link.as_str()), "{link:?} is not in {text:?}");
        assert!(!found[..i].contains(link), "{link:?} found twice");
        check_link(link);
    }
    if let Some(asin) = Asin::parse(&text) {
        assert_eq!(Asin::parse(asin.as_str()), Some(asin));
        assert!(asin.as_str().eq_ignore_ascii_case(&text));
    }
}

fn check_link(text: &str) {
    match parse_link(text) {
        Ok(Link::Product(product)) => {
            let canonical = product.canonical_url();
            assert!(!canonical.contains(['?', '#']), "{canonical}");
            assert_eq!(
                parse_link(&canonical),
                Ok(Link::Product(product)),
                "{text:?} -> {canonical}"
            );
        }
        Ok(Link::ShortLink(short)) => {
            assert_eq!(short.scheme(), "https", "{text:?} -> {short}");
            assert!(short.fragment().is_none(), "{text:?} -> {short}");
            assert!(short.username().is_empty() && short.password().is_none());
            // Read again, it is the same short link. Only the host and path
            // name it: a query may lose trailing chat punctuation once more
            // ("?x=a." read from "?x=a.#top" ends in a dot).
            match parse_link(short.as_str()) {
                Ok(Link::ShortLink(again)) => {
                    assert_eq!(
                        (again.host_str(), again.path()),
                        (short.host_str(), short.path()),
                        "{text:?}"
                    );
                }
                other => panic!("{text:?} -> {short} -> {other:?}"),
            }
        }
        Err(e) => {
            // Every refusal is a reply the bot sends as it is: no link in it.
            let reply = e.to_string();
            assert!(!reply.is_empty() && !reply.contains("://"), "{reply}");
        }
    }
}

/// A fetched page (`amazon::extract::extract`, `page_marketplace`), read
/// with no hint and with the hint a check passes.
pub fn page(data: &[u8]) {
    let html = text_of(data);
    let asin = Asin::parse("B000000042");
    let hints = [
        ExtractHint::default(),
        ExtractHint {
            marketplace: Marketplace::from_tld("de"),
            asin,
        },
    ];
    for hint in hints {
        if let Page::Product(p) = extract(&html, &hint) {
            assert!(!p.title.trim().is_empty(), "a product without a title");
            if let Some(m) = hint.marketplace {
                assert_eq!(p.marketplace, m);
            }
            if let Some(a) = hint.asin {
                assert_eq!(p.asin, a);
            }
            let currency = p.marketplace.currency();
            for money in [p.price, p.list_price].into_iter().flatten() {
                assert_eq!(money.currency(), currency, "{money:?} on {}", p.marketplace);
                assert!(money.minor() >= 0, "a negative price {money:?}");
            }
        }
    }
    let _ = page_marketplace(&html);
}

/// What a user sends or clicks for email alerts: an address
/// (`EmailAddress::parse`), a six-digit code, and the signed token of a
/// verify or unsubscribe link (`email::token::verify`).
pub fn email(data: &[u8]) {
    let text = text_of(data);
    if let Some(address) = EmailAddress::parse(&text) {
        let s = address.as_str();
        assert!(s.len() <= 254, "{s}");
        assert_eq!(s.matches('@').count(), 1, "{s}");
        assert!(
            !s.contains(|c: char| c.is_whitespace()
                || c.is_control()
                || matches!(c, ',' | ';' | '<' | '>' | '"' | '(' | ')')),
            "{s:?} could carry a second recipient or a header"
        );
        assert_eq!(EmailAddress::parse(s), Some(address.clone()), "{text:?}");
    }
    if looks_like_code(&text) {
        let code = text.trim();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    }

    let secret = b"fuzzing-secret-that-is-long-enough";
    let now = at(1_800_000_000);
    for purpose in [Purpose::Verify, Purpose::Unsubscribe] {
        // Nobody forges our signature by chance.
        assert!(
            token::verify(secret, &text, purpose, now).is_err(),
            "{text:?}"
        );
    }

    // A token we sign verifies to its claims, and any edit to it is refused.
    let seed = data.iter().fold(0u64, |acc, b| {
        acc.wrapping_mul(1_099_511_628_211)
            .wrapping_add(u64::from(*b))
    });
    let claims = Claims {
        purpose: if seed % 2 == 0 {
            Purpose::Verify
        } else {
            Purpose::Unsubscribe
        },
        user_id: seed as i64,
        subject: text.chars().filter(|c| *c != '.').take(40).collect(),
        expires: now.timestamp() + 1 + (seed % 1_000_000) as i64,
    };
    let signed = token::sign(secret, &claims);
    assert_eq!(
        token::verify(secret, &signed, claims.purpose, now),
        Ok(claims.clone())
    );
    let other = match claims.purpose {
        Purpose::Verify => Purpose::Unsubscribe,
        Purpose::Unsubscribe => Purpose::Verify,
    };
    assert!(token::verify(secret, &signed, other, now).is_err());
    assert!(token::verify(secret, &signed, claims.purpose, at(claims.expires)).is_err());
    if !signed.is_empty() {
        let i = (seed as usize) % signed.len();
        let mut edited: Vec<u8> = signed.clone().into_bytes();
        edited[i] = if edited[i] == b'A' { b'B' } else { b'A' };
        let edited = String::from_utf8_lossy(&edited);
        assert!(
            token::verify(secret, &edited, claims.purpose, now).is_err(),
            "{signed} edited to {edited} still verifies"
        );
    }
    let hash = token::code_hash(secret, claims.user_id, &text);
    assert!(token::same_hash(&hash, &hash));
    assert!(!token::same_hash(&hash, &text));
}

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).single().unwrap_or_default()
}

/// A Discord interaction as the endpoint receives it (serenity's
/// `Interaction` from JSON), the options and inputs we read from it, and a
/// button's `custom_id`.
pub fn discord(data: &[u8]) {
    use serenity::all::{ActionRowComponent, CommandDataOptionValue, Interaction};
    if let Ok(interaction) = pricewatch::bots::discord::decode::interaction(data) {
        match interaction {
            Interaction::Command(c) | Interaction::Autocomplete(c) => {
                let mut options: Vec<_> = c.data.options.iter().collect();
                while let Some(o) = options.pop() {
                    match &o.value {
                        CommandDataOptionValue::String(s) => typed_text(s),
                        CommandDataOptionValue::Autocomplete { value, .. } => typed_text(value),
                        CommandDataOptionValue::SubCommand(inner)
                        | CommandDataOptionValue::SubCommandGroup(inner) => {
                            options.extend(inner.iter());
                        }
                        _ => {}
                    }
                }
            }
            Interaction::Component(c) => check_custom_id(&c.data.custom_id),
            Interaction::Modal(m) => {
                check_custom_id(&m.data.custom_id);
                for row in &m.data.components {
                    for component in &row.components {
                        if let ActionRowComponent::InputText(input) = component {
                            typed_text(input.value.as_deref().unwrap_or_default());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    check_custom_id(&text_of(data));
}

/// A button's `custom_id` or callback data, as a forger might write it.
fn check_custom_id(id: &str) {
    if let Some((action, user)) = parse_custom_id(id) {
        assert!(!user.is_empty() && user.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(
            parse_custom_id(&custom_id(&action, &user)),
            Some((action, user))
        );
    }
    for data in [id, id.rsplit_once('|').map_or(id, |(a, _)| a)] {
        if let Some(action) = Action::decode(data) {
            let encoded = action.encode();
            assert!(encoded.len() <= CALLBACK_DATA_MAX, "{encoded}");
            assert_eq!(Action::decode(&encoded), Some(action), "{data:?}");
        }
    }
}

/// Free text a user types into a command or form: a link, a target, feed
/// options.
fn typed_text(text: &str) {
    check_link(text);
    for link in find_links(text) {
        check_link(&link);
    }
    for currency in [Currency::EUR, Currency::JPY] {
        let _ = Target::parse(text, currency);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if let Ok(options) = FeedOptions::parse(&words) {
        assert!((1..=90).contains(&options.min_drop_pct), "{text:?}");
        assert!(
            options.digest_hours.is_none_or(|h| (1..=168).contains(&h)),
            "{text:?}"
        );
        for market in &options.markets {
            assert!(Marketplace::from_name(market).is_some(), "{market}");
        }
    }
}

/// A Telegram update as polling or the webhook delivers it (teloxide's
/// `Update` from JSON), the text and links we read from its message, and
/// the callback data of a button press.
pub fn telegram(data: &[u8]) {
    use teloxide::types::{MessageEntityKind, UpdateKind};
    if let Ok(update) = serde_json::from_slice::<teloxide::types::Update>(data) {
        let message = match &update.kind {
            UpdateKind::Message(m)
            | UpdateKind::EditedMessage(m)
            | UpdateKind::ChannelPost(m)
            | UpdateKind::EditedChannelPost(m) => Some(m),
            UpdateKind::CallbackQuery(q) => {
                if let Some(d) = q.data.as_deref() {
                    check_custom_id(d);
                }
                q.regular_message()
            }
            _ => None,
        };
        if let Some(m) = message {
            let text = m.text().or(m.caption()).unwrap_or_default();
            typed_text(text);
            if let Some(args) = text.strip_prefix('/').and_then(|c| c.split_once(' ')) {
                typed_text(args.1);
            }
            let entities = m.entities().or(m.caption_entities()).unwrap_or_default();
            for e in entities {
                if let MessageEntityKind::TextLink { url } = &e.kind {
                    check_link(url.as_str());
                }
            }
            if let Some(markup) = m.reply_markup() {
                for button in markup.inline_keyboard.iter().flatten() {
                    if let teloxide::types::InlineKeyboardButtonKind::CallbackData(d) = &button.kind
                    {
                        check_custom_id(d);
                    }
                }
            }
        }
    }
    check_custom_id(&text_of(data));
}
