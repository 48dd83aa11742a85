//! A local stand-in for Amazon, reached the way users reach a scraping API:
//! through `FETCH_URL_TEMPLATE=http://127.0.0.1:PORT/fetch?url={url}`.
//! Each ASIN can be told what to answer; every request is recorded.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// What the fake answers for one ASIN.
#[derive(Clone, Debug)]
pub enum Answer {
    /// 200 with this HTML.
    Html(String),
    /// 200 with this HTML, shared by many products without copying it.
    Shared(Arc<String>),
    /// 200 with this HTML, gzip-compressed on the wire.
    Gzip(String),
    /// This status with this body.
    Status(u16, String),
    /// A chain of `hops` redirects on the fake's own host, then `then`.
    Redirects(usize, Box<Answer>),
    /// A redirect to another host.
    RedirectTo(String),
    /// Wait this long, then answer.
    Slow(Duration, Box<Answer>),
}

#[derive(Clone, Debug)]
pub struct Request {
    pub path_and_query: String,
    pub accept_language: Option<String>,
    pub accept_encoding: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Default)]
struct Inner {
    answers: HashMap<String, Answer>,
    requests: Vec<Request>,
    /// Short-link code (`/d/5dF49o2`) → where it redirects.
    short: HashMap<String, String>,
}

#[derive(Clone, Default)]
pub struct FakeAmazon {
    inner: Arc<Mutex<Inner>>,
    pub addr: Option<SocketAddr>,
}

impl FakeAmazon {
    pub async fn start() -> FakeAmazon {
        let mut fake = FakeAmazon::default();
        let app = Router::new()
            .route("/fetch", get(fetch))
            .route("/hop/{n}/{asin}", get(hop))
            .route("/d/{code}", get(short_link))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        fake.addr = Some(listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    /// The value for `FETCH_URL_TEMPLATE`.
    pub fn template(&self) -> String {
        format!("http://{}/fetch?url={{url}}", self.addr.unwrap())
    }

    pub fn answer(&self, asin: &str, answer: Answer) {
        self.inner
            .lock()
            .unwrap()
            .answers
            .insert(asin.to_string(), answer);
    }

    /// `amzn.eu/d/{code}` (reached through the resolver's connect-to) redirects to `to`.
    pub fn short_link(&self, code: &str, to: &str) {
        self.inner
            .lock()
            .unwrap()
            .short
            .insert(code.to_string(), to.to_string());
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }
}

fn record(fake: &FakeAmazon, headers: &HeaderMap, path_and_query: String) {
    let h = |k: header::HeaderName| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    fake.inner.lock().unwrap().requests.push(Request {
        path_and_query,
        accept_language: h(header::ACCEPT_LANGUAGE),
        accept_encoding: h(header::ACCEPT_ENCODING),
        user_agent: h(header::USER_AGENT),
    });
}

/// The ASIN in a canonical URL `https://www.amazon.<tld>/dp/<ASIN>`.
fn asin_of(url: &str) -> Option<String> {
    url.rsplit_once("/dp/")
        .map(|(_, a)| a.trim_end_matches('/').to_string())
}

async fn fetch(
    State(fake): State<FakeAmazon>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let url = q.get("url").cloned().unwrap_or_default();
    record(&fake, &headers, format!("/fetch?url={url}"));
    let Some(asin) = asin_of(&url) else {
        return (StatusCode::BAD_REQUEST, "no product url").into_response();
    };
    let answer = fake.inner.lock().unwrap().answers.get(&asin).cloned();
    match answer {
        Some(a) => respond(&fake, &asin, a).await,
        None => (StatusCode::NOT_FOUND, "unknown asin").into_response(),
    }
}

async fn short_link(
    State(fake): State<FakeAmazon>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    record(&fake, &headers, format!("/d/{code}"));
    let to = fake.inner.lock().unwrap().short.get(&code).cloned();
    match to {
        Some(to) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response(),
        None => (StatusCode::NOT_FOUND, "unknown short link").into_response(),
    }
}

async fn hop(
    State(fake): State<FakeAmazon>,
    Path((n, asin)): Path<(usize, String)>,
    headers: HeaderMap,
) -> Response {
    record(&fake, &headers, format!("/hop/{n}/{asin}"));
    let answer = fake.inner.lock().unwrap().answers.get(&asin).cloned();
    match answer {
        Some(Answer::Redirects(_, then)) if n == 0 => Box::pin(respond(&fake, &asin, *then)).await,
        Some(Answer::Redirects(..)) => redirect(&format!("/hop/{}/{asin}", n - 1)),
        _ => (StatusCode::NOT_FOUND, "no chain").into_response(),
    }
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
        "",
    )
        .into_response()
}

async fn respond(fake: &FakeAmazon, asin: &str, answer: Answer) -> Response {
    let html = [(header::CONTENT_TYPE, "text/html;charset=UTF-8")];
    match answer {
        Answer::Html(body) => (html, body).into_response(),
        Answer::Shared(body) => (html, body.as_str().to_owned()).into_response(),
        Answer::Gzip(body) => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(body.as_bytes()).unwrap();
            let bytes = enc.finish().unwrap();
            (html, [(header::CONTENT_ENCODING, "gzip")], bytes).into_response()
        }
        Answer::Status(code, body) => {
            (StatusCode::from_u16(code).unwrap(), html, body).into_response()
        }
        Answer::Redirects(hops, _) => redirect(&format!("/hop/{}/{asin}", hops.saturating_sub(1))),
        Answer::RedirectTo(location) => redirect(&location),
        Answer::Slow(d, then) => {
            tokio::time::sleep(d).await;
            Box::pin(respond(fake, asin, *then)).await
        }
    }
}

/// The folder of real Amazon pages; panics under CI when missing.
pub fn corpus() -> Option<PathBuf> {
    pricewatch::test_support::corpus_dir()
}

pub fn page(name: &str) -> Option<String> {
    let path = corpus()?.join(name);
    Some(String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned())
}

/// The real amazon.de page of B01LZ79682 (EUR 12,99), showing another price.
pub fn de_page_at(price_minor: i64) -> Option<String> {
    let html = page("de-B01LZ79682.html")?;
    let (euros, cents) = (price_minor / 100, price_minor % 100);
    Some(
        html.replace("12,99", &format!("{euros},{cents:02}"))
            .replace("12.99", &format!("{euros}.{cents:02}")),
    )
}
