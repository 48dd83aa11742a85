//! The short-link resolver: the only network a user's link can cause. It
//! follows Amazon's short links one checked hop at a time and never connects
//! to anything but Amazon's short-link hosts.

use std::net::SocketAddr;
use std::time::Duration;

use url::{Host, Url};

use super::parse::{SHORT_HOSTS, classify, parse};
use super::{Link, ShortLinkFailure, UrlError};
use crate::domain::ProductRef;

/// Requests made for one short link, at most (a hop whose `Location` is already
/// a product URL costs nothing more).
const MAX_HOPS: usize = 5;
/// Per request; a short-link service slower than this is as good as down.
const HOP_TIMEOUT: Duration = Duration::from_secs(5);
const USER_AGENT: &str = concat!("pricewatch/", env!("CARGO_PKG_VERSION"));

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

#[cfg(test)]
// Tests may panic on broken set-up; that is what a failing test is.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::amazon::url::PageKind;

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
