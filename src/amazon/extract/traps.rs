//! Handwritten pages, one trap each: what must never be read as the price,
//! how the featured offer is found, and how blocked pages are told apart.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test that cannot build its page should fail loudly"
)]

use scraper::Html;

use super::*;

fn de() -> ExtractHint {
    ExtractHint {
        marketplace: Marketplace::from_tld("de"),
        asin: None,
    }
}

fn us() -> ExtractHint {
    ExtractHint {
        marketplace: Marketplace::from_tld("com"),
        asin: None,
    }
}

/// A desktop product page with `body` as the buy box and centre column.
fn page(body: &str) -> String {
    format!(
        r#"<!doctype html><html><head><title>Amazon</title>
        <link rel="canonical" href="https://www.amazon.com/Some-Thing/dp/B000000001"></head>
        <body><div id="dp"><div id="ppd">
        <div id="centerCol"><h1 id="title"><span id="productTitle">  A   Thing
        </span></h1></div>
        <div id="rightCol"><div id="buybox"><form id="addToCart">
        <input type="hidden" id="ASIN" name="ASIN" value="B000000002">
        {body}
        </form></div></div>
        </div></div></body></html>"#
    )
}

fn product_of(html: &str, hint: &ExtractHint) -> ProductSnapshot {
    match extract(html, hint) {
        Page::Product(p) => p,
        other => panic!("not a product: {other:?}"),
    }
}

fn price_of(html: &str, hint: &ExtractHint) -> Option<String> {
    product_of(html, hint).price.map(|m| m.to_decimal_string())
}

const BUY: &str = r#"<input id="add-to-cart-button" name="submit.add-to-cart" type="submit">"#;

fn a_price(text: &str, class: &str) -> String {
    format!(r#"<span class="a-price {class}"><span class="a-offscreen">{text}</span></span>"#)
}

#[test]
fn identity_comes_from_the_page() {
    let p = product_of(
        &page(&format!("{}{BUY}", a_price("$12.99", "priceToPay"))),
        &ExtractHint::default(),
    );
    assert_eq!(p.marketplace.name(), "amazon.com");
    // The buy box's ASIN (the selected variation), not the canonical parent.
    assert_eq!(p.asin.as_str(), "B000000002");
    assert_eq!(p.title, "A Thing");
    assert_eq!(p.availability, Availability::InStock);
    assert_eq!(p.condition, Some(Condition::New));
}

#[test]
fn the_hint_wins() {
    let hint = ExtractHint {
        marketplace: Marketplace::from_tld("co.uk"),
        asin: Asin::parse("B000000009"),
    };
    let p = product_of(
        &page(&format!("{}{BUY}", a_price("£12.99", "priceToPay"))),
        &hint,
    );
    assert_eq!(p.marketplace.name(), "amazon.co.uk");
    assert_eq!(p.asin.as_str(), "B000000009");
    assert_eq!(
        p.price.map(|m| m.to_decimal_string()).as_deref(),
        Some("12.99")
    );
}

#[test]
fn unit_price_is_not_the_price() {
    let body = format!(
        r#"<div id="corePriceDisplay_desktop_feature_div">
        <span class="a-size-small">(<span class="a-price a-text-price" data-a-size="mini">
        <span class="a-offscreen">$6.24</span></span> / count)</span>
        {}</div>{BUY}"#,
        a_price("$24.99", "priceToPay")
    );
    assert_eq!(price_of(&page(&body), &us()).as_deref(), Some("24.99"));
    let unit_only = format!(
        r#"<div id="corePrice_feature_div"><span class="pricePerUnit">{}</span>
        {}</div>{BUY}"#,
        a_price("12,50 €", ""),
        a_price("25,00 €", "")
    );
    assert_eq!(price_of(&page(&unit_only), &de()).as_deref(), Some("25.00"));
}

#[test]
fn subscribe_and_save_is_not_the_price() {
    // The S&S row is active by default; the one-time price is what is paid now.
    let body = format!(
        r#"<div id="buyBoxAccordion" class="a-box-group a-accordion">
        <div id="snsAccordionRowMiddle" class="a-box a-accordion-active">{}</div>
        <div id="newAccordionRow" class="a-box">{}</div></div>
        <span id="snsPrice">$9.00</span>{BUY}"#,
        a_price("$9.50", "priceToPay"),
        a_price("$10.00", "priceToPay")
    );
    assert_eq!(price_of(&page(&body), &us()).as_deref(), Some("10.00"));
}

#[test]
fn format_swatches_and_kindle_unlimited_are_not_the_price() {
    let body = format!(
        r#"<div id="tmmSwatches"><span class="slot-price">{}</span>
        <span>0,00 € mit Kindle Unlimited</span></div>
        <div id="kindle-price">9,99 €</div>{BUY}"#,
        a_price("4,99 €", "priceToPay")
    );
    assert_eq!(price_of(&page(&body), &de()).as_deref(), Some("9.99"));
}

#[test]
fn coupons_and_other_sellers_are_not_the_price() {
    let body = format!(
        r#"<div id="couponBadge">{}</div>
        <div id="olp_feature_div"><a href="/gp/offer-listing/B000000002">New (3) from $18.93</a></div>
        <span id="priceblock_ourprice">$20.00</span>{BUY}"#,
        a_price("$2.00", "priceToPay")
    );
    assert_eq!(price_of(&page(&body), &us()).as_deref(), Some("20.00"));
}

#[test]
fn shipping_shown_apart_is_not_part_of_the_price() {
    let body = format!(
        r#"<span id="priceblock_ourprice">$2.27</span>
        <span id="ourprice_shippingmessage">+ $1.99 shipping</span>{BUY}"#
    );
    assert_eq!(price_of(&page(&body), &us()).as_deref(), Some("2.27"));
    let one_line = format!(r#"<div id="price_inside_buybox">$2.27 + $1.99 shipping</div>{BUY}"#);
    assert_eq!(price_of(&page(&one_line), &us()).as_deref(), Some("2.27"));
}

#[test]
fn list_price_is_read_beside_the_price_and_never_as_it() {
    let body = format!(
        r#"<div id="corePriceDisplay_desktop_feature_div">
        <span class="a-size-small basisPrice">UVP: <span class="a-price a-text-price" data-a-strike="true">
        <span class="a-offscreen">25,99 €</span></span></span>
        {}</div>{BUY}"#,
        a_price("12,99 €", "priceToPay")
    );
    let p = product_of(&page(&body), &de());
    assert_eq!(
        p.price.map(|m| m.to_decimal_string()).as_deref(),
        Some("12.99")
    );
    assert_eq!(
        p.list_price.map(|m| m.to_decimal_string()).as_deref(),
        Some("25.99")
    );
    // A strike-through price in a carousel belongs to another product.
    let carousel = format!(
        r#"<span id="priceblock_ourprice">$5.00</span>{BUY}
        <div id="sims-fbt"><span class="a-text-strike">$50.00</span></div>"#
    );
    assert_eq!(product_of(&page(&carousel), &us()).list_price, None);
}

#[test]
fn used_only_buy_box_is_a_used_offer() {
    let body = r#"<div id="usedOnlyBuybox"><div id="usedBuySection">
        <span class="a-color-price offer-price">£4.45</span></div>
        <input id="add-to-cart-button-ubb" name="submit.add-to-cart-ubb" type="submit"></div>"#;
    let hint = ExtractHint {
        marketplace: Marketplace::from_tld("co.uk"),
        asin: None,
    };
    let p = product_of(&page(body), &hint);
    assert_eq!(
        p.price.map(|m| m.to_decimal_string()).as_deref(),
        Some("4.45")
    );
    assert_eq!(p.condition, Some(Condition::Used));
    assert_eq!(p.availability, Availability::InStock);
}

#[test]
fn no_featured_offer_means_no_price() {
    let see_all = r#"<div id="unqualifiedBuyBox"><a href="/gp/offer-listing/B000000002">11 used &amp; new</a>
        from <span class="a-color-price">$18.93</span>
        <span id="buybox-see-all-buying-choices"><a>See All Buying Options</a></span></div>"#;
    let p = product_of(&page(see_all), &us());
    assert_eq!((p.price, p.condition), (None, None));
    assert_eq!(p.availability, Availability::OnlyOtherSellers);

    let gone =
        r#"<div id="outOfStock"><span class="a-color-price">Derzeit nicht verfügbar.</span></div>"#;
    let p = product_of(&page(gone), &de());
    assert_eq!(p.availability, Availability::Unavailable);
    assert_eq!(p.price, None);
}

#[test]
fn out_of_stock_is_read_from_the_availability_line() {
    let body = format!(
        r#"<span id="priceblock_ourprice">$20.00</span>
        <div id="availability"><span>Temporarily out of stock.</span></div>{BUY}"#
    );
    assert_eq!(
        product_of(&page(&body), &us()).availability,
        Availability::OutOfStock
    );
}

#[test]
fn robot_checks_are_captchas_in_any_language() {
    let form = r#"<html><head><title>Amazon.de</title></head><body>
        <h4>Geben Sie die Zeichen unten ein</h4>
        <form method="get" action="/errors/validateCaptcha"><input id="captchacharacters"></form>
        </body></html>"#;
    assert_eq!(extract(form, &ExtractHint::default()), Page::Captcha);
    // A product page reached after a captcha keeps the captcha URL as referrer.
    let after = page(&format!(
        r#"<script>var r = "https://www.amazon.com/errors/validateCaptcha?amzn=x";</script>{}{BUY}"#,
        a_price("$1.00", "priceToPay")
    ));
    assert!(matches!(extract(&after, &us()), Page::Product(_)));
}

#[test]
fn tiny_pages_without_a_product_are_busy() {
    let busy = r#"<html><head><title>Amazon.com</title></head><body>
        <p>Oops! It's rush hour and traffic is piling up on that page.</p></body></html>"#;
    assert_eq!(
        extract(busy, &ExtractHint::default()),
        Page::Error(ErrorPage::Busy)
    );
    let challenge = r#"<html><head><script src="https://x.token.awswaf.com/challenge.js"></script>
        </head><body><div id="challenge-container"></div></body></html>"#;
    assert_eq!(
        extract(challenge, &ExtractHint::default()),
        Page::Error(ErrorPage::Busy)
    );
}

#[test]
fn the_dogs_pages_are_errors() {
    let not_found = r#"<!doctype html><html><head><title>Page Not Found</title></head><body>
        <a href="/ref=cs_404_logo"><img src="https://images-na.ssl-images-amazon.com/images/G/03/error/logo._TTD_.png"></a>
        <img alt="Sorry! We couldn't find that page." src="https://images-na.ssl-images-amazon.com/images/G/03/error/de_DE/title._TTD_.png">
        <a href="/dogsofamazon"><img id="d" alt="Dogs of Amazon"></a></body></html>"#;
    assert_eq!(
        extract(not_found, &ExtractHint::default()),
        Page::Error(ErrorPage::NotFound)
    );
    assert_eq!(
        page_marketplace(not_found).map(|m| m.name()).as_deref(),
        Some("amazon.de")
    );

    let old_404 = r#"<html><head><title>Amazon.co.uk</title></head><body>
        <b>Looking for something?</b> We're sorry. The Web address you entered is not a functioning page on our site.
        </body></html>"#;
    assert_eq!(
        extract(old_404, &ExtractHint::default()),
        Page::Error(ErrorPage::NotFound)
    );

    let unavailable = r#"<html><head><title>503 - Service Unavailable Error</title></head><body>
        <a href="/ref=cs_503_link/"><img src="https://images-na.ssl-images-amazon.com/images/G/01/error/en_US/500_503._TTD_.png"></a>
        <a href="/dogsofamazon"><img id="d"></a></body></html>"#;
    assert_eq!(
        extract(unavailable, &ExtractHint::default()),
        Page::Error(ErrorPage::ServiceUnavailable)
    );
}

#[test]
fn big_pages_that_are_not_products_are_unrecognised() {
    let filler = "<p>Lots of search results</p>".repeat(10_000);
    let html =
        format!("<html><head><title>Amazon.com: shoes</title></head><body>{filler}</body></html>");
    assert_eq!(
        extract(&html, &ExtractHint::default()),
        Page::Error(ErrorPage::Unrecognised)
    );
}

#[test]
fn marketplace_from_scripts_when_the_page_has_no_url() {
    let html = r#"<html><head><script>var ue_mid = 'A1PA6795UKMFR9', ue_sn = 'www.amazon.de';</script>
        </head><body></body></html>"#;
    assert_eq!(
        page_marketplace(html).map(|m| m.name()).as_deref(),
        Some("amazon.de")
    );
    let footer = r#"<html><body><form action="/errors/validateCaptcha"></form>
        <a href="https://www.amazon.co.uk/gp/help/customer/display.html/ref=footer_cou">Conditions of Use</a>
        <a href="https://www.amazon.co.uk/gp/help/customer/display.html/ref=footer_privacy">Privacy</a>
        </body></html>"#;
    assert_eq!(extract(footer, &ExtractHint::default()), Page::Captcha);
    assert_eq!(
        page_marketplace(footer).map(|m| m.name()).as_deref(),
        Some("amazon.co.uk")
    );
    let mid_only = r#"<script>x = c.ue_mid||"mid"; ue_mid = "A1VC38T7YXB528";</script>"#;
    assert_eq!(
        page_marketplace(mid_only).map(|m| m.name()).as_deref(),
        Some("amazon.co.jp")
    );
}

#[test]
fn other_sellers_named_in_the_availability_line() {
    // 2017-2019: no buy box, "Available from these sellers." links the offers.
    let body = r#"<div id="availability"><span>Available from
        <a href="/gp/offer-listing/B000000002/ref=dp_olp_0">these sellers</a>.</span></div>"#;
    let p = product_of(&page(body), &us());
    assert_eq!(p.availability, Availability::OnlyOtherSellers);
    assert_eq!((p.price, p.condition, p.seller), (None, None, None));
}

#[test]
fn the_active_accordion_row_is_the_featured_offer() {
    // Mobile 2018: the used row comes first, the new row is selected.
    let body = format!(
        r#"<div id="buyBoxAccordion" class="a-box-group a-accordion">
        <div id="usedAccordionRow" class="a-box"><span id="usedPrice">$17.99</span>
          <input id="add-to-cart-button-ubb-mobile" type="submit"></div>
        <div id="newAccordionRow" class="a-box a-accordion-active">
          <span id="newBuyBoxPrice">$21.11</span>{BUY}</div></div>"#
    );
    let p = product_of(&page(&body), &us());
    assert_eq!(
        p.price.map(|m| m.to_decimal_string()).as_deref(),
        Some("21.11")
    );
    assert_eq!(p.condition, Some(Condition::New));

    // When the used row is the selected one, the offer is used.
    let used = body.replace("a-box a-accordion-active", "a-box").replace(
        r#"class="a-box"><span id="usedPrice""#,
        r#"class="a-box a-accordion-active"><span id="usedPrice" class="offer-price""#,
    );
    let p = product_of(&page(&used), &us());
    assert_eq!(
        p.price.map(|m| m.to_decimal_string()).as_deref(),
        Some("17.99")
    );
    assert_eq!(p.condition, Some(Condition::Used));
}

#[test]
fn add_ons_and_ranges_are_not_the_price() {
    // A protection plan offered as a checkbox in the buy box.
    let addon = format!(
        r#"<div id="abbWrapper"><div class="a-checkbox"><label>AppleCare
        <span class="a-color-price offer-price">5,322.00</span></label></div></div>
        <span class="a-color-price offer-price">237,097.00</span>{BUY}"#
    );
    let hint = ExtractHint {
        marketplace: Marketplace::from_tld("in"),
        asin: None,
    };
    let p = product_of(&page(&addon), &hint);
    assert_eq!(
        p.price.map(|m| m.to_decimal_string()).as_deref(),
        Some("237097.00")
    );
    assert_eq!(
        p.price.map(|m| m.currency().code().to_string()).as_deref(),
        Some("INR")
    );

    // A parent product shows a range until a size is chosen: no price to pay.
    let range = r#"<span id="priceblock_ourprice">$12.99 - $24.99</span>"#;
    assert_eq!(product_of(&page(range), &us()).price, None);
}

#[test]
fn split_and_yen_prices() {
    // The screen-reader copy is empty; the visible spans carry the price.
    let body = format!(
        r#"<span class="a-price priceToPay"><span class="a-offscreen"></span>
        <span class="a-price-symbol">￥</span><span class="a-price-whole">1,980</span>
        <span class="a-price-fraction"></span></span>{BUY}"#
    );
    let jp = ExtractHint {
        marketplace: Marketplace::from_tld("co.jp"),
        asin: None,
    };
    assert_eq!(price_of(&page(&body), &jp).as_deref(), Some("1980"));

    // Mobile 2018 "pitch" price: $ 21 11 in three spans.
    let pitch = format!(
        r#"<div id="newPitchPriceWrapper_feature_div"><span class="price-info-superscript">$</span>
        <span class="price-large">21</span><span class="price-info-superscript">11</span>
        <span class="a-text-strike">$34.95</span></div>{BUY}"#
    );
    let p = product_of(&page(&pitch), &us());
    assert_eq!(
        p.price.map(|m| m.to_decimal_string()).as_deref(),
        Some("21.11")
    );
    assert_eq!(
        p.list_price.map(|m| m.to_decimal_string()).as_deref(),
        Some("34.95")
    );
}

#[test]
fn a_price_in_another_currency_is_not_reported() {
    // A display-currency preference: amazon.com showing euros.
    let body = format!(r#"<span id="priceblock_ourprice">EUR 25,03</span>{BUY}"#);
    let p = product_of(&page(&body), &us());
    assert_eq!(p.price, None);
    assert_eq!(p.availability, Availability::InStock);
}

#[test]
fn every_indexed_class_is_indexed() {
    for class in dom::INDEXED_CLASSES {
        let html = format!(r#"<div class="x {class}">1</div>"#);
        let doc = Html::parse_document(&html);
        let d = Dom::new(&doc).unwrap();
        let found = d.price_to_pay.len() + d.offer_price.len() + d.kindle_price.len();
        assert_eq!(found, 1, "{class}");
    }
}

#[test]
fn trimming_keeps_everything_a_reader_consults() {
    let head = r#"<html><body><div id="buybox">x</div>"#;
    let btf = r#"<div id="aplus_feature_div">A+ content</div>"#;
    let cut = format!("{head}{btf}<p>reviews</p></body></html>");
    assert_eq!(trim::parse_extent(&cut), head);
    // Something consulted after the section: parse the whole page.
    for later in [
        r#"<div id="availability">In stock</div>"#,
        r#"<span class="a-price priceToPay">$1</span>"#,
        r#"<div ID='price'>$1</div>"#,
        r#"<div class="x" id = "buybox">again</div>"#,
        "<div\nid=merchant-info>sold by</div>",
        r#"<link rel="canonical" href="https://www.amazon.com/dp/B000000001">"#,
        r#"<META content="https://m.media-amazon.com/x.jpg" property='og:image'>"#,
        r#"<form method="get" action="/errors/validateCaptcha"></form>"#,
    ] {
        let html = format!("{head}{btf}{later}</body></html>");
        assert_eq!(trim::parse_extent(&html), html, "{later}");
    }
    // The hidden feedback-form copy of the title is not consulted.
    let input =
        format!(r#"{head}{btf}<input type="hidden" id="productTitle" value="x"></body></html>"#);
    assert_eq!(trim::parse_extent(&input), head);
}
