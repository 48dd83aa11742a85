//! Fetching Amazon product pages and saying what the caller should do with the
//! result: read the page, back off (blocked), give up (gone), or retry.
//!
//! Requests go straight to the storefront, or through `FETCH_URL_TEMPLATE` (a
//! scraping API) and `FETCH_PROXY_URL`. Redirects are followed only to Amazon
//! storefronts (HTTPS, port 443) or the template's own origin (same scheme,
//! host and port), so a page can never send us elsewhere.

use std::fmt;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, redirect};
use secrecy::ExposeSecret;

use super::extract::{self, ErrorPage, ExtractHint, Page, ProductSnapshot};
use crate::config::FetchConfig;
use crate::domain::{Marketplace, ProductRef};

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// Bodies smaller than this that are not a product are a bot challenge, not a page.
const CHALLENGE_MAX_BYTES: usize = 12 * 1024;

const MAX_REDIRECTS: usize = 5;

/// How long reading one fetched page may take before it counts as
/// unreadable. The reader's own limits keep every page far below this (see
/// `bench pages`); the bound is for what they do not foresee.
pub const READ_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Why Amazon did not show us the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockReason {
    Captcha,
    TooManyRequests,
    ServiceUnavailable,
    /// A tiny "server busy" / JavaScript challenge page.
    Challenge,
    Forbidden,
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockReason::Captcha => "a captcha page",
            BlockReason::TooManyRequests => "429 too many requests",
            BlockReason::ServiceUnavailable => "503 service unavailable",
            BlockReason::Challenge => "a bot challenge page",
            BlockReason::Forbidden => "403 forbidden",
        })
    }
}

/// What went wrong, by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Amazon is refusing us for now: back off, keep the last good price.
    #[error("Amazon is blocking automated checks right now ({0}); try again later")]
    Blocked(BlockReason),
    /// The product page does not exist (404): the product is gone.
    #[error("Amazon says this product page does not exist")]
    NotFound,
    /// Network trouble, a timeout or a 5xx: retry.
    #[error("temporary problem fetching the page: {0}")]
    Transient(String),
    /// We got a page but it is neither a product nor a known error page.
    #[error("the page could not be read as a product")]
    Unreadable,
    /// The HTTP client could not be built from the configuration.
    #[error("fetch setup failed: {0}")]
    Setup(String),
}

/// What the caller should do after a failed fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    BackOff,
    Gone,
    Retry,
}

impl FetchError {
    pub fn action(&self) -> Action {
        match self {
            FetchError::Blocked(_) | FetchError::Unreadable | FetchError::Setup(_) => {
                Action::BackOff
            }
            FetchError::NotFound => Action::Gone,
            FetchError::Transient(_) => Action::Retry,
        }
    }
}

/// A page body as fetched.
#[derive(Debug, Clone)]
pub struct FetchedPage {
    pub body: String,
}

/// A reusable HTTP client for product pages (cookies persist across fetches).
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    template: Option<String>,
    max_body: usize,
}

/// Installs ring as rustls' process-wide crypto provider (idempotent).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        // Where a redirect may lead: the template's own origin (scheme, host
        // and port, so another service on the same host is not reachable),
        // or an Amazon storefront over HTTPS on its standard port.
        let template_origin = cfg
            .url_template
            .as_deref()
            .and_then(|t| url::Url::parse(&t.replace("{url}", "x")).ok())
            .map(|u| u.origin())
            .filter(url::Origin::is_tuple);
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.stop();
            }
            if redirect_allowed(attempt.url(), template_origin.as_ref()) {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
            ),
        );
        headers.insert("upgrade-insecure-requests", HeaderValue::from_static("1"));
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .cookie_store(true)
            .redirect(policy)
            .connect_timeout(cfg.connect_timeout)
            .read_timeout(cfg.read_timeout)
            .timeout(cfg.connect_timeout + cfg.read_timeout * 2);
        if let Some(proxy) = &cfg.proxy_url {
            let proxy = reqwest::Proxy::all(proxy.expose_secret())
                .map_err(|_| FetchError::Setup("FETCH_PROXY_URL is not a usable proxy".into()))?;
            builder = builder.proxy(proxy);
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Setup(e.to_string()))?;
        Ok(Fetcher {
            client,
            template: cfg.url_template.clone(),
            max_body: cfg.max_body_bytes,
        })
    }

    /// The URL actually requested for a product: the canonical URL, or the
    /// template with `{url}` replaced by the percent-encoded canonical URL.
    pub fn request_url(&self, product: &ProductRef) -> String {
        let canonical = product.canonical_url();
        match &self.template {
            Some(t) => t.replace(
                "{url}",
                &utf8_percent_encode(&canonical, URL_COMPONENT).to_string(),
            ),
            None => canonical,
        }
    }

    /// Fetches a product page. A non-2xx answer is already classified.
    pub async fn fetch(&self, product: &ProductRef) -> Result<FetchedPage, FetchError> {
        let resp = self
            .client
            .get(self.request_url(product))
            .header(
                header::ACCEPT_LANGUAGE,
                product.marketplace.accept_language(),
            )
            .send()
            .await
            .map_err(transport_error)?;
        let status = resp.status();
        match status {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND | StatusCode::GONE => return Err(FetchError::NotFound),
            StatusCode::TOO_MANY_REQUESTS => {
                return Err(FetchError::Blocked(BlockReason::TooManyRequests));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                return Err(FetchError::Blocked(BlockReason::ServiceUnavailable));
            }
            StatusCode::FORBIDDEN => return Err(FetchError::Blocked(BlockReason::Forbidden)),
            s if s.is_redirection() => {
                return Err(FetchError::Transient(
                    "redirected somewhere we do not follow".into(),
                ));
            }
            s => return Err(FetchError::Transient(format!("HTTP {}", s.as_u16()))),
        }
        let charset = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(charset_of);
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(FetchError::Transient(
                "page larger than the size cap".into(),
            ));
        }
        let bytes = read_capped(resp, self.max_body).await?;
        Ok(FetchedPage {
            body: decode(&bytes, charset.as_deref()),
        })
    }

    /// Fetches and reads a product page, classifying captcha and error pages.
    pub async fn check(&self, product: &ProductRef) -> Result<ProductSnapshot, FetchError> {
        let page = self.fetch(product).await?;
        let hint = ExtractHint {
            marketplace: Some(product.marketplace),
            asin: Some(product.asin),
        };
        let len = page.body.len();
        let read = move || classify(extract::extract(&page.body, &hint), len);
        match off_runtime(READ_TIME_LIMIT, read).await {
            Some(result) => result,
            None => {
                tracing::warn!(
                    product.asin = %product.asin,
                    "reading the page did not finish in time; treated as unreadable"
                );
                Err(FetchError::Unreadable)
            }
        }
    }
}

/// Runs page reading on the blocking pool, never on the async workers, so
/// a slow page delays only its own caller. `None` when it takes longer than
/// `limit` (the thread finishes on its own; the reader's limits bound it)
/// or panics.
pub async fn off_runtime<T, F>(limit: Duration, work: F) -> Option<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::time::timeout(limit, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(done)) => Some(done),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "page reading failed");
            None
        }
        Err(_) => None,
    }
}

/// Whether a fetch may follow a redirect to `to`.
fn redirect_allowed(to: &url::Url, template_origin: Option<&url::Origin>) -> bool {
    if template_origin.is_some_and(|o| *o == to.origin()) {
        return true;
    }
    to.scheme() == "https"
        && to.port_or_known_default() == Some(443)
        && to
            .host_str()
            .is_some_and(|h| Marketplace::from_host(&h.to_ascii_lowercase()).is_some())
}

/// Turns an extracted page into the caller's next step.
pub fn classify(page: Page, body_len: usize) -> Result<ProductSnapshot, FetchError> {
    match page {
        Page::Product(p) => Ok(p),
        Page::Captcha => Err(FetchError::Blocked(BlockReason::Captcha)),
        Page::Error(ErrorPage::NotFound) => Err(FetchError::NotFound),
        Page::Error(ErrorPage::ServiceUnavailable) => {
            Err(FetchError::Blocked(BlockReason::ServiceUnavailable))
        }
        Page::Error(ErrorPage::Busy) => Err(FetchError::Blocked(BlockReason::Challenge)),
        Page::Error(ErrorPage::Unrecognised) if body_len < CHALLENGE_MAX_BYTES => {
            Err(FetchError::Blocked(BlockReason::Challenge))
        }
        Page::Error(ErrorPage::Unrecognised | ErrorPage::TooComplex) => Err(FetchError::Unreadable),
    }
}

fn transport_error(e: reqwest::Error) -> FetchError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_decode() || e.is_body() {
        "the response body was cut off or malformed"
    } else {
        "the connection failed"
    };
    FetchError::Transient(what.into())
}

async fn read_capped(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, FetchError> {
    let mut buf = Vec::with_capacity(256 * 1024);
    while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
        if buf.len() + chunk.len() > max {
            return Err(FetchError::Transient(
                "page larger than the size cap".into(),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Decodes with the header's charset, else a `<meta charset>` near the top, else UTF-8.
fn decode(bytes: &[u8], charset: Option<&str>) -> String {
    let label = charset
        .map(str::to_string)
        .or_else(|| sniff_meta_charset(bytes));
    let encoding = label
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

fn sniff_meta_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let rest = head[at..].trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| rest[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Asin;

    fn product(tld: &str, asin: &str) -> ProductRef {
        ProductRef {
            marketplace: Marketplace::from_tld(tld).unwrap(),
            asin: Asin::parse(asin).unwrap(),
        }
    }

    #[test]
    fn template_gets_the_encoded_canonical_url() {
        let cfg = FetchConfig {
            url_template: Some("http://127.0.0.1:9/fetch?key=K&url={url}".into()),
            ..FetchConfig::default()
        };
        let f = Fetcher::new(&cfg).unwrap();
        assert_eq!(
            f.request_url(&product("de", "B01LZ79682")),
            "http://127.0.0.1:9/fetch?key=K&url=https%3A%2F%2Fwww.amazon.de%2Fdp%2FB01LZ79682"
        );
        let direct = Fetcher::new(&FetchConfig::default()).unwrap();
        assert_eq!(
            direct.request_url(&product("co.jp", "B07G2L3JMM")),
            "https://www.amazon.co.jp/dp/B07G2L3JMM"
        );
    }

    #[test]
    fn charsets() {
        assert_eq!(
            charset_of("text/html; charset=Shift_JIS").as_deref(),
            Some("Shift_JIS")
        );
        assert_eq!(charset_of("text/html").as_deref(), None);
        let sjis = b"<meta charset=\"shift_jis\"><p>\x93\xfa\x96\x7b</p>";
        assert!(decode(sjis, None).contains("日本"));
        assert_eq!(decode("€".as_bytes(), None), "€");
    }

    #[test]
    fn redirects_stay_on_the_template_origin_or_amazon_over_https() {
        let template = url::Url::parse("http://127.0.0.1:9000/fetch?url=x")
            .map(|u| u.origin())
            .unwrap();
        let allowed = |to: &str| redirect_allowed(&url::Url::parse(to).unwrap(), Some(&template));
        assert!(allowed("http://127.0.0.1:9000/hop/1/B01LZ79682"));
        assert!(allowed("https://www.amazon.de/dp/B01LZ79682"));
        assert!(allowed("https://www.amazon.de:443/dp/B01LZ79682"));
        assert!(!allowed("http://127.0.0.1:9001/fetch?url=x"));
        assert!(!allowed("https://127.0.0.1:9000/fetch?url=x"));
        assert!(!allowed("http://localhost:9000/fetch?url=x"));
        assert!(!allowed("http://www.amazon.de/dp/B01LZ79682"));
        assert!(!allowed("https://www.amazon.de:8443/dp/B01LZ79682"));
        assert!(!allowed("https://www.amazon.de.evil.example/dp/B01LZ79682"));
        assert!(!redirect_allowed(
            &url::Url::parse("http://127.0.0.1:9000/x").unwrap(),
            None
        ));
    }

    #[tokio::test]
    async fn reading_off_the_runtime_is_time_bound() {
        let quick = off_runtime(Duration::from_secs(5), || 7).await;
        assert_eq!(quick, Some(7));
        let slow = off_runtime(Duration::from_millis(10), || {
            std::thread::sleep(Duration::from_millis(500));
            7
        });
        assert_eq!(slow.await, None);
    }

    #[test]
    fn every_error_says_what_to_do() {
        assert_eq!(FetchError::NotFound.action(), Action::Gone);
        assert_eq!(
            FetchError::Blocked(BlockReason::Captcha).action(),
            Action::BackOff
        );
        assert_eq!(FetchError::Transient("x".into()).action(), Action::Retry);
        assert_eq!(
            classify(Page::Captcha, 5000),
            Err(FetchError::Blocked(BlockReason::Captcha))
        );
        assert_eq!(
            classify(Page::Error(ErrorPage::Unrecognised), 800),
            Err(FetchError::Blocked(BlockReason::Challenge))
        );
        assert_eq!(
            classify(Page::Error(ErrorPage::Unrecognised), 500_000),
            Err(FetchError::Unreadable)
        );
        // A page past the reader's limits is "could not read", however
        // small, and backs off like a blocked one.
        let refused = classify(Page::Error(ErrorPage::TooComplex), 800);
        assert_eq!(refused, Err(FetchError::Unreadable));
        assert_eq!(FetchError::Unreadable.action(), Action::BackOff);
    }
}
