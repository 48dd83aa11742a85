//! Pages an attacker would send, generated: deep nesting, tens of thousands
//! of spans inside the price element, stray end tags. `bench pages` times
//! them and the tests read them; each is a product page in outline (title,
//! ASIN in the buy form, canonical link, a price to pay), so a reader that
//! got through one would report a price.

/// The outline of a product page (title, canonical link, ASIN in the buy
/// form) with `price_block` where its price goes.
fn outline(price_block: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Amazon.com: Hostile</title>\
         <link rel=\"canonical\" href=\"https://www.amazon.com/dp/B0HOSTILE1\"></head><body>\
         <div id=\"dp\"><span id=\"productTitle\">Hostile page</span>{price_block}\
         <form id=\"addToCart\"><input type=\"hidden\" name=\"ASIN\" value=\"B0HOSTILE1\">\
         <input id=\"add-to-cart-button\" type=\"submit\"></form></div></body></html>"
    )
}

/// A product page whose price element holds `inner_open`, the amount
/// ($9.99), then `inner_close`.
fn product_shell(inner_open: &str, inner_close: &str) -> String {
    outline(&format!(
        "<div id=\"corePrice_feature_div\"><span class=\"a-price priceToPay\">\
         <span class=\"a-offscreen\">{inner_open}$9.99{inner_close}</span></span></div>"
    ))
}

/// A product page whose price element holds `n` nested `<span>`s.
pub fn spans_in_price(n: usize) -> String {
    product_shell(&"<span>".repeat(n), &"</span>".repeat(n))
}

/// A product page whose price element holds `n` nested `<div>`s.
pub fn nested_divs(n: usize) -> String {
    product_shell(&"<div>".repeat(n), &"</div>".repeat(n))
}

/// `n` nested `<span>`s, each followed by a stray end tag that makes the
/// parser search the whole stack of open elements.
pub fn stray_end_tags(n: usize) -> String {
    product_shell(&"<span></i>".repeat(n), "")
}

/// `n` sibling `<span>`s in the price element: wide, not deep, and read.
pub fn wide_price(n: usize) -> String {
    product_shell(&"<span></span>".repeat(n), "")
}

/// Within the depth and element limits, built to make the readers' walks
/// cost the most: `depth` nested price blocks with no amount (each one a
/// candidate whose whole subtree is searched) around `leaves` elements.
pub fn nested_empty_prices(depth: usize, leaves: usize) -> String {
    let open = "<span class=\"a-price\"><span class=\"a-offscreen\">".repeat(depth);
    let close = "</span></span>".repeat(depth);
    let leaves = "<i></i>".repeat(leaves);
    outline(&format!(
        "<div id=\"corePrice_desktop\">{open}{leaves}{close}</div>"
    ))
}

/// Within the limits too: a buy-box accordion of `rows` rows, each with a
/// price that has no amount; deciding whether a row is the featured one
/// looks at every row, for every row.
pub fn accordion_rows(rows: usize) -> String {
    let row = "<div><span class=\"a-price\"><span class=\"a-offscreen\">-</span></span></div>";
    outline(&format!(
        "<div id=\"corePrice_desktop\"><div class=\"a-accordion\">{}</div></div>",
        row.repeat(rows)
    ))
}

/// Every generated page the benchmark times, by name.
pub fn pages() -> Vec<(String, String)> {
    let mut pages = Vec::new();
    for n in [5_000, 10_000, 40_000, 100_000] {
        pages.push((format!("{n} nested <div>s"), nested_divs(n)));
    }
    pages.push((
        "50000 nested <span>s in the price".into(),
        spans_in_price(50_000),
    ));
    pages.push((
        "50000 spans + stray end tags".into(),
        stray_end_tags(50_000),
    ));
    pages.push((
        "90000 sibling spans in the price".into(),
        wide_price(90_000),
    ));
    pages.push((
        "120 empty prices around 90000 elements".into(),
        nested_empty_prices(120, 90_000),
    ));
    pages.push((
        "accordion of 30000 rows without amounts".into(),
        accordion_rows(30_000),
    ));
    pages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amazon::extract::{ErrorPage, ExtractHint, Page, dom, extract};

    fn read(html: &str) -> Page {
        extract(html, &ExtractHint::default())
    }

    fn price(page: &Page) -> Option<String> {
        match page {
            Page::Product(p) => p.price.map(|m| m.to_decimal_string()),
            _ => None,
        }
    }

    #[test]
    fn the_shell_reads_as_a_product_with_its_price() {
        for html in [spans_in_price(100), nested_divs(100), wide_price(1000)] {
            assert_eq!(price(&read(&html)).as_deref(), Some("9.99"));
        }
    }

    #[test]
    fn hostile_pages_are_refused_not_read() {
        for html in [
            spans_in_price(50_000),
            nested_divs(10_000),
            nested_divs(100_000),
            stray_end_tags(50_000),
        ] {
            assert_eq!(read(&html), Page::Error(ErrorPage::TooComplex));
        }
        // Just past the depth limit, where building the tree is cheap.
        assert_eq!(
            read(&spans_in_price(dom::MAX_DEPTH)),
            Page::Error(ErrorPage::TooComplex)
        );
        assert_eq!(
            crate::amazon::extract::page_marketplace(&spans_in_price(50_000)),
            None
        );
    }

    #[test]
    fn pages_within_the_limits_that_make_reading_quadratic_are_refused() {
        // Small versions read fine (no price: none of their blocks has an
        // amount), so the refusal below is the work limit's doing.
        for html in [nested_empty_prices(3, 100), accordion_rows(50)] {
            assert!(matches!(read(&html), Page::Product(_)), "{html}");
        }
        for html in [nested_empty_prices(120, 90_000), accordion_rows(30_000)] {
            assert_eq!(read(&html), Page::Error(ErrorPage::TooComplex));
        }
    }

    #[test]
    fn text_is_a_walk_not_a_recursion() {
        // 200,000 levels would overflow this test thread's 2 MiB stack if
        // each level took a stack frame.
        let deep = format!("{}deep{}", "<b>".repeat(200_000), "</b>".repeat(200_000));
        let html = format!("<html><body><i>{deep}</i><script>no</script></body></html>");
        let doc = scraper::Html::parse_document(&html);
        let body = doc
            .root_element()
            .descendent_elements()
            .find(|e| e.value().name() == "body")
            .unwrap_or_else(|| panic!("no body"));
        assert_eq!(dom::text(body), "deep");
    }

    #[test]
    fn text_stops_at_its_cap() {
        let html = format!("<p>{}</p>", "ab ".repeat(100_000));
        let doc = scraper::Html::parse_document(&html);
        let p = doc.root_element().descendent_elements().last();
        let text = p.map(dom::text).unwrap_or_default();
        assert!(
            text.len() <= dom::MAX_TEXT_BYTES && text.len() > 1000,
            "{}",
            text.len()
        );
    }
}
