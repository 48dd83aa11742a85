//! Reading a fetched Amazon page into what a shopper sees: a product with
//! its featured offer, a robot check, or an error page.
//!
//! Any storefront, any UI language, desktop and mobile layouts from 2017 on.
//! Decisions come from the page's structure (ids, classes, hidden inputs,
//! buy buttons), with phrase lists only where markup says nothing (see
//! `words`). The page is parsed once; [`dom::Dom`] indexes it in one pass.
//!
//! - `blocked`: robot checks and error pages
//! - `identity`: storefront, selected ASIN, title, image
//! - `offer`: the buy box (price, list price, availability, condition, seller)
//! - `trim`: leaving the below-the-fold half of a page unparsed
//! - `parse`: building the tree under a work budget
//! - `meter`: the reader's work limit (elements visited)
//!
//! No page can make reading it crash or stall: the tree is built under a
//! work budget, a page nested deeper than `dom::MAX_DEPTH` or with more than
//! `dom::MAX_ELEMENTS` elements is refused, the readers' walks are counted
//! against an allowance, and every walk is a loop, never a recursion. A
//! refused page is [`ErrorPage::TooComplex`] ("could not read"), never a
//! price.

mod blocked;
mod dom;
pub mod hostile;
mod identity;
mod meter;
mod offer;
mod parse;
mod trim;
mod words;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod traps;

use scraper::Html;
use serde::Serialize;

use crate::domain::{Asin, Marketplace, Money};
use dom::Dom;
use parse::TooComplex;

/// What a fetched page turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Product(ProductSnapshot),
    /// A robot check: the product was not shown. Back off.
    Captcha,
    /// An error page instead of the product.
    Error(ErrorPage),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorPage {
    /// The 503 "Sorry! Something went wrong" dogs page: back off.
    ServiceUnavailable,
    /// A tiny 200 "server busy" / JavaScript challenge page: back off.
    Busy,
    /// The 404 "Page Not Found" dogs page: the product is gone.
    NotFound,
    /// Something that is neither a product nor a known Amazon error page.
    Unrecognised,
    /// A page past the reader's limits (nesting depth, element count, the
    /// work of building its tree): not read at all. Back off.
    TooComplex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Buyable now from the featured offer (pre-orders included).
    InStock,
    OutOfStock,
    /// "Currently unavailable": no offer at all.
    Unavailable,
    /// No featured offer, but other sellers list it ("See all buying options").
    OnlyOtherSellers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    New,
    Used,
}

/// What a shopper sees on a product page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSnapshot {
    pub asin: Asin,
    pub marketplace: Marketplace,
    pub title: String,
    pub image_url: Option<String>,
    /// The price to pay now for the featured offer.
    pub price: Option<Money>,
    /// The list / RRP / strike-through price, when the page shows one.
    pub list_price: Option<Money>,
    pub availability: Availability,
    /// Condition of the featured offer; `None` when there is no featured offer.
    pub condition: Option<Condition>,
    /// Who sells the featured offer, when the page says.
    pub seller: Option<String>,
}

/// What the caller already knows about the page (from the URL it fetched).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractHint {
    pub marketplace: Option<Marketplace>,
    pub asin: Option<Asin>,
}

/// Reads a page. One HTML parse.
///
/// What the hint names wins over what the page says (the caller asked for
/// that product on that storefront); otherwise both come from the page.
///
/// Runs on the calling thread and takes up to a few hundred milliseconds
/// on a hostile page (see `bench pages`): async callers run it on the
/// blocking pool, as `amazon::fetch` does.
pub fn extract(html: &str, hint: &ExtractHint) -> Page {
    match parse::parse(trim::parse_extent(html)) {
        Ok(doc) => read(&doc, html, hint),
        Err(why) => too_complex(why),
    }
}

fn too_complex(why: TooComplex) -> Page {
    tracing::debug!(reason = why.0, "page refused by the reader's limits");
    Page::Error(ErrorPage::TooComplex)
}

/// Reads a parsed page; `html` is the whole page, for the byte scans.
fn read(doc: &Html, html: &str, hint: &ExtractHint) -> Page {
    match read_metered(doc, html, hint) {
        Ok((page, _)) => page,
        Err(why) => too_complex(why),
    }
}

/// [`read`], also saying how many elements the readers visited.
fn read_metered(doc: &Html, html: &str, hint: &ExtractHint) -> Result<(Page, u64), TooComplex> {
    let dom = Dom::new(doc)?;
    meter::within(meter::allowance(dom.elements), || {
        read_dom(&dom, html, hint)
    })
    .ok_or(TooComplex("reading it takes too much work"))
}

fn read_dom(dom: &Dom<'_>, html: &str, hint: &ExtractHint) -> Page {
    if blocked::is_captcha_form(dom) {
        return Page::Captcha;
    }
    match product(dom, html, hint) {
        Some(p) => Page::Product(p),
        None => blocked::classify(html, dom),
    }
}

/// The marketplace the page itself names, when it does (used for captcha and
/// error pages, which carry no product). Parses the whole page: these pages
/// are small, and their footer links are the last clue.
/// `None` for a page past the reader's limits.
pub fn page_marketplace(html: &str) -> Option<Marketplace> {
    let doc = parse::parse(html).ok()?;
    let dom = Dom::new(&doc).ok()?;
    let named = || identity::marketplace(&dom, html).or_else(|| identity::linked_storefront(&doc));
    meter::within(meter::allowance(dom.elements), named)?.0
}

/// What reading one page costs, for `pricewatch bench pages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCost {
    /// Bytes handed to the HTML parser (after the trim).
    pub parsed_bytes: usize,
    /// Tree-building steps used, when the tree was built within budget.
    pub build_work: Option<u64>,
    /// The budget for a page of this size.
    pub build_budget: u64,
    /// Deepest element nesting and element count of the built tree.
    pub depth: Option<usize>,
    pub elements: Option<usize>,
    /// Elements the readers visited, when the read stayed within its
    /// allowance.
    pub read_visits: Option<u64>,
}

/// Measures what [`extract`] spends on `html` (without reading it).
pub fn page_cost(html: &str) -> PageCost {
    let part = trim::parse_extent(html);
    let budget = parse::budget(part.len());
    let built = parse::parse_within(part, budget).ok();
    let shape = built
        .as_ref()
        .map(|(doc, _)| dom::shape(doc.root_element()));
    let read_visits = built
        .as_ref()
        .and_then(|(doc, _)| read_metered(doc, html, &ExtractHint::default()).ok())
        .map(|(_, visits)| visits);
    PageCost {
        parsed_bytes: part.len(),
        build_work: built.as_ref().map(|(_, w)| *w),
        build_budget: budget,
        depth: shape.map(|s| s.depth),
        elements: shape.map(|s| s.elements),
        read_visits,
    }
}

/// A product page shows a title and names its ASIN in its own markup;
/// without both it is something else, whatever the hint says.
fn product(dom: &Dom<'_>, html: &str, hint: &ExtractHint) -> Option<ProductSnapshot> {
    let title = identity::title(dom)?;
    let page_asin = identity::asin(dom)?;
    let asin = hint.asin.unwrap_or(page_asin);
    let marketplace = hint
        .marketplace
        .or_else(|| identity::marketplace(dom, html))?;
    let offer = offer::read(dom, marketplace);
    Some(ProductSnapshot {
        asin,
        marketplace,
        title,
        image_url: identity::image(dom),
        price: offer.price,
        list_price: offer.list_price,
        availability: offer.availability,
        condition: offer.condition,
        seller: offer.seller,
    })
}
