//! The parsing tables (every URL form we accept or refuse, and the shared
//! fixture) and the reply texts of the public error types.

use super::*;
use crate::domain::Marketplace;

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
