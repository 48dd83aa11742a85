//! Pure parsing: text → [`Link`], with every check that decides whether a
//! URL is an Amazon product, a short link, or something we refuse. No network.

use percent_encoding::percent_decode_str;
use url::{Host, Url};

use super::{Link, PageKind, UnsafeReason, UrlError};
use crate::domain::{Asin, Marketplace, ProductRef};

/// Longer input is not a pasted link; refusing it early bounds the work.
const MAX_INPUT: usize = 8 * 1024;

/// Amazon's own short-link hosts. These are the only hosts we ever connect to.
pub(super) const SHORT_HOSTS: &[&str] = &[
    "amzn.to",
    "amzn.eu",
    "amzn.asia",
    "a.co",
    "amzn.com",
    "amzn.in",
];
/// Real Amazon storefronts we do not track yet: they get their own answer
/// instead of "not Amazon".
const UNSUPPORTED: &[(&str, &str)] = &[("cn", "amazon.cn"), ("co.za", "amazon.co.za")];
/// Domains Amazon redirects to a storefront: `amazon.jp` is amazon.co.jp.
const TLD_ALIASES: &[(&str, &str)] = &[("jp", "co.jp")];
/// Amazon's image and asset hosts: links to pictures, never products.
const ASSET_DOMAINS: &[&str] = &[
    "media-amazon.com",
    "images-amazon.com",
    "ssl-images-amazon.com",
];

/// Parses one pasted link (surrounding whitespace, `<…>` and trailing chat
/// punctuation are tolerated; a scheme-less `amazon.de/dp/…` is read as https).
/// Never touches the network: short links come back as [`Link::ShortLink`].
/// For a whole chat message, call [`find_links`](super::find_links) first.
pub fn parse(input: &str) -> Result<Link, UrlError> {
    classify(&to_url(input)?, 0)
}

/// Text → absolute URL, without judging the host yet.
fn to_url(input: &str) -> Result<Url, UrlError> {
    let s = trim_link(input);
    // `Url::parse` silently drops tabs and newlines inside a URL; a pasted
    // link never contains them, so refuse instead of guessing.
    if s.is_empty() || s.len() > MAX_INPUT || s.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(UrlError::NotALink);
    }
    let absolute = match scheme_of(s) {
        Some(scheme)
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            s.to_string()
        }
        Some(_) => return Err(UrlError::UnsupportedScheme),
        None => {
            let rest = s.trim_start_matches('/');
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if !host.contains('.') {
                return Err(UrlError::NotALink);
            }
            format!("https://{rest}")
        }
    };
    Url::parse(&absolute).map_err(|_| UrlError::NotALink)
}

/// The scheme of `s`, if it starts with one. A dot disqualifies it, so that
/// `amazon.de:8080/…` and `www.amazon.com:443@evil.example` read as
/// scheme-less hosts (and are then refused for their port or user name).
fn scheme_of(s: &str) -> Option<&str> {
    let (head, _) = s.split_once(':')?;
    let first = head.chars().next()?;
    (first.is_ascii_alphabetic()
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-'))
    .then_some(head)
}

/// `depth` bounds how often an Amazon redirect page may wrap another URL.
pub(super) fn classify(url: &Url, depth: u8) -> Result<Link, UrlError> {
    let host = checked_host(url)?;
    match host_class(&host) {
        HostClass::Store(m) => product_on(url, m, depth),
        HostClass::Short => short_link(url, &host),
        HostClass::Unsupported(name) => Err(UrlError::UnknownMarketplace(name)),
        HostClass::AmazonOther(kind) => Err(UrlError::NotAProduct(kind)),
        HostClass::Foreign => Err(UrlError::NotAmazon),
    }
}

/// Scheme, credentials, port and host kind; returns the lower-case domain
/// without a trailing dot. `Url` has already turned IDNs into punycode and
/// decimal/hex IPv4 forms (`2130706433`) into addresses.
fn checked_host(url: &Url) -> Result<String, UrlError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::UnsupportedScheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::UnsafeLink(UnsafeReason::Credentials));
    }
    // `Url` drops a port equal to the scheme's default, so any port left is odd.
    if url.port().is_some() {
        return Err(UrlError::UnsafeLink(UnsafeReason::Port));
    }
    match url.host() {
        Some(Host::Domain(d)) => Ok(d.trim_end_matches('.').to_ascii_lowercase()),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => Err(UrlError::UnsafeLink(UnsafeReason::IpAddress)),
        None => Err(UrlError::NotALink),
    }
}

pub(super) enum HostClass {
    Store(Marketplace),
    Short,
    Unsupported(&'static str),
    AmazonOther(PageKind),
    Foreign,
}

pub(super) fn host_class(host: &str) -> HostClass {
    if SHORT_HOSTS.contains(&host) {
        return HostClass::Short;
    }
    if ASSET_DOMAINS.iter().any(|d| is_domain_or_sub(host, d)) {
        return HostClass::AmazonOther(PageKind::Image);
    }
    let Some((sub, tld)) = split_amazon(host) else {
        return HostClass::Foreign;
    };
    if let Some((_, name)) = UNSUPPORTED.iter().find(|(t, _)| *t == tld) {
        return HostClass::Unsupported(name);
    }
    let tld = TLD_ALIASES
        .iter()
        .find(|(alias, _)| *alias == tld)
        .map_or(tld, |(_, real)| *real);
    let Some(market) = Marketplace::from_tld(tld) else {
        return HostClass::Foreign;
    };
    // `ec1.amazon.co.jp` is an old storefront alias still found in music
    // databases; any other subdomain (aws., music., sellercentral.) is a
    // different Amazon service.
    let legacy_ec = sub
        .strip_prefix("ec")
        .is_some_and(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
    if matches!(sub, "" | "www" | "m" | "smile") || legacy_ec {
        HostClass::Store(market)
    } else {
        HostClass::AmazonOther(PageKind::OtherService)
    }
}

fn is_domain_or_sub(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// `www.amazon.co.uk` → `("www", "co.uk")`, for every storefront, alias and
/// unsupported storefront suffix; `amazon.com.evil.example` → `None`.
fn split_amazon(host: &str) -> Option<(&str, &str)> {
    let known = Marketplace::all()
        .map(|m| m.tld())
        .chain(TLD_ALIASES.iter().map(|(alias, _)| *alias))
        .chain(UNSUPPORTED.iter().map(|(tld, _)| *tld));
    for tld in known {
        let Some(head) = host
            .strip_suffix(tld)
            .and_then(|h| h.strip_suffix("amazon."))
        else {
            continue;
        };
        if head.is_empty() {
            return Some(("", tld));
        }
        if let Some(sub) = head.strip_suffix('.') {
            return Some((sub, tld));
        }
    }
    None
}

/// Result of looking for an ASIN where a URL form says one should be.
enum Found {
    Asin(Asin),
    /// The form is there but the id is missing or malformed.
    Broken,
    Absent,
}

fn product_on(url: &Url, market: Marketplace, depth: u8) -> Result<Link, UrlError> {
    let path = percent_decode_str(url.path()).decode_utf8_lossy();
    let mut segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // `/-/en/dp/…`: the English UI of non-English storefronts.
    if segs.len() >= 2 && segs[0] == "-" && is_language(segs[1]) {
        segs.drain(..2);
    }
    if let Some(wrapped) = forwarded(url, &segs, depth) {
        return wrapped;
    }
    let product = |asin| {
        Ok(Link::Product(ProductRef {
            marketplace: market,
            asin,
        }))
    };
    match asin_in_path(&segs) {
        Found::Asin(a) => return product(a),
        // `/gp/product/handle-buy-box?ASIN=…`: the query may still name it.
        Found::Broken => {
            return match asin_in_query(url) {
                Found::Asin(a) => product(a),
                _ => Err(UrlError::BadAsin),
            };
        }
        Found::Absent => {}
    }
    if let Some(kind) = page_kind(&segs, url) {
        return Err(UrlError::NotAProduct(kind));
    }
    match asin_in_query(url) {
        Found::Asin(a) => product(a),
        Found::Broken => Err(UrlError::BadAsin),
        Found::Absent => Err(UrlError::NotAProduct(PageKind::Other)),
    }
}

/// Amazon pages that only forward to another URL given in the query
/// (`/gp/redirect.html?location=`, sponsored-result clicks, e-mail links, the
/// sign-in page's `return_to`). The wrapped URL is judged like any other.
fn forwarded(url: &Url, segs: &[&str], depth: u8) -> Option<Result<Link, UrlError>> {
    let at = |i: usize, w: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(w));
    let (key, otherwise) = if at(0, "gp") && (at(1, "redirect.html") || at(1, "r.html")) {
        (
            if at(1, "r.html") { "U" } else { "location" },
            PageKind::Other,
        )
    } else if (at(0, "sspa") && at(1, "click")) || (at(0, "gp") && at(1, "slredirect")) {
        ("url", PageKind::Other)
    } else if at(0, "ap") && at(1, "signin") {
        ("openid.return_to", PageKind::Account)
    } else {
        return None;
    };
    let target = url
        .query_pairs()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.into_owned())?;
    let inner = (depth < 2)
        .then(|| url.join(&target).ok())
        .flatten()
        .map(|u| classify(&u, depth + 1));
    Some(match inner {
        Some(Ok(link)) => Ok(link),
        _ => Err(UrlError::NotAProduct(otherwise)),
    })
}

/// The product URL forms, by position of their marker segments.
fn asin_in_path(segs: &[&str]) -> Found {
    let at = |i: usize, w: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(w));
    let find = |w: &str| segs.iter().position(|s| s.eq_ignore_ascii_case(w));
    // `/dp/<A>`, `/<slug>/dp/<A>`, `/dp/product/<A>`
    if let Some(i) = find("dp") {
        return asin_at(segs, if at(i + 1, "product") { i + 2 } else { i + 1 });
    }
    // `/<slug>/product-reviews/<A>`: the product's own reviews (policy: accepted)
    if let Some(i) = find("product-reviews") {
        return asin_at(segs, i + 1);
    }
    if at(0, "gp") {
        if at(1, "product") {
            let mut i = 2;
            while at(i, "glance") || at(i, "product-description") {
                i += 1;
            }
            return asin_at(segs, i);
        }
        if at(1, "aw") && at(2, "d") {
            return asin_at(segs, 3);
        }
        if at(1, "offer-listing") {
            return asin_at(segs, 2);
        }
    }
    if at(0, "exec") && at(1, "obidos") {
        if at(2, "asin") {
            return asin_at(segs, 3);
        }
        if at(2, "tg") && at(3, "detail") {
            let mut i = 4;
            while at(i, "-") {
                i += 1;
            }
            return asin_at(segs, i);
        }
    }
    if at(0, "o") && at(1, "asin") {
        return asin_at(segs, 2);
    }
    // `/d/<category>/<slug>/<A>`: the id is the last segment (before any
    // `ref=`); category names such as "Binoculars" are ASIN-shaped, so
    // position matters, not shape.
    if at(0, "d") {
        return match segs[1..].iter().rposition(|s| !is_ref(s)) {
            Some(i) => asin_at(segs, i + 1),
            None => Found::Broken,
        };
    }
    Found::Absent
}

fn asin_at(segs: &[&str], i: usize) -> Found {
    // Chat pastes sometimes glue the query on with `&` or `;` instead of `?`.
    let token = segs.get(i).and_then(|s| s.split(['&', ';', ',']).next());
    match token.and_then(Asin::parse) {
        Some(a) => Found::Asin(a),
        None => Found::Broken,
    }
}

fn asin_in_query(url: &Url) -> Found {
    match url
        .query_pairs()
        .find(|(k, _)| k.eq_ignore_ascii_case("asin"))
    {
        Some((_, v)) => Asin::parse(v.trim()).map_or(Found::Broken, Found::Asin),
        None => Found::Absent,
    }
}

fn is_ref(seg: &str) -> bool {
    let s = seg.to_ascii_lowercase();
    s.starts_with("ref=") || s.starts_with("ref_=")
}

/// `en`, `de`, `zh_TW`, `pt-BR` (but not `dp`, in case of `/-/dp/…`).
fn is_language(seg: &str) -> bool {
    let b = seg.as_bytes();
    (2..=5).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_alphabetic)
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_alphabetic() || *c == b'_' || *c == b'-')
        && !seg.eq_ignore_ascii_case("dp")
}

/// Known non-product pages, so the reply can say what the user sent.
fn page_kind(segs: &[&str], url: &Url) -> Option<PageKind> {
    let seg = |i: usize| {
        segs.get(i)
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default()
    };
    let has_key = |k: &str| {
        url.query_pairs()
            .any(|(key, _)| key.eq_ignore_ascii_case(k))
    };
    let any = |w: &str| segs.iter().any(|s| s.eq_ignore_ascii_case(w));
    let (a, b) = (seg(0), seg(1));
    if segs.iter().all(|s| is_ref(s)) {
        return Some(PageKind::Home);
    }
    // Author ids look like ASINs (`/e/B0127EHZ7W`), so these come first.
    if a == "e" || b == "e" || a == "author" || (a == "stores" && any("author")) {
        return Some(PageKind::Author);
    }
    let kind = match a.as_str() {
        "s" if has_key("me") => PageKind::Seller,
        "sp" | "shops" => PageKind::Seller,
        "s" => PageKind::Search,
        "stores" | "shop" => PageKind::Store,
        "b" | "zgbs" => PageKind::Category,
        "hz" if b == "wishlist" => PageKind::Wishlist,
        "hz" if b == "mycd" => PageKind::Account,
        "wishlist" | "registry" | "baby-reg" | "wedding" => PageKind::Wishlist,
        "cart" => PageKind::Cart,
        "ap" | "your-account" | "your-orders" | "a" => PageKind::Account,
        "events" | "deals" | "goldbox" | "primeday" | "prime-day" | "blackfriday" => {
            PageKind::Deals
        }
        "gp" => match b.as_str() {
            "search" => PageKind::Search,
            "aag" => PageKind::Seller,
            "browse.html" | "bestsellers" | "new-releases" | "movers-and-shakers"
            | "most-wished-for" => PageKind::Category,
            "registry" => PageKind::Wishlist,
            "cart" => PageKind::Cart,
            "aws" if seg(2) == "cart" => PageKind::Cart,
            "css" | "your-account" | "yourstore" | "history" | "buy" | "message" | "digital"
            | "subs" | "primecentral" => PageKind::Account,
            "goldbox" | "deals" | "events" => PageKind::Deals,
            _ => return None,
        },
        _ if b == "b" || any("zgbs") => PageKind::Category,
        _ => return None,
    };
    Some(kind)
}

fn short_link(url: &Url, host: &str) -> Result<Link, UrlError> {
    let path = percent_decode_str(url.path()).decode_utf8_lossy();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // `amzn.com/<ASIN>` is Amazon's own short form for amazon.com products.
    if host == "amzn.com"
        && let [one] = segs.as_slice()
        && let (Some(asin), Some(marketplace)) = (Asin::parse(one), Marketplace::from_tld("com"))
    {
        return Ok(Link::Product(ProductRef { marketplace, asin }));
    }
    let code_like = |s: &&str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let empty = segs.is_empty() || (segs.len() == 1 && segs[0].eq_ignore_ascii_case("d"));
    if empty || segs.len() > 3 || path.len() > 100 || !segs.iter().all(code_like) {
        return Err(UrlError::BadAsin);
    }
    // Rebuilt rather than copied: https always, no fragment, no trailing dot.
    let mut link =
        Url::parse(&format!("https://{host}/{}", segs.join("/"))).map_err(|_| UrlError::BadAsin)?;
    link.set_query(url.query());
    Ok(Link::ShortLink(link))
}

/// Strips what chat wraps around a link: whitespace, quotes and brackets,
/// and sentence punctuation after it. A `)` stays when it closes a `(` inside
/// the link.
pub(super) fn trim_link(s: &str) -> &str {
    let mut s = s
        .trim()
        .trim_start_matches(['(', '[', '{', '<', '"', '\'', '*', '_', '`', '«', '“', '‘']);
    while let Some(c) = s.chars().last() {
        let strip = match c {
            ')' => s.matches('(').count() < s.matches(')').count(),
            ']' => s.matches('[').count() < s.matches(']').count(),
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '*' | '_' | '>' | '}' | '`' | '…'
            | '»' | '”' | '’' => true,
            _ => false,
        };
        if !strip {
            break;
        }
        s = &s[..s.len() - c.len_utf8()];
    }
    s
}
