//! Amazon links from chat: turn any Amazon product URL into a [`ProductRef`],
//! spot links in a message, and resolve Amazon's short links (`amzn.to`,
//! `a.co/d/…`) one checked hop at a time.
//!
//! [`parse`] never touches the network. [`ShortLinkResolver::resolve`] is the
//! only network a user's text can cause, and it only ever connects to Amazon's
//! short-link hosts: every URL (the first one and every `Location`) is checked
//! before any connection is made.

use std::net::SocketAddr;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use url::{Host, Url};

use crate::domain::{Asin, Marketplace, ProductRef};

/// Requests made for one short link, at most (a hop whose `Location` is already
/// a product URL costs nothing more).
const MAX_HOPS: usize = 5;
/// Per request; a short-link service slower than this is as good as down.
const HOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Longer input is not a pasted link; refusing it early bounds the work.
const MAX_INPUT: usize = 8 * 1024;
const USER_AGENT: &str = concat!("pricewatch/", env!("CARGO_PKG_VERSION"));

/// Amazon's own short-link hosts. These are the only hosts we ever connect to.
const SHORT_HOSTS: &[&str] = &[
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

/// What a link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// A product on one storefront; its canonical URL carries no query.
    Product(ProductRef),
    /// An Amazon short link (https, host checked, fragment dropped). Only
    /// [`ShortLinkResolver::resolve`] can tell which product it names.
    ShortLink(Url),
}

/// Why a link was not accepted. Every Display text is a reply a chat bot can
/// send as it is: English, URL-free, and it tells the user what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("That doesn't look like a link. Send the link of an Amazon product page.")]
    NotALink,
    #[error("Only web links (http or https) work here. Send the link of an Amazon product page.")]
    UnsupportedScheme,
    /// Credentials, IP addresses or odd ports: refused before any lookup.
    #[error("{0}")]
    UnsafeLink(UnsafeReason),
    #[error("That isn't a link to an Amazon store. Send the link of an Amazon product page.")]
    NotAmazon,
    /// A real Amazon storefront that we do not track; carries its name (`amazon.cn`).
    #[error("That Amazon store ({0}) isn't supported yet. Send a link from another Amazon store.")]
    UnknownMarketplace(&'static str),
    #[error("{0}")]
    NotAProduct(PageKind),
    /// A product-shaped link whose id is missing or malformed (a truncated paste).
    #[error(
        "That Amazon link is cut off or damaged. Copy the whole link from the product page again."
    )]
    BadAsin,
    /// A short link redirected somewhere we refuse to go; nothing was requested there.
    #[error(
        "That short link leads away from Amazon, so I didn't follow it. Send the Amazon product link instead."
    )]
    RedirectLeftAmazon,
    #[error(
        "That short link forwards too many times. Open it in your browser and send the product link it leads to."
    )]
    TooManyRedirects,
    /// The short-link service did not answer with a usable redirect; the
    /// detail is for logs, the user gets the same sentence either way.
    #[error(
        "I couldn't open that short link. Open it in your browser and send the product link it leads to."
    )]
    ShortLinkFailed(ShortLinkFailure),
}

/// Why a link looked like an attempt to go somewhere other than it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeReason {
    /// `https://amazon.com@evil.example/`: the part before `@` is a user name.
    Credentials,
    IpAddress,
    Port,
}

impl std::fmt::Display for UnsafeReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Credentials => {
                "That link disguises where it really goes, so I won't open it. Copy the product link straight from Amazon."
            }
            Self::IpAddress => {
                "That link points to a bare server address, not to Amazon. Copy the product link straight from Amazon."
            }
            Self::Port => {
                "That link points to an unusual port, so I won't open it. Copy the product link straight from Amazon."
            }
        })
    }
}

/// The kind of Amazon page a non-product link shows, so the reply can name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Home,
    Search,
    /// Browse nodes and best-seller lists.
    Category,
    /// Brand stores and influencer shops.
    Store,
    Author,
    Seller,
    /// Wish lists and registries.
    Wishlist,
    Cart,
    Account,
    /// Deals and shopping events (Prime Day, Boxing Day…).
    Deals,
    /// An image on Amazon's CDN.
    Image,
    /// Another Amazon site (AWS, Music…), not a storefront.
    OtherService,
    Other,
}

impl std::fmt::Display for PageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const OPEN: &str = "Open the product and send its link.";
        let what = match self {
            Self::Home => "That's the Amazon home page, not a product.",
            Self::Search => "That's an Amazon search page, not a product.",
            Self::Category => "That's an Amazon category or best-seller list, not a product.",
            Self::Store => "That's a brand store on Amazon, not a product.",
            Self::Author => {
                return f.write_str(
                    "That's an author page on Amazon, not a product. Open the book and send its link.",
                );
            }
            Self::Seller => "That's an Amazon seller page, not a product.",
            Self::Wishlist => {
                return f.write_str(
                    "That's an Amazon list, not a product. Open one product from it and send its link.",
                );
            }
            Self::Cart => "That's an Amazon shopping cart, not a product.",
            Self::Account => "That's an Amazon account page, not a product.",
            Self::Deals => "That's an Amazon deals or event page, not a product.",
            Self::Image => "That's a picture stored by Amazon, not a product page.",
            Self::OtherService => "That link goes to an Amazon service, not to a store product.",
            Self::Other => "That Amazon page isn't a product page.",
        };
        write!(f, "{what} {OPEN}")
    }
}

/// What went wrong with a short-link request (for logs; the reply is the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortLinkFailure {
    Network,
    Timeout,
    /// An error status such as 404: the short link does not exist (any more).
    Status(u16),
    /// A 2xx page instead of a redirect.
    NoRedirect,
    /// A redirect without a usable `Location`.
    BadLocation,
}

/// Parses one pasted link (surrounding whitespace, `<…>` and trailing chat
/// punctuation are tolerated; a scheme-less `amazon.de/dp/…` is read as https).
/// Never touches the network: short links come back as [`Link::ShortLink`].
/// For a whole chat message, call [`find_links`] first.
pub fn parse(input: &str) -> Result<Link, UrlError> {
    classify(&to_url(input)?, 0)
}

/// URL-ish substrings of a chat message: `http(s)://` links to anywhere, and
/// scheme-less links on Amazon hosts (`amazon.de/dp/…`, `amzn.to/…`). Order
/// is kept, duplicates dropped, wrapping punctuation trimmed.
pub fn find_links(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for token in text.split(|c: char| c.is_whitespace() || is_separator(c)) {
        if let Some(link) = link_in(token)
            && !found.iter().any(|f| f == link)
        {
            found.push(link.to_string());
        }
    }
    found
}

/// Follows Amazon short links with its own HTTP client (no automatic redirects,
/// 5 s per request, at most [`MAX_HOPS`] requests per link).
pub struct ShortLinkResolver {
    client: reqwest::Client,
    connect_to: Option<SocketAddr>,
}

/// The resolver could not be built (start-up only). Messages never echo the
/// proxy setting, which may hold credentials.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the proxy setting is not a usable proxy URL")]
    Proxy,
    #[error("could not build the HTTP client for short links")]
    Client,
}

impl ShortLinkResolver {
    /// `proxy`: an `http://`, `https://` or `socks5://` proxy for every
    /// request; `None` means a direct connection (proxy variables in the
    /// environment are ignored, so behaviour depends on configuration only).
    pub fn new(proxy: Option<&str>) -> Result<Self, SetupError> {
        // reqwest is built with rustls but no crypto provider; without one
        // installed, building the client panics. A second install is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(HOP_TIMEOUT)
            .timeout(HOP_TIMEOUT)
            .user_agent(USER_AGENT);
        let builder = match proxy {
            Some(p) => builder.proxy(reqwest::Proxy::all(p).map_err(|_| SetupError::Proxy)?),
            None => builder.no_proxy(),
        };
        Ok(Self {
            client: builder.build().map_err(|_| SetupError::Client)?,
            connect_to: None,
        })
    }

    /// For tests and operators: send every request to `addr` over plain HTTP,
    /// keeping the real `Host` header, path and query. URLs are still checked
    /// exactly as without the override.
    pub fn with_connect_to(mut self, addr: SocketAddr) -> Self {
        self.connect_to = Some(addr);
        self
    }

    /// [`parse`], then, for a short link, follow its redirects until one names
    /// a product. The product page itself is never requested.
    pub async fn resolve(&self, input: &str) -> Result<ProductRef, UrlError> {
        let mut current = match parse(input)? {
            Link::Product(p) => return Ok(p),
            Link::ShortLink(u) => u,
        };
        for _ in 0..MAX_HOPS {
            let location = self.hop(&current).await?;
            let next = current
                .join(&location)
                .map_err(|_| UrlError::ShortLinkFailed(ShortLinkFailure::BadLocation))?;
            match classify(&next, 0) {
                Ok(Link::Product(p)) => return Ok(p),
                Ok(Link::ShortLink(u)) => current = u,
                Err(e) => return Err(after_redirect(e)),
            }
        }
        Err(UrlError::TooManyRedirects)
    }

    /// One request; returns the raw `Location` of a redirect.
    async fn hop(&self, url: &Url) -> Result<String, UrlError> {
        // `url` came out of `classify`, but this is the one place that
        // connects, so it re-checks the host rather than trust every caller.
        let host = match url.host() {
            Some(Host::Domain(h)) if SHORT_HOSTS.contains(&h) && url.port().is_none() => h,
            _ => return Err(UrlError::RedirectLeftAmazon),
        };
        let request = match self.connect_to {
            Some(addr) => {
                let mut target = format!("http://{addr}{}", url.path());
                if let Some(q) = url.query() {
                    target.push('?');
                    target.push_str(q);
                }
                self.client.get(target).header(reqwest::header::HOST, host)
            }
            None => self.client.get(url.as_str()),
        };
        let response = request.send().await.map_err(|e| {
            UrlError::ShortLinkFailed(if e.is_timeout() {
                ShortLinkFailure::Timeout
            } else {
                ShortLinkFailure::Network
            })
        })?;
        let status = response.status();
        if !status.is_redirection() {
            return Err(UrlError::ShortLinkFailed(if status.is_success() {
                ShortLinkFailure::NoRedirect
            } else {
                ShortLinkFailure::Status(status.as_u16())
            }));
        }
        response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or(UrlError::ShortLinkFailed(ShortLinkFailure::BadLocation))
    }
}

/// A redirect target that fails the checks is the short link's fault, not the
/// user's: say so instead of "that isn't an Amazon link".
fn after_redirect(e: UrlError) -> UrlError {
    match e {
        UrlError::NotALink
        | UrlError::UnsupportedScheme
        | UrlError::UnsafeLink(_)
        | UrlError::NotAmazon => UrlError::RedirectLeftAmazon,
        other => other,
    }
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
fn classify(url: &Url, depth: u8) -> Result<Link, UrlError> {
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

enum HostClass {
    Store(Marketplace),
    Short,
    Unsupported(&'static str),
    AmazonOther(PageKind),
    Foreign,
}

fn host_class(host: &str) -> HostClass {
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

/// Characters that end a link in chat text (they never appear raw in one).
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '<' | '>'
            | '"'
            | '`'
            | '{'
            | '}'
            | '|'
            | '\\'
            | '^'
            | '「'
            | '」'
            | '『'
            | '』'
            | '（'
            | '）'
            | '【'
            | '】'
            | '、'
            | '。'
            | '，'
            | '：'
            | '；'
            | '！'
            | '？'
            | '“'
            | '”'
            | '‘'
            | '’'
            | '«'
            | '»'
    )
}

/// Strips what chat wraps around a link: whitespace, quotes and brackets,
/// and sentence punctuation after it. A `)` stays when it closes a `(` inside
/// the link.
fn trim_link(s: &str) -> &str {
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

/// The link in one whitespace-free token, if any.
fn link_in(token: &str) -> Option<&str> {
    let lower = token.to_ascii_lowercase();
    // ASCII lower-casing keeps byte offsets, so `i` indexes `token` too.
    let start = ["https://", "http://"]
        .iter()
        .filter_map(|p| lower.find(p))
        .min();
    if let Some(i) = start {
        let link = trim_link(&token[i..]);
        return link
            .split_once("://")
            .is_some_and(|(_, rest)| !rest.is_empty())
            .then_some(link);
    }
    // Scheme-less: only on an Amazon host, and only with a path, so that
    // "I shop at amazon.de." or "file.txt" are not links.
    let link = trim_link(token);
    let (host, path) = link.split_once('/')?;
    if path.is_empty() {
        return None;
    }
    let host = host.to_ascii_lowercase();
    matches!(
        host_class(host.trim_end_matches('.')),
        HostClass::Store(_) | HostClass::Short | HostClass::Unsupported(_)
    )
    .then_some(link)
}

#[cfg(test)]
// Tests may panic on broken set-up; that is what a failing test is.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use super::*;

    fn market(tld: &str) -> Marketplace {
        Marketplace::from_tld(tld).unwrap_or_else(|| panic!("no storefront {tld}"))
    }

    /// Fixture policy decisions (amazon-urls.json `POLICY CASE` and friends):
    /// - lower-case ASINs (and a lower-case ISBN `x`) are accepted and upper-cased;
    /// - `product-reviews/<ASIN>` is accepted as the product it reviews;
    /// - `/gp/redirect.html?location=<encoded URL>` is accepted when the wrapped
    ///   URL is itself an Amazon product (decoded locally, no network);
    /// - the sign-in page's `openid.return_to` is treated the same way;
    /// - `ec1.amazon.co.jp` and `amazon.jp` are accepted as amazon.co.jp
    ///   (never fetched: the canonical URL is always `www.`);
    /// - `https://amzn.to/` (no code) is `BadAsin`: a cut-off link;
    /// - Audible is not an Amazon store: `NotAmazon`.
    #[test]
    fn fixture_urls() {
        let Some(dir) = crate::test_support::fixtures_dir() else {
            return;
        };
        let text = std::fs::read_to_string(dir.join("amazon-urls.json")).unwrap();
        let records: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert!(records.len() >= 100, "fixture shrank to {}", records.len());
        let mut failures = Vec::new();
        for r in &records {
            let url = r["url"].as_str().unwrap();
            let kind = r["kind"].as_str().unwrap_or("");
            let got = parse(url);
            let ok = if r["needs_redirect"].as_bool() == Some(true) {
                matches!(got, Ok(Link::ShortLink(_)))
            } else if r["valid"].as_bool() == Some(true) {
                match &got {
                    Ok(Link::Product(p)) => {
                        Some(p.asin.as_str()) == r["asin"].as_str()
                            && Some(p.marketplace.host().as_str()) == r["marketplace_host"].as_str()
                            && p.canonical_url()
                                == format!("https://{}/dp/{}", p.marketplace.host(), p.asin)
                    }
                    _ => false,
                }
            } else {
                use UrlError::*;
                match (kind, &got) {
                    (_, Ok(_)) => false,
                    (
                        "lookalike_host"
                        | "userinfo_trick"
                        | "bad_scheme"
                        | "non_amazon"
                        | "non_amazon_marketplace",
                        Err(e),
                    ) => matches!(e, NotAmazon | UnsafeLink(_) | UnsupportedScheme),
                    ("non_product", Err(e)) => matches!(e, NotAProduct(_)),
                    ("invalid_asin", Err(e)) => matches!(e, BadAsin | NotAProduct(_)),
                    ("invalid_short_link", Err(e)) => *e == BadAsin,
                    (_, Err(_)) => true,
                }
            };
            if !ok {
                failures.push(format!("{url} ({kind}): {got:?}"));
            }
        }
        println!(
            "amazon-urls.json: {} of {} records pass",
            records.len() - failures.len(),
            records.len()
        );
        assert!(
            failures.is_empty(),
            "failing records:\n{}",
            failures.join("\n")
        );
    }

    #[derive(Debug)]
    enum Want {
        P(&'static str, &'static str),
        Short,
        Err(UrlError),
    }

    #[test]
    fn url_table() {
        use PageKind as K;
        use UnsafeReason::{Credentials, IpAddress, Port};
        use UrlError as E;
        use Want::{Err as X, P, Short};
        #[rustfmt::skip]
        let cases: &[(&str, Want)] = &[
            // Every storefront, in every form.
            ("https://www.amazon.com/dp/B0DLFMFBJW", P("com", "B0DLFMFBJW")),
            ("https://www.amazon.co.uk/Some-Book/dp/1473210208/ref=sr_1_1?keywords=x", P("co.uk", "1473210208")),
            ("https://www.amazon.de/dp/B01LZ79682?tag=abc-21&psc=1", P("de", "B01LZ79682")),
            ("https://www.amazon.fr/gp/product/B005NIKPAY/ref=ox_sc_act_title_1", P("fr", "B005NIKPAY")),
            ("https://www.amazon.it/gp/product/glance/B0090GJ8VM", P("it", "B0090GJ8VM")),
            ("https://www.amazon.es/gp/aw/d/B06XFWF7J4", P("es", "B06XFWF7J4")),
            ("https://www.amazon.nl/dp/product/B0DLFMFBJW", P("nl", "B0DLFMFBJW")),
            ("https://www.amazon.se/-/en/dp/B0DLFMFBJW", P("se", "B0DLFMFBJW")),
            ("https://www.amazon.pl/exec/obidos/ASIN/B091G3FLL7/tag-21", P("pl", "B091G3FLL7")),
            ("https://www.amazon.com.be/exec/obidos/tg/detail/-/B0DLFMFBJW", P("com.be", "B0DLFMFBJW")),
            ("https://www.amazon.com.tr/o/ASIN/B00ET2LTE6", P("com.tr", "B00ET2LTE6")),
            ("https://www.amazon.ca/d/Tablets/Fire-HD-8/B07WFKKN55", P("ca", "B07WFKKN55")),
            ("https://www.amazon.ca/d/Binoculars/Some-Slug/B07WFKKN55/ref=x", P("ca", "B07WFKKN55")),
            ("https://www.amazon.com.mx/Slug/product-reviews/B07GBDTV2Y/ref=cm_cr_dp", P("com.mx", "B07GBDTV2Y")),
            ("https://www.amazon.com.br/review/create-review?asin=b07fz8s74r", P("com.br", "B07FZ8S74R")),
            ("https://www.amazon.co.jp/-/ja/dp/B0064CZ1XE", P("co.jp", "B0064CZ1XE")),
            ("https://www.amazon.in/gp/offer-listing/B01I3LWMVC", P("in", "B01I3LWMVC")),
            ("https://m.amazon.com.au/dp/B07PHPXHQS", P("com.au", "B07PHPXHQS")),
            ("https://smile.amazon.sg/dp/B0064CZ1XE", P("sg", "B0064CZ1XE")),
            ("https://amazon.ae/dp/B0DGJKQ3KW", P("ae", "B0DGJKQ3KW")),
            ("https://www.amazon.sa/-/ar/dp/B0DGJKQ3KW", P("sa", "B0DGJKQ3KW")),
            ("https://www.amazon.eg/-/en/Slug/dp/B0CMDWC436", P("eg", "B0CMDWC436")),
            ("https://www.amazon.ie/dp/B0DLFMFBJW", P("ie", "B0DLFMFBJW")),
            // Case, encoding, whitespace and chat wrapping.
            ("HTTPS://WWW.AMAZON.DE/DP/B01LZ79682", P("de", "B01LZ79682")),
            ("https://www.amazon.de/dp/b01lz79682", P("de", "B01LZ79682")),
            ("https://www.amazon.de/%64p/%42%30%31LZ79682", P("de", "B01LZ79682")),
            ("https://www.amazon.de/dp%2FB01LZ79682", P("de", "B01LZ79682")),
            ("https://www.amazon.com.mx/Adorno-Navide%C3%B1o/dp/B07GBDTV2Y", P("com.mx", "B07GBDTV2Y")),
            ("amazon.de/dp/B01LZ79682", P("de", "B01LZ79682")),
            ("www.amazon.com/dp/B0DLFMFBJW", P("com", "B0DLFMFBJW")),
            ("//www.amazon.com/dp/B0DLFMFBJW", P("com", "B0DLFMFBJW")),
            ("  https://www.amazon.com/dp/B0DLFMFBJW \n", P("com", "B0DLFMFBJW")),
            ("https://amazon.de/dp/B01LZ79682).", P("de", "B01LZ79682")),
            ("<https://www.amazon.de/dp/B01LZ79682>", P("de", "B01LZ79682")),
            ("https://www.amazon.ca/dp/B07WFKKN55#customerReviews", P("ca", "B07WFKKN55")),
            ("https://www.amazon.com/dp/B0DLFMFBJW&tag=x", P("com", "B0DLFMFBJW")),
            ("https://www.amazon.com:443/dp/B0DLFMFBJW", P("com", "B0DLFMFBJW")),
            ("https://www.amazon.com./dp/B0DLFMFBJW", P("com", "B0DLFMFBJW")),
            ("https://www.amazon.com/dp/B0DLFMFBJW/ref=cm_sw_r_cp_api?th=1&psc=1", P("com", "B0DLFMFBJW")),
            // Encoded redirect forms, resolved locally.
            ("https://www.amazon.com/gp/redirect.html?location=%2Fdp%2FB002MUC0ZY", P("com", "B002MUC0ZY")),
            ("https://www.amazon.de/sspa/click?ie=UTF8&url=%2FSlug%2Fdp%2FB01LZ79682%2Fref%3Dsr_1_1_sspa%3Fpsc%3D1", P("de", "B01LZ79682")),
            ("https://www.amazon.com/ap/signin?openid.return_to=https%3A%2F%2Fwww.amazon.com%2Fdp%2FB0DLFMFBJW&openid.mode=checkid_setup", P("com", "B0DLFMFBJW")),
            ("https://www.amazon.com/gp/product/handle-buy-box/ref=dp_start-bbf_1_glance?ASIN=B0DLFMFBJW", P("com", "B0DLFMFBJW")),
            ("https://amzn.com/B0DLFMFBJW", P("com", "B0DLFMFBJW")),
            ("https://amazon.jp/dp/B000P29X0G", P("co.jp", "B000P29X0G")),
            // ISBN-10 ids.
            ("http://www.amazon.co.jp/exec/obidos/ASIN/4797327030/", P("co.jp", "4797327030")),
            ("https://www.amazon.fr/dp/2070612759", P("fr", "2070612759")),
            ("https://www.amazon.co.uk/dp/020530902x", P("co.uk", "020530902X")),
            // Short links.
            ("https://amzn.to/3iZ9vyT", Short),
            ("amzn.to/3iZ9vyT", Short),
            ("https://amzn.eu/d/5dF49o2", Short),
            ("https://a.co/d/4rHgKH3", Short),
            ("https://amzn.asia/d/2TzEI1X", Short),
            ("https://amzn.in/d/abc123", Short),
            ("https://amzn.com/gp/product/x1", Short),
            // Refused before any network: addresses, ports, credentials, schemes.
            ("http://127.0.0.1/dp/B0DLFMFBJW", X(E::UnsafeLink(IpAddress))),
            ("http://[::1]/dp/B0DLFMFBJW", X(E::UnsafeLink(IpAddress))),
            ("http://2130706433/dp/B0DLFMFBJW", X(E::UnsafeLink(IpAddress))),
            ("http://0x7f.1/dp/B0DLFMFBJW", X(E::UnsafeLink(IpAddress))),
            ("169.254.169.254/latest/meta-data", X(E::UnsafeLink(IpAddress))),
            ("https://www.amazon.com:8080/dp/B0DLFMFBJW", X(E::UnsafeLink(Port))),
            ("http://www.amazon.com:443/dp/B0DLFMFBJW", X(E::UnsafeLink(Port))),
            ("amazon.de:8080/dp/B01LZ79682", X(E::UnsafeLink(Port))),
            ("https://amazon.com@evil.example/dp/B0DLFMFBJW", X(E::UnsafeLink(Credentials))),
            ("https://www.amazon.com:443@evil.example/", X(E::UnsafeLink(Credentials))),
            ("www.amazon.com:443@evil.example/dp/B0DLFMFBJW", X(E::UnsafeLink(Credentials))),
            ("https://user:pw@www.amazon.com/dp/B0DLFMFBJW", X(E::UnsafeLink(Credentials))),
            ("https://amzn.to@evil.example/x", X(E::UnsafeLink(Credentials))),
            ("javascript:alert(1)", X(E::UnsupportedScheme)),
            ("data:text/html,<b>x</b>", X(E::UnsupportedScheme)),
            ("file:///etc/passwd", X(E::UnsupportedScheme)),
            ("ftp://www.amazon.com/dp/B0DLFMFBJW", X(E::UnsupportedScheme)),
            ("mailto:help@amazon.com", X(E::UnsupportedScheme)),
            ("httpsa://www.amazon.co.jp/gp/product/B00005FMYV", X(E::UnsupportedScheme)),
            // Look-alikes and foreign hosts.
            ("https://amazon.com.evil.example/dp/B0DLFMFBJW", X(E::NotAmazon)),
            ("https://amazon-deals.example/dp/B0DLFMFBJW", X(E::NotAmazon)),
            ("https://www.xn--mazon-3ve.com/dp/B0DLFMFBJW", X(E::NotAmazon)),
            ("https://www.\u{430}mazon.com/dp/B0DLFMFBJW", X(E::NotAmazon)),
            ("https://www.amazon.evil/dp/B0DLFMFBJW", X(E::NotAmazon)),
            ("https://www.amazon.com%2eevil.example/dp/B0DLFMFBJW", X(E::NotAmazon)),
            ("https://www.audible.com/pd/B08G9PRS1K", X(E::NotAmazon)),
            ("https://amzn.to.evil.example/3iZ9vyT", X(E::NotAmazon)),
            ("https://www.amzn.to/3iZ9vyT", X(E::NotAmazon)),
            ("https://evil.example/x.amazon.com/dp/B002MUC0ZY", X(E::NotAmazon)),
            ("https://evil.example/?u=https://www.amazon.com/dp/B0DLFMFBJW", X(E::NotAmazon)),
            ("https://www.amazon.cn/dp/B0DLFMFBJW", X(E::UnknownMarketplace("amazon.cn"))),
            ("https://www.amazon.co.za/dp/B0DLFMFBJW", X(E::UnknownMarketplace("amazon.co.za"))),
            // Amazon pages that are not products.
            ("https://www.amazon.com/s?k=echo+dot", X(E::NotAProduct(K::Search))),
            ("https://www.amazon.de/s?me=A1AT7YVPFBWXBL", X(E::NotAProduct(K::Seller))),
            ("https://www.amazon.com/sp?seller=A1AT7YVPFBWXBL", X(E::NotAProduct(K::Seller))),
            ("https://www.amazon.com/stores/Anker/page/ABC", X(E::NotAProduct(K::Store))),
            ("https://www.amazon.com/Shei-Darksbane/e/B0127EHZ7W", X(E::NotAProduct(K::Author))),
            ("https://www.amazon.com/stores/author/B0127EHZ7W", X(E::NotAProduct(K::Author))),
            ("https://www.amazon.com/hz/wishlist/ls/3K2J1H0G9F8E7", X(E::NotAProduct(K::Wishlist))),
            ("https://www.amazon.com/b?node=16225007011", X(E::NotAProduct(K::Category))),
            ("https://www.amazon.de/Best-Sellers-Elektronik/zgbs/ce-de", X(E::NotAProduct(K::Category))),
            ("https://www.amazon.fr/", X(E::NotAProduct(K::Home))),
            ("https://www.amazon.fr/ref=nav_logo", X(E::NotAProduct(K::Home))),
            ("https://www.amazon.co.uk/gp/css/order-history", X(E::NotAProduct(K::Account))),
            ("https://www.amazon.co.uk/ap/signin?openid.return_to=https%3A%2F%2Fwww.amazon.co.uk%2Fgp%2Fcss%2Fhomepage.html", X(E::NotAProduct(K::Account))),
            ("https://www.amazon.ca/events/boxingday", X(E::NotAProduct(K::Deals))),
            ("https://www.amazon.com/gp/goldbox", X(E::NotAProduct(K::Deals))),
            ("https://www.amazon.com/gp/cart/view.html", X(E::NotAProduct(K::Cart))),
            ("https://m.media-amazon.com/images/I/51tyOVaM2HL._SL75_.jpg", X(E::NotAProduct(K::Image))),
            ("https://aws.amazon.com/ec2/", X(E::NotAProduct(K::OtherService))),
            ("https://www.amazon.com/Anker/dt/B09VPHVT2Z/", X(E::NotAProduct(K::Other))),
            // WHATWG (and every browser) reads `\` as `/`: this stays on amazon.com.
            ("https://www.amazon.com\\@evil.example/dp/", X(E::BadAsin)),
            ("https://www.amazon.com/gp/redirect.html?location=https%3A%2F%2Fevil.example%2Fdp%2FB002MUC0ZY", X(E::NotAProduct(K::Other))),
            // Broken ids and links.
            ("https://www.amazon.com/dp/", X(E::BadAsin)),
            ("https://www.amazon.com/dp/B002MUC0Z", X(E::BadAsin)),
            ("https://www.amazon.com/dp/B09VPHFVT2Z", X(E::BadAsin)),
            ("https://www.amazon.com/gp/product/", X(E::BadAsin)),
            ("https://www.amazon.com/s?asin=B0DLFMFBJ", X(E::NotAProduct(K::Search))),
            ("https://www.amazon.com/gp/offer-listing?asin=bad", X(E::BadAsin)),
            ("https://amzn.to/", X(E::BadAsin)),
            ("https://a.co/d/", X(E::BadAsin)),
            ("https://amzn.to/a.b", X(E::BadAsin)),
            ("", X(E::NotALink)),
            ("   ", X(E::NotALink)),
            ("hello there", X(E::NotALink)),
            ("B0DLFMFBJW", X(E::NotALink)),
            ("https://www.amazon.com/dp/ B0DLFMFBJW", X(E::NotALink)),
            ("https://www.amazon.com/dp/B0DL\tFMFBJW", X(E::NotALink)),
        ];
        assert!(cases.len() >= 60);
        let mut failures = Vec::new();
        for (input, want) in cases {
            let got = parse(input);
            let ok = match (want, &got) {
                (Want::P(tld, asin), Ok(Link::Product(p))) => {
                    p.marketplace == market(tld) && p.asin.as_str() == *asin
                }
                (Want::Short, Ok(Link::ShortLink(u))) => {
                    u.scheme() == "https" && u.fragment().is_none()
                }
                (Want::Err(e), Err(g)) => e == g,
                _ => false,
            };
            if !ok {
                failures.push(format!("{input:?}: want {want:?}, got {got:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn canonical_urls_have_no_query_and_short_links_keep_their_code() {
        let Ok(Link::Product(p)) =
            parse("https://WWW.Amazon.IT/Some-Slug/DP/b0899vxm8f/ref=x?tag=y&th=1#top")
        else {
            panic!("not a product");
        };
        assert_eq!(p.canonical_url(), "https://www.amazon.it/dp/B0899VXM8F");
        let Ok(Link::ShortLink(u)) = parse("http://AMZN.TO./3iZ9vyT#x") else {
            panic!("not a short link");
        };
        // Short-link codes are case-sensitive; the host is normalised.
        assert_eq!(u.as_str(), "https://amzn.to/3iZ9vyT");
    }

    #[test]
    fn error_texts_are_url_free_sentences() {
        use PageKind as K;
        let kinds = [
            K::Home,
            K::Search,
            K::Category,
            K::Store,
            K::Author,
            K::Seller,
            K::Wishlist,
            K::Cart,
            K::Account,
            K::Deals,
            K::Image,
            K::OtherService,
            K::Other,
        ];
        let mut errors = vec![
            UrlError::NotALink,
            UrlError::UnsupportedScheme,
            UrlError::NotAmazon,
            UrlError::UnknownMarketplace("amazon.cn"),
            UrlError::BadAsin,
            UrlError::RedirectLeftAmazon,
            UrlError::TooManyRedirects,
            UrlError::ShortLinkFailed(ShortLinkFailure::Status(404)),
        ];
        errors.extend(
            [
                UnsafeReason::Credentials,
                UnsafeReason::IpAddress,
                UnsafeReason::Port,
            ]
            .map(UrlError::UnsafeLink),
        );
        errors.extend(kinds.map(UrlError::NotAProduct));
        for e in errors {
            let text = e.to_string();
            assert!(text.ends_with('.') && text.len() < 160, "{text}");
            assert!(!text.contains("://") && !text.contains('/'), "{text}");
        }
        // The user's input never comes back, whatever it was.
        let sneaky = "https://amazon.com@evil.example/<b>hi</b>";
        assert!(!parse(sneaky).unwrap_err().to_string().contains("evil"));
        assert_eq!(
            UrlError::NotAProduct(K::Search).to_string(),
            "That's an Amazon search page, not a product. Open the product and send its link."
        );
    }

    #[test]
    fn links_in_chat_text() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Look: https://amzn.to/3iZ9vyT and (amazon.de/dp/B01LZ79682). Also https://amzn.to/3iZ9vyT!",
                &["https://amzn.to/3iZ9vyT", "amazon.de/dp/B01LZ79682"],
            ),
            (
                "[Echo](https://www.amazon.com/dp/B0DLFMFBJW) <https://a.co/d/4rHgKH3>",
                &[
                    "https://www.amazon.com/dp/B0DLFMFBJW",
                    "https://a.co/d/4rHgKH3",
                ],
            ),
            (
                "see www.amazon.co.uk/dp/B00EO4NN5C, and \"https://example.com/page\".",
                &["www.amazon.co.uk/dp/B00EO4NN5C", "https://example.com/page"],
            ),
            ("no links: amazon.de, e.g. file.txt or example.com/x", &[]),
            ("https:// nothing", &[]),
            (
                "リンク：https://www.amazon.co.jp/dp/B0064CZ1XE。ありがとう",
                &["https://www.amazon.co.jp/dp/B0064CZ1XE"],
            ),
            (
                "/cupon ASDASD 123€ https://www.amazon.es/gp/aw/d/B06XFWF7J4/ref=ox?smid=A1&psc=1",
                &["https://www.amazon.es/gp/aw/d/B06XFWF7J4/ref=ox?smid=A1&psc=1"],
            ),
            ("HTTPS://AMZN.TO/3iZ9vyT?", &["HTTPS://AMZN.TO/3iZ9vyT"]),
            (
                "amzn.eu/d/5dF49o2\nsmile.amazon.com/dp/B07YFDCGQV",
                &["amzn.eu/d/5dF49o2", "smile.amazon.com/dp/B07YFDCGQV"],
            ),
            (
                "https://en.wikipedia.org/wiki/Amazon_(company))",
                &["https://en.wikipedia.org/wiki/Amazon_(company)"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(find_links(text), *want, "{text}");
        }
        // What find_links returns from chat, parse accepts.
        for link in find_links(cases[0].0) {
            assert!(parse(&link).is_ok(), "{link}");
        }
    }

    type Log = Arc<Mutex<Vec<String>>>;
    type Routes = Arc<Mutex<HashMap<String, (u16, String)>>>;

    /// A fake of Amazon's short-link hosts: answers by `Host` + path and logs
    /// every request it receives.
    struct FakeHosts {
        addr: SocketAddr,
        log: Log,
        routes: Routes,
    }

    impl FakeHosts {
        async fn start(routes: &[(&str, u16, &str)]) -> Self {
            let fake = FakeHosts {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                log: Log::default(),
                routes: Routes::default(),
            };
            for (key, code, location) in routes {
                fake.route(key, *code, location);
            }
            let app = axum::Router::new()
                .fallback(answer)
                .with_state((fake.routes.clone(), fake.log.clone()));
            let listener = tokio::net::TcpListener::bind(fake.addr).await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            FakeHosts { addr, ..fake }
        }

        /// `key` is host + path + query; `location` "" sends none.
        fn route(&self, key: &str, code: u16, location: &str) {
            let mut routes = self.routes.lock().unwrap();
            routes.insert(key.to_string(), (code, location.to_string()));
        }

        fn resolver(&self) -> ShortLinkResolver {
            ShortLinkResolver::new(None)
                .unwrap()
                .with_connect_to(self.addr)
        }

        fn requests(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }
    }

    async fn answer(
        axum::extract::State((routes, log)): axum::extract::State<(Routes, Log)>,
        req: axum::extract::Request,
    ) -> axum::response::Response {
        use axum::http::{HeaderValue, StatusCode, header};
        use axum::response::IntoResponse;
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let key = format!("{}{path}", host.unwrap_or(""));
        log.lock().unwrap().push(key.clone());
        let Some((code, location)) = routes.lock().unwrap().get(&key).cloned() else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let mut resp = StatusCode::from_u16(code).unwrap().into_response();
        if !location.is_empty() {
            let value = HeaderValue::from_str(&location).unwrap();
            resp.headers_mut().insert(header::LOCATION, value);
        }
        resp
    }

    #[tokio::test]
    async fn short_link_chain_resolves_without_fetching_the_product() {
        let fake = FakeHosts::start(&[
            ("amzn.to/abc", 301, "https://amzn.eu/d/x"),
            (
                "amzn.eu/d/x",
                302,
                "https://www.amazon.it/Some-Slug/dp/B0899VXM8F?tag=x",
            ),
            // A relative Location resolves against the short link's own URL.
            ("a.co/d/rel", 302, "/d/second?ref=share"),
            (
                "a.co/d/second?ref=share",
                301,
                "https://www.amazon.com/dp/B0DLFMFBJW",
            ),
        ])
        .await;
        let resolver = fake.resolver();
        let p = resolver.resolve("https://amzn.to/abc").await.unwrap();
        assert_eq!(p.canonical_url(), "https://www.amazon.it/dp/B0899VXM8F");
        assert_eq!(fake.requests(), ["amzn.to/abc", "amzn.eu/d/x"]);

        let p = resolver.resolve("Check a.co/d/rel!").await;
        assert_eq!(
            p,
            Err(UrlError::NotALink),
            "parse wants one link, not a message"
        );
        let p = resolver.resolve("a.co/d/rel").await.unwrap();
        assert_eq!(p.canonical_url(), "https://www.amazon.com/dp/B0DLFMFBJW");
        assert_eq!(fake.requests().len(), 4);
    }

    #[tokio::test]
    async fn hop_limit() {
        let mut routes = Vec::new();
        let paths: Vec<String> = (0..=6).map(|i| format!("amzn.to/h{i}")).collect();
        let targets: Vec<String> = (1..=6).map(|i| format!("https://amzn.to/h{i}")).collect();
        for i in 0..6 {
            routes.push((paths[i].as_str(), 302, targets[i].as_str()));
        }
        routes.push(("amzn.to/h6", 301, "https://www.amazon.de/dp/B01LZ79682"));
        let fake = FakeHosts::start(&routes).await;
        let resolver = fake.resolver();

        // Six redirects between short links: refused after five requests.
        let got = resolver.resolve("https://amzn.to/h0").await;
        assert_eq!(got, Err(UrlError::TooManyRedirects));
        assert_eq!(fake.requests(), paths[..5]);

        // Five requests are allowed: h2 → … → h6 → product.
        let got = resolver.resolve("https://amzn.to/h2").await.unwrap();
        assert_eq!(got.canonical_url(), "https://www.amazon.de/dp/B01LZ79682");
        assert_eq!(fake.requests().len(), 10);
    }

    #[tokio::test]
    async fn redirects_away_from_amazon_are_refused_before_connecting() {
        let fake = FakeHosts::start(&[]).await;
        // The fake itself: following this would show up in its log.
        let own = format!("http://{}/x", fake.addr);
        let bad_locations = [
            "https://evil.example/",
            "https://amazon.com@evil.example/dp/B0DLFMFBJW",
            "https://amzn.to.evil.example/x",
            "//evil.example/x",
            own.as_str(),
            "http://127.0.0.1/x",
            "https://www.amazon.com:8080/dp/B0DLFMFBJW",
            "javascript:alert(1)",
            "ftp://amzn.to/x",
            "https://www.xn--mazon-3ve.com/dp/B0DLFMFBJW",
        ];
        for (i, location) in bad_locations.iter().enumerate() {
            fake.route(&format!("amzn.to/e{i}"), 302, location);
        }
        let resolver = fake.resolver();
        for (i, location) in bad_locations.iter().enumerate() {
            let got = resolver.resolve(&format!("https://amzn.to/e{i}")).await;
            assert_eq!(got, Err(UrlError::RedirectLeftAmazon), "{location}");
            assert_eq!(
                fake.requests().len(),
                i + 1,
                "{location}: a request went further"
            );
        }
        let seen = fake.requests();
        assert!(seen.iter().all(|r| r.starts_with("amzn.to/e")), "{seen:?}");
    }

    #[tokio::test]
    async fn short_link_failures() {
        let fake = FakeHosts::start(&[
            ("a.co/d/page", 200, ""),
            ("amzn.to/noloc", 302, ""),
            ("amzn.to/home", 301, "https://www.amazon.com/"),
            ("amzn.to/search", 302, "https://www.amazon.com/s?k=kettle"),
        ])
        .await;
        let resolver = fake.resolver();
        let failed = |f| Err(UrlError::ShortLinkFailed(f));
        assert_eq!(
            resolver.resolve("https://amzn.to/missing").await,
            failed(ShortLinkFailure::Status(404))
        );
        assert_eq!(
            resolver.resolve("https://a.co/d/page").await,
            failed(ShortLinkFailure::NoRedirect)
        );
        assert_eq!(
            resolver.resolve("https://amzn.to/noloc").await,
            failed(ShortLinkFailure::BadLocation)
        );
        assert_eq!(
            resolver.resolve("https://amzn.to/home").await,
            Err(UrlError::NotAProduct(PageKind::Home))
        );
        assert_eq!(
            resolver.resolve("https://amzn.to/search").await,
            Err(UrlError::NotAProduct(PageKind::Search))
        );
        assert_eq!(fake.requests().len(), 5);
    }

    #[tokio::test]
    async fn refused_inputs_never_reach_the_network() {
        let fake = FakeHosts::start(&[]).await;
        let resolver = fake.resolver();
        let own = format!("http://{}/dp/B0DLFMFBJW", fake.addr);
        let inputs = [
            own.as_str(),
            "http://127.0.0.1/dp/B0DLFMFBJW",
            "http://[::1]/dp/B0DLFMFBJW",
            "http://2130706433/",
            "https://amazon.com@evil.example/dp/B002MUC0ZY",
            "https://www.amazon.com:443@evil.example/",
            "https://amzn.to@evil.example/x",
            "https://amzn.to:8443/x",
            "https://amazon.com.evil.example/dp/B0DLFMFBJW",
            "https://amazon-deals.example/",
            "https://amzn.to.evil.example/3iZ9vyT",
            "https://evil.example/x.amzn.to/3iZ9vyT",
            "https://www.xn--mazon-3ve.com/dp/B002MUC0ZY",
            "ftp://amzn.to/3iZ9vyT",
            "javascript:fetch('https://amzn.to/x')",
            "https://amzn.to/",
            "https://www.amazon.com/s?k=x",
            // Product URLs need no request either.
            "https://www.amazon.de/dp/B01LZ79682",
            "https://www.amazon.com/gp/redirect.html?location=https%3A%2F%2Famzn.to%40evil.example%2F",
        ];
        for input in inputs {
            let _ = resolver.resolve(input).await;
        }
        assert_eq!(fake.requests(), Vec::<String>::new());
    }
}
