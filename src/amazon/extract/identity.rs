//! Which product a page shows and where: storefront, selected ASIN, title and
//! image. Every answer prefers machine-readable markup (link targets, hidden
//! inputs, marketplace ids) over words, so it holds in every UI language.

use scraper::{ElementRef, Html};
use url::Url;

use super::dom::{self, Dom};
use crate::domain::{Asin, Marketplace};

/// Amazon's marketplace ids (`ue_mid`, `obfuscatedMarketplaceId`,
/// `"marketplaceId"` in page JSON) and the storefront each one is.
const MARKETPLACE_IDS: &[(&str, &str)] = &[
    ("ATVPDKIKX0DER", "com"),
    ("A2EUQ1WTGCTBG2", "ca"),
    ("A1AM78C64UM0Y8", "com.mx"),
    ("A2Q3Y263D00KWC", "com.br"),
    ("A1F83G8C2ARO7P", "co.uk"),
    ("A1PA6795UKMFR9", "de"),
    ("A13V1IB3VIYZZH", "fr"),
    ("APJ6JRA9NG5V4", "it"),
    ("A1RKKUPIHCS9HS", "es"),
    ("A1805IZSGTT6HS", "nl"),
    ("A2NODRKZP88ZB9", "se"),
    ("A1C3SOZRARQ6R3", "pl"),
    ("AMEN7PMS3EDWL", "com.be"),
    ("A33AVAJ2PDY3EV", "com.tr"),
    ("A28R8C7NBKEWEA", "ie"),
    ("A1VC38T7YXB528", "co.jp"),
    ("A21TJRUUN4KGV", "in"),
    ("A39IBJ37TRP1C6", "com.au"),
    ("A19VAU5U5O7RUS", "sg"),
    ("A2VIGQ35RCS4UG", "ae"),
    ("A17E79C6D8DWNP", "sa"),
    ("ARBP9OOSHTCHU", "eg"),
];

/// Country codes as Amazon writes them in locales (`en_GB`), body classes
/// (`a-m-de`) and error-page image paths, and the storefront each one is.
const COUNTRIES: &[(&str, &str)] = &[
    ("us", "com"),
    ("gb", "co.uk"),
    ("uk", "co.uk"),
    ("de", "de"),
    ("fr", "fr"),
    ("it", "it"),
    ("es", "es"),
    ("nl", "nl"),
    ("se", "se"),
    ("pl", "pl"),
    ("be", "com.be"),
    ("tr", "com.tr"),
    ("ie", "ie"),
    ("ca", "ca"),
    ("mx", "com.mx"),
    ("br", "com.br"),
    ("jp", "co.jp"),
    ("in", "in"),
    ("au", "com.au"),
    ("sg", "sg"),
    ("ae", "ae"),
    ("sa", "sa"),
    ("eg", "eg"),
];

/// The storefront the page belongs to, from the strongest signal present:
/// its own URL (canonical link, `og:url`), then the marketplace id Amazon
/// embeds for its metrics, then the server name, then locale hints.
pub(super) fn marketplace(dom: &Dom<'_>, html: &str) -> Option<Marketplace> {
    let from_url = |u: &str| {
        Url::parse(u)
            .ok()?
            .host_str()
            .and_then(Marketplace::from_host)
    };
    dom.link("canonical")
        .and_then(from_url)
        .or_else(|| dom.meta("og:url").and_then(from_url))
        .or_else(|| {
            script_value(
                html,
                &["ue_mid", "obfuscatedMarketplaceId"],
                by_marketplace_id,
            )
        })
        .or_else(|| {
            script_value(
                html,
                &["\"marketplaceId\"", "\"obfuscatedMarketplaceId\""],
                by_marketplace_id,
            )
        })
        .or_else(|| script_value(html, &["ue_sn"], Marketplace::from_host))
        .or_else(|| body_class_country(dom))
        .or_else(|| locale_country(dom))
}

/// The storefront most of the page's absolute links go to: captcha pages
/// carry no marketplace id but link their footer to their own storefront.
/// Only for pages without a product (product pages link other storefronts
/// in their footers, and say which one they are more directly).
pub(super) fn linked_storefront(doc: &Html) -> Option<Marketplace> {
    let mut counts: Vec<(Marketplace, usize)> = Vec::new();
    let links = dom::descendants(doc.root_element())
        .filter(|e| e.value().name() == "a")
        .filter_map(|a| a.value().attr("href"))
        .filter_map(|href| {
            Url::parse(href)
                .ok()?
                .host_str()
                .and_then(Marketplace::from_host)
        });
    for m in links {
        match counts.iter_mut().find(|(c, _)| *c == m) {
            Some((_, n)) => *n += 1,
            None => counts.push((m, 1)),
        }
    }
    // `max_by_key` keeps the last of equals; the first seen should win ties.
    counts.iter().rev().max_by_key(|(_, n)| *n).map(|(m, _)| *m)
}

fn by_marketplace_id(id: &str) -> Option<Marketplace> {
    MARKETPLACE_IDS
        .iter()
        .find(|(mid, _)| *mid == id)
        .and_then(|(_, tld)| Marketplace::from_tld(tld))
}

fn by_country(code: &str) -> Option<Marketplace> {
    COUNTRIES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .and_then(|(_, tld)| Marketplace::from_tld(tld))
}

/// Reads `key = 'VALUE'`, `key: "VALUE"` or `key='VALUE'` out of inline
/// scripts, trying each occurrence (`ue_mid||"mid"` is not an assignment).
/// A plain byte search: these values live in script text, which the DOM
/// only offers as one opaque string per script.
fn script_value<T>(html: &str, keys: &[&str], read: impl Fn(&str) -> Option<T>) -> Option<T> {
    for key in keys {
        let mut rest = html;
        while let Some(at) = rest.find(key) {
            rest = &rest[at + key.len()..];
            let value = rest
                .trim_start_matches([' ', '\t'])
                .strip_prefix(['=', ':'])
                .map(|v| v.trim_start_matches([' ', '\t']))
                .and_then(|v| {
                    let quote = v.chars().next().filter(|q| *q == '\'' || *q == '"')?;
                    let v = &v[1..];
                    v.find(quote).map(|end| &v[..end])
                });
            if let Some(found) = value.filter(|v| v.len() < 64).and_then(&read) {
                return Some(found);
            }
        }
    }
    None
}

/// `<body class="a-m-de …">`: AUI names the storefront's country.
fn body_class_country(dom: &Dom<'_>) -> Option<Marketplace> {
    let classes = dom.body?.value().attr("class")?;
    classes
        .split_ascii_whitespace()
        .find_map(|c| c.strip_prefix("a-m-").and_then(by_country))
}

/// A locale such as `de_DE` in the product container's class or in an image
/// path (error pages: `…/error/en_US/500_503…`). Weakest signal: a page
/// shown in another language than the storefront's names that language's
/// country, so this is only a last resort.
fn locale_country(dom: &Dom<'_>) -> Option<Marketplace> {
    let from_classes = dom
        .ids("dp")
        .iter()
        .filter_map(|e| e.value().attr("class"))
        .flat_map(str::split_ascii_whitespace)
        .find_map(locale_to_marketplace);
    from_classes.or_else(|| {
        dom.images
            .iter()
            .filter_map(|i| i.value().attr("src"))
            .filter(|src| src.contains(dom::ERROR_IMAGES))
            .flat_map(|src| src.split('/'))
            .find_map(locale_to_marketplace)
    })
}

fn locale_to_marketplace(token: &str) -> Option<Marketplace> {
    let b = token.as_bytes();
    let is_locale = b.len() == 5
        && b[2] == b'_'
        && b[..2].iter().all(u8::is_ascii_lowercase)
        && b[3..].iter().all(u8::is_ascii_uppercase);
    if is_locale {
        by_country(&token[3..])
    } else {
        None
    }
}

/// The ASIN of the product the page offers for sale: the buy box's hidden
/// inputs name the selected variation (child), which is what a shopper
/// buys; the canonical URL names the parent on variation pages, so it comes
/// last.
pub(super) fn asin(dom: &Dom<'_>) -> Option<Asin> {
    let value = |e: &ElementRef<'_>| e.value().attr("value").and_then(Asin::parse);
    let in_buy_form = |e: &&ElementRef<'_>| {
        dom::self_and_ancestors(**e).any(|a| {
            a.value().name() == "form"
                && a.value()
                    .id()
                    .is_some_and(|id| dom::BUY_FORMS.contains(&id))
        })
    };
    dom.ids("ASIN")
        .iter()
        .filter(|e| e.value().name() == "input")
        .find_map(value)
        .or_else(|| {
            dom::ASIN_INPUTS.iter().find_map(|n| {
                dom.asin_inputs(n)
                    .iter()
                    .filter(in_buy_form)
                    .find_map(value)
            })
        })
        .or_else(|| {
            ["ftSelectAsin", "ddmSelectAsin"]
                .iter()
                .find_map(|id| dom.ids(id).iter().find_map(value))
        })
        .or_else(|| dom.link("canonical").and_then(asin_in_url))
        .or_else(|| dom.meta("og:url").and_then(asin_in_url))
}

/// The ASIN in a product URL path: `/dp/X`, `/gp/product/X`, `/gp/aw/d/X`.
fn asin_in_url(url: &str) -> Option<Asin> {
    let path = Url::parse(url).ok()?.path().to_string();
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    while let Some(p) = parts.next() {
        if matches!(p, "dp" | "product" | "d")
            && let Some(asin) = parts.clone().next().and_then(Asin::parse)
        {
            return Some(asin);
        }
    }
    None
}

/// The product title as shown above the price, whitespace collapsed.
pub(super) fn title(dom: &Dom<'_>) -> Option<String> {
    // `#productTitle` is also the id of a hidden <input> on newer pages.
    [
        "productTitle",
        "ebooksProductTitle",
        "ebooksTitle",
        "btAsinTitle",
        "title",
    ]
    .iter()
    .flat_map(|id| dom.ids(id))
    .filter(|e| !matches!(e.value().name(), "input" | "title" | "meta"))
    .map(|e| dom::text(*e))
    .find(|t| !t.is_empty())
}

/// The main product image, preferring the high-resolution one.
pub(super) fn image(dom: &Dom<'_>) -> Option<String> {
    let web =
        |s: &str| (s.starts_with("https://") || s.starts_with("http://")).then(|| s.to_string());
    [
        "landingImage",
        "imgBlkFront",
        "ebooksImgBlkFront",
        "main-image",
        "imgTagWrapperId",
    ]
    .iter()
    .flat_map(|id| dom.ids(id))
    .find_map(|e| {
        let e = e.value();
        e.attr("data-old-hires")
            .and_then(web)
            .or_else(|| {
                e.attr("data-a-dynamic-image")
                    .and_then(largest_dynamic_image)
            })
            .or_else(|| e.attr("src").and_then(web))
    })
    .or_else(|| dom.meta("og:image").and_then(web))
}

/// `data-a-dynamic-image` maps image URLs to `[width, height]`.
fn largest_dynamic_image(json: &str) -> Option<String> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json).ok()?;
    map.into_iter()
        .filter(|(url, _)| url.starts_with("http"))
        .max_by_key(|(_, size)| size.get(0).and_then(serde_json::Value::as_u64).unwrap_or(0))
        .map(|(url, _)| url)
}
