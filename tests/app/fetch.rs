//! Fetching through FETCH_URL_TEMPLATE against the fake Amazon: what each
//! kind of answer means for the caller.

use std::time::Duration;

use pricewatch::amazon::fetch::{Action, BlockReason, FetchError, Fetcher};
use pricewatch::config::FetchConfig;
use pricewatch::domain::{Asin, Marketplace, ProductRef};

use crate::fake_amazon::{Answer, FakeAmazon, page};

fn product(tld: &str, asin: &str) -> ProductRef {
    ProductRef {
        marketplace: Marketplace::from_tld(tld).unwrap(),
        asin: Asin::parse(asin).unwrap(),
    }
}

async fn setup() -> (FakeAmazon, Fetcher) {
    let fake = FakeAmazon::start().await;
    let cfg = FetchConfig {
        url_template: Some(fake.template()),
        read_timeout: Duration::from_secs(2),
        ..FetchConfig::default()
    };
    (fake.clone(), Fetcher::new(&cfg).unwrap())
}

#[tokio::test]
async fn a_corpus_page_through_the_template_is_a_product() {
    let Some(html) = page("de-B01LZ79682.html") else {
        return;
    };
    let (fake, fetcher) = setup().await;
    fake.answer("B01LZ79682", Answer::Html(html));
    let p = fetcher.check(&product("de", "B01LZ79682")).await.unwrap();
    assert_eq!(p.price.unwrap().to_decimal_string(), "12.99");
    assert_eq!(p.price.unwrap().currency().code(), "EUR");
    assert_eq!(p.list_price.unwrap().to_decimal_string(), "25.99");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    // The canonical URL arrives percent-encoded in the template's {url}.
    assert_eq!(
        reqs[0].path_and_query,
        "/fetch?url=https://www.amazon.de/dp/B01LZ79682"
    );
    assert!(
        reqs[0]
            .accept_language
            .as_deref()
            .unwrap()
            .starts_with("de-DE")
    );
    assert!(
        reqs[0]
            .user_agent
            .as_deref()
            .unwrap()
            .starts_with("Mozilla/5.0")
    );
}

#[tokio::test]
async fn a_gzip_body_is_decompressed() {
    let Some(html) = page("uk-1473210208.html") else {
        return;
    };
    let (fake, fetcher) = setup().await;
    fake.answer("1473210208", Answer::Gzip(html));
    let p = fetcher
        .check(&product("co.uk", "1473210208"))
        .await
        .unwrap();
    assert_eq!(p.price.unwrap().to_decimal_string(), "6.62");
    let enc = fake.requests()[0]
        .accept_encoding
        .clone()
        .unwrap_or_default();
    assert!(enc.contains("gzip") && enc.contains("br"), "{enc}");
}

#[tokio::test]
async fn a_captcha_page_is_blocked_not_a_product() {
    let Some(html) = page("com-captcha-2019.html") else {
        return;
    };
    let (fake, fetcher) = setup().await;
    fake.answer("B07G2L3JMM", Answer::Html(html));
    let err = fetcher
        .check(&product("com", "B07G2L3JMM"))
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Blocked(BlockReason::Captcha));
    assert_eq!(err.action(), Action::BackOff);
}

#[tokio::test]
async fn a_503_dogs_page_and_a_429_mean_back_off() {
    let Some(dogs) = page("com-503-dogs-of-amazon.html") else {
        return;
    };
    let (fake, fetcher) = setup().await;
    fake.answer("B07G2L3JMM", Answer::Status(503, dogs.clone()));
    fake.answer("B0057OC5O8", Answer::Status(429, String::new()));
    fake.answer("B0BRZXRBZL", Answer::Html(dogs));
    let e = fetcher
        .check(&product("com", "B07G2L3JMM"))
        .await
        .unwrap_err();
    assert_eq!(e, FetchError::Blocked(BlockReason::ServiceUnavailable));
    let e = fetcher
        .check(&product("com", "B0057OC5O8"))
        .await
        .unwrap_err();
    assert_eq!(e, FetchError::Blocked(BlockReason::TooManyRequests));
    // The same dogs page with a 200 status is still not a product.
    let e = fetcher
        .check(&product("com", "B0BRZXRBZL"))
        .await
        .unwrap_err();
    assert_eq!(e.action(), Action::BackOff);
}

#[tokio::test]
async fn a_tiny_200_challenge_is_blocked() {
    let (fake, fetcher) = setup().await;
    let challenge = "<html><head><title>Amazon.com</title></head><body>\
        <script>window.location.reload()</script><p>Server busy, please wait.</p></body></html>";
    fake.answer("B07G2L3JMM", Answer::Html(challenge.into()));
    let e = fetcher
        .check(&product("com", "B07G2L3JMM"))
        .await
        .unwrap_err();
    assert!(matches!(e, FetchError::Blocked(_)), "{e:?}");
}

#[tokio::test]
async fn a_404_means_the_product_is_gone() {
    let (fake, fetcher) = setup().await;
    fake.answer(
        "B07G2L3JMM",
        Answer::Status(404, "<html>Page Not Found</html>".into()),
    );
    let e = fetcher
        .check(&product("com", "B07G2L3JMM"))
        .await
        .unwrap_err();
    assert_eq!(e, FetchError::NotFound);
    assert_eq!(e.action(), Action::Gone);
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retried() {
    let (fake, fetcher) = setup().await;
    fake.answer("B07G2L3JMM", Answer::Status(500, "oops".into()));
    let slow = Answer::Slow(Duration::from_secs(5), Box::new(Answer::Html("x".into())));
    fake.answer("B0057OC5O8", slow);
    let e = fetcher
        .check(&product("com", "B07G2L3JMM"))
        .await
        .unwrap_err();
    assert_eq!(e.action(), Action::Retry, "{e:?}");
    let e = fetcher
        .check(&product("com", "B0057OC5O8"))
        .await
        .unwrap_err();
    assert_eq!(e, FetchError::Transient("timed out".into()));
}

#[tokio::test]
async fn redirect_chains_are_followed_up_to_five_hops_on_allowed_hosts() {
    let Some(html) = page("ca-B01GAWQSFW.html") else {
        return;
    };
    let (fake, fetcher) = setup().await;
    fake.answer(
        "B01GAWQSFW",
        Answer::Redirects(5, Box::new(Answer::Html(html.clone()))),
    );
    let p = fetcher.check(&product("ca", "B01GAWQSFW")).await.unwrap();
    assert_eq!(p.price.unwrap().to_decimal_string(), "5.77");
    assert_eq!(fake.requests().len(), 6);

    fake.answer(
        "B01GAWQSFW",
        Answer::Redirects(6, Box::new(Answer::Html(html))),
    );
    let e = fetcher
        .check(&product("ca", "B01GAWQSFW"))
        .await
        .unwrap_err();
    assert_eq!(e.action(), Action::Retry, "{e:?}");

    // A redirect off the allowed hosts is never followed.
    let before = fake.requests().len();
    let elsewhere = format!("http://localhost:{}/fetch?url=x", fake.addr.unwrap().port());
    fake.answer("B01GAWQSFW", Answer::RedirectTo(elsewhere));
    let e = fetcher
        .check(&product("ca", "B01GAWQSFW"))
        .await
        .unwrap_err();
    assert!(matches!(e, FetchError::Transient(_)), "{e:?}");
    assert_eq!(fake.requests().len(), before + 1);
}

#[tokio::test]
async fn bodies_over_eight_megabytes_are_refused() {
    let (fake, fetcher) = setup().await;
    let huge = format!("<html>{}</html>", "x".repeat(9 * 1024 * 1024));
    fake.answer("B07G2L3JMM", Answer::Gzip(huge));
    let e = fetcher
        .check(&product("com", "B07G2L3JMM"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        FetchError::Transient("page larger than the size cap".into())
    );
}

#[tokio::test]
async fn a_redirect_to_another_port_on_the_template_host_is_not_followed() {
    let Some(html) = page("de-B01LZ79682.html") else {
        return;
    };
    let (fake, fetcher) = setup().await;
    // Another service on the same host (127.0.0.1), on another port, that
    // would answer with a product page if it were asked.
    let other = FakeAmazon::start().await;
    other.answer("B01LZ79682", Answer::Html(html.clone()));
    let other_port = other.addr.unwrap().port();
    let to = format!("http://127.0.0.1:{other_port}/fetch?url=https://www.amazon.de/dp/B01LZ79682");
    fake.answer("B01LZ79682", Answer::RedirectTo(to));
    let e = fetcher
        .check(&product("de", "B01LZ79682"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        FetchError::Transient("redirected somewhere we do not follow".into())
    );
    assert!(other.requests().is_empty(), "{:?}", other.requests());

    // The same redirect on the template's own port is followed.
    let own_port = fake.addr.unwrap().port();
    let home = format!("http://127.0.0.1:{own_port}/fetch?url=https://www.amazon.de/dp/B01LZ79683");
    fake.answer("B01LZ79682", Answer::RedirectTo(home));
    fake.answer("B01LZ79683", Answer::Html(html));
    let p = fetcher.check(&product("de", "B01LZ79682")).await.unwrap();
    assert_eq!(p.price.unwrap().to_decimal_string(), "12.99");
}
